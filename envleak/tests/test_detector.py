"""The detector's record and verdicts, in one interpreter. Standard library only: runs on
Python 2.7 and 3.6+ (the sub-interpreter cases run in the lab's tests, with real ones)."""

import json
import os
import subprocess
import sys
import textwrap
import unittest

import envleak

try:
    from collections.abc import MutableMapping
except ImportError:  # Python 2.7
    from UserDict import IterableUserDict as MutableMapping

CELERY = "CELERY_CONFIG_MODULE"
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(envleak.__file__)))


class FakeEnviron(MutableMapping):
    """A mapping shaped like os.environ (Python 3's ABC, Python 2's UserDict)."""

    def __init__(self, values):
        self.data = dict(values)

    def __getitem__(self, key):
        return self.data[key]

    def __setitem__(self, key, value):
        self.data[key] = value

    def __delitem__(self, key):
        del self.data[key]

    def __iter__(self):
        return iter(self.data)

    def __len__(self):
        return len(self.data)


def interpreter(inherited=None, startup=None, watch=envleak.DEFAULT_WATCH, watch_all=False):
    """A recorder and its watched environment, as one interpreter would start."""
    values = dict((k, v) for k, v in (inherited or {}).items() if v is not None)
    environ = FakeEnviron(values)
    recorder = envleak.Recorder(watch, watch_all, environ, startup, pid=1, now=0)
    envleak.watch_environ(environ, recorder)
    return recorder, environ


