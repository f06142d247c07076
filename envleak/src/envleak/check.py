"""envleak check: is an Apache configuration with its WSGI scripts the risky combination, without
running it? Several interpreters in one process (embedded mode, or a daemon process group,
holding more than one application group), and scripts among them that write an environment
variable another one keeps with setdefault() or reads without setting it first.

It reads the configuration as Apache would: Include and IncludeOptional (globs, directories,
relative to ServerRoot), Define and ${NAME}, <IfDefine>, <IfModule> (from the LoadModule
lines, when there are any), quoting and line continuations, <VirtualHost> blocks and
WSGIScriptAlias's own process-group= and application-group= options; and each WSGI script
with Python's own parser (ast).
"""

import ast
import fnmatch
import glob
import os
import re

# Modules compiled into Debian's apache2 (`apache2 -l`): <IfModule> of these is always true.
BUILTIN_MODULES = ("core.c", "mod_so.c", "mod_watchdog.c", "http_core.c", "mod_log_config.c", "mod_logio.c",
                   "mod_version.c", "mod_unixd.c")  # fmt: skip
EMBEDDED = "embedded"  # the process key of every app that runs inside Apache's own children


class CheckError(Exception):
    """A path that cannot be read as asked: one line for the user, exit 2."""


# --- Reading Apache's configuration -------------------------------------------------------
def words(text):
    """Apache's argument splitting: whitespace, "double" or 'single' quotes (a backslash
    escapes a quote inside them); backslashes elsewhere are kept, as in regexes."""
    found, i = [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        if text[i] in "\"'":
            quote, i, word = text[i], i + 1, ""
            while i < len(text) and text[i] != quote:
                if text[i] == "\\" and i + 1 < len(text) and text[i + 1] == quote:
                    i += 1
                word += text[i]
                i += 1
            found.append(word)
            i += 1
        else:
            start = i
            while i < len(text) and not text[i].isspace():
                i += 1
            found.append(text[start:i])
    return found


def logical_lines(path):
    """(line number, text) of a configuration file: comments dropped, continuations joined."""
    with open(path) as source:
        lines = source.read().splitlines()
    pending, first = "", None
    for number, line in enumerate(lines, 1):
        if not pending and line.strip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending, first = pending + line[:-1] + " ", first or number
            continue
        text, at = (pending + line).strip(), first or number
        pending, first = "", None
        if text:
            yield at, text


class Config(object):
    """The directives that matter here, in order, with the block (VirtualHost, Directory,
    Location) each one sits in. `root`: where absolute paths are read (a copy of a server's
    files: /etc/apache2 is read as ROOT/etc/apache2)."""

    def __init__(self, root=None, defines=()):
        self.root = root
        self.defines = dict((name, "") for name in defines)
        self.modules = set()
        self.directives = []  # (file, line, name, args, scope)
        self.notes = []  # what could not be followed, one sentence each
        self.server_root = None

    def local(self, path):
        """Where a path of the configuration is on this machine."""
        if self.root and os.path.isabs(path) and not os.path.exists(path):
            return os.path.join(self.root, path.lstrip("/"))
        return path

    def resolve(self, path):
        path = self.local(path) if os.path.isabs(path) else os.path.join(self.server_root, path)
        return os.path.normpath(path)

    def expand(self, text):
        """${NAME} of a Define; any other is left as it is (the server's environment, such as
        Debian's envvars, is not this machine's)."""
        return re.sub(r"\$\{([^}]+)\}", lambda m: self.defines.get(m.group(1), m.group(0)), text)

    def module_loaded(self, name):
        if not self.modules:  # a fragment without LoadModule lines: every module may be there
            return True
        if name.endswith(".c"):
            return name in self.modules or name in BUILTIN_MODULES
        return name in self.modules

    def read_file(self, path, scope=(), depth=0):
        if depth > 32:
            raise CheckError("Include nested more than 32 deep at %s" % path)
        skipping, scope = [], list(scope)
        for number, text in logical_lines(path):
            if text.startswith("</"):
                tag = text[2:].rstrip(">").strip().lower()
                if tag in ("ifdefine", "ifmodule"):
                    if skipping:
                        skipping.pop()
                elif not any(skipping) and scope:
                    scope.pop()
                continue
            if text.startswith("<"):
                tag_words = words(self.expand(text[1:].rstrip(">")))
                tag, args = tag_words[0].lower(), tag_words[1:]
                if tag in ("ifdefine", "ifmodule"):
                    skipping.append(any(skipping) or not self.condition(tag, args[0] if args else ""))
                elif not any(skipping):
                    scope.append((tag, args, "%s:%d" % (path, number)))
                continue
            if any(skipping):
                continue
            parts = words(self.expand(text))
            name, args = parts[0].lower(), parts[1:]
            if name == "define" and args:
                self.defines[args[0]] = args[1] if len(args) > 1 else ""
            elif name == "undefine" and args:
                self.defines.pop(args[0], None)
            elif name == "serverroot" and args:
                candidate = self.local(args[0])
                if os.path.isdir(candidate):
                    self.server_root = candidate
                else:
                    self.notes.append("%s:%d: ServerRoot %s is not here: paths are read from %s (--root DIR reads "
                                      "a copy)" % (path, number, args[0], self.server_root))  # fmt: skip
            elif name == "loadmodule" and len(args) > 1:
                self.modules.add(args[0])
                self.modules.add(os.path.basename(args[1]).replace(".so", ".c"))
            elif name in ("include", "includeoptional") and args:
                self.include(args[0], name == "includeoptional", scope, depth, "%s:%d" % (path, number))
            else:
                self.directives.append((path, number, name, args, tuple(scope)))

    def condition(self, tag, arg):
        negated, arg = arg.startswith("!"), arg.lstrip("!")
        holds = arg in self.defines if tag == "ifdefine" else self.module_loaded(arg)
        return holds != negated

    def include(self, pattern, optional, scope, depth, where):
        path = self.resolve(pattern)
        matches = sorted(glob.glob(path)) if glob.has_magic(path) else ([path] if os.path.exists(path) else [])
        if not matches and not optional and not glob.has_magic(path):
            self.notes.append("%s: Include %s: not found here (--root DIR reads a copy)" % (where, pattern))
        for match in matches:
            if os.path.isdir(match):
                for folder, _, files in sorted(os.walk(match)):
                    for name in sorted(files):
                        self.read_file(os.path.join(folder, name), scope, depth + 1)
            else:
                self.read_file(match, scope, depth + 1)


def main_file(path):
    """The file to start from: a file as given; in a directory, apache2.conf or httpd.conf
    (or conf/httpd.conf); else None (every *.conf file of the directory is read instead)."""
    if not os.path.isdir(path):
        return path
    for name in ("apache2.conf", "httpd.conf", os.path.join("conf", "httpd.conf")):
        if os.path.isfile(os.path.join(path, name)):
            return os.path.join(path, name)
    return None


def read_config(paths, root=None, defines=()):
    config = Config(root, defines)
    for path in paths:
        start = main_file(path)
        folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        if start and os.path.basename(os.path.dirname(os.path.abspath(start))) == "conf":
            folder = os.path.dirname(os.path.dirname(os.path.abspath(start)))  # httpd's ServerRoot
        config.server_root = config.server_root or folder
        if start:
            config.read_file(start)
        else:
            for name in sorted(glob.glob(os.path.join(path, "*.conf"))):
                config.read_file(name)
    return config


# --- Which interpreter each script runs in ------------------------------------------------
def script_alias_options(args):
    options = dict(arg.split("=", 1) for arg in args[2:] if "=" in arg)
    return options.get("process-group"), options.get("application-group")


def block_applies(block, script, url):
    tag, args, _ = block
    if not args:
        return True
    if tag in ("directory", "directorymatch"):
        target = args[0].rstrip("/")
        if tag == "directorymatch" or args[0] == "~":
            return bool(re.search(args[-1], os.path.dirname(script)))
        return fnmatch.fnmatch(os.path.dirname(script), target) or os.path.dirname(script).startswith(target + "/")
    if tag in ("files", "filesmatch"):
        if tag == "filesmatch" or args[0] == "~":
            return bool(re.search(args[-1], os.path.basename(script)))
        return fnmatch.fnmatch(os.path.basename(script), args[0])
    if tag in ("location", "locationmatch"):
        if tag == "locationmatch" or args[0] == "~":
            return bool(re.search(args[-1], url))
        return url == args[0] or url.startswith(args[0].rstrip("/") + "/") or args[0] == "/"
    return True  # VirtualHost, and blocks this check does not tell apart


def mounts(config):
    """Each WSGIScriptAlias, with its virtual host, the process it runs in and its application
    group: the alias's own options first, then the innermost directive that applies (the last of equals)."""
    found = []
    for path, number, name, args, scope in config.directives:
        if name not in ("wsgiscriptalias", "wsgiscriptaliasmatch") or len(args) < 2:
            continue
        url, script = args[0], args[1]
        vhost = next((block for block in scope if block[0] == "virtualhost"), None)
        server_name = None
        groups = {"wsgiprocessgroup": [], "wsgiapplicationgroup": []}
        for order, (_, _, d_name, d_args, d_scope) in enumerate(config.directives):
            if d_name == "servername" and vhost in d_scope[:1] and d_args and server_name is None:
                server_name = d_args[0]
            if d_name not in groups or not d_args:
                continue
            same_host = all(block in scope or block[0] != "virtualhost" for block in d_scope)
            if same_host and all(block_applies(block, script, url) for block in d_scope if block[0] != "virtualhost"):
                groups[d_name].append((len(d_scope), order, d_args[0]))
        process, application = script_alias_options(args)
        # The innermost block's directive wins; within one, the last.
        if process is None and groups["wsgiprocessgroup"]:
            process = max(groups["wsgiprocessgroup"])[2]
        if application is None and groups["wsgiapplicationgroup"]:
            application = max(groups["wsgiapplicationgroup"])[2]
        host = server_name or (vhost[1][0] if vhost and vhost[1] else "(main server)")
        found.append({
            "file": path, "line": number, "url": url, "script": script, "virtual_host": host,
            "process": process_key(process), "application_group": application or "%{RESOURCE}",
            "interpreters": interpreters(application, host, url),
        })  # fmt: skip
    return found


def process_key(process_group):
    """'embedded', or 'daemon NAME' (a variable names whichever daemon group it picks)."""
    if not process_group or process_group.upper() == "%{GLOBAL}":
        return EMBEDDED
    return "daemon " + process_group


def interpreters(group, host, url):
    """The interpreters a mount's requests may run in: one name, or None for several (a
    variable application group: %{ENV:...} or any %{...} mod_wsgi expands per request)."""
    if group is None or group.upper() == "%{RESOURCE}":
        return [host + "|" + url.rstrip("/")]
    if group.upper() == "%{GLOBAL}":
        return [""]
    if group.upper() == "%{SERVER}":
        return [host]
    if "%{" in group:
        return None
    return [group]


# --- What a WSGI script does with os.environ ----------------------------------------------
try:
    TEXT = (str, unicode)  # noqa: F821 - Python 2.7
except NameError:
    TEXT = (str,)


def _string(node):
    """The text of a string literal node (ast.Constant from 3.8, ast.Str before), else None."""
    kind = type(node).__name__
    value = getattr(node, "value", None) if kind == "Constant" else getattr(node, "s", None) if kind == "Str" else None
    return value if isinstance(value, TEXT) else None


def _dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return inner + "." + node.attr if inner else None
    return None


def parse(path):
    with open(path, "rb") as source:
        return ast.parse(source.read(), path)


def imported_modules(tree):
    """The modules a Python file imports by name (absolute imports only)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
            found.extend(node.module + "." + alias.name for alias in node.names)
    return found


def module_file(name, search):
    """The file of module `name` in the folders `search`, or None."""
    parts = name.split(".")
    for folder in search:
        base = os.path.join(folder, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None


def with_imports(script, search, limit=64):
    """The script and the files of the modules it imports from `search` (the python-path
    mod_wsgi is given, and the script's own folder), and theirs: what runs in its interpreter."""
    files, queue = [], [script]
    while queue and len(files) < limit:
        path = queue.pop(0)
        if path in files:
            continue
        files.append(path)
        try:
            tree = parse(path)
        except (SyntaxError, ValueError, IOError, OSError):
            continue
        for name in imported_modules(tree):
            found = module_file(name, search)
            if found and found not in files:
                queue.append(found)
    return files


# The .env loaders, by function name, and the keyword that makes each override what is there.
DOTENV_LOADERS = {"load_dotenv": "override", "read_env": "overwrite"}
DOTENV_KEYS = "every key of a .env file"
DOTENV_OWN_KEYS = "a key only one .env file defines"


def environ_uses(path):
    """(line, how, variable) of each use of the environment in a Python file, in order: how is
    'setdefault', 'assign' (os.environ[X] = ..., update(), putenv()), 'read' (os.environ[X],
    .get(), os.getenv()) or 'delete'. Imports of environ and getenv under any name count."""
    tree = parse(path)
    environ, getenv = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "os":
                    environ.add((alias.asname or "os") + ".environ")
                    getenv.add((alias.asname or "os") + ".getenv")
                    getenv.add((alias.asname or "os") + ".putenv")
        elif isinstance(node, ast.ImportFrom) and node.module in ("os", "posix"):
            for alias in node.names:
                if alias.name == "environ":
                    environ.add(alias.asname or "environ")
                elif alias.name in ("getenv", "putenv"):
                    getenv.add(alias.asname or alias.name)
    for node in ast.walk(tree):  # env = os.environ
        if isinstance(node, ast.Assign) and _dotted(node.value) in environ:
            environ.update(_dotted(target) for target in node.targets if _dotted(target))
    found = []
    # environ.Env.ENVIRON = {...}: django-environ's read_env() then writes that mapping instead.
    redirected = any(
        isinstance(node, ast.Assign) and any((_dotted(target) or "").endswith(".ENVIRON") for target in node.targets)
        for node in ast.walk(tree)
    )

    def add(node, how, key):
        name = _string(key) if key is not None else None
        if name:
            found.append((node.lineno, getattr(node, "col_offset", 0), how, name))

    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _dotted(node.value) in environ:
            key = node.slice.value if isinstance(node.slice, getattr(ast, "Index", ())) else node.slice
            how = {ast.Store: "assign", ast.Del: "delete"}.get(type(node.ctx), "read")
            add(node, how, key)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner, method = _dotted(node.func.value), node.func.attr
            if owner in environ and method in ("setdefault", "get", "pop") and node.args:
                add(node, {"get": "read", "pop": "delete"}.get(method, method), node.args[0])
            elif owner in environ and method == "update":
                pairs = (
                    [(k, node) for k in node.args[0].keys] if node.args and isinstance(node.args[0], ast.Dict) else []
                )
                for key, _ in pairs:
                    add(node, "assign", key)
                for keyword in node.keywords:
                    if keyword.arg:
                        found.append((node.lineno, node.col_offset, "assign", keyword.arg))
            elif _dotted(node.func) in getenv and node.args:
                add(node, "assign" if node.func.attr == "putenv" else "read", node.args[0])
        elif isinstance(node, ast.Call) and _dotted(node.func) in getenv and node.args:
            add(node, "assign" if node.func.id == "putenv" else "read", node.args[0])
        loader = (_dotted(node.func) or "").split(".")[-1] if isinstance(node, ast.Call) else None
        if loader == "read_env" and redirected:
            continue  # django-environ told to read and write a mapping of its own, not os.environ
        if loader in DOTENV_LOADERS:
            # A .env loader writes every key of its file; without its override switch it keeps a
            # key the process already has (python-dotenv's load_dotenv(), django-environ's
            # Env.read_env()), as setdefault() does.
            switch = DOTENV_LOADERS[_dotted(node.func).split(".")[-1]]
            override = any(
                keyword.arg == switch
                and (getattr(keyword.value, "value", None) is True or _dotted(keyword.value) == "True")
                for keyword in node.keywords  # (Python 2.7 parses True as a name)
            )
            # With override, a key only its own file defines is still written, for the others.
            found.append((node.lineno, node.col_offset, "setdefault", DOTENV_OWN_KEYS if override else DOTENV_KEYS))
    return [(line, how, name) for line, _, how, name in sorted(found)]


def is_python(path):
    """A WSGI script may have any suffix, or none. Named .py or .wsgi it is one, .conf or .load
    it is not; otherwise it is one when Python's parser takes it and it holds more than bare
    expressions (a line of directives such as `WSGIApplicationGroup %{GLOBAL}` parses as one)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".py", ".wsgi", ".conf", ".load"):
        return suffix in (".py", ".wsgi")
    try:
        body = parse(path).body
    except (SyntaxError, ValueError, TypeError, UnicodeDecodeError):
        return False
    return any(not isinstance(statement, ast.Expr) for statement in body)


def script_risks(uses):
    """Per variable: does the script write it, and does it keep or read a value it did not set
    itself first (setdefault(), or a read before any assignment)?"""
    result = {}
    for line, how, name in uses:
        entry = result.setdefault(name, {"writes": [], "keeps": [], "assigned": False})
        if how in ("assign", "setdefault"):
            entry["writes"].append((line, how))
        if how == "setdefault" or (how == "read" and not entry["assigned"]):
            entry["keeps"].append((line, how))
        if how == "assign":
            entry["assigned"] = True
    return result


# --- The verdict --------------------------------------------------------------------------
def python_path(config):
    """The folders mod_wsgi puts on sys.path: WSGIPythonPath, and python-path= of each
    WSGIDaemonProcess (this check does not tell the daemon groups apart here)."""
    folders = []
    for _, _, name, args, _ in config.directives:
        if name == "wsgipythonpath" and args:
            folders.extend(args[0].split(":"))
        elif name == "wsgidaemonprocess":
            for arg in args[1:]:
                if arg.startswith("python-path="):
                    folders.extend(arg.split("=", 1)[1].split(":"))
    return [config.local(folder) for folder in folders if folder]


USE_TEXT = {
    "setdefault": "os.environ.setdefault(%r, ...): keeps a value another interpreter left in the process",
    "setdefault .env": "a .env loader without override keeps %s that another interpreter left in the process",
    "override .env": "a .env loader with override still writes %s into the process, for the others to read",
    "assign": "writes %r into the process environment, for every interpreter created later",
    "read": "reads %r",
    "delete": "removes %r from the process environment",
}


def check(paths, root=None, defines=()):
    """The configuration check, as data: {"risky", "verdict", "lines", "processes", "mounts",
    "scripts", "variables"}. `paths`: Apache configuration (files or directories) and WSGI
    scripts. A mounted script counts with the modules it imports from the python-path; a script
    given here is taken to run in every application group (the mounted one may import it)."""
    config_paths, extra_scripts = [], []
    for path in paths:
        if not os.path.exists(path):
            raise CheckError("no such file or directory: %s" % path)
        (extra_scripts if not os.path.isdir(path) and is_python(path) else config_paths).append(path)
    config = read_config(config_paths, root, defines) if config_paths else Config(root, defines)
    found_mounts = mounts(config)
    search = python_path(config)
    lines = list(config.notes)
    scripts = {}  # file: {"uses": [...]} or {"error": ...}

    def analyse(path):
        if path not in scripts:
            try:
                scripts[path] = {"uses": environ_uses(path)}
            except (IOError, OSError):
                scripts[path] = {"error": "not found here (--root DIR reads a copy)"}
            except SyntaxError as error:
                scripts[path] = {"error": "this Python cannot parse it (%s, line %s)" % (error.msg, error.lineno)}
        return scripts[path]

    for mount in found_mounts:
        local = config.local(mount["script"])
        mount["files"] = with_imports(local, search + [os.path.dirname(local)]) if os.path.isfile(local) else [local]
        for path in mount["files"]:
            analyse(path)
    for script in extra_scripts:
        analyse(script)
    for path, entry in sorted(scripts.items()):
        if "error" in entry:
            lines.append("%s: %s" % (path, entry["error"]))
        for line, how, name in entry.get("uses", []):
            text = {DOTENV_KEYS: USE_TEXT["setdefault .env"], DOTENV_OWN_KEYS: USE_TEXT["override .env"]}.get(
                name, USE_TEXT[how]
            )
            lines.append("%s:%d: %s" % (path, line, text % name))

    processes = {}
    for mount in found_mounts:
        process = processes.setdefault(mount["process"], {"interpreters": set(), "variable": False, "mounts": []})
        if mount["interpreters"] is None:
            process["variable"] = True
        else:
            process["interpreters"].update(mount["interpreters"])
        process["mounts"].append(mount)
    if extra_scripts and not processes:
        lines.append("no WSGIScriptAlias in what was given: the scripts alone cannot say how many interpreters "
                     "share a process")  # fmt: skip

    risky_names = set()
    for key, process in sorted(processes.items()):
        several = process["variable"] or len(process["interpreters"]) > 1
        where = "Apache's own child processes (embedded mode)" if key == EMBEDDED else key
        lines.append("%s: %s; application groups %s: %s" % (
            where, ", ".join("%s%s (%s:%d)" % (m["virtual_host"], m["url"], m["file"], m["line"])
                             for m in process["mounts"]),
            ", ".join(sorted(set(m["application_group"] for m in process["mounts"]))),
            "several interpreters in one process" if several else "one interpreter per process"))  # fmt: skip
        if not several:
            continue
        risks = {}
        for path in sorted(set(f for m in process["mounts"] for f in m["files"]) | set(extra_scripts)):
            for name, entry in script_risks(scripts.get(path, {}).get("uses", [])).items():
                merged = risks.setdefault(name, {"writers": [], "keepers": []})
                if entry["writes"]:
                    merged["writers"].append(path)
                if entry["keeps"]:
                    merged["keepers"].append(path)
        for name, merged in sorted(risks.items()):
            if merged["writers"] and merged["keepers"]:
                risky_names.add(name)
                lines.append("%s: %s written by %s; kept or read without setting it first by %s" % (
                    where, name, ", ".join(merged["writers"]), ", ".join(merged["keepers"])))  # fmt: skip
    risky = bool(risky_names)
    # A mounted script that cannot be read leaves the verdict open, unless scripts were given.
    unread = [] if extra_scripts else sorted(p for m in found_mounts for p in m["files"][:1] if "error" in scripts[p])
    if risky:
        verdict = "RISKY: several interpreters share a process, and %s can pass from one to another" % (
            ", ".join(sorted(risky_names)))  # fmt: skip
    elif unread:
        verdict = "cannot tell: %s cannot be read here (--root DIR reads a copy of the server's files)" % (
            ", ".join(unread))  # fmt: skip
    elif not found_mounts and not extra_scripts:
        verdict = "nothing to check: no WSGIScriptAlias and no WSGI script"
    else:
        verdict = "not the risky combination (several interpreters in one process, and a variable one writes " \
                  "that another keeps or reads)"  # fmt: skip
    return {
        "risky": risky,
        "unknown": not risky and bool(unread),
        "verdict": verdict,
        "lines": lines,
        "processes": dict(
            (
                key,
                {
                    "interpreters": sorted(p["interpreters"]),
                    "variable": p["variable"],
                    "mounts": [m["virtual_host"] + m["url"] for m in p["mounts"]],
                },
            )
            for key, p in processes.items()
        ),  # fmt: skip
        "mounts": found_mounts,
        "scripts": dict(
            (path, {"uses": [list(use) for use in entry.get("uses", [])], "error": entry.get("error")})
            for path, entry in scripts.items()
        ),
        "variables": sorted(risky_names),
    }
