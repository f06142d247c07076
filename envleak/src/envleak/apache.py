"""Apache's configuration as Apache reads it, and every way it hands a request to mod_wsgi:
which script runs, in which process (Apache's own children, or a daemon process group) and
in which interpreter (application group).

Read: Include and IncludeOptional (globs, directories, relative to ServerRoot), Define and
${NAME} (and Debian's envvars), <IfDefine>, <IfModule> (from the LoadModule lines),
<IfVersion>, <IfFile>, <IfDirective>, <IfSection>, <If> (taken as may apply), mod_macro's
<Macro>/Use, quoting and line continuations. Mounts (mod_wsgi's directive reference):
WSGIScriptAlias, WSGIScriptAliasMatch, SetHandler/AddHandler wsgi-script (with Options
ExecCGI), RewriteRule [H=...], WSGIHandlerScript, WSGIImportScript, WSGIAuthUserScript,
WSGIAuthGroupScript, WSGIAccessScript, WSGIDispatchScript. Routing: WSGIProcessGroup and
WSGIApplicationGroup (%{GLOBAL}, %{RESOURCE}, %{SERVER}, %{HOST}, %{ENV:NAME}) merged as
Apache merges sections: <Directory> (shortest first), <DirectoryMatch>, <Files>/<FilesMatch>,
<Location>/<LocationMatch> (matched against URLs), the virtual host's after the main server's,
the mount's own process-group= and application-group= options over all.
Standard library only; Python 2.7 and 3.6+.
"""

import fnmatch
import glob
import io
import os
import re

try:
    from re import _parser as sre_parse  # Python 3.11+
except ImportError:  # Python 2.7 to 3.10
    import sre_parse

# Modules compiled into Debian's apache2 (`apache2 -l`): <IfModule> of these is always true.
BUILTIN_MODULES = ("core.c", "mod_so.c", "mod_watchdog.c", "http_core.c", "mod_log_config.c", "mod_logio.c",
                   "mod_version.c", "mod_unixd.c", "core_module", "so_module", "http_module", "log_config_module",
                   "logio_module", "version_module", "unixd_module", "watchdog_module")  # fmt: skip
EMBEDDED = "embedded"  # the process key of every app that runs inside Apache's own children
CONDITIONS = ("ifdefine", "ifmodule", "ifversion", "iffile", "ifdirective", "ifsection", "if", "elseif", "else")
TRANSPARENT = ("limit", "limitexcept", "requireall", "requireany", "requirenone", "authnprovideralias",
               "authzprovideralias")  # fmt: skip
WSGI_HANDLERS = ("wsgi-script", "application/x-httpd-wsgi")
DIRECTIVE_NAMES = {"sethandler": "SetHandler", "addhandler": "AddHandler", "rewriterule": "RewriteRule [H=]",
                   "addtype": "AddType"}  # fmt: skip
MAX_FILES = 400  # files looked at under one <Directory> for SetHandler/AddHandler
MAX_SAMPLES = 8


class CheckError(Exception):
    """A path that cannot be read as asked: one line for the user, exit 2."""


class Section(object):
    __slots__ = ("tag", "args", "file", "line", "parent", "order")

    def __init__(self, tag, args, where_file, line, parent, order):
        self.tag, self.args, self.file, self.line, self.parent, self.order = tag, args, where_file, line, parent, order

    def chain(self):
        found, section = [], self
        while section is not None:
            found.append(section)
            section = section.parent
        return list(reversed(found))

    def where(self):
        return "%s:%d" % (self.file, self.line)


class Directive(object):
    __slots__ = ("file", "line", "name", "args", "section", "order")

    def __init__(self, where_file, line, name, args, section, order):
        self.file, self.line, self.name, self.args, self.section, self.order = (
            where_file,
            line,
            name,
            args,
            section,
            order,
        )

    def chain(self):
        return self.section.chain() if self.section is not None else []

    def vhost(self):
        return next((s for s in self.chain() if s.tag == "virtualhost"), None)

    def where(self):
        return "%s:%d" % (self.file, self.line)


# --- Reading the files --------------------------------------------------------------------
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


def physical_lines(path):
    with io.open(path, encoding="utf-8", errors="replace") as source:
        return source.read().splitlines()


