"""What a Python file does with the process environment, read without running it, whatever
Python runs envleak: Python's own parser (ast) when it takes the file, else a tolerant reader
that goes token by token (a Python 2 script read from Python 3, a Python 3 script from 2.7).

Each use is an Event: line, col, op ('read', 'assign', 'setdefault', 'delete', 'dotenv'),
the variable's name, the literal value written (or None), `deferred` (inside a function or a
lambda: it runs at a request, not when the file is loaded), and its place in evaluation order
(`order`): in `os.environ["X"] = a + os.environ.get("X", "")` the read comes first.
Standard library only; Python 2.7 and 3.6+.
"""

import ast
import io
import os
import re

try:
    TEXT = (str, unicode)  # noqa: F821 - Python 2.7
except NameError:
    TEXT = (str,)

# The .env loaders, by function name, and the keyword that makes each override what is there.
DOTENV_LOADERS = {"load_dotenv": "override", "read_env": "overwrite"}
DOTENV_KEYS = "every key of a .env file"
DOTENV_OWN_KEYS = "a key only one .env file defines"
READ_OPS = ("read",)
WRITE_OPS = ("assign", "setdefault", "delete", "dotenv")


class Event(object):
    __slots__ = ("line", "col", "op", "name", "value", "deferred", "order", "override", "path", "via")

    def __init__(self, line, col, op, name, value=None, deferred=False, order=0, override=False, path=None, via=None):
        self.line, self.col, self.op, self.name, self.value = line, col, str(op), name, value
        self.deferred, self.order, self.override, self.path, self.via = deferred, order, override, path, via

    def as_list(self):
        return [self.line, self.op, self.name]

    def as_dict(self):
        return dict((key, getattr(self, key)) for key in self.__slots__ if key not in ("path",))

    def copy(self, **changes):
        event = Event(self.line, self.col, self.op, self.name, self.value, self.deferred, self.order, self.override,
                      self.path, self.via)  # fmt: skip
        for key, value in changes.items():
            setattr(event, key, value)
        return event

    def __repr__(self):
        return "Event(%d:%d %s %s%s)" % (self.line, self.col, self.op, self.name, " deferred" if self.deferred else "")


class Source(object):
    """One file read: `events` in evaluation order, `imports` (absolute module names), `reader`
    ('ast' or 'tokens'), `refused` (why ast refused it), `error` (why it could not be read)."""

    def __init__(self, path):
        self.path, self.events, self.imports = path, [], []
        self.reader, self.refused, self.error, self.dotenv_files = None, None, None, []
        self.literal_returns = {}  # function name: [string literals it returns] (WSGIDispatchScript)
        self.constants = {}  # module-level NAME = "literal" (mod_wsgi-express's entry_point)
        self.called = set()  # the last part of every name called (config_from_object, ...)


# PEP 263's coding line, as a bytes pattern (a raw bytes literal is spelled differently in 2.7).
CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)".encode("ascii"), re.M)


def read_bytes(path):
    with open(path, "rb") as source:
        return source.read()


def read_text(path, raw=None):
    """The file's text: its declared coding (PEP 263), else UTF-8, else Latin-1."""
    raw = read_bytes(path) if raw is None else raw
    coding = CODING.search(b"\n".join(raw.splitlines()[:2]))
    for encoding in ([coding.group(1).decode("ascii")] if coding else []) + ["utf-8", "latin-1"]:
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("latin-1")


def read(path):
    """The Source of a Python file (IOError/OSError when it cannot be opened)."""
    source = Source(path)
    raw = read_bytes(path)
    text = read_text(path, raw)
    try:
        tree = ast.parse(raw, path)
    except (SyntaxError, ValueError, TypeError) as error:
        source.refused = "%s, line %s" % (getattr(error, "msg", None) or error, getattr(error, "lineno", "?"))
        tree = None
    if tree is not None:
        source.reader = "ast"
        AstReader(source, tree).run()
    else:
        source.reader = "tokens"
        TokenReader(source, text).run()
    for order, event in enumerate(source.events):
        event.order, event.path = order, path
    return source


