"""Make targets refuse an unknown MODE or SCENARIO before doing anything."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("target", "knob", "says"),
    [
        ("up", "MODE=sideways", "MODE must be buggy or fixed, not 'sideways'"),
        ("reproduce", "MODE=fixd", "MODE must be buggy or fixed, not 'fixd'"),
        ("fixed", "SCENARIO=oops", "SCENARIO must be default, bad-credentials or django-settings, not 'oops'"),
    ],
)
def test_unknown_knob_values_fail_clearly(target, knob, says):
    # A make of its own, not a sub-make of `make test`.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    completed = subprocess.run(
        ["make", "--no-print-directory", "-n", target, knob],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert says in completed.stderr
    assert completed.stdout == ""
