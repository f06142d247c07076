"""envleak's own tests (envleak/tests: unittest, standard library only) on every CPython this
machine has that envleak claims (2.7, 3.6 and later; on PATH and under `pyenv root`), each
named by its version in the test's id; and `envleak check` on the lab's own configuration."""

import subprocess
import sys

import pytest

from tests.unit import pythons

PYTHONS = pythons.find()


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
    assert int(ran.split()[1]) >= 40, ran  # the whole suite ran, not an empty discovery


@pytest.mark.parametrize(("code", "exit_status"), [("buggy", 1), ("fixed", 0)])
def test_envleak_check_on_the_labs_configuration(code, exit_status):
    entries = [str(pythons.ROOT / f"apps/{app}/{app}/wsgi_{code}.py") for app in ("app1", "app2")]
    completed = subprocess.run(
        [sys.executable, "-m", "envleak", "check", str(pythons.ROOT / "apache/lab.conf"), *entries],
        capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(pythons.ENVLEAK_SRC)},
    )  # fmt: skip
    assert completed.returncode == exit_status, completed.stdout + completed.stderr
    daemon = subprocess.run(
        [sys.executable, "-m", "envleak", "check", "-D", "LAB_DAEMON", str(pythons.ROOT / "apache/lab.conf"), *entries],
        capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(pythons.ENVLEAK_SRC)},
    )  # fmt: skip
    assert daemon.returncode == 0, daemon.stdout


def test_the_wheel_installs_into_a_fresh_virtualenv_and_gives_a_working_envleak(tmp_path):
    """What `make envleak-wheel` builds (flit_core, from requirements/host.txt), installed the
    ordinary way: a universal wheel with the `envleak` command."""
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
    entries = [str(pythons.ROOT / f"apps/{app}/{app}/wsgi_buggy.py") for app in ("app1", "app2")]
    check = subprocess.run(
        [venv / "bin" / "envleak", "check", str(pythons.ROOT / "apache/lab.conf"), *entries],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert check.returncode == 1 and "RISKY" in check.stdout, check.stdout + check.stderr
