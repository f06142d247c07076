"""Options of the test suite (here, at the tests' root, so that pytest knows them at start)."""

from loadtest.lab import STACKS


def pytest_addoption(parser):
    group = parser.getgroup("lab")
    # 1 per code: the mechanism's run and the workshop's `make reproduce` are more random buggy
    # starts. 130 of 130 fresh starts reproduced at RAMP_UP 1 s, 10 of 10 at 0 (docs/timings.md).
    group.addoption("--trials", type=int, default=1, help="fresh-Apache trials per code (1)")
    group.addoption("--trial-requests", type=int, default=40, help="requests per trial (40)")
    group.addoption("--stack", choices=STACKS, default=STACKS[0], help="the stack of the full suite")
