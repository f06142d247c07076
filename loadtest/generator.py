"""The generator: which Host each request of a run goes to, a seeded mix."""

import random


def new_seed():
    return random.SystemRandom().randrange(1_000_000)


def first_hosts(first, host_apps, seed):
    """The Host of the page view sent first, alone, before the plan (FIRST): app1's, app2's, or
    (`random`) the one the seed picks; none for `burst` (the plan from the first millisecond).
    A fresh Apache child's first request usually comes alone, and is a page view: the child
    that takes it creates that app's interpreter first, and every interpreter it creates later
    for the other app inherits what that one wrote. (A list: a run records the Hosts it asked
    first.)"""
    if first == "burst":
        return []
    if first == "random":
        return [random.Random(f"first-{seed}").choice(sorted(host_apps))]
    return [next(host for host, app in host_apps.items() if app == first)]


def plan(hosts, requests, seed):
    """The Host of each request, in sending order; the same seed gives the same plan."""
    rng = random.Random(seed)
    return [rng.choice(hosts) for _ in range(requests)]
