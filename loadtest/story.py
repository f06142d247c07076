"""The interpreters' story: per Apache child, its interpreters in the order mod_wsgi created
them, what each inherited, wrote and used of every watched variable, whether the time axis
agrees with what they inherited, and the "Why" sentences told from it. Pure functions of the
answers the interpreters gave (and mod_wsgi's log lines): a sub-checker of loadtest.checker.
"""

from collections import Counter

from loadtest.lab import APPS, READERS, WATCHED, app_for_group, owner


def timeline(results, logged=(), greetings=(), fingerprints=None, rows=None, signers=None):
    """Per Apache child, its interpreters in the order mod_wsgi created them: when each was
    created, first ran its WSGI file, wrote a watched variable and served its first request;
    what it inherited and used of each watched variable (variable_story); where it published,
    where PostgreSQL holds its rows and whose key signed its answers, and what failed.
    `logged`: mod_wsgi's own "Create interpreter" lines (history), whose times are shown
    beside the interpreter's own record. `greetings`: the first page views (client.greet),
    which created interpreters and published nothing. `fingerprints` ({key fingerprint: app})
    names the app of a masked SECRET_KEY; `rows` ({request_id: [database, ...]}) and `signers`
    ({request_id: app, "neither" or None}) are what PostgreSQL and the keys say, in the
    scenarios with a database."""
    table = {}
    pages = [{"response": greeting.get("answer") or {}, "page_view": True} for greeting in greetings]
    for result in [*pages, *results]:
        response = result.get("response") or {}
        if "pid" not in response:
            continue
        key = (response["pid"], response.get("application_group"))
        record = response.get("interpreter") or {}
        entry = table.get(key)
        if entry is None:
            entry = table[key] = {
                "pid": response["pid"],
                "application_group": response.get("application_group"),
                "host_app": app_for_group(response.get("application_group"), response.get("process_group")),
                "served_by": response.get("served_by"),
                "created_at": record.get("created_at"),
                "first_ran_at": record.get("first_ran_at"),
                "entry_loaded_at": record.get("entry_loaded_at"),
                "gil": record.get("gil"),
                "environ_dict_id": record.get("environ_dict_id"),
                "first_request_at": None,
                "inherited": {name: value for name, value in (record.get("inherited") or {}).items() if value},
                "writes": [],
                "after_entry": record.get("after_entry") or {},
                "used": {name: Counter() for name in WATCHED},
                "published_to": Counter(),
                "rows_in": Counter(),  # where PostgreSQL holds the rows of its requests
                "signed_with": Counter(),  # whose key signed its answers
                "errors": Counter(),
                "celery_apps": Counter(),
                "celery_loaders": Counter(),
                "named_config": Counter(),  # config modules given by name (config_from_object())
                "threads": {},  # Celery app -> the Apache threads that used it
            }
        # Each answer carries the interpreter's writes so far: keep the longest list.
        writes = [write for write in record.get("writes") or [] if write.get("name") in WATCHED]
        if len(writes) > len(entry["writes"]):
            entry["writes"] = writes
        started = response.get("request_started_at")
        if started and (entry["first_request_at"] is None or started < entry["first_request_at"]):
            entry["first_request_at"] = started
        if result.get("page_view"):
            continue
        broker = response.get("broker") or {}
        # Celery's and Django's modules whatever named them (config_from_object() included:
        # named_config below); every other variable as the interpreter says its framework took
        # it from the environment (None: not from there).
        entry["used"]["CELERY_CONFIG_MODULE"][broker.get("config_module")] += 1
        entry["used"]["DJANGO_SETTINGS_MODULE"][response.get("django_settings")] += 1
        for name in WATCHED[2:]:
            entry["used"][name][(response.get("used") or {}).get(name)] += 1
        if rows is not None:
            entry["rows_in"]["+".join(rows.get(result["request_id"], [])) or "none"] += 1
        if signers is not None:
            entry["signed_with"][signers.get(result["request_id"]) or "unsigned"] += 1
        entry["celery_apps"][broker.get("celery_app")] += 1
        entry["celery_loaders"][broker.get("loader")] += 1
        if broker.get("config_from_environment") is False:
            entry["named_config"][broker.get("config_module")] += 1
        if response.get("thread") is not None:
            entry["threads"].setdefault(str(broker.get("celery_app")), set()).add(response["thread"])
        if result["ok"]:
            entry["published_to"][f"{response.get('publisher_user')}@{response.get('publisher_vhost')}"] += 1
        else:
            entry["errors"][result.get("error_kind")] += 1
    # A daemon process's main interpreter (%{GLOBAL}) is attached, not created.
    logged_at = {(line["pid"], line["group"]): line["at"] for line in logged}
    children = {}
    for entry in table.values():
        entry["logged_at"] = logged_at.get((entry["pid"], entry["application_group"]))
        entry["published_to"] = dict(entry["published_to"])
        entry["rows_in"], entry["signed_with"] = dict(entry["rows_in"]), dict(entry["signed_with"])
        entry["errors"] = dict(entry["errors"])
        entry["celery_apps"] = {str(name): n for name, n in entry["celery_apps"].items()}
        entry["celery_loaders"] = {str(name): n for name, n in entry["celery_loaders"].items()}
        entry["named_config"] = {str(name): n for name, n in entry["named_config"].items()}
        entry["threads"] = {name: len(threads) for name, threads in entry["threads"].items()}
        entry["used"] = {name: {str(value): n for value, n in used.items()} for name, used in entry["used"].items()}
        entry["variables"] = {name: variable_story(entry, name, fingerprints) for name in WATCHED}
        configs = [config for config in entry["used"]["CELERY_CONFIG_MODULE"] if config != "None"]
        # The config most requests used (for the table and the failures); the box shows every one.
        entry["config_module"] = max(configs, key=entry["used"]["CELERY_CONFIG_MODULE"].get, default=None)
        entry["foreign_config"] = entry["variables"]["CELERY_CONFIG_MODULE"]["used_foreign"]
        entry["wrong_settings"] = entry["variables"]["DJANGO_SETTINGS_MODULE"]["used_foreign"]
        # Every variable whose value of another app a framework used, and what PostgreSQL and
        # the keys say: rows in another app's database, answers signed with another app's key.
        entry["used_foreign"] = [name for name in WATCHED if entry["variables"][name]["used_foreign"]]
        entry["foreign_rows"] = sum(n for where, n in entry["rows_in"].items() if foreign(where, entry["host_app"]))
        entry["foreign_signatures"] = sum(
            n for signer, n in entry["signed_with"].items() if signer in APPS and signer != entry["host_app"]
        )
        entry["poisoned"] = bool(entry["used_foreign"] or entry["foreign_rows"] or entry["foreign_signatures"])
        children.setdefault(entry["pid"], []).append(entry)
    return [
        {"pid": pid, "interpreters": sorted(rows, key=creation_order), "environ_dict": environ_dict(rows)}
        for pid, rows in sorted(children.items())
    ]


