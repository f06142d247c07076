"""The run spec (loadtest/spec.py): every knob checked once, a bad one refused in one line with
exit 2 before anything starts; `make help` written from choices.mk and the Makefile's `##`
lines; and the one answer to "which WSGI file runs", held equal between Apache's dispatcher and
`make check-config` for every code, scenario, sample fix and app."""

import dataclasses
import importlib.util
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from loadtest import cli, spec
from loadtest.lab import APPS, UsageError

ROOT = Path(__file__).resolve().parents[2]
# apps/labcore/run.py, what the dispatcher in the image uses, loaded here without Django.
RUN = importlib.util.spec_from_file_location("labcore_run", ROOT / "apps" / "labcore" / "run.py")
labcore_run = importlib.util.module_from_spec(RUN)
RUN.loader.exec_module(labcore_run)


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["up", "CODE=sideways"], "CODE must be one of: buggy fixed workspace; not 'sideways'"),
        (["run", "CODE=fixd"], "CODE must be one of: buggy fixed workspace; not 'fixd'"),
        (
            ["fixed", "SCENARIO=oops"],
            "SCENARIO must be one of: default bad-credentials refused-broker django-settings group-variable "
            "twelve-factor time-zone; not 'oops'",
        ),
        (["reproduce", "STACK=sid"], "STACK must be one of: trixie bookworm bullseye forky; not 'sid'"),
        (["reproduce", "TRANSPORT=amqp"], "TRANSPORT must be one of: librabbitmq pyamqp; not 'amqp'"),
        (["try-fix", "FIX=mine"], "FIX must be one of: environ-assignment no-set-default right"),
        (["reproduce", "FIX=right"], "FIX= names a sample fix for make try-fix"),
        (["reproduce", "GIL=own", "MOD_WSGI=6", "TRANSPORT=pyamqp", "STACK=bullseye"], "MOD_WSGI=6 needs Python 3"),
        (["reproduce", "GIL=own"], "GIL=own needs MOD_WSGI=6"),
        (["reproduce", "GIL=own", "MOD_WSGI=6"], "GIL=own needs TRANSPORT=pyamqp"),
        (["run", "PROCESS_MODEL=fork"], "PROCESS_MODEL must be one of: embedded daemon; not 'fork'"),
        (["reproduce", "REQUESTS=0"], "REQUESTS must be a whole number above 0, not '0'"),
        (["reproduce", "REQUESTS=many"], "REQUESTS must be a whole number above 0, not 'many'"),
        (["reproduce", "CONCURRENCY=-5"], "CONCURRENCY must be a whole number above 0, not '-5'"),
        (["reproduce", "RAMP_UP=soon"], "RAMP_UP must be a number of seconds, not 'soon'"),
        (["reproduce", "SEED=-3"], "SEED must be a whole number, not '-3'"),
        (["reproduce", "FAULT_AT=1.5"], "FAULT_AT must be a fraction between 0 and 1, not '1.5'"),
        (["reproduce", "PROCESSES=0"], "PROCESSES must be a whole number above 0, not '0'"),
        (["reproduce", "CODE=fixed"], "make reproduce runs CODE=buggy; for CODE=fixed use make run"),
        (["reproduce", "STACKS=trixie"], "not a knob: 'STACKS=trixie'"),
        (["sideways"], "not a command that runs the lab: 'sideways'"),
    ],
)
def test_bad_knobs_are_refused_in_one_line(words, says):
    with pytest.raises(UsageError) as refused:
        spec.parse(words, env={})
    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_through_make_a_bad_knob_is_one_line_and_exit_2_before_anything_starts(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    completed = subprocess.run(
        ["make", "--no-print-directory", "reproduce", "STACK=sid"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert completed.returncode == 2
    assert completed.stderr.splitlines()[0] == "STACK must be one of: trixie bookworm bullseye forky; not 'sid'"
    assert completed.stdout == ""


def test_knobs_come_from_the_words_then_the_environment_then_the_defaults():
    run = spec.parse(["reproduce", "FIRST=app2"], env={"FIRST": "app1", "PROCESSES": "1", "CODE": ""})
    assert (run.command, run.code, run.first, run.processes) == ("reproduce", "buggy", "app2", 1)
    assert (run.requests, run.concurrency, run.ramp_up, run.scenario, run.stack) == (300, 16, 1.0, "default", "trixie")
    assert spec.parse(["daemon"], env={}).process_model == "daemon"
    assert spec.from_command("make try-fix FIX=right").code == "workspace"
    # The same spec is the same key (the suite runs each distinct spec once).
    assert spec.from_command("make reproduce FIRST=app2") == spec.from_command("make reproduce FIRST=app2")


def test_a_spec_reads_back_from_its_command_line():
    run = spec.from_command("make try-fix SCENARIO=twelve-factor FIX=twelve-factor-eager FIRST=app1 PROCESSES=1")
    assert spec.from_command(run.command_line()) == run
    assert run.expected == "FIXED" and run.postgres and run.compose_env()["COMPOSE_PROFILES"] == "postgres"


def test_apache_reads_everything_that_is_not_an_image_from_the_run_directory():
    # Changing the code, the scenario, the transport or the process count changes no container:
    # none of them is in what Compose reads.
    base = spec.RunSpec()
    for change in ({"code": "fixed"}, {"scenario": "django-settings"}, {"processes": 1}, {"transport": "pyamqp"},
                   {"process_model": "daemon"}, {"threads": 3}):  # fmt: skip
        variant = dataclasses.replace(base, **change)
        assert variant.compose_env() == base.compose_env(), change
        assert variant.apache_files() != base.apache_files(), change
    conf = dataclasses.replace(base, processes=3, threads=4, process_model="daemon").apache_files()["apache.conf"]
    assert "Define LAB_APACHE_PROCESSES 3" in conf and "Define LAB_APACHE_MAX_WORKERS 12" in conf
    assert "Define LAB_DAEMON" in conf and "LAB_OWN_GIL" not in conf


def every_combination():
    for code, scenario in itertools.product(spec.CHOICES["CODES"], spec.CHOICES["SCENARIOS"]):
        for fix in ("", *spec.fixes()) if code == "workspace" else ("",):
            command = "try-fix" if code == "workspace" else "run"
            yield spec.RunSpec(command=command, code=code, scenario=scenario, fix=fix)


def repository_file(how, where):
    """The repository file the dispatcher loads, from labcore.run.how_to_load's answer."""
    if how == "module":
        package, module = where.split(".")
        return f"apps/{package}/{package}/{module}.py"
    return labcore_run.repository_path(where)


@pytest.mark.parametrize("run", list(every_combination()), ids=lambda run: f"{run.code}-{run.scenario}-{run.fix}")
def test_the_dispatcher_and_check_config_use_the_same_file_for_every_app(run):
    command = cli.check_config_command(run)
    entries = dict(zip(APPS, command[-2:], strict=True))
    for app in APPS:
        # What Apache's dispatcher loads for this app (lab.json's entry, as apache/dispatch.wsgi reads it)...
        dispatched = repository_file(*labcore_run.how_to_load(run.entry(app)))
        # ...is what make check-config checks, and it exists (the workspace once make try-fix copied it).
        assert dispatched == entries[app] == run.entry(app)
        assert (ROOT / dispatched).exists() or dispatched.startswith("workshop/workspace/"), dispatched
    assert ("-D" in command) == (run.process_model == "daemon")


def test_help_lists_every_target_and_knob_within_100_columns_and_writes_nothing(tmp_path):
    # In a copy without .env or a venv: help must not create either.
    for name in ("Makefile", "choices.mk"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    (tmp_path / "loadtest").symlink_to(ROOT / "loadtest")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    completed = subprocess.run(["make", "help"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["Makefile", "choices.mk", "loadtest"]
    targets = re.findall(r"^([a-z][a-z-]*):.*## ", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert len(targets) > 10
    for target in targets:
        assert f"make {target} " in completed.stdout
    for knob in spec.KNOBS:
        assert f"  {knob}=" in completed.stdout, knob
    assert max(len(line) for line in completed.stdout.splitlines()) <= 100


def test_every_knob_has_its_help_line_in_choices_mk():
    assert set(spec.KNOBS) <= set(spec.knob_help())


def test_the_makefile_is_thin():
    text = (ROOT / "Makefile").read_text()
    assert len(text.splitlines()) < 200
    # No program asks make what it would do: nothing in loadtest/, scripts/ or tests/ runs `make -n`.
    for path in [*ROOT.glob("loadtest/**/*.py"), *ROOT.glob("scripts/*.sh"), *ROOT.glob("tests/**/*.py")]:
        assert not re.search(r"""["' ]make["',]+ *["']?-n\b""", path.read_text()), path


def test_the_cli_says_its_usage_and_exits_2_without_a_command():
    completed = subprocess.run([sys.executable, "-m", "loadtest"], cwd=ROOT, capture_output=True, text=True)
    assert completed.returncode == 2 and "python -m loadtest COMMAND" in completed.stderr