def is_python(path):
    """A WSGI script may have any suffix, or none. Named .py or .wsgi it is one, .conf or .load
    it is not; otherwise it is one when it reads as Python statements: an import, a def, a class
    or an assignment (a line of directives such as `WSGIApplicationGroup %{GLOBAL}` is none)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".py", ".wsgi", ".conf", ".load", ".ini"):
        return suffix in (".py", ".wsgi")
    try:
        raw = read_bytes(path)
    except (IOError, OSError):
        return False
    if b"\0" in raw[:4096]:
        return False
    text = read_text(path, raw)
    try:
        body = ast.parse(raw).body
        return any(not isinstance(statement, ast.Expr) for statement in body)
    except (SyntaxError, ValueError, TypeError):
        pass
    try:
        lines = logical_lines(tokenize(text))
    except LexError:
        return False
    for tokens in lines:
        first = tokens[0][1]
        if first in ("import", "def", "class") or (first == "from" and any(t[1] == "import" for t in tokens)):
            return True
        if tokens[0][0] == NAME and len(tokens) > 2 and tokens[1][1] == "=":
            return True
    return False


# --- Python's own parser ------------------------------------------------------------------
def _string(node):
    """The text of a string literal node (ast.Constant from 3.8, ast.Str before), else None."""
    kind = type(node).__name__
    value = getattr(node, "value", None) if kind == "Constant" else getattr(node, "s", None) if kind == "Str" else None
    return value if isinstance(value, TEXT) else None


def _true(node):
    kind = type(node).__name__
    return (kind in ("Constant", "NameConstant") and node.value is True) or (kind == "Name" and node.id == "True")


def dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return inner + "." + node.attr if inner else None
    return None


class AstReader(object):
    """Events from the syntax tree, in evaluation order."""

    def __init__(self, source, tree):
        self.source, self.tree = source, tree
        self.environ, self.getenv, self.putenv, self.unsetenv = set(), set(), set(), set()
        self.redirected = False

    def run(self):
        self.names()
        self.visit(self.tree, False)
        self.source.literal_returns = self.returns()
        for node in getattr(self.tree, "body", []):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = _string(node.value)
                if value is not None:
                    self.source.constants[node.targets[0].id] = value

    def names(self):
        """The names os.environ and os.getenv go by here: `import os as o`, `from os import
        environ as env`, `env = os.environ`; and the imports, for what the file pulls in."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.source.imports.append(alias.name)
                    top = alias.name.split(".")[0]
                    if alias.name in ("os", "posix") or (top in ("os", "posix") and not alias.asname):
                        name = alias.asname or top
                        self.environ.add(name + ".environ")
                        self.getenv.add(name + ".getenv")
                        self.putenv.add(name + ".putenv")
                        self.unsetenv.add(name + ".unsetenv")
            elif isinstance(node, ast.ImportFrom):
                if node.module and not node.level:
                    self.source.imports.append(node.module)
                    self.source.imports.extend(node.module + "." + alias.name for alias in node.names)
                if node.module in ("os", "posix"):
                    for alias in node.names:
                        table = {"environ": self.environ, "getenv": self.getenv, "putenv": self.putenv,
                                 "unsetenv": self.unsetenv}.get(alias.name)  # fmt: skip
                        if table is not None:
                            table.add(alias.asname or alias.name)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and dotted(node.value) in self.environ:
                self.environ.update(dotted(target) for target in node.targets if dotted(target))
            if isinstance(node, ast.Assign):
                # environ.Env.ENVIRON = {...}: django-environ's read_env() then writes that mapping.
                if any((dotted(target) or "").endswith(".ENVIRON") for target in node.targets):
                    self.redirected = True

    def add(self, node, op, key, deferred, value=None, override=False):
        name = _string(key) if key is not None and not isinstance(key, TEXT) else key
        if name:
            self.source.events.append(
                Event(node.lineno, getattr(node, "col_offset", 0) + 1, op, name, value, deferred, override=override)
            )

    def visit(self, node, deferred):
        kind = type(node).__name__
        method = getattr(self, "visit_" + kind, None)
        if method is not None:
            method(node, deferred)
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child, deferred)

    def visit_list(self, nodes, deferred):
        for node in nodes:
            if node is not None:
                self.visit(node, deferred)

    # Definitions: decorators and defaults run now, the body at each call.
    def visit_FunctionDef(self, node, deferred):
        self.visit_list(node.decorator_list, deferred)
        self.visit_list(node.args.defaults, deferred)
        self.visit_list(getattr(node.args, "kw_defaults", []) or [], deferred)
        self.visit_list(node.body, True)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node, deferred):
        self.visit_list(node.args.defaults, deferred)
        self.visit_list(getattr(node.args, "kw_defaults", []) or [], deferred)
        self.visit(node.body, True)

    # Assignments: the value first, then the targets, left to right.
    def visit_Assign(self, node, deferred):
        self.visit(node.value, deferred)
        self.visit_list(node.targets, deferred)

    def visit_AnnAssign(self, node, deferred):
        if node.value is not None:
            self.visit(node.value, deferred)
        self.visit(node.target, deferred)

    def visit_AugAssign(self, node, deferred):
        target = node.target
        if isinstance(target, ast.Subscript) and dotted(target.value) in self.environ:
            key = self.subscript_key(target)
            self.add(target, "read", key, deferred)
            self.visit(node.value, deferred)
            self.add(target, "assign", key, deferred)
            return
        self.visit(target, deferred)
        self.visit(node.value, deferred)

    def visit_NamedExpr(self, node, deferred):
        self.visit(node.value, deferred)
        self.visit(node.target, deferred)

    def visit_For(self, node, deferred):
        self.visit(node.iter, deferred)
        self.visit(node.target, deferred)
        self.visit_list(node.body, deferred)
        self.visit_list(node.orelse, deferred)

    visit_AsyncFor = visit_For

    def visit_comprehension(self, node, deferred):
        self.visit(node.iter, deferred)
        self.visit(node.target, deferred)
        self.visit_list(node.ifs, deferred)

    def visit_ListComp(self, node, deferred):
        self.visit_list(node.generators, deferred)
        self.visit(node.elt, deferred)

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node, deferred):
        self.visit_list(node.generators, deferred)
        self.visit(node.key, deferred)
        self.visit(node.value, deferred)

    def visit_Dict(self, node, deferred):
        for key, value in zip(node.keys, node.values):
            if key is not None:
                self.visit(key, deferred)
            self.visit(value, deferred)

    def subscript_key(self, node):
        key = node.slice
        return key.value if type(key).__name__ == "Index" else key

    def visit_Subscript(self, node, deferred):
        self.visit(node.value, deferred)
        self.visit(node.slice, deferred)
        if dotted(node.value) in self.environ:
            op = {ast.Store: "assign", ast.Del: "delete"}.get(type(node.ctx), "read")
            self.add(node, op, self.subscript_key(node), deferred)

    def visit_Call(self, node, deferred):
        self.visit(node.func, deferred)
        self.visit_list(node.args, deferred)
        for keyword in node.keywords:
            self.visit(keyword.value, deferred)
        for extra in ("starargs", "kwargs"):  # Python 2.7
            if getattr(node, extra, None) is not None:
                self.visit(getattr(node, extra), deferred)
        self.call(node, deferred)

    def call(self, node, deferred):
        func = node.func
        name = dotted(func)
        if isinstance(func, ast.Attribute):
            self.source.called.add(func.attr)
        elif isinstance(func, ast.Name):
            self.source.called.add(func.id)
        first = node.args[0] if node.args else None
        literal = _string(node.args[1]) if len(node.args) > 1 else None
        if isinstance(func, ast.Attribute) and dotted(func.value) in self.environ:
            method = func.attr
            if method in ("get", "setdefault", "pop") and first is not None:
                op = {"get": "read", "pop": "delete"}.get(method, method)
                self.add(node, op, first, deferred, literal if op == "setdefault" else None)
            elif method == "update":
                if first is not None and isinstance(first, ast.Dict):
                    for key, value in zip(first.keys, first.values):
                        if key is not None:
                            self.add(node, "assign", key, deferred, _string(value))
                for keyword in node.keywords:
                    if keyword.arg:
                        self.add(node, "assign", keyword.arg, deferred, _string(keyword.value))
            return
        if name is not None and first is not None:
            if name in self.getenv:
                self.add(node, "read", first, deferred)
            elif name in self.putenv:
                self.add(node, "assign", first, deferred, literal)
            elif name in self.unsetenv:
                self.add(node, "delete", first, deferred)
        loader = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if loader in DOTENV_LOADERS:
            if loader == "read_env" and self.redirected:
                return  # django-environ told to read and write a mapping of its own, not os.environ
            switch = DOTENV_LOADERS[loader]
            override = any(keyword.arg == switch and _true(keyword.value) for keyword in node.keywords)
            path = _string(first) if first is not None else None
            if path is None:
                path = next((_string(k.value) for k in node.keywords if k.arg in ("dotenv_path", "env_file")), None)
            self.source.dotenv_files.append(path)
            self.add(node, "dotenv", DOTENV_OWN_KEYS if override else DOTENV_KEYS, deferred, path, override)

    def returns(self):
        """Per function of the module, the string literals it returns (a WSGIDispatchScript's
        process_group() and application_group()); None in the list where it returns anything else."""
        found = {}
        for node in self.tree.body if hasattr(self.tree, "body") else []:
            if isinstance(node, ast.FunctionDef):
                values = []
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Return):
                        value = inner.value
                        values.append(None if value is None or _string(value) is None else _string(value))
                found[node.name] = values
        return found


