"""The generator: which Host each request of a run goes to, a seeded mix."""

import random


def new_seed():
    return random.SystemRandom().randrange(1_000_000)


def plan(hosts, requests, seed):
    """The Host of each request, in sending order; the same seed gives the same plan."""
    rng = random.Random(seed)
    return [rng.choice(hosts) for _ in range(requests)]
