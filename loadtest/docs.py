"""python -m loadtest.docs: the docs' generated sections, written from what the lab produced.

A section sits between two markers in README.md or docs/*.md:

    <!-- generated: KIND ARGUMENTS -->
    ...written by `make docs`; edit its source, not this...
    <!-- end generated -->

KIND is one of:
    run PATH COMMAND...   a stored run (docs/runs/*.json, kept by `python -m loadtest.docs --keep`)
                          as the terminal showed it after COMMAND (the progress lines left out)
    xray PATH             stored GET /xray/ rows, as `make xray` prints them
    file PATH             a file written by a command (docs/measured/: make bench, make matrix,
                          scripts/reproduce-rate.sh), verbatim; a note when it is missing
    exercises             the workshop's exercises (workshop/exercises.yml; loadtest.exercises)
    plan [NAME]           a room's plan (ninety, half-day), from the exercises' minutes and their
                          commands' measured times (docs/measured/exercises.txt)
    handout               the attendee's handout: predict, run, look; no answers
    guide                 the facilitator's guide: the answers, wrong predictions, hint ladders
    modules               the load test's modules, each with the first line of its docstring
    diff                  the fix, as `make diff` prints it
    lines PATH REGEX ...  the lines of each PATH that REGEX finds (pairs), each with its file named
    versions PATH CMD...  a list: each stored run's command (;-separated), its verdict and the
                          versions it measured, for the claims a page rests on those runs
    help                  `make help`: every target and knob with its choices and default
    pythons               the version table: `make root-cause` on each Python (loadtest.pythons)

`make docs` rewrites every section and draws the pictures in PICTURES from their stored runs;
the unit tests fail when one is stale (`stale()`).
"""

import argparse
import ast
import difflib
import json
import re
import shlex
import sys
from pathlib import Path

from loadtest import document as documents
from loadtest import exercises, phrasebook, pythons, report_html, spec, xray

ROOT = Path(__file__).resolve().parents[1]
RUNS_DIR = ROOT / "docs" / "runs"
SECTION = re.compile(r"(<!-- generated: (.+?) -->\n)(.*?)(<!-- end generated -->)", re.DOTALL)
# What a stored run leaves out of its history: the per-request and per-task lists (they stay in
# reports/); everything the terminal text and the timeline picture are drawn from is kept.
DROPPED = {"results": [], "receipts": [], "traces": [], "first_requests": [], "rows": None, "row_names": None,
           "signers": None}  # fmt: skip
# Pictures the docs show, each drawn from a stored run the way the run's own PNG was.
PICTURES = {"docs/buggy-run.png": "docs/runs/reproduce.json"}


def doc_files():
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def code_block(text, language="text"):
    return f"```{language}\n{text.rstrip()}\n```\n"


def run_text(document, command, verbose=False):
    """What the terminal showed after `command`, from the stored run (loadtest.document): the
    load test's header, then everything after the load, as the phrasebook says it (VERBOSE=1:
    the whole story). The progress line is left out: the stored run does not hold it."""
    run = document.run
    lines = [
        f"$ {'VERBOSE=1 ' if verbose else ''}{command}",
        phrasebook.header(document.spec, run.seed, run.first_hosts, run.run_id),
        *phrasebook.terminal(document, verbose),
    ]
    return "\n".join(lines)