# --- The tolerant reader: tokens ----------------------------------------------------------
NAME, NUMBER, STRING, OP = "name", "number", "string", "op"


class LexError(Exception):
    pass


_PREFIX = re.compile(r"(?i)(?:br|rb|ur|ru|fr|rf|b|r|u|f)?(?='|\")")
_NAME = re.compile(r"[^\W\d]\w*", re.UNICODE)
_NUMBER = re.compile(r"(?:\d[\w]*(?:\.\w*)?|\.\d\w*)(?:[eE][-+]?\d+\w*)?", re.UNICODE)
_OPS = sorted(
    "**= //= >>= <<= ... -> := == != <> <= >= += -= *= /= %= &= |= ^= @= ** // << >> ( ) [ ] { } "
    ", : . ; @ = + - * / % & | ^ ~ < > ! `".split(),
    key=len,
    reverse=True,
)


def tokenize(text):
    """(kind, text, line, col, depth) of every token, depth being the bracket nesting before
    it; comments dropped; NEWLINE tokens ('nl') end logical lines (outside brackets). Reads
    Python 2 and 3 alike: print statements, 0027, backticks, f-strings (nested quotes too)."""
    tokens, i, line, col, depth, n = [], 0, 1, 0, 0, len(text)
    line_start = 0
    while i < n:
        ch = text[i]
        col = i - line_start
        if ch == "\n":
            if depth == 0:
                tokens.append(("nl", "\n", line, col, 0))
            i, line, line_start = i + 1, line + 1, i + 1
            continue
        if ch in " \t\r\f":
            i += 1
            continue
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if ch == "\\" and text[i + 1 : i + 2] == "\n":
            i, line, line_start = i + 2, line + 1, i + 2
            continue
        if ch == "\\" and text[i + 1 : i + 3] == "\r\n":
            i, line, line_start = i + 3, line + 1, i + 3
            continue
        prefix = _PREFIX.match(text, i)
        if prefix is not None:
            start_line, start_col = line, col
            end, lines, last_newline = scan_string(text, prefix.end(), "f" in prefix.group(0).lower())
            if last_newline is not None:
                line_start = last_newline + 1
            tokens.append((STRING, text[i:end], start_line, start_col, depth))
            i, line = end, line + lines
            continue
        match = _NAME.match(text, i)
        if match:
            tokens.append((NAME, match.group(0), line, col, depth))
            i = match.end()
            continue
        match = _NUMBER.match(text, i)
        if match:
            tokens.append((NUMBER, match.group(0), line, col, depth))
            i = match.end()
            continue
        for op in _OPS:
            if text.startswith(op, i):
                if op in ")]}":
                    depth = max(0, depth - 1)
                tokens.append((OP, op, line, col, depth))
                if op in "([{":
                    depth += 1
                i += len(op)
                break
        else:
            tokens.append((OP, ch, line, col, depth))  # anything else: one character, as is
            i += 1
    tokens.append(("nl", "\n", line, 0, 0))
    return tokens


