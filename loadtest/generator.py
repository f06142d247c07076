"""The generator: which Host each request of a run goes to, a seeded mix."""

import random


def new_seed():
    return random.SystemRandom().randrange(1_000_000)


def first_host(first, host_apps, seed):
    """The Host of the request sent first and alone (FIRST): app1's or app2's Host, one picked
    by the seed (random), or None (burst: the mix from the first millisecond)."""
    if first == "burst":
        return None
    if first == "random":
        return random.Random(f"first-{seed}").choice(sorted(host_apps))
    return next(host for host, app in host_apps.items() if app == first)


def plan(hosts, requests, seed, first=None):
    """The Host of each request, in sending order; the same seed gives the same plan.
    `first`: the first request's Host (the client sends it alone, before the others)."""
    rng = random.Random(seed)
    hosts = [rng.choice(hosts) for _ in range(requests)]
    if first is not None:
        hosts[0] = first
    return hosts
