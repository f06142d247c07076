"""The generator: which Host each request of a run goes to, a seeded mix."""

import random


def new_seed():
    return random.SystemRandom().randrange(1_000_000)


def first_hosts(first, host_apps, seed):
    """The Hosts of the page views sent first, one at a time, before the plan (FIRST): app1's
    Host then app2's, or app2's then app1's (`random`: the seed picks the order); none for
    `burst` (the plan from the first millisecond). A fresh Apache child's first requests
    usually come one at a time, and are page views: the child that takes the first creates that
    app's interpreter first, and the second one's interpreter, created after that write, then
    inherits it. Both come before any task, so that every app's Celery configures itself only
    after both entries ran (on Python 2.7 to 3.8 that decides whose value a lazy read finds)."""
    if first == "burst":
        return []
    hosts = sorted(host_apps)
    leading = random.Random(f"first-{seed}").choice(hosts) if first == "random" else None
    leading = leading or next(host for host, app in host_apps.items() if app == first)
    return [leading, *(host for host in hosts if host != leading)]


def plan(hosts, requests, seed):
    """The Host of each request, in sending order; the same seed gives the same plan."""
    rng = random.Random(seed)
    return [rng.choice(hosts) for _ in range(requests)]
