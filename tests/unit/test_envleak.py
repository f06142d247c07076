"""The detector's findings (apps/envleak.py), from what an interpreter recorded: what it
inherited when it started, what it wrote, what its script left, what Celery and Django used."""

import importlib.util
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location("envleak", Path(__file__).parents[2] / "apps" / "envleak.py")
envleak = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(envleak)

CELERY = "CELERY_CONFIG_MODULE"


@pytest.fixture
def interpreter(monkeypatch):
    """Set what one interpreter recorded: inherited, written, left by its script, used."""

    def record(inherited=None, written=(), left=None, used=()):
        monkeypatch.setitem(envleak.STARTED, "inherited", {CELERY: inherited})
        monkeypatch.setattr(envleak, "WRITES", [{"name": CELERY, "value": value, "at": 0} for value in written])
        monkeypatch.setattr(envleak, "LOADED", {"at": 0, "values": {CELERY: left}})
        monkeypatch.setattr(envleak, "USED", {CELERY: list(used), "DJANGO_SETTINGS_MODULE": []})
        return envleak.findings()[CELERY]

    return record


def test_an_inherited_value_kept_and_used_is_leaked(interpreter):
    finding = interpreter(inherited="app2.celeryconfig", left="app2.celeryconfig", used=["app2.celeryconfig"])
    assert finding["verdict"] == "leaked" and "inherited when this interpreter started" in envleak.describe(
        CELERY, finding
    )


def test_its_own_value_is_not(interpreter):
    finding = interpreter(written=["app1.celeryconfig"], left="app1.celeryconfig", used=["app1.celeryconfig"])
    assert finding["verdict"] == "own"


def test_an_inherited_value_it_overwrote_is_not(interpreter):
    finding = interpreter(
        inherited="app2.celeryconfig",
        written=["app1.celeryconfig"],
        left="app1.celeryconfig",
        used=["app1.celeryconfig"],
    )
    assert finding["verdict"] == "overwritten"


def test_python_2_a_value_changed_after_its_script_ran_is_leaked(interpreter):
    finding = interpreter(written=["app1.celeryconfig"], left="app1.celeryconfig", used=["app2.celeryconfig"])
    assert finding["verdict"] == "leaked" and finding["changed_under_it"]


def test_python_2_a_value_written_after_it_started_and_before_its_script_is_leaked(interpreter):
    # Started with nothing; another interpreter wrote the shared os.environ; this one's
    # setdefault() kept that value, which its script left and Celery used.
    finding = interpreter(left="app1.celeryconfig", used=["app1.celeryconfig"])
    assert finding["verdict"] == "leaked" and finding["appeared_after_start"]
    assert "neither inherited nor wrote it" in envleak.describe(CELERY, finding)