def foreign(database, app):
    """Is a row's place ('app1', 'app1+app2', 'none', ...) another app's database?"""
    return any(name in APPS and name != app for name in database.split("+"))


def environ_dict(interpreters):
    """What the child's interpreters said of the dict their os.environ wraps (the posix
    module's): 'shared' when two of them hold the very same object (Python 2.7 and 3.x up to
    3.8), 'own' when each holds its own (copied at its creation), None when fewer than two
    interpreters said."""
    ids = [entry["environ_dict_id"] for entry in interpreters if entry.get("environ_dict_id") is not None]
    if len(ids) < 2:
        return None
    return "shared" if len(set(ids)) < len(ids) else "own"


def measured_environ(children):
    """'shared' or 'own' when the run's children say so (environ_dict), else None."""
    said = {child.get("environ_dict") for child in children} - {None}
    return said.pop() if len(said) == 1 else None


def creation_order(entry):
    known = [at for at in (entry["created_at"], entry["logged_at"], entry["first_ran_at"]) if at is not None]
    return (not known, min(known, default=0))


# What an interpreter did with one watched variable (variable_story's "outcome").
VARIABLE_OUTCOMES = {
    "none": "inherited nothing",
    "own": "inherited nothing; set its own",
    "kept": "inherited another app's value and used it",
    "overwrote": "inherited another app's value and overwrote it before it was read",
    "unread": "inherited another app's value; nothing read it",
    "changed": "used a value it neither inherited nor wrote: changed under it",
}


