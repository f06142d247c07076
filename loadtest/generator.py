"""The generator: which Host each request of a run goes to, a seeded mix."""

import random


def new_seed():
    return random.SystemRandom().randrange(1_000_000)


def plan(hosts, requests, seed, first=None):
    """The Host of each request, in sending order; the same seed gives the same plan.
    `first`: the first request's Host (the client sends it alone, before the others)."""
    rng = random.Random(seed)
    hosts = [rng.choice(hosts) for _ in range(requests)]
    if first is not None:
        hosts[0] = first
    return hosts
