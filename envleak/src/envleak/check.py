"""envleak check: does a server configuration (Apache with mod_wsgi, or uWSGI) with its WSGI
scripts let one app's environment variable reach another, without running it?

It places every script the configuration runs in its process and interpreter
(envleak.apache, envleak.uwsgi), reads each script and the modules it imports
(envleak.pysource: reads and writes of os.environ in evaluation order, .env loaders), and
reports findings (envleak.codes, EL2xx), each a record: path, line, col, code, severity,
message and its arguments. The sharing rules are Python's: up to 3.8 every interpreter of a
process shares one os.environ (the last writer wins, assignment included); from 3.9 each
copies the process environment when it is created. Standard library only; Python 2.7, 3.6+.
"""

import os

from envleak import apache, codes, pysource, uwsgi
from envleak.apache import EMBEDDED, CheckError  # noqa: F401 - CheckError: part of this module's API

__all__ = ["check", "CheckError", "environ_uses", "is_python", "DOTENV_KEYS", "DOTENV_OWN_KEYS"]

DOTENV_KEYS = pysource.DOTENV_KEYS
DOTENV_OWN_KEYS = pysource.DOTENV_OWN_KEYS
is_python = pysource.is_python
SCHEMA = "envleak-check/1"
SHARED_PYTHONS = ("2.7", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8")
MAX_IMPORTS = 64

# Variables a framework reads by itself, from the process environment: (package the app must
# import, who reads it, when). A write by one app reaches another that never names it.
IMPLICIT = {
    "CELERY_BROKER_URL": ("celery", "Celery's Settings.broker_url (celery.app.utils)", "at every use"),
    "CELERY_BROKER_READ_URL": ("celery", "Celery's Settings.broker_read_url (celery.app.utils)", "at every use"),
    "CELERY_BROKER_WRITE_URL": ("celery", "Celery's Settings.broker_write_url (celery.app.utils)", "at every use"),
    "CELERY_RESULT_BACKEND": ("celery", "Celery's Settings.result_backend (celery.app.utils)", "at every use"),
    "CELERY_CONFIG_MODULE": (
        "celery",
        "Celery's default loader (celery.loaders.default:read_configuration)",
        "lazily, at the first task",
    ),
    "DJANGO_SETTINGS_MODULE": ("django", "Django's settings (django.conf:LazySettings._setup)", "once, at setup"),
}
# Of those, the ones read after the app's own start (lazily): on Python 2.7 to 3.8 a value the
# app assigned can be another app's by then.
LAZY = ("CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL", "CELERY_RESULT_BACKEND",
        "CELERY_CONFIG_MODULE", "TZ")  # fmt: skip


def environ_uses(path):
    """(line, how, variable) of each use of the environment in a Python file, in evaluation
    order: how is 'setdefault', 'assign', 'read', 'delete' or 'dotenv' (a .env loader, its
    variable DOTENV_KEYS, or DOTENV_OWN_KEYS with override)."""
    return [(e.line, e.op, e.name) for e in pysource.read(path).events]


# --- The sharing rules ----------------------------------------------------------------------
class Rules(object):
    """Which Python's sharing rules apply: `shared` (one os.environ for every interpreter, 2.7 to
    3.8) or not (a copy at creation, 3.9+); `python` and `source` say why."""

    def __init__(self, python, source, shared=None):
        self.python, self.source = python, source
        self.shared = (python in SHARED_PYTHONS) if shared is None else shared

    def text(self):
        if self.shared:
            return "Python %s: one os.environ shared by every interpreter" % self.python
        return "Python %s: each interpreter copies os.environ when it is created" % self.python

    def as_dict(self):
        return {"python": self.python, "shared_environ": self.shared, "source": self.source, "text": self.text()}


def parse_python(text):
    """--python: 2.7, 3.6, 3.7, 3.8 (shared) or 3.9+, 3.9 ... 3.14 (copied); ValueError else."""
    text = (text or "").strip()
    if text in ("2", "2.7") or text in SHARED_PYTHONS:
        return "2.7" if text == "2" else text
    if text in ("3.9+", "3"):
        return "3.9+"
    parts = text.split(".")
    if len(parts) == 2 and parts[0] == "3" and parts[1].isdigit() and int(parts[1]) >= 9:
        return text
    raise ValueError("--python takes 2.7, 3.6, 3.7, 3.8 or 3.9+ (or 3.9 ... 3.14), not %r" % text)


def rules_from(option, hints, default_source):
    if option:
        return Rules(option, "--python %s" % option)
    if hints:
        versions = sorted(set(version for version, _ in hints))
        shared = [h for h in hints if h[0] in SHARED_PYTHONS]
        version, where = (shared or hints)[0]
        note = " (also named: %s)" % ", ".join(v for v in versions if v != version) if len(versions) > 1 else ""
        return Rules(version, "%s%s" % (where, note))
    return Rules("3.9+", default_source)


# --- Apps: a script and what it imports ----------------------------------------------------
class App(object):
    """One app as it runs: `script` (the file the server loads), its `files` (with the modules it
    imports from the search path), their events in order, and where the server names it."""

    def __init__(self, script, where, kind, role="app", dispatched=False):
        self.script, self.where, self.kind, self.role, self.dispatched = script, where, kind, role, dispatched
        self.files, self.events, self.imports, self.called, self.error = [], [], set(), set(), None

    @property
    def name(self):
        return self.script


class Reader(object):
    """Reads each file once; follows imports; expands .env loaders whose file is readable."""

    def __init__(self, root=None):
        self.root, self.sources, self.infos = root, {}, []

    def source(self, path):
        if path not in self.sources:
            try:
                source = pysource.read(path)
            except (IOError, OSError) as error:
                source = pysource.Source(path)
                source.error = "not found here" if not os.path.exists(path) else str(error)
            self.sources[path] = source
        return self.sources[path]

    def optional_source(self, path):
        return self.source(path) if os.path.isfile(path) else None

    def local(self, path):
        if self.root and os.path.isabs(path) and not os.path.exists(path):
            return os.path.join(self.root, path.lstrip("/"))
        return path

    def app(self, script, where, kind, search, role="app", dispatched=False):
        app = App(script, where, kind, role, dispatched)
        queue = [script]
        while queue and len(app.files) < MAX_IMPORTS:
            path = queue.pop(0)
            if path in app.files:
                continue
            app.files.append(path)
            source = self.source(path)
            if source.error and path == script:
                app.error = source.error
            entry = source.constants.get("entry_point")  # mod_wsgi-express's handler.wsgi names the app
            if entry and os.path.isfile(self.local(entry)) and self.local(entry) not in app.files:
                queue.append(self.local(entry))
            for name in source.imports:
                found = module_file(name, search + [os.path.dirname(path)])
                if found and found not in app.files and found not in queue:
                    queue.append(found)
            app.imports.update(source.imports)
            app.called.update(source.called)
            app.events.extend(self.expand_dotenv(source, path))
        return app

    def expand_dotenv(self, source, path):
        """A .env loader whose file is here stands for the keys it defines: without override each
        is kept as setdefault() keeps it; with override each is assigned, and a key only the other
        app's file defines still passes (DOTENV_OWN_KEYS)."""
        events = []
        for event in source.events:
            if event.op != "dotenv":
                events.append(event)
                continue
            keys = None
            dotenv = event.value
            candidates = []
            if dotenv:
                candidates = [self.local(dotenv) if os.path.isabs(dotenv) else os.path.join(os.path.dirname(path),
                                                                                            dotenv)]  # fmt: skip
            else:  # find_dotenv(): the calling file's folder, then its parents
                folder = os.path.dirname(os.path.abspath(path))
                while folder and folder != os.path.dirname(folder):
                    candidates.append(os.path.join(folder, ".env"))
                    folder = os.path.dirname(folder)
            for candidate in candidates:
                keys = pysource.dotenv_keys(candidate)
                if keys is not None:
                    break
            if keys is None:
                events.append(event.copy(op="setdefault", via="a .env loader"))
                continue
            for key in keys:
                events.append(event.copy(op="assign" if event.override else "setdefault", name=key,
                                         via="a .env loader (%s)" % (dotenv or ".env")))  # fmt: skip
            if event.override:
                events.append(event.copy(op="setdefault", name=DOTENV_OWN_KEYS, via="a .env loader with override"))
        return events


def module_file(name, search):
    parts = name.split(".")
    for folder in search:
        base = os.path.join(folder, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None


# --- What one app does with one variable ---------------------------------------------------
class Profile(object):
    """One app's use of one variable: its writes, what it keeps or reads without having set it
    (in evaluation order; a read at a request counts when the app never assigns it), its reads
    after start (at requests, or by a framework lazily), and who reads it implicitly."""

    def __init__(self, app, name):
        self.app, self.name = app, name
        events = [e for e in app.events if e.name == name]
        self.writes = [e for e in events if e.op in ("assign", "setdefault", "delete")]
        assigns = [e for e in events if e.op in ("assign", "delete")]
        self.assigned_at_load = any(not e.deferred for e in assigns)
        self.keeps, self.later, self.reads = [], [], [e for e in events if e.op in ("read", "setdefault")]
        assigned = False
        for event in events:
            if event.op == "setdefault":
                self.keeps.append(event)
            elif event.op == "read":
                if (not event.deferred and not assigned) or (event.deferred and not assigns):
                    self.keeps.append(event)
                if event.deferred:
                    self.later.append(event)
            elif event.op in ("assign", "delete") and not event.deferred:
                assigned = True
        self.implicit = None
        rule = IMPLICIT.get(name)
        if rule and any(i == rule[0] or i.startswith(rule[0] + ".") for i in app.imports):
            if not (name == "CELERY_CONFIG_MODULE" and "config_from_object" in app.called):
                self.implicit = rule
        if name == "CELERY_CONFIG_MODULE" and self.writes and "config_from_object" not in app.called:
            self.implicit = IMPLICIT[name]  # an app that sets it relies on Celery's default loader
        self.lazy = bool(self.later) or (name in LAZY and (self.implicit is not None or name == "TZ"))

    def first(self, events):
        return events[0] if events else None


def how_kept(event):
    if event.op == "setdefault":
        if event.via:
            return "is kept here by %s without override, as setdefault() keeps a value" % event.via
        return "is kept here by setdefault(), whatever the process already holds"
    if event.deferred:
        return "is read here at each request, and this app never sets it"
    return "is read here before this app sets it"


# --- The check ------------------------------------------------------------------------------
class Finding(dict):
    """A finding: path, line, col, code, severity, title, message, args."""

    def __init__(self, code, path, line, col, args):
        dict.__init__(self, code=code, path=path, line=line or 1, col=col or 1, severity=codes.severity(code),
                      title=codes.title(code), message=codes.message(code, args),
                      args=dict((k, v) for k, v in args.items() if isinstance(v, (str, int, bool, list, type(None)))
                                or type(v).__name__ == "unicode"))  # fmt: skip

    def text(self):
        return "%s:%d:%d: %s %s" % (self["path"], self["line"], self["col"], self["code"], self["message"])


class Process(object):
    """One process (Apache's children, a daemon process group, a uWSGI instance) and its
    interpreters: {interpreter: [App]}, and the interpreters the dispatched scripts may fill."""

    def __init__(self, key, label, server, rules):
        self.key, self.label, self.server, self.rules = key, label, server, rules
        self.interpreters, self.dispatch_slots, self.mounts, self.variable = {}, set(), [], False
        self.first_where = None  # (path, line) of the first mount: where the shape is reported

    def add(self, interpreter, app):
        apps = self.interpreters.setdefault(interpreter, [])
        if not any(a.script == app.script and a.role == app.role for a in apps):
            apps.append(app)


def check(paths, root=None, defines=(), python=None, uwsgi_args=None, select=(), ignore=()):
    """The check, as data (see check.schema.json). `paths`: Apache configurations (files or
    directories), uWSGI .ini files or directories of them, and WSGI scripts (scripts a mounted
    dispatcher loads, one per interpreter). `uwsgi_args`: a uWSGI command line. `python`: the
    rules to apply (--python), else what the configuration says, else 3.9+."""
    python = parse_python(python) if python else None
    apache_paths, uwsgi_paths, extra = [], [], []
    for path in paths:
        if not os.path.exists(path):
            raise CheckError("no such file or directory: %s" % path)
        if uwsgi.is_uwsgi_ini(path) or (uwsgi.is_uwsgi_tree(path) and not apache.is_apache_tree(path)):
            uwsgi_paths.append(path)
        elif not os.path.isdir(path) and is_python(path):
            extra.append(path)
        else:
            apache_paths.append(path)
    reader = Reader(root)
    findings, processes, mounts_out = [], {}, []

    def found(code, path, line, col, **args):
        findings.append(Finding(code, path, line, col, args))

    # Apache
    config = apache.read_config(apache_paths, root, defines) if apache_paths else None
    apache_rules = None
    routing = {}
    if config is not None:
        for where, text in config.notes:
            path, line = split_where(where)
            found("EL230", path, line, 1, what=text)
        apache_rules = rules_from(python, apache.python_hints(config), "assumed: nothing in the configuration names "
                                  "the Python (WSGIPythonHome, python-home=)")  # fmt: skip
        resolver = apache.Resolver(config, reader.optional_source)
        mounts = resolver.mounts()
        search = python_path(config)
        for where, code, args in resolver.infos:
            path, line = split_where(where)
            found(code, path, line, 1, **args)
        for mount in mounts:
            app = reader.app(mount.local, mount.where, mount.kind, search, role=mount.role)
            mounts_out.append(dict(mount.as_dict(), files=app.files))
            for process_key, interpreter in sorted(set(mount.placements)):
                process = processes.get(process_key)
                if process is None:
                    label = ("Apache's own child processes (embedded mode)" if process_key == EMBEDDED
                             else "mod_wsgi daemon process group %s" % process_key.split(" ", 1)[1])  # fmt: skip
                    process = processes[process_key] = Process(process_key, label, "mod_wsgi", apache_rules)
                process.add(interpreter, app)
                if mount.role == "app":
                    process.dispatch_slots.add(interpreter)
                process.mounts.append(mount.host.label + mount.url if mount.url.startswith("/") else mount.url)
                process.first_where = process.first_where or (mount.directive.file, mount.directive.line)
                process.variable = process.variable or mount.variable
        for text, directive, what in resolver.routing:
            name = text[6:-1]
            values, always = apache.request_variables(config, directive.vhost(), name)
            if not always:
                routing.setdefault(name, (directive, what, values))

    # uWSGI
    for instance in uwsgi.read(uwsgi_paths, uwsgi_args, root) if (uwsgi_paths or uwsgi_args) else []:
        hint = instance.python()
        reload_env = instance.flag("reload-os-env")
        rules = rules_from(python, [hint] if hint else [], "assumed: nothing in the configuration names the Python "
                           "(home, virtualenv, a pythonXY plugin)")  # fmt: skip
        if reload_env:
            rules = Rules(rules.python, "%s; reload-os-env (%s) copies the process environment into os.environ at "
                          "each request" % (rules.source, instance.where("reload-os-env")), shared=True)  # fmt: skip
        workers = instance.first("processes", "workers") or "1"
        label = "uWSGI instance %s (%s worker%s, each holding every app%s)" % (
            instance.source if instance.source != "the command line" else "of the command line",
            workers,
            "" if workers == "1" else "s",
            "; apps loaded after fork: lazy-apps" if instance.flag("lazy-apps") or instance.flag("lazy") else "",
        )
        process = processes[instance.key] = Process(instance.key, label, "uwsgi", rules)
        search = [p for key in uwsgi.PATH_OPTIONS for value in instance.values(key) for p in value.split(":") if p]
        for where, text in instance.notes:
            found("EL230", where, 1, 1, what=text)
        for where, code, args in instance.infos:
            path, line = split_where(where)
            if code == "EL221" and extra:
                code = "EL230"
                args = dict(args, what=args["what"] + "; the scripts given on the command line stand for them")
                process.dispatch_slots.add("(dynamic apps)")
                process.interpreters.setdefault("(dynamic apps)", [])
                process.variable = True  # each dynamic app gets an interpreter of its own
            found(code, path, line, 1, **args)
        for app_def in instance.apps:
            if app_def.local is None:
                path, line = split_where(app_def.where)
                found(
                    "EL220",
                    path,
                    line,
                    1,
                    what="%s %s" % (app_def.kind, app_def.target),
                    why="no such file or module on the python path here",
                )
                continue
            app = reader.app(app_def.local, app_def.where, app_def.kind, search + [os.path.dirname(app_def.local)],
                             role="import" if app_def.role == "import" else "app")  # fmt: skip
            process.add(app_def.interpreter, app)
            if app_def.role == "app":  # as a mounted script under Apache: the scripts given may be what it runs
                process.dispatch_slots.add(app_def.interpreter)
            process.mounts.append("%s %s" % (app_def.kind, app_def.mountpoint or app_def.target))
            process.first_where = process.first_where or split_where(app_def.where)
            mounts_out.append({"kind": "uwsgi " + app_def.kind, "file": split_where(app_def.where)[0],
                               "line": split_where(app_def.where)[1], "url": app_def.mountpoint,
                               "script": app_def.target, "local": app_def.local, "virtual_host": "",
                               "role": app_def.role, "placements": [[instance.key, app_def.interpreter]],
                               "process": [instance.key], "application_group": [app_def.interpreter],
                               "variable": False, "files": app.files})  # fmt: skip
        if instance.flag("single-interpreter"):
            process.label += ", single-interpreter"

    # Scripts given on the command line: the apps a mounted dispatcher loads, one per interpreter.
    mounted = set(f for p in processes.values() for apps in p.interpreters.values() for a in apps for f in a.files)
    dispatched = []
    for path in extra:
        if path in mounted:
            continue
        dispatched.append(reader.app(path, path, "given", [os.path.dirname(path),
                                                           os.path.dirname(os.path.dirname(path))],
                                     dispatched=True))  # fmt: skip
    if dispatched and not processes:
        rules = rules_from(python, [], "assumed: no configuration given")
        process = processes["assumed"] = Process(
            "assumed", "one process, each script in a sub-interpreter of its own (assumed: mod_wsgi's default, "
            "embedded mode, application group %{RESOURCE})", None, rules)  # fmt: skip
        for app in dispatched:
            process.interpreters["(the interpreter of %s)" % app.script] = []
            process.dispatch_slots.add("(the interpreter of %s)" % app.script)
        process.variable = True

    # Unreadable scripts
    unread = []
    for process in processes.values():
        for apps in process.interpreters.values():
            for app in apps:
                if app.error:
                    path, line = split_where(app.where)
                    if dispatched:
                        found("EL230", path, line, 1, what="%s: %s cannot be read here (%s); the scripts given on the "
                              "command line stand for it" % (app.kind, app.script, app.error))  # fmt: skip
                    else:
                        found("EL220", path, line, 1, what="%s %s" % (app.kind, app.script), why=app.error)
                        unread.append(app.script)
    for path, source in sorted(reader.sources.items()):
        if source.reader == "tokens" and not source.error:
            found("EL231", path, 1, 1, why=source.refused, python="2 or 3")
        elif source.error and path in extra:
            found("EL220", path, 1, 1, what=path, why=source.error)
            unread.append(path)

    # The rules, process by process
    for key in sorted(processes):
        judge_process(processes[key], dispatched, found)
    for name, (directive, what, values) in sorted(routing.items()):
        judge_routing(name, directive, what, values, processes, dispatched, found)
    if not processes:
        found("EL233", paths[0] if paths else "(nothing)", 1, 1, what="no mount (WSGIScriptAlias, SetHandler "
              "wsgi-script, WSGIHandlerScript, ...), no uWSGI app and no WSGI script in what was given")  # fmt: skip

    shown = [f for f in findings if codes.selected(f["code"], select, ignore)]
    shown = dedupe(shown)
    shown.sort(key=lambda f: (f["code"] != "EL210", f["path"], f["line"], f["col"], f["code"]))
    errors = [f for f in shown if f["severity"] == codes.ERROR]
    open_ = [f for f in shown if f["code"] in ("EL220", "EL221")]
    variables = sorted(set(f["args"].get("name") for f in errors if f["args"].get("name")))
    rules_used = []
    for process in processes.values():
        if process.rules and process.rules.as_dict() not in rules_used:
            rules_used.append(process.rules.as_dict())
    if errors:
        verdict = "RISKY: %s can pass from one app to another (%s)" % (
            ", ".join(variables) or "a variable",
            ", ".join(sorted(set(f["code"] for f in errors))),
        )
        exit_status = 1
    elif open_:
        verdict = "cannot tell: %s" % "; ".join(sorted(set(f["message"].split(":")[0] for f in open_)))
        exit_status = 2
    elif not processes:
        verdict = "nothing to check: no mount and no WSGI script"
        exit_status = 0
    else:
        verdict = ("not risky: no variable one app writes reaches another app's interpreter, by the configuration "
                   "and the scripts read here")  # fmt: skip
        exit_status = 0
    return {
        "schema": SCHEMA,
        "envleak": _version(),
        "risky": bool(errors),
        "unknown": exit_status == 2,
        "exit": exit_status,
        "verdict": verdict,
        "rules": rules_used,
        "findings": shown,
        "lines": [f.text() for f in shown],
        "processes": dict(
            (
                key,
                {
                    "label": p.label,
                    "server": p.server,
                    "interpreters": sorted(p.interpreters),
                    "variable": p.variable,
                    "mounts": sorted(set(p.mounts)),
                    "rules": p.rules.as_dict() if p.rules else None,
                    "apps": dict((i, sorted(set(a.script for a in apps))) for i, apps in p.interpreters.items()),
                },
            )
            for key, p in processes.items()
        ),  # fmt: skip
        "mounts": mounts_out,
        "scripts": dict(
            (path, {"uses": [e.as_list() for e in source.events], "error": source.error, "reader": source.reader})
            for path, source in reader.sources.items()
        ),
        "variables": variables,
    }


def _version():
    from envleak import __version__

    return __version__


def split_where(where):
    path, _, line = (where or "").rpartition(":")
    if path and line.isdigit():
        return path, int(line)
    return where, 1


def dedupe(findings):
    seen, kept = set(), []
    for finding in findings:
        key = (finding["code"], finding["path"], finding["line"], finding["col"], finding["message"])
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def python_path(config):
    """The folders mod_wsgi puts on sys.path: WSGIPythonPath, and python-path= of each
    WSGIDaemonProcess (this check does not tell the daemon groups apart here)."""
    folders = []
    for directive in config.named("wsgipythonpath", "wsgidaemonprocess"):
        if directive.name == "wsgipythonpath" and directive.args:
            folders.extend(directive.args[0].split(":"))
        elif directive.name == "wsgidaemonprocess":
            for arg in directive.args[1:]:
                if arg.startswith("python-path="):
                    folders.extend(arg.split("=", 1)[1].split(":"))
    return [config.local(folder) for folder in folders if folder]


def where_of(apps):
    return ", ".join(sorted(set("%s:%d" % (e.path, e.line) for app, e in apps)))


def judge_process(process, dispatched, found):
    """The rules on one process: every pair of apps in different interpreters (EL201, EL202,
    EL204), and in the same one (EL203)."""
    slots = []  # (interpreter, [apps]) with the dispatched scripts as alternatives
    for interpreter in sorted(process.interpreters):
        fixed = [a for a in process.interpreters[interpreter] if not a.error]
        slots.append((interpreter, fixed, interpreter in process.dispatch_slots))
    several = len(slots) > 1 or process.variable
    shape = "several interpreters in one process" if several else "one interpreter in this process"
    path, line = process.first_where or ("(%s)" % process.key, 1)
    found("EL210", path, line, 1, process=process.label, mounts=", ".join(sorted(set(process.mounts))) or "(no mount)",
          interpreters=", ".join(repr(i) for i, _, _ in slots) or "(none)", shape=shape)  # fmt: skip
    rules = process.rules or Rules("3.9+", "assumed")
    names = set()
    every = [a for _, fixed, _ in slots for a in fixed] + list(dispatched)
    for app in every:
        names.update(e.name for e in app.events)
        names.update(IMPLICIT)
    # Different interpreters of the process.
    occupants = []  # (interpreter index, app)
    for index, (_, fixed, slot) in enumerate(slots):
        for app in fixed:
            occupants.append((index, app))
        if slot:
            for app in dispatched:
                occupants.append((index, app))
    if process.variable and len(slots) == 1:
        # One mount whose interpreter is chosen per request: each dispatched script may get its own.
        for app in dispatched:
            occupants.append((len(slots), app))
    for name in sorted(names):
        profiles = {}
        for _, app in occupants:
            if id(app) not in profiles:
                profiles[id(app)] = Profile(app, name)
        for index, reader_app in occupants:
            reader = profiles[id(reader_app)]
            own = reader.first(reader.keeps) or reader.first(reader.writes)
            writer_events = []
            for i, app in occupants:
                profile = profiles[id(app)]
                if i == index or not profile.writes:
                    continue
                if app.script == reader_app.script:
                    # The same app in another interpreter: a conflict only where it writes values that
                    # differ (a dispatcher importing each app's module in its own interpreter).
                    if len(set(e.value for e in profile.writes if e.value is not None)) < 2:
                        continue
                    other = [e for e in profile.writes if own is None or e.value != own.value]
                    if other:
                        writer_events.append((app, other[0]))
                    continue
                writer_events.append((app, profile.writes[0]))
            if not writer_events:
                continue
            by = where_of(writer_events)
            if name == "TZ":
                event = reader.first(reader.reads) or reader.first(reader.writes)
                values = set(e.value for _, e in writer_events) | set(e.value for e in reader.writes)
                if event is not None and not (len(values) == 1 and None not in values):
                    found("EL204", event.path, event.line, event.col, name=name, how=("is read" if event.op == "read"
                          else "is written"), writers=by, process=process.label,
                          advice=codes.advice(name, process.server) + ".")  # fmt: skip
                continue
            keep = reader.first(reader.keeps)
            if keep is not None:
                found(
                    "EL201",
                    keep.path,
                    keep.line,
                    keep.col,
                    name=name,
                    how=how_kept(keep),
                    writers=by,
                    process=process.label,
                    rules=rules.text(),
                    inherits=inherits(rules),
                    advice=codes.advice(name, process.server) + ".",
                )
            elif reader.implicit is not None and not reader.writes:
                how = "is read by %s, %s, in this app (it imports %s) and never set by it" % (
                    reader.implicit[1], reader.implicit[2], reader.implicit[0])  # fmt: skip
                found("EL201", reader_app.script, 1, 1, name=name, how=how, writers=by,
                      process=process.label, rules=rules.text(), inherits=inherits(rules),
                      advice=codes.advice(name, process.server) + ".")  # fmt: skip
            elif rules.shared and reader.writes and reader.lazy:
                event = reader.first(reader.later) or reader.first(reader.writes)
                when = (
                    "at each request"
                    if reader.later
                    else "%s, by %s"
                    % (
                        reader.implicit[2] if reader.implicit else "at every local time",
                        reader.implicit[1] if reader.implicit else "the C library",
                    )
                )
                found(
                    "EL202",
                    event.path,
                    event.line,
                    event.col,
                    name=name,
                    when=when,
                    writers=by,
                    process=process.label,
                    rules=rules.text(),
                    advice=codes.advice(name, process.server) + ".",
                )
    # The same interpreter: two apps the configuration names share one os.environ outright. (A
    # script given on the command line is what the mounted one loads: not a second app beside it.)
    for interpreter, fixed, _ in slots:
        for apps in [fixed]:
            if len(apps) < 2:
                continue
            for name in sorted(names):
                profiles = [(app, Profile(app, name)) for app in apps]
                for app, profile in profiles:
                    writers = [(other, p) for other, p in profiles if other.script != app.script and p.writes]
                    uses = profile.reads + profile.writes
                    if not writers or not uses:
                        continue
                    event = sorted(uses, key=lambda e: e.order)[0]
                    found("EL203", event.path, event.line, event.col, name=name,
                          how={"read": "is read here", "setdefault": "is kept here by setdefault()"}.get(event.op,
                                                                                               "is written here"),
                          writers=where_of([(o, p.writes[0]) for o, p in writers]),
                          interpreter=repr(interpreter), process=process.label,
                          advice=codes.advice(name, process.server, "shared") + ".")  # fmt: skip


def inherits(rules):
    if rules.shared:
        return "every interpreter of the process sees that write, whenever it happens"
    return "an interpreter created after that write inherits its value"


def judge_routing(name, directive, what, values, processes, dispatched, found):
    """EL205: a script in Apache's own children writes a variable a WSGIApplicationGroup or
    WSGIProcessGroup expands with %{ENV:...}, for requests SetEnvIf gives no value."""
    embedded = processes.get(EMBEDDED)
    apps = []
    if embedded is not None:
        for interpreter, fixed in embedded.interpreters.items():
            apps.extend(fixed)
            if interpreter in embedded.dispatch_slots:
                apps.extend(dispatched)
    seen = set()
    for app in apps:
        if app.script in seen:
            continue
        seen.add(app.script)
        profile = Profile(app, name)
        for event in profile.writes[:1]:
            given = ", ".join(values) if values else "none"
            found("EL205", event.path, event.line, event.col, name=name, process=embedded.label,
                  directive="%s %%{ENV:%s} (%s)" % (what, name, directive.where()),
                  where="the value SetEnvIf gives some Hosts: %s; every other request takes this write's" % given,
                  advice=codes.advice(name, "mod_wsgi", "routing") + ".")  # fmt: skip
