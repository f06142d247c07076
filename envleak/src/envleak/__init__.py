"""envleak: does a mod_wsgi sub-interpreter run with a setting another interpreter of the same
Apache process left in the process environment?

Importing this module starts recording, in the interpreter that imports it: what the watched
environment variables were when it started (what the interpreter inherited), each write, each
setdefault()/update() (what the app meant to set), and each read through os.environ, with the
code that read it. `wrap()` puts a middleware around a WSGI app that judges the record after
every request and logs a LEAKED line on stderr (Apache's error log) when a value read in this
interpreter was neither set by it nor in Apache's own start-up environment.

Import it as each interpreter is created (an opt-in `envleak.pth` in the site-packages of the
virtualenv mod_wsgi runs) or as the first line of each WSGI script; see docs/envleak.md.
Standard library only; Python 2.7 and 3.6+.
"""

import hashlib
import json
import os
import re
import sys
import threading
import time

__version__ = "0.2.0"

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
# How much one interpreter keeps: the first writes (the story of its start), and per variable
# the first distinct values read and asked for. Past that it counts what it dropped.
MAX_WRITES = 64
MAX_VALUES = 16


def watch_setting(text):
    """ENVLEAK_WATCH: unset or empty: DEFAULT_WATCH; "none": off (nothing recorded, wrap()
    returns the app unchanged); "*": every variable; else comma-separated names."""
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


# --- Apache's start-up environment --------------------------------------------------------
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


# --- The record of one interpreter --------------------------------------------------------
def _caller():
    """The code that read os.environ: the first frame outside os, the mapping ABCs and envleak."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__") or ""
        if module.split(".")[0] not in ("os", "_collections_abc", "collections", "UserDict", "envleak", "typing"):
            return "%s:%s" % (module, frame.f_code.co_name)
        frame = frame.f_back
    return None


C_LIBRARY = "the C library (getenv)"


class Recorder(object):
    """What one interpreter did with its environment. `environ` is a mapping of what it started
    with; `startup` Apache's start-up environment (None: unknown)."""

    def __init__(self, watched, watch_all, environ, startup, pid=None, now=None):
        self.watched, self.watch_all = tuple(watched), watch_all
        names = environ if watch_all else self.watched
        self.started = {
            "at": now if now is not None else time.time(),
            "pid": pid if pid is not None else os.getpid(),
            "inherited": dict((name, environ.get(name)) for name in names),
        }
        self.startup = None if startup is None else dict((n, startup.get(n)) for n in (startup if watch_all else names))
        self.writes = []  # {"name", "value", "at"}: this interpreter's writes, the first MAX_WRITES
        self.dropped = {"writes": 0, "values": 0}
        self.asked = {}  # name: [{"how", "value", "kept"}]: what setdefault()/update() asked for
        self.reads = {}  # name: [{"value", "by", "at"}]: each distinct value read, and who read it first
        self.used = {}  # name: [{"value", "by"}]: what a framework says it used (Celery, Django)
        self.loaded = {}  # {"at", "values"}: what the WSGI script left, when wrap() ran
        self.changes = 0  # counts every new record: findings are judged again only after one
        self.lock = threading.Lock()

    def watching(self, name):
        return self.watch_all or name in self.watched

    def _add(self, table, name, entry, key="value"):
        values = table.setdefault(name, [])
        if any(known[key] == entry[key] for known in values):
            return False
        if len(values) >= MAX_VALUES:
            self.dropped["values"] += 1
            return False
        values.append(entry)
        self.changes += 1
        return True

    def wrote(self, name, value):
        if self.watching(name):
            with self.lock:
                if len(self.writes) < MAX_WRITES:
                    self.writes.append({"name": name, "value": value, "at": time.time()})
                else:
                    self.dropped["writes"] += 1
                self.changes += 1

    def asked_for(self, name, how, value, kept):
        if self.watching(name):
            with self.lock:
                entries = self.asked.setdefault(name, [])
                if len(entries) < MAX_VALUES:
                    entries.append({"how": how, "value": value, "kept": kept})
                    self.changes += 1

    def read(self, name, value):
        if value is None or not self.watching(name):
            return
        known = self.reads.get(name)
        if known and any(entry["value"] == value for entry in known):
            return  # the common case: no lock, no frame walk
        by = _caller()
        with self.lock:
            self._add(self.reads, name, {"value": value, "by": by, "at": time.time()})

    def framework_used(self, name, value, by):
        if value is not None and self.watching(name):
            known = self.used.get(name)
            if known and any(entry["value"] == value for entry in known):
                return
            with self.lock:
                self._add(self.used, name, {"value": value, "by": by})

    def names(self):
        """Every variable this interpreter has something on record for."""
        found = set(self.watched)
        for table in (self.reads, self.used, self.asked):
            found.update(table)
        found.update(write["name"] for write in self.writes)
        return sorted(name for name in found if self.watching(name))

    def finding(self, name, c_value=None):
        """What happened to one variable here, and the verdict (see judge())."""
        inherited = self.started["inherited"].get(name)
        used = [dict(entry) for entry in self.reads.get(name, [])] + [dict(e) for e in self.used.get(name, [])]
        if c_value is not None:
            used.append({"value": c_value, "by": C_LIBRARY})
        return judge(
            name,
            inherited=inherited,
            startup=None if self.startup is None else self.startup.get(name),
            startup_known=self.startup is not None,
            written=[write["value"] for write in self.writes if write["name"] == name],
            asked=self.asked.get(name, []),
            left=(self.loaded.get("values") or {}).get(name),
            used=used,
        )


