"""SERVER=uwsgi without Docker: the spec's field and what it refuses, what the lab is started with,
the servers' table against choices.mk and docker-compose.yml, and uWSGI's log lines as the
timeline reads them."""

import dataclasses
import json
import re

import pytest

from loadtest import history, servers, spec
from loadtest.lab import ROOT, UsageError, app_for_group


def test_the_server_is_one_field_of_the_spec_and_mod_wsgi_by_default():
    assert spec.RunSpec().server == "mod_wsgi"
    assert spec.KNOBS["SERVER"][0] == "server"
    assert spec.CHOICES["SERVERS"] == tuple(servers.SERVERS)
    assert spec.parse(["reproduce"], env={}).server == "mod_wsgi"
    uwsgi = spec.parse(["reproduce", "SERVER=uwsgi"], env={})
    assert uwsgi.server == "uwsgi" and uwsgi.web.service == "uwsgi"
    assert uwsgi.command_line() == "make reproduce SERVER=uwsgi"
    assert spec.parse(["fixed"], env={"SERVER": "uwsgi"}).server == "uwsgi"  # as make exports it


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["reproduce", "SERVER=nginx"], "SERVER must be one of: mod_wsgi uwsgi; not 'nginx'"),
        (["reproduce", "SERVER=uwsgi", "STACK=bullseye"], "SERVER=uwsgi does not run STACK=bullseye"),
        (["reproduce", "SERVER=uwsgi", "SCENARIO=group-variable"], "does not run SCENARIO=group-variable"),
        (["reproduce", "SERVER=uwsgi", "FAULT=apache-recycle"], "does not run FAULT=apache-recycle"),
        (["reproduce", "SERVER=uwsgi", "MOD_WSGI=6"], "does not run MOD_WSGI=6"),
    ],
)
def test_what_uwsgi_cannot_run_is_refused_in_one_line(words, says):
    with pytest.raises(UsageError) as refused:
        spec.parse(words, env={})
    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_the_default_path_is_started_as_before():
    """mod_wsgi's run: no Compose profile, no uWSGI file; lab.json names the server."""
    default = spec.RunSpec()
    assert "COMPOSE_PROFILES" not in default.compose_env()
    files = default.apache_files()
    assert sorted(files) == ["apache.conf", "lab.json"]
    assert json.loads(files["lab.json"])["server"] == "mod_wsgi"
    twelve = dataclasses.replace(default, scenario="twelve-factor")
    assert twelve.compose_env()["COMPOSE_PROFILES"] == "postgres"
    uwsgi_twelve = spec.parse(["reproduce", "SERVER=uwsgi", "SCENARIO=twelve-factor"], env={})
    assert uwsgi_twelve.compose_env()["COMPOSE_PROFILES"] == "postgres,uwsgi"
    assert uwsgi_twelve.entries() == twelve.entries()


def test_uwsgi_is_started_with_its_profile_its_process_model_and_its_numbers():
    uwsgi = spec.RunSpec(server="uwsgi", processes=3, threads=4)
    assert uwsgi.compose_env()["COMPOSE_PROFILES"] == "uwsgi"
    assert uwsgi.compose_env()["LAB_UWSGI_PROCESS_MODEL"] == "embedded"
    daemon = spec.parse(["daemon", "SERVER=uwsgi"], env={})
    assert daemon.compose_env()["LAB_UWSGI_PROCESS_MODEL"] == "daemon" and daemon.expected == "ISOLATED"
    assert "LAB_UWSGI_PROCESS_MODEL" not in spec.RunSpec(process_model="daemon").compose_env()
    files = uwsgi.apache_files()
    assert json.loads(files["lab.json"])["server"] == "uwsgi"
    assert "\n[uwsgi]\nprocesses = 3\nthreads = 4\n" in files["uwsgi.ini"]
    # The same entries as mod_wsgi's: the server changes nothing of what each app runs.
    assert uwsgi.entries() == spec.RunSpec().entries()