def logical_lines(lines):
    """(line number, text) of a configuration file: comments dropped, continuations joined."""
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
    """The directives of a configuration, in order, each with the section it sits in. `root`:
    where absolute paths are read (a copy of a server's files: /etc/apache2 as ROOT/etc/apache2)."""

    def __init__(self, root=None, defines=()):
        self.root = root
        self.defines = {}
        for define in defines:
            name, _, value = define.partition("=")
            self.defines[name] = value
        self.environment = {}  # Debian's envvars: what ${NAME} reads when no Define gives it
        self.modules = set()
        self.directives = []
        self.notes = []  # (where, text): what could not be followed
        self.server_root = None
        self.macros = {}
        self.order = 0
        self.unresolved = set()

    # Paths
    def local(self, path):
        """Where a path of the configuration is on this machine: under --root when the copy has
        it (or this machine has no such path), else the path itself."""
        if self.root and os.path.isabs(path):
            copy = os.path.join(self.root, path.lstrip("/"))
            if os.path.exists(copy) or not os.path.exists(path):
                return copy
        return path

    def in_copy(self, path):
        """Whether a local path is the server's own file: under --root when one is given."""
        return not self.root or os.path.abspath(path).startswith(os.path.abspath(self.root) + os.sep)

    def resolve(self, path):
        """A path as Apache resolves it: relative to ServerRoot, then read under --root."""
        if not os.path.isabs(path):
            path = os.path.join(self.server_root or ".", path)
            return os.path.normpath(path)
        return os.path.normpath(self.local(path))

    def server_path(self, path):
        """A path as the server sees it (relative paths are under ServerRoot)."""
        if os.path.isabs(path):
            return os.path.normpath(path)
        root = self.server_root or "."
        if self.root and root.startswith(self.root):
            root = "/" + os.path.relpath(root, self.root)
        return os.path.normpath(os.path.join(root, path))

    def note(self, where, text):
        if (where, text) not in self.notes:
            self.notes.append((where, text))

    def expand(self, text, where=None):
        """${NAME}: a Define, else the server's environment when envleak found it (envvars);
        else left as it is, and said."""

        def value(match):
            name = match.group(1)
            if name in self.defines:
                return self.defines[name]
            if name in self.environment:
                return self.environment[name]
            if name in os.environ:  # run on the server itself: Apache's environment may be this one
                if name not in self.unresolved:
                    self.unresolved.add(name)
                    self.note(where, "${%s} taken from envleak's own environment (%s), as Apache takes it from its own"
                              % (name, os.environ[name]))  # fmt: skip
                return os.environ[name]
            if name not in self.unresolved:
                self.unresolved.add(name)
                self.note(where, "${%s} is the server's environment, not known here: left as it is" % name)
            return match.group(0)

        return re.sub(r"\$\{([^}]+)\}", value, text)

    def module_loaded(self, name):
        if not self.modules:  # a fragment without LoadModule lines: every module may be there
            return True
        if name.endswith(".c"):
            return name in self.modules or name in BUILTIN_MODULES
        return name in self.modules or name in BUILTIN_MODULES

    def read_envvars(self, folder):
        """Debian's /etc/apache2/envvars: `export NAME=value` lines (what apache2ctl sources)."""
        path = os.path.join(folder, "envvars")
        if not os.path.isfile(path):
            return
        for line in physical_lines(path):
            match = re.match(r"^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
            if match:
                value = match.group(2).strip().strip("'\"")
                value = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: self.environment.get(m.group(1), ""),
                               value)  # fmt: skip
                self.environment.setdefault(match.group(1), value)

    def read_file(self, path, section=None, depth=0):
        if depth > 32:
            raise CheckError("Include nested more than 32 deep at %s" % path)
        try:
            lines = physical_lines(path)
        except (IOError, OSError) as error:
            raise CheckError("cannot read %s: %s" % (path, getattr(error, "strerror", None) or error))
        self.read_lines(path, lines, section, depth)

    def read_lines(self, path, lines, section, depth):
        stack = []  # ("section", Section) | ("open", tag) | ("skip", tag, nesting)
        skipping = None  # [tag, nesting] while inside a false condition or a macro body
        macro = None  # [name, params, lines] while inside <Macro>
        current = section
        for number, text in logical_lines(lines):
            where = "%s:%d" % (path, number)
            if macro is not None:
                if re.match(r"^</macro\s*>$", text, re.I):
                    self.macros[macro[0].lower()] = (macro[1], macro[2])
                    macro = None
                else:
                    macro[2].append(text)
                continue
            if skipping is not None:
                if text.startswith("</"):
                    if skipping[1] == 0:
                        skipping = None
                    else:
                        skipping[1] -= 1
                elif text.startswith("<") and not text.startswith("</"):
                    skipping[1] += 1
                continue
            if text.startswith("</"):
                if stack:
                    kind = stack.pop()
                    if kind[0] == "section":
                        current = kind[1].parent
                continue
            if text.startswith("<"):
                tag_words = words(self.expand(text[1:].rstrip().rstrip(">"), where))
                tag, args = (tag_words[0].lower() if tag_words else ""), tag_words[1:]
                if tag == "macro" and args:
                    macro = [args[0], args[1:], []]
                    continue
                if tag in CONDITIONS:
                    if self.condition(tag, args, where):
                        stack.append(("open", tag))
                    else:
                        skipping = [tag, 0]
                    continue
                if tag in TRANSPARENT:
                    stack.append(("open", tag))
                    continue
                self.order += 1
                current = Section(tag, args, path, number, current, self.order)
                stack.append(("section", current))
                continue
            parts = words(self.expand(text, where))
            if not parts:
                continue
            name, args = parts[0].lower(), parts[1:]
            if name == "define" and args:
                self.defines[args[0]] = args[1] if len(args) > 1 else ""
            elif name == "undefine" and args:
                self.defines.pop(args[0], None)
            elif name == "serverroot" and args:
                candidate = self.local(args[0])
                if os.path.isdir(candidate):
                    self.server_root = candidate
                    self.read_envvars(candidate)
                else:
                    self.note(where, "ServerRoot %s is not here: relative paths are read from %s (--root DIR "
                                     "reads a copy)" % (args[0], self.server_root))  # fmt: skip
            elif name == "loadmodule" and len(args) > 1:
                self.modules.add(args[0])
                self.modules.add(os.path.basename(args[1]).replace(".so", ".c"))
                self.add(path, number, name, args, current)
            elif name in ("include", "includeoptional") and args:
                self.include(args[0], name == "includeoptional", current, depth, where)
            elif name == "use" and args and args[0].lower() in self.macros:
                params, body = self.macros[args[0].lower()]
                expanded = []
                for body_line in body:
                    for param, given in sorted(zip(params, args[1:]), key=lambda pair: -len(pair[0])):
                        body_line = body_line.replace(param, given)
                    expanded.append(body_line)
                self.read_lines(path, expanded, current, depth + 1)
            else:
                self.add(path, number, name, args, current)

    def add(self, path, number, name, args, section):
        self.order += 1
        self.directives.append(Directive(path, number, name, args, section, self.order))

    def condition(self, tag, args, where):
        arg = args[0] if args else ""
        negated, arg = arg.startswith("!"), arg.lstrip("!")
        if tag == "ifdefine":
            holds = arg in self.defines
        elif tag == "ifmodule":
            holds = self.module_loaded(arg)
        elif tag == "iffile":
            holds = os.path.exists(self.resolve(arg)) if arg else True
        elif tag in ("if", "elseif", "else"):
            self.note(where, "<%s> is an expression evaluated per request: its directives are read as if it held"
                      % tag.capitalize())  # fmt: skip
            return True
        else:  # IfVersion, IfDirective, IfSection: this server's, taken as holding
            return True
        return holds != negated

    def include(self, pattern, optional, section, depth, where):
        path = self.resolve(pattern)
        matches = sorted(glob.glob(path)) if glob.has_magic(path) else ([path] if os.path.exists(path) else [])
        if not matches and not optional and not glob.has_magic(path):
            self.note(where, "Include %s: not found here (--root DIR reads a copy)" % pattern)
        for match in matches:
            if os.path.isdir(match):
                for folder, subfolders, files in os.walk(match):
                    subfolders.sort()
                    for name in sorted(files):
                        self.read_file(os.path.join(folder, name), section, depth + 1)
            else:
                self.read_file(match, section, depth + 1)

    # Queries
    def named(self, *names):
        return [d for d in self.directives if d.name in names]


