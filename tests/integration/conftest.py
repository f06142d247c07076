"""The integration suite's fixtures: pytest-docker brings up the suite's own Compose project of
the lab (its own project name, free ports read back from Docker, its own receipts directory,
so it never collides with a lab an attendee has running); the harness (harness.py) drives it
and every other stack's project. Tests are sorted by stack here."""

import os

import pytest

from loadtest.lab import STACKS
from tests.integration.harness import (
    PROJECT,
    ROOT,
    ExerciseRuns,
    Lab,
    OtherStacks,
    compose_with,
    docker_answers,
    read_env_file,
    stack_of_command,
    stack_settings,
)


def pytest_generate_tests(metafunc):
    if "trial" in metafunc.fixturenames:
        metafunc.parametrize("trial", range(metafunc.config.getoption("--trials")))


@pytest.fixture(scope="session")
def trial_requests(pytestconfig):
    return pytestconfig.getoption("--trial-requests")


@pytest.fixture(scope="session")
def lab_environment(pytestconfig):
    if not (ROOT / ".env").exists() or not docker_answers():
        message = "no Docker engine or no .env: run `make test`, which sets both up"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: integration tests must run, not skip ({message})")
        pytest.skip(message)
    return stack_settings(pytestconfig.getoption("--stack"), "test-lab")


@pytest.fixture(scope="session")
def docker_compose_command(lab_environment):
    return compose_with(lab_environment)


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
    return ["down -v --remove-orphans"]


@pytest.fixture(scope="session", autouse=True)
def bundle_proof(request, tmp_path_factory):
    """The offline bundle's slow proof (test_bundle.py: BundleProof), started with the first
    integration test when the bundle's tests are selected, so that it runs beside the others;
    those tests run last and assert what it recorded."""
    if not any(item.module.__name__.endswith("test_bundle") for item in request.session.items):
        yield None
        return
    from tests.integration.test_bundle import BundleProof

    proof = BundleProof(request.config.getoption("--stack"), tmp_path_factory.mktemp("bundle-proof"))
    proof.start()
    yield proof
    proof.join(timeout=1200)


# How many tests before the first test of another stack its lab starts booting: about a minute
# of the suite's own tests, enough for a boot, without an idle lab (its broker, workers and
# their healthchecks) taking CPU from the suite's own runs all along.
BOOT_AHEAD = 8
OTHER_STACKS = pytest.StashKey()
BOOT_FROM = pytest.StashKey()  # the node ids from which on that lab should be booting


@pytest.fixture(scope="session")
def other_stacks(request, lab_environment):
    others = OtherStacks(lab_environment["LAB_STACK"])
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


@pytest.fixture(scope="session")
def lab(lab_environment, other_stacks, docker_services):
    stack = Lab(PROJECT, lab_environment, read_env_file())
    stack.read_ports()
    return stack


@pytest.fixture(scope="session")
def lab_of(request, lab_environment):
    """A function: the lab of a stack (the suite's own, or another one, once it is up)."""

    def lab_for(stack):
        if stack == lab_environment["LAB_STACK"]:
            return request.getfixturevalue("lab")
        return request.getfixturevalue("other_stacks").lab(stack)

    return lab_for


def stack_rank(item):
    """(marked `last`, on another stack than the suite's own, that stack's place in choices.mk)."""
    main = item.config.getoption("--stack")
    params = item.callspec.params if hasattr(item, "callspec") else {}
    stack = params.get("other_stack") or main
    if isinstance(params.get("exercise"), dict):
        stack = stack_of_command(params["exercise"]["command"], main)
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
def buggy_run(exercise_runs):
    """One buggy fresh-Apache run that several tests read (its page, its versions): the
    workshop's `make reproduce FIRST=app2 PROCESSES=1`, where app1 is poisoned for certain."""
    return exercise_runs.run("choose-the-victim")


@pytest.fixture(scope="session")
def exercise_runs(request):
    return ExerciseRuns(request)
