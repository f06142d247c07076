"""python -m loadtest.matrix: reproduce, fixed and daemon on every stack (choices.mk), each
on fresh Apache children through `make run`, then one table of the measured versions and
the verdicts. Exit 0 only when every cell has its expected verdict.

The tables are also written to docs/measured/matrix.md (`make docs` puts it in
docs/stacks.md). The terminal shows two tables (versions, verdicts) so that each fits an
ordinary terminal.
"""

import json
import subprocess
import sys
from pathlib import Path

from loadtest.lab import STACKS

# The three runs of the lab, as make targets set them.
RUNS = (("reproduce", "buggy", "embedded"), ("fixed", "fixed", "embedded"), ("daemon", "buggy", "daemon"))
VERSION_COLUMNS = ("python", "mod_wsgi", "apache", "rabbitmq", "erlang", "celery", "kombu", "django", "librabbitmq")


def run_one(stack, code, process_model, make_args):
    """`make run` for one cell; returns its JSON report (or None when the run broke)."""
    command = ["make", "--no-print-directory", "run", f"STACK={stack}", f"CODE={code}"]
    command += [f"PROCESS_MODEL={process_model}", *make_args]
    completed = subprocess.run(command, capture_output=True, text=True)
    for line in completed.stdout.splitlines():
        if line.startswith("Report: "):
            path = next(part.strip() for part in line.removeprefix("Report: ").split(",") if part.endswith(".json"))
            return json.loads(Path(path).read_text())
    print(f"matrix: {' '.join(command)} gave no report:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}")
    return None


def cell(doc):
    if doc is None:
        return "no report"
    totals = doc["summary"]["totals"]
    return f"{doc['verdict']['kind']} ({totals['misrouted']}/{totals['sent']} misrouted, {totals['failed']} failed)"


def tables(docs_by_stack):
    """Two tables, each a list of rows (the first the header): the versions measured per stack,
    and each run's verdict per stack."""
    versions = [["stack", *VERSION_COLUMNS]]
    verdicts = [["stack", *(name for name, _, _ in RUNS)]]
    for stack, docs in docs_by_stack.items():
        measured = next((doc["versions"] for doc in docs if doc), {})
        versions.append([stack, *(measured.get(name) or "?" for name in VERSION_COLUMNS)])
        verdicts.append([stack, *map(cell, docs)])
    return versions, verdicts


def markdown(table):
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
    lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
    return "\n".join(lines) + "\n"


def main(argv=None):
    make_args = list(sys.argv[1:] if argv is None else argv)  # e.g. REQUESTS=300
    docs_by_stack = {}
    for stack in STACKS:
        docs_by_stack[stack] = []
        for name, code, process_model in RUNS:
            print(f"matrix: {stack} {name}...", file=sys.stderr, flush=True)
            docs_by_stack[stack].append(run_one(stack, code, process_model, make_args))
    versions, verdicts = tables(docs_by_stack)
    written = Path(__file__).resolve().parents[1] / "docs" / "measured" / "matrix.md"
    written.parent.mkdir(parents=True, exist_ok=True)
    written.write_text(markdown(versions) + "\n" + markdown(verdicts))

    from rich.console import Console
    from rich.table import Table

    console = Console()
    for title, table in (("Versions measured in the running containers", versions), ("Verdicts", verdicts)):
        shown = Table(*table[0], title=title)
        for row in table[1:]:
            shown.add_row(*row)
        console.print(shown)
    print(f"Written: {written.relative_to(Path.cwd()) if written.is_relative_to(Path.cwd()) else written}")
    every = [doc for docs in docs_by_stack.values() for doc in docs]
    return 0 if all(doc and doc["verdict"]["success"] for doc in every) else 1


if __name__ == "__main__":
    sys.exit(main())
