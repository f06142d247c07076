"""Options of the test suite (here, at the tests' root, so that pytest knows them at start)."""

from loadtest.lab import STACKS


def pytest_addoption(parser):
    group = parser.getgroup("lab")
    group.addoption("--trials", type=int, default=5, help="fresh-Apache trials per code (5)")
    group.addoption("--trial-requests", type=int, default=40, help="requests per trial (40)")
    group.addoption("--stack", choices=STACKS, default=STACKS[0], help="the stack of the full suite")
