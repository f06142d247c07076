"""The history's records reader: only this run's lines, each once, never half a line; the
workers' receipts and the broker's records apart."""

import json

import pytest

from loadtest import history
from loadtest.history import Records
from loadtest.lab import UsageError


def line(run_id, request_id, vhost="app1"):
    receipt = {"run_id": run_id, "request_id": request_id, "worker_vhost": vhost, "worker_app": vhost,
               "received_at": 1.0, "task_id": "t"}  # fmt: skip
    return (json.dumps(receipt) + "\n").encode()


def traced(run_id, request_id, vhost="app1"):
    record = {"witness": "broker", "run_id": run_id, "request_id": request_id, "vhost": vhost, "user": vhost, "at": 1.0,
              "routed_queues": ["celery"]}  # fmt: skip
    return (json.dumps(record) + "\n").encode()


def test_reads_only_what_was_appended_for_this_run(tmp_path):
    receipts = tmp_path / "app1.jsonl"
    receipts.write_bytes(line("old", "old-1"))  # an earlier run's receipt
    records = Records(tmp_path, "run")
    with receipts.open("ab") as out:
        out.write(line("run", "run-1") + line("other", "other-1"))
    assert [r.request_id for r in records.poll().receipts] == ["run-1"]
    (tmp_path / "app2.jsonl").write_bytes(line("run", "run-2", "app2"))
    assert [r.request_id for r in records.poll().receipts] == ["run-1", "run-2"]


def test_the_brokers_records_are_kept_apart_from_the_receipts(tmp_path):
    records = Records(tmp_path, "run")
    (tmp_path / "broker.jsonl").write_bytes(traced("run", "run-1") + traced("other", "other-1"))
    (tmp_path / "app1.jsonl").write_bytes(line("run", "run-1"))
    records.poll()
    assert [t.request_id for t in records.traces] == ["run-1"]
    assert [r.request_id for r in records.receipts] == ["run-1"]


def test_a_half_written_line_waits_for_the_next_poll(tmp_path):
    receipts = tmp_path / "app1.jsonl"
    receipts.write_bytes(b"")
    records = Records(tmp_path, "run")
    whole = line("run", "run-1")
    receipts.write_bytes(whole[:10])  # the worker is still writing
    assert not records.poll().receipts
    receipts.write_bytes(whole)
    assert [r.request_id for r in records.poll().receipts] == ["run-1"]
    assert [r.request_id for r in records.poll().receipts] == ["run-1"]  # read once, not twice


def test_a_missing_receipts_directory_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        Records(tmp_path / "missing", "run")


APACHE_LOG_WITH_A_TRACEBACK = """\
[2026-12-02 07:58:58.890868] [wsgi:error] [pid 55:tid 1404] mod_wsgi (pid=55): Failed to exec Python script file '/srv/apache/dispatch.wsgi'.
[2026-12-02 07:58:59.019958] [wsgi:error] [pid 55:tid 1404] Traceback (most recent call last):
[2026-12-02 07:58:59.039518] [wsgi:error] [pid 55:tid 1404]   File "/srv/apache/dispatch.wsgi", line 55, in <module>
[2026-12-02 07:58:59.039518] [wsgi:error] [pid 56:tid 1405] Traceback (most recent call last):
[2026-12-02 07:58:59.040475] [wsgi:error] [pid 55:tid 1404]     entry = load_file(PROJECT + "_wsgi", path)
[2026-12-02 07:58:59.040592] [wsgi:error] [pid 55:tid 1404]   File "/srv/workspace/app1_wsgi.py", line 3, in <module>
[2026-12-02 07:58:59.040606] [wsgi:error] [pid 55:tid 1404]     import not_a_module_of_anyone
[2026-12-02 07:58:59.040606] [wsgi:info] [pid 55:tid 1404] mod_wsgi (pid=55): Create interpreter 'app2'.
[2026-12-02 07:58:59.040875] [wsgi:error] [pid 55:tid 1404] ModuleNotFoundError: No module named 'not_a_module_of_anyone'
[2026-12-02 07:58:59.041518] [wsgi:error] [pid 56:tid 1405]   File "/srv/fixes/right/app2_wsgi.py", line 9, in <module>
[2026-12-02 07:58:59.041518] [wsgi:error] [pid 56:tid 1405] NameError: name 'x' is not defined
"""  # noqa: E501


def test_python_tracebacks_in_apaches_log_name_the_lab_file_as_the_repository_has_it():
    found = history.python_tracebacks(APACHE_LOG_WITH_A_TRACEBACK)
    assert [(t.pid, t.exception, t.where) for t in found] == [
        (
            55,
            "ModuleNotFoundError: No module named 'not_a_module_of_anyone'",
            "workshop/workspace/app1_wsgi.py, line 3",
        ),
        (56, "NameError: name 'x' is not defined", "workshop/fixes/right/app2_wsgi.py, line 9"),
    ]
    assert found[0].lines[0] == "Traceback (most recent call last):" and len(found[0].lines) == 6


def test_envleak_lines_are_read_from_apaches_log():
    log = (
        "[2026-12-02 08:01:15.123456] [wsgi:error] [pid 55:tid 140] envleak: pid 55 interpreter 'two': "
        "DATABASE_URL=postgres://one:***@db/one LEAKED: another interpreter of this process set it\n"
        "[2026-12-02 08:01:15.2] [wsgi:error] [pid 56:tid 141] envleak: pid 56 interpreter '': my_var2=x LEAKED: ...\n"
        "[2026-12-02 08:01:15.3] [wsgi:info] [pid 56:tid 141] mod_wsgi (pid=56): Create interpreter 'two'.\n"
    )
    assert [(f.pid, f.group, f.variable) for f in history.envleak_lines(log)] == [
        (55, "two", "DATABASE_URL"),
        (56, "", "my_var2"),
    ]
    assert history.envleak_lines(log)[0].finding.startswith("postgres://one:***@db/one LEAKED: ")
    assert [f.code for f in history.envleak_lines(log)] == [None, None]  # envleak 0.2's lines: no code


def test_envleak_lines_give_the_finding_code_and_keep_the_finding_as_before():
    log = (
        "[2026-12-02 08:01:15.123456] [wsgi:error] [pid 55:tid 140] envleak: pid 55 interpreter 'two': "
        "DATABASE_URL=postgres://one:***@db/one EL101 LEAKED: another interpreter of this process set it\n"
        "[2026-12-02 08:01:15.2] [wsgi:error] [pid 56:tid 141] envleak: pid 56 interpreter 'app2': "
        "CELERY_CONFIG_MODULE=app1.celeryconfig EL103 LEAKED: another interpreter wrote it after this one set x\n"
        "[2026-12-02 08:01:15.3] [wsgi:error] [pid 56:tid 141] envleak: pid 56 interpreter 'app2': EL100 recording "
        "started at wrap()\n"
    )
    found = history.envleak_lines(log)
    assert [(f.pid, f.variable, f.code) for f in found] == [
        (55, "DATABASE_URL", "EL101"),
        (56, "CELERY_CONFIG_MODULE", "EL103"),
    ]
    assert found[0].finding == "postgres://one:***@db/one LEAKED: another interpreter of this process set it"
