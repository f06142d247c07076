"""envleak: does a sub-interpreter (mod_wsgi, uWSGI) run with a setting another interpreter of
the same process left in the process environment?

Importing this module does nothing but define it. `start()` begins recording, in the
interpreter that calls it: what the watched environment variables were at that moment (what
the interpreter inherited, when started at its creation), each write, each setdefault() and
update() (what the app meant to set), and each read through os.environ, with the code that
read it. `wrap()` starts recording if nothing did, and puts a middleware around a WSGI app
that judges the record after every request: a finding EL101-EL104 (envleak.codes) is logged
once on stderr (Apache's error log) when a value read in this interpreter was neither set by
it nor in the server's own start-up environment.

Start it as each interpreter is created: the opt-in line `import envleak; envleak.start()`
in an `envleak.pth` of the site-packages the server's Python reads; see docs/envleak.md.
Standard library only; Python 2.7 and 3.6+.
"""

import hashlib
import json
import os
import re
import sys
import threading
import time

from envleak import codes

__version__ = "0.3.0"

# Watched unless ENVLEAK_WATCH says otherwise, with what each one configures (for the log
# lines): the variables a Django or Celery app takes its configuration from.
USERS = {
    "CELERY_CONFIG_MODULE": "Celery's configuration module",
    "DJANGO_SETTINGS_MODULE": "Django's settings module",
    "CELERY_BROKER_URL": "Celery's broker",
    "CELERY_RESULT_BACKEND": "Celery's result backend",
    "DATABASE_URL": "Django's DATABASES",
    "SECRET_KEY": "Django's SECRET_KEY",
    "TZ": "the C library's time zone, process-wide",
}
DEFAULT_WATCH = (
    "CELERY_CONFIG_MODULE",
    "DJANGO_SETTINGS_MODULE",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "DATABASE_URL",
    "SECRET_KEY",
    "TZ",
)
# How much one interpreter keeps: the first writes (the story of its start); per variable the
# first distinct values read and asked for; at most MAX_NAMES variables (ENVLEAK_WATCH=*).
# Past that it counts what it dropped. A value's reader is looked for again at most MAX_WALKS
# times; a finding whose reader is only incidental waits at most HOLD requests for a better one.
MAX_WRITES = 64
MAX_VALUES = 16
MAX_NAMES = 256
MAX_WALKS = 32
HOLD = 16


def watch_setting(text):
    """ENVLEAK_WATCH: unset or empty: DEFAULT_WATCH; "none": off (nothing recorded, wrap()
    returns the app unchanged); "*": every variable; else comma-separated names.
    (watched, watch_all, enabled)."""
    text = (text or "").strip()
    if not text:
        return DEFAULT_WATCH, False, True
    if text.lower() == "none":
        return (), False, False
    if text == "*":
        return DEFAULT_WATCH, True, True
    return tuple(name.strip() for name in text.split(",") if name.strip()), False, True


# --- Masking: nothing envleak logs or serves shows a secret --------------------------------
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|(^|_)KEY$|_KEY_", re.I)
URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^:@/\s;,]*:)[^@\s;,]*(@)")
QUERY_SECRET = re.compile(r"([?&](?:password|passwd|secret|token|key)=)[^&\s;,]*", re.I)


def fingerprint(value):
    """8 hex digits of the value's SHA-256: two values can be told apart, neither read."""
    data = value.encode("utf-8") if not isinstance(value, bytes) else value
    return hashlib.sha256(data).hexdigest()[:8]


def mask(name, value):
    """The value as envleak shows it: a secret variable's value replaced entirely, a password
    in a URL replaced by ***."""
    if value is None:
        return None
    if SECRET_NAME.search(name):
        return "*** (sha256 %s)" % fingerprint(value)
    return QUERY_SECRET.sub(r"\1***", URL_PASSWORD.sub(r"\1***\2", value))


