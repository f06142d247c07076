"""The load test's argument checks: bad input is one line on stderr and exit 2."""

import subprocess
import sys
from pathlib import Path

import pytest

from loadtest import cli

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "loadtest", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--requests", "0"], "not positive"),
        (["--requests", "-5"], "not positive"),
        (["--concurrency", "0"], "not positive"),
        (["--requests", "many"], "not a whole number"),
        (["--hosts", "app3.example.com"], "unknown host"),
        (["--timeout", "0"], "must be positive"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, says):
    completed = run_cli("--mode", "buggy", *args)
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("loadtest: ") and says in lines[0]


def test_unknown_mode_exits_2():
    completed = run_cli("--mode", "sideways")
    assert completed.returncode == 2 and "invalid choice" in completed.stderr


def test_unreachable_url_exits_2(tmp_path):
    completed = run_cli("--mode", "fixed", "--url", "http://127.0.0.1:9", "--report-dir", str(tmp_path))
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        "loadtest: cannot reach Apache at http://127.0.0.1:9 (ConnectionError); is the lab up? (make up)"
    )


def test_unwritable_report_dir_exits_2(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    completed = run_cli("--mode", "fixed", "--report-dir", str(blocker / "reports"))
    assert completed.returncode == 2
    assert completed.stderr.strip().startswith(f"loadtest: cannot write reports to {blocker / 'reports'}")


def test_hosts_are_parsed_and_defaults_hold():
    args = cli.parse_args(["--mode", "buggy", "--hosts", "app2.example.com, app1.example.com"])
    assert args.hosts == ["app2.example.com", "app1.example.com"]
    assert (args.requests, args.concurrency, args.ramp_up) == (300, 16, 2.0)