def main_file(path):
    """The file to start from: a file as given; in a directory, apache2.conf or httpd.conf
    (or conf/httpd.conf); else None (every *.conf file of the directory is read instead)."""
    if not os.path.isdir(path):
        return path
    for name in ("apache2.conf", "httpd.conf", os.path.join("conf", "httpd.conf")):
        if os.path.isfile(os.path.join(path, name)):
            return os.path.join(path, name)
    return None


def is_apache_tree(path):
    return os.path.isdir(path) and main_file(path) is not None


def read_config(paths, root=None, defines=()):
    config = Config(root, defines)
    for path in paths:
        start = main_file(path)
        folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        if start and os.path.basename(os.path.dirname(os.path.abspath(start))) == "conf":
            folder = os.path.dirname(os.path.dirname(os.path.abspath(start)))  # httpd's ServerRoot
        if config.server_root is None:
            config.server_root = folder
            config.read_envvars(folder)
        if start:
            config.read_file(start)
        else:  # a folder of fragments (sites-enabled, conf.d): every *.conf file in it and below
            for folder, subfolders, files in os.walk(path):
                subfolders.sort()
                for name in sorted(files):
                    if name.endswith(".conf"):
                        config.read_file(os.path.join(folder, name))
    return config


# --- Regular expressions: URLs that match them --------------------------------------------
def _opname(op):
    return str(op).upper()


def regex_samples(pattern, limit=MAX_SAMPLES):
    """A few strings the regex matches (the shortest ways through it, each alternative once):
    URLs to try an AliasMatch or a LocationMatch on. [] when it cannot make one."""
    try:
        parsed = sre_parse.parse(pattern)
    except Exception:  # an Apache (PCRE) regex Python does not take
        return []
    samples = []
    for text in _expand(list(parsed), limit):
        if text not in samples:
            try:
                if re.search(pattern, text):
                    samples.append(text)
            except re.error:
                return []
    return samples[:limit]


def _expand(items, limit):
    results = [""]
    for op, av in items:
        name = _opname(op)
        if name == "LITERAL":
            options = [_chr(av)]
        elif name == "NOT_LITERAL":
            options = ["x" if _chr(av) != "x" else "y"]
        elif name == "ANY":
            options = ["x"]
        elif name == "IN":
            options = [_class_sample(av)]
        elif name == "BRANCH":
            options = []
            for branch in av[1]:
                options.extend(_expand(list(branch), limit))
        elif name == "SUBPATTERN":
            options = _expand(list(av[-1]), limit)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _, inner = av
            inner_options = _expand(list(inner), limit)
            count = max(low, 1) if low < 2 else low
            options = [option * count for option in inner_options]
        elif name in ("AT", "ASSERT", "ASSERT_NOT", "GROUPREF", "GROUPREF_EXISTS", "ATOMIC_GROUP"):
            options = [""]
        else:
            options = [""]
        results = [result + option for result in results for option in options][:limit]
    return results


def _chr(code):
    try:
        return unichr(code)  # noqa: F821 - Python 2.7
    except NameError:
        return chr(code)


def _class_sample(items):
    negate = any(_opname(op) == "NEGATE" for op, _ in items)
    if negate:
        excluded = set()
        for op, av in items:
            if _opname(op) == "LITERAL":
                excluded.add(_chr(av))
        return next(ch for ch in "xyzab" if ch not in excluded)
    for op, av in items:
        name = _opname(op)
        if name == "LITERAL":
            return _chr(av)
        if name == "RANGE":
            return _chr(av[0])
        if name == "CATEGORY":
            return {"CATEGORY_DIGIT": "1", "CATEGORY_SPACE": " "}.get(_opname(av), "a")
    return "x"


# --- Where the sections apply -------------------------------------------------------------
def _regex_arg(section):
    """The regex of a *Match section or of `<Directory ~ re>`, else None."""
    if section.tag.endswith("match"):
        return section.args[0] if section.args else None
    if len(section.args) > 1 and section.args[0] == "~":
        return section.args[1]
    return None


def _search(pattern, text):
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True  # a PCRE feature Python lacks: may apply


def _fn_prefix(pattern, path):
    """<Directory /a/*/b>: path is pattern or under it, with * and ? not crossing a slash."""
    pattern = pattern.rstrip("/") or "/"
    parts, path_parts = pattern.split("/"), path.rstrip("/").split("/")
    if pattern == "/":
        return True
    if len(path_parts) < len(parts):
        return False
    return all(fnmatch.fnmatchcase(p, q) for p, q in zip(path_parts, parts))


def applies(section, script, url):
    """Whether a section covers a request for `url` served by the file `script` (None when the
    section cannot be judged: taken as applying)."""
    tag = section.tag
    if tag == "virtualhost":
        return True
    regex = _regex_arg(section)
    if tag in ("directory", "directorymatch"):
        if script is None:
            return True
        folder = os.path.dirname(script)
        if regex is not None:
            return _search(regex, folder) or _search(regex, folder + "/")
        return _fn_prefix(section.args[0] if section.args else "/", folder)
    if tag in ("files", "filesmatch"):
        if script is None:
            return True
        name = os.path.basename(script)
        if regex is not None:
            return _search(regex, name)
        return fnmatch.fnmatchcase(name, section.args[0]) if section.args else True
    if tag in ("location", "locationmatch"):
        if url is None:
            return True
        if regex is not None:
            return _search(regex, url)
        target = section.args[0] if section.args else "/"
        if glob.has_magic(target):
            return fnmatch.fnmatchcase(url, target) or fnmatch.fnmatchcase(url, target.rstrip("/") + "/*")
        # Apache: a plain prefix of the URL (<Location /private> covers /private, /private/, /privateer).
        return re.sub("/+", "/", url).startswith(target)
    return True  # Proxy, and sections this check does not tell apart