class Verdicts(unittest.TestCase):
    def test_inherited_kept_by_setdefault_and_read_is_leaked(self):
        recorder, environ = interpreter({CELERY: "app2.celeryconfig"}, startup={})
        environ.setdefault(CELERY, "app1.celeryconfig")
        self.assertEqual(environ.get(CELERY), "app2.celeryconfig")
        found = recorder.finding(CELERY)
        self.assertEqual((found["verdict"], found["how"]), ("leaked", "inherited"))
        self.assertEqual(found["kept_by"]["value"], "app1.celeryconfig")
        self.assertIn("test_detector:test_inherited_kept", found["read_by"])
        self.assertEqual(found["code"], "EL101")
        line = envleak.describe(CELERY, found)
        self.assertTrue(
            line.startswith("CELERY_CONFIG_MODULE=app2.celeryconfig EL101 LEAKED: another interpreter"), line
        )
        self.assertIn("setdefault(app1.celeryconfig) kept it", line)
        self.assertNotIn("assign it", line)
        self.assertIn("config_from_object", line)

    def test_a_variable_no_framework_reads_is_judged_from_the_read_alone(self):
        recorder, environ = interpreter({"APP_MODE": "app2"}, startup={}, watch=("APP_MODE",))
        environ.setdefault("APP_MODE", "app1")
        environ["APP_MODE"]  # the app serves it
        self.assertEqual(recorder.finding("APP_MODE")["verdict"], "leaked")

    def test_its_own_value_is_not_leaked(self):
        recorder, environ = interpreter(startup={})
        environ.setdefault(CELERY, "app1.celeryconfig")
        environ[CELERY]
        self.assertEqual(recorder.finding(CELERY)["verdict"], "own")
        self.assertEqual([w["value"] for w in recorder.writes], ["app1.celeryconfig"])

    def test_overwritten_before_any_read_is_not_leaked(self):
        recorder, environ = interpreter({CELERY: "app2.celeryconfig"}, startup={})
        environ[CELERY] = "app1.celeryconfig"
        environ.get(CELERY)
        self.assertEqual(recorder.finding(CELERY)["verdict"], "own")
        recorder, environ = interpreter({CELERY: "app2.celeryconfig"}, startup={})
        environ[CELERY] = "app1.celeryconfig"
        self.assertEqual(recorder.finding(CELERY)["verdict"], "overwritten")

    def test_apaches_start_up_environment_is_not_a_leak(self):
        recorder, environ = interpreter({CELERY: "site.celeryconfig"}, startup={CELERY: "site.celeryconfig"})
        environ.setdefault(CELERY, "app1.celeryconfig")
        environ[CELERY]
        self.assertEqual(recorder.finding(CELERY)["verdict"], "from_apache")

    def test_a_sibling_value_differs_from_apaches(self):
        recorder, environ = interpreter({CELERY: "app2.celeryconfig"}, startup={CELERY: "site.celeryconfig"})
        environ[CELERY]
        found = recorder.finding(CELERY)
        self.assertEqual(found["verdict"], "leaked")
        self.assertIn("the server started with site.celeryconfig", envleak.describe(CELERY, found))

    def test_unknown_start_up_environment_says_so(self):
        recorder, environ = interpreter({CELERY: "x.celeryconfig"}, startup=None)
        environ[CELERY]
        self.assertIn("could not read it", envleak.describe(CELERY, recorder.finding(CELERY)))

    def test_shared_os_environ_a_value_that_appeared_after_creation(self):
        # Python 2.7 to 3.8: another interpreter writes the one dict after this one started.
        recorder, environ = interpreter(startup={})
        environ.data[CELERY] = "app2.celeryconfig"  # the other interpreter's write
        environ.setdefault(CELERY, "app1.celeryconfig")
        environ[CELERY]
        found = recorder.finding(CELERY)
        self.assertEqual((found["verdict"], found["how"], found["code"]), ("leaked", "appeared", "EL102"))

    def test_shared_os_environ_a_value_changed_after_it_set_its_own(self):
        recorder, environ = interpreter(startup={})
        environ[CELERY] = "app1.celeryconfig"
        environ.data[CELERY] = "app2.celeryconfig"
        environ[CELERY]
        found = recorder.finding(CELERY)
        self.assertEqual((found["verdict"], found["how"], found["code"]), ("leaked", "changed", "EL103"))
        self.assertIn("after this one set app1.celeryconfig", envleak.describe(CELERY, found))

    def test_time_zone_of_the_process(self):
        recorder, environ = interpreter(startup={})
        environ["TZ"] = "Europe/Paris"
        found = recorder.finding("TZ", c_value="America/Chicago")
        self.assertEqual((found["verdict"], found["how"], found["code"]), ("leaked", "process", "EL104"))
        self.assertIn("the C library keeps one per process", envleak.describe("TZ", found))

    def test_watch_every_variable(self):
        recorder, environ = interpreter({"TZ": "Asia/Tokyo", "OTHER": "x"}, startup={}, watch=(), watch_all=True)
        environ["OTHER"]
        self.assertEqual(recorder.names(), ["OTHER"])
        self.assertEqual(recorder.finding("OTHER")["verdict"], "leaked")
        self.assertEqual(recorder.started["inherited"]["TZ"], "Asia/Tokyo")

    def test_contains_and_unwatched_reads_record_nothing(self):
        recorder, environ = interpreter({CELERY: "a", "HOME": "/root"}, startup={})
        self.assertTrue(CELERY in environ)
        environ["HOME"]
        self.assertEqual(recorder.reads, {})

    def test_update_records_what_was_asked(self):
        recorder, environ = interpreter(startup={})
        environ.update({"DATABASE_URL": "postgres://a:pw@db/a"}, TZ="UTC")
        self.assertEqual(sorted(recorder.asked), ["DATABASE_URL", "TZ"])
        self.assertEqual(sorted(w["name"] for w in recorder.writes), ["DATABASE_URL", "TZ"])

    def test_the_record_is_bounded(self):
        recorder, environ = interpreter(startup={})
        for number in range(envleak.MAX_WRITES + 10):
            environ[CELERY] = "value%d" % number
            environ[CELERY]
        self.assertEqual(len(recorder.writes), envleak.MAX_WRITES)
        self.assertEqual(recorder.dropped["writes"], 10)
        self.assertEqual(len(recorder.reads[CELERY]), envleak.MAX_VALUES)

    def test_past_the_values_it_keeps_its_own_writes_are_no_leak(self):
        recorder, environ = interpreter(startup={})
        for number in range(envleak.MAX_WRITES + 20):
            environ[CELERY] = "value%d" % number
        environ[CELERY]  # its own last value, beyond what it kept
        self.assertTrue(recorder.written[CELERY]["overflow"])
        self.assertNotEqual(recorder.finding(CELERY)["verdict"], "leaked")

    def test_only_the_variables_that_changed_are_judged_again(self):
        recorder, environ = interpreter(startup={})
        environ[CELERY] = "one"
        changes = recorder.changes
        environ[CELERY] = "one"  # the same value again: nothing new to judge
        self.assertEqual((recorder.changes, recorder.dirty), (changes, set([CELERY])))

    def test_the_names_are_bounded_too(self):
        recorder, environ = interpreter(startup={}, watch=(), watch_all=True)
        for number in range(envleak.MAX_NAMES + 5):
            environ["NAME_%d" % number] = "x"
            environ["NAME_%d" % number]
        self.assertEqual(len(recorder.reads), envleak.MAX_NAMES)
        self.assertEqual(recorder.dropped["names"], 10)  # 5 writes and 5 reads of names past the bound


