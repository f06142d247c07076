"""The docs' citations, checked against the tree (part of `make lint`): every file:line
citation is refused (cite names), every cited repository path, make target, knob and knob
value, and test name must exist, and every figure in prose (a number with a unit of time, size
or ratio, a count "N of M" or "N/M", or a duration in words) must be held by a measured file
(docs/measured/), a stored run (docs/runs/) or a generated section; a line that states a
setting rather than a measurement says so: <!-- check_docs: a setting, not a measurement -->.
A line that cites one stored run (docs/runs/NAME.json) and says a verdict must say that run's.
"Python 3" alone is refused too: up to 3.8 every sub-interpreter shares one os.environ, from
3.9 each copies it (make root-cause), so a claim names the versions it holds for.

    python -m loadtest.tools.check_docs [ROOT]      prints one line per problem; exit 1 if any

What it reads: README.md, docs/*.md and workshop/exercises.yml. A path is cited when it is a
Markdown link target or a `code span` starting with one of the repository's own top-level
entries; paths with a placeholder (<stack>, appN, *) and generated places (reports/, var/,
wheelhouse/, dist/) are not checked. A measurement a command writes (docs/measured/) may be
missing only where the same document shows it in a generated section, which then says
"Not measured yet".
"""

import re
import sys
from pathlib import Path

FILE_LINE = re.compile(r"(?<![\w/])(Makefile|[\w./-]+\.(?:py|sh|mk|yml|yaml|conf|wsgi|md|j2|toml|txt|json)):(\d+)\b")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
MAKE_COMMAND = re.compile(r"^make ([a-z][a-z0-9-]*)((?: [A-Z_]+=\S*)*)")
TEST_NAME = re.compile(r"\btest_[a-z0-9_]+\b")
# A figure: a number and its unit, a count (N of M, N/M), or a duration in words.
UNITS = r"ms|µs|s|seconds?|minutes?|min|h|hours?|MiB|MB|GB|KiB|KB|GiB|%|×|x|req/s"
FIGURE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s?(" + UNITS + r")(?![\w/])|(?<![\w./])(\d+)\s?(?:/|of|out of)\s?(\d+)(?![\w.])"
    r"|\b(one|two|three|four|five|six|ten|fifteen|twenty|thirty|forty|fifty|sixty|ninety)[ -](hours?|minutes?)\b",
    re.IGNORECASE,
)
SAME_UNIT = {"seconds": "s", "second": "s", "×": "x", "minutes": "min", "minute": "min", "hours": "h", "hour": "h"}
# "Python 3" with no minor version after it: a claim that is false for 3.0 to 3.8 or for 3.9 on.
PYTHON_3_ALONE = re.compile(r"\bPython 3\b(?!\.\d)")
GENERATED_SECTION = re.compile(r"<!-- generated: .+? -->\n.*?<!-- end generated -->", re.DOTALL)
A_SETTING = "check_docs: a setting, not a measurement"
# A verdict in prose, and a stored run cited on the same line: the one must be the other's.
VERDICT = re.compile(r"\b(NOT REPRODUCED|REPRODUCED|NOT FIXED|FIXED|ISOLATED|INCONCLUSIVE)\b")
STORED_RUN = re.compile(r"(?<![\w/])(?:docs/)?runs/([\w-]+)\.json")


def stored_verdicts(root):
    """{run name: its verdict as the terminal says it ('NOT FIXED')} of every stored run."""
    import json

    found = {}
    for path in (root / "docs" / "runs").glob("*.json"):
        stored = json.loads(path.read_text())  # a run's document; xray.json is a list of rows
        verdict = stored.get("checked", {}).get("verdict", {}) if isinstance(stored, dict) else {}
        if verdict.get("kind"):
            found[path.stem] = verdict["kind"].replace("_", " ")
    return found


def prose_lines(text):
    """(line number, line) of each line of `text` outside code blocks and generated sections."""
    prose = GENERATED_SECTION.sub(lambda match: "\n" * match[0].count("\n"), text)
    in_block = False
    for number, line in enumerate(prose.splitlines(), 1):
        if line.lstrip().startswith("```"):
            in_block = not in_block
        elif not in_block:
            yield number, line


def verdicts_against_runs(text, verdicts):
    """(line number, what the line says, the run, its stored verdict) of each prose line (outside
    code blocks and generated sections) that cites a stored run and says another verdict."""
    for number, line in prose_lines(text):
        runs = [run for run in STORED_RUN.findall(line) if run in verdicts]
        said = set(VERDICT.findall(line))
        if len(runs) != 1 or not said:
            continue
        for word in sorted(said - {verdicts[runs[0]]}):
            yield number, word, runs[0], verdicts[runs[0]]


def figures(text):
    """The figures of a text, each as (number, unit) or (count, total)."""
    found = set()
    for match in FIGURE.finditer(text):
        if match[1]:
            found.add((match[1], SAME_UNIT.get(match[2], match[2])))
        elif match[3]:
            found.add((match[3], match[4]))
        else:
            found.add((match[5].lower(), SAME_UNIT.get(match[6].lower(), match[6].lower())))
    return found


def measured_figures(root, documents):
    """Every figure a measured file, a stored run or a generated section holds."""
    held = set()
    for path in [*(root / "docs" / "measured").glob("*"), *(root / "docs" / "runs").glob("*.json")]:
        held |= figures(path.read_text())
    for document in documents:
        for section in GENERATED_SECTION.findall(document.read_text()):
            held |= figures(section)
    return held


