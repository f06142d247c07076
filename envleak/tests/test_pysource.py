"""The script reader: Python's own parser and the tolerant token reader give the same uses, in
evaluation order, for Python 2 and Python 3 scripts alike, whichever Python runs envleak."""

import os
import shutil
import sys
import tempfile
import textwrap
import unittest

from envleak import pysource

# Both readers must see the same thing in this file: it parses on Python 2.7 and 3.
COMMON = textwrap.dedent('''
    import os
    from os import environ as env, getenv
    from dotenv import load_dotenv
    load_dotenv("/srv/app1/.env", override=True)
    os.environ["PYTHONPATH"] = extra + os.environ.get("PYTHONPATH", "")
    os.environ.setdefault("CELERY_CONFIG_MODULE", os.environ.get("OTHER"))
    env["TRAC_ENV"] = "/srv/trac"
    def application(environ, start_response):
        x = os.environ["TRAC_ENV"]
        f = lambda: getenv("LAZY")
        return []
    class Settings(object):
        DEBUG = os.environ.get("DEBUG")
        def method(self):
            return os.environ.get("IN_METHOD")
    del os.environ["GONE"]
    os.environ["N"] += "x"
    os.environ.update({"A": "1"}, B="2")
    y = lambda: os.environ["LAMBDA"]
    os.putenv("C_ONLY", "v")
    os.environ.pop("POPPED", None)
    ''')  # fmt: skip
EXPECTED = [
    ("dotenv", pysource.DOTENV_OWN_KEYS, False),
    ("read", "PYTHONPATH", False),
    ("assign", "PYTHONPATH", False),
    ("read", "OTHER", False),
    ("setdefault", "CELERY_CONFIG_MODULE", False),
    ("assign", "TRAC_ENV", False),
    ("read", "TRAC_ENV", True),
    ("read", "LAZY", True),
    ("read", "DEBUG", False),
    ("read", "IN_METHOD", True),
    ("delete", "GONE", False),
    ("read", "N", False),
    ("assign", "N", False),
    ("assign", "A", False),
    ("assign", "B", False),
    ("read", "LAMBDA", True),
    ("assign", "C_ONLY", False),
    ("delete", "POPPED", False),
]
PY2_ONLY = textwrap.dedent('''
    import os
    print "starting", os.getpid()
    os.umask(0027)
    try:
        import json
    except ImportError, error:
        raise SystemExit, "no json"
    exec "x = 1"
    value = `os.environ.get("REPR")`
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", ur"site.settings")
    ''')  # fmt: skip
PY3_ONLY = textwrap.dedent('''
    import os
    name: str = f"{os.environ.get('APP', 'x')}-{1 + 2!r:>4}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")
    async def handler(scope):
        if (value := os.environ.get("LAZY")) is not None:
            print(value, end="")
        return f"""{value}
    {os.environ["SERVED"]}"""
    first, *rest = [1, 2, 3]
    print(f"{'nested "quotes"'}", rb"raw\\bytes")
    ''')  # fmt: skip


