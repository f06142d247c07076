"""SCENARIO=twelve-factor's witnesses, for the referee: where each request's row really landed,
read from PostgreSQL itself after the run (never from the app's answer), PostgreSQL's own log
of who connected to which database, and whose key really signed each answer, checked against
each app's SECRET_KEY from the lab's .env.

Each app has its own database, named for it (postgres/entrypoint.sh), and every POST /enqueue/
writes one row into the database its interpreter's settings name (apps/labcore/views.py:
write_row). PostgreSQL fills three columns of each row itself: the role that wrote it
(written_by), the connection's application_name, and when.
The referee (loadtest.cli: observe) reads both for every run of those scenarios and the
checker counts them (loadtest.checker: row_outcome, signature_outcome).
"""

import base64
import csv
import hashlib
import hmac
import io
import re
import subprocess
from dataclasses import dataclass

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
def psql_args(database, run_id):
    """The Compose arguments that ask `database` for the run's rows (QUERY, on psql's standard
    input) as PostgreSQL's admin: `psql` inside the postgres container as its user postgres
    (peer authentication: no password), the run_id as a psql variable (quoted by psql), CSV out."""
    return [
        "--profile", "postgres", "exec", "-T", "postgres",
        "psql", "-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1", "-v", f"run_id={run_id}", "-d", database,
    ]  # fmt: skip


def parse_rows(database, text):
    """The rows of one database from psql's CSV output (a header line, then one line each)."""
    records = list(csv.DictReader(io.StringIO(text)))
    return [Row(database=database, **{name: record[name] for name in Row.__dataclass_fields__ if name != "database"})
            for record in records]  # fmt: skip


def read_rows(compose, run_id, databases=APPS):
    """Every row of the run, from each app's database (PostgreSQL's own record). `compose`
    runs Compose on the lab's project: compose(*args, stdin=text) -> a completed process
    (loadtest.compose.Lab.compose). Raises UsageError when PostgreSQL cannot be asked."""
    if not ID.match(run_id):
        raise UsageError(f"not a run id: {run_id!r}")
    rows = []
    for database in databases:
        try:
            completed = compose(*psql_args(database, run_id), stdin=QUERY)
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


def rows_by_request(compose, run_id):
    """{request_id: database}, read from PostgreSQL after the run. A request written twice
    maps to its databases joined by '+' (e.g. 'app1+app2')."""
    return {
        request_id: "+".join(sorted(databases))
        for request_id, databases in where_rows_landed(read_rows(compose, run_id)).items()
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
