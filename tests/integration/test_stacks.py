"""Every stack (choices.mk): the versions each run reports are the ones its containers really
have, and the leak and the fix show there too (the full suite runs on the suite's own stack;
the others get a buggy and a fixed trial each)."""

import os
import subprocess

import pytest

from loadtest.lab import MOD_WSGI6_KNOBS, MOD_WSGI6_STACK, STACKS
from tests.integration.harness import ROOT, suite_spec
from tests.integration.test_trials import assert_buggy_trial, assert_fixed_trial

# What each stack's Debian ships (bullseye: mod_wsgi 4.9.4 built from PyPI for Python 2.7): the
# runs must *measure* these, not be told them.
PYTHON = {"trixie": "3.13.", "bookworm": "3.11.", "bullseye": "2.7.", "forky": "3.14."}
MOD_WSGI = {"trixie": "5.", "bookworm": "4.9.", "bullseye": "4.9.4", "forky": "5."}
# A distribution's version, asked the container's Python itself (2.7 or 3.x).
VERSION_OF = (
    "import sys\n"
    "try:\n    from importlib import metadata; print(metadata.version(sys.argv[1]))\n"
    "except ImportError:\n    import pkg_resources; print(pkg_resources.get_distribution(sys.argv[1]).version)\n"
)


def pytest_generate_tests(metafunc):
    if "other_stack" in metafunc.fixturenames:
        main = metafunc.config.getoption("--stack")
        metafunc.parametrize("other_stack", [stack for stack in STACKS if stack != main])


def container_says(lab, service, *command):
    code, output = lab.shell(service, *command)
    assert code == 0, output
    return output.strip().splitlines()[-1]


def assert_versions_are_the_containers(lab, document):
    versions, stack = document.history.versions, document.spec.stack
    assert versions["python"].startswith(PYTHON[stack])
    assert versions["python"] == container_says(
        lab, "apache", "python", "-c", "import platform; print(platform.python_version())"
    )
    assert versions["mod_wsgi"].startswith("6." if document.spec.mod_wsgi == "6" else MOD_WSGI[stack])
    assert f"Apache/{versions['apache']} " in lab.shell("apache", "apache2", "-v")[1]
    assert versions["rabbitmq"] == container_says(lab, "rabbitmq", "rabbitmqctl", "version")
    librabbitmq = "librabbitmq" if stack == "bullseye" else "librabbitmq-fork"
    for name, dist in (("celery", "celery"), ("django", "django"), ("librabbitmq", librabbitmq)):
        assert versions[name] == container_says(lab, "apache", "python", "-c", VERSION_OF, dist), name


def test_versions_are_measured_in_the_running_containers(lab, buggy_run):
    assert_versions_are_the_containers(lab, buggy_run)


def test_every_other_stack_leaks(lab, lab_of, runs, other_stack):
    document = runs.get(suite_spec(command="reproduce", stack=other_stack))
    other = lab_of(other_stack)
    assert document.spec.stack == other_stack
    assert document.run.run_id not in "".join(path.read_text() for path in lab.receipts_dir.glob("*.jsonl"))
    assert_versions_are_the_containers(other, document)
    assert_buggy_trial(document)


def test_on_every_other_stack_the_fix_holds_and_the_labs_do_not_touch(lab, lab_of, runs, other_stack):
    document = runs.get(suite_spec(command="fixed", code="fixed", stack=other_stack))
    other = lab_of(other_stack)
    # Labs side by side (other project name, ports, receipts) do not touch each other: neither
    # the main lab's workers nor its broker (its firehose's records) saw this run.
    assert document.run.run_id not in "".join(path.read_text() for path in lab.receipts_dir.glob("*.jsonl"))
    assert sum(document.checked.broker.publishes_by_vhost.values()) == document.totals.sent
    assert document.spec.stack == other_stack
    assert_versions_are_the_containers(other, document)
    assert_fixed_trial(document)


@pytest.mark.stack(MOD_WSGI6_STACK)
def test_mod_wsgi_6_with_a_gil_per_interpreter_leaks_too(runs):
    # What `make reproduce` with the matrix's mod_wsgi 6 knobs runs: WSGIPerInterpreterGIL On.
    document = runs.get(suite_spec("make reproduce " + " ".join(MOD_WSGI6_KNOBS)), label="mod_wsgi6")
    assert document.history.versions["mod_wsgi"].startswith("6."), document.history.versions
    # Each interpreter says so itself (Python's own config of the interpreter, read in it).
    assert {entry.gil for entry in document.interpreters} == {"own"}
    assert_buggy_trial(document)


@pytest.mark.last
def test_make_down_leaves_no_container_network_or_volume(other_stacks):
    # The Makefile's own target, pointed at another stack's project (Compose reads
    # COMPOSE_PROJECT_NAME): the last test of the suite, after that stack's trials.
    other = other_stacks.lab(other_stacks.order[-1])
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    env.update(other.settings, COMPOSE_PROJECT_NAME=other.project)
    completed = subprocess.run(
        ["make", "--no-print-directory", "down"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    label = f"label=com.docker.compose.project={other.project}"
    for listing in (["ps", "-a"], ["network", "ls"], ["volume", "ls"]):
        left = subprocess.run(["docker", *listing, "-q", "--filter", label], capture_output=True, text=True)
        assert left.returncode == 0 and left.stdout.strip() == "", (listing, left.stdout)
