"""python -m loadtest.answer FIELD...: the last run's answer, for shell scripts, read from
reports/latest.json (never from the terminal's text): each FIELD is a key of the verdict (kind,
success, line) or of the summary's totals (sent, misrouted, failed, lost, ...), printed on one
line, space separated. Exit 1 with one line when the last run left no report."""

import argparse
import sys
from pathlib import Path

from loadtest import codec, phrasebook
from loadtest.document import latest


def fields(document, names):
    """The values of `names`, from the verdict first, then the totals; KeyError for neither."""
    checked = codec.to_data(document.checked)
    line = phrasebook.verdict_line(document.verdict, document.checked.summary)
    known = {**checked["summary"]["totals"], **checked["verdict"], "line": line}
    return [known[name] for name in names]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m loadtest.answer", description=__doc__)
    parser.add_argument("fields", nargs="+", help="kind, line, success, sent, misrouted, failed, lost, ...")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="the report directory (reports/)")
    args = parser.parse_args(argv)
    document = latest(args.reports)
    if document is None:
        print(f"answer: no report in {args.reports}/: the last run gave no verdict", file=sys.stderr)
        return 1
    try:
        values = fields(document, args.fields)
    except KeyError as exc:
        print(f"answer: no such field: {exc.args[0]}", file=sys.stderr)
        return 2
    print(" ".join(str(value) for value in values))
    return 0


if __name__ == "__main__":
    sys.exit(main())