# --- The server's start-up environment ----------------------------------------------------
def startup_environment():
    """What the process's environment held when it was started (exec), before any interpreter
    wrote to it: Linux keeps those strings where exec put them, and a later putenv() or
    setenv() replaces the pointer, never the string. None where it cannot be read."""
    raw = None
    try:
        with open("/proc/self/environ", "rb") as environ:
            raw = environ.read()
    except (IOError, OSError):
        # An Apache child that switched user is not dumpable: /proc/self/environ is root's.
        # The same bytes are in its own memory, between env_start and env_end (/proc/self/stat).
        raw = _startup_from_memory()
    if raw is None:
        return None
    found = {}
    for entry in raw.split(b"\0"):
        name, sep, value = entry.partition(b"=")
        if sep:
            found[_text(name)] = _text(value)
    return found


def _startup_from_memory():
    try:
        import ctypes

        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        # Fields 50 and 51 (env_start, env_end), counted from 1 with pid and comm in front.
        start, end = int(fields[50 - 3]), int(fields[51 - 3])
        if not 0 < start < end or end - start > 1 << 20:
            return None
        return ctypes.string_at(start, end - start)
    except Exception:  # no /proc, no ctypes, an older kernel: unknown
        return None


def _text(value):
    if isinstance(value, bytes) and not isinstance(value, str):  # Python 3
        return value.decode(sys.getfilesystemencoding() or "utf-8", "replace")
    return value


# --- Who read it: the framework that configured itself with the value ----------------------
# (module, function or None for any, what it is, priority): the calls that configure a
# framework from the environment. Of the frames of a read's stack that match, the lowest
# priority wins, then the innermost.
CONFIGURING = (
    ("celery.loaders.default", "read_configuration", "Celery's default loader", 0),
    ("celery.loaders.base", "read_configuration", "Celery's loader", 0),
    ("celery.app.base", "config_from_envvar", "Celery's config_from_envvar()", 0),
    ("celery.app.utils", "broker_url", "Celery's Settings.broker_url", 0),
    ("celery.app.utils", "broker_read_url", "Celery's Settings.broker_read_url", 0),
    ("celery.app.utils", "broker_write_url", "Celery's Settings.broker_write_url", 0),
    ("celery.app.utils", "result_backend", "Celery's Settings.result_backend", 0),
    ("celery.app.utils", "BROKER_URL", "Celery's Settings.BROKER_URL", 0),
    ("celery.app.utils", "CELERY_RESULT_BACKEND", "Celery's Settings.CELERY_RESULT_BACKEND", 0),
    ("django.conf", "_setup", "Django's settings (LazySettings._setup)", 0),
    ("django.conf", "__init__", "Django's settings, importing the settings module", 1),
    ("kombu.connection", None, "kombu's Connection", 1),
    ("environ.environ", None, "django-environ's Env", 2),
    ("dj_database_url", None, "dj-database-url", 2),
    ("psycopg", None, "psycopg's connection", 2),
    ("psycopg2", None, "psycopg2's connection", 2),
    ("sqlalchemy", None, "SQLAlchemy's engine", 2),
)
# Frames that are os.environ itself: never the reader.
MAPPING_MODULES = ("os", "_collections_abc", "collections", "UserDict", "envleak", "typing", "posixpath")
# Readers that touch a value without configuring anything with it (a copy of os.environ, a
# .env file's interpolation): the standard library's own frames, and these packages.
INCIDENTAL_PACKAGES = ("dotenv",)
RANK_CONFIGURING, RANK_DIRECT, RANK_INCIDENTAL = 3, 2, 1
_stdlib = []


def _is_incidental(frame, top):
    if top in INCIDENTAL_PACKAGES:
        return True
    if not _stdlib:
        _stdlib.append(os.path.dirname(os.path.abspath(os.__file__)) + os.sep)
    filename = frame.f_code.co_filename or ""
    if filename.startswith("<frozen"):
        return True
    return filename.startswith(_stdlib[0]) and "-packages" not in filename


def _configuring(module, function):
    for prefix, name, label, priority in CONFIGURING:
        if (module == prefix or module.startswith(prefix + ".")) and (name is None or name == function):
            return priority, label
    return None


