"""Every finding envleak reports, keyed by code: its severity, a short title, the message
template and what to do. EL1xx: the middleware (what one interpreter really did); EL2xx:
`envleak check` (what a configuration and its scripts allow). Importing this module does
nothing else. Standard library only; Python 2.7 and 3.6+."""

ERROR, WARNING, INFO = "error", "warning", "info"

# code: (severity, title, message template). Templates take their arguments by name.
CODES = {
    # --- the middleware: one interpreter, at run time ----------------------------------------
    "EL100": (
        WARNING,
        "started late",
        "recording started at wrap(), after this interpreter's code had run: what it inherited at "
        "creation cannot be told from what its script set (start envleak at creation: the .pth line)",
    ),
    "EL101": (
        ERROR,
        "inherited from another interpreter",
        "another interpreter of this process set it before this one was created%(kept)s%(startup)s; "
        "read by %(read_by)s (%(user)s). Fix: %(advice)s",
    ),
    "EL102": (
        ERROR,
        "written by another interpreter after this one started (shared os.environ)",
        "another interpreter wrote it after this one was created (this Python shares one os.environ "
        "between interpreters)%(kept)s%(startup)s; read by %(read_by)s (%(user)s). Fix: %(advice)s",
    ),
    "EL103": (
        ERROR,
        "overwritten by another interpreter (shared os.environ: the last writer wins)",
        "another interpreter wrote it after this one set %(own)s (this Python shares one os.environ "
        "between interpreters: the last writer wins)%(startup)s; read by %(read_by)s (%(user)s). Fix: %(advice)s",
    ),
    "EL104": (
        ERROR,
        "the C library's value, one per process",
        "the process's value, set by another interpreter after this one set %(own)s: the C library "
        "keeps one per process (Apache's own log uses it too)%(startup)s; read by %(read_by)s (%(user)s). "
        "Fix: %(advice)s",
    ),
    # --- envleak check: a configuration and its scripts, before deploying -------------------
    "EL201": (
        ERROR,
        "a value another interpreter of the process may leave",
        "%(name)s %(how)s, in %(process)s, and an app in another interpreter writes it (%(writers)s): "
        "%(inherits)s (%(rules)s). Fix: %(advice)s",
    ),
    "EL202": (
        ERROR,
        "one os.environ shared by every interpreter: the last writer wins",
        "%(name)s is read here %(when)s, in %(process)s, and an app in another interpreter writes it "
        "(%(writers)s): with %(rules)s, the last writer wins, assignment included. Fix: %(advice)s",
    ),
    "EL203": (
        ERROR,
        "two apps in one interpreter",
        "%(name)s %(how)s, and another app in the same interpreter (%(interpreter)s of %(process)s) writes "
        "it (%(writers)s): apps in one interpreter share its os.environ outright. Fix: %(advice)s",
    ),
    "EL204": (
        ERROR,
        "one time zone per process",
        "TZ %(how)s here, and another app of %(process)s writes it (%(writers)s): the C library keeps one "
        "time zone per process, for every interpreter and Apache itself. Fix: %(advice)s",
    ),
    "EL205": (
        ERROR,
        "a script writes a variable mod_wsgi routes by",
        "%(name)s is written here, in %(process)s, and %(directive)s routes requests by it: mod_wsgi "
        "falls back to getenv() of the Apache child, so a request that Apache gives no value goes where this "
        "write says (%(where)s). No interpreter inherits anything: the middleware cannot see it. Fix: %(advice)s",
    ),
    "EL210": (
        INFO,
        "several interpreters in one process",
        "%(process)s: %(mounts)s; interpreters %(interpreters)s: %(shape)s",
    ),
    "EL220": (
        WARNING,
        "a script that cannot be read",
        "%(what)s cannot be read here (%(why)s): the verdict is open (--root DIR reads a copy of the server's files)",
    ),
    "EL221": (
        WARNING,
        "apps the configuration does not name",
        "%(what)s: envleak cannot tell which scripts run there; name them on the command line",
    ),
    "EL230": (
        INFO,
        "configuration not followed",
        "%(what)s",
    ),
    "EL231": (
        INFO,
        "read with the tolerant reader",
        "this Python's parser refused it (%(why)s): read token by token instead, as Python %(python)s would run it",
    ),
    "EL232": (
        INFO,
        "a handler that never runs",
        "%(what)s",
    ),
    "EL233": (
        INFO,
        "nothing to check",
        "%(what)s",
    ),
}

