"""envleak: does a mod_wsgi sub-interpreter run with a setting another app left in the
process environment? A detector to put in front of your own apps: one file, standard library
only, Python 2.7 and 3.x.

Deploy:
  1. Copy this file onto the sys.path of the Python mod_wsgi runs (the site-packages of its
     python-home, or the directory of your WSGI script).
  2. Import it before anything writes os.environ. Best, in every interpreter as mod_wsgi
     creates it: a file `envleak.pth` in that site-packages holding the line `import envleak`.
     Otherwise the first line of each WSGI script: `import envleak`.
  3. Last line of each WSGI script:
         application = envleak.wrap(application)                         # log lines only
         application = envleak.wrap(application, url="/__envleak__")     # and a JSON page
Remove: delete that line, the import and the .pth file.

Check a configuration without running it:
    python envleak.py check [-D DEFINE] APACHE_CONF... WSGI_SCRIPT...
points at the risky combination: embedded mode (no WSGIProcessGroup), more than one
application group in a process, and os.environ.setdefault() of a watched variable in a WSGI
script. Exit 1 when all three are there.

What it records, per interpreter: the watched variables (ENVLEAK_WATCH, comma-separated;
default CELERY_CONFIG_MODULE,DJANGO_SETTINGS_MODULE) as they were when this interpreter
started, i.e. what it inherited from the process; each write of them by this interpreter
(Python 3.8+: the os.putenv audit event); what its WSGI script had left when wrap() ran; and,
after each request, what the configuration used: Django's settings module and the config
module of the thread's current Celery app, once they are configured.

A variable is LEAKED when the configuration used a value the interpreter never set itself:
one it inherited (setdefault() kept what another interpreter wrote), or, on Python 2.7 (one
os.environ dict shared by every interpreter), one another interpreter wrote after this one
started, before or after its script ran. Each
finding is logged once, on stderr (Apache's error log under mod_wsgi), starting "envleak:".
"""

import json
import os
import re
import sys
import threading
import time

WATCHED = tuple(name for name in os.environ.get("ENVLEAK_WATCH", "").split(",") if name) or (
    "CELERY_CONFIG_MODULE",
    "DJANGO_SETTINGS_MODULE",
)
# Which part of an app reads each variable, and how to ask it what it used.
READERS = {"CELERY_CONFIG_MODULE": "Celery", "DJANGO_SETTINGS_MODULE": "Django"}

STARTED = {"at": time.time(), "pid": os.getpid(), "inherited": dict((name, os.environ.get(name)) for name in WATCHED)}
WRITES = []  # {"name", "value", "at"}: this interpreter's writes of a watched variable
LOADED = {}  # {"at", "values"}: what the WSGI script left, when wrap() ran
USED = dict((name, []) for name in WATCHED)  # the values each reader was seen using
_lock = threading.Lock()
_logged = set()


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _audit(event, args):
    # Every os.environ write calls os.putenv (or unsetenv), which raises this audit event.
    if event in ("os.putenv", "os.unsetenv"):
        name = _text(args[0])
        if name in WATCHED:
            value = _text(args[1]) if event == "os.putenv" else None
            WRITES.append({"name": name, "value": value, "at": time.time()})


if hasattr(sys, "addaudithook"):  # Python 3.8+; the hook is this interpreter's own
    sys.addaudithook(_audit)
else:  # Python 2.7: os.environ's writes call this interpreter's os.putenv and os.unsetenv

    def _watching(call, event):
        def watched(*args):
            _audit(event, args)
            return call(*args)

        return watched

    os.putenv = _watching(os.putenv, "os.putenv")
    if hasattr(os, "unsetenv"):
        os.unsetenv = _watching(os.unsetenv, "os.unsetenv")


def interpreter_name():
    try:
        import mod_wsgi

        return mod_wsgi.application_group
    except (ImportError, AttributeError):
        return None


def celery_config_module(app):
    """The module a configured Celery app took its settings from, or None: the name given to
    config_from_object(), else the module Celery's default loader imported (the one
    CELERY_CONFIG_MODULE named when it first configured itself)."""
    source = getattr(app, "_config_source", None)
    if source is not None:
        return source if isinstance(source, str) else getattr(source, "__name__", None)
    loaded = getattr(getattr(app.loader, "_conf", None), "obj", None)
    return getattr(loaded, "__name__", None)


def celery_used():
    """The config module this thread's current Celery app took from CELERY_CONFIG_MODULE,
    without creating or configuring an app: None when Celery has not configured it yet, or
    when the app was given its module by name (config_from_object: no environment read)."""
    state = sys.modules.get("celery._state")
    if state is None:
        return None
    app = getattr(state._tls, "current_app", None) or state.default_app
    if app is None or not app.configured or getattr(app, "_config_source", None) is not None:
        return None
    return celery_config_module(app)


