"""Make targets refuse an unknown knob value before doing anything, and `make help` writes
nothing."""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def make(*args, cwd=ROOT):
    # A make of its own, not a sub-make of `make test`.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("target", "knob", "says"),
    [
        ("up", "CODE=sideways", "CODE must be one of: buggy fixed workspace; not 'sideways'"),
        ("run", "CODE=fixd", "CODE must be one of: buggy fixed workspace; not 'fixd'"),
        (
            "fixed",
            "SCENARIO=oops",
            "SCENARIO must be one of: default bad-credentials refused-broker django-settings group-variable "
            "twelve-factor time-zone; not 'oops'",
        ),
        ("reproduce", "STACK=sid", "STACK must be one of: trixie bookworm bullseye forky; not 'sid'"),
        ("reproduce", "TRANSPORT=amqp", "TRANSPORT must be one of: librabbitmq pyamqp; not 'amqp'"),
        ("try-fix", "FIX=mine", "FIX must be one of: environ-assignment no-set-default right"),
        ("reproduce", "GIL=own MOD_WSGI=6 TRANSPORT=pyamqp STACK=bullseye", "MOD_WSGI=6 needs Python 3"),
        ("reproduce", "GIL=own", "GIL=own needs MOD_WSGI=6"),
        ("reproduce", "GIL=own MOD_WSGI=6", "GIL=own needs TRANSPORT=pyamqp"),
        ("run", "PROCESS_MODEL=fork", "PROCESS_MODEL must be one of: embedded daemon; not 'fork'"),
        ("reproduce", "REQUESTS=0", "REQUESTS must be a whole number above 0, not '0'"),
        ("reproduce", "RAMP_UP=soon", "RAMP_UP must be a number of seconds, not 'soon'"),
        ("reproduce", "SEED=-3", "SEED must be a whole number, not '-3'"),
        ("reproduce", "FAULT_AT=1.5", "FAULT_AT must be a fraction between 0 and 1, not '1.5'"),
        ("reproduce", "PROCESSES=0", "PROCESSES must be a whole number above 0, not '0'"),
        ("bundle", "BUNDLE_STACKS=sid", "BUNDLE_STACKS must be words of: trixie bookworm bullseye forky; not 'sid'"),
    ],
)
def test_unknown_knob_values_fail_clearly(target, knob, says):
    completed = make("-n", target, *knob.split())
    assert completed.returncode == 2
    assert says in completed.stderr
    assert completed.stdout == ""


def test_help_lists_every_target_and_knob_and_writes_nothing(tmp_path):
    # In a copy without .env: help must not create it.
    for name in ("Makefile", "choices.mk"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    completed = make("help", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["Makefile", "choices.mk"]
    targets = re.findall(r"^([a-z][a-z-]*):.*## ", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert len(targets) > 10
    for target in targets:
        assert f"make {target} " in completed.stdout
    knobs = ("STACK", "CODE", "PROCESS_MODEL", "SCENARIO", "REQUESTS", "CONCURRENCY", "RAMP_UP", "SEED", "PROCESSES")
    for knob in (*knobs, "THREADS", "FIRST", "TRANSPORT", "MOD_WSGI", "GIL", "FIX", "BROWSER", "FAULT"):
        assert f"{knob}=" in completed.stdout