def child_origin(child):
    """The moment the child's first interpreter was created: 0 on its time axis."""
    times = [at for entry in child["interpreters"] for at in (entry["created_at"], entry["first_ran_at"]) if at]
    return min(times, default=0.0)


def describe_used(used):
    """'app2.celeryconfig' or 'app2.celeryconfig x138, none x16'."""
    if not used:
        return "nothing yet (it served page views only)"
    if len(used) == 1:
        return "none" if next(iter(used)) == "None" else next(iter(used))
    return ", ".join(
        f"{'none' if value == 'None' else value} x{n}"
        for value, n in sorted(used.items(), key=lambda vn: (-vn[1], vn[0]))
    )


def variable_story(entry, name, fingerprints=None):
    """One watched variable in one interpreter: what it inherited (at creation), what it wrote
    (and when), what its entry left, what its reader (Celery, Django) used, and the outcome,
    judged by whose value each was (lab.owner: an app's module, a URL's user, a key's
    fingerprint), so that a masked value and the one a framework reports compare."""

    def app(value):
        return owner(value, fingerprints)

    inherited = entry["inherited"].get(name)
    writes = [{"value": write["value"], "at": write["at"]} for write in entry["writes"] if write["name"] == name]
    used = {value: n for value, n in entry["used"][name].items() if value != "None"}
    written = {write["value"] for write in writes}
    left = entry["after_entry"].get(name)
    # What its reader took from the environment: a Celery app given its module by name
    # (config_from_object()) read none.
    named = entry.get("named_config", {}) if name == "CELERY_CONFIG_MODULE" else {}
    read = {value: n - named.get(value, 0) for value, n in used.items() if n > named.get(value, 0)}
    # One os.environ for every interpreter (Python 2.7 to 3.8): another interpreter wrote it after
    # this one started (before or after its entry ran; then setdefault() kept it, or Celery
    # read it lazily).
    known = {app(value) for value in written | {inherited}}
    if any(app(value) not in known and app(value) not in (None, entry["host_app"]) for value in read):
        outcome = "changed"
    elif inherited is None:
        outcome = "own" if writes else "none"
    elif app(inherited) in {app(value) for value in read}:
        outcome = "kept"
    elif writes:
        outcome = "overwrote"
    else:
        outcome = "unread"
    return {
        "inherited": inherited,
        "inherited_foreign": app(inherited) not in (None, entry["host_app"]),
        "writes": writes,
        "left_by_entry": left,
        "used": used,
        "used_foreign": any(app(value) not in (None, entry["host_app"]) for value in used),
        "outcome": outcome,
    }


