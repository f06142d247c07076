"""python -m loadtest.matrix: reproduce, fixed and daemon on every stack (choices.mk), each
on fresh Apache children through `make run`, then one table of the measured versions and
the verdicts. Exit 0 only when every cell has its expected verdict.

The table is also written to reports/matrix.md, so the README can quote a real one.
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


def rows(docs_by_stack):
    header = ["stack", *VERSION_COLUMNS, *(name for name, _, _ in RUNS)]
    table = [header]
    for stack, docs in docs_by_stack.items():
        versions = next((doc["versions"] for doc in docs if doc), {})
        table.append([stack, *(versions.get(name) or "?" for name in VERSION_COLUMNS), *map(cell, docs)])
    return table


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
    table = rows(docs_by_stack)
    Path("reports").mkdir(exist_ok=True)
    Path("reports/matrix.md").write_text(markdown(table))

    from rich.console import Console
    from rich.table import Table

    shown = Table(*table[0], title="The lab on every stack (versions measured in the running containers)")
    for row in table[1:]:
        shown.add_row(*row)
    Console(width=240).print(shown)
    print("Written: reports/matrix.md")
    every = [doc for docs in docs_by_stack.values() for doc in docs]
    return 0 if all(doc and doc["verdict"]["success"] for doc in every) else 1


if __name__ == "__main__":
    sys.exit(main())