def reader(depth=2, limit=64):
    """(by, label, rank) of the code reading os.environ now: a frame of the configuring table
    (RANK_CONFIGURING); else the direct reader when it is not the standard library or a .env
    loader (RANK_DIRECT); else the first frame outside those (RANK_INCIDENTAL)."""
    frame = sys._getframe(depth)
    direct, fallback, best = None, None, None
    while frame is not None and limit > 0:
        module = frame.f_globals.get("__name__") or ""
        top = module.split(".")[0]
        if top not in MAPPING_MODULES:
            limit -= 1
            where = "%s:%s" % (module, frame.f_code.co_name)
            incidental = _is_incidental(frame, top)
            if direct is None:
                direct = (where, incidental)
            if fallback is None and not incidental:
                fallback = where
            match = _configuring(module, frame.f_code.co_name)
            if match and (best is None or match[0] < best[0]):
                best = (match[0], where, match[1])
        frame = frame.f_back
    if direct is None:
        return None, None, 0
    if direct[1]:
        # A copy of os.environ, an interpolation: the value went nowhere yet.
        return fallback or direct[0], None, RANK_INCIDENTAL
    if best is not None:
        return best[1], best[2], RANK_CONFIGURING
    return direct[0], None, RANK_DIRECT


C_LIBRARY = "the C library (getenv)"