class Readers(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="envleak-source-")
        self.addCleanup(shutil.rmtree, self.folder)

    def write(self, text, name="script.py"):
        path = os.path.join(self.folder, name)
        with open(path, "w") as out:
            out.write(text)
        return path

    def events(self, source):
        return [(e.op, e.name, e.deferred) for e in source.events]

    def test_ast_and_tokens_agree(self):
        path = self.write(COMMON)
        parsed = pysource.read(path)
        self.assertEqual(parsed.reader, "ast")
        self.assertEqual(self.events(parsed), EXPECTED)
        tolerant = pysource.Source(path)
        pysource.TokenReader(tolerant, pysource.read_text(path)).run()
        self.assertEqual(self.events(tolerant), EXPECTED)
        self.assertEqual([(e.line, e.col) for e in tolerant.events], [(e.line, e.col) for e in parsed.events])

    def test_a_python_2_script(self):
        found = pysource.read(self.write(PY2_ONLY))
        self.assertEqual(self.events(found), [("read", "REPR", False), ("setdefault", "DJANGO_SETTINGS_MODULE", False)])
        self.assertEqual(found.events[1].value, "site.settings")

    def test_a_python_3_script(self):
        found = pysource.read(self.write(PY3_ONLY))
        self.assertEqual(self.events(found), [("read", "APP", False), ("setdefault", "DJANGO_SETTINGS_MODULE", False),
                                              ("read", "LAZY", True), ("read", "SERVED", True)])  # fmt: skip

    def test_which_reader_and_why(self):
        py2, py3 = pysource.read(self.write(PY2_ONLY, "a.py")), pysource.read(self.write(PY3_ONLY, "b.py"))
        if sys.version_info[0] == 2:
            self.assertEqual((py2.reader, py3.reader), ("ast", "tokens"))
        else:  # f-strings nesting their own quotes parse from 3.12 (PEP 701)
            self.assertEqual((py2.reader, py3.reader), ("tokens", "ast" if sys.version_info >= (3, 12) else "tokens"))
        for refused in (py2, py3):
            self.assertEqual(bool(refused.refused), refused.reader == "tokens")

    def test_evaluation_order_within_a_statement(self):
        found = pysource.read(self.write('import os\nos.environ["A"] = os.environ.get("A", "") + os.environ["B"]\n'
                                         'os.environ.setdefault("C", os.environ.get("D"))\n'))  # fmt: skip
        self.assertEqual(
            [(e.op, e.name) for e in found.events],
            [("read", "A"), ("read", "B"), ("assign", "A"), ("read", "D"), ("setdefault", "C")],
        )
        self.assertEqual([e.order for e in found.events], [0, 1, 2, 3, 4])

    def test_a_one_line_def_and_a_decorator(self):
        found = pysource.read(
            self.write('import os\n@register(os.environ.get("NOW"))\ndef f(): return os.environ["LATER"]\n')
        )
        self.assertEqual(self.events(found), [("read", "NOW", False), ("read", "LATER", True)])

    def test_tokens_of_strings_comments_and_continuations(self):
        text = 'x = """a\n# not a comment\n" still"""  # a comment with "quotes\ny = \\\n    os.environ["X"]\n'
        tokens = pysource.tokenize("import os\n" + text)
        self.assertIn(("string", '"""a\n# not a comment\n" still"""'), [(t[0], t[1]) for t in tokens])
        source = pysource.Source("x")
        pysource.TokenReader(source, "import os\n" + text).run()
        self.assertEqual([(e.line, e.op, e.name) for e in source.events], [(6, "read", "X")])

    def test_is_python(self):
        self.assertTrue(pysource.is_python(self.write(PY2_ONLY, "entry")))
        self.assertTrue(pysource.is_python(self.write(PY3_ONLY, "entry3")))
        self.assertFalse(pysource.is_python(self.write("WSGIScriptAlias /a /srv/a\nWSGIApplicationGroup %{GLOBAL}\n",
                                                       "site")))  # fmt: skip

    def test_dotenv_keys(self):
        path = self.write("# comment\nexport DATABASE_URL=postgres://x\nSECRET_KEY = 'y'\n\nnot a line\n", ".env")
        self.assertEqual(pysource.dotenv_keys(path), ["DATABASE_URL", "SECRET_KEY"])
        self.assertIsNone(pysource.dotenv_keys(os.path.join(self.folder, "missing")))

    def test_dispatch_script_literal_returns(self):
        found = pysource.read(self.write('def application_group(environ):\n    if environ.get("X"):\n'
                                         '        return "a"\n    return "b"\n'))  # fmt: skip
        self.assertEqual(sorted(found.literal_returns["application_group"]), ["a", "b"])


if __name__ == "__main__":
    unittest.main()