def inheritance_conflicts(children):
    """Where the recorded times contradict what the interpreters say they inherited; empty
    when the time axis and the inheritance agree. An interpreter copies its child's
    environment while mod_wsgi creates it: after the first request it served began (a lower
    bound) and before its own record of its creation (an upper bound). The child's first
    interpreter, created before any other could write, inherited the process's own values.
    So:
    - a write by another interpreter of the child before that lower bound must have been
      inherited (or a later write of the same variable, made before the upper bound);
    - a value it inherited must have been written before the upper bound, or be the
      process's own."""
    conflicts = []
    for child in children:
        interpreters = sorted(child["interpreters"], key=creation_order)
        writes = [
            (write["at"], name, write["value"], entry["application_group"])
            for entry in interpreters
            for name, story in entry["variables"].items()
            for write in story["writes"]
        ]
        for entry in interpreters:
            low = entry["first_request_at"]
            high = entry["created_at"] or entry["first_ran_at"]
            where = f"child {child['pid']}, group {entry['application_group']!r}"
            for name in WATCHED:
                own = interpreters[0]["variables"][name]["inherited"]  # the process's own value
                inherited = entry["variables"][name]["inherited"]
                others = sorted(w for w in writes if w[1] == name and w[3] != entry["application_group"])
                before = [w for w in others if low is not None and w[0] < low]
                possible = {before[-1][2]} if before else {own}
                possible |= {w[2] for w in others if high is not None and (low or 0) <= w[0] < high}
                if low is not None and inherited not in possible:
                    conflicts.append(
                        f"{where}: {name} was {before[-1][2] if before else own} before this interpreter existed, "
                        f"yet it inherited {inherited}"
                    )
                written_before = any(w[2] == inherited and high is not None and w[0] < high for w in others)
                if inherited not in (None, own) and not written_before:
                    conflicts.append(f"{where}: inherited {name}={inherited}, which no interpreter had written yet")
    return conflicts


# The name Celery gives the app it builds for itself when none was made the default
# (celery/_state.py): configured lazily, from CELERY_CONFIG_MODULE in the environment.
DEFAULT_CELERY_APP = "default"
# The loader of an app configured with config_from_object(); the default app's loader is
# celery.loaders.default, which reads CELERY_CONFIG_MODULE.
NAMED_CONFIG_LOADER = "celery.loaders.app"


# What the run measured of os.environ's dict, in the Why sentences (environ_dict).
SHARED_DICT = (
    "in each Apache child every interpreter's os.environ wraps one and the same dict, as this run measured (Python "
    "2.7, and 3.x up to 3.8, share it)"
)
OWN_DICT = "each interpreter's os.environ wraps a dict of its own, as this run measured (Python 3.9 and later copy it)"


def interpreters_count(entries):
    return f"{len(entries)} interpreter{'s' * (len(entries) != 1)}"