# --- The record of one interpreter --------------------------------------------------------
class Recorder(object):
    """What one interpreter did with its environment. `environ` is a mapping of what it started
    with; `startup` the server's start-up environment (None: unknown). `late`: recording began
    after the interpreter's own code ran, so what it had then may be its own."""

    def __init__(self, watched, watch_all, environ, startup, pid=None, now=None, late=False):
        self.watched, self.watch_all = tuple(watched), watch_all
        names = list(environ) if watch_all else self.watched
        self.started = {
            "at": now if now is not None else time.time(),
            "pid": pid if pid is not None else os.getpid(),
            "inherited": dict((name, environ.get(name)) for name in names[:MAX_NAMES]),
            "late": late,
        }
        self.startup = None if startup is None else dict((n, startup.get(n)) for n in (startup if watch_all else names))
        self.writes = []  # {"name", "value", "at"}: this interpreter's writes, the first MAX_WRITES
        self.dropped = {"writes": 0, "values": 0, "names": 0}
        self.asked = {}  # name: [{"how", "value", "kept"}]: what setdefault()/update() asked for
        self.reads = {}  # name: [{"value", "by", "label", "rank", "at", "walks"}]: each distinct value read
        self.used = {}  # name: [{"value", "by", "label", "rank"}]: what a framework says it used
        self.loaded = {}  # {"at", "values"}: what the WSGI script left, when wrap() ran
        self.written = {}  # name: {"values": [...], "overflow": bool}: the distinct values written here
        self.changes = 0  # counts every new record: findings are judged again only after one
        self.dirty = set()  # the variables with a new record since the last judgement
        self.lock = threading.Lock()

    def watching(self, name):
        return self.watch_all or name in self.watched

    def _entries(self, table, name):
        """The list for `name` in `table`, or None when the table is full of other names."""
        entries = table.get(name)
        if entries is None:
            if len(table) >= MAX_NAMES:
                self.dropped["names"] += 1
                return None
            entries = table[name] = []
        return entries

    def _add(self, table, name, entry):
        values = self._entries(table, name)
        if values is None:
            return False
        for known in values:
            if known["value"] == entry["value"]:
                if entry.get("rank", 0) > known.get("rank", 0):
                    known.update(by=entry["by"], label=entry.get("label"), rank=entry["rank"])
                    self.changes += 1
                    self.dirty.add(name)
                    return True
                return False
        if len(values) >= MAX_VALUES:
            self.dropped["values"] += 1
            return False
        values.append(entry)
        self.changes += 1
        self.dirty.add(name)
        return True

    def wrote(self, name, value):
        """A write: the story's first MAX_WRITES in `writes`; per variable, the distinct values in
        `written` (at most MAX_WRITES: past that it overflows, and no read of it is judged). Only a
        value new to this interpreter is a change to judge: rewriting a known one costs a lookup."""
        if self.watching(name):
            with self.lock:
                if len(self.writes) < MAX_WRITES:
                    self.writes.append({"name": name, "value": value, "at": time.time()})
                else:
                    self.dropped["writes"] += 1
                entry = self.written.get(name)
                if entry is None:
                    if len(self.written) >= MAX_NAMES:
                        self.dropped["names"] += 1
                        return
                    entry = self.written[name] = {"values": [], "overflow": False}
                if value in entry["values"] or entry["overflow"]:
                    return
                if len(entry["values"]) >= MAX_WRITES:
                    entry["overflow"] = True
                else:
                    entry["values"].append(value)
                self.changes += 1
                self.dirty.add(name)

    def asked_for(self, name, how, value, kept):
        if self.watching(name):
            with self.lock:
                entries = self._entries(self.asked, name)
                if entries is not None and len(entries) < MAX_VALUES:
                    entries.append({"how": how, "value": value, "kept": kept})
                    self.changes += 1
                    self.dirty.add(name)

    def read(self, name, value):
        if value is None or not self.watching(name):
            return
        known = self.reads.get(name)
        if known:
            for entry in known:
                if entry["value"] == value:
                    # The common case: known, and its reader is a framework's, or looked for enough.
                    if entry["rank"] >= RANK_CONFIGURING or entry["walks"] >= MAX_WALKS:
                        return
                    entry["walks"] += 1
                    break
            else:
                if len(known) >= MAX_VALUES:  # full: counted, without looking for its reader
                    self.dropped["values"] += 1
                    return
        elif known is None and len(self.reads) >= MAX_NAMES:
            self.dropped["names"] += 1
            return
        by, label, rank = reader(3)
        with self.lock:
            self._add(self.reads, name, {"value": value, "by": by, "label": label, "rank": rank,
                                         "at": time.time(), "walks": 1})  # fmt: skip

    def framework_used(self, name, value, by, label):
        if value is not None and self.watching(name):
            known = self.used.get(name)
            if known and any(entry["value"] == value for entry in known):
                return
            with self.lock:
                self._add(self.used, name, {"value": value, "by": by, "label": label, "rank": RANK_CONFIGURING})

    def names(self):
        """Every variable this interpreter has something on record for."""
        found = set(self.watched)
        for table in (self.reads, self.used, self.asked):
            found.update(table)
        found.update(self.written)
        return sorted(name for name in found if self.watching(name))

    def finding(self, name, c_value=None):
        """What happened to one variable here, and the verdict (see judge())."""
        inherited = self.started["inherited"].get(name)
        used = [dict(entry) for entry in self.reads.get(name, [])] + [dict(e) for e in self.used.get(name, [])]
        if c_value is not None:
            used.append({"value": c_value, "by": C_LIBRARY, "label": None, "rank": RANK_CONFIGURING})
        entry = self.written.get(name) or {"values": [], "overflow": False}
        written = list(entry["values"])
        if self.started.get("late") and inherited is not None:
            written.insert(0, inherited)  # what it had at wrap() may be its own: never a leak
            inherited = None
        if entry["overflow"]:
            # More distinct values than envleak keeps: a value read may be one of its own it forgot.
            used = [u for u in used if u["by"] == C_LIBRARY]
        return judge(
            name,
            inherited=inherited,
            startup=None if self.startup is None else self.startup.get(name),
            startup_known=self.startup is not None,
            written=written,
            asked=self.asked.get(name, []),
            left=(self.loaded.get("values") or {}).get(name),
            used=used,
        )


HOW_CODES = {"inherited": "EL101", "appeared": "EL102", "changed": "EL103", "process": "EL104"}


