"""The integration suite's fixtures: pytest-docker brings up the suite's own Compose project of
the lab (its own project name, free ports read back from Docker, its own receipts and run
directories, so it never collides with a lab an attendee has running); the harness (harness.py)
drives it and every other stack's project through the code `make run` uses. Tests are sorted by
stack here, and the first other stack's lab starts booting a few tests before its own."""

import os

import pytest

from loadtest import provision
from loadtest.lab import ROOT, STACKS, UsageError
from tests.integration.harness import (
    PROJECT,
    SET_UP,
    OtherStacks,
    Runs,
    TestLab,
    compose_command,
    project_settings,
    suite_spec,
)


@pytest.fixture(scope="session")
def main_spec(pytestconfig):
    return suite_spec(stack=pytestconfig.getoption("--stack"))


@pytest.fixture(scope="session")
def suite_lab(main_spec):
    """The suite's own project, its images built first (provision.setup)."""
    lab = TestLab(PROJECT, project_settings("test-lab"))
    try:
        try:
            provision.docker(main_spec)
        except UsageError as exc:  # no engine, and none can be set up here: skipped, except in CI
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI=true: integration tests must run, not skip ({exc})")
            pytest.skip(f"no Docker here: {exc}")
        provision.setup(main_spec, lab)  # anything else that fails is the suite's failure
        provision.setup(suite_spec(main_spec, scenario="twelve-factor"), lab)  # PostgreSQL's image too
    finally:
        SET_UP.set()
    lab.write_run_files(main_spec)  # what Apache reads as pytest-docker starts it
    return lab


@pytest.fixture(scope="session")
def docker_compose_command(suite_lab, main_spec):
    return compose_command(suite_lab, main_spec)


@pytest.fixture(scope="session")
def docker_compose_file():
    return str(ROOT / "docker-compose.yml")


@pytest.fixture(scope="session")
def docker_compose_project_name():
    return PROJECT


@pytest.fixture(scope="session")
def docker_setup():
    return ["up --wait"]


@pytest.fixture(scope="session")
def docker_cleanup():
    return ["--profile postgres down -v --remove-orphans"]


@pytest.fixture(scope="session")
def lab(suite_lab, main_spec, other_stacks, docker_services):
    suite_lab.read_ports(main_spec)
    return suite_lab


@pytest.fixture(scope="session")
def lab_of(request, main_spec):
    """A function: the lab of a stack (the suite's own, or another one, once it is up)."""

    def lab_for(stack):
        if stack == main_spec.stack:
            return request.getfixturevalue("lab")
        return request.getfixturevalue("other_stacks").lab(stack)

    return lab_for


@pytest.fixture(scope="session")
def runs(lab_of):
    return Runs(lab_of)


@pytest.fixture(scope="session", autouse=True)
def bundle_proof(request, tmp_path_factory):
    """The offline bundle's slow proof (test_bundle.py: BundleProof), started with the first
    integration test when the bundle's tests are selected, so that it runs beside the others;
    those tests run last and assert what it recorded."""
    if not any(item.module.__name__.endswith("test_bundle") for item in request.session.items):
        yield None
        return
    from tests.integration.test_bundle import BundleProof, laptop_pythons

    proof = BundleProof(request.config.getoption("--stack"), tmp_path_factory.mktemp("bundle-proof"))
    proof.start()
    yield proof
    proof.join(timeout=600 + 600 * len(laptop_pythons()))


# How many tests before the first test of another stack its lab starts booting: enough for a
# boot, without an idle lab (its broker, workers and their healthchecks) taking CPU from the
# suite's own runs all along.
BOOT_AHEAD = 8
OTHER_STACKS = pytest.StashKey()
BOOT_FROM = pytest.StashKey()  # the node ids from which on that lab should be booting


@pytest.fixture(scope="session")
def other_stacks(request, main_spec):
    others = OtherStacks(main_spec.stack)
    request.session.stash[OTHER_STACKS] = others
    try:
        yield others
    finally:
        others.close()


def pytest_runtest_setup(item):
    """The first other stack's lab starts booting BOOT_AHEAD tests before its first test."""
    others = item.session.stash.get(OTHER_STACKS, None)
    if others is not None and not others.starting and item.nodeid in item.config.stash.get(BOOT_FROM, ()):
        others.start(others.order[0])


def stack_rank(item):
    """(marked `last`, on another stack than the suite's own, that stack's place in choices.mk)."""
    main = item.config.getoption("--stack")
    params = item.callspec.params if hasattr(item, "callspec") else {}
    stack = params.get("other_stack") or main
    if hasattr(params.get("run_spec"), "stack"):  # a test parametrized by the spec it runs
        stack = params["run_spec"].stack
    stack = item.get_closest_marker("stack").args[0] if item.get_closest_marker("stack") else stack
    return (item.get_closest_marker("last") is not None, stack != main, STACKS.index(stack))


def pytest_collection_modifyitems(config, items):
    """Integration tests on the suite's own stack first, then each other stack's together, in
    choices.mk's order (see OtherStacks); a test marked `last` after them all."""
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
    ranks = {
        item.nodeid: stack_rank(item) if "tests/integration" in str(item.fspath) else (False, False, -1)
        for item in items
    }
    items.sort(key=lambda item: ranks[item.nodeid])
    first_other = next((i for i, item in enumerate(items) if ranks[item.nodeid][1]), len(items))
    if first_other < len(items):
        config.stash[BOOT_FROM] = {item.nodeid for item in items[max(first_other - BOOT_AHEAD, 0) : first_other + 1]}


@pytest.fixture(scope="session")
def buggy_run(runs):
    """One buggy fresh-Apache run that several tests read (its page, its versions): the
    workshop's `make reproduce FIRST=app2 PROCESSES=1`, where app1 is poisoned for certain."""
    return runs.exercise("choose-the-victim")