def phase(directive):
    """(group, weight) of the merge Apache does: 0 server, 1 <Directory> (by its depth),
    2 <DirectoryMatch>, 3 <Files>, 4 <Location>; then the virtual host's after the main server's."""
    group, weight = 0, 0
    for section in directive.chain():
        if section.tag == "directory" and _regex_arg(section) is None:
            group = max(group, 1)
            weight = len([p for p in (section.args[0] if section.args else "/").split("/") if p])
        elif section.tag in ("directory", "directorymatch"):
            group = max(group, 2)
        elif section.tag in ("files", "filesmatch"):
            group = max(group, 3)
        elif section.tag in ("location", "locationmatch"):
            group = max(group, 4)
    return group, weight


def effective(config, names, vhost, script, url, default=None):
    """The directive among `names` that decides for a request (the last of the merge), or None."""
    candidates = []
    for directive in config.named(*names):
        d_vhost = directive.vhost()
        if d_vhost is not None and d_vhost is not vhost:
            continue
        if not all(applies(section, script, url) for section in directive.chain()):
            continue
        group, weight = phase(directive)
        candidates.append(((group, weight, 0 if d_vhost is None else 1, directive.order), directive))
    if not candidates:
        return default
    return max(candidates, key=lambda pair: pair[0])[1]


def options_of(args):
    """name=value options of a mod_wsgi directive; a quoted value loses its quotes, as mod_wsgi's
    own parser drops them (mod_wsgi-express writes process-group='localhost:8000')."""
    found = {}
    for arg in args:
        if "=" in arg and not arg.startswith("="):
            key, value = arg.split("=", 1)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            found[key] = value
    return found


# --- Virtual hosts ------------------------------------------------------------------------
class Host(object):
    """A virtual host (or the main server): its names and its port."""

    def __init__(self, config, section):
        self.section = section
        names = [d for d in config.named("servername", "serveralias") if d.vhost() is section and
                 all(s.tag == "virtualhost" for s in d.chain())]  # fmt: skip
        server_names = [d.args[0] for d in names if d.name == "servername" and d.args]
        if section is not None and not server_names:
            main = [d.args[0] for d in config.named("servername") if d.vhost() is None and d.args]
            server_names = main[:1]
        self.name = server_names[0].split("://")[-1] if server_names else None
        if self.name and ":" in self.name:
            self.name, _, port = self.name.partition(":")
        self.aliases = [a for d in names if d.name == "serveralias" for a in d.args]
        self.port = 80
        if section is not None:
            for address in section.args:
                if ":" in address and address.rsplit(":", 1)[1].isdigit():
                    self.port = int(address.rsplit(":", 1)[1])
                    break
        self.label = self.name or (section.args[0] if section is not None and section.args else "(main server)")

    def server(self):
        name = self.name or "(this machine's hostname)"
        return name if self.port in (80, 443) else "%s:%d" % (name, self.port)


def hosts(config):
    found = [Host(config, None)]
    seen = set()
    for directive in config.directives:
        for section in directive.chain():
            if section.tag == "virtualhost" and id(section) not in seen:
                seen.add(id(section))
                found.append(Host(config, section))
    return found


# --- Environment variables Apache sets per request (SetEnv, SetEnvIf, RewriteRule [E=]) ---
CATCH_ALL = (".", ".*", "^", "", "^.*", "^.*$", ".+", "^.+", "^.+$")


def request_variables(config, vhost, name):
    """(values, always): the values Apache gives the per-request variable `name` in this virtual
    host, and whether every request gets one (then mod_wsgi never falls back to getenv())."""
    values, always = [], False
    for directive in config.named("setenv", "setenvif", "setenvifnocase", "browsermatch", "rewriterule",
                                  "setenvifexpr"):  # fmt: skip
        d_vhost = directive.vhost()
        if d_vhost is not None and d_vhost is not vhost:
            continue
        args = directive.args
        if directive.name == "setenv" and args and args[0] == name:
            values.append(args[1] if len(args) > 1 else "")
            always = always or all(s.tag == "virtualhost" for s in directive.chain())
        elif directive.name in ("setenvif", "setenvifnocase", "browsermatch", "setenvifexpr") and len(args) >= 2:
            settings = args[2:] if directive.name != "browsermatch" else args[1:]
            for setting in settings:
                var, _, value = setting.partition("=")
                if var == name:
                    values.append(value if value else "1")
                    regex = args[1] if directive.name != "browsermatch" else args[0]
                    if directive.name in ("setenvif", "setenvifnocase") and regex in CATCH_ALL:
                        always = always or all(s.tag == "virtualhost" for s in directive.chain())
        elif directive.name == "rewriterule" and len(args) >= 3:
            for flag in args[2].strip("[]").split(","):
                if flag.upper().startswith(("E=", "ENV=")):
                    var, _, value = flag.split("=", 1)[1].partition(":")
                    if var == name:
                        values.append(value)
    return sorted(set(values)), always


# --- Python's version, from what the configuration says -----------------------------------
def python_hints(config):
    """(version 'X.Y', where) the configuration names: WSGIPythonHome and python-home= (a path
    naming pythonX.Y, its lib/pythonX.Y, or its pyvenv.cfg), the mod_wsgi module's file name."""
    found = []
    for directive in config.named("wsgipythonhome", "wsgidaemonprocess", "loadmodule"):
        paths = []
        if directive.name == "wsgipythonhome" and directive.args:
            paths = directive.args[0].split(":")
        elif directive.name == "wsgidaemonprocess":
            paths = [v for k, v in options_of(directive.args[1:]).items() if k == "python-home"]
        elif directive.name == "loadmodule" and len(directive.args) > 1 and directive.args[0] == "wsgi_module":
            version = version_in(directive.args[1])
            if version:
                found.append((version, "%s (LoadModule %s)" % (directive.where(), directive.args[1])))
            continue
        for path in paths:
            home = config.local(path)  # this machine's own /usr says nothing of a copied server's
            version = (version_of_home(home) if config.in_copy(home) else None) or version_in(path)

            if version:
                found.append((version, "%s (%s %s)" % (directive.where(), "WSGIPythonHome"
                              if directive.name == "wsgipythonhome" else "python-home=", path)))  # fmt: skip
    return found