def judge(name, inherited, startup, startup_known, written, asked, left, used):
    """The verdict on one variable of one interpreter:

    leaked       a value read here that this interpreter never wrote and the server did not start
                 with: another interpreter of the process wrote it. `how` (and `code`) says when:
                 'inherited' (EL101: before this interpreter was created), 'appeared' (EL102:
                 after that, before this interpreter set one: one os.environ dict shared by every
                 interpreter, as on Python 2.7 to 3.8), 'changed' (EL103: after this interpreter
                 set its own, shared likewise) or 'process' (EL104: the C library's value, one per
                 process: TZ). `kept_by`: the setdefault() here that kept it. `read_by`: of the
                 readers of that value, the framework that configured itself with it if one did.
    from_apache  read, and the value the server's start-up environment gave (on purpose).
    overwritten  inherited from another interpreter, then set here before any read of it.
    inherited    inherited, not read yet.
    own          set here, and only that was read.
    unset        nothing on record.
    """
    foreign = [
        entry
        for entry in used
        if entry["value"] is not None
        and entry["value"] not in written
        and not (startup_known and entry["value"] == startup)
    ]
    result = {
        "inherited": inherited,
        "startup": startup,
        "startup_known": startup_known,
        "written": written,
        "asked": asked,
        "left_by_script": left,
        "used": used,
        "user": USERS.get(name),
        "how": None,
        "code": None,
        "kept_by": None,
    }
    if foreign:
        value = foreign[0]["value"]
        readers = [entry for entry in foreign if entry["value"] == value]
        best = max(readers, key=lambda entry: entry.get("rank", 0))  # the first of the best
        result.update(verdict="leaked", value=value, read_by=best["by"], read_by_label=best.get("label"),
                      read_rank=best.get("rank", 0))  # fmt: skip
        kept = [entry for entry in asked if entry["how"] == "setdefault" and entry["kept"] == value]
        result["kept_by"] = kept[0] if kept else None
        if best["by"] == C_LIBRARY:
            result["how"] = "process"
        elif value == inherited:
            result["how"] = "inherited"
        elif written and not kept:
            result["how"] = "changed"
        else:
            result["how"] = "appeared"
        result["code"] = HOW_CODES[result["how"]]
    elif used:
        from_apache = startup_known and any(entry["value"] == startup for entry in used)
        result["verdict"] = "from_apache" if from_apache else "own"
    elif inherited is not None and written:
        result["verdict"] = "overwritten"
    elif inherited is not None:
        result["verdict"] = "inherited"
    elif written:
        result["verdict"] = "own"
    else:
        result["verdict"] = "unset"
    return result


def server_name():
    """'mod_wsgi' or 'uwsgi' when this interpreter runs under one (for the advice), else None."""
    for name in ("mod_wsgi", "uwsgi"):
        if name in sys.modules:
            return name
    return None


def describe(name, found, server=None):
    """A finding's text in the log line: `NAME=<masked value> ELxxx LEAKED: ` then what
    happened and what to do (envleak.codes). Never "assign it": on Python 2.7 to 3.8 the last
    writer still wins, and Celery reads CELERY_BROKER_URL from the environment at every use."""
    own = found["written"][-1:] or [entry["value"] for entry in found["asked"]][-1:] or [found["left_by_script"]]
    kept = ""
    if found["kept_by"]:
        kept = ", and this interpreter's setdefault(%s) kept it" % mask(name, found["kept_by"]["value"])
    if not found["startup_known"]:
        startup = " (or the server's own environment: envleak could not read it here)"
    elif found["startup"] is not None:
        startup = " (the server started with %s)" % mask(name, found["startup"])
    else:
        startup = ""
    by = found["read_by"] or "this interpreter"
    if found.get("read_by_label"):
        by += ", " + found["read_by_label"]
    text = codes.message(found["code"], {
        "kept": kept, "startup": startup, "own": mask(name, own[0]), "read_by": by,
        "user": found["user"] or "what this app configures with it",
        "advice": codes.advice(name, server) + ".",
    })  # fmt: skip
    return "%s=%s %s LEAKED: %s" % (name, mask(name, found["value"]), found["code"], text)


def log_line(name, found, group, pid=None, server=None):
    """One line of the middleware's log: `envleak: pid N interpreter 'G': NAME=<value> ELxxx LEAKED: ...`."""
    return "envleak: pid %d interpreter '%s': %s" % (
        pid if pid is not None else os.getpid(),
        group,
        describe(name, found, server),
    )


