"""loadtest/database.py: SCENARIO=twelve-factor's witnesses, on fixed inputs. The signatures are
made by Django's own django.core.signing (the version of requirements/dev.txt), with SHA-256 as
Django 3.1+ signs and with SHA-1 as Django 1.11 (the bullseye stack's) does; the log lines and
the refusal are PostgreSQL's and psycopg's own words, as the lab's trixie stack printed them."""

import subprocess
import sys
import textwrap

import pytest
from django.core import signing

from loadtest import database
from loadtest.lab import UsageError

KEYS = {"app1": "1" * 64, "app2": "2" * 64}
# psycopg 3.3.9's error for app1's role asking for app2's database (PostgreSQL 17, trixie).
REFUSED = (
    'connection failed: connection to server at "172.20.0.2", port 5432 failed: FATAL:  no pg_hba.conf entry for '
    'host "172.20.0.7", user "app1", database "app2", no encryption'
)
LOG = """\
2026-12-02 08:00:08.067 UTC [193] [unknown]@[unknown] LOG:  connection received: host=172.20.0.7 port=33012
2026-12-02 08:00:08.089 UTC [193] app2@app2 LOG:  connection authenticated: identity="app2" method=scram-sha-256 (/etc/postgresql/pg_hba.conf:8)
2026-12-02 08:00:08.089 UTC [193] app2@app2 LOG:  connection authorized: user=app2 database=app2
2026-12-02 08:10:44.050 UTC [3227] postgres@app1 LOG:  connection authorized: user=postgres database=app1 application_name=psql
2026-12-02 08:10:48.706 UTC [3250] [unknown]@[unknown] LOG:  connection received: host=172.20.0.7 port=48294
2026-12-02 08:10:48.708 UTC [3250] app1@app2 FATAL:  no pg_hba.conf entry for host "172.20.0.7", user "app1", database "app2", no encryption
2026-12-02 08:11:00.001 UTC [3300] app2@app1 FATAL:  permission denied for database "app1"
2026-12-02 08:11:00.001 UTC [3300] app2@app1 DETAIL:  User does not have CONNECT privilege.
"""  # noqa: E501


def django_signed(value, key, algorithm="sha256"):
    return signing.Signer(key=key, salt=database.SIGNING_SALT, algorithm=algorithm, fallback_keys=[]).sign(value)


@pytest.mark.parametrize("algorithm", database.SIGNING_ALGORITHMS)
def test_the_signature_is_djangos(algorithm):
    value = "0123abcd-17"
    expected = django_signed(value, KEYS["app1"], algorithm).rpartition(":")[2]
    assert database.signature(value, KEYS["app1"], algorithm) == expected


@pytest.mark.parametrize("algorithm", database.SIGNING_ALGORITHMS)
def test_signer_of_names_the_app_whose_key_signed(algorithm):
    for app, key in KEYS.items():
        assert database.signer_of(django_signed("run-1", key, algorithm), KEYS) == app


def test_signer_of_says_none_when_no_key_signed():
    assert database.signer_of(django_signed("run-1", "3" * 64), KEYS) is None
    signed = django_signed("run-1", KEYS["app1"])
    assert database.signer_of("run-2" + signed[len("run-1") :], KEYS) is None  # another value, same signature
    assert database.signer_of(signed[:-1] + ("A" if signed[-1] != "A" else "B"), KEYS) is None
    for nothing in ("run-1", "", None):
        assert database.signer_of(nothing, KEYS) is None


def test_unsigned_is_the_value_part():
    assert database.unsigned(django_signed("run-1", KEYS["app2"])) == "run-1"
    assert database.unsigned("no signature") is None


def test_secret_keys_come_from_the_lab_settings():
    assert database.secret_keys({"APP1_SECRET_KEY": "a", "APP2_SECRET_KEY": "b"}) == {"app1": "a", "app2": "b"}
    with pytest.raises(UsageError, match="APP2_SECRET_KEY missing from .env"):
        database.secret_keys({"APP1_SECRET_KEY": "a"})


