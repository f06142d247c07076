"""SCENARIO=twelve-factor's witnesses, for the referee: where each request's row really landed,
read from PostgreSQL itself after the run (never from the app's answer), PostgreSQL's own log
of who connected to which database, and whose key really signed each answer, checked against
each app's SECRET_KEY from the lab's .env.

Each app has its own database, named for it (postgres/entrypoint.sh), and every POST /enqueue/
writes one row into the database its interpreter's settings name (apps/labcore/views.py:
write_row). PostgreSQL fills three columns of each row itself: the role that wrote it
(written_by), the connection's application_name, and when.

    python -m loadtest.database REPORT.json [--compose COMMAND]
prints, per Host app, where the run's rows landed and whose key signed the answers.
"""

import argparse
import base64
import csv
import hashlib
import hmac
import io
import json
import re
import shlex
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from loadtest.lab import APPS, UsageError, settings

TABLE = "lab_received_requests"
# What every answer's signed_request_id is signed with: django.core.signing.Signer(salt=...)
# and the SECRET_KEY of the interpreter's settings (apps/labcore/views.py: SIGNING_SALT).
SIGNING_SALT = "lab.enqueue"
# Django signs with SHA-256 since 3.1; Django 1.11 (the bullseye stack's) with SHA-1.
SIGNING_ALGORITHMS = ("sha256", "sha1")
# Each app's SECRET_KEY in the lab's .env (scripts/ensure-env.sh), written into its own .env.
SECRET_KEY_NAMES = {app: f"{app.upper()}_SECRET_KEY" for app in APPS}
ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")  # a run_id, as apps/labcore/views.py accepts it
QUERY = f"""SELECT request_id, host_app, served_by, written_by, application_name
FROM {TABLE} WHERE run_id = :'run_id' ORDER BY id;"""


@dataclass(frozen=True)
class Row:
    """One row as PostgreSQL holds it: the database it is in, what the app wrote (the request,
    its Host's app, the app whose settings served it), and what PostgreSQL recorded itself."""

    database: str
    request_id: str
    host_app: str
    served_by: str
    written_by: str
    application_name: str


# ---- where the rows landed ----------------------------------------------------------------
def psql_command(compose_command, database, run_id):
    """The command that asks `database` for the run's rows (QUERY, on its standard input) as
    PostgreSQL's admin: `psql` inside the postgres container as its user postgres (peer
    authentication: no password), the run_id as a psql variable (quoted by psql), CSV out."""
    return [
        *shlex.split(compose_command), "--profile", "postgres", "exec", "-T", "postgres",
        "psql", "-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1", "-v", f"run_id={run_id}", "-d", database,
    ]  # fmt: skip


def parse_rows(database, text):
    """The rows of one database from psql's CSV output (a header line, then one line each)."""
    records = list(csv.DictReader(io.StringIO(text)))
    return [Row(database=database, **{name: record[name] for name in Row.__dataclass_fields__ if name != "database"})
            for record in records]  # fmt: skip