def scan_string(text, i, formatted):
    """The end of the string literal whose quote is at i; (end, newlines, index of the last
    newline or None). An f-string's replacement fields may hold strings of their own."""
    quote = text[i : i + 3] if text[i : i + 3] in ('"""', "'''") else text[i]
    i += len(quote)
    lines, last, n, braces = 0, None, len(text), 0
    while i < n:
        ch = text[i]
        if ch == "\\" and braces == 0:
            if text[i + 1 : i + 2] == "\n":
                lines, last = lines + 1, i + 1
            i += 2
            continue
        if ch == "\n":
            if len(quote) == 1 and braces == 0:
                raise LexError("a string left open at the end of a line")
            lines, last = lines + 1, i
        if formatted and ch == "{":
            if text[i + 1 : i + 2] == "{" and braces == 0:
                i += 2
                continue
            braces += 1
        elif formatted and ch == "}" and braces:
            braces -= 1
        elif braces and ch in "'\"":
            inner = _PREFIX.match(text, i)
            end, more, newline = scan_string(text, inner.end() if inner else i, False)
            lines += more
            last = newline if newline is not None else last
            i = end
            continue
        elif braces == 0 and text.startswith(quote, i):
            return i + len(quote), lines, last
        i += 1
    raise LexError("a string left open at the end of the file")


