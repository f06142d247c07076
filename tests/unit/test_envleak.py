"""envleak's own tests (envleak/tests: unittest, standard library only) on every CPython this
machine has that envleak claims (2.7, 3.6 and later; on PATH and under `pyenv root`), each
named by its version in the test's id; `envleak check` on the lab's own configuration, its
--json against the schema it ships (jsonschema), and the middleware's "read by" with the real
Celery and Django of requirements/dev.txt."""

import json
import subprocess
import sys
import textwrap

import jsonschema
import pytest

from tests.unit import pythons

PYTHONS = pythons.find()
SCHEMA = pythons.ENVLEAK_SRC / "envleak" / "check.schema.json"


def test_pythons_were_found():
    print("envleak's unit tests run on:", ", ".join(f"{p['version']} ({p['python']})" for p in PYTHONS.values()))
    assert PYTHONS, "no CPython 2.7 or 3.6+ on PATH or under pyenv"


@pytest.mark.parametrize("minor", list(PYTHONS), ids=[p["version"] for p in PYTHONS.values()])
def test_envleak_unit_tests_pass_on(minor):
    python = PYTHONS[minor]
    env = {**pythons.without_pyenv_shims(), "PYTHONPATH": str(pythons.ENVLEAK_SRC), "PYTHONDONTWRITEBYTECODE": "1"}
    for name in ("ENVLEAK_WATCH", "CELERY_CONFIG_MODULE", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY"):
        env.pop(name, None)
    completed = subprocess.run(
        [python["python"], "-m", "unittest", "discover", "-s", str(pythons.ENVLEAK_TESTS)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    summary = completed.stderr.strip().splitlines()
    assert completed.returncode == 0, completed.stderr[-4000:]
    ran = next(line for line in summary if line.startswith("Ran "))
    assert int(ran.split()[1]) >= 120, ran  # the whole suite ran, not an empty discovery


def envleak(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "envleak", *args],
        capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(pythons.ENVLEAK_SRC), **(env or {})},
    )  # fmt: skip


def entries(code, folder="apps"):
    if folder == "apps":
        return [str(pythons.ROOT / f"apps/{app}/{app}/wsgi_{code}.py") for app in ("app1", "app2")]
    return [str(pythons.ROOT / f"workshop/fixes/{code}/{app}_wsgi.py") for app in ("app1", "app2")]


@pytest.mark.parametrize(("code", "exit_status"), [("buggy", 1), ("fixed", 0)])
def test_envleak_check_on_the_labs_configuration(code, exit_status):
    completed = envleak("check", str(pythons.ROOT / "apache/lab.conf"), *entries(code))
    assert completed.returncode == exit_status, completed.stdout + completed.stderr
    daemon = envleak("check", "-D", "LAB_DAEMON", str(pythons.ROOT / "apache/lab.conf"), *entries(code))
    assert daemon.returncode == 0, daemon.stdout


def test_envleak_check_sees_the_group_variable_scenario_the_middleware_cannot():
    """SCENARIO=group-variable: app2's entry writes WSGI_APP_GROUP, which mod_wsgi's %{ENV:...}
    reads through getenv() for app1's Host. No interpreter inherits anything (the middleware
    flags nothing); the static check names the write (EL205)."""
    scripts = [
        str(pythons.ROOT / "apps/app1/app1/wsgi_buggy.py"),
        str(pythons.ROOT / "apps/app2/app2/wsgi_group_variable.py"),
    ]
    completed = envleak("check", "--json", "--select", "EL205", str(pythons.ROOT / "apache/lab.conf"), *scripts)
    result = json.loads(completed.stdout)
    assert completed.returncode == 1, completed.stdout
    ((finding),) = result["findings"]
    assert (finding["path"].endswith("wsgi_group_variable.py"), finding["args"]["name"]) == (True, "WSGI_APP_GROUP")


@pytest.mark.parametrize(("python", "exit_status"), [("2.7", 1), ("3.8", 1), ("3.9+", 0), ("3.13", 0)])
def test_the_assignment_fix_is_risky_on_a_python_that_shares_os_environ(python, exit_status):
    """Exercises wrong-fix-assignment and python-2013: assigning CELERY_CONFIG_MODULE holds from
    3.9 (a copy per interpreter), not on 2.7 to 3.8 (one dict: the last writer wins)."""
    completed = envleak("check", "--python", python, str(pythons.ROOT / "apache/lab.conf"),
                        *entries("environ-assignment", "fixes"))  # fmt: skip
    assert completed.returncode == exit_status, completed.stdout
    assert f"rules of Python {python}" in completed.stdout
    if exit_status:
        assert " EL202 " in completed.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["apache/lab.conf", *entries("buggy")],
        ["-D", "LAB_DAEMON", "apache/lab.conf", *entries("fixed")],
        ["--python", "2.7", "apache/lab.conf", *entries("environ-assignment", "fixes")],
        ["apache/lab.conf", *entries("twelve-factor-eager", "fixes")],
        ["envleak/tests/fixtures/debian/etc/apache2/apache2.conf"],
        ["--root", "envleak/tests/fixtures/redhat", "envleak/tests/fixtures/redhat/etc/httpd"],
        ["--root", "envleak/tests/fixtures/uwsgi-debian", "envleak/tests/fixtures/uwsgi-debian/etc/uwsgi"],
        ["--", "uwsgi", "--mount", "/a=envleak/tests/fixtures/uwsgi-debian/srv/shop/wsgi.py", "--single-interpreter"],
    ],
    ids=["buggy", "daemon", "python-2.7", "twelve-factor-eager", "cannot-tell", "red-hat", "uwsgi", "uwsgi-argv"],
)
def test_json_output_validates_against_the_shipped_schema(args):
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    completed = subprocess.run(
        [sys.executable, "-m", "envleak", "check", "--json", *args],
        capture_output=True, text=True, timeout=60, cwd=pythons.ROOT, env={"PYTHONPATH": str(pythons.ENVLEAK_SRC)},
    )  # fmt: skip
    result = json.loads(completed.stdout)
    jsonschema.Draft202012Validator(schema).validate(result)
    assert completed.returncode == result["exit"]


