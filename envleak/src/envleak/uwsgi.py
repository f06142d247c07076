"""uWSGI's configuration as uWSGI reads it: an .ini file's [uwsgi] section (placeholders
%(name), magic variables %d %n %s %p %c, `ini =` includes), or a command line, or an emperor's
vassals (each file one instance). Which apps each instance loads, and in which interpreter:
uWSGI's python plugin (plugins/python/pyloader.c) loads `module`/`wsgi-file` into the main
interpreter, and gives every other app (each `mount`, each app a `route`/`route-host`
`setfile:` loads on its first request, each dynamic app) a Py_NewInterpreter() of its own in
the same worker, unless `single-interpreter` is set. `processes` and `lazy-apps` change how
many workers hold them and when they load, not that they share each worker.
Standard library only; Python 2.7 and 3.6+.
"""

import glob
import io
import os
import re
import shlex

from envleak.apache import CheckError, version_in, version_of_home

APP_OPTIONS = ("wsgi-file", "file", "module", "wsgi", "mount", "route", "route-host", "paste", "ini-paste",
               "ini-paste-logged", "eval", "pecan", "import", "pyimport", "py-import", "python-import",
               "shared-import", "shared-pyimport", "shared-py-import", "shared-python-import")  # fmt: skip
# Options that take no value on a command line (uwsgi_opt_true and friends).
FLAGS = set(
    """single-interpreter lazy-apps lazy master vhost vhost-host manage-script-name enable-threads
reload-os-env need-app die-on-term strict no-site thunder-lock vacuum no-orphans auto-procname
no-default-app catch-exceptions disable-logging memory-report py-tracebacker harakiri-verbose
http-keepalive offload-threads-auto cheaper-busyness-verbose""".split()
)
SHORT = {"i": "single-interpreter", "p": "processes", "w": "module", "H": "home", "M": "master", "s": "socket",
         "T": "enable-threads", "L": "disable-logging", "b": "buffer-size", "t": "harakiri", "d": "daemonize",
         "x": "xmlconfig", "j": "json", "y": "yaml", "J": "test", "O": "optimize", "C": "chmod-socket"}  # fmt: skip
SHORT_FLAGS = set("iMTL")
HOME_OPTIONS = ("home", "virtualenv", "venv", "pyhome")
PATH_OPTIONS = ("pythonpath", "python-path", "pp")


class App(object):
    """One app of an instance: `kind` (the option), `where` (file:line), `mountpoint`, `target`
    (a file or module as written), `local` (the file read here, or None), `interpreter`."""

    def __init__(self, kind, where, mountpoint, target, local, interpreter, role="app"):
        self.kind, self.where, self.mountpoint, self.target, self.local = kind, where, mountpoint, target, local
        self.interpreter, self.role = interpreter, role


class Instance(object):
    """One uWSGI instance: its options in order, its apps and their interpreters."""

    def __init__(self, source, options):
        self.source = source  # the file, or "the command line"
        self.options = options  # [(key, value, where)]
        self.apps, self.notes, self.infos = [], [], []

    def values(self, *keys):
        return [value for key, value, _ in self.options if key in keys]

    def flag(self, key):
        values = self.values(key)
        if not values:
            return False
        value = (values[-1] or "").strip().lower()
        return value not in ("false", "off", "no", "0")

    def first(self, *keys):
        values = self.values(*keys)
        return values[-1] if values else None

    def where(self, key):
        for k, _, where in self.options:
            if k == key:
                return where
        return self.source

    @property
    def key(self):
        return "uwsgi %s" % self.source

    def python(self):
        """('X.Y', where) when a home/virtualenv or the python plugin's name says it."""
        for key in HOME_OPTIONS:
            value = self.first(key)
            if value:
                version = version_of_home(value) or version_in(value)
                if version:
                    return version, "%s (%s = %s)" % (self.where(key), key, value)
        for key in ("plugin", "plugins"):
            for value in self.values(key):
                for plugin in re.split(r"[,\s]+", value):
                    match = re.match(r"^python(\d)(\d+)$", plugin)
                    if match:
                        return "%s.%s" % match.groups(), "%s (plugin %s)" % (self.where(key), plugin)
        return None


def normalize(key):
    return key.strip().lower().replace("_", "-")


