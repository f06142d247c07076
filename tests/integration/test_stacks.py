"""Both stacks (choices.mk): the versions each run reports are the ones its containers
really have, and the leak and the fix show on the other stack too."""

import os
import subprocess

from tests.integration.conftest import ROOT, exercise_command, expand
from tests.integration.test_trials import assert_buggy_trial, assert_fixed_trial

# What Debian ships in each release: the runs must *measure* these, not be told them.
PYTHON = {"trixie": "3.13.", "bookworm": "3.11."}
MOD_WSGI = {"trixie": "5.", "bookworm": "4.9."}


def container_says(lab, service, *command):
    code, output = lab.exec(service, *command)
    assert code == 0, output
    return output.strip()


def assert_versions_are_the_containers(lab, document):
    versions = document["versions"]
    assert versions["python"].startswith(PYTHON[lab.stack])
    assert versions["python"] == container_says(
        lab, "apache", "python3", "-c", "import platform; print(platform.python_version())"
    )
    assert versions["mod_wsgi"].startswith(MOD_WSGI[lab.stack])
    assert f"Apache/{versions['apache']} " in container_says(lab, "apache", "apache2", "-v")
    rabbitmq = container_says(lab, "rabbitmq", "rabbitmqctl", "version")
    assert versions["rabbitmq"] == rabbitmq
    for name, dist in (("celery", "celery"), ("django", "django"), ("librabbitmq", "librabbitmq-fork")):
        said = container_says(
            lab, "apache", "python", "-c", f"import importlib.metadata as m; print(m.version('{dist}'))"
        )
        assert versions[name] == said


def test_versions_are_measured_in_the_running_containers(lab, buggy_run):
    assert_versions_are_the_containers(lab, buggy_run)


def test_the_other_stack_leaks(lab, other_stack_lab, exercise_runs, trial_requests):
    if expand(exercise_command("stacks"))[0].stack == other_stack_lab.stack:
        document = exercise_runs.run("stacks")  # the workshop's `make reproduce STACK=bookworm FIRST=app2`
    else:
        other_stack_lab.fresh_apache("buggy")
        document = other_stack_lab.load("buggy", requests=trial_requests, first="app2", label=other_stack_lab.stack)
    assert document["stack"] == other_stack_lab.stack
    assert document["run_id"] not in "".join(path.read_text() for path in lab.receipts.glob("*.jsonl"))
    assert_versions_are_the_containers(other_stack_lab, document)
    assert_buggy_trial(document)


def test_on_the_other_stack_the_fix_holds_and_the_two_labs_do_not_touch(lab, other_stack_lab, trial_requests):
    other_stack_lab.fresh_apache("fixed")
    document = other_stack_lab.load("fixed", requests=trial_requests, label=f"{other_stack_lab.stack}")
    # Two labs side by side (other project name, ports, receipts) do not touch each other:
    # neither the main lab's workers nor its broker (its firehose's records) saw this run.
    assert document["run_id"] not in "".join(path.read_text() for path in lab.receipts.glob("*.jsonl"))
    assert sum(document["broker"]["publishes_by_vhost"].values()) == document["summary"]["totals"]["sent"]
    assert document["stack"] == other_stack_lab.stack
    assert_versions_are_the_containers(other_stack_lab, document)
    assert_fixed_trial(document)


def test_make_down_leaves_no_container_network_or_volume(other_stack_lab):
    # The Makefile's own target, pointed at the other stack's project (Compose reads
    # COMPOSE_PROJECT_NAME): it runs last in this file, after that stack's trials.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    env.update(other_stack_lab.settings, COMPOSE_PROJECT_NAME=other_stack_lab.project)
    completed = subprocess.run(
        ["make", "--no-print-directory", "down"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    label = f"label=com.docker.compose.project={other_stack_lab.project}"
    for listing in (["ps", "-a"], ["network", "ls"], ["volume", "ls"]):
        left = subprocess.run(["docker", *listing, "-q", "--filter", label], capture_output=True, text=True)
        assert left.returncode == 0 and left.stdout.strip() == "", (listing, left.stdout)
