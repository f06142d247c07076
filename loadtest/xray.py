"""python -m loadtest.xray: ask every interpreter of every Apache child what it sees.

GET /xray/ on both Hosts, each time on a new connection so that every child gets asked, and
print one line per (child pid, application group).
"""

import argparse
import json
import sys

from loadtest import codec, http
from loadtest.lab import HOST_APPS, UsageError, url_of
from loadtest.records import Process, ProcessCost


def collect(url, attempts):
    seen = {}
    for host in HOST_APPS:
        for _ in range(attempts):
            answer = http.request("GET", f"{url}/xray/", host=host, timeout=10).json()
            seen[(answer["pid"], answer["application_group"])] = answer
    return [seen[key] for key in sorted(seen, key=lambda k: (k[0], str(k[1])))]


class Unanswered(Exception):
    """Apache did not say what it runs: the run cannot be checked against what was asked."""


def running(url, asked):
    """What one interpreter of the running Apache reports: the versions (Python, mod_wsgi,
    Apache, Celery, kombu, Django, librabbitmq) and the Apache container's processes, after
    checking that Apache was started with the code, scenario and process model the run's spec
    `asked` for (a UsageError otherwise). Unanswered when /xray/ gives no such answer."""
    try:
        answer = http.request("GET", f"{url}/xray/", host="app1.example.com", timeout=10).json()
    except (http.Failed, ValueError) as exc:
        raise Unanswered(f"GET /xray/ failed ({type(exc).__name__}), so nothing says which code Apache ran") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("started_with"), dict):
        raise Unanswered("GET /xray/ did not say which code Apache was started with")
    for name, value in answer["started_with"].items():
        wanted = getattr(asked, name)
        if value != wanted:
            raise UsageError(f"Apache runs {name} {value!r}, not {wanted!r}; start it with make up")
    processes = tuple(codec.from_data(Process, process) for process in answer.get("apache_processes") or [])
    return answer.get("versions") or {}, processes


def process_cost(processes):
    """What the Apache container's processes cost: how many, their resident memory (RSS, in
    MiB; shared pages counted in each process) and how many are mod_wsgi daemon processes."""
    return ProcessCost(
        processes=len(processes),
        rss_mib=round(sum(process.rss_kib for process in processes) / 1024),
        daemon_processes=sum(process.command.startswith("(wsgi:") for process in processes),
    )


def short(module):
    return module or "-"


def format_rows(rows):
    header = (
        f"{'pid':<6}{'application group':<25}{'app':<6}{'CELERY_CONFIG_MODULE: inherited':<36}"
        f"{'os.environ now':<20}{'C getenv() now':<20}Celery app -> broker"
    )
    lines = [header]
    for row in rows:
        name = "CELERY_CONFIG_MODULE"
        broker = row["broker"]
        lines.append(
            f"{row['pid']:<6}{row['application_group']:<25}{row['served_by']:<6}"
            f"{short(row['interpreter']['inherited'].get(name)):<36}{short(row['os_environ'][name]):<20}"
            f"{short(row['c_environ'][name]):<20}{broker['celery_app']!r} -> {broker['user']}@{broker['vhost']}"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m loadtest.xray", description=__doc__)
    parser.add_argument("--url", default=url_of("LAB_HTTP_PORT"), help="Apache's address ($LAB_HTTP_PORT, .env)")
    parser.add_argument("--attempts", type=int, default=12, help="requests per Host (12)")
    parser.add_argument("--json", action="store_true", help="print the answers as JSON (for docs/runs/)")
    args = parser.parse_args(argv)
    try:
        rows = collect(args.url.rstrip("/"), args.attempts)
    except (http.Failed, ValueError) as exc:
        print(
            f"xray: cannot reach Apache at {args.url} ({type(exc).__name__}); is the lab up? (make up)", file=sys.stderr
        )
        return 2
    print(json.dumps(rows, indent=1, sort_keys=True) if args.json else format_rows(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