def explanation(children):
    """Why the run came out as it did, from what each interpreter inherited, wrote and used of
    every watched variable: one sentence per thing that happened, each with how many
    interpreters it happened in. `children` is timeline()'s output."""
    interpreters = [entry for child in children for entry in child["interpreters"]]
    if not interpreters:
        return []
    environ = measured_environ(children)
    sentences = []
    for name, (reader, decides) in READERS.items():
        what = f"{name} ({reader}: {decides})"
        stories = [(entry, entry["variables"][name]) for entry in interpreters]
        kept = [entry for entry, story in stories if story["outcome"] == "kept" and story["inherited_foreign"]]
        changed = [entry for entry, story in stories if story["outcome"] == "changed" and story["used_foreign"]]
        overwrote = [
            entry for entry, story in stories if story["outcome"] == "overwrote" and story["inherited_foreign"]
        ]
        unread = [entry for entry, story in stories if story["outcome"] == "unread" and story["inherited_foreign"]]
        if kept:
            sentences.append(
                f"{len(kept)} of {len(interpreters)} interpreters used another app's {what}: they inherited it "
                f"from their Apache child's environment when mod_wsgi created them, kept it (setdefault() keeps a "
                f"value that is already there, and so do python-dotenv's load_dotenv() and django-environ's "
                f"read_env() unless told to override), and {reader} read it."
            )
        if changed:
            sentences.append(
                f"In {interpreters_count(changed)} {reader} used another app's {what} that the interpreter neither "
                "inherited nor wrote: another interpreter wrote it after this one started"
                + (f" ({SHARED_DICT})." if environ == "shared" else ".")
            )
        if overwrote:
            sentences.append(
                f"{interpreters_count(overwrote)} inherited another app's {what} and overwrote it before {reader} read "
                f"it: the entries still write {name} into the process environment (os.environ[...] = ... calls "
                "putenv()), "
                + {
                    "shared": f"and {SHARED_DICT}: each write reaches the other interpreters at once, the last "
                    "writer wins.",
                    "own": f"which every interpreter mod_wsgi creates later in that child copies: {OWN_DICT}.",
                }.get(environ, "which every interpreter mod_wsgi creates later in that child inherits.")
            )
        if unread:
            sentences.append(
                f"{interpreters_count(unread)} inherited another app's {what}, but {reader} never read it: "
                + (
                    "each app's Celery app took its configuration from a named module (config_from_object())."
                    if name == "CELERY_CONFIG_MODULE"
                    else "nothing in the interpreter asked for it."
                )
            )
    split = [e for e in interpreters if DEFAULT_CELERY_APP in e["celery_apps"] and len(e["celery_apps"]) > 1]
    unconfigured = [e for e in interpreters if e["used"]["CELERY_CONFIG_MODULE"].get("None")]
    for entry in split:
        threads = entry.get("threads") or {}
        fell_back = threads.get(DEFAULT_CELERY_APP, 0)
        counted = (
            f"{fell_back} of its {sum(threads.values())} threads seen" if threads else "some threads"
        )  # fmt: skip
        sentences.append(
            f"In {entry['host_app']}'s interpreter of child {entry['pid']}, {counted} fell back to Celery's default "
            "app, configured from the environment; only the threads that ran the entry had the Celery app it "
            "built: Celery's current app is per thread, and app.set_default() makes it every thread's. (Celery's "
            "Django fix-up does that for the first app built, but only if DJANGO_SETTINGS_MODULE is already set "
            "then.)"
        )
    if unconfigured:
        requests = sum(e["used"]["CELERY_CONFIG_MODULE"]["None"] for e in unconfigured)
        sentences.append(
            f"{requests} requests in {interpreters_count(unconfigured)} published with no Celery config module at "
            "all (Celery's built-in default broker, amqp://guest@localhost//), because nothing set "
            "CELERY_CONFIG_MODULE for the default app those threads used."
        )
    if all(set(entry["celery_loaders"]) == {NAMED_CONFIG_LOADER} for entry in interpreters):
        broker_read = [e for e in interpreters if e["variables"]["CELERY_BROKER_URL"]["used"]]
        sentences.append(
            f"Every Celery app in all {len(interpreters)} interpreters took its configuration from a named module "
            "(config_from_object()): CELERY_CONFIG_MODULE was never read"
            + (
                f"; yet in {interpreters_count(broker_read)} Celery took its broker from CELERY_BROKER_URL in the "
                "environment, which it reads at every use, ahead of the app's own configuration."
                if broker_read
                else "."
            )
        )
    wrong_rows = [e for e in interpreters if e["foreign_rows"]]
    if wrong_rows:
        sentences.append(
            f"PostgreSQL holds {sum(e['foreign_rows'] for e in wrong_rows)} rows of {interpreters_count(wrong_rows)} "
            "in another app's database: the database Django used is the one its DATABASE_URL named."
        )
    wrong_keys = [e for e in interpreters if e["foreign_signatures"]]
    if wrong_keys:
        sentences.append(
            f"{sum(e['foreign_signatures'] for e in wrong_keys)} answers of {interpreters_count(wrong_keys)} were "
            "signed with another app's SECRET_KEY (checked against each app's key): a cookie or token one app "
            "issued is accepted by the other."
        )
    if not any(story["inherited_foreign"] for entry in interpreters for story in entry["variables"].values()):
        sentences.append(
            f"None of the {len(interpreters)} interpreters inherited another app's value of a watched variable "
            f"({', '.join(WATCHED)}): nothing passed from one app to the other through the process environment."
        )
    return sentences
