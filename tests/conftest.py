"""Options of the test suite (here, at the tests' root, so that pytest knows them at start)."""

from loadtest.lab import STACKS


def pytest_addoption(parser):
    group = parser.getgroup("lab")
    # 2 per code, and the workshop's plain `make reproduce` is a third random buggy start: at
    # RAMP_UP 1 s, 130 of 130 fresh starts reproduced (docs/timings.md).
    group.addoption("--trials", type=int, default=2, help="fresh-Apache trials per code (2)")
    group.addoption("--trial-requests", type=int, default=40, help="requests per trial (40)")
    group.addoption("--stack", choices=STACKS, default=STACKS[0], help="the stack of the full suite")