def module_table():
    rows = ["| module | what it is |", "| --- | --- |"]
    for path in sorted((ROOT / "loadtest").glob("*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        first = " ".join(docstring.split("\n\n")[0].split())
        rows.append(f"| `loadtest/{path.name}` | {first} |")
    return "\n".join(rows) + "\n"


def fix_diff():
    """`make diff`: the buggy entry against the fixed one, then the new appN/celery.py."""
    parts = []
    for old, new in (
        ("apps/app1/app1/wsgi_buggy.py", "apps/app1/app1/wsgi_fixed.py"),
        ("/dev/null", "apps/app1/app1/celery.py"),
    ):
        before = [] if old == "/dev/null" else (ROOT / old).read_text().splitlines(keepends=True)
        after = (ROOT / new).read_text().splitlines(keepends=True)
        parts.append("".join(difflib.unified_diff(before, after, old, new)))
    return "".join(parts)


def source_lines(words):
    """The lines each (PATH, REGEX) pair finds in PATH, stripped, each followed by its file's
    name as a comment (`#` for every file the lab cites this way: Python and Apache)."""
    if len(words) % 2:
        raise ValueError(f"lines: PATH REGEX pairs, not {words!r}")
    found = []
    for path, pattern in zip(words[::2], words[1::2], strict=True):
        hits = [line.strip() for line in (ROOT / path).read_text().splitlines() if re.search(pattern, line)]
        if not hits:
            raise ValueError(f"lines: nothing in {path} matches {pattern!r}")
        found += [(hit, path) for hit in hits]
    width = max(len(hit) for hit, _ in found)
    return "\n".join(f"{hit.ljust(width)}  # {path}" for hit, path in found)


def measured():
    """{command: seconds} of each exercise's command, as `make bench` measured it (none yet: {})."""
    path = ROOT / "docs" / "measured" / "exercises.txt"
    return exercises.measured_seconds(path.read_text()) if path.exists() else {}


def run_versions(arguments):
    """`versions docs/runs/a.json make ...; docs/runs/b.json make ...`: one list item per stored
    run, its command, its verdict line's first words and every version it measured."""
    items = []
    for part in arguments.split(";"):
        words = shlex.split(part)
        document = json.loads((ROOT / words[0]).read_text())
        verdict = document["checked"]["verdict"]["kind"].replace("_", " ")
        measured = phrasebook.versions(document["history"]["versions"])
        items.append(f"- `{' '.join(words[1:])}` (`{words[0]}`): **{verdict}** on {measured}")
    return "\n".join(items) + "\n"


def make_help():
    """`make help`'s text: what its recipe prints (loadtest.spec.help_text)."""
    return f"$ make help\n{spec.help_text(ROOT / 'Makefile')}\n"


def render(kind, arguments):
    words = shlex.split(arguments)
    if kind in ("run", "verbose-run"):
        stored = documents.load(ROOT / words[0])
        return code_block(run_text(stored, " ".join(words[1:]), verbose=kind == "verbose-run"))
    if kind == "xray":
        return code_block(xray.format_rows(json.loads((ROOT / words[0]).read_text())))
    if kind == "file":
        if not (ROOT / words[0]).exists():  # a measurement this checkout has not made yet
            return f"*Not measured yet on this checkout ({Path(words[0]).name} is missing).*\n"
        text = (ROOT / words[0]).read_text()
        return text if words[0].endswith(".md") else code_block(text)
    if kind == "exercises":
        return "\n" + exercises.render(exercises.load()) + "\n"
    if kind == "plan":
        return "\n" + exercises.render_plan(exercises.load(), words[0] if words else "half-day", measured()) + "\n"
    if kind == "handout":
        return "\n" + exercises.handout(exercises.load()) + "\n"
    if kind == "guide":
        return "\n" + exercises.guide(exercises.load(), measured()) + "\n"
    if kind == "modules":
        return module_table()
    if kind == "diff":
        return code_block(fix_diff(), "diff")
    if kind == "versions":
        return run_versions(arguments)
    if kind == "lines":
        return code_block(source_lines(words))
    if kind == "help":
        return code_block(make_help())
    if kind == "pythons":
        return "\n" + pythons.table() + "\n"
    raise ValueError(f"unknown generated section kind {kind!r}")


def regenerate(text):
    def section(match):
        kind, _, arguments = match[2].partition(" ")
        return match[1] + render(kind, arguments) + match[4]

    return SECTION.sub(section, text)


def picture_png(run_path):
    return report_html.timeline_png(documents.load(ROOT / run_path))


def schema_text():
    return json.dumps(documents.json_schema(), indent=1, sort_keys=True) + "\n"


def stale():
    """The documents whose generated sections, the pictures and the report's schema that differ
    from what `make docs` would write."""
    texts = [path for path in doc_files() if regenerate(path.read_text()) != path.read_text()]
    if not documents.SCHEMA.exists() or documents.SCHEMA.read_text() != schema_text():
        texts.append(documents.SCHEMA)
    pictures = [
        ROOT / png
        for png, run in PICTURES.items()
        if not (ROOT / png).exists() or (ROOT / png).read_bytes() != picture_png(run)
    ]
    return texts + pictures


def keep(report_path, name):
    """Store a run's report (reports/*.json) as docs/runs/NAME.json, without its per-request lists (DROPPED)."""
    document = json.loads(Path(report_path).read_text())
    kept = {**document, "history": {**document["history"], **DROPPED}}
    RUNS_DIR.mkdir(exist_ok=True)
    target = RUNS_DIR / f"{name}.json"
    target.write_text(json.dumps(kept, indent=1, sort_keys=True) + "\n")
    return target


def stored_runs():
    """(path, command) of every stored run a document shows (its `generated: run` markers)."""
    found = {}
    for path in doc_files():
        for match in SECTION.finditer(path.read_text()):
            kind, _, arguments = match[2].partition(" ")
            if kind in ("run", "verbose-run"):
                words = shlex.split(arguments)
                found.setdefault(words[0], " ".join(words[1:]))
    return sorted(found.items())


def remake():
    """make stored-runs: every stored run made again, by its own command as an attendee types it
    (its spec, on the lab of its stack, in this process: loadtest.core), then kept."""
    from loadtest import core, provision
    from loadtest.compose import Lab

    lab = Lab()
    for run_path, command in stored_runs():
        print(f"docs: {command} -> {run_path}", flush=True)
        run_spec = spec.from_command(command.removeprefix("VERBOSE=1 "))
        provision.setup(run_spec, lab)
        lab.up(run_spec)
        document = core.run(run_spec, lab, quiet=True)
        print(f"docs: {phrasebook.verdict_line(document.verdict, document.checked.summary)}")
        keep(ROOT / document.report_path, Path(run_path).stem)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m loadtest.docs", description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite every generated section")
    parser.add_argument("--keep", nargs=2, metavar=("REPORT_JSON", "NAME"), help="store a run for the docs")
    parser.add_argument("--diff", action="store_true", help="print the fix as a diff (make diff)")
    parser.add_argument("--remake", action="store_true", help="run the command of every stored run again, keep each")
    args = parser.parse_args(argv)
    if args.remake:
        return remake()
    if args.diff:
        print(fix_diff(), end="")
        return 0
    if args.keep:
        print(f"docs: kept {keep(*args.keep).relative_to(ROOT)}")
        return 0
    if args.write:
        if not documents.SCHEMA.exists() or documents.SCHEMA.read_text() != schema_text():
            documents.SCHEMA.write_text(schema_text())
            print(f"docs: wrote {documents.SCHEMA.relative_to(ROOT)}")
        for path in doc_files():
            text = path.read_text()
            new = regenerate(text)
            if new != text:
                path.write_text(new)
                print(f"docs: wrote {path.relative_to(ROOT)}")
        for png, run in PICTURES.items():
            drawn = picture_png(run)
            if not (ROOT / png).exists() or (ROOT / png).read_bytes() != drawn:
                (ROOT / png).write_bytes(drawn)
                print(f"docs: wrote {png}")
        return 0
    for path in stale():
        print(f"docs: {path.relative_to(ROOT)} is stale: run make docs")
    return 1 if stale() else 0


if __name__ == "__main__":
    sys.exit(main())