def test_importing_envleak_changes_nothing():
    completed = subprocess.run(
        [sys.executable, "-c", "import os, envleak.check; print(type(os.environ).__name__)"],
        capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(pythons.ENVLEAK_SRC)},
    )  # fmt: skip
    assert completed.stdout == "_Environ\n", completed.stderr


READ_BY = textwrap.dedent(
    """
    import os, envleak
    # What another interpreter of the process set before this one was created.
    os.environ["CELERY_CONFIG_MODULE"] = "app2.celeryconfig"
    os.environ["CELERY_BROKER_URL"] = "amqp://app2:secret@rabbitmq/app2"
    os.environ["DJANGO_SETTINGS_MODULE"] = "envleak_no_such.settings"
    envleak.start()
    os.environ.setdefault("CELERY_CONFIG_MODULE", "app1.celeryconfig")
    import warnings
    warnings.simplefilter("ignore")
    from celery import current_app

    def serve(environ, start_response):
        current_app.conf.task_default_queue  # Celery's default loader reads CELERY_CONFIG_MODULE
        current_app.conf.broker_url  # Settings.broker_url reads CELERY_BROKER_URL
        try:
            from django.conf import settings
            settings.DEBUG  # LazySettings._setup reads DJANGO_SETTINGS_MODULE
        except ImportError:
            pass
        return []

    application = envleak.wrap(serve)
    application({}, None)
    """
)


def test_read_by_names_celery_and_django_configuring_calls():
    """The middleware with the real Celery and Django (requirements/dev.txt): each LEAKED line
    names the call that configured the framework, and says EL101 after the masked value."""
    completed = subprocess.run(
        [sys.executable, "-c", READ_BY], capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(pythons.ENVLEAK_SRC), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    lines = {line.split("': ", 1)[1].split("=")[0]: line for line in completed.stderr.splitlines() if "LEAKED" in line}
    assert "read by celery.loaders.default:read_configuration" in lines["CELERY_CONFIG_MODULE"]
    assert "read by celery.app.utils:broker_url" in lines["CELERY_BROKER_URL"]
    assert "read by django.conf:_setup" in lines["DJANGO_SETTINGS_MODULE"]
    assert "CELERY_BROKER_URL=amqp://app2:***@rabbitmq/app2 EL101 LEAKED: " in lines["CELERY_BROKER_URL"]
    assert "secret" not in completed.stderr and "assign it" not in completed.stderr


def test_the_wheel_installs_into_a_fresh_virtualenv_and_gives_a_working_envleak(tmp_path):
    """What `make envleak-wheel` builds (flit_core, from requirements/host.txt), installed the
    ordinary way: a universal wheel with the `envleak` command and its JSON Schema."""
    build = subprocess.run(
        [sys.executable, "-c", "import sys; from flit_core import buildapi; print(buildapi.build_wheel(sys.argv[1]))",
         str(tmp_path)],
        cwd=pythons.ROOT / "envleak", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    wheel = tmp_path / build.stdout.strip()
    assert wheel.name.endswith("-py2.py3-none-any.whl"), wheel.name
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [venv / "bin" / "pip", "install", "-q", "--no-index", "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    assert subprocess.run([venv / "bin" / "envleak", "--version"], capture_output=True, text=True).stdout.startswith(
        "envleak "
    )
    schema = subprocess.run([venv / "bin" / "envleak", "schema"], capture_output=True, text=True).stdout.strip()
    assert json.loads(open(schema).read())["$id"] == "envleak-check/1"
    check = subprocess.run(
        [venv / "bin" / "envleak", "check", str(pythons.ROOT / "apache/lab.conf"), *entries("buggy")],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert check.returncode == 1 and "RISKY" in check.stdout, check.stdout + check.stderr
    # The opt-in .pth line the images install: recording from the interpreter's creation.
    site = subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    (tmp_path / "venv" / site / "envleak.pth").write_text("import envleak; envleak.start()\n")
    started = subprocess.run([venv / "bin" / "python", "-c", "import envleak; print(envleak.STARTED['by'])"],
                             capture_output=True, text=True)  # fmt: skip
    assert started.stdout == "start()\n", started.stderr


def test_the_pre_commit_hook_definitions():
    """envleak/.pre-commit-hooks.yaml: the keys pre-commit requires of each hook, an entry that is
    envleak's own command, and no file names passed (the check reads the whole configuration)."""
    from ruamel.yaml import YAML

    hooks = YAML(typ="safe").load((pythons.ROOT / "envleak" / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in hooks] == ["envleak-check", "envleak-check-json"]
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["entry"].startswith("envleak check") and hook["language"] == "python"
        assert hook["pass_filenames"] is False
    project = (pythons.ROOT / "envleak" / "pyproject.toml").read_text()
    assert 'envleak = "envleak.cli:main"' in project  # what `language: python` installs and runs
