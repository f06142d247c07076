"""envleak in real sub-interpreters of one process (apps/subinterpreters.c, built against each
Python), as mod_wsgi creates them in an Apache child: two apps that setdefault() the same
variable and serve it, created in both orders, on a Python that shares one os.environ dict
between interpreters (2.7, 3.6 to 3.8) and on one that copies it at creation (3.9+)."""

import json
import shutil
import subprocess

import pytest

from tests.unit import pythons

PYTHONS = pythons.find()
SHARING = [minor for minor in ("2.7", "3.6", "3.7", "3.8") if minor in PYTHONS]
COPYING = [minor for minor in PYTHONS if minor not in ("2.7", "3.6", "3.7", "3.8")]
# Probed: 2.7 and one Python 3 that shares (3.6 has no audit hooks), and the newest that copies.
PROBED = ([m for m in SHARING if m == "2.7"] + [m for m in SHARING if m != "2.7"][:1] + COPYING[-1:]) or [None]
SOURCE = pythons.ROOT / "apps" / "subinterpreters.c"

# Each interpreter starts envleak first (as the envleak.pth line does at creation), then its app.
CREATE = "import envleak; envleak.start()"
APP = """
import json, os, envleak
os.environ.setdefault("CELERY_CONFIG_MODULE", "{app}.celeryconfig")
def serve(environ, start_response):
    start_response("200 OK", [])
    return [os.environ["CELERY_CONFIG_MODULE"].encode("utf-8")]
application = envleak.wrap(serve)
served = b"".join(application({{}}, lambda *args: None)).decode("utf-8")
print(json.dumps({{"app": "{app}", "served": served, "leaked": envleak.report()["leaked"],
                  "how": envleak.findings()["CELERY_CONFIG_MODULE"].get("how")}}))
"""


def build(minor, folder):
    """apps/subinterpreters.c linked against that Python (its pythonX.Y-config)."""
    python = PYTHONS[minor]
    config = shutil.which(f"python{minor}-config", path=str(pythons.Path(python["prefix"]) / "bin"))
    if config is None or shutil.which("cc") is None:
        pytest.skip(f"no python{minor}-config or no C compiler for Python {python['version']}")

    def flags(*args):
        done = subprocess.run([config, *args], capture_output=True, text=True, timeout=60)
        return done.stdout.split() if done.returncode == 0 else None

    ldflags = flags("--ldflags", "--embed") or flags("--ldflags")  # --embed: 3.8+
    program = folder / f"subinterpreters-{minor}"
    libdir = pythons.Path(python["prefix"]) / "lib"
    command = [
        "cc",
        *flags("--cflags"),
        str(SOURCE),
        "-o",
        str(program),
        *ldflags,
        f"-L{libdir}",
        f"-Wl,-rpath,{libdir}",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return program


def run(program, minor, steps, env=None):
    """Run (interpreter, code) steps; each app prints one JSON line. ({app: answer}, stderr)."""
    environment = {
        "PYTHONHOME": PYTHONS[minor]["prefix"],
        "PYTHONPATH": str(pythons.ENVLEAK_SRC),
        "PATH": "/usr/bin:/bin",
        **(env or {}),
    }
    argv = [str(program)] + [part for step in steps for part in step]
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=environment)
    assert completed.returncode == 0, completed.stderr
    answers = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    return {answer["app"]: answer for answer in answers}, completed.stderr


def leaked_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("envleak: ") and " LEAKED: " in line]


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("subinterpreters")
    return lambda minor: build(minor, folder)


def app(name):
    return APP.format(app=name)


@pytest.mark.parametrize("minor", PROBED, ids=lambda m: f"python{m}")
def test_created_after_the_other_wrote_it_inherits_it_and_is_flagged(programs, minor):
    if minor is None:
        pytest.skip("no CPython 2.7 or 3.6+ with its python-config here")
    program = programs(minor)
    answers, stderr = run(program, minor, [("a", CREATE), ("a", app("app1")), ("b", CREATE), ("b", app("app2"))])
    assert answers["app1"]["served"] == "app1.celeryconfig" and answers["app1"]["leaked"] == []
    assert answers["app2"]["served"] == "app1.celeryconfig"  # the leak itself
    assert (answers["app2"]["leaked"], answers["app2"]["how"]) == (["CELERY_CONFIG_MODULE"], "inherited")
    (line,) = leaked_lines(stderr)
    assert "CELERY_CONFIG_MODULE=app1.celeryconfig EL101 LEAKED: another interpreter of this process set it" in line
    assert "assign it" not in line


@pytest.mark.parametrize("minor", [m for m in PROBED if m in SHARING] or [None], ids=lambda m: f"python{m}")
def test_sharing_python_created_before_the_other_wrote_it_still_sees_it(programs, minor):
    if minor is None:
        pytest.skip("no CPython 2.7, 3.6, 3.7 or 3.8 (one os.environ for every interpreter) here")
    program = programs(minor)
    answers, stderr = run(program, minor, [("a", CREATE), ("b", CREATE), ("a", app("app1")), ("b", app("app2"))])
    assert answers["app2"]["served"] == "app1.celeryconfig"
    assert (answers["app2"]["leaked"], answers["app2"]["how"]) == (["CELERY_CONFIG_MODULE"], "appeared")
    assert answers["app1"]["leaked"] == [] and len(leaked_lines(stderr)) == 1
    assert " EL102 LEAKED: another interpreter wrote it after this one was created" in leaked_lines(stderr)[0]


@pytest.mark.parametrize("minor", COPYING[-1:] or [None], ids=lambda m: f"python{m}")
def test_copying_python_created_before_the_other_wrote_it_keeps_its_own(programs, minor):
    if minor is None:
        pytest.skip("no CPython 3.9+ (os.environ copied at creation) here")
    program = programs(minor)
    answers, stderr = run(program, minor, [("a", CREATE), ("b", CREATE), ("a", app("app1")), ("b", app("app2"))])
    assert answers["app2"]["served"] == "app2.celeryconfig"
    assert answers["app1"]["leaked"] == answers["app2"]["leaked"] == [] and leaked_lines(stderr) == []


@pytest.mark.parametrize("minor", PROBED, ids=lambda m: f"python{m}")
def test_a_value_from_apaches_start_up_environment_is_not_a_leak(programs, minor):
    if minor is None:
        pytest.skip("no CPython 2.7 or 3.6+ with its python-config here")
    program = programs(minor)
    answers, stderr = run(
        program, minor, [("a", CREATE), ("a", app("app1")), ("b", CREATE), ("b", app("app2"))],
        env={"CELERY_CONFIG_MODULE": "site.celeryconfig"},
    )  # fmt: skip
    assert answers["app1"]["served"] == answers["app2"]["served"] == "site.celeryconfig"
    assert leaked_lines(stderr) == [], stderr