def test_refusal_reads_postgresqls_words():
    assert database.refusal(REFUSED) == {
        "user": "app1",
        "database": "app2",
        "message": 'no pg_hba.conf entry for host "172.20.0.7", user "app1", database "app2"',
    }
    assert database.refusal('FATAL:  permission denied for database "app1"')["database"] == "app1"
    assert database.refusal('password authentication failed for user "app2"')["user"] == "app2"
    for other in ("Couldn't log in: server connection error 403", "", None):
        assert database.refusal(other) is None


def test_connection_log_keeps_what_the_server_decided():
    entries = database.connection_log(LOG)
    assert [(entry["pid"], entry["user"], entry["database"], entry["outcome"]) for entry in entries] == [
        (193, "app2", "app2", "authorized"),
        (3227, "postgres", "app1", "authorized"),
        (3250, "app1", "app2", "refused"),
        (3300, "app2", "app1", "refused"),
    ]
    assert [entry["application_name"] for entry in entries] == [None, "psql", None, None]
    assert entries[2]["message"].startswith("no pg_hba.conf entry")


def test_parse_rows_reads_psqls_csv():
    text = textwrap.dedent(
        """\
        request_id,host_app,served_by,written_by,application_name
        r-1,app2,app2,app1,app1
        r-2,app1,app1,app1,""
        """
    )
    assert database.parse_rows("app1", text) == [
        database.Row("app1", "r-1", "app2", "app2", "app1", "app1"),
        database.Row("app1", "r-2", "app1", "app1", "app1", ""),
    ]
    assert database.parse_rows("app2", "request_id,host_app,served_by,written_by,application_name\n") == []


@pytest.fixture
def fake_compose(tmp_path):
    """A stand-in for `docker compose` (a real program, run as read_rows runs Compose): it
    checks the psql command line and the query, then prints the rows of the database asked
    for, as psql --csv does."""
    script = tmp_path / "compose"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import sys
            args = sys.argv[1:]
            assert args[:5] == ["--profile", "postgres", "exec", "-T", "postgres"], args
            assert "-v" in args and "run_id=run7" in args and "--csv" in args, args
            assert ":'run_id'" in sys.stdin.read()
            database = args[args.index("-d") + 1]
            print("request_id,host_app,served_by,written_by,application_name")
            print({{"app1": "run7-0,app1,app1,app1,app1\\nrun7-1,app2,app2,app1,app1",
                    "app2": "run7-2,app2,app2,app2,\\nrun7-1,app2,app2,app2,"}}[database])
            """
        )
    )
    script.chmod(0o755)
    return program(script)


def program(script):
    """Compose as loadtest.compose.Lab.compose runs it: the arguments, the standard input."""
    return lambda *args, stdin=None: subprocess.run([str(script), *args], input=stdin, capture_output=True, text=True)


def test_rows_by_request_asks_each_database(fake_compose):
    rows = database.read_rows(fake_compose, "run7")
    assert [(row.database, row.request_id, row.written_by) for row in rows] == [
        ("app1", "run7-0", "app1"),
        ("app1", "run7-1", "app1"),
        ("app2", "run7-2", "app2"),
        ("app2", "run7-1", "app2"),
    ]
    assert database.rows_by_request(fake_compose, "run7") == {"run7-0": "app1", "run7-1": "app1+app2", "run7-2": "app2"}


def test_read_rows_refuses_a_bad_run_id_and_says_why_postgresql_did_not_answer(tmp_path):
    with pytest.raises(UsageError, match="not a run id"):
        database.read_rows(program("/bin/false"), "x'; DROP TABLE lab_received_requests; --")
    failing = tmp_path / "compose"
    failing.write_text("#!/bin/sh\necho 'service \"postgres\" is not running' >&2\nexit 1\n")
    failing.chmod(0o755)
    with pytest.raises(UsageError, match='database app1: service "postgres" is not running'):
        database.read_rows(program(failing), "run7")


def result(request_id, app, signed=None, error=None):
    response = {"signed_request_id": signed} if signed else {}
    return {"request_id": request_id, "app": app, "response": response, "error": error}