class Masking(unittest.TestCase):
    def test_passwords_in_urls(self):
        self.assertEqual(envleak.mask("DATABASE_URL", "postgres://app1:s3cr3t@db/app1"), "postgres://app1:***@db/app1")
        self.assertEqual(
            envleak.mask("CELERY_BROKER_URL", "amqp://u:p@h1//;amqp://u:q@h2//"), "amqp://u:***@h1//;amqp://u:***@h2//"
        )
        self.assertEqual(envleak.mask("CELERY_RESULT_BACKEND", "redis://:pw@cache/0"), "redis://:***@cache/0")
        self.assertEqual(envleak.mask("X_URL", "https://h/?token=abc&x=1"), "https://h/?token=***&x=1")

    def test_secret_values_entirely(self):
        one, two = envleak.mask("SECRET_KEY", "one"), envleak.mask("SECRET_KEY", "two")
        self.assertTrue(one.startswith("*** (sha256 ") and one != two)
        self.assertNotIn("one", one)
        self.assertTrue(envleak.mask("DJANGO_SECRET_KEY", "x").startswith("***"))
        self.assertEqual(envleak.mask("CELERY_CONFIG_MODULE", "app1.celeryconfig"), "app1.celeryconfig")


def run_python(code, env=None):
    """Python code in a new process, with envleak importable; (stdout, stderr). Without the
    site module (-S): an envleak.pth of this Python would start envleak before the code runs."""
    full_env = dict((k, v) for k, v in os.environ.items() if k not in envleak.DEFAULT_WATCH and k != "ENVLEAK_WATCH")
    full_env.update(env or {}, PYTHONPATH=PACKAGE_DIR)
    process = subprocess.Popen(
        [sys.executable, "-S", "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env
    )
    out, err = process.communicate()
    if process.returncode != 0:
        raise AssertionError(err.decode("utf-8"))
    return out.decode("utf-8"), err.decode("utf-8")


APP = """
import json, os, envleak
envleak.start()
os.environ.setdefault("DATABASE_URL", "postgres://app1:own@db/app1")
def app(environ, start_response):
    start_response("200 OK", [])
    return [os.environ["DATABASE_URL"].encode("utf-8")]
application = envleak.wrap(app, url="/__envleak__", secret="s3")
def get(path, **extra):
    seen = []
    environ = dict({"PATH_INFO": path, "REMOTE_ADDR": "10.1.2.3"}, **extra)
    body = b"".join(application(environ, lambda status, headers: seen.append(status)))
    return body.decode("utf-8")
"""


class InOneProcess(unittest.TestCase):
    """The real os.environ of a new Python process, as an interpreter mod_wsgi creates."""

    def test_the_start_up_environment_is_what_the_process_was_started_with(self):
        if not os.path.exists("/proc/self/environ"):
            self.skipTest("no /proc here")
        out, _ = run_python(
            "import os, envleak; envleak.start(); os.environ['ENVLEAK_PROBE'] = 'later'; "
            "print(envleak.startup_environment()['ENVLEAK_PROBE'])",
            {"ENVLEAK_PROBE": "at start"},
        )
        self.assertEqual(out.strip(), "at start")

    def test_a_leak_is_logged_once_masked_and_the_page_is_off_unless_asked(self):
        code = (
            APP + "get('/'); get('/'); print(get('/__envleak__')); print(get('/__envleak__', REMOTE_ADDR='127.0.0.1'))"
        )
        out, err = run_python(code, {"DATABASE_URL": "postgres://app2:theirs@db/app2"})
        # The value came from the process's start-up environment: not a leak.
        self.assertEqual(err, "")
        answer_to_others, report = out.splitlines()
        self.assertEqual(answer_to_others, "postgres://app2:theirs@db/app2")  # the app's own answer
        variables = json.loads(report)["variables"]
        self.assertEqual(variables["DATABASE_URL"]["verdict"], "from_apache")
        self.assertNotIn("theirs", report)

    def test_a_value_written_in_this_process_after_start_is_leaked(self):
        code = (
            "import os; os.environ['DATABASE_URL'] = 'postgres://app2:theirs@db/app2'\n"  # before envleak: a sibling
            + APP
            + "get('/'); get('/'); print(get('/__envleak__', HTTP_X_ENVLEAK_SECRET='s3'))"
        )
        out, err = run_python(code)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("envleak: pid "), lines[0])
        self.assertIn(
            "interpreter 'None': DATABASE_URL=postgres://app2:***@db/app2 EL101 LEAKED: another interp", lines[0]
        )
        self.assertNotIn("theirs", err + out)
        self.assertEqual(json.loads(out)["leaked"], ["DATABASE_URL"])

    def test_off_switch(self):
        out, _ = run_python(
            "import os, envleak\ndef app(e, s): return []\n"
            "print('%s %s' % (envleak.wrap(app) is app, os.environ.__class__.__name__))",
            {"ENVLEAK_WATCH": "none"},
        )
        self.assertEqual(out.split(), ["True", "_Environ"])

    def test_writes_are_seen_on_this_python(self):
        # 3.6 and 3.7 have no audit hooks, and os.environ calls its own putenv reference.
        out, _ = run_python(
            "import os, envleak; envleak.start(); os.environ.pop('CELERY_CONFIG_MODULE', None); "
            "os.environ.setdefault('CELERY_CONFIG_MODULE', 'app1.celeryconfig'); "
            "print([w['value'] for w in envleak.WRITES if w['name'] == 'CELERY_CONFIG_MODULE'])"
        )
        self.assertEqual(out.strip().replace("u'", "'"), "['app1.celeryconfig']")

    def test_importing_any_module_changes_nothing(self):
        out, _ = run_python(
            "import os, sys\nbefore = (type(os.environ), dict(os.environ))\n"
            "import envleak, envleak.check, envleak.cli, envleak.codes, envleak.apache, envleak.uwsgi, "
            "envleak.pysource\n"
            "print('%s %s %s %s' % (type(os.environ) is before[0], os.environ.__class__.__name__, envleak.ACTIVE, "
            "envleak.STARTED['at']))"
        )
        self.assertEqual(out.split(), ["True", "_Environ", "False", "None"])

    def test_start_records_from_then_on_once(self):
        out, _ = run_python(
            "import os, envleak\nos.environ['CELERY_CONFIG_MODULE'] = 'before.start'\n"
            "first = envleak.start(); cls = type(os.environ)\nsecond = envleak.start()\n"
            "os.environ['CELERY_CONFIG_MODULE'] = 'after.start'\n"
            "print('%s %s %s %s %s' % (first, second, type(os.environ) is cls, "
            "envleak.STARTED['inherited']['CELERY_CONFIG_MODULE'], [w['value'] for w in envleak.WRITES]))"
        )
        self.assertEqual(out.replace("u'", "'").split(" ", 4), ["True", "True", "True", "before.start",
                                                                "['after.start']\n"])  # fmt: skip

    def test_wrap_starts_it_late_and_says_so(self):
        code = (
            "import os, envleak\nos.environ.setdefault('DATABASE_URL', 'postgres://own@db/own')\n"
            "def app(environ, start_response):\n    return [os.environ['DATABASE_URL'].encode()]\n"
            "application = envleak.wrap(app)\nprint(b''.join(application({}, None)).decode())\n"
            "print(envleak.report()['started_late'])"
        )
        out, err = run_python(code)
        self.assertEqual(out.split(), ["postgres://own@db/own", "True"])
        (line,) = err.splitlines()  # its own value is no leak: only EL100 says it started late
        self.assertIn(": EL100 recording started at wrap()", line)

    def test_read_by_names_the_configuring_call_not_a_copy(self):
        # Modules named as the real ones: a .env loader's interpolation copies os.environ first,
        # then Celery's default loader reads the module name, then Django's LazySettings._setup.
        code = textwrap.dedent("""
            import os, sys, types, envleak
            os.environ["CELERY_CONFIG_MODULE"] = "app2.celeryconfig"  # another interpreter's, before this one
            os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings"
            envleak.start()
            def module(name, source):
                mod = types.ModuleType(name)
                exec(source, mod.__dict__)
                sys.modules[name] = mod
                return mod
            dotenv = module("dotenv.main", "import os\\ndef resolve_variables():\\n    env = {}\\n"
                            "    env.update(os.environ)\\n")
            loader = module("celery.loaders.default", "import os\\ndef read_configuration():\\n    "
                            "return os.environ.get('CELERY_CONFIG_MODULE')\\n")
            conf = module("django.conf", "import os\\ndef _setup():\\n    "
                          "return os.environ.get('DJANGO_SETTINGS_MODULE')\\n")
            os.environ.setdefault("CELERY_CONFIG_MODULE", "app1.celeryconfig")
            dotenv.resolve_variables()
            def app(environ, start_response):
                loader.read_configuration()
                return []
            application = envleak.wrap(app)
            application({}, None)
            conf._setup()
            application({}, None)
            """)  # fmt: skip
        _, err = run_python(code)
        lines = dict(
            (line.split("': ", 1)[1].split("=")[0], line) for line in err.splitlines() if line.startswith("envleak: ")
        )  # (Python 2 warns about the modules made here)
        self.assertIn("read by celery.loaders.default:read_configuration, Celery's default loader",
                      lines["CELERY_CONFIG_MODULE"])  # fmt: skip
        self.assertIn("read by django.conf:_setup, Django's settings", lines["DJANGO_SETTINGS_MODULE"])
        self.assertNotIn("dotenv", "".join(lines.values()))

    def test_a_copy_alone_waits_then_is_logged(self):
        code = textwrap.dedent("""
            import os, sys, types, envleak
            os.environ["DATABASE_URL"] = "postgres://app2@db/app2"
            envleak.start()
            dotenv = types.ModuleType("dotenv.main")  # a .env loader's interpolation: a copy, no more
            exec("import os\\ndef resolve_variables():\\n    return dict(os.environ)\\n", dotenv.__dict__)
            def app(environ, start_response):
                dotenv.resolve_variables()
                return []
            application = envleak.wrap(app)
            for number in range(envleak.HOLD + 2):
                application({}, None)
                if number == 0:
                    print(len(envleak._logged))
            print(len(envleak._logged))
            """)
        out, err = run_python(code)
        self.assertEqual(out.split(), ["0", "1"])
        self.assertIn("DATABASE_URL=postgres://app2@db/app2 EL101 LEAKED", err)


class ReaderTable(unittest.TestCase):
    def test_the_table_matches_modules_and_functions(self):
        self.assertEqual(envleak._configuring("celery.app.utils", "broker_url")[1], "Celery's Settings.broker_url")
        self.assertEqual(envleak._configuring("kombu.connection", "anything")[1], "kombu's Connection")
        self.assertIsNone(envleak._configuring("celery.app.utilsx", "broker_url"))
        self.assertIsNone(envleak._configuring("ctypes.util", "_findSoname_ldconfig"))


if __name__ == "__main__":
    unittest.main()
