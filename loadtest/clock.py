"""SCENARIO=time-zone: what each app's answers say of its clock. Each app's settings ask for a
zone of its own (app1 Asia/Tokyo, app2 America/Los_Angeles); Django writes it into the process
environment (TZ) and calls time.tzset(), and the C library's zone is one per process. Every
answer carries the C library's local time zone and offset now (time.localtime()) beside
Django's (aware, from the app's own TIME_ZONE: apps/labcore/views.py, clock()).

    python -m loadtest.clock REPORT.json
prints, per Host app and Apache child, the zones the answers showed and how many showed the C
library's clock in another zone than the app's own.
"""

import argparse
import json
import sys
from collections import Counter
from pathlib import Path


def clocks(results):
    """(result, clock) for every answer that carries a clock."""
    for result in results:
        clock = (result.get("response") or {}).get("clock")
        if clock:
            yield result, clock


def tally(results):
    """Per Host app: answers with a clock, how many showed the C library's local time in
    another offset than Django's for the app's own zone ('foreign'), and the zones seen as
    {(C library's zone, Django's zone): count}."""
    table = {}
    for result, clock in clocks(results):
        row = table.setdefault(result["app"], {"answers": 0, "foreign": 0, "zones": Counter()})
        row["answers"] += 1
        row["foreign"] += clock["localtime_offset"] != clock["django_offset"]
        row["zones"][(clock["localtime_zone"], clock["django_zone"])] += 1
    return table


def by_interpreter(results):
    """{(pid, Host app): Counter of the C library's zone}, in order of first answer: which
    zone each interpreter's time.localtime() showed."""
    seen = {}
    for result, clock in sorted(clocks(results), key=lambda pair: pair[0].get("answered_at") or 0):
        key = (result["response"].get("pid"), result["app"])
        seen.setdefault(key, Counter())[clock["localtime_zone"]] += 1
    return seen


def format_tally(results):
    lines = []
    for app, row in sorted(tally(results).items()):
        zones = ", ".join(f"C library {c} / Django {d} x{n}" for (c, d), n in sorted(row["zones"].items()))
        lines.append(f"{app}: {row['answers']} answers, {row['foreign']} in another zone than its own: {zones}")
    for (pid, app), zones in by_interpreter(results).items():
        lines.append(f"  pid {pid} {app}: " + ", ".join(f"{zone} x{count}" for zone, count in zones.items()))
    return "\n".join(lines) or "no answer carries a clock (SCENARIO=time-zone only)"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m loadtest.clock", description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="a run's JSON report (reports/*.json)")
    args = parser.parse_args(argv)
    try:
        document = json.loads(args.report.read_text())
        results = document["results"]
    except (OSError, ValueError, KeyError) as exc:
        print(f"loadtest.clock: cannot read {args.report}: {exc}", file=sys.stderr)
        return 2
    print(f"run {document['run_id']} ({document['stack']}, {document['code']}, {document['process_model']}):")
    print(format_tally(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
