"""envleak check where uWSGI runs the apps: .ini files, command lines and emperors. uWSGI's
python plugin gives every app after the first a sub-interpreter of its own in the same worker
unless single-interpreter is set (plugins/python/pyloader.c). Standard library only."""

import os
import shutil
import tempfile
import textwrap
import unittest

from envleak import check as checking
from envleak import uwsgi

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
DEBIAN = os.path.join(FIXTURES, "uwsgi-debian")
EMPEROR = os.path.join(FIXTURES, "uwsgi-emperor")
APP = 'import os\nos.environ.setdefault("CELERY_CONFIG_MODULE", "{app}.celeryconfig")\ndef application(e, s):\n' \
      '    return [os.environ["CELERY_CONFIG_MODULE"].encode()]\n'  # fmt: skip
ASSIGN = 'import os\nos.environ["CELERY_CONFIG_MODULE"] = "{app}.celeryconfig"\napplication = None\n'


def codes_of(result, severity="error"):
    return sorted(set(f["code"] for f in result["findings"] if f["severity"] == severity))


class Ini(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="envleak-uwsgi-")
        self.addCleanup(shutil.rmtree, self.folder)
        for app in ("app1", "app2"):
            self.write("%s.py" % app, APP.format(app=app))

    def write(self, name, text):
        path = os.path.join(self.folder, name)
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        with open(path, "w") as out:
            out.write(textwrap.dedent(text))
        return path

    def check(self, *names, **options):
        return checking.check([os.path.join(self.folder, n) for n in names], **options)

    def test_two_mounts_in_one_instance_are_risky(self):
        self.write("two.ini", """
            [uwsgi]
            plugin = python3
            http-socket = 127.0.0.1:8080
            processes = 1
            threads = 2
            chdir = %d
            mount = /app1=app1.py
            mount = /app2=app2.py
            manage-script-name = true
            """)  # fmt: skip
        result = self.check("two.ini")
        self.assertEqual(codes_of(result), ["EL201"])
        (process,) = result["processes"].values()
        self.assertEqual(process["interpreters"], ["main interpreter", "sub-interpreter 1"])
        self.assertEqual(process["server"], "uwsgi")

    def test_processes_and_lazy_apps_do_not_separate_the_apps(self):
        self.write("lazy.ini", "[uwsgi]\nprocesses = 4\nlazy-apps = true\nmount = /a=%dapp1.py\nmount = /b=%dapp2.py\n")
        result = self.check("lazy.ini")
        self.assertEqual(result["exit"], 1)
        self.assertIn("4 workers, each holding every app; apps loaded after fork: lazy-apps",
                      list(result["processes"].values())[0]["label"])  # fmt: skip

    def test_single_interpreter_puts_both_apps_in_one_interpreter(self):
        self.write("single.ini", "[uwsgi]\nsingle-interpreter = true\nmount = /a=%dapp1.py\nmount = /b=%dapp2.py\n")
        result = self.check("single.ini")
        self.assertEqual(codes_of(result), ["EL203"])
        self.assertEqual(list(result["processes"].values())[0]["interpreters"], ["main interpreter"])

    def test_one_app_per_instance_is_not_risky(self):
        for app in ("app1", "app2"):
            self.write("vassals/%s.ini" % app, "[uwsgi]\nsingle-interpreter = true\nwsgi-file = %%d../%s.py\n" % app)
        self.write("emperor.ini", "[uwsgi]\nemperor = %dvassals\n")
        result = self.check("emperor.ini")
        self.assertEqual(result["exit"], 0, result["lines"])
        self.assertEqual(len(result["processes"]), 2)
        # A folder of vassals is one instance per file as well.
        self.assertEqual(self.check("vassals")["exit"], 0)

    def test_module_and_wsgi_file_load_into_the_main_interpreter(self):
        self.write("pkg/__init__.py", "")
        self.write("pkg/site.py", APP.format(app="pkg"))
        self.write("main.ini", "[uwsgi]\npythonpath = %d\nmodule = pkg.site:application\nwsgi-file = %dapp1.py\n")
        result = self.check("main.ini")
        self.assertEqual(list(result["processes"].values())[0]["interpreters"], ["main interpreter"])
        self.assertEqual(codes_of(result), ["EL203"])

    def test_vhost_routes_load_each_file_in_an_interpreter_of_its_own(self):
        self.write("vhost.ini", """
            [uwsgi]
            vhost = true
            route-host = ^app1\\.example\\.com$ setfile:%dapp1.py
            route-host = ^app2\\.example\\.com$ setfile:%dapp2.py
            """)  # fmt: skip
        result = self.check("vhost.ini")
        self.assertEqual(codes_of(result), ["EL201"])

    def test_routed_dispatchers_run_the_scripts_given(self):
        """Each route's file loads the app's entry itself (the lab's uwsgi/app1.wsgi): the scripts
        given stand for what runs in each route's interpreter, as under a mounted dispatcher."""
        router = "import importlib\ndef load(name):\n    return importlib.import_module(name).application\n"
        self.write("router.py", router)
        dispatcher = "import router\napplication = router.load('the entry a run file names')\n"
        self.write("d1.py", dispatcher)
        self.write("d2.py", dispatcher)
        self.write("vhost.ini", """
            [uwsgi]
            vhost = true
            route-host = ^app1\\.example\\.com$ setfile:%dd1.py
            route-host = ^app2\\.example\\.com$ setfile:%dd2.py
            """)  # fmt: skip
        self.assertEqual(codes_of(self.check("vhost.ini")), [])  # the dispatchers alone write nothing
        self.assertEqual(codes_of(self.check("vhost.ini", "app1.py", "app2.py")), ["EL201"])
        self.write("fixed1.py", ASSIGN.format(app="app1"))
        self.write("fixed2.py", ASSIGN.format(app="app2"))
        self.assertEqual(codes_of(self.check("vhost.ini", "fixed1.py", "fixed2.py")), [])
        for app in ("1", "2"):  # one instance per app, single-interpreter: nothing passes
            route = "route-host = ^app%s\\.example\\.com$ setfile:%s/d%s.py\n" % (app, self.folder, app)
            self.write("vassals/a%s.ini" % app, "[uwsgi]\nsingle-interpreter = true\n" + route)
        self.assertEqual(codes_of(self.check("vassals", "app1.py", "app2.py")), [])

    def test_vhost_apps_named_by_the_web_server_cannot_be_seen(self):
        self.write("dynamic.ini", "[uwsgi]\nvhost = true\nsocket = /run/uwsgi.sock\n")
        result = self.check("dynamic.ini")
        self.assertEqual((result["exit"], codes_of(result, "warning")), (2, ["EL221"]))
        result = self.check("dynamic.ini", "app1.py", "app2.py")  # the apps it loads, named
        self.assertEqual(codes_of(result), ["EL201"])

    def test_placeholders_and_ini_includes(self):
        self.write("base.ini", "[uwsgi]\nbase = %d\n")
        self.write("site.ini", "[uwsgi]\nini = base.ini\nmount = /a=%(base)app1.py\nmount = /b=%(base)app2.py\n")
        options = uwsgi.read_ini(os.path.join(self.folder, "site.ini"))
        self.assertEqual([v for k, v, _ in options if k == "mount"][0], "/a=%s/app1.py" % self.folder)
        self.assertEqual(self.check("site.ini")["exit"], 1)

    def test_the_python_of_home_and_of_the_plugin(self):
        self.write("a.ini", "[uwsgi]\nplugin = python27\nmount = /a=%dapp1.py\nmount = /b=%dapp2.py\n")
        self.assertEqual([r["python"] for r in self.check("a.ini")["rules"]], ["2.7"])
        self.write("venv/pyvenv.cfg", "version = 3.8.18\n")
        self.write("b.ini", "[uwsgi]\nvirtualenv = %dvenv\nmount = /a=%dapp1.py\nmount = /b=%dapp2.py\n")
        self.assertEqual([r["python"] for r in self.check("b.ini")["rules"]], ["3.8"])

    def test_assignment_under_a_shared_python_or_reload_os_env(self):
        for app in ("app1", "app2"):
            self.write("%s.py" % app, ASSIGN.format(app=app))
        self.write("two.ini", "[uwsgi]\nmount = /a=%dapp1.py\nmount = /b=%dapp2.py\n")
        self.assertEqual(self.check("two.ini")["exit"], 0)
        self.assertEqual(codes_of(self.check("two.ini", python="2.7")), ["EL202"])
        self.write("reload.ini", "[uwsgi]\nreload-os-env = true\nmount = /a=%dapp1.py\nmount = /b=%dapp2.py\n")
        result = self.check("reload.ini")
        self.assertEqual(codes_of(result), ["EL202"])
        self.assertTrue(result["rules"][0]["shared_environ"])


