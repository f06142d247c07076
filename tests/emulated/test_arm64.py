"""The lab on linux/arm64, emulated on an x86_64 engine (qemu-user through binfmt_misc):
`make reproduce`, `make fixed` and the bad-credentials scenario with PLATFORM=linux/arm64, as
an attendee types them, in a compose project of their own. Slow (the first run builds the
base image and both images under emulation), so opt-in: `make test-arm64`, not `make test`.

What each asserts is what the run measured: the architecture Apache's Python reports
(`machine aarch64` among the versions), librabbitmq built from its sdist (2.0.0), the verdict,
and for the bad credentials librabbitmq's own login error."""

import os
import socket
import subprocess
from pathlib import Path

import pytest

from loadtest.document import latest as latest_report
from loadtest.lab import NAME

ROOT = Path(__file__).resolve().parents[2]
PROJECT = f"{NAME}-arm64"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


@pytest.fixture(scope="module")
def arm64_lab():
    """make's environment for a lab of its own on linux/arm64; taken down afterwards."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    env.update(COMPOSE_PROJECT_NAME=PROJECT, LAB_HTTP_PORT=free_port(), LAB_MGMT_PORT=free_port())
    try:
        yield env
    finally:
        subprocess.run(["make", "--no-print-directory", "down"], cwd=ROOT, env=env, capture_output=True)


def make(env, *args):
    """Runs `make ARGS PLATFORM=linux/arm64` as an attendee would; returns the run's report
    (reports/latest.json) and what it printed."""
    completed = subprocess.run(
        ["make", "--no-print-directory", *args, "PLATFORM=linux/arm64"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    document = latest_report(ROOT / "reports")
    assert document is not None, output[-4000:]
    assert document.history.versions.get("machine") == "aarch64", document.history.versions
    assert document.history.versions.get("librabbitmq") == "2.0.0", document.history.versions
    return document


def test_reproduce_on_arm64_reproduces(arm64_lab):
    document = make(arm64_lab, "reproduce")
    assert (document.spec.stack, document.spec.platform) == ("trixie", "linux/arm64")
    assert document.verdict.kind == "REPRODUCED", document.verdict


def test_fixed_on_arm64_is_fixed(arm64_lab):
    document = make(arm64_lab, "fixed")
    assert document.verdict.kind == "FIXED", document.verdict
    assert document.totals.misrouted == 0


def test_bad_credentials_on_arm64_show_librabbitmqs_login_error(arm64_lab):
    document = make(arm64_lab, "reproduce", "SCENARIO=bad-credentials", "FIRST=app2", "PROCESSES=1")
    assert document.verdict.kind == "REPRODUCED", document.verdict
    # librabbitmq's own words for a refused login, and RabbitMQ's log naming the user.
    errors = [cause.error for cause in document.checked.failure_causes]
    assert any("Couldn't log in: server connection error 403" in error for error in errors), errors
    assert document.history.refused_logins.get("app2", 0) > 0, document.history.refused_logins