def fstring_fields(token):
    """The tokens of each replacement field of an f-string token (their lines and columns those
    of the string itself)."""
    text = token[1]
    body = text[_PREFIX.match(text).end() :]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    inner = body[len(quote) : -len(quote)]
    fields, depth, start, i = [], 0, None, 0
    while i < len(inner):
        ch = inner[i]
        if ch == "{" and depth == 0 and inner[i + 1 : i + 2] == "{":
            i += 2
            continue
        if ch == "{":
            if depth == 0:
                start = i + 1
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0 and start is not None:
                fields.append(inner[start:i])
        elif depth and ch in "'\"":
            try:
                i = scan_string(inner, i, False)[0]
            except LexError:
                return []
            continue
        i += 1
    found = []
    for field in fields:
        expression = re.split(r"(?<![=!<>])(?:![rsa])?:(?![=])|![rsa]$", field, maxsplit=1)[0] if field else field
        try:
            tokens = [t for t in tokenize(expression) if t[0] != "nl"]
        except LexError:
            continue
        found.append([(kind, value, token[2], token[3], depth) for kind, value, _, _, depth in tokens])
    return found


def logical_lines(tokens):
    """The tokens of each logical line (without its NEWLINE)."""
    found, current = [], []
    for token in tokens:
        if token[0] == "nl":
            if current:
                found.append(current)
            current = []
        else:
            current.append(token)
    return found


