"""The CI workflow's run steps are what scripts/ci-proof.sh runs as GitHub's non-root runner:
read by loadtest.tools.workflow_steps, which refuses a step it could not imitate faithfully."""

import pytest
from ruamel.yaml import YAML

from loadtest.lab import STACKS
from loadtest.tools import workflow_steps
from tests.unit.test_spec import ROOT


def test_the_proof_runs_exactly_the_workflows_run_steps_for_each_stack():
    document = YAML(typ="safe").load(workflow_steps.WORKFLOW.read_text())
    (job,) = document["jobs"].values()
    assert job["strategy"]["matrix"]["stack"] == list(STACKS)
    raw = [step for step in job["steps"] if "run" in step]
    for stack in STACKS:
        steps = workflow_steps.run_steps(stack)
        assert [step["run"] for step in steps] == [step["run"].replace("${{ matrix.stack }}", stack) for step in raw]
        assert [step["env"] for step in steps] == [step.get("env") or {} for step in raw]
    # The one command the README gives, with CI=true: what .ci/run runs as root.
    (make_test,) = [step for step in workflow_steps.run_steps(STACKS[0]) if step["run"].startswith("make test")]
    assert make_test == {"name": make_test["name"], "run": f"make test STACK={STACKS[0]}", "env": {"CI": "true"}}
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_workflow_runs_envleak_check_on_the_buggy_and_the_fixed_configuration():
    steps = [step["run"] for step in workflow_steps.run_steps(STACKS[0])]
    install = next(index for index, run in enumerate(steps) if "pip install" in run and "./envleak" in run)
    checks = {code: next(i for i, run in enumerate(steps) if f"wsgi_{code}.py" in run) for code in ("buggy", "fixed")}
    assert install < min(checks.values())
    # The buggy configuration must make envleak check exit 1 (RISKY), the fixed one 0.
    assert 'test "$status" -eq 1' in steps[checks["buggy"]] and "|| status=$?" in steps[checks["buggy"]]
    assert "||" not in steps[checks["fixed"]] and "envleak check apache/lab.conf" in steps[checks["fixed"]]


@pytest.mark.parametrize(
    ("step", "says"),
    [
        ("      - run: make test\n        if: always()\n", "the proof cannot imitate it"),
        ("      - run: make test\n        working-directory: sub\n", "the proof cannot imitate it"),
        ("      - run: echo ${{ secrets.TOKEN }}\n", "cannot imitate the expression"),
    ],
)
def test_a_step_the_proof_cannot_imitate_is_refused(tmp_path, step, says):
    workflow = tmp_path / "integration.yml"
    workflow.write_text("jobs:\n  lab:\n    strategy:\n      matrix:\n        stack: [trixie]\n    steps:\n" + step)
    with pytest.raises(workflow_steps.Unfaithful, match=says):
        workflow_steps.run_steps("trixie", workflow)
