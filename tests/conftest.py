"""Options of the test suite (here, at the tests' root, so that pytest knows them at start)."""

from loadtest.lab import STACKS


def pytest_addoption(parser):
    group = parser.getgroup("lab")
    # 3 per code: at RAMP_UP 1 s, 70 of 70 fresh starts reproduced (docs/timings.md).
    group.addoption("--trials", type=int, default=3, help="fresh-Apache trials per code (3)")
    group.addoption("--trial-requests", type=int, default=40, help="requests per trial (40)")
    group.addoption("--stack", choices=STACKS, default=STACKS[0], help="the stack of the full suite")