def django_used():
    conf = sys.modules.get("django.conf")
    settings = getattr(conf, "settings", None)
    if settings is None or not settings.configured:
        return None
    return getattr(settings, "SETTINGS_MODULE", None)


def used_now():
    return {"CELERY_CONFIG_MODULE": celery_used(), "DJANGO_SETTINGS_MODULE": django_used()}


def findings():
    """Per watched variable: inherited, written, left by the script, used, and the verdict:
    'leaked' (see the module's docstring), 'overwritten' (inherited, then set by this
    interpreter before it was used), 'inherited' (inherited; nothing seen using it yet),
    or 'own'."""
    result = {}
    for name in WATCHED:
        inherited = STARTED["inherited"].get(name)
        written = [write["value"] for write in WRITES if write["name"] == name]
        left = (LOADED.get("values") or {}).get(name, os.environ.get(name))
        used = list(USED.get(name, []))
        # Used, never set here: inherited, or (Python 2.7) written by another interpreter
        # after this one started, after its script ran or before (setdefault() kept it).
        foreign = [value for value in used if value is not None and value not in written]
        changed = [value for value in foreign if LOADED and value != left]
        if foreign:
            verdict = "leaked"
        elif inherited is not None and written:
            verdict = "overwritten"
        elif inherited is not None:
            verdict = "inherited"
        else:
            verdict = "own"
        result[name] = {
            "inherited": inherited,
            "written": written,
            "left_by_script": left,
            "used": used,
            "reader": READERS.get(name),
            "verdict": verdict,
            "changed_under_it": bool(changed),
            "appeared_after_start": any(value not in [inherited] + changed for value in foreign),
        }
    return result


def report():
    """Everything this interpreter knows about itself, as JSON-able data."""
    found = findings()
    return {
        "pid": os.getpid(),
        "interpreter": interpreter_name(),
        "started": STARTED,
        "writes": list(WRITES),
        "loaded": LOADED,
        "variables": found,
        "leaked": sorted(name for name, finding in found.items() if finding["verdict"] == "leaked"),
    }


def describe(name, finding):
    if finding["changed_under_it"]:
        return (
            "{0}={1} LEAKED: {2} used it, but this interpreter's script had left {3}: another interpreter "
            "wrote it since (Python 2: one os.environ for all interpreters)".format(
                name, finding["used"][-1], finding["reader"], finding["left_by_script"]
            )
        )
    if finding["appeared_after_start"]:
        return (
            "{0}={1} LEAKED: {2} used it, but this interpreter neither inherited nor wrote it: another "
            "interpreter wrote it after this one started (Python 2: one os.environ for all interpreters)".format(
                name, finding["used"][-1], finding["reader"]
            )
        )
    if finding["verdict"] == "leaked":
        return (
            "{0}={1} LEAKED: inherited when this interpreter started (another interpreter of this process, "
            "or Apache's own environment, set it) and used by {2}".format(name, finding["inherited"], finding["reader"])
        )
    return "{0}: {1}".format(name, finding["verdict"])


def _check():
    used = used_now()
    news = []
    with _lock:
        for name, value in used.items():
            if name in USED and value is not None and value not in USED[name]:
                USED[name].append(value)
        for name, finding in findings().items():
            key = (name, finding["verdict"], tuple(finding["used"]))
            if finding["verdict"] == "leaked" and key not in _logged:
                _logged.add(key)
                news.append(describe(name, finding))
    for line in news:
        sys.stderr.write("envleak: pid {0} interpreter {1!r}: {2}\n".format(os.getpid(), interpreter_name(), line))
        sys.stderr.flush()


def wrap(application, url=None):
    """The WSGI application, checked after every request; `url` (e.g. "/__envleak__"): a
    GET there answers report() as JSON instead of calling the application."""
    LOADED.update(at=time.time(), values=dict((name, os.environ.get(name)) for name in WATCHED))

    def envleak_middleware(environ, start_response):
        if url and environ.get("PATH_INFO") == url:
            body = json.dumps(report(), sort_keys=True).encode("utf-8")
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        try:
            return application(environ, start_response)
        finally:
            _check()

    return envleak_middleware


# --- The configuration check (no Apache, no Python app needed) -------------------------
# Apache directives that decide the process model and the application groups.
DIRECTIVE = re.compile(r"^\s*(WSGIProcessGroup|WSGIApplicationGroup|WSGIScriptAlias|WSGIDaemonProcess)\s+(\S+)", re.I)
ENVIRON_WRITE = re.compile(r"os\.environ(?:\.setdefault\(\s*|\[\s*)['\"]([A-Z_]+)['\"]")