# --- What the frameworks say they used ----------------------------------------------------
def celery_config_module(app):
    """The module a configured Celery app took its settings from, or None: the name given to
    config_from_object(), else the module Celery's default loader imported (the one
    CELERY_CONFIG_MODULE named when it first configured itself)."""
    source = getattr(app, "_config_source", None)
    if source is not None:
        return source if isinstance(source, str) else getattr(source, "__name__", None)
    loaded = getattr(getattr(app.loader, "_conf", None), "obj", None)
    return getattr(loaded, "__name__", None)


def celery_apps():
    """Every Celery app of this interpreter (every thread's), without creating one."""
    state = sys.modules.get("celery._state")
    if state is None:
        return []
    apps = list(getattr(state, "_apps", None) or [])
    for app in (getattr(state, "default_app", None), getattr(getattr(state, "_tls", None), "current_app", None)):
        if app is not None and app not in apps:
            apps.append(app)
    return apps


def framework_uses():
    """(name, value, by, label): what Celery and Django say they use now, once configured. A
    Celery app given its module by config_from_object() read no CELERY_CONFIG_MODULE."""
    found = []
    for app in celery_apps():
        if getattr(app, "configured", False) and getattr(app, "_config_source", None) is None:
            module = celery_config_module(app)
            if module:
                loader = type(app.loader).__module__
                found.append(("CELERY_CONFIG_MODULE", module, loader + ":read_configuration",
                              "Celery app %r's loader" % app.main))  # fmt: skip
    conf = sys.modules.get("django.conf")
    settings = getattr(conf, "settings", None)
    if settings is not None and getattr(settings, "configured", False):
        found.append(("DJANGO_SETTINGS_MODULE", getattr(settings, "SETTINGS_MODULE", None), "django.conf:_setup",
                      "Django's settings"))  # fmt: skip
    return found


_libc = []


def c_getenv(name):
    """The C library's value of `name`: the process's, whichever interpreter wrote it."""
    try:
        if not _libc:
            import ctypes

            _libc.append(ctypes.CDLL(None).getenv)
            _libc[0].restype = ctypes.c_char_p
        return _text(_libc[0](name.encode("utf-8") if not isinstance(name, bytes) else name))
    except Exception:
        return None


def process_tz(recorder):
    """The process's TZ, when this interpreter set or read TZ (else None): the C library reads
    it for every local time, in every interpreter and in Apache itself."""
    if recorder.watching("TZ") and (recorder.reads.get("TZ") or "TZ" in recorder.written):
        return c_getenv("TZ")
    return None


# --- Watching os.environ ------------------------------------------------------------------
def watch_environ(environ, recorder):
    """Make this interpreter's os.environ tell `recorder` of every read, write, setdefault()
    and update(): its class becomes a subclass of its own (Python 3's os._Environ, Python 2's
    too), so nothing else changes. Python 3 before 3.9 calls the putenv its os.environ took
    when os was imported, and 3.6 and 3.7 have no audit hooks: the class sees every write."""
    base = environ.__class__

    class WatchedEnviron(base):
        def __getitem__(self, key):
            value = base.__getitem__(self, key)
            recorder.read(key, value)
            return value

        def __contains__(self, key):
            try:
                base.__getitem__(self, key)
            except KeyError:
                return False
            return True

        def __setitem__(self, key, value):
            base.__setitem__(self, key, value)
            recorder.wrote(key, value)

        def __delitem__(self, key):
            base.__delitem__(self, key)
            recorder.wrote(key, None)

        def setdefault(self, key, value=None):
            try:
                kept = base.__getitem__(self, key)
            except KeyError:
                self[key] = value
                kept = None
            recorder.asked_for(key, "setdefault", value, kept)
            return value if kept is None else kept

        def update(self, *args, **kwargs):
            for key, value in dict(*args, **kwargs).items():
                recorder.asked_for(key, "update", value, None)
                self[key] = value

    WatchedEnviron.__name__ = base.__name__
    WatchedEnviron.envleak_base = base
    environ.__class__ = WatchedEnviron


def unwatch_environ(environ):
    """os.environ's own class again (for tests)."""
    base = getattr(environ.__class__, "envleak_base", None)
    if base is not None:
        environ.__class__ = base