def version_in(text):
    """'X.Y' when a path names a Python version: python3.11, python2.7, mod_wsgi-py36, cp311, .so-3.13."""
    for pattern in (r"python(\d)\.(\d+)", r"py(\d)(\d+)\b", r"cpython-(\d)(\d+)", r"cp(\d)(\d+)", r"\.so-(\d)\.(\d+)$",
                    r"python-(\d)\.(\d+)", r"python(\d)(\d+)\b"):  # fmt: skip
        match = re.search(pattern, text)
        if match:
            return "%s.%s" % match.groups()
    return None


def version_of_home(path):
    """The Python version of a prefix or virtualenv on this machine: pyvenv.cfg, lib/pythonX.Y."""
    cfg = os.path.join(path, "pyvenv.cfg")
    if os.path.isfile(cfg):
        for line in physical_lines(cfg):
            match = re.match(r"^\s*(?:version|version_info)\s*=\s*(\d+)\.(\d+)", line)
            if match:
                return "%s.%s" % match.groups()
    for lib in ("lib", "lib64"):
        found = sorted(glob.glob(os.path.join(path, lib, "python[23].*")))
        for candidate in found:
            version = version_in(os.path.basename(candidate))
            if version:
                return version
    return None


# --- Mounts: which script runs where ------------------------------------------------------
class Mount(object):
    """One script as the configuration runs it: `kind` (the directive), `where` (file:line),
    `url`, `script` (the server's path), `local` (where it is read here), `host`, `placements`
    ([(process, interpreter)]), `groups` (the process and application group as written), and
    `notes`. `role`: 'app' (a WSGI application), 'auth', 'import', 'handler' or 'dispatch'."""

    def __init__(self, kind, directive, url, script, local, host, role="app"):
        self.kind, self.directive, self.url, self.script, self.local = kind, directive, url, script, local
        self.host, self.role = host, role
        self.placements, self.groups, self.notes, self.variable = [], set(), [], False

    @property
    def where(self):
        return self.directive.where()

    def as_dict(self):
        return {
            "kind": self.kind, "file": self.directive.file, "line": self.directive.line, "url": self.url,
            "script": self.script, "local": self.local, "virtual_host": self.host.label, "role": self.role,
            "placements": [list(p) for p in sorted(set(self.placements))],
            "process": sorted(set(p for p, _ in self.placements)),
            "application_group": sorted(self.groups), "variable": self.variable,
        }  # fmt: skip