def test_every_server_has_its_service_and_reload_in_the_lab():
    compose = (ROOT / "docker-compose.yml").read_text()
    for server in servers.SERVERS.values():
        assert re.search(rf"^  {server.service}:$", compose, re.M), server.service
        script = {"apache-fresh-children": "apache/fresh-children.sh", "uwsgi-fresh-workers": "uwsgi/fresh-workers.sh"}
        assert (ROOT / script[server.fresh[0]]).exists()
    assert "profiles: [uwsgi]" in compose
    ini = (ROOT / "uwsgi" / "lab.ini").read_text()
    assert "ini = /srv/run/uwsgi.ini" in ini and not re.search(r"^(single-interpreter|route)", ini, re.M)
    embedded = (ROOT / "uwsgi" / "embedded.ini").read_text()
    assert "socket = /run/uwsgi/app1.sock\nsocket = /run/uwsgi/app2.sock" in embedded
    for app in ("app1", "app2"):  # PROCESS_MODEL=daemon: a vassal per app, its socket alone, one interpreter
        vassal = (ROOT / "uwsgi" / "vassals" / f"{app}.ini").read_text()
        assert f"socket = /run/uwsgi/{app}.sock\nsingle-interpreter = true" in vassal
        assert vassal.count("socket =") == 1 and vassal.count("route-host =") == 1
        assert f"route-host = ^{app}\\.example\\.com$ setfile:/srv/uwsgi/{app}.wsgi" in vassal
    for app in ("app1", "app2"):  # each Host's route names its app's file, and that file exists
        assert f"route-host = ^{app}\\.example\\.com$ setfile:/srv/uwsgi/{app}.wsgi" in embedded
        assert f'application_for("{app}", "{app}.example.com|"' in (ROOT / "uwsgi" / f"{app}.wsgi").read_text()
    assert servers.other_services("uwsgi") == ("apache",) and servers.other_services("mod_wsgi") == ("uwsgi",)


def test_an_interpreter_under_uwsgi_serves_the_app_its_mountpoint_names():
    assert app_for_group("app2.example.com|") == "app2"
    assert app_for_group("app1.example.com|") == "app1"
    # mod_wsgi's names, as before
    assert app_for_group("app2") == "app2" and app_for_group("%{ENV:WSGI_APP_GROUP}") == "app1"
    assert app_for_group("", "app2") == "app2" and app_for_group("", "") == "app1"


# uWSGI's lines as a run's log had them (trixie, uWSGI 2.0.28-debian, uwsgi/lab.ini's
# log-encoder; the third one's "(default app)" is how uWSGI ends app 0's line when one is
# configured at start), among lines that are not app lines.
LOG = """\
[1796676330326043] spawned uWSGI worker 1 (pid: 130, cores: 8)
[1796676399824033] WSGI app 0 (mountpoint='app2.example.com|') ready in 2 seconds on interpreter 0x7f62807fe610 pid: 110
[1796676405169514] WSGI app 1 (mountpoint='app1.example.com|') ready in 3 seconds on interpreter 0x7f62700308d0 pid: 110
[1796676402191132] WSGI app 0 (mountpoint='app1.example.com|') ready in 2 seconds on interpreter 0x7f62 pid: 109 \
(default app)
[1796676405169999] unable to load app 2 (mountpoint='app3.example.com|') (callable not found or import error)
[Mon Dec  7 20:44:45 2026] WSGI app 1 (mountpoint='x|') ready in 0 seconds on interpreter 0x1 pid: 1
"""


def test_uwsgis_app_lines_are_the_timeline_of_its_interpreters():
    lines = history.interpreter_lines(LOG, "uwsgi")
    assert [(line.pid, line.group, line.action) for line in lines] == [
        (110, "app2.example.com|", "attach"),  # app 0: the worker's main interpreter
        (110, "app1.example.com|", "create"),  # app 1: a new sub-interpreter, after app2's
        (109, "app1.example.com|", "attach"),
    ]
    assert lines[1].at == 1796676405.169514
    assert lines[1].how == "uWSGI app 1 on interpreter 0x7f62700308d0"
    assert lines[0].line.startswith("[1796676399824033] WSGI app 0")


def test_each_servers_log_is_read_with_its_own_grammar():
    assert history.interpreter_lines(LOG) == []  # mod_wsgi's grammar finds none of uWSGI's lines
    apache = "[2026-11-30 20:47:02.045828] [wsgi:info] [pid 5681:tid 5697] mod_wsgi (pid=5681): "
    apache += "Create interpreter 'app2'."
    assert history.interpreter_lines(apache, "uwsgi") == []
    assert [line.group for line in history.interpreter_lines(apache)] == ["app2"]


@pytest.mark.parametrize("command", ["run", "fixed", "daemon", "try-fix"])
def test_check_config_under_uwsgi_checks_the_same_entries_with_uwsgis_files(command):
    from loadtest import cli

    under_apache = cli.check_config_command(spec.parse([command], env={}))
    run_spec = spec.parse([command, "SERVER=uwsgi"], env={})
    under_uwsgi = cli.check_config_command(run_spec)
    assert under_uwsgi[-2:] == under_apache[-2:] == list(run_spec.entries().values())
    config = "vassals" if command == "daemon" else "embedded.ini"
    assert under_uwsgi[2:5] == ["--root", str(cli.UWSGI_ROOT), str(cli.UWSGI_ROOT / "srv" / "uwsgi" / config)]
    assert "apache/lab.conf" not in under_uwsgi and "-D" not in under_uwsgi