def peek(name):
    """os.environ's value without recording a read (for diagnostics such as the lab's /xray/)."""
    environ = os.environ
    base = getattr(environ.__class__, "envleak_base", None)
    try:
        return base.__getitem__(environ, name) if base is not None else environ.get(name)
    except KeyError:
        return None


# --- This interpreter ---------------------------------------------------------------------
# Read at import (a read changes nothing); recording begins at start(). STARTED, WRITES and
# LOADED are filled in place by start(), so a module that took them earlier sees the record.
WATCHED, WATCH_ALL, ENABLED = watch_setting(os.environ.get("ENVLEAK_WATCH"))
ACTIVE = False
STARTED = {"at": None, "pid": None, "inherited": {}, "late": False, "by": None}
WRITES = []
LOADED = {}
_state = {"recorder": None}
_starting = threading.Lock()
_logged = set()
_held = {}
_judged = {"changes": -1, "tz": None}
_judging = threading.Lock()


def start(by="start()"):
    """Begin recording in this interpreter (once; later calls do nothing) and return whether it
    records: not with ENVLEAK_WATCH=none. What os.environ holds now is what it inherited: call
    it as the interpreter is created (the .pth line `import envleak; envleak.start()`)."""
    global WATCHED, WATCH_ALL, ENABLED, ACTIVE
    with _starting:
        if STARTED["at"] is not None:
            return ACTIVE
        WATCHED, WATCH_ALL, ENABLED = watch_setting(os.environ.get("ENVLEAK_WATCH"))
        late = by == "wrap()"
        recorder = Recorder(WATCHED, WATCH_ALL, os.environ if ENABLED else {},
                            startup_environment() if ENABLED else None, late=late)  # fmt: skip
        STARTED.update(recorder.started, by=by)
        recorder.started = STARTED
        recorder.writes = WRITES
        recorder.loaded = LOADED
        _state["recorder"] = recorder
        if ENABLED:
            watch_environ(os.environ, recorder)
        ACTIVE = ENABLED
        return ACTIVE


def recorder():
    """This interpreter's record (None before start())."""
    return _state["recorder"]


def interpreter_name():
    """mod_wsgi's application group; under uWSGI the interpreter's id; else None."""
    try:
        import mod_wsgi

        return mod_wsgi.application_group
    except (ImportError, AttributeError):
        pass
    if "uwsgi" in sys.modules:
        try:
            import _interpreters  # Python 3.13+

            return "uwsgi interpreter %d" % int(_interpreters.get_current()[0])
        except Exception:  # older Pythons: the next way
            pass
        try:
            import _xxsubinterpreters  # Python 3.8 to 3.12

            return "uwsgi interpreter %d" % int(_xxsubinterpreters.get_current())
        except Exception:  # Python 2.7 to 3.7
            pass
        return "uwsgi"
    return None


def findings(record=None, names=None):
    """Per variable on record (or of `names`): what happened to it here, and the verdict (judge())."""
    record = record or _state["recorder"]
    if record is None:
        return {}
    tz = process_tz(record)
    names = record.names() if names is None else sorted(n for n in names if record.watching(n))
    return dict((name, record.finding(name, c_value=tz if name == "TZ" else None)) for name in names)


