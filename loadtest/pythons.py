"""The version table: what `make root-cause` measured on each Python (docs/measured/root-cause-*.txt).

Each stored output (scripts/measure-root-cause.sh writes them) starts with a line naming the
command, the date and the commit, then apps/root_cause.py's output: per witness, a row per step
(interpreter, step, what os.environ said, what C getenv() said, the ids), which dicts the
interpreters' os.environ sit on, and a verdict; then one verdict line. `make docs` renders the
table into docs/mechanism.md (`<!-- generated: pythons -->`), and `make root-cause` pipes its
output through `python -m loadtest.pythons --where` to say where that Python falls in it.
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEASURED = ROOT / "docs" / "measured"
VERDICTS = ("SHARED LIVE", "COPIED AT CREATION")
VERDICT_LINE = re.compile(r"^(SHARED LIVE|COPIED AT CREATION): on Python (\S+),")
HEADER = re.compile(r"^# (.+), (\d{4}-\d\d-\d\d), commit (\w+)$")
STEP = re.compile(r"^  (main|A|B)\s{2,}(.+?)\s{2,}('[^']*'|-)\s{2,}('[^']*'|-)\s{2,}(0x\w+), (0x\w+)$")
DICTS = re.compile(r"^  os\.environ's dict \(posix\.environ\) in (.+): (.+)$")
# The step whose row says whether B saw A's write made after B was created (apps/root_cause.py's STEPS).
B_AFTER_A_WROTE_AGAIN = 4


def parse(text):
    """One stored output: {command, date, commit, version, verdict, witnesses: [{title, steps,
    dicts, getenv_follows, verdict}]}; None when it holds no verdict line."""
    measured = {"command": None, "date": None, "commit": None, "version": None, "verdict": None, "witnesses": []}
    witness = None
    for line in text.splitlines():
        header, step, dicts, verdict = HEADER.match(line), STEP.match(line), DICTS.match(line), VERDICT_LINE.match(line)
        if header and measured["command"] is None:
            measured.update(command=header[1], date=header[2], commit=header[3])
        elif line.startswith("Witness: "):
            witness = {"title": line[len("Witness: ") :], "steps": [], "dicts": None, "getenv_follows": False}
            witness["verdict"] = None
            measured["witnesses"].append(witness)
        elif witness and step:
            witness["steps"].append({"interpreter": step[1], "step": step[2], "value": step[3], "getenv": step[4]})
        elif witness and dicts:
            witness["dicts"] = dicts[2]
        elif witness and line.startswith("  C getenv(), in every interpreter at every step: the last value"):
            witness["getenv_follows"] = True
        elif witness and line.startswith("  => "):
            witness["verdict"] = line[len("  => ") :] if line[len("  => ") :] in VERDICTS else None
        elif verdict:
            measured.update(verdict=verdict[1], version=verdict[2])
    return measured if measured["verdict"] else None


def measured():
    """Every stored output, oldest Python first."""
    found = [(parse(path.read_text()), path.name) for path in sorted(MEASURED.glob("root-cause-*.txt"))]
    return sorted((one | {"file": name} for one, name in found if one), key=lambda one: version_key(one["version"]))


def version_key(version):
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def where(one):
    """(the knob, how) it was measured with: a stack's image, or the host's Python named with PYTHON=."""
    command = one["command"] or ""
    stack = re.search(r"STACK=(\w+)", command)
    if stack:
        return f"STACK={stack[1]}", "its image, Debian's Python"
    return "PYTHON=", "on the host, a pyenv build" if "pyenv" in command else "on the host"


def table():
    """The docs' table, one row per stored output, and one line per verdict naming the versions."""
    rows = [
        "| Python | measured with | os.environ's dict in main, A, B | B reads after A wrote again "
        "| C getenv() | witnesses | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    outputs = measured()
    for one in outputs:
        first = one["witnesses"][0]
        b_reads = first["steps"][B_AFTER_A_WROTE_AGAIN]["value"] if len(first["steps"]) > B_AFTER_A_WROTE_AGAIN else "?"
        ran = [witness for witness in one["witnesses"] if witness["steps"]]
        getenv = "every write, everywhere" if all(witness["getenv_follows"] for witness in ran) else "see the file"
        witnesses = " and ".join(witness_name(witness["title"]) for witness in ran)
        rows.append(
            f"| {one['version']} | `{where(one)[0]}` ({where(one)[1]}) | {first['dicts']} | `{b_reads}` | {getenv} "
            f"| {witnesses} "
            f"| **{one['verdict']}** ([{one['file']}](measured/{one['file']})) |"
        )
    lines = []
    for verdict in VERDICTS:
        versions = sorted({one["version"] for one in outputs if one["verdict"] == verdict}, key=version_key)
        lines.append(f"- **{verdict}**: {', '.join(versions) or 'none measured'}")
    for one in outputs:  # Python 3.14+: what os.reload_environ() gave A at the end
        reloaded = [step for step in one["witnesses"][0]["steps"] if step["step"].startswith("os.reload_environ()")]
        if reloaded:
            lines.append(
                f"- **os.reload_environ()** ({one['version']}, `{where(one)[0]}`): after it, A reads "
                f"`{reloaded[-1]['value']}`, B's later write: it re-reads the C environment, whoever wrote it"
            )
    return "\n".join(rows) + "\n\n" + "\n".join(lines) + "\n"


def dotted(numbers):
    return ".".join(str(number) for number in numbers)


def witness_name(title):
    """'the embedding probe (...)' -> 'embedding probe'; the standard library's API -> its name."""
    if title.startswith("the embedding probe"):
        return "embedding probe"
    return title.split(", ", 1)[-1].split("(")[0].removesuffix(".create")


def falls(version, verdict):
    """Lines saying where `version` falls in the stored table, and whether its verdict agrees."""
    minor = version_key(version)[:2]
    same = [one for one in measured() if version_key(one["version"])[:2] == minor]
    table = "The lab's version table (docs/mechanism.md)"
    if not measured():
        return [f"{table} has no rows yet: scripts/measure-root-cause.sh writes them."]
    if not same:
        known = sorted({dotted(version_key(one["version"])[:2]) for one in measured()}, key=version_key)
        return [f"{table} has no Python {dotted(minor)} row; it has {', '.join(known)}."]
    rows = ", ".join(f"{one['version']} ({where(one)[0]}): {one['verdict']}" for one in same)
    agrees = all(one["verdict"] == verdict for one in same)
    return [f"{table}, Python {dotted(minor)}: {rows}; " + ("this run agrees." if agrees else "this run DIFFERS.")]


def verdict_of(text):
    """(verdict, version) of a root-cause output's verdict line, or None."""
    for line in text.splitlines():
        found = VERDICT_LINE.match(line)
        if found:
            return found[1], found[2]
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m loadtest.pythons", description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", action="store_true", help="print the version table (markdown)")
    args = parser.parse_args(argv)
    if not args.table:
        parser.error("say --table (make root-cause runs a probe: python -m loadtest root-cause)")
    print(table(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