class CommandLine(unittest.TestCase):
    def test_the_same_options_on_a_command_line(self):
        options = uwsgi.parse_args(["uwsgi", "--plugin", "python3", "-i", "--processes=2", "-p", "4", "--mount",
                                    "/a=a.py", "--lazy-apps", "--vhost", "-M"])  # fmt: skip
        self.assertEqual([(k, v) for k, v, _ in options], [
            ("plugin", "python3"), ("single-interpreter", "true"), ("processes", "2"), ("processes", "4"),
            ("mount", "/a=a.py"), ("lazy-apps", "true"), ("vhost", "true"), ("master", "true")])  # fmt: skip

    def test_a_command_line_instance(self):
        apps = [os.path.join(DEBIAN, "srv", app, "wsgi.py") for app in ("shop", "blog")]
        argv = ["uwsgi", "--mount", "/shop=" + apps[0], "--mount", "/blog=" + apps[1]]
        self.assertEqual(checking.check([], uwsgi_args=argv)["exit"], 1)
        self.assertEqual(checking.check([], uwsgi_args=argv + ["--single-interpreter"])["exit"], 1)  # EL203
        self.assertEqual(checking.check([], uwsgi_args=["uwsgi", "-i", "--wsgi-file", apps[0]])["exit"], 0)


class DistributionTrees(unittest.TestCase):
    def test_debian_apps_enabled_with_virtual_hosting(self):
        result = checking.check([os.path.join(DEBIAN, "etc", "uwsgi")], root=DEBIAN)
        self.assertEqual(result["exit"], 1, result["lines"])
        self.assertEqual(result["variables"], ["CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"])

    def test_an_emperor_with_one_vassal_per_app(self):
        result = checking.check([os.path.join(EMPEROR, "etc", "uwsgi", "emperor.ini")], root=EMPEROR)
        self.assertEqual(result["exit"], 0, result["lines"])
        self.assertEqual(len(result["processes"]), 2)


if __name__ == "__main__":
    unittest.main()