def apache_directives(path, defines=()):
    """(file, line number, directive, first argument) of the WSGI directives in an Apache
    configuration file, leaving out <IfDefine NAME> blocks whose NAME is not in `defines`."""
    found, skipping = [], []
    with open(path) as lines:
        for number, line in enumerate(lines, 1):
            stripped = line.strip()
            opened = re.match(r"<IfDefine\s+(!?)(\w+)>", stripped, re.I)
            if opened:
                wanted = (opened.group(2) in defines) != (opened.group(1) == "!")
                skipping.append(not wanted)
                continue
            if re.match(r"</IfDefine>", stripped, re.I):
                skipping.pop()
                continue
            if any(skipping) or stripped.startswith("#"):
                continue
            match = DIRECTIVE.match(line)
            if match:
                found.append((path, number, match.group(1), match.group(2)))
    return found


def environ_writes(path):
    """(file, line number, how, variable) of each os.environ write of a watched variable."""
    found = []
    with open(path) as lines:
        for number, line in enumerate(lines, 1):
            if line.lstrip().startswith("#"):
                continue
            for match in ENVIRON_WRITE.finditer(line):
                if match.group(1) in WATCHED:
                    how = "setdefault" if ".setdefault" in match.group(0) else "assignment"
                    found.append((path, number, how, match.group(1)))
    return found


def check_config(paths, defines=()):
    """(risky, lines): the findings, one sentence each, and whether the three risks meet."""
    conf = [p for p in paths if not p.endswith((".py", ".wsgi"))]
    scripts = [p for p in paths if p.endswith((".py", ".wsgi"))]
    directives = [d for path in conf for d in apache_directives(path, defines)]
    lines = []
    groups = [d for d in directives if d[2].lower() == "wsgiapplicationgroup"]
    daemon = [d for d in directives if d[2].lower() == "wsgiprocessgroup"]
    scripts_mounted = [d for d in directives if d[2].lower() == "wsgiscriptalias"]
    embedded = not daemon
    if embedded:
        lines.append("embedded mode: no WSGIProcessGroup, so the apps run inside Apache's own child processes")
    else:
        lines.append("daemon mode: %s:%d: WSGIProcessGroup %s" % (daemon[0][0], daemon[0][1], daemon[0][3]))
    # Within one file, the last WSGIApplicationGroup is the one that counts (a later one overrides).
    last = {}
    for group in groups:
        last[group[0]] = group
    groups = list(last.values())
    variable = [g for g in groups if "%{" in g[3] and g[3].upper() != "%{GLOBAL}"]
    distinct = set(g[3] for g in groups)
    several = bool(variable) or len(distinct) > 1 or (not groups and len(scripts_mounted) > 1)
    for path, number, _, value in variable:
        lines.append(
            "%s:%d: WSGIApplicationGroup %s: a variable, so one process holds several interpreters"
            % (path, number, value)
        )
    if not groups and len(scripts_mounted) > 1:
        lines.append("no WSGIApplicationGroup and several WSGIScriptAlias: one interpreter per script (%{RESOURCE})")
    setdefaults = []
    for path, number, how, name in [w for script in scripts for w in environ_writes(script)]:
        if how == "setdefault":
            setdefaults.append(name)
            lines.append(
                "%s:%d: os.environ.setdefault(%r): a value another interpreter left in the process wins"
                % (path, number, name)
            )
        else:
            lines.append(
                "%s:%d: os.environ[%r] = ...: writes the process environment for interpreters created later "
                "(safe only if read at once, as Django reads its settings)" % (path, number, name)
            )
    risky = embedded and several and bool(setdefaults)
    verdict = (
        "RISKY: embedded mode, several application groups per process, and setdefault() of %s"
        % ", ".join(sorted(set(setdefaults)))
        if risky
        else "not the risky combination (embedded mode, several application groups, setdefault())"
    )
    return risky, lines + [verdict]


def main(argv):
    if not argv or argv[0] != "check":
        sys.stderr.write("usage: python envleak.py check [-D DEFINE] APACHE_CONF... WSGI_SCRIPT...\n")
        return 2
    args, defines, paths = argv[1:], [], []
    while args:
        word = args.pop(0)
        if word == "-D" and args:
            defines.append(args.pop(0))
        elif os.path.isfile(word):
            paths.append(word)
        else:
            sys.stderr.write("envleak check: no such file: %s\n" % word)
            return 2
    risky, lines = check_config(paths, defines)
    for line in lines:
        print("envleak check: " + line)
    return 1 if risky else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