def read_ini(path, section="uwsgi", root=None, depth=0, seen=None):
    """[(key, value, where)] of an ini file's section, placeholders and magic variables expanded
    as uWSGI does (%(name) is the last value of that option so far)."""
    if depth > 16:
        raise CheckError("ini includes nested more than 16 deep at %s" % path)
    try:
        with io.open(path, encoding="utf-8", errors="replace") as source:
            lines = source.read().splitlines()
    except (IOError, OSError) as error:
        raise CheckError("cannot read %s: %s" % (path, getattr(error, "strerror", None) or error))
    options, current = [], None
    magic = {"d": os.path.dirname(os.path.abspath(path)) + "/", "p": os.path.abspath(path),
             "s": os.path.basename(path), "n": os.path.splitext(os.path.basename(path))[0],
             "c": os.path.basename(os.path.dirname(os.path.abspath(path))), "%": "%"}  # fmt: skip
    if root and magic["d"].startswith(root):
        magic["d"] = "/" + os.path.relpath(magic["d"], root).rstrip("/") + "/"
        magic["p"] = "/" + os.path.relpath(magic["p"], root)
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            continue
        if current != section or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key, value = normalize(key), value.strip()
        value = expand(value, options, magic)
        where = "%s:%d" % (path, number)
        if key in ("ini", "include"):
            target, _, other = value.partition(":")
            target_path = target if os.path.isabs(target) else os.path.join(os.path.dirname(path), target)
            if not target:
                target_path = path
            if root and os.path.isabs(target_path) and not os.path.exists(target_path):
                target_path = os.path.join(root, target_path.lstrip("/"))
            options.extend(read_ini(target_path, other or section, root, depth + 1))
            continue
        options.append((key, value, where))
    return options


def expand(value, options, magic):
    def placeholder(match):
        name = normalize(match.group(1))
        for key, known, _ in reversed(options):
            if key == name:
                return known
        return match.group(0)

    value = re.sub(r"%\(([^)]+)\)", placeholder, value)
    return re.sub(r"%([dpsnc%])", lambda m: magic[m.group(1)], value)


def parse_args(argv, where="the command line"):
    """[(key, value, where)] of a uWSGI command line (`uwsgi --mount /a=a.py -i ...`)."""
    args = list(argv)
    if args and os.path.basename(args[0]) in ("uwsgi", "uwsgi_python3", "uwsgi_python", "uwsgi-core"):
        args = args[1:]
    options, i = [], 0
    while i < len(args):
        word = args[i]
        i += 1
        if word.startswith("--"):
            key, sep, value = word[2:].partition("=")
            key = normalize(key)
            if not sep:
                if key in FLAGS or i >= len(args) or (args[i].startswith("-") and len(args[i]) > 1):
                    value = "true"
                else:
                    value = args[i]
                    i += 1
            options.append((key, value, where))
        elif word.startswith("-") and len(word) > 1:
            letters = word[1:]
            for index, letter in enumerate(letters):
                key = SHORT.get(letter, letter)
                if letter in SHORT_FLAGS:
                    options.append((key, "true", where))
                    continue
                rest = letters[index + 1 :]
                if rest:
                    options.append((key, rest, where))
                elif i < len(args):
                    options.append((key, args[i], where))
                    i += 1
                break
        elif word.endswith(".ini") and os.path.exists(word):
            options.extend(read_ini(word))  # `uwsgi app.ini`: the file's [uwsgi] section
    return options


def instances_of(options, source, root=None, depth=0):
    """The instances a set of options runs: itself, or, for an emperor, one per vassal file."""
    emperors = [value for key, value, _ in options if key == "emperor"]
    found = []
    for emperor in emperors:
        pattern = re.sub(r"^(dir|glob)://", "", emperor)
        local = pattern if not (root and os.path.isabs(pattern) and not os.path.exists(pattern)) else \
            os.path.join(root, pattern.lstrip("/"))  # fmt: skip
        files = sorted(glob.glob(os.path.join(local, "*"))) if os.path.isdir(local) else sorted(glob.glob(local))
        for vassal in files:
            if vassal.endswith(".ini"):
                found.extend(instances_of(read_ini(vassal, root=root), vassal, root, depth + 1))
            elif os.path.isfile(vassal) and vassal.endswith((".xml", ".yml", ".yaml", ".json", ".js")):
                instance = Instance(vassal, [])
                instance.notes.append((vassal, "a vassal in a format envleak does not read (only .ini)"))
                found.append(instance)
    if not emperors or any(key in APP_OPTIONS for key, _, _ in options):
        found.insert(0, Instance(source, [o for o in options if o[0] != "emperor"]))
    return [instance for instance in found if instance.options or instance.notes]


