"""Options of the test suite (here, at the tests' root, so that pytest knows them at start)."""

import os

from loadtest.lab import STACKS


def pytest_addoption(parser):
    group = parser.getgroup("lab")
    # The stack of the full suite: --stack, else STACK in the environment (`make test STACK=...`
    # puts it there), else choices.mk's first.
    default = os.environ.get("STACK") if os.environ.get("STACK") in STACKS else STACKS[0]
    group.addoption("--stack", choices=STACKS, default=default, help="the stack of the full suite")
