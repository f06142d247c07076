"""The `run:` steps of the CI workflow, as GitHub's runner would run them for one matrix value:
what scripts/ci-proof.sh runs, so that the proof runs exactly the workflow's commands.

    python -m loadtest.tools.workflow_steps trixie     one JSON object per step: {"name", "run", "env"}

Refuses (exit 2) a workflow it cannot imitate faithfully: a run step with keys other than
name, run, env (an `if:`, a `working-directory:`, a `shell:`), or an expression other than
${{ matrix.<key> }}.
"""

import json
import re
import sys
from pathlib import Path

from ruamel.yaml import YAML

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "integration.yml"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


class Unfaithful(Exception):
    """The workflow does something the proof cannot imitate."""


def run_steps(stack, workflow=WORKFLOW):
    document = YAML(typ="safe").load(workflow.read_text())
    (job,) = document["jobs"].values()
    matrix = {key: values for key, values in (job.get("strategy") or {}).get("matrix", {}).items()}
    if stack not in matrix.get("stack", []):
        raise Unfaithful(f"{stack!r} is not in the workflow's matrix {matrix.get('stack')}")

    def expand(text):
        def value(match):
            name = match[1]
            if not name.startswith("matrix."):
                raise Unfaithful(f"cannot imitate the expression ${{{{ {name} }}}}")
            return {"stack": stack}[name.removeprefix("matrix.")]

        return EXPRESSION.sub(value, str(text))

    steps = []
    for step in job["steps"]:
        if "run" not in step:
            continue
        extra = set(step) - {"name", "run", "env"}
        if extra:
            raise Unfaithful(f"step {step.get('name')!r} has {sorted(extra)}: the proof cannot imitate it")
        env = {key: expand(value) for key, value in (step.get("env") or {}).items()}
        steps.append({"name": step.get("name", ""), "run": expand(step["run"]), "env": env})
    return steps


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m loadtest.tools.workflow_steps STACK", file=sys.stderr)
        return 2
    try:
        steps = run_steps(argv[0])
    except Unfaithful as exc:
        print(f"workflow_steps: {exc}", file=sys.stderr)
        return 2
    for step in steps:
        print(json.dumps(step))
    return 0


if __name__ == "__main__":
    sys.exit(main())