class Resolver(object):
    """Mounts of a configuration and where each runs."""

    def __init__(self, config, read_source):
        self.config = config
        self.read_source = read_source  # path -> pysource.Source or None (for dispatch scripts)
        self.hosts = hosts(config)
        self.host_of = dict((id(h.section) if h.section is not None else None, h) for h in self.hosts)
        self.handler_scripts = {}
        for directive in config.named("wsgihandlerscript"):
            if len(directive.args) >= 2:
                self.handler_scripts[directive.args[0]] = directive
        self.used_handlers = set()
        self.routing = []  # (variable, directive text, where, process key)
        self.infos = []  # (where, code, args)

    def host(self, directive):
        vhost = directive.vhost()
        return self.host_of.get(id(vhost) if vhost is not None else None, self.hosts[0])

    def mounts(self):
        found = []
        for directive in self.config.directives:
            name, args = directive.name, directive.args
            if name in ("wsgiscriptalias", "wsgiscriptaliasmatch") and len(args) >= 2:
                found.extend(self.alias(directive))
            elif name in ("wsgiauthuserscript", "wsgiauthgroupscript", "wsgiaccessscript") and args:
                found.append(self.auth(directive))
            elif name == "wsgiimportscript" and args:
                found.append(self.imported(directive))
            elif name in ("sethandler", "addhandler", "rewriterule", "addtype") and args:
                found.extend(self.handler(directive))
            elif name == "wsgidispatchscript" and args:
                found.append(self.dispatcher(directive))
        for dispatcher in [m for m in found if m is not None and getattr(m, "pending", False)]:
            vhost = dispatcher.directive.vhost()
            for mount in found:
                if mount is not None and mount.role == "app" and (vhost is None or mount.host.section is vhost):
                    dispatcher.placements.extend((EMBEDDED, i) for _, i in mount.placements)
                    dispatcher.groups.update(mount.groups)
        for handler, directive in sorted(self.handler_scripts.items()):
            if handler not in self.used_handlers:
                self.infos.append(
                    (
                        directive.where(),
                        "EL232",
                        {
                            "what": "WSGIHandlerScript %s: no SetHandler, "
                            "AddHandler or RewriteRule [H=%s] selects it, so it never runs" % (handler, handler)
                        },
                    )
                )
        return [m for m in found if m is not None]

    # The URL space a mount serves, and the URLs of sections inside it (to split it as Apache would).
    def probes(self, host, prefix=None, regex=None):
        urls = []
        if prefix is not None:
            urls += [prefix, prefix.rstrip("/") + "/x"]
        if regex is not None:
            urls += regex_samples(regex)
        for directive in self.config.directives:
            for section in directive.chain():
                if section.tag not in ("location", "locationmatch"):
                    continue
                vhost = directive.vhost()
                if vhost is not None and vhost is not host.section:
                    continue
                pattern = _regex_arg(section)
                candidates = regex_samples(pattern) if pattern else ([section.args[0]] if section.args else [])
                for url in candidates:
                    inside = (prefix is not None and (url.startswith(prefix.rstrip("/") + "/") or url == prefix
                              or prefix == "/")) or (regex is not None and _search(regex, url))  # fmt: skip
                    if inside and url not in urls:
                        urls.append(url)
        return urls or [prefix or "/"]

    def place(self, mount, probes, options, script_name_of, role_defaults=None):
        """Where a mount's requests run, for each probe URL: its own options, a dispatch script's
        answers, else the merged WSGIProcessGroup and WSGIApplicationGroup."""
        host, defaults = mount.host, role_defaults or {}
        for url in probes:
            process_text = options.get("process-group")
            group_text = options.get("application-group")
            if process_text is None and "process-group" not in defaults:
                found = effective(self.config, ("wsgiprocessgroup",), host.section, mount.script, url)
                process_text = found.args[0] if found is not None and found.args else None
                if found is not None and process_text and "%{ENV:" in process_text:
                    self.routing.append((process_text, found, "WSGIProcessGroup"))
            if group_text is None:
                if "application-group" in defaults:
                    group_text = defaults["application-group"]
                else:
                    found = effective(self.config, ("wsgiapplicationgroup",), host.section, mount.script, url)
                    group_text = found.args[0] if found is not None and found.args else "%{RESOURCE}"
                    if found is not None and "%{ENV:" in group_text:
                        self.routing.append((group_text, found, "WSGIApplicationGroup"))
            if "process-group" in defaults and process_text is None:
                process_text = defaults["process-group"]
            processes = self.process_keys(process_text, host)
            interpreters = self.interpreter_names(group_text, host, script_name_of(url))
            dispatch = effective(self.config, ("wsgidispatchscript",), host.section, mount.script, url)
            if dispatch is not None and mount.role == "app":
                extra_processes, extra_groups = self.dispatch_answers(dispatch)
                # Answers that are all strings replace the decision; None (or a computed value) keeps it too.
                always = [p for p in extra_processes if not p.startswith("daemon (")]
                processes = (sorted(set(extra_processes)) if extra_processes and always == extra_processes
                             else sorted(set(processes) | set(extra_processes)))  # fmt: skip
                interpreters = (sorted(set(extra_groups)) if extra_groups and not any(g.startswith("(") for g in
                                                                                      extra_groups)
                                else sorted(set(interpreters) | set(extra_groups)))  # fmt: skip
                mount.variable = mount.variable or any(i.startswith("(") for i in extra_groups + extra_processes)
            mount.groups.add(group_text)
            for process in processes:
                for interpreter in interpreters:
                    mount.placements.append((process, interpreter))
            if any(i.startswith("(") for i in interpreters):
                mount.variable = True
        return mount

    def process_keys(self, text, host):
        if not text or text.upper() == "%{GLOBAL}":
            return [EMBEDDED]
        if text.startswith("%{ENV:") and text.endswith("}"):
            name = text[6:-1]
            values, _ = request_variables(self.config, host.section, name)
            keys = ["daemon " + value for value in values if value]
            if name in self.config.environment:
                keys.append("daemon " + self.config.environment[name])
            return sorted(set(keys)) or ["daemon (per request: %s)" % text]
        if text.startswith("%{"):
            return ["daemon (per request: %s)" % text]
        return ["daemon " + text]

    def interpreter_names(self, text, host, script_name):
        upper = (text or "").upper()
        if not text or upper == "%{RESOURCE}":
            return [host.server() + "|" + script_name]
        if upper == "%{GLOBAL}":
            return [""]
        if upper == "%{SERVER}":
            return [host.server()]
        if upper == "%{HOST}":
            names = [n for n in [host.name] + host.aliases if n]
            if any(glob.has_magic(n) for n in names) or not names:
                return ["(per request: %{HOST})", "(per request: %{HOST}, another Host)"]
            return sorted(set(n if host.port in (80, 443) else "%s:%d" % (n, host.port) for n in names))
        if text.startswith("%{ENV:") and text.endswith("}"):
            name = text[6:-1]
            values, always = request_variables(self.config, host.section, name)
            names = list(values)
            if not always:
                # No value for some requests: mod_wsgi asks getenv() of the Apache process, and
                # without one the group is the text itself (seen in mod_wsgi's own log).
                names.append(self.config.environment.get(name, text))
            if not values:
                # Nothing here sets it (.htaccess, another module, the server's environment may):
                # a value per request, as far as envleak can tell.
                names.append("(per request: %s)" % text)
            return sorted(set(names))
        if "%{" in text:
            return ["(per request: %s)" % text, "(per request: %s, another value)" % text]
        return [text]

    def dispatch_answers(self, directive):
        """The process and application groups a WSGIDispatchScript may return: its functions'
        string literals, else unknown."""
        source = self.read_source(self.config.local(directive.args[0]))
        processes, groups = [], []
        if source is None:
            return ["daemon (per request: WSGIDispatchScript)"], [
                "(per request: WSGIDispatchScript)",
                "(per request: WSGIDispatchScript, another)",
            ]
        returns = getattr(source, "literal_returns", {}) or {}
        for function, target in (("process_group", processes), ("application_group", groups)):
            if function in returns:
                values = returns[function]
                if any(v is None for v in values) or not values:
                    target.append("(per request: %s())" % function)
                    target.append("(per request: %s(), another)" % function)
                for value in values:
                    if value is not None:
                        target.append(value)
        return [self.process_keys(p, self.host(directive))[0] if not p.startswith("(") else "daemon " + p
                for p in processes], groups  # fmt: skip

    # The directives
    def alias(self, directive):
        host = self.host(directive)
        url, target, options = directive.args[0], directive.args[1], options_of(directive.args[2:])
        kind = "WSGIScriptAlias" if directive.name == "wsgiscriptalias" else "WSGIScriptAliasMatch"
        found = []
        if kind == "WSGIScriptAlias":
            server = self.config.server_path(target)
            local = self.config.resolve(target)
            stripped = local.rstrip("/") or "/"
            if os.path.isfile(stripped) or not os.path.isdir(local):
                # A file (a trailing slash on it is what the URL's rest is appended after).
                script, script_local = server.rstrip("/") or "/", stripped
                mount = Mount(kind, directive, url, script, script_local, host)
                found.append(self.place(mount, self.probes(host, prefix=url), options, lambda _u: url.rstrip("/")))
            else:
                for path in python_files(local):
                    rel = os.path.relpath(path, local)
                    file_url = url.rstrip("/") + "/" + rel
                    mount = Mount(kind, directive, file_url, os.path.join(server, rel), path, host)
                    found.append(self.place(mount, self.probes(host, prefix=file_url), options,
                                            lambda _u, file_url=file_url: file_url))  # fmt: skip
            return found
        regex = url
        samples = self.probes(host, regex=regex)
        if "$" in target:
            pattern = re.sub(r"\$\d", "*", target)
            files = [p for p in sorted(glob.glob(self.config.resolve(pattern))) if os.path.isfile(p)]
            if not files:
                for url_sample in samples:
                    match = re.search(regex, url_sample) if _search(regex, url_sample) else None
                    if match:
                        files.append(existing_file(self.config.resolve(substitute(target, match))))
                files = sorted(set(files))
            for path in files or [self.config.resolve(pattern)]:
                mount = Mount(kind, directive, url, self.server_of(path, pattern), existing_file(path), host)
                own = urls_for_file(regex, self.config.resolve(target), path, samples) or samples
                found.append(self.place(mount, own, options, lambda u, regex=regex: matched_prefix(regex, u)))
            return found
        local = existing_file(self.config.resolve(target))
        mount = Mount(kind, directive, url, self.config.server_path(target).rstrip("/"), local, host)
        found.append(self.place(mount, samples, options, lambda u: matched_prefix(regex, u)))
        return found

    def server_of(self, local, pattern):
        if self.config.root and local.startswith(self.config.root):
            return "/" + os.path.relpath(local, self.config.root)
        return local

    def auth(self, directive):
        host = self.host(directive)
        names = {"wsgiauthuserscript": "WSGIAuthUserScript", "wsgiauthgroupscript": "WSGIAuthGroupScript",
                 "wsgiaccessscript": "WSGIAccessScript"}  # fmt: skip
        target = directive.args[0]
        mount = Mount(names[directive.name], directive, scope_url(directive), self.config.server_path(target),
                      self.config.resolve(target), host, role="auth")  # fmt: skip
        options = options_of(directive.args[1:])
        # Always in Apache's own children; in the main interpreter unless application-group= says.
        options["process-group"] = "%{GLOBAL}"
        options.setdefault("application-group", "%{GLOBAL}")
        return self.place(mount, [scope_url(directive)], options, lambda u: u.rstrip("/"))

    def imported(self, directive):
        host = self.host(directive)
        options = options_of(directive.args[1:])
        target = directive.args[0]
        mount = Mount("WSGIImportScript", directive, "(loaded at process start)", self.config.server_path(target),
                      self.config.resolve(target), host, role="import")  # fmt: skip
        options.setdefault("process-group", "%{GLOBAL}")
        options.setdefault("application-group", "%{GLOBAL}")
        return self.place(mount, ["/"], options, lambda u: "")

    def dispatcher(self, directive):
        host = self.host(directive)
        target = directive.args[0]
        mount = Mount("WSGIDispatchScript", directive, scope_url(directive), self.config.server_path(target),
                      self.config.resolve(target), host, role="dispatch")  # fmt: skip
        options = options_of(directive.args[1:])
        if "application-group" not in options:
            # It runs in the application group of the request it dispatches: filled in by mounts().
            mount.pending = True
            return mount
        options["process-group"] = "%{GLOBAL}"  # always in Apache's own children
        return self.place(mount, [scope_url(directive)], options, lambda u: u.rstrip("/"))

    def handler(self, directive):
        name, args = directive.name, directive.args
        handlers = []
        if name == "sethandler":
            handlers = [(args[0], None)]
        elif name == "addhandler":
            handlers = [(args[0], [ext.lstrip(".") for ext in args[1:]])]
        elif name == "addtype" and args[0] == "application/x-httpd-wsgi":
            handlers = [(args[0], [ext.lstrip(".") for ext in args[1:]])]
        elif name == "rewriterule" and len(args) >= 3:
            for flag in args[2].strip("[]").split(","):
                key, _, value = flag.partition("=")
                if key.strip().lower() in ("h", "handler") and value:
                    handlers.append((value.strip(), None))
        found = []
        host = self.host(directive)
        for handler, extensions in handlers:
            if handler in self.handler_scripts:
                self.used_handlers.add(handler)
                found.append(self.handler_script(directive, handler, extensions, host))
            elif handler in WSGI_HANDLERS:
                found.extend(self.script_files(directive, handler, extensions, host))
        return found

    def handler_script(self, directive, handler, extensions, host):
        script_directive = self.handler_scripts[handler]
        target = script_directive.args[1]
        url = scope_url(directive)
        if extensions:
            url = url.rstrip("/") + "/x." + extensions[0]
        mount = Mount("WSGIHandlerScript", directive, url, self.config.server_path(target),
                      self.config.resolve(target), host, role="app")  # fmt: skip
        mount.handler = handler
        options = options_of(script_directive.args[2:])
        return self.place(mount, [url], options, lambda u: u)

    def script_files(self, directive, handler, extensions, host):
        """SetHandler/AddHandler wsgi-script: every Python file its section covers (with Options
        ExecCGI, as mod_wsgi requires outside WSGIScriptAlias)."""
        folders = self.folders_of(directive, host)
        found = []
        files_sections = [s for s in directive.chain() if s.tag in ("files", "filesmatch")]
        for server_folder, url_prefix in folders:
            local = self.config.resolve(server_folder)
            for path in python_files(local, extensions):
                rel = os.path.relpath(path, local)
                server = os.path.join(server_folder, rel)
                if not all(applies(s, server, None) for s in files_sections):
                    continue
                url = (url_prefix.rstrip("/") + "/" + rel) if url_prefix is not None else "(the URL of %s)" % server
                if not self.exec_cgi(host, server, url):
                    self.infos.append((directive.where(), "EL232", {"what": "%s %s covers %s, but Options ExecCGI is "
                                       "off there: mod_wsgi answers 403 and runs nothing" % (
                                           DIRECTIVE_NAMES[directive.name], handler, server)}))  # fmt: skip
                    continue
                mount = Mount("%s %s" % (DIRECTIVE_NAMES[directive.name], handler), directive, url, server, path, host)
                found.append(self.place(mount, [url], {}, lambda u: u))
        return found

    def folders_of(self, directive, host):
        """(server folder, its URL or None) a handler directive covers."""
        chain = directive.chain()
        directories = [s for s in chain if s.tag == "directory" and _regex_arg(s) is None and s.args]
        if directories:
            folder = directories[-1].args[0]
            return [(folder, self.url_of_folder(folder, host))]
        locations = [s for s in chain if s.tag in ("location",) and s.args]
        if locations:
            url = locations[-1].args[0]
            folder = self.folder_of_url(url, host)
            return [(folder, url)] if folder else []
        if any(s.tag in ("directorymatch", "locationmatch") or _regex_arg(s) for s in chain):
            self.infos.append((directive.where(), "EL232", {"what": "%s in a regex section: envleak does not list "
                               "the files it covers" % directive.name}))  # fmt: skip
            return []
        # Server or virtual host wide (AddHandler .wsgi): the folders given ExecCGI, and DocumentRoot.
        found = []
        for options in self.config.named("options"):
            if options.vhost() not in (None, host.section):
                continue
            for section in options.chain():
                if (
                    section.tag == "directory"
                    and _regex_arg(section) is None
                    and section.args
                    and any(a.lstrip("+").lower() in ("execcgi", "all") for a in options.args)
                ):
                    folder = section.args[0]
                    if (folder, None) not in [(f, None) for f, _ in found]:
                        found.append((folder, self.url_of_folder(folder, host)))
        root = self.document_root(host)
        if root and root not in [f for f, _ in found]:
            found.append((root, ""))
        return found

    def document_root(self, host):
        found = effective(self.config, ("documentroot",), host.section, None, None)
        return found.args[0] if found is not None and found.args else None

    def aliases(self, host):
        for directive in self.config.named("alias", "scriptalias", "wsgiscriptalias"):
            if directive.vhost() in (None, host.section) and len(directive.args) >= 2:
                yield directive.args[0], directive.args[1]

    def url_of_folder(self, folder, host):
        folder = folder.rstrip("/")
        for url, target in self.aliases(host):
            target = target.rstrip("/")
            if folder == target or folder.startswith(target + "/"):
                return url.rstrip("/") + folder[len(target) :]
        root = self.document_root(host)
        if root and (folder == root.rstrip("/") or folder.startswith(root.rstrip("/") + "/")):
            return folder[len(root.rstrip("/")) :] or "/"
        return None

    def folder_of_url(self, url, host):
        for prefix, target in self.aliases(host):
            if url == prefix or url.startswith(prefix.rstrip("/") + "/"):
                return target.rstrip("/") + url[len(prefix.rstrip("/")) :]
        root = self.document_root(host)
        return root.rstrip("/") + url if root else None

    def exec_cgi(self, host, script, url):
        """Options ExecCGI, merged as Apache merges Options (2.4's default: FollowSymLinks only)."""
        enabled = False
        candidates = []
        for directive in self.config.named("options"):
            d_vhost = directive.vhost()
            if d_vhost is not None and d_vhost is not host.section:
                continue
            if all(applies(section, script, url) for section in directive.chain()):
                group, weight = phase(directive)
                candidates.append(((group, weight, 0 if d_vhost is None else 1, directive.order), directive))
        for _, directive in sorted(candidates, key=lambda pair: pair[0]):
            values = [a.lower() for a in directive.args]
            if values and all(v[:1] in "+-" for v in values):
                for value in values:
                    if value[1:] in ("execcgi", "all"):
                        enabled = value[0] == "+"
            else:
                enabled = "execcgi" in values or "all" in values
        return enabled