# What to do, per variable: never "assign it" (on Python 2.7 to 3.8 the last writer still wins,
# and Celery reads CELERY_BROKER_URL from the environment at every use, whatever was assigned).
ONE_PROCESS_PER_APP = {
    "mod_wsgi": "one daemon process group per app (WSGIDaemonProcess, WSGIProcessGroup, "
    "WSGIApplicationGroup %{GLOBAL})",
    "uwsgi": "one uWSGI instance per app (an emperor with one vassal per app)",
    None: "one process per app (mod_wsgi: a daemon process group each, in %{GLOBAL}; uWSGI: an instance each)",
}
ADVICE = {
    "CELERY_CONFIG_MODULE": "hand the module to the app: build the Celery app eagerly with "
    "config_from_object('<app>.celeryconfig') and keep the variable out of os.environ, or %(process)s",
    "DJANGO_SETTINGS_MODULE": "choose the settings module in the WSGI file without the environment "
    "(django.conf.settings.configure() from that module), or %(process)s",
    "CELERY_BROKER_URL": "Celery reads it from the environment ahead of its own configuration "
    "(Settings.broker_url): keep it out of os.environ, read the .env into a dict (python-dotenv's "
    "dotenv_values()) and hand it to the app, or %(process)s",
    "CELERY_RESULT_BACKEND": "Celery reads it from the environment ahead of its own configuration: keep it "
    "out of os.environ (read the .env into a dict with dotenv_values()), or %(process)s",
    "DATABASE_URL": "read the app's .env into a dict (python-dotenv's dotenv_values(), or environ.Env "
    "reading a mapping of its own) and hand it to the settings, or %(process)s",
    "SECRET_KEY": "read the app's .env into a dict (dotenv_values()) and hand it to the settings, or %(process)s",
    "TZ": "give every app of the process the same TIME_ZONE, or %(process)s",
}
ADVICE_DEFAULT = (
    "hand the value to the app (its configuration, or a dict read with dotenv_values()) instead of the "
    "process environment, or %(process)s"
)
ADVICE_SHARED_INTERPRETER = (
    "give each app an interpreter of its own (a WSGIApplicationGroup each, or no single-interpreter), "
    "or better %(process)s; and hand the value to the app instead of the environment"
)
ADVICE_ROUTING = (
    "never let an app write a variable the server routes by: keep it out of the app's .env, and route "
    "with a value Apache always sets (SetEnvIf for every Host), or %(process)s"
)


def advice(name, server=None, kind=None):
    """What to do about `name`, for the server that runs the apps ('mod_wsgi', 'uwsgi' or None)."""
    process = ONE_PROCESS_PER_APP.get(server, ONE_PROCESS_PER_APP[None])
    if kind == "shared":
        return ADVICE_SHARED_INTERPRETER % {"process": process}
    if kind == "routing":
        return ADVICE_ROUTING % {"process": process}
    return ADVICE.get(name, ADVICE_DEFAULT) % {"process": process}


def severity(code):
    return CODES[code][0]


def title(code):
    return CODES[code][1]


def message(code, args):
    """The message of a finding: its code's template filled with `args`."""
    return CODES[code][2] % _Defaults(args)


class _Defaults(dict):
    """Formatting arguments where a missing one reads as an empty string."""

    def __missing__(self, key):
        return ""


def selected(code, select=(), ignore=()):
    """--select and --ignore: codes or prefixes (EL2, EL20, EL201); ignore wins over select."""
    if any(code.startswith(prefix) for prefix in ignore):
        return False
    return not select or any(code.startswith(prefix) for prefix in select)
