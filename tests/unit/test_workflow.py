"""The CI workflow's run steps are what scripts/ci-proof.sh runs as GitHub's non-root runner:
read by loadtest.tools.workflow_steps, which refuses a step it could not imitate faithfully."""

import pytest
from ruamel.yaml import YAML

from loadtest.lab import STACKS
from loadtest.tools import workflow_steps
from tests.unit.test_make_args import ROOT


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
    assert workflow_steps.run_steps(STACKS[0]) == [
        {"name": raw[0]["name"], "run": f"make test STACK={STACKS[0]}", "env": {"CI": "true"}}
    ]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


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