def judge(name, inherited, startup, startup_known, written, asked, left, used):
    """The verdict on one variable of one interpreter:

    leaked       a value read here that this interpreter never wrote and Apache did not start
                 with: another interpreter of the process wrote it. `how` says when:
                 'inherited' (before this interpreter was created), 'appeared' (after that,
                 before this interpreter set one: one os.environ dict shared by every
                 interpreter, as on Python 2.7 to 3.8), 'changed' (after this interpreter set
                 its own, shared likewise) or 'process' (the C library's value, one per
                 process: TZ). `kept_by`: the setdefault() here that kept it.
    from_apache  read, and the value Apache's start-up environment gave (on purpose).
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
        "kept_by": None,
    }
    if foreign:
        value = foreign[0]["value"]
        result.update(verdict="leaked", value=value, read_by=foreign[0]["by"])
        kept = [entry for entry in asked if entry["how"] == "setdefault" and entry["kept"] == value]
        result["kept_by"] = kept[0] if kept else None
        if foreign[0]["by"] == C_LIBRARY:
            result["how"] = "process"
        elif value == inherited:
            result["how"] = "inherited"
        elif written and not kept:
            result["how"] = "changed"
        else:
            result["how"] = "appeared"
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


def describe(name, found):
    """One log line's text for a leaked variable (values masked), with what to do about it."""
    own = found["written"][-1:] or [entry["value"] for entry in found["asked"]][-1:] or [found["left_by_script"]]
    said = {
        "inherited": "another interpreter of this process set it before this one was created",
        "appeared": "another interpreter wrote it after this one was created (this Python shares one "
        "os.environ between interpreters)",
        "changed": "another interpreter wrote it after this one set %s (this Python shares one os.environ "
        "between interpreters)" % mask(name, own[0]),
        "process": "the process's value, set by another interpreter after this one set %s: the C library "
        "keeps one per process (Apache's own log uses it too)" % mask(name, own[0]),
    }[found["how"]]
    if found["kept_by"]:
        said += ", and this interpreter's setdefault(%s) kept it" % mask(name, found["kept_by"]["value"])
    if not found["startup_known"]:
        said += " (or Apache's own environment: envleak could not read it here)"
    elif found["startup"] is not None:
        said += " (Apache started with %s)" % mask(name, found["startup"])
    fix = {
        "inherited": "assign it (os.environ[...] = ...) before anything reads it, or hand the value to the app",
        "process": "set the same value in every app, or give each app its own daemon process group",
    }.get(
        found["how"],
        "hand the value to the app instead of the environment, or give each app its own daemon process group",
    )
    return "%s=%s LEAKED: %s; read by %s (%s). Fix: %s." % (
        name,
        mask(name, found["value"]),
        said,
        found["read_by"] or "this interpreter",
        found["user"] or "what this app configures with it",
        fix,
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
    """(name, value, by): what Celery and Django say they use now, once configured. A Celery
    app given its module by config_from_object() read no CELERY_CONFIG_MODULE."""
    found = []
    for app in celery_apps():
        if getattr(app, "configured", False) and getattr(app, "_config_source", None) is None:
            module = celery_config_module(app)
            if module:
                found.append(("CELERY_CONFIG_MODULE", module, "Celery app %r's default loader" % app.main))
    conf = sys.modules.get("django.conf")
    settings = getattr(conf, "settings", None)
    if settings is not None and getattr(settings, "configured", False):
        found.append(("DJANGO_SETTINGS_MODULE", getattr(settings, "SETTINGS_MODULE", None), "Django's settings"))
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
    if recorder.watching("TZ") and (recorder.reads.get("TZ") or any(w["name"] == "TZ" for w in recorder.writes)):
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
    environ.__class__ = WatchedEnviron


def peek(name):
    """os.environ's value without recording a read (for diagnostics such as the lab's /xray/)."""
    environ = os.environ
    try:
        return environ.__class__.__bases__[0].__getitem__(environ, name) if ACTIVE else environ.get(name)
    except KeyError:
        return None


# --- This interpreter ---------------------------------------------------------------------
WATCHED, WATCH_ALL, ACTIVE = watch_setting(os.environ.get("ENVLEAK_WATCH"))
_recorder = Recorder(WATCHED, WATCH_ALL, os.environ if ACTIVE else {}, startup_environment() if ACTIVE else None)
STARTED, WRITES, LOADED = _recorder.started, _recorder.writes, _recorder.loaded
if ACTIVE:
    watch_environ(os.environ, _recorder)
_logged = set()
_judged = {"changes": -1, "tz": None}
_judging = threading.Lock()


def interpreter_name():
    try:
        import mod_wsgi

        return mod_wsgi.application_group
    except (ImportError, AttributeError):
        return None


def findings(recorder=None):
    """Per variable on record: what happened to it here, and the verdict (judge())."""
    recorder = recorder or _recorder
    tz = process_tz(recorder)
    return dict((name, recorder.finding(name, c_value=tz if name == "TZ" else None)) for name in recorder.names())


def report():
    """Everything this interpreter knows about itself, as JSON-able data, every value masked."""
    found = findings()
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
        entry["used"] = [{"value": mask(name, u["value"]), "by": u["by"]} for u in entry["used"]]
        if entry.get("kept_by"):
            entry["kept_by"] = {"how": "setdefault", "value": mask(name, entry["kept_by"]["value"])}
        masked[name] = entry
    return {
        "version": __version__,
        "pid": os.getpid(),
        "interpreter": interpreter_name(),
        "python": sys.version.split()[0],
        "started_at": STARTED["at"],
        "watching": "every variable" if WATCH_ALL else list(WATCHED),
        "startup_environment_known": _recorder.startup is not None,
        "dropped": dict(_recorder.dropped),
        "variables": masked,
        "leaked": sorted(name for name, finding in found.items() if finding["verdict"] == "leaked"),
    }


def judge_record():
    """Judge the record again (after a request) and log each new leak once, on stderr."""
    for name, value, by in framework_uses():
        _recorder.framework_used(name, value, by)
    tz = process_tz(_recorder)
    if _judged["changes"] == _recorder.changes and _judged["tz"] == tz:
        return []  # nothing new since the last request: the common case, no lock
    news = []
    with _judging:  # one thread at a time decides what is new, so each line is written once
        _judged.update(changes=_recorder.changes, tz=tz)
        for name, finding in sorted(findings().items()):
            key = (name, finding.get("value"), finding["how"])
            if finding["verdict"] == "leaked" and key not in _logged:
                _logged.add(key)
                news.append(describe(name, finding))
    for line in news:
        sys.stderr.write("envleak: pid %d interpreter '%s': %s\n" % (os.getpid(), interpreter_name(), line))
        sys.stderr.flush()
    return news


LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


def wrap(application, url=None, secret=None):
    """The WSGI application, checked after every request. The JSON report is off unless `url`
    is given (e.g. "/__envleak__"); then a GET there answers it to a client on the loopback
    address, or to one that sends the header `X-Envleak-Secret: <secret>`; anyone else gets
    the application's own answer. With ENVLEAK_WATCH=none, the application itself."""
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