def read_rows(compose_command, run_id, databases=APPS):
    """Every row of the run, from each app's database (PostgreSQL's own record). Raises
    UsageError when PostgreSQL cannot be asked."""
    if not ID.match(run_id):
        raise UsageError(f"not a run id: {run_id!r}")
    rows = []
    for database in databases:
        command = psql_command(compose_command, database, run_id)
        try:
            completed = subprocess.run(command, input=QUERY, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UsageError(f"cannot ask PostgreSQL for database {database} ({type(exc).__name__})") from None
        if completed.returncode != 0:
            raise UsageError(f"cannot ask PostgreSQL for database {database}: {completed.stderr.strip()[-300:]}")
        rows += parse_rows(database, completed.stdout)
    return rows


def where_rows_landed(rows):
    """{request_id: [database, ...]}: each request's rows, by database (one, normally; a
    request whose row is in both databases was written twice)."""
    landed = {}
    for row in rows:
        landed.setdefault(row.request_id, []).append(row.database)
    return landed


def rows_by_request(compose_command, run_id):
    """{request_id: database}, read from PostgreSQL after the run. A request written twice
    maps to its databases joined by '+' (e.g. 'app1+app2')."""
    return {
        request_id: "+".join(sorted(databases))
        for request_id, databases in where_rows_landed(read_rows(compose_command, run_id)).items()
    }


# ---- whose key signed an answer -----------------------------------------------------------
def signature(value, key, algorithm):
    """What django.core.signing.Signer(key=key, salt=SIGNING_SALT, algorithm=algorithm)
    appends to `value` (django/core/signing.py: base64_hmac; django/utils/crypto.py:
    salted_hmac), computed here so that the referee needs no Django."""
    derived = hashlib.new(algorithm, (SIGNING_SALT + "signer" + key).encode()).digest()
    digest = hmac.new(derived, value.encode(), algorithm).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def unsigned(signed):
    """The value part of 'value:signature' (None when there is no signature)."""
    value, separator, _ = (signed or "").rpartition(":")
    return value if separator else None


def signer_of(signed, keys):
    """The app whose key signed `signed` ('value:signature'), or None when no key of `keys`
    ({app: SECRET_KEY}) did."""
    value, separator, given = (signed or "").rpartition(":")
    if not separator:
        return None
    for app, key in keys.items():
        for algorithm in SIGNING_ALGORITHMS:
            if hmac.compare_digest(signature(value, key, algorithm), given):
                return app
    return None


def secret_keys(known=None):
    """{app: SECRET_KEY} from the lab's settings (.env, the environment winning); raises
    UsageError when one is missing."""
    known = settings() if known is None else known
    missing = [name for name in SECRET_KEY_NAMES.values() if not known.get(name)]
    if missing:
        raise UsageError(f"{', '.join(missing)} missing from .env: run make env")
    return {app: known[name] for app, name in SECRET_KEY_NAMES.items()}


# ---- PostgreSQL's refusals ----------------------------------------------------------------
# What PostgreSQL answers a role that asks for a database it may not connect to: pg_hba.conf
# refuses first (postgres/pg_hba.conf); the revoked CONNECT privilege, second.
REFUSALS = (
    re.compile(r'no pg_hba\.conf entry for host "[^"]*", user "(?P<user>[^"]+)", database "(?P<database>[^"]+)"'),
    re.compile(r'permission denied for database "(?P<database>[^"]+)"'),
    re.compile(r'password authentication failed for user "(?P<user>[^"]+)"'),
)


def refusal(text):
    """PostgreSQL's refusal in an error text (an answer's `error`, a log line), as
    {"user", "database", "message"} with what it names (None where it names nothing), or None."""
    for pattern in REFUSALS:
        match = pattern.search(text or "")
        if match:
            found = match.groupdict()
            return {"user": found.get("user"), "database": found.get("database"), "message": match.group(0)}
    return None


# One line of the server's log (postgres/lab.conf: log_line_prefix '%m [%p] %q%u@%d ').
LOG_LINE = re.compile(r"\[(?P<pid>\d+)\] (?P<user>\S+)@(?P<database>\S+) (?P<level>[A-Z]+):  (?P<message>.*)")
AUTHORIZED = re.compile(r"connection authorized: user=(?P<user>\S+) database=(?P<database>\S+)"
                        r"(?: application_name=(?P<application_name>.*))?")  # fmt: skip


def connection_log(text):
    """The server's own record of each connection from its log (log_connections): a list of
    {"pid", "user", "database", "outcome": "authorized" | "refused", "application_name",
    "message"}, in order."""
    entries = []
    for line in text.splitlines():
        match = LOG_LINE.search(line)
        if not match:
            continue
        message = match["message"]
        authorized = AUTHORIZED.match(message)
        refused = refusal(message) if match["level"] == "FATAL" else None
        if authorized:
            outcome, user, database = "authorized", authorized["user"], authorized["database"]
        elif refused:
            outcome, user, database = "refused", match["user"], match["database"]
        else:
            continue
        entries.append(
            {
                "pid": int(match["pid"]),
                "user": user,
                "database": database,
                "outcome": outcome,
                "application_name": authorized["application_name"] if authorized else None,
                "message": message,
            }
        )
    return entries


# ---- what a run shows ---------------------------------------------------------------------
def tally(results, landed, keys):
    """Per Host app, what PostgreSQL and the keys say of the run's requests: where each row
    landed (own, other app's database, both, refused with PostgreSQL's error in the answer, or
    no row), and whose key signed each answer's request_id (own, other app's, neither, or no
    signed value). `results`: the load test's records; `landed`: where_rows_landed()."""
    table = {app: Counter() for app in APPS}
    for result in results:
        app, response = result["app"], result.get("response") or {}
        databases = landed.get(result["request_id"], [])
        if len(databases) > 1:
            table[app]["rows_in_both"] += 1
        elif databases:
            table[app]["rows_own" if databases[0] == app else "rows_other"] += 1
        elif refusal(result.get("error")):
            table[app]["rows_refused"] += 1
        else:
            table[app]["rows_none"] += 1
        signed = response.get("signed_request_id")
        if not signed:
            table[app]["signed_none"] += 1
            continue
        signer = signer_of(signed, keys) if unsigned(signed) == result["request_id"] else None
        table[app]["signed_own" if signer == app else "signed_neither" if signer is None else "signed_other"] += 1
    return table


COLUMNS = ("rows_own", "rows_other", "rows_in_both", "rows_refused", "rows_none",
           "signed_own", "signed_other", "signed_neither", "signed_none")  # fmt: skip


def format_tally(table):
    """The tally as a small text table, one line per Host app and a total."""
    total = sum(table.values(), Counter())
    lines = ["app   " + "  ".join(f"{column:>14}" for column in COLUMNS)]
    for name, counts in [*table.items(), ("total", total)]:
        lines.append(f"{name:<6}" + "  ".join(f"{counts[column]:>14}" for column in COLUMNS))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m loadtest.database", description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="a run's JSON report (reports/*.json)")
    parser.add_argument("--compose", default="docker compose", help="the lab's Compose command (docker compose)")
    args = parser.parse_args(argv)
    try:
        document = json.loads(args.report.read_text())
        rows = read_rows(args.compose, document["run_id"])
        keys = secret_keys()
    except (OSError, ValueError, KeyError) as exc:
        print(f"loadtest.database: cannot read {args.report}: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"loadtest.database: {exc}", file=sys.stderr)
        return 2
    landed = where_rows_landed(rows)
    print(f"run {document['run_id']} ({document['stack']}, {document['code']}, fix {document.get('fix') or '-'}):")
    print(format_tally(tally(document["results"], landed, keys)))
    by_role = Counter((row.database, row.host_app, row.written_by, row.application_name) for row in rows)
    print("rows by (database, Host app, role that wrote it, application_name):")
    for (database, host_app, role, name), count in sorted(by_role.items()):
        print(f"  {database}  Host {host_app}  role {role}  application_name {name or '-'}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