def scope_url(directive):
    """The URL a directive's <Location> names, else '/'."""
    for section in reversed(directive.chain()):
        if section.tag == "location" and section.args:
            return section.args[0]
        if section.tag == "locationmatch" and section.args:
            samples = regex_samples(section.args[0])
            return samples[0] if samples else "/"
    return "/"


def substitute(target, match):
    def group(found):
        index = int(found.group(1))
        try:
            return match.group(index) or ""
        except IndexError:
            return ""

    return re.sub(r"\$(\d)", group, target)


def urls_for_file(regex, target, path, samples):
    """The URLs of `samples`, rewritten so that WSGIScriptAliasMatch's substitution of `target`
    gives `path`: each $N takes the part of the path it stands for."""
    pieces = re.split(r"(\$\d)", target)
    pattern = "".join("(?P<g%s>.+?)" % p[1] if re.match(r"^\$\d$", p) else re.escape(p) for p in pieces)
    try:
        parts = re.match("^" + pattern + "$", path)
    except re.error:
        return []
    if parts is None:
        return []
    found = []
    for url in samples:
        try:
            match = re.search(regex, url)
        except re.error:
            return []
        if match is None:
            continue
        rebuilt = url
        for index in sorted((int(k[1:]) for k in parts.groupdict()), reverse=True):
            if index <= len(match.groups()) and match.group(index) is not None:
                start, end = match.span(index)
                rebuilt = rebuilt[:start] + parts.group("g%d" % index) + rebuilt[end:]
        try:
            again = re.search(regex, rebuilt)
        except re.error:
            continue
        if again and substitute(target, again) == path and rebuilt not in found:
            found.append(rebuilt)
    return found


def matched_prefix(regex, url):
    try:
        match = re.search(regex, url)
    except re.error:
        return url
    return url[: match.end()].rstrip("/") if match else url


def existing_file(path):
    """The file Apache would run for a target path: the path, else its longest leading part that
    is a file (the rest is PATH_INFO)."""
    candidate = path.rstrip("/") or "/"
    while candidate and candidate != "/":
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(candidate)
        if parent == candidate:
            break
        candidate = parent
    return path.rstrip("/") or path


def python_files(folder, extensions=None):
    """The Python files under a folder (at most MAX_FILES): with those extensions, or every file
    that reads as Python."""
    from envleak import pysource

    found = []
    if not os.path.isdir(folder):
        return found
    for path, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(s for s in subfolders if not s.startswith(".") and s != "__pycache__")
        for name in sorted(files):
            full = os.path.join(path, name)
            if extensions is not None:
                if any(name.endswith("." + ext) for ext in extensions):
                    found.append(full)
            elif pysource.is_python(full):
                found.append(full)
            if len(found) >= MAX_FILES:
                return found
    return found