def literal(token):
    """The value of a string token (without prefixes or escapes beyond the simplest)."""
    if token is None or token[0] != STRING:
        return None
    text = token[1]
    body = text[_PREFIX.match(text).end() :]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    value = body[len(quote) : -len(quote)]
    if "f" in text[: len(text) - len(body)].lower() and "{" in value:
        return None  # a formatted value: not a constant
    return value


class TokenReader(object):
    """Events from tokens, for a file this Python's parser refused: the same patterns the
    syntax tree gives (os.environ[...] reads and writes, .get/.setdefault/.pop/.update,
    getenv/putenv/unsetenv, load_dotenv()/read_env()), the same evaluation order within a
    statement (the value before the targets, a call's arguments before the call), and
    `deferred` from the indentation of def blocks and lambda bodies."""

    def __init__(self, source, text):
        self.source, self.text = source, text
        self.environ = set()
        self.getenv, self.putenv, self.unsetenv = set(), set(), set()
        self.redirected = False

    def run(self):
        try:
            lines = logical_lines(tokenize(self.text))
        except LexError as error:
            self.source.error = "neither this Python's parser nor the tolerant reader takes it (%s)" % error
            return
        self.names(lines)
        def_levels = []
        for tokens in lines:
            indent = tokens[0][3]
            while def_levels and indent <= def_levels[-1]:
                def_levels.pop()
            words = [t[1] for t in tokens]
            in_def = bool(def_levels)
            head = words[1:] if words[:1] == ["async"] else words
            if head[:1] == ["def"]:
                # A one-line body after the def's own colon runs at each call too.
                colon = self.def_colon(tokens)
                self.statement(tokens[:colon], in_def)
                self.statement(tokens[colon + 1 :], True)
                if colon + 1 >= len(tokens):
                    def_levels.append(indent)
                continue
            self.statement(tokens, in_def)

    def def_colon(self, tokens):
        for index, token in enumerate(tokens):
            if token[1] == ":" and token[4] == tokens[0][4]:
                return index
        return len(tokens) - 1

    def names(self, lines):
        for tokens in lines:
            words = [t[1] for t in tokens]
            if words[:1] == ["import"]:
                for part in " ".join(words[1:]).split(","):
                    pieces = part.replace(" . ", ".").replace(" .", ".").replace(". ", ".").split()
                    if not pieces:
                        continue
                    module, alias = pieces[0], pieces[-1] if "as" in pieces else pieces[0]
                    self.source.imports.append(module)
                    if module in ("os", "posix"):
                        self.environ.add(alias + ".environ")
                        self.getenv.add(alias + ".getenv")
                        self.putenv.add(alias + ".putenv")
                        self.unsetenv.add(alias + ".unsetenv")
            elif words[:1] == ["from"] and "import" in words:
                at = words.index("import")
                module = "".join(words[1:at])
                names = [w for w in words[at + 1 :] if w not in ("(", ")")]
                entries = " ".join(names).split(",")
                if module and not module.startswith("."):
                    self.source.imports.append(module)
                for entry in entries:
                    pieces = entry.split()
                    if not pieces:
                        continue
                    if module and not module.startswith("."):
                        self.source.imports.append(module + "." + pieces[0])
                    if module in ("os", "posix"):
                        alias = pieces[-1]
                        table = {"environ": self.environ, "getenv": self.getenv, "putenv": self.putenv,
                                 "unsetenv": self.unsetenv}.get(pieces[0])  # fmt: skip
                        if table is not None:
                            table.add(alias)
        for tokens in lines:
            targets, value = self.split_assignment(tokens)
            if targets and self.chain_text(value, 0)[0] in self.environ and self.chain_text(value, 0)[1] == len(value):
                for target in targets:
                    text, end = self.chain_text(target, 0)
                    if text and end == len(target):
                        self.environ.add(text)
            for target in targets:
                text, end = self.chain_text(target, 0)
                if text and text.endswith(".ENVIRON"):
                    self.redirected = True

    def chain_text(self, tokens, i):
        """The dotted name starting at tokens[i] (a.b.c) and the index after it."""
        if i >= len(tokens) or tokens[i][0] != NAME:
            return None, i
        parts, j = [tokens[i][1]], i + 1
        while j + 1 < len(tokens) and tokens[j][1] == "." and tokens[j + 1][0] == NAME:
            parts.append(tokens[j + 1][1])
            j += 2
        return ".".join(parts), j

    def split_assignment(self, tokens):
        """([target token lists], value tokens) of an assignment statement; ([], tokens) else."""
        cuts = [k for k, t in enumerate(tokens) if t[1] == "=" and t[4] == tokens[0][4]]
        if not cuts:
            return [], tokens
        pieces, start = [], 0
        for cut in cuts:
            pieces.append(tokens[start:cut])
            start = cut + 1
        return pieces, tokens[start:]

    def matching(self, tokens, i):
        """The index of the bracket closing the one at tokens[i]."""
        depth = tokens[i][4]
        for j in range(i + 1, len(tokens)):
            if tokens[j][1] in ")]}" and tokens[j][4] == depth:
                return j
        return len(tokens) - 1

    def statement(self, tokens, deferred):
        if not tokens:
            return
        aug = next((k for k, t in enumerate(tokens) if t[4] == tokens[0][4] and t[0] == OP and len(t[1]) > 1
                    and t[1].endswith("=") and t[1] not in ("==", "!=", "<=", ">=", "<>")), None)  # fmt: skip
        targets, value = self.split_assignment(tokens)
        found = []  # (position, event)
        if aug is not None:
            target, value = tokens[:aug], tokens[aug + 1 :]
            self.scan(target, deferred, found, 0, as_target="augmented")
            self.scan(value, deferred, found, len(tokens) + 1)
            for position, event in list(found):
                if event.op == "assign" and position < len(tokens) + 1:
                    found.remove((position, event))
                    found.append((2 * len(tokens) + 2, event))
        else:
            self.scan(value, deferred, found, 0)
            for number, target in enumerate(targets):
                self.scan(target, deferred, found, len(tokens) + 1 + number * (len(tokens) + 1), as_target="target")
        if tokens[0][1] == "del":
            for _, event in found:
                if event.op == "read":
                    event.op = "delete"
        found.sort(key=lambda pair: pair[0])
        self.source.events.extend(event for _, event in found)

    def scan(self, tokens, deferred, found, base, as_target=None):
        """Every environment use in `tokens`; a use's position is where it happens (a call at its
        closing parenthesis), offset by `base`; lambda bodies are deferred."""
        lambda_depths = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            while lambda_depths and (
                token[4] < lambda_depths[-1] or (token[1] == "," and token[4] == lambda_depths[-1])
            ):
                lambda_depths.pop()
            later = deferred or bool(lambda_depths)
            if token[1] == "lambda":
                colon = next((j for j in range(i + 1, len(tokens)) if tokens[j][1] == ":" and
                              tokens[j][4] == token[4]), None)  # fmt: skip
                if colon is not None:
                    lambda_depths.append(token[4])
                    i = colon + 1
                    continue
            if token[0] == STRING and "f" in token[1][: _PREFIX.match(token[1]).end()].lower():
                for field in fstring_fields(token):
                    self.scan(field, later, found, base + i)
                i += 1
                continue
            chain, end = self.chain_text(tokens, i)
            if chain is None:
                i += 1
                continue
            if i > 0 and tokens[i - 1][1] == ".":
                i = end
                continue
            nxt = tokens[end] if end < len(tokens) else None
            if chain in self.environ and nxt is not None and nxt[1] == "[":
                close = self.matching(tokens, end)
                key = literal(tokens[end + 1]) if close == end + 2 else None
                op = "read"
                if as_target and close == len(tokens) - 1:
                    op = "assign"
                if key:
                    if as_target == "augmented" and op == "assign":
                        found.append((base + close, self.event(token, "read", key, later)))
                    found.append((base + close, self.event(token, op, key, later)))
                i = end + 1
                continue
            if nxt is not None and nxt[1] == "(":
                close = self.matching(tokens, end)
                args = tokens[end + 1 : close]
                self.call(chain, token, args, later, found, base + close)
                i = end + 1
                continue
            i = end
        return found

    def event(self, token, op, name, deferred, value=None, override=False):
        return Event(token[2], token[3] + 1, op, name, value, deferred, override=override)

    def arguments(self, args):
        """The top-level arguments of a call, as token lists."""
        if not args:
            return []
        depth, found, current = args[0][4], [], []
        for token in args:
            if token[1] == "," and token[4] == depth:
                found.append(current)
                current = []
            else:
                current.append(token)
        if current:
            found.append(current)
        return found

    def call(self, chain, token, args, deferred, found, position):
        self.source.called.add(chain.rpartition(".")[2])
        parts = self.arguments(args)
        first = literal(parts[0][0]) if parts and len(parts[0]) == 1 else None
        second = literal(parts[1][0]) if len(parts) > 1 and len(parts[1]) == 1 else None
        owner, _, method = chain.rpartition(".")
        if owner in self.environ:
            if method in ("get", "setdefault", "pop") and first:
                op = {"get": "read", "pop": "delete"}.get(method, method)
                found.append((position, self.event(token, op, first, deferred, second if op == "setdefault" else None)))
            elif method == "update":
                for part in parts:
                    if len(part) >= 2 and part[0][0] == NAME and part[1][1] == "=":
                        value = literal(part[2]) if len(part) == 3 else None
                        found.append((position, self.event(token, "assign", part[0][1], deferred, value)))
                    elif part and part[0][1] == "{":
                        inner = self.arguments(part[1:-1])
                        for pair in inner:
                            if len(pair) >= 3 and pair[0][0] == STRING and pair[1][1] == ":":
                                value = literal(pair[2]) if len(pair) == 3 else None
                                found.append((position, self.event(token, "assign", literal(pair[0]), deferred, value)))
            return
        if first and chain in self.getenv:
            found.append((position, self.event(token, "read", first, deferred)))
        elif first and chain in self.putenv:
            found.append((position, self.event(token, "assign", first, deferred, second)))
        elif first and chain in self.unsetenv:
            found.append((position, self.event(token, "delete", first, deferred)))
        if method in DOTENV_LOADERS or chain in DOTENV_LOADERS:
            loader = method or chain
            if loader == "read_env" and self.redirected:
                return
            switch = DOTENV_LOADERS[loader]
            override = any(len(part) == 3 and part[0][1] == switch and part[1][1] == "=" and part[2][1] == "True"
                           for part in parts)  # fmt: skip
            path = first
            for part in parts:
                if len(part) == 3 and part[0][1] in ("dotenv_path", "env_file") and part[1][1] == "=":
                    path = literal(part[2])
            self.source.dotenv_files.append(path)
            found.append((position, self.event(token, "dotenv", DOTENV_OWN_KEYS if override else DOTENV_KEYS,
                                               deferred, path, override)))  # fmt: skip


def dotenv_keys(path):
    """The keys a .env file defines (python-dotenv's and django-environ's format), or None."""
    try:
        with io.open(path, encoding="utf-8", errors="replace") as source:
            lines = source.read().splitlines()
    except (IOError, OSError):
        return None
    keys = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].strip()
        name = line.split("=", 1)[0].strip()
        if "=" in line and re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", name):
            keys.append(name)
    return keys