def unheld_figures(text, held):
    """(line number, figure, line) of each figure in the prose of `text` (outside code blocks and
    generated sections) that nothing measured holds."""
    for number, line in prose_lines(text):
        if A_SETTING in line:
            continue
        for figure in sorted(figures(re.sub(r"<?https?://\S+", "", line)) - held):
            yield number, figure, line


GENERATED = ("reports/", "var/", "wheelhouse/", "dist/", ".venv/", "workshop/workspace/app")
PLACEHOLDER = re.compile(r"[<>*]|appN|\.\.\.")


def make_targets(root):
    text = (root / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z0-9-]*):", text, re.MULTILINE))


def make_knobs(root):
    """{knob: its choices (a set) or None when any value goes}: every knob with a `## KNOB:`
    help line in choices.mk, the run spec's with their lists (loadtest.spec.KNOBS)."""
    from loadtest import spec

    knobs = dict.fromkeys(re.findall(r"^## ([A-Z][A-Z0-9_]*): ", (root / "choices.mk").read_text(), re.MULTILINE))
    for knob, (_, read, _) in spec.KNOBS.items():
        if hasattr(read, "choices"):
            knobs[knob] = set(read.choices())
    knobs["BUNDLE_PLATFORM"] = knobs["PLATFORM"]
    return knobs


def test_names(root):
    names = set()
    for path in (root / "tests").rglob("*.py"):
        names.add(path.stem)
        names.update(re.findall(r"^\s*def (test_\w+)", path.read_text(), re.MULTILINE))
    return names


def cited_paths(text, top_level):
    for match in LINK.finditer(text):
        yield match[1]
    for match in CODE_SPAN.finditer(text):
        for word in match[1].split():
            if word.split("/")[0] in top_level and ("/" in word or "." in word):
                yield word


def citation_problems(line, document, root, top_level, not_measured):
    """A line's citations of files: a file:line is refused (cite a name), a file must exist."""
    for match in FILE_LINE.finditer(line):
        yield f"cites {match[0]}: cite a name (function, target, directive)"
    for path in cited_paths(line, top_level):
        target = re.sub(r":\d+$", "", path.split("#")[0]).rstrip(".,;:)")
        if not target or "://" in path or path.startswith("#") or PLACEHOLDER.search(target):
            continue
        if target.startswith(GENERATED) or target in not_measured:
            continue
        base = document.parent if path in {m[1] for m in LINK.finditer(line)} else root
        if not (base / target).exists():
            yield f"cites {target}, which does not exist"


def command_problems(commands, targets, knobs, on_purpose):
    """A line's `make` commands: each target exists, each KNOB=value is a knob and one of its values."""
    for match in (m for command in commands for m in MAKE_COMMAND.finditer(command)):
        target, settings = match[1], match[2].split()
        if target not in targets:
            yield f"`make {target}`: no such target"
        for setting in settings:
            name, value = setting.split("=", 1)
            value = value.rstrip("`.,;:)")
            if name not in knobs:
                yield f"{name}=: no such knob"
            elif (
                knobs[name] and value and not PLACEHOLDER.search(value) and value not in knobs[name] and not on_purpose
            ):
                yield f"{name}={value}: not one of {sorted(knobs[name])}"


def check(root):
    root = Path(root)
    documents = [root / "README.md", *sorted((root / "docs").glob("*.md")), root / "workshop" / "exercises.yml"]
    top_level = {path.name for path in root.iterdir()} - {".git"}
    targets, knobs, tests = make_targets(root), make_knobs(root), test_names(root)
    held = measured_figures(root, documents)
    verdicts = stored_verdicts(root)
    problems = []
    for document in documents:
        where = document.relative_to(root)
        for number, line in enumerate(document.read_text().splitlines(), 1):
            if PYTHON_3_ALONE.search(line):
                problems.append(f"{where}:{number}: 'Python 3' alone: name the versions (3.9 and later, 3.0 to 3.8)")
        for number, figure, _line in unheld_figures(document.read_text(), held):
            problems.append(
                f"{where}:{number}: {' '.join(figure)}: no measured file, stored run or generated section holds it"
            )
        for number, word, run, stored in verdicts_against_runs(document.read_text(), verdicts):
            problems.append(
                f"{where}:{number}: says {word} beside docs/runs/{run}.json, whose stored verdict is {stored}"
            )
        in_block = False
        text = document.read_text()
        not_measured = set(re.findall(r"<!-- generated: file (docs/measured/\S+) -->\n\*Not measured yet", text))
        for number, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith("```"):
                in_block = not in_block
                continue
            # Commands are read where commands are written: a code block's line or a code span
            # that starts with `make` (a shell prompt allowed). A line that shows a bad value
            # on purpose says so: <!-- check_docs: bad value on purpose -->.
            spans = [line.strip()] if in_block else CODE_SPAN.findall(line)
            commands = [span.removeprefix("$ ") for span in spans if span.removeprefix("$ ").startswith("make ")]
            on_purpose = "check_docs: bad value on purpose" in line
            found = [*citation_problems(line, document, root, top_level, not_measured),
                     *command_problems(commands, targets, knobs, on_purpose)]  # fmt: skip
            problems += [f"{where}:{number}: {problem}" for problem in found]
            for name in TEST_NAME.findall(line):
                if name not in tests:
                    problems.append(f"{where}:{number}: {name}: no such test")
    return problems


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    problems = check(Path(argv[0]) if argv else Path(__file__).resolve().parents[2])
    for problem in problems:
        print(f"check_docs: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
