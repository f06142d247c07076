"""envleak check on real configuration trees: each case is one the single-file detector
(envleak 0.1) got wrong. Standard library only: runs on Python 2.7 and 3.6+."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

from envleak import __version__
from envleak import check as checking

HERE = os.path.dirname(os.path.abspath(__file__))
DEBIAN = os.path.join(HERE, "fixtures", "debian")

SETDEFAULT = 'import os\nos.environ.setdefault("CELERY_CONFIG_MODULE", "{app}.celeryconfig")\napplication = None\n'
ASSIGN = 'import os\nos.environ["CELERY_CONFIG_MODULE"] = "{app}.celeryconfig"\napplication = None\n'


class Tree(unittest.TestCase):
    """A folder of configuration files and scripts, written per test."""

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="envleak-check-")
        self.addCleanup(shutil.rmtree, self.folder)

    def write(self, name, text):
        path = os.path.join(self.folder, name)
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        with open(path, "w") as out:
            out.write(textwrap.dedent(text).replace("ROOT", self.folder))
        return path

    def apps(self, body=SETDEFAULT):
        return [self.write("%s.wsgi" % app, body.format(app=app)) for app in ("app1", "app2")]

    def check(self, *paths, **options):
        return checking.check([os.path.join(self.folder, p) for p in paths], **options)


class FollowsTheConfiguration(Tree):
    def test_include_and_include_optional_with_globs_relative_to_server_root(self):
        self.apps()
        self.write("main.conf", "ServerRoot ROOT\nInclude sites/*.conf\nIncludeOptional missing/*.conf\n")
        self.write(
            "sites/two.conf",
            """
            <VirtualHost *:80>
                ServerName one.example.com
                WSGIScriptAlias / ROOT/app1.wsgi
            </VirtualHost>
            <VirtualHost *:80>
                ServerName two.example.com
                WSGIScriptAlias / ROOT/app2.wsgi
            </VirtualHost>
            """,
        )
        result = self.check("main.conf")
        self.assertTrue(result["risky"], result["lines"])
        self.assertEqual(len(result["mounts"]), 2)

    def test_a_directory_is_read_from_its_main_file(self):
        self.apps()
        self.write("apache2.conf", "Include site.conf\n")
        self.write("site.conf", "WSGIApplicationGroup %{ENV:GROUP}\nWSGIScriptAlias / ROOT/app1.wsgi\n")
        self.write("app1.wsgi", SETDEFAULT.format(app="app1"))
        self.assertTrue(checking.check([self.folder])["risky"])

    def test_if_module_of_a_module_not_loaded_is_skipped(self):
        self.apps()
        self.write(
            "main.conf",
            """
            LoadModule wsgi_module modules/mod_wsgi.so
            <IfModule mod_nothing.c>
                WSGIApplicationGroup %{ENV:GROUP}
            </IfModule>
            <IfModule mod_wsgi.c>
                WSGIScriptAlias / ROOT/app1.wsgi
            </IfModule>
            """,
        )
        result = self.check("main.conf", "app1.wsgi", "app2.wsgi")
        self.assertEqual([m["application_group"] for m in result["mounts"]], ["%{RESOURCE}"])
        self.assertFalse(result["risky"], result["lines"])

    def test_if_define_and_define(self):
        self.apps()
        self.write(
            "main.conf",
            """
            Define APPS ROOT
            <IfDefine !ONE_GROUP>
                WSGIApplicationGroup %{ENV:GROUP}
            </IfDefine>
            <IfDefine ONE_GROUP>
                WSGIApplicationGroup %{GLOBAL}
            </IfDefine>
            WSGIScriptAlias / ${APPS}/app1.wsgi
            """,
        )
        self.assertTrue(self.check("main.conf", "app2.wsgi")["risky"])
        self.assertFalse(self.check("main.conf", "app2.wsgi", defines=["ONE_GROUP"])["risky"])
        self.assertEqual(self.check("main.conf")["mounts"][0]["script"], os.path.join(self.folder, "app1.wsgi"))

    def test_quoted_arguments_and_continuation_lines(self):
        self.write("my app.wsgi", SETDEFAULT.format(app="app1"))
        self.write(
            "main.conf",
            'WSGIApplicationGroup "%{ENV:GROUP}"\nWSGIScriptAlias / \\\n    "ROOT/my app.wsgi"\n',
        )
        result = self.check("main.conf")
        self.assertEqual(result["mounts"][0]["script"], os.path.join(self.folder, "my app.wsgi"))
        self.assertTrue(result["risky"], result["lines"])

    def test_two_virtual_hosts_with_their_own_groups_in_one_file(self):
        self.apps()
        self.write(
            "main.conf",
            """
            <VirtualHost *:80>
                ServerName one.example.com
                WSGIApplicationGroup app1
                WSGIScriptAlias / ROOT/app1.wsgi
            </VirtualHost>
            <VirtualHost *:80>
                ServerName two.example.com
                WSGIApplicationGroup app2
                WSGIScriptAlias / ROOT/app2.wsgi
            </VirtualHost>
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(result["processes"]["embedded"]["interpreters"], ["app1", "app2"])
        self.assertTrue(result["risky"], result["lines"])

    def test_script_alias_options_decide_the_process_and_the_group(self):
        self.apps()
        self.write(
            "main.conf",
            """
            WSGIDaemonProcess one
            WSGIDaemonProcess two
            WSGIScriptAlias /one ROOT/app1.wsgi process-group=one application-group=%{GLOBAL}
            WSGIScriptAlias /two ROOT/app2.wsgi process-group=two application-group=%{GLOBAL}
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(sorted(result["processes"]), ["daemon one", "daemon two"])
        self.assertFalse(result["risky"], result["lines"])

    def test_process_group_global_is_embedded_mode(self):
        self.apps()
        self.write(
            "main.conf",
            """
            WSGIProcessGroup %{GLOBAL}
            WSGIScriptAlias /one ROOT/app1.wsgi application-group=app1
            WSGIScriptAlias /two ROOT/app2.wsgi application-group=app2
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(list(result["processes"]), ["embedded"])
        self.assertTrue(result["risky"], result["lines"])

    def test_application_group_global_puts_both_in_the_main_interpreter(self):
        self.apps()
        self.write(
            "main.conf",
            "WSGIApplicationGroup %{GLOBAL}\n"
            "WSGIScriptAlias /one ROOT/app1.wsgi\n"
            "WSGIScriptAlias /two ROOT/app2.wsgi\n",
        )
        result = self.check("main.conf")
        self.assertEqual(result["processes"]["embedded"]["interpreters"], [""])
        self.assertFalse(result["risky"], result["lines"])

    def test_one_daemon_virtual_host_beside_embedded_ones(self):
        self.apps()
        self.write("app3.wsgi", SETDEFAULT.format(app="app3"))
        self.write(
            "main.conf",
            """
            <VirtualHost *:80>
                ServerName one.example.com
                WSGIScriptAlias / ROOT/app1.wsgi
            </VirtualHost>
            <VirtualHost *:80>
                ServerName two.example.com
                WSGIDaemonProcess two
                WSGIProcessGroup two
                WSGIScriptAlias / ROOT/app2.wsgi
            </VirtualHost>
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(result["processes"]["daemon two"]["interpreters"], ["two.example.com|"])
        self.assertFalse(result["risky"], result["lines"])  # app1 is alone in Apache's children
        self.write(
            "more.conf",
            """
            Include main.conf
            <VirtualHost *:80>
                ServerName three.example.com
                WSGIScriptAlias / ROOT/app3.wsgi
            </VirtualHost>
            """,
        )
        result = self.check("more.conf")
        self.assertTrue(result["risky"], result["lines"])
        self.assertEqual(result["processes"]["embedded"]["interpreters"], ["one.example.com|", "three.example.com|"])

    def test_the_daemon_lab_configuration_is_not_risky(self):
        self.apps()
        self.write(
            "main.conf",
            """
            <VirtualHost *:80>
                WSGIApplicationGroup %{ENV:WSGI_APP_GROUP}
                <IfDefine LAB_DAEMON>
                    WSGIDaemonProcess app1
                    WSGIDaemonProcess app2
                    WSGIProcessGroup %{ENV:WSGI_PROCESS_GROUP}
                    WSGIApplicationGroup %{GLOBAL}
                </IfDefine>
                WSGIScriptAlias / ROOT/app1.wsgi
            </VirtualHost>
            """,
        )
        self.assertTrue(self.check("main.conf", "app2.wsgi")["risky"])
        self.assertFalse(self.check("main.conf", "app2.wsgi", defines=["LAB_DAEMON"])["risky"])


class ReadsScriptsWithAst(Tree):
    def uses(self, text, name="script.wsgi"):
        return checking.environ_uses(self.write(name, text))

    def test_from_os_import_environ(self):
        found = self.uses('from os import environ as env\nenv.setdefault("CELERY_CONFIG_MODULE", "a")\n')
        self.assertEqual(found, [(2, "setdefault", "CELERY_CONFIG_MODULE")])

    def test_update_is_a_write(self):
        found = self.uses('import os\nos.environ.update({"DATABASE_URL": "x"}, SECRET_KEY="y")\n')
        self.assertEqual(sorted(found), [(2, "assign", "DATABASE_URL"), (2, "assign", "SECRET_KEY")])

    def test_setdefault_split_over_lines(self):
        found = self.uses('import os\nos.environ.setdefault(\n    "CELERY_CONFIG_MODULE",\n    "a",\n)\n')
        self.assertEqual(found, [(2, "setdefault", "CELERY_CONFIG_MODULE")])

    def test_a_read_is_not_an_assignment(self):
        found = self.uses('import os\nx = os.environ["DATABASE_URL"]\ny = os.getenv("TZ")\nos.environ["A"] = x\n')
        self.assertEqual(found, [(2, "read", "DATABASE_URL"), (3, "read", "TZ"), (4, "assign", "A")])

    def test_a_script_without_a_python_suffix(self):
        self.apps()
        script = self.write("entry", SETDEFAULT.format(app="app3"))
        self.assertFalse(
            checking.is_python(self.write("site", "WSGIScriptAlias /a /srv/a\nWSGIApplicationGroup %{GLOBAL}\n"))
        )
        self.write("main.conf", "WSGIApplicationGroup %{ENV:G}\nWSGIScriptAlias / ROOT/entry\n")
        self.assertTrue(checking.is_python(script))
        self.assertTrue(self.check("main.conf")["risky"])
        self.assertTrue(self.check("main.conf", "entry")["risky"])  # given on the command line too

    def test_assignments_alone_are_not_risky(self):
        self.apps(ASSIGN)
        self.write("main.conf", "WSGIApplicationGroup %{ENV:G}\nWSGIScriptAlias / ROOT/app1.wsgi\n")
        self.assertFalse(self.check("main.conf", "app2.wsgi")["risky"])

    def test_a_read_of_what_another_script_writes_is_risky(self):
        self.write("app1.wsgi", 'import os\nos.environ["DATABASE_URL"] = "postgres://a"\n')
        self.write("app2.wsgi", 'import os\nDATABASES = os.environ.get("DATABASE_URL")\n')
        self.write("main.conf", "WSGIScriptAlias /a ROOT/app1.wsgi\nWSGIScriptAlias /b ROOT/app2.wsgi\n")
        result = self.check("main.conf")
        self.assertEqual(result["variables"], ["DATABASE_URL"])

    def test_a_dotenv_loader_keeps_what_the_process_has_unless_it_overrides(self):
        keeps = self.uses("from dotenv import load_dotenv\nload_dotenv('/srv/app/.env')\n")
        self.assertEqual(keeps, [(2, "setdefault", checking.DOTENV_KEYS)])
        reads = self.uses("import environ\nenviron.Env.read_env('/srv/app/.env')\n")
        self.assertEqual(reads, [(2, "setdefault", checking.DOTENV_KEYS)])
        # override=True still writes a key only its own file defines, for the others to read.
        overrides = self.uses("import dotenv\ndotenv.load_dotenv('/srv/app/.env', override=True)\n")
        self.assertEqual(overrides, [(2, "setdefault", checking.DOTENV_OWN_KEYS)])

    def test_dotenv_values_and_a_redirected_env_write_nothing(self):
        self.assertEqual(self.uses("from dotenv import dotenv_values\nvalues = dotenv_values('.env')\n"), [])
        redirected = "import environ\nenviron.Env.ENVIRON = {}\nenviron.Env.read_env('.env')\n"
        self.assertEqual(self.uses(redirected), [])

    def test_two_apps_loading_their_dotenv_in_one_process_are_risky(self):
        self.apps("from dotenv import load_dotenv\nload_dotenv('/srv/{app}/.env')\napplication = None\n")
        self.write("main.conf", "WSGIApplicationGroup %{ENV:G}\nWSGIScriptAlias / ROOT/app1.wsgi\n")
        result = self.check("main.conf", "app2.wsgi")
        self.assertTrue(result["risky"], result["lines"])

    def test_modules_imported_from_the_python_path_are_followed(self):
        self.write("code/site1/wsgi.py", SETDEFAULT.format(app="site1"))
        self.write("code/site1/__init__.py", "")
        self.write("entry.wsgi", "from site1.wsgi import application\n")
        self.write(
            "main.conf", "WSGIPythonPath ROOT/code\nWSGIApplicationGroup %{ENV:G}\nWSGIScriptAlias / ROOT/entry.wsgi\n"
        )
        result = self.check("main.conf")
        self.assertIn(os.path.join(self.folder, "code", "site1", "wsgi.py"), result["mounts"][0]["files"])
        self.assertTrue(result["risky"], result["lines"])


class DebianLayout(unittest.TestCase):
    """A copy of Debian's /etc/apache2 (apache2.conf including mods-enabled, conf-enabled and
    sites-enabled) holding the 2013 configuration, and the seed's scripts under /srv."""

    def test_the_seed_configuration_is_risky(self):
        result = checking.check([os.path.join(DEBIAN, "etc", "apache2")], root=DEBIAN)
        self.assertTrue(result["risky"], result["lines"])
        self.assertEqual(result["variables"], ["CELERY_CONFIG_MODULE"])
        (mount,) = result["mounts"]
        self.assertEqual(
            (mount["virtual_host"], mount["application_group"]), ("app1.example.com", "%{ENV:WSGI_APP_GROUP}")
        )

    def test_without_the_scripts_it_cannot_tell(self):
        result = checking.check([os.path.join(DEBIAN, "etc", "apache2", "apache2.conf")])
        self.assertFalse(result["risky"])
        self.assertTrue(result["unknown"], result["verdict"])


class CommandLine(unittest.TestCase):
    def run_cli(self, *args):
        here = os.path.dirname(os.path.dirname(os.path.abspath(checking.__file__)))
        env = dict(os.environ, PYTHONPATH=here)
        process = subprocess.Popen(
            [sys.executable, "-S", "-m", "envleak"] + list(args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        out, err = process.communicate()
        return process.returncode, out.decode("utf-8"), err.decode("utf-8")

    def test_exit_codes_and_json(self):
        code, out, _ = self.run_cli("check", "--json", "--root", DEBIAN, os.path.join(DEBIAN, "etc", "apache2"))
        self.assertEqual(code, 1)
        self.assertEqual(json.loads(out)["variables"], ["CELERY_CONFIG_MODULE"])
        code, out, _ = self.run_cli("check", "--root", DEBIAN, os.path.join(DEBIAN, "etc", "apache2"))
        self.assertTrue(out.strip().splitlines()[-1].startswith("envleak check: RISKY"), out)

    def test_usage_errors_exit_2_with_one_line(self):
        for args in (("check",), ("check", "/nonexistent/apache2.conf"), ("frobnicate",), ("check", "--bogus", "x")):
            code, out, err = self.run_cli(*args)
            self.assertEqual(code, 2, (args, out, err))
        self.assertEqual(self.run_cli("--version")[:2], (0, "envleak %s\n" % __version__))


if __name__ == "__main__":
    unittest.main()