def module_path(name, search):
    parts = name.split(".")
    for folder in search:
        base = os.path.join(folder, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None


def resolve_apps(instance, root=None):
    """Fill instance.apps in uWSGI's order, each with its interpreter."""
    chdir = instance.first("chdir") or (os.path.dirname(instance.source) if os.path.isfile(instance.source) else ".")

    def local(path):
        if not os.path.isabs(path):
            path = os.path.join(chdir, path)
        if root and os.path.isabs(path) and not os.path.exists(path):
            return os.path.join(root, path.lstrip("/"))
        return path

    search = [local(p) for key in PATH_OPTIONS for value in instance.values(key) for p in value.split(":") if p]
    search.append(local("."))
    single = instance.flag("single-interpreter")
    counter = [0]

    def interpreter():
        number = counter[0]
        counter[0] += 1
        if single or number == 0:
            return "main interpreter"
        return "sub-interpreter %d" % number

    def target_file(target):
        if target.endswith((".py", ".wsgi")) or os.sep in target:
            return local(target)
        module = target.split(":")[0]
        return module_path(module, search)

    imports = [(k, v, w) for k, v, w in instance.options if k in APP_OPTIONS and "import" in k]
    for key, value, where in imports:
        instance.apps.append(App(key, where, "", value, module_path(value, search), "main interpreter", role="import"))
    main_apps = [(k, v, w) for k, v, w in instance.options if k in ("module", "wsgi", "wsgi-file", "file", "eval",
                                                                       "pecan", "paste", "ini-paste",
                                                                       "ini-paste-logged")]  # fmt: skip
    for key, value, where in main_apps:
        if key in ("eval", "paste", "ini-paste", "ini-paste-logged", "pecan"):
            instance.infos.append((where, "EL221", {"what": "%s = %s loads an app envleak cannot read" % (key, value)}))
            counter[0] = max(counter[0], 1)
            continue
        counter[0] = max(counter[0], 1)  # every one of these loads into the main interpreter
        instance.apps.append(App(key, where, "", value, target_file(value), "main interpreter"))
    for key, value, where in instance.options:
        if key == "mount":
            mountpoint, _, target = value.partition("=")
            instance.apps.append(App(key, where, mountpoint, target, target_file(target), interpreter()))
    for key, value, where in instance.options:
        if key not in ("route", "route-host"):
            continue
        parts = value.split(None, 1)
        if len(parts) < 2:
            continue
        regex, action = parts
        name, _, argument = action.partition(":")
        if name.strip() != "setfile":
            continue
        subject = "Host" if key == "route-host" else "PATH_INFO"
        if "$" in argument:
            files = sorted(glob.glob(local(re.sub(r"\$\{?\d+\}?", "*", argument))))
            if not files:
                instance.infos.append((where, "EL221", {"what": "%s %s: setfile:%s names files envleak does not "
                                                        "find here" % (key, regex, argument)}))  # fmt: skip
            for path in files:
                instance.apps.append(App(key, where, "%s %s" % (subject, regex), path, path, interpreter()))
        else:
            instance.apps.append(App(key, where, "%s %s" % (subject, regex), argument, local(argument),
                                     interpreter()))  # fmt: skip
    if instance.flag("vhost") and not [a for a in instance.apps if a.kind in ("route", "route-host")]:
        instance.infos.append((instance.where("vhost"), "EL221", {"what": "vhost mode: the web server names each "
                               "app (UWSGI_SCRIPT, UWSGI_FILE, UWSGI_MODULE), loaded in an interpreter of its own "
                               "on its first request"}))  # fmt: skip
    return instance


def read(paths, argv=None, root=None):
    """Every uWSGI instance of .ini files, directories of them (Debian's apps-enabled, an
    emperor's vassals) and a command line."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            files = sorted(glob.glob(os.path.join(path, "*.ini")))
            for sub in ("apps-enabled", "vassals"):
                files += sorted(glob.glob(os.path.join(path, sub, "*.ini")))
            for name in files:
                found.extend(instances_of(read_ini(name, root=root), name, root))
        else:
            found.extend(instances_of(read_ini(path, root=root), path, root))
    if argv:
        found.extend(instances_of(parse_args(argv), "the command line", root))
    for instance in found:
        resolve_apps(instance, root)
    return found


def is_uwsgi_ini(path):
    if not path.endswith(".ini") or not os.path.isfile(path):
        return False
    try:
        with io.open(path, encoding="utf-8", errors="replace") as source:
            return any(line.strip().lower() == "[uwsgi]" for line in source.read().splitlines())
    except (IOError, OSError):
        return False


def is_uwsgi_tree(path):
    if not os.path.isdir(path):
        return False
    candidates = glob.glob(os.path.join(path, "*.ini")) + glob.glob(os.path.join(path, "apps-enabled", "*.ini"))
    candidates += glob.glob(os.path.join(path, "vassals", "*.ini"))
    return any(is_uwsgi_ini(p) for p in candidates)


def split_command(text):
    """A command line as written in a file (systemd's ExecStart=, a Dockerfile's CMD)."""
    return shlex.split(text)
