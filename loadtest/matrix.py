"""python -m loadtest.matrix: every stack (choices.mk), MOD_WSGI6_STACK with mod_wsgi 6 and one GIL
per interpreter, and every stack uWSGI runs on with SERVER=uwsgi, each run in this process
(loadtest.core) on fresh Apache children of the lab: reproduce, fixed, daemon, and each sample
fix of workshop/fixes/ (FIX=); then one table of the versions measured in the running containers
and one of the verdicts. Exit 0 only when reproduce, fixed and daemon gave their expected
verdicts everywhere (a sample fix's verdict is what the stack says of it: no verdict is expected
of it).

The tables are also written to docs/measured/matrix.md (`make docs` puts it in
docs/stacks.md). The terminal shows two tables (versions, verdicts) so that each fits an
ordinary terminal.
"""

import os
import sys
from pathlib import Path

from loadtest import core, provision, spec
from loadtest.compose import Lab
from loadtest.lab import FIXES_DIR, MOD_WSGI6_KNOBS, MOD_WSGI6_STACK, ROOT, STACKS, UsageError
from loadtest.phrasebook import VERSION_NAMES
from loadtest.servers import SERVERS

FIXES = sorted(path.parent.name for path in FIXES_DIR.glob("*/app1_wsgi.py"))
# Each row: its name and the knobs that make it; each column: its name and its knobs.
ROWS = (
    *((stack, (f"STACK={stack}",)) for stack in STACKS),
    (f"{MOD_WSGI6_STACK}, mod_wsgi 6, own GIL", MOD_WSGI6_KNOBS),
    # The server axis: the same runs in uWSGI behind nginx, where it runs (loadtest/servers.py).
    *(
        (f"{stack}, uWSGI", (f"STACK={stack}", "SERVER=uwsgi"))
        for stack in STACKS
        if stack not in SERVERS["uwsgi"].stacks_refused
    ),
)
# A cell whose knobs the server refuses (SERVER=uwsgi SCENARIO=group-variable): not a run.
NOT_RUN = "not run"
TWELVE_FACTOR = "SCENARIO=twelve-factor"
# Each column: its name and the knobs of its run. The 2013 app shape, then today's (each app's
# .env, its database and its key), with each sample fix of workshop/fixes/ in the shape it is for.
RUNS = (
    ("reproduce", ("CODE=buggy",)),
    ("fixed", ("CODE=fixed",)),
    ("daemon", ("CODE=buggy", "PROCESS_MODEL=daemon")),
    *((f"fix {fix}", ("CODE=workspace", f"FIX={fix}")) for fix in FIXES if not fix.startswith("twelve-factor")),
    ("twelve-factor reproduce", ("CODE=buggy", TWELVE_FACTOR)),
    ("twelve-factor fixed", ("CODE=fixed", TWELVE_FACTOR)),
    ("twelve-factor daemon", ("CODE=buggy", "PROCESS_MODEL=daemon", TWELVE_FACTOR)),
    *(
        (f"fix {fix}", ("CODE=workspace", f"FIX={fix}", TWELVE_FACTOR))
        for fix in FIXES
        if fix.startswith("twelve-factor")
    ),
    ("time-zone reproduce", ("CODE=buggy", "SCENARIO=time-zone")),
    ("time-zone fixed", ("CODE=fixed", "SCENARIO=time-zone")),
)
JUDGED = ("reproduce", "fixed", "daemon", "twelve-factor reproduce", "twelve-factor fixed", "twelve-factor daemon")


def run_one(knobs, lab_):
    """One cell: its spec (the load's knobs from the environment, as make passes them), its lab
    set up and started, the run; its report, or None when the run could not be made."""
    load = {knob: os.environ[knob] for knob in ("REQUESTS", "CONCURRENCY", "RAMP_UP") if os.environ.get(knob)}
    try:
        cell_spec = spec.parse(["run", *knobs], env=load)
    except UsageError:
        return NOT_RUN
    try:
        provision.setup(cell_spec, lab_)
        lab_.up(cell_spec)
        return core.run(cell_spec, lab_, report_dir=ROOT / "reports", label="matrix", quiet=True)
    except UsageError as exc:
        print(f"matrix: {' '.join(knobs)}: {exc}", file=sys.stderr)
        return None


def cell(doc):
    if doc is NOT_RUN:
        return "-"
    if doc is None:
        return "no report"
    totals, summary = doc.totals, doc.checked.summary
    kind = doc.verdict.kind.replace("_", " ")
    extra = ""
    if summary.database:
        extra = (
            f", {totals.rows_other} rows and {totals.signed_other} signatures of the other app, "
            f"{totals.rows_named_other} rows under its name"
        )
    if summary.clock:
        extra = f", {totals.wrong_clock} clocks in the other zone"
    return f"{kind} ({totals.misrouted}/{totals.sent} misrouted, {totals.failed} failed{extra})"


def tables(docs_by_row):
    """Two tables, each a list of rows (the first the header): the versions measured per stack,
    and each run's verdict, a line per run and a column per stack."""
    versions = [["", *VERSION_NAMES]]
    for row, docs in docs_by_row.items():
        measured = next((doc.history.versions for doc in docs if doc and doc is not NOT_RUN), {})
        versions.append([row, *(measured.get(name) or "?" for name in VERSION_NAMES)])
    verdicts = [["", *docs_by_row]]
    for index, (name, _) in enumerate(RUNS):
        verdicts.append([name, *(cell(docs[index]) for docs in docs_by_row.values())])
    return versions, verdicts


def markdown(table):
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
    lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
    return "\n".join(lines) + "\n"


def main(argv=None):
    lab_ = Lab()
    docs_by_row = {}
    for row, row_knobs in ROWS:
        docs_by_row[row] = []
        for name, knobs in RUNS:
            print(f"matrix: {row}: {name}...", file=sys.stderr, flush=True)
            docs_by_row[row].append(run_one((*row_knobs, *knobs), lab_))
    versions, verdicts = tables(docs_by_row)
    written = ROOT / "docs" / "measured" / "matrix.md"
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
    judged = [
        doc
        for docs in docs_by_row.values()
        for (name, _), doc in zip(RUNS, docs, strict=True)
        if name in JUDGED and doc is not NOT_RUN
    ]
    return 0 if all(doc and doc.verdict.success for doc in judged) else 1


if __name__ == "__main__":
    sys.exit(main())