def report():
    """Everything this interpreter knows about itself, as JSON-able data, every value masked."""
    found = findings()
    record = _state["recorder"]
    masked = {}
    for name, finding in found.items():
        entry = dict(finding)
        for key in ("inherited", "startup", "left_by_script", "value"):
            if entry.get(key) is not None:
                entry[key] = mask(name, entry[key])
        entry["written"] = [mask(name, value) for value in entry["written"]]
        entry["asked"] = [
            {"how": a["how"], "value": mask(name, a["value"]), "kept": mask(name, a["kept"])} for a in entry["asked"]
        ]
        entry["used"] = [{"value": mask(name, u["value"]), "by": u["by"], "label": u.get("label"),
                          "rank": u.get("rank", 0)} for u in entry["used"]]  # fmt: skip
        if entry.get("kept_by"):
            entry["kept_by"] = {"how": "setdefault", "value": mask(name, entry["kept_by"]["value"])}
        masked[name] = entry
    leaked = sorted(name for name, finding in found.items() if finding["verdict"] == "leaked")
    return {
        "version": __version__,
        "pid": os.getpid(),
        "interpreter": interpreter_name(),
        "python": sys.version.split()[0],
        "started_at": STARTED["at"],
        "started_by": STARTED.get("by"),
        "started_late": bool(STARTED.get("late")),
        "watching": "every variable" if WATCH_ALL else list(WATCHED),
        "startup_environment_known": record is not None and record.startup is not None,
        "dropped": dict(record.dropped) if record else {},
        "variables": masked,
        "leaked": leaked,
        "findings": [
            {
                "code": found[name]["code"],
                "severity": codes.severity(found[name]["code"]),
                "variable": name,
                "value": mask(name, found[name]["value"]),
                "read_by": found[name]["read_by"],
                "message": describe(name, found[name], server_name()),
            }
            for name in leaked
        ],  # fmt: skip
    }


def judge_record():
    """Judge the record again (after a request) and log each new leak once, on stderr. A leak
    whose only reader so far copied os.environ (the standard library, a .env loader) waits up
    to HOLD requests for the framework that configures itself with the value."""
    record = _state["recorder"]
    if record is None:
        return []
    for name, value, by, label in framework_uses():
        record.framework_used(name, value, by, label)
    tz = process_tz(record)
    if _judged["changes"] == record.changes and _judged["tz"] == tz and not _held:
        return []  # nothing new since the last request: the common case, no lock
    news = []
    with _judging:  # one thread at a time decides what is new, so each line is written once
        changed_tz = _judged["tz"] != tz
        _judged.update(changes=record.changes, tz=tz)
        with record.lock:
            names = set(record.dirty)
            record.dirty.clear()
        names.update(key[0] for key in _held)
        if changed_tz:
            names.add("TZ")
        group, server = interpreter_name(), server_name()
        for name, finding in sorted(findings(record, names).items()):
            key = (name, finding.get("value"), finding["how"])
            if finding["verdict"] != "leaked" or key in _logged:
                continue
            if finding.get("read_rank", 0) <= RANK_INCIDENTAL and _held.get(key, 0) < HOLD:
                _held[key] = _held.get(key, 0) + 1
                continue
            _held.pop(key, None)
            _logged.add(key)
            news.append(log_line(name, finding, group, server=server))
    for line in news:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    return news


LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


def wrap(application, url=None, secret=None):
    """The WSGI application, checked after every request (recording starts here if nothing
    started it: EL100, it then cannot tell what the interpreter inherited). The JSON report is
    off unless `url` is given (e.g. "/__envleak__"); then a GET there answers it to a client on
    the loopback address, or to one that sends the header `X-Envleak-Secret: <secret>`; anyone
    else gets the application's own answer. With ENVLEAK_WATCH=none, the application itself."""
    if STARTED["at"] is None:
        start(by="wrap()")
        if ACTIVE:
            sys.stderr.write("envleak: pid %d interpreter '%s': EL100 %s\n"
                             % (os.getpid(), interpreter_name(), codes.message("EL100", {})))  # fmt: skip
            sys.stderr.flush()
    if not ACTIVE:
        return application
    LOADED.update(at=time.time(), values=dict((name, peek(name)) for name in WATCHED))

    def allowed(environ):
        if environ.get("REMOTE_ADDR") in LOOPBACK:
            return True
        given = environ.get("HTTP_X_ENVLEAK_SECRET")
        return bool(secret and given) and _same(given, secret)

    def envleak_middleware(environ, start_response):
        if url and environ.get("PATH_INFO") == url and allowed(environ):
            body = json.dumps(report(), sort_keys=True).encode("utf-8")
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        try:
            return application(environ, start_response)
        finally:
            judge_record()

    return envleak_middleware


def _same(given, secret):
    import hmac

    def raw(text):
        return text if isinstance(text, bytes) else text.encode("utf-8")

    return hmac.compare_digest(raw(given), raw(secret))
