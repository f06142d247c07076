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
        (["--first", "app3"], "invalid choice"),
        (["--timeout", "0"], "not positive"),
        (["--ramp-up", "-1"], "is not positive"),
        (["--fault-at", "1.5"], "is not below 1"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, says):
    completed = run_cli("--code", "buggy", *args)
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("loadtest: ") and says in lines[0]


@pytest.mark.parametrize("option", ["--code", "--process-model", "--scenario", "--stack"])
def test_unknown_choices_exit_2(option):
    args = ["--code", "buggy"] if option != "--code" else []
    completed = run_cli(*args, option, "sideways")
    assert completed.returncode == 2 and "invalid choice" in completed.stderr


def test_unreachable_url_exits_2(tmp_path):
    completed = run_cli("--code", "fixed", "--url", "http://127.0.0.1:9", "--report-dir", str(tmp_path))
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        "loadtest: cannot reach Apache at http://127.0.0.1:9 (ConnectionRefusedError: [Errno 111] Connection refused); "
        "is the lab up? (make up)"
    )


def test_unwritable_report_dir_exits_2(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    completed = run_cli("--code", "fixed", "--report-dir", str(blocker / "reports"))
    assert completed.returncode == 2
    assert completed.stderr.strip().startswith(f"loadtest: cannot write reports to {blocker / 'reports'}")


def test_hosts_are_parsed_and_defaults_hold():
    args = cli.parse_args(["--code", "buggy", "--first", "app2"])
    assert args.first == "app2"
    assert (args.requests, args.concurrency, args.ramp_up) == (300, 16, 1.0)
    assert (args.process_model, args.scenario, args.stack) == ("embedded", "default", "trixie")
