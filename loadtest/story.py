"""The interpreters' story: per Apache child, its interpreters in the order mod_wsgi created
them, what each inherited, wrote and used of every watched variable, whether the time axis
agrees with what they inherited, and the reasons the run came out as it did. Pure functions of
the answers the interpreters gave (and mod_wsgi's log lines): a sub-checker of loadtest.checker.
Codes, counts and evidence only: loadtest.phrasebook tells them.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from loadtest.lab import APPS, READERS, WATCHED, app_for_group, owner

# The name Celery gives the app it builds for itself when none was made the default
# (celery/_state.py): configured lazily, from CELERY_CONFIG_MODULE in the environment.
DEFAULT_CELERY_APP = "default"
# The loader of an app configured with config_from_object(); the default app's loader is
# celery.loaders.default, which reads CELERY_CONFIG_MODULE.
NAMED_CONFIG_LOADER = "celery.loaders.app"
# What an interpreter did with one watched variable (VariableStory.outcome).
VARIABLE_OUTCOMES = ("none", "own", "kept", "overwrote", "unread", "changed")


@dataclass(frozen=True)
class Use:
    """A value a framework used (None: not from the environment, or nothing), and how often."""

    value: str | None
    count: int


@dataclass(frozen=True)
class WriteAt:
    value: str | None
    at: float


@dataclass(frozen=True)
class VariableStory:
    """One watched variable in one interpreter. outcome: 'none' (inherited nothing), 'own'
    (inherited nothing; set its own), 'kept' (inherited another app's value and used it),
    'overwrote' (inherited another app's value and overwrote it before it was read), 'unread'
    (inherited another app's value; nothing read it), 'changed' (used a value it neither
    inherited nor wrote: another interpreter wrote it after this one started)."""

    inherited: str | None
    inherited_foreign: bool
    writes: tuple[WriteAt, ...]
    left_by_entry: str | None
    used: tuple[Use, ...]  # the values its reader (Celery, Django) used, None left out
    used_foreign: bool
    outcome: Literal["none", "own", "kept", "overwrote", "unread", "changed"]
    kept_by: Literal["setdefault", "load_dotenv"] | None = None  # what kept an inherited value


@dataclass
class Interpreter:
    """One interpreter of one Apache child: its times, what it inherited and wrote, what its
    frameworks used, where its tasks, rows and signatures went, and what failed."""

    pid: int
    application_group: str | None
    host_app: str
    served_by: str | None = None
    created_at: float | None = None
    first_ran_at: float | None = None
    entry_loaded_at: float | None = None
    entry: str | None = None
    logged_at: float | None = None  # mod_wsgi's own log line of its creation
    gil: str | None = None
    environ_dict_id: int | None = None
    first_request_at: float | None = None
    inherited: dict[str, str] = field(default_factory=dict)
    writes: tuple[WriteAt, ...] = ()
    write_names: tuple[str, ...] = ()  # the name of each write, in step with `writes`
    after_entry: dict[str, str | None] = field(default_factory=dict)
    used: dict[str, tuple[Use, ...]] = field(default_factory=dict)  # per watched variable, None included
    published_to: dict[str, int] = field(default_factory=dict)  # "user@vhost" -> tasks
    rows_in: dict[str, int] = field(default_factory=dict)  # database(s) -> rows ("none": no row)
    signed_with: dict[str, int] = field(default_factory=dict)  # whose key -> answers ("unsigned")
    errors: dict[str, int] = field(default_factory=dict)
    celery_apps: dict[str, int] = field(default_factory=dict)
    celery_loaders: dict[str, int] = field(default_factory=dict)
    named_config: dict[str, int] = field(default_factory=dict)  # config modules given by name
    threads: dict[str, int] = field(default_factory=dict)  # Celery app -> how many threads used it
    variables: dict[str, VariableStory] = field(default_factory=dict)
    config_module: str | None = None  # the config most of its requests used
    used_foreign: tuple[str, ...] = ()  # the variables whose other app's value a framework used
    foreign_rows: int = 0
    foreign_signatures: int = 0

    @property
    def key(self):
        return self.pid, self.application_group

    @property
    def foreign_config(self):
        return self.variables["CELERY_CONFIG_MODULE"].used_foreign

    @property
    def wrong_settings(self):
        return self.variables["DJANGO_SETTINGS_MODULE"].used_foreign

    @property
    def poisoned(self):
        return bool(self.used_foreign or self.foreign_rows or self.foreign_signatures)

    def uses(self, name, value):
        return sum(use.count for use in self.used.get(name, ()) if use.value == value)


@dataclass(frozen=True)
class Child:
    """One Apache child (or mod_wsgi daemon process) and its interpreters in creation order.
    environ_dict: 'shared' when two of them hold the very same os.environ dict (Python 2.7 and
    3.x up to 3.8), 'own' when each holds its own, None when fewer than two said."""

    pid: int
    interpreters: tuple[Interpreter, ...]
    environ_dict: str | None = None


@dataclass(frozen=True)
class Reason:
    """One thing that happened, with its counts: phrasebook.reason() tells it. code: kept,
    changed, overwrote, unread (a variable's outcome in `interpreters` of `of`); threads_fell_back
    (`threads` of `of` threads of `app`'s interpreter in child `pid` used Celery's default app);
    no_config_module (`count` requests in `interpreters`); named_config (every Celery app named
    its module; `broker_read` interpreters read CELERY_BROKER_URL anyway); rows_in_other_database,
    signed_with_other_key (`count` in `interpreters`); nothing_inherited; and from the checker:
    routed_to_other_interpreter, failed_in_fault, lost_before_broker, lost_after_broker, redelivered."""

    code: str
    variable: str | None = None
    interpreters: int = 0
    of: int = 0
    count: int = 0
    app: str | None = None
    pid: int | None = None
    group: str | None = None
    threads: int = 0
    environ: str | None = None
    broker_read: int = 0
    fault: str | None = None
    transport: str | None = None


@dataclass(frozen=True)
class Conflict:
    """A place where the recorded times contradict what an interpreter says it inherited.
    code: 'was_before' (`value` was there before the interpreter existed, yet it inherited
    `inherited`), 'unwritten' (it inherited `inherited`, which no interpreter had written yet)."""

    code: str
    pid: int
    group: str | None
    variable: str
    inherited: str | None
    value: str | None = None


# ---- the timeline -------------------------------------------------------------------------
def timeline(history):
    """Per Apache child, its interpreters in the order mod_wsgi created them (see Interpreter).
    The page views sent first created interpreters and published nothing; mod_wsgi's own log
    lines give the creation times shown beside each interpreter's own record."""
    table = {}
    for greeting in history.first_requests:
        if greeting.answer:
            interpreter_of(table, greeting.answer)
    tallies = {}
    for result in history.results:
        if result.answer and result.answer.pid is not None:
            entry = interpreter_of(table, result.answer)
            tally(tallies.setdefault(entry.key, Tally()), result, history)
    logged_at = {(line.pid, line.group): line.at for line in history.interpreter_log}
    children = {}
    for entry in table.values():
        finish(entry, tallies.get(entry.key, Tally()), logged_at, history.key_fingerprints)
        children.setdefault(entry.pid, []).append(entry)
    return tuple(
        Child(pid=pid, interpreters=tuple(sorted(rows, key=creation_order)), environ_dict=environ_dict(rows))
        for pid, rows in sorted(children.items())
    )


def interpreter_of(table, answer):
    """The table's entry for the interpreter that gave `answer`, made from its first answer;
    each answer carries the interpreter's writes so far: the longest list is kept."""
    record = answer.interpreter
    entry = table.get(answer.interpreter_key)
    if entry is None:
        entry = table[answer.interpreter_key] = Interpreter(
            pid=answer.pid,
            application_group=answer.application_group,
            host_app=app_for_group(answer.application_group, answer.process_group),
            served_by=answer.served_by,
        )
        if record:
            entry.created_at, entry.first_ran_at = record.created_at, record.first_ran_at
            entry.entry_loaded_at, entry.entry, entry.gil = record.entry_loaded_at, record.entry, record.gil
            entry.environ_dict_id, entry.after_entry = record.environ_dict_id, dict(record.after_entry)
            entry.inherited = {name: value for name, value in record.inherited.items() if value}
    writes = [write for write in (record.writes if record else ()) if write.name in WATCHED]
    if len(writes) > len(entry.writes):
        entry.writes = tuple(WriteAt(write.value, write.at) for write in writes)
        entry.write_names = tuple(write.name for write in writes)
    started = answer.request_started_at
    if started and (entry.first_request_at is None or started < entry.first_request_at):
        entry.first_request_at = started
    return entry


@dataclass
class Tally:
    """What one interpreter's requests used and did, counted as the answers arrive."""

    used: dict[str, Counter] = field(default_factory=lambda: {name: Counter() for name in WATCHED})
    published_to: Counter = field(default_factory=Counter)
    rows_in: Counter = field(default_factory=Counter)
    signed_with: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    celery_apps: Counter = field(default_factory=Counter)
    celery_loaders: Counter = field(default_factory=Counter)
    named_config: Counter = field(default_factory=Counter)
    threads: dict[str, set] = field(default_factory=dict)


def tally(counts, result, history):
    """One request's answer: Celery's and Django's modules whatever named them
    (config_from_object() included: named_config); every other variable as the interpreter says
    its framework took it from the environment (None: not from there)."""
    answer = result.answer
    broker = answer.broker
    counts.used["CELERY_CONFIG_MODULE"][broker.config_module if broker else None] += 1
    counts.used["DJANGO_SETTINGS_MODULE"][answer.django_settings] += 1
    for name in WATCHED[2:]:
        counts.used[name][answer.used.get(name)] += 1
    if history.rows is not None:
        counts.rows_in["+".join(history.rows.get(result.request_id, ())) or "none"] += 1
    if history.signers is not None:
        counts.signed_with[history.signers.get(result.request_id) or "unsigned"] += 1
    app = str(broker.celery_app) if broker else "none"
    counts.celery_apps[app] += 1
    counts.celery_loaders[str(broker.loader) if broker else "none"] += 1
    if broker and broker.config_from_environment is False:
        counts.named_config[str(broker.config_module)] += 1
    if answer.thread is not None:
        counts.threads.setdefault(app, set()).add(answer.thread)
    if result.ok:
        counts.published_to[f"{answer.publisher_user}@{answer.publisher_vhost}"] += 1
    else:
        counts.errors[result.error_kind] += 1


def finish(entry, counts, logged_at, fingerprints):
    """An interpreter's counts, its variables' stories, and what of the other app it used."""
    entry.logged_at = logged_at.get(entry.key)
    entry.used = {
        name: tuple(Use(value, n) for value, n in sorted(used.items(), key=lambda vn: (-vn[1], str(vn[0]))))
        for name, used in counts.used.items()
    }
    for name in ("published_to", "rows_in", "signed_with", "errors", "celery_apps", "celery_loaders", "named_config"):
        setattr(entry, name, dict(getattr(counts, name)))
    entry.threads = {name: len(threads) for name, threads in counts.threads.items()}
    entry.variables = {name: variable_story(entry, name, fingerprints) for name in WATCHED}
    configs = [use for use in entry.used["CELERY_CONFIG_MODULE"] if use.value is not None]
    entry.config_module = configs[0].value if configs else None
    entry.used_foreign = tuple(name for name in WATCHED if entry.variables[name].used_foreign)
    entry.foreign_rows = sum(n for where, n in entry.rows_in.items() if foreign(where, entry.host_app))
    entry.foreign_signatures = sum(n for who, n in entry.signed_with.items() if who in APPS and who != entry.host_app)


def foreign(database, app):
    """Is a row's place ('app1', 'app1+app2', 'none', ...) another app's database?"""
    return any(name in APPS and name != app for name in database.split("+"))


def environ_dict(interpreters):
    ids = [entry.environ_dict_id for entry in interpreters if entry.environ_dict_id is not None]
    if len(ids) < 2:
        return None
    return "shared" if len(set(ids)) < len(ids) else "own"


def measured_environ(children):
    """'shared' or 'own' when the run's children say so (Child.environ_dict), else None."""
    said = {child.environ_dict for child in children} - {None}
    return said.pop() if len(said) == 1 else None


def creation_order(entry):
    known = [at for at in (entry.created_at, entry.logged_at, entry.first_ran_at) if at is not None]
    return (not known, min(known, default=0))


def child_origin(child):
    """The moment the child's first interpreter was created: 0 on its time axis."""
    times = [at for entry in child.interpreters for at in (entry.created_at, entry.first_ran_at) if at]
    return min(times, default=0.0)


# ---- one variable -------------------------------------------------------------------------
def variable_story(entry, name, fingerprints=None):
    """One watched variable in one interpreter: what it inherited (at creation), what it wrote
    (and when), what its entry left, what its reader (Celery, Django) used, and the outcome,
    judged by whose value each was (lab.owner: an app's module, a URL's user, a key's
    fingerprint), so that a masked value and the one a framework reports compare."""

    def app(value):
        return owner(value, fingerprints)

    inherited = entry.inherited.get(name)
    writes = tuple(write for write, written in zip(entry.writes, entry.write_names, strict=True) if written == name)
    used = tuple(use for use in entry.used.get(name, ()) if use.value is not None)
    # What its reader took from the environment: a Celery app given its module by name
    # (config_from_object()) read none.
    named = entry.named_config if name == "CELERY_CONFIG_MODULE" else {}
    read = {use.value for use in used if use.count > named.get(use.value, 0)}
    known = {app(value) for value in {write.value for write in writes} | {inherited}}
    # One os.environ for every interpreter (Python 2.7 to 3.8): another interpreter wrote it after
    # this one started (before or after its entry ran; then setdefault() kept it, or Celery read
    # it lazily).
    if any(app(value) not in known and app(value) not in (None, entry.host_app) for value in read):
        outcome = "changed"
    elif inherited is None:
        outcome = "own" if writes else "none"
    elif app(inherited) in {app(value) for value in read}:
        outcome = "kept"
    elif writes:
        outcome = "overwrote"
    else:
        outcome = "unread"
    return VariableStory(
        inherited=inherited,
        inherited_foreign=app(inherited) not in (None, entry.host_app),
        writes=writes,
        left_by_entry=entry.after_entry.get(name),
        used=used,
        used_foreign=any(app(use.value) not in (None, entry.host_app) for use in used),
        outcome=outcome,
        kept_by=kept_by(entry, name) if outcome == "kept" else None,
    )


# What keeps a value that is already there, by what the entry that ran does with it: the lab's
# entries setdefault() CELERY_CONFIG_MODULE (and, generated, DJANGO_SETTINGS_MODULE); a
# twelve-factor entry loads its .env with python-dotenv's load_dotenv(), which keeps what is set
# unless told to override.
SET_BY_SETDEFAULT = ("CELERY_CONFIG_MODULE", "DJANGO_SETTINGS_MODULE")


def kept_by(entry, name):
    if name in SET_BY_SETDEFAULT:
        return "setdefault"
    return "load_dotenv" if "twelve" in (entry.entry or "").replace("_", "-") else None


def source_of(interpreters, index, name):
    """The earlier interpreter of the same child whose write `interpreters[index]` inherited, as
    its index, or None."""
    story = interpreters[index].variables[name]
    if story.inherited is None:
        return None
    return next(
        (i for i, earlier in enumerate(interpreters[:index])
         if story.inherited in {write.value for write in earlier.variables[name].writes}),
        None,
    )  # fmt: skip


# ---- the time axis against what was inherited ---------------------------------------------
def inheritance_conflicts(children):
    """Where the recorded times contradict what the interpreters say they inherited; empty
    when the time axis and the inheritance agree. An interpreter copies its child's
    environment while mod_wsgi creates it: after the first request it served began (a lower
    bound) and before its own record of its creation (an upper bound). The child's first
    interpreter, created before any other could write, inherited the process's own values.
    So a write by another interpreter of the child before that lower bound must have been
    inherited (or a later write of the same variable, made before the upper bound); and a
    value it inherited must have been written before the upper bound, or be the process's own."""
    conflicts = []
    for child in children:
        interpreters = sorted(child.interpreters, key=creation_order)
        writes = [
            (write.at, name, write.value, entry.application_group)
            for entry in interpreters
            for name, story in entry.variables.items()
            for write in story.writes
        ]
        for entry in interpreters:
            for name in WATCHED:
                own = interpreters[0].variables[name].inherited  # the process's own value
                others = sorted(w for w in writes if w[1] == name and w[3] != entry.application_group)
                conflicts += conflicts_of(child.pid, entry, name, own, others)
    return tuple(conflicts)


def conflicts_of(pid, entry, name, own, others):
    low, high = entry.first_request_at, entry.created_at or entry.first_ran_at
    inherited = entry.variables[name].inherited
    before = [w for w in others if low is not None and w[0] < low]
    possible = {before[-1][2]} if before else {own}
    possible |= {w[2] for w in others if high is not None and (low or 0) <= w[0] < high}
    found = []
    if low is not None and inherited not in possible:
        was = before[-1][2] if before else own
        found.append(Conflict("was_before", pid, entry.application_group, name, inherited, was))
    written_before = any(w[2] == inherited and high is not None and w[0] < high for w in others)
    if inherited not in (None, own) and not written_before:
        found.append(Conflict("unwritten", pid, entry.application_group, name, inherited))
    return found


# ---- why ----------------------------------------------------------------------------------
def reasons(children):
    """Why the run came out as it did, from what each interpreter inherited, wrote and used of
    every watched variable: one Reason per thing that happened, each with how many interpreters
    it happened in."""
    interpreters = [entry for child in children for entry in child.interpreters]
    if not interpreters:
        return []
    environ = measured_environ(children)
    found = []
    for name in READERS:
        stories = [(entry, entry.variables[name]) for entry in interpreters]
        for outcome in ("kept", "changed", "overwrote", "unread"):
            foreign_value = (lambda s: s.used_foreign) if outcome == "changed" else (lambda s: s.inherited_foreign)
            hit = [entry for entry, s in stories if s.outcome == outcome and foreign_value(s)]
            if hit:
                found.append(
                    Reason(outcome, variable=name, interpreters=len(hit), of=len(interpreters), environ=environ)
                )
    found += celery_reasons(interpreters)
    found += witness_reasons(interpreters)
    return found


def celery_reasons(interpreters):
    """Threads that fell back to Celery's default app, requests with no config module, and every
    app named by config_from_object()."""
    found = []
    for entry in interpreters:
        if DEFAULT_CELERY_APP in entry.celery_apps and len(entry.celery_apps) > 1:
            fell_back, seen = entry.threads.get(DEFAULT_CELERY_APP, 0), sum(entry.threads.values())
            found.append(Reason("threads_fell_back", app=entry.host_app, pid=entry.pid, threads=fell_back, of=seen))
    unconfigured = [e for e in interpreters if e.uses("CELERY_CONFIG_MODULE", None)]
    if unconfigured:
        requests = sum(e.uses("CELERY_CONFIG_MODULE", None) for e in unconfigured)
        found.append(Reason("no_config_module", count=requests, interpreters=len(unconfigured)))
    if all(set(entry.celery_loaders) == {NAMED_CONFIG_LOADER} for entry in interpreters):
        read = [e for e in interpreters if e.variables["CELERY_BROKER_URL"].used]
        found.append(Reason("named_config", interpreters=len(interpreters), broker_read=len(read)))
    return found


def witness_reasons(interpreters):
    """What PostgreSQL and the keys say, and the case where nothing passed at all."""
    found = []
    wrong_rows = [e for e in interpreters if e.foreign_rows]
    if wrong_rows:
        rows = sum(e.foreign_rows for e in wrong_rows)
        found.append(Reason("rows_in_other_database", count=rows, interpreters=len(wrong_rows)))
    wrong_keys = [e for e in interpreters if e.foreign_signatures]
    if wrong_keys:
        answers = sum(e.foreign_signatures for e in wrong_keys)
        found.append(Reason("signed_with_other_key", count=answers, interpreters=len(wrong_keys)))
    if not any(story.inherited_foreign for entry in interpreters for story in entry.variables.values()):
        found.append(Reason("nothing_inherited", interpreters=len(interpreters)))
    return found
