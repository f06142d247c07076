"""envleak check on configuration trees: every mount directive and scope mod_wsgi's reference
defines, paths as Apache resolves them, the sharing rules of each Python, and trees in the
style distributions ship (tests/fixtures). Standard library only: runs on Python 2.7 and 3.6+."""

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
FIXTURES = os.path.join(HERE, "fixtures")
DEBIAN = os.path.join(FIXTURES, "debian")
REDHAT = os.path.join(FIXTURES, "redhat")
INSTALLER = os.path.join(FIXTURES, "installer")
EXPRESS = os.path.join(FIXTURES, "express")
EXPRESS_CONF = os.path.join(EXPRESS, "tmp", "mod_wsgi-localhost:8000:1000", "httpd.conf")

SETDEFAULT = 'import os\nos.environ.setdefault("CELERY_CONFIG_MODULE", "{app}.celeryconfig")\napplication = None\n'
ASSIGN = 'import os\nos.environ["CELERY_CONFIG_MODULE"] = "{app}.celeryconfig"\napplication = None\n'


def codes_of(result, severity=None):
    return sorted(set(f["code"] for f in result["findings"] if severity is None or f["severity"] == severity))


class Tree(unittest.TestCase):
    """A folder of configuration files and scripts, written per test (ROOT: the folder)."""

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

    def apps(self, body=SETDEFAULT, names=("app1", "app2"), folder=""):
        return [self.write(os.path.join(folder, "%s.wsgi" % app), body.format(app=app)) for app in names]

    def check(self, *paths, **options):
        return checking.check([os.path.join(self.folder, p) for p in paths], **options)

    def assertRisky(self, result, code="EL201"):
        self.assertTrue(result["risky"], "\n".join(result["lines"]))
        self.assertIn(code, codes_of(result, "error"), "\n".join(result["lines"]))

    def assertNotRisky(self, result):
        self.assertFalse(result["risky"], "\n".join(result["lines"]))
        self.assertEqual(result["exit"], 0, "\n".join(result["lines"]))


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
        self.assertRisky(result)
        self.assertEqual(len(result["mounts"]), 2)
        self.assertEqual(result["processes"]["embedded"]["interpreters"], ["one.example.com|", "two.example.com|"])

    def test_a_directory_is_read_from_its_main_file(self):
        self.apps()
        self.write("apache2.conf", "Include site.conf\n")
        self.write("site.conf", "WSGIApplicationGroup %{ENV:GROUP}\nWSGIScriptAlias / ROOT/app1.wsgi\n")
        self.assertTrue(checking.check([self.folder, os.path.join(self.folder, "app2.wsgi")])["risky"])

    def test_a_folder_of_fragments_is_read_down_to_its_subfolders(self):
        self.apps()
        self.write("conf/sites-enabled/a.conf", "WSGIScriptAlias /a ROOT/app1.wsgi\n")
        self.write("conf/sites-enabled/b.conf", "WSGIScriptAlias /b ROOT/app2.wsgi\n")
        self.assertRisky(self.check("conf"))

    def test_if_module_of_a_module_not_loaded_is_skipped(self):
        self.apps()
        self.write(
            "main.conf",
            """
            LoadModule wsgi_module modules/mod_wsgi.so
            <IfModule mod_nothing.c>
                WSGIApplicationGroup %{ENV:GROUP}
            </IfModule>
            <IfModule !mod_wsgi.c>
                WSGIApplicationGroup %{ENV:GROUP}
            </IfModule>
            <IfModule wsgi_module>
                WSGIScriptAlias / ROOT/app1.wsgi
            </IfModule>
            """,
        )
        result = self.check("main.conf")
        self.assertEqual([m["application_group"] for m in result["mounts"]], [["%{RESOURCE}"]])
        self.assertNotRisky(result)

    def test_if_define_define_and_variables(self):
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
                <IfDefine NESTED>
                    WSGIApplicationGroup %{ENV:OTHER}
                </IfDefine>
            </IfDefine>
            WSGIScriptAlias / ${APPS}/app1.wsgi
            """,
        )
        self.assertTrue(self.check("main.conf", "app2.wsgi")["risky"])
        self.assertFalse(self.check("main.conf", "app2.wsgi", defines=["ONE_GROUP"])["risky"])
        self.assertEqual(self.check("main.conf")["mounts"][0]["script"], os.path.join(self.folder, "app1.wsgi"))
        # -D NAME=VALUE gives ${NAME} a value, as a Define does.
        self.write("other.conf", "WSGIScriptAlias / ${SITE}/app1.wsgi\n")
        result = self.check("other.conf", defines=["SITE=" + self.folder])
        self.assertEqual(result["mounts"][0]["local"], os.path.join(self.folder, "app1.wsgi"))

    def test_if_version_if_file_and_if_are_read(self):
        self.apps()
        self.write(
            "main.conf",
            """
            <IfVersion >= 2.4>
                <IfFile ROOT/app1.wsgi>
                    WSGIScriptAlias /a ROOT/app1.wsgi
                </IfFile>
                <IfFile ROOT/absent.wsgi>
                    WSGIScriptAlias /never ROOT/absent.wsgi
                </IfFile>
            </IfVersion>
            <If "%{HTTP_HOST} == 'b.example.com'">
                WSGIScriptAlias /b ROOT/app2.wsgi
            </If>
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(sorted(m["url"] for m in result["mounts"]), ["/a", "/b"])
        self.assertIn("EL230", codes_of(result))  # <If> said: read as if it held

    def test_quoted_arguments_and_continuation_lines(self):
        self.write("my app.wsgi", SETDEFAULT.format(app="app1"))
        self.write("other.wsgi", SETDEFAULT.format(app="app2"))
        self.write(
            "main.conf",
            'WSGIApplicationGroup "%{ENV:GROUP}"\nWSGIScriptAlias / \\\n    "ROOT/my app.wsgi"\n'
            "WSGIScriptAlias '/other' 'ROOT/other.wsgi'\n",
        )
        result = self.check("main.conf")
        self.assertEqual(result["mounts"][0]["script"], os.path.join(self.folder, "my app.wsgi"))
        self.assertEqual(result["mounts"][1]["url"], "/other")
        self.assertTrue(result["risky"], result["lines"])

    def test_one_script_in_several_interpreters_conflicts_only_with_differing_values(self):
        self.write("one.wsgi", SETDEFAULT.format(app="app1"))
        self.write("main.conf", "WSGIApplicationGroup %{ENV:GROUP}\nWSGIScriptAlias / ROOT/one.wsgi\n")
        self.assertNotRisky(self.check("main.conf"))  # every interpreter sets the same value
        self.write("one.wsgi", "import os, mod_wsgi\nif mod_wsgi.application_group == 'a':\n"
                               "    os.environ.setdefault('CELERY_CONFIG_MODULE', 'a.celeryconfig')\nelse:\n"
                               "    os.environ.setdefault('CELERY_CONFIG_MODULE', 'b.celeryconfig')\n")  # fmt: skip
        self.assertRisky(self.check("main.conf"))

    def test_server_root_relative_paths_and_a_trailing_slash_on_a_file_target(self):
        self.apps(folder="srv")
        self.write("conf/httpd.conf", 'ServerRoot "ROOT"\nInclude conf/site.conf\n')
        self.write("conf/site.conf", 'WSGIScriptAlias /a "srv/app1.wsgi/"\nWSGIScriptAlias /b srv/app2.wsgi\n')
        result = self.check("conf/httpd.conf")
        self.assertEqual(
            sorted(m["local"] for m in result["mounts"]),
            [os.path.join(self.folder, "srv", "app1.wsgi"), os.path.join(self.folder, "srv", "app2.wsgi")],
        )
        self.assertRisky(result)
        self.assertNotIn("EL220", codes_of(result))

    def test_a_directory_target_mounts_each_script_in_it(self):
        self.apps(folder="scripts")
        self.write("main.conf", "WSGIScriptAlias /wsgi-scripts/ ROOT/scripts/\n")
        result = self.check("main.conf")
        self.assertEqual(
            sorted(m["url"] for m in result["mounts"]), ["/wsgi-scripts/app1.wsgi", "/wsgi-scripts/app2.wsgi"]
        )
        self.assertRisky(result)

    def test_macro_and_use(self):
        self.apps()
        self.write(
            "main.conf",
            """
            <Macro App $name>
                WSGIScriptAlias /$name ROOT/$name.wsgi
            </Macro>
            Use App app1
            Use App app2
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(sorted(m["url"] for m in result["mounts"]), ["/app1", "/app2"])
        self.assertRisky(result)

    def test_debian_envvars_give_the_servers_variables(self):
        result = checking.check([os.path.join(DEBIAN, "etc", "apache2")], root=DEBIAN)
        self.assertFalse([f for f in result["findings"] if "APACHE_LOG_DIR" in f["message"]], result["lines"])


class MountDirectives(Tree):
    """Every way mod_wsgi's directive reference lets Apache run a WSGI script."""

    def test_script_alias_match_with_substitution_mounts_each_matching_script(self):
        self.apps(folder="web")
        self.write("main.conf", "WSGIScriptAliasMatch ^/apps/([^/]+) ROOT/web/$1.wsgi\n")
        result = self.check("main.conf")
        self.assertEqual(
            sorted(m["local"] for m in result["mounts"]),
            sorted(os.path.join(self.folder, "web", n) for n in ("app1.wsgi", "app2.wsgi")),
        )
        self.assertRisky(result)

    def test_script_alias_match_to_one_script_with_path_info(self):
        self.apps()
        self.write("main.conf", 'WSGIScriptAliasMatch "^/(admin|files)" ROOT/app1.wsgi/$1\n'
                                "WSGIApplicationGroup %{GLOBAL}\n")  # fmt: skip
        result = self.check("main.conf")
        self.assertEqual([m["local"] for m in result["mounts"]], [os.path.join(self.folder, "app1.wsgi")])
        self.assertEqual(result["processes"]["embedded"]["interpreters"], [""])

    def test_sethandler_wsgi_script_needs_options_execcgi(self):
        self.apps(folder="htdocs/wsgi")
        self.write("main.conf", "<Directory ROOT/htdocs/wsgi>\n  SetHandler wsgi-script\n</Directory>\n")
        result = self.check("main.conf")
        self.assertEqual(result["mounts"], [])
        self.assertIn("EL232", codes_of(result))  # mod_wsgi answers 403: nothing runs
        self.write(
            "main.conf", "<Directory ROOT/htdocs/wsgi>\n  Options ExecCGI\n  SetHandler wsgi-script\n</Directory>\n"
        )
        self.assertRisky(self.check("main.conf"))

    def test_addhandler_wsgi_script_with_execcgi_from_a_parent_directory(self):
        self.apps(folder="www/scripts")
        self.write("www/scripts/notes.txt", "not a script\n")
        self.write(
            "main.conf",
            """
            DocumentRoot ROOT/www
            <Directory ROOT/www>
                Options +ExecCGI
            </Directory>
            <Directory ROOT/www/scripts>
                AddHandler wsgi-script .wsgi
            </Directory>
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(sorted(m["url"] for m in result["mounts"]), ["/scripts/app1.wsgi", "/scripts/app2.wsgi"])
        self.assertRisky(result)

    def test_addhandler_server_wide_covers_the_folders_given_execcgi(self):
        self.apps(folder="cgi")
        self.write(
            "main.conf",
            """
            AddHandler wsgi-script .wsgi
            <Directory ROOT/cgi>
                Options ExecCGI
            </Directory>
            """,
        )
        self.assertRisky(self.check("main.conf"))

    def test_handler_script_selected_by_sethandler_addhandler_or_rewrite_rule(self):
        self.apps()
        selections = (
            "<Location /res>\n  SetHandler wsgi-resource\n</Location>\n",
            "AddHandler wsgi-resource .res\n",
            "RewriteRule .* - [H=wsgi-resource]\n",
        )
        for selection in selections:
            self.write(
                "main.conf",
                "WSGIHandlerScript wsgi-resource ROOT/app1.wsgi application-group=one\n"
                "WSGIScriptAlias /two ROOT/app2.wsgi application-group=two\n" + selection,
            )
            result = self.check("main.conf")
            self.assertEqual(sorted(m["kind"] for m in result["mounts"]), ["WSGIHandlerScript", "WSGIScriptAlias"])
            self.assertRisky(result)

    def test_a_handler_script_nothing_selects_never_runs(self):
        self.apps()
        self.write("main.conf", "WSGIHandlerScript unused ROOT/app1.wsgi\nWSGIScriptAlias / ROOT/app2.wsgi\n")
        result = self.check("main.conf")
        self.assertIn("EL232", codes_of(result))
        self.assertNotRisky(result)

    def test_auth_scripts_run_embedded_in_the_main_interpreter(self):
        self.apps()
        self.write(
            "main.conf",
            """
            WSGIDaemonProcess site
            WSGIScriptAlias / ROOT/app2.wsgi process-group=site application-group=%{GLOBAL}
            <Location />
                WSGIAuthUserScript ROOT/app1.wsgi
                WSGIAuthGroupScript ROOT/app1.wsgi
                WSGIAccessScript ROOT/app1.wsgi application-group=access
            </Location>
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(sorted(result["processes"]), ["daemon site", "embedded"])
        self.assertEqual(result["processes"]["embedded"]["interpreters"], ["", "access"])
        self.assertNotRisky(result)  # the app itself runs in its daemon process, alone

    def test_an_auth_script_beside_an_embedded_app(self):
        self.apps()
        self.write(
            "main.conf",
            """
            WSGIScriptAlias / ROOT/app2.wsgi
            <Location /private>
                WSGIAuthUserScript ROOT/app1.wsgi
            </Location>
            """,
        )
        self.assertRisky(self.check("main.conf"))

    def test_import_script_preloads_into_its_group(self):
        self.apps()
        self.write(
            "main.conf",
            """
            WSGIDaemonProcess pool processes=2
            WSGIImportScript ROOT/app1.wsgi process-group=pool application-group=%{GLOBAL}
            WSGIScriptAlias / ROOT/app2.wsgi process-group=pool application-group=%{GLOBAL}
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(result["processes"]["daemon pool"]["interpreters"], [""])
        self.assertRisky(result, "EL203")  # two scripts in one interpreter

    def test_dispatch_script_answers_are_the_groups(self):
        self.apps()
        self.write("dispatch.py", textwrap.dedent("""
            def application_group(environ):
                if environ["HTTP_HOST"].startswith("a."):
                    return "a"
                return "b"
            """))  # fmt: skip
        self.write(
            "main.conf",
            """
            WSGIDispatchScript ROOT/dispatch.py
            WSGIScriptAlias / ROOT/entry.wsgi
            """,
        )
        self.write("entry.wsgi", "import mod_wsgi\napplication = None\n")
        result = self.check("main.conf", "app1.wsgi", "app2.wsgi")
        self.assertEqual(result["processes"]["embedded"]["interpreters"], ["a", "b"])
        self.assertRisky(result)


class Scopes(Tree):
    """<Location>, <LocationMatch>, <Directory>, <DirectoryMatch>, <Files>, <FilesMatch> and
    <VirtualHost>, merged as Apache merges them."""

    def test_location_match_is_matched_against_urls_not_the_alias_regex(self):
        # 13 scripts under one WSGIScriptAliasMatch; a LocationMatch sends /admin/ to a daemon group.
        names = ["site%02d" % n for n in range(12)] + ["admin"]
        for name in names:
            self.write("apps/%s/wsgi.py" % name, "application = None\n")
        self.write(
            "main.conf",
            """
            WSGIDaemonProcess admin
            WSGIDaemonProcess sites
            WSGIScriptAliasMatch ^/([a-z0-9]+)/ ROOT/apps/$1/wsgi.py
            WSGIProcessGroup sites
            <LocationMatch ^/admin/>
                WSGIProcessGroup admin
            </LocationMatch>
            """,
        )
        result = self.check("main.conf")
        by_script = dict((m["local"], m["process"]) for m in result["mounts"])
        admin = os.path.join(self.folder, "apps", "admin", "wsgi.py")
        self.assertEqual(by_script[admin], ["daemon admin"])
        self.assertEqual(sorted(set(p for s, ps in by_script.items() if s != admin for p in ps)), ["daemon sites"])

    def test_a_location_inside_a_mount_splits_it(self):
        self.apps()
        self.write(
            "main.conf",
            """
            WSGIDaemonProcess admin
            WSGIScriptAlias / ROOT/app1.wsgi
            <Location /admin>
                WSGIProcessGroup admin
            </Location>
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(result["mounts"][0]["process"], ["daemon admin", "embedded"])

    def test_location_is_a_prefix_of_the_url(self):
        self.apps()
        self.write(
            "main.conf",
            """
            WSGIScriptAlias /private ROOT/app1.wsgi
            WSGIScriptAlias /public ROOT/app2.wsgi
            <Location /private>
                WSGIApplicationGroup %{GLOBAL}
            </Location>
            <Location /pub>
                WSGIApplicationGroup %{GLOBAL}
            </Location>
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(result["processes"]["embedded"]["interpreters"], [""])  # /pub covers /public too
        self.assertRisky(result, "EL203")

    def test_directory_files_and_their_match_forms(self):
        self.apps(folder="srv/one")
        self.write("srv/two/app3.wsgi", SETDEFAULT.format(app="app3"))
        self.write(
            "main.conf",
            """
            WSGIScriptAlias /1 ROOT/srv/one/app1.wsgi
            WSGIScriptAlias /2 ROOT/srv/one/app2.wsgi
            WSGIScriptAlias /3 ROOT/srv/two/app3.wsgi
            <Directory ROOT/srv>
                WSGIApplicationGroup %{GLOBAL}
            </Directory>
            <Directory ROOT/srv/one>
                WSGIApplicationGroup one
                <Files app2.wsgi>
                    WSGIApplicationGroup two
                </Files>
            </Directory>
            <DirectoryMatch "/two$">
                WSGIApplicationGroup three
            </DirectoryMatch>
            <FilesMatch "^app1">
                WSGIApplicationGroup first
            </FilesMatch>
            """,
        )
        result = self.check("main.conf")
        groups = dict((os.path.basename(m["local"]), m["application_group"]) for m in result["mounts"])
        # <Directory> (shortest first), <DirectoryMatch>, then <Files>/<FilesMatch>: the last wins.
        self.assertEqual(groups, {"app1.wsgi": ["first"], "app2.wsgi": ["two"], "app3.wsgi": ["three"]})

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
        self.assertRisky(result)

    def test_resource_server_and_host_groups(self):
        self.apps()
        self.write(
            "main.conf",
            """
            <VirtualHost *:8080>
                ServerName one.example.com
                ServerAlias www.one.example.com
                WSGIScriptAlias /a ROOT/app1.wsgi
                WSGIScriptAlias /b ROOT/app2.wsgi application-group=%{SERVER}
                WSGIScriptAlias /c ROOT/app2.wsgi application-group=%{HOST}
            </VirtualHost>
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(
            result["processes"]["embedded"]["interpreters"],
            ["one.example.com:8080", "one.example.com:8080|/a", "www.one.example.com:8080"],
        )

    def test_script_alias_options_decide_the_process_and_the_group(self):
        self.apps()
        self.write(
            "main.conf",
            """
            WSGIDaemonProcess one
            WSGIDaemonProcess two
            WSGIProcessGroup one
            WSGIScriptAlias /one ROOT/app1.wsgi process-group=one application-group=%{GLOBAL}
            WSGIScriptAlias /two ROOT/app2.wsgi process-group=two application-group=%{GLOBAL}
            """,
        )
        result = self.check("main.conf")
        self.assertEqual(sorted(result["processes"]), ["daemon one", "daemon two"])
        self.assertNotRisky(result)

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
        self.assertRisky(result)

    def test_env_groups_take_setenvif_values_and_the_literal_text(self):
        self.apps()
        self.write(
            "main.conf",
            """
            <VirtualHost *:80>
                ServerName app1.example.com
                SetEnvIf Host ^app2\\.example\\.com WSGI_APP_GROUP=app2
                WSGIApplicationGroup %{ENV:WSGI_APP_GROUP}
                WSGIScriptAlias / ROOT/app1.wsgi
            </VirtualHost>
            """,
        )
        result = self.check("main.conf", "app2.wsgi")
        # mod_wsgi's log names the group of a request SetEnvIf gives nothing: the text itself.
        self.assertEqual(result["processes"]["embedded"]["interpreters"], ["%{ENV:WSGI_APP_GROUP}", "app2"])

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
                    SetEnvIf Host . WSGI_PROCESS_GROUP=app1
                    SetEnvIf Host ^app2 WSGI_PROCESS_GROUP=app2
                    WSGIProcessGroup %{ENV:WSGI_PROCESS_GROUP}
                    WSGIApplicationGroup %{GLOBAL}
                </IfDefine>
                WSGIScriptAlias / ROOT/dispatch.wsgi
            </VirtualHost>
            """,
        )
        self.write("dispatch.wsgi", "application = None\n")
        self.assertTrue(self.check("main.conf", "app1.wsgi", "app2.wsgi")["risky"])
        result = self.check("main.conf", "app1.wsgi", "app2.wsgi", defines=["LAB_DAEMON"])
        self.assertEqual(sorted(result["processes"]), ["daemon app1", "daemon app2"])
        self.assertNotRisky(result)


class Rules(Tree):
    """Python's sharing rules: up to 3.8 one os.environ for every interpreter, from 3.9 a copy."""

    def config(self, home=None):
        self.apps(ASSIGN)
        self.write("main.conf", ("WSGIPythonHome %s\n" % home if home else "") +
                   "WSGIScriptAlias /a ROOT/app1.wsgi\nWSGIScriptAlias /b ROOT/app2.wsgi\n")  # fmt: skip
        return "main.conf"

    def rules(self, result):
        return [(r["python"], r["shared_environ"]) for r in result["rules"]]

    def test_assignment_is_no_fix_on_a_python_that_shares_os_environ(self):
        main = self.config()
        result = self.check(main)
        self.assertEqual(self.rules(result), [("3.9+", False)])
        self.assertNotRisky(result)  # each assigns before Celery reads it lazily: holds from 3.9
        for python in ("2.7", "3.6", "3.7", "3.8"):
            result = self.check(main, python=python)
            self.assertEqual(self.rules(result), [(python, True)])
            self.assertRisky(result, "EL202")  # the last writer wins, at Celery's first task

    def test_the_python_named_by_python_home(self):
        self.write("venv27/lib/python2.7/os.py", "")
        self.assertEqual(self.rules(self.check(self.config("ROOT/venv27"))), [("2.7", True)])
        self.write("venv/pyvenv.cfg", "home = /usr/bin\nversion = 3.11.2\n")
        self.assertEqual(self.rules(self.check(self.config("ROOT/venv"))), [("3.11", False)])
        self.assertEqual(self.rules(self.check(self.config("/opt/python3.8"))), [("3.8", True)])
        self.assertEqual(self.rules(self.check(self.config("/opt/python3.8"), python="3.9+")), [("3.9+", False)])

    def test_an_unknown_python_option_is_refused(self):
        with self.assertRaises(ValueError):
            self.check(self.config(), python="3.4.x")

    def test_a_read_at_each_request_after_an_assignment(self):
        body = (
            'import os\nos.environ["TRAC_ENV"] = "/srv/{app}"\n'
            'def application(e, s):\n    return [os.environ["TRAC_ENV"]]\n'
        )
        self.apps(body)
        self.write("main.conf", "WSGIScriptAlias /a ROOT/app1.wsgi\nWSGIScriptAlias /b ROOT/app2.wsgi\n")
        self.assertNotRisky(self.check("main.conf"))
        self.assertRisky(self.check("main.conf", python="2.7"), "EL202")


class SharedInterpreter(Tree):
    def test_trac_env_in_the_main_interpreter(self):
        # Trac's documented mod_wsgi setup: each project's script assigns TRAC_ENV, read at each request.
        body = (
            'import os\nos.environ["TRAC_ENV"] = "/srv/trac/{app}"\n'
            "def application(environ, start_response):\n"
            "    return [os.environ['TRAC_ENV'].encode()]\n"
        )
        self.apps(body)
        self.write(
            "main.conf",
            "WSGIApplicationGroup %{GLOBAL}\nWSGIScriptAlias /one ROOT/app1.wsgi\n"
            "WSGIScriptAlias /two ROOT/app2.wsgi\n",
        )
        result = self.check("main.conf")
        self.assertEqual(result["processes"]["embedded"]["interpreters"], [""])
        self.assertRisky(result, "EL203")
        self.assertEqual(result["variables"], ["TRAC_ENV"])

    def test_one_app_in_the_main_interpreter_alone_is_fine(self):
        self.apps()
        self.write("main.conf", "WSGIApplicationGroup %{GLOBAL}\nWSGIScriptAlias / ROOT/app1.wsgi\n")
        self.assertNotRisky(self.check("main.conf"))

    def test_several_aliases_into_one_named_group(self):
        self.apps(ASSIGN)
        self.write(
            "main.conf",
            "WSGIScriptAlias /one ROOT/app1.wsgi application-group=shared\n"
            "WSGIScriptAlias /two ROOT/app2.wsgi application-group=shared\n",
        )
        self.assertRisky(self.check("main.conf"), "EL203")


class Routing(Tree):
    def test_a_script_writing_the_group_variable_is_flagged(self):
        # SCENARIO=group-variable: app2's entry writes WSGI_APP_GROUP, and mod_wsgi's %{ENV:...}
        # falls back to getenv() for app1's Host; the middleware cannot see it (nothing is inherited).
        self.apps(ASSIGN)
        self.write("app2.wsgi", ASSIGN.format(app="app2") + 'os.environ.setdefault("WSGI_APP_GROUP", "app2")\n')
        self.write(
            "main.conf",
            """
            <VirtualHost *:80>
                SetEnvIf Host ^app2\\. WSGI_APP_GROUP=app2
                WSGIApplicationGroup %{ENV:WSGI_APP_GROUP}
                WSGIScriptAlias / ROOT/dispatch.wsgi
            </VirtualHost>
            """,
        )
        self.write("dispatch.wsgi", "application = None\n")
        result = self.check("main.conf", "app1.wsgi", "app2.wsgi")
        self.assertRisky(result, "EL205")
        (finding,) = [f for f in result["findings"] if f["code"] == "EL205"]
        self.assertEqual((os.path.basename(finding["path"]), finding["line"]), ("app2.wsgi", 4))

    def test_no_finding_when_every_request_gets_a_value(self):
        self.apps(ASSIGN)
        self.write("app2.wsgi", ASSIGN.format(app="app2") + 'os.environ.setdefault("WSGI_APP_GROUP", "app2")\n')
        self.write(
            "main.conf",
            """
            SetEnvIf Host . WSGI_APP_GROUP=app1
            SetEnvIf Host ^app2\\. WSGI_APP_GROUP=app2
            WSGIApplicationGroup %{ENV:WSGI_APP_GROUP}
            WSGIScriptAlias / ROOT/dispatch.wsgi
            """,
        )
        self.write("dispatch.wsgi", "application = None\n")
        self.assertNotIn("EL205", codes_of(self.check("main.conf", "app1.wsgi", "app2.wsgi")))


class Scripts(Tree):
    def test_assignments_alone_are_not_risky(self):
        self.apps(ASSIGN)
        self.write("main.conf", "WSGIApplicationGroup %{ENV:G}\nWSGIScriptAlias / ROOT/app1.wsgi\n")
        self.assertNotRisky(self.check("main.conf", "app2.wsgi"))

    def test_a_read_of_what_another_script_writes_is_risky(self):
        self.write("app1.wsgi", 'import os\nos.environ["DATABASE_URL"] = "postgres://a"\n')
        self.write("app2.wsgi", 'import os\nDATABASES = os.environ.get("DATABASE_URL")\n')
        self.write("main.conf", "WSGIScriptAlias /a ROOT/app1.wsgi\nWSGIScriptAlias /b ROOT/app2.wsgi\n")
        result = self.check("main.conf")
        self.assertEqual(result["variables"], ["DATABASE_URL"])

    def test_evaluation_order_the_read_before_the_write(self):
        self.write("app1.wsgi", 'import os\nos.environ["PYTHONPATH"] = "/srv/one"\n')
        self.write("app2.wsgi", 'import os\nextra = "/srv/two:"\nos.environ["PYTHONPATH"] = extra + '
                                'os.environ.get("PYTHONPATH", "")\n')  # fmt: skip
        self.write("main.conf", "WSGIScriptAlias /a ROOT/app1.wsgi\nWSGIScriptAlias /b ROOT/app2.wsgi\n")
        result = self.check("main.conf")
        self.assertRisky(result)
        (finding,) = [f for f in result["findings"] if f["code"] == "EL201"]
        self.assertEqual((os.path.basename(finding["path"]), finding["line"], finding["col"]), ("app2.wsgi", 3, 36))
        self.assertIn("read here before this app sets it", finding["message"])

    def test_a_framework_reads_what_the_app_never_names(self):
        self.write("app1.wsgi", 'import os\nos.environ["CELERY_BROKER_URL"] = "amqp://one@mq/one"\n')
        self.write("app2.wsgi", "import celery\napp = celery.Celery('two')\napp.config_from_object('two.conf')\n")
        self.write("main.conf", "WSGIScriptAlias /a ROOT/app1.wsgi\nWSGIScriptAlias /b ROOT/app2.wsgi\n")
        result = self.check("main.conf")
        self.assertRisky(result)
        self.assertIn("Settings.broker_url", " ".join(result["lines"]))

    def test_a_dotenv_loader_keeps_what_the_process_has_unless_it_overrides(self):
        keeps = checking.environ_uses(
            self.write("a.py", "from dotenv import load_dotenv\nload_dotenv('/srv/a/.env')\n")
        )
        self.assertEqual(keeps, [(2, "dotenv", checking.DOTENV_KEYS)])
        reads = checking.environ_uses(self.write("b.py", "import environ\nenviron.Env.read_env('/srv/app/.env')\n"))
        self.assertEqual(reads, [(2, "dotenv", checking.DOTENV_KEYS)])
        overrides = checking.environ_uses(
            self.write("c.py", "import dotenv\ndotenv.load_dotenv('/srv/app/.env', override=True)\n")
        )
        self.assertEqual(overrides, [(2, "dotenv", checking.DOTENV_OWN_KEYS)])

    def test_dotenv_values_and_a_redirected_env_write_nothing(self):
        self.assertEqual(checking.environ_uses(self.write("a.py", "from dotenv import dotenv_values\nv = "
                                                                   "dotenv_values('.env')\n")), [])  # fmt: skip
        redirected = "import environ\nenviron.Env.ENVIRON = {}\nenviron.Env.read_env('.env')\n"
        self.assertEqual(checking.environ_uses(self.write("b.py", redirected)), [])

    def test_two_apps_loading_their_dotenv_in_one_process_are_risky(self):
        self.apps("from dotenv import load_dotenv\nload_dotenv('/srv/{app}/.env')\napplication = None\n")
        self.write("main.conf", "WSGIApplicationGroup %{ENV:G}\nWSGIScriptAlias / ROOT/app1.wsgi\n")
        self.assertRisky(self.check("main.conf", "app2.wsgi"))

    def test_a_readable_dotenv_file_names_its_keys(self):
        self.write("srv/app1/.env", "export DATABASE_URL=postgres://one@db/one\nSECRET_KEY='one'\n# a comment\n")
        self.write("srv/app2/.env", "DATABASE_URL=postgres://two@db/two\n")
        self.apps("from dotenv import load_dotenv\nload_dotenv('/srv/{app}/.env')\napplication = None\n")
        self.write("main.conf", "WSGIScriptAlias /a ROOT/app1.wsgi\nWSGIScriptAlias /b ROOT/app2.wsgi\n")
        result = self.check("main.conf", root=self.folder)
        self.assertEqual(result["variables"], ["DATABASE_URL"])  # SECRET_KEY: only app1's file has it

    def test_modules_imported_from_the_python_path_are_followed(self):
        self.write("code/site1/wsgi.py", SETDEFAULT.format(app="site1"))
        self.write("code/site1/__init__.py", "")
        self.write("entry.wsgi", "from site1.wsgi import application\n")
        self.write(
            "main.conf", "WSGIPythonPath ROOT/code\nWSGIApplicationGroup %{ENV:G}\nWSGIScriptAlias / ROOT/entry.wsgi\n"
        )
        self.write("site2.wsgi", SETDEFAULT.format(app="site2"))
        result = self.check("main.conf", "site2.wsgi")
        self.assertIn(os.path.join(self.folder, "code", "site1", "wsgi.py"), result["mounts"][0]["files"])
        self.assertTrue(result["risky"], result["lines"])

    def test_a_script_without_a_python_suffix(self):
        self.apps()
        script = self.write("entry", SETDEFAULT.format(app="app3"))
        self.assertFalse(
            checking.is_python(self.write("site", "WSGIScriptAlias /a /srv/a\nWSGIApplicationGroup %{GLOBAL}\n"))
        )
        self.write("main.conf", "WSGIApplicationGroup %{ENV:G}\nWSGIScriptAlias / ROOT/entry\n")
        self.assertTrue(checking.is_python(script))
        self.assertTrue(self.check("main.conf", "app2.wsgi")["risky"])
        self.assertTrue(self.check("main.conf", "entry", "app2.wsgi")["risky"])  # given on the command line too

    def test_scripts_alone_are_taken_as_mod_wsgis_default(self):
        self.apps()
        result = self.check("app1.wsgi", "app2.wsgi")
        self.assertEqual(list(result["processes"]), ["assumed"])
        self.assertRisky(result)


class PythonOfTheServer(Tree):
    """A script is judged whatever Python runs envleak: Python 2 from 3, Python 3 from 2.7."""

    PY2 = ('import os\nprint "starting"\nos.umask(0027)\ntry:\n    import json\nexcept ImportError, e:\n    pass\n'
           'os.environ.setdefault("CELERY_CONFIG_MODULE", "{app}.celeryconfig")\n'
           "def application(environ, start_response):\n    print >>environ['wsgi.errors'], `environ`\n"
           '    return [os.environ["CELERY_CONFIG_MODULE"]]\n')  # fmt: skip
    PY3 = ('import os\nname: str = f"{{os.getpid()}}"\nos.environ.setdefault("CELERY_CONFIG_MODULE", '
           'f"{app}.celeryconfig")\n'
           "async def application(scope, receive, send):\n    if (m := os.environ.get('CELERY_CONFIG_MODULE')):\n"
           '        print(m, end="")\n')  # fmt: skip

    def test_python_2_and_python_3_scripts_both_give_a_verdict(self):
        for body in (self.PY2, self.PY3):
            self.apps(body)
            self.write("main.conf", "WSGIScriptAlias /a ROOT/app1.wsgi\nWSGIScriptAlias /b ROOT/app2.wsgi\n")
            result = self.check("main.conf")
            self.assertEqual(result["exit"], 1, "\n".join(result["lines"]))
            self.assertEqual(result["variables"], ["CELERY_CONFIG_MODULE"])
            uses = result["scripts"][os.path.join(self.folder, "app1.wsgi")]["uses"]
            self.assertEqual([u[1:] for u in uses][:1], [["setdefault", "CELERY_CONFIG_MODULE"]])

    def test_the_tolerant_reader_is_said(self):
        self.apps(self.PY2 if sys.version_info[0] == 3 else self.PY3)
        self.write("main.conf", "WSGIScriptAlias /a ROOT/app1.wsgi\n")
        result = self.check("main.conf")
        self.assertIn("EL231", codes_of(result))
        self.assertEqual(result["scripts"][os.path.join(self.folder, "app1.wsgi")]["reader"], "tokens")


class Findings(Tree):
    def test_select_and_ignore(self):
        self.apps()
        self.write("main.conf", "WSGIScriptAlias /a ROOT/app1.wsgi\nWSGIScriptAlias /b ROOT/app2.wsgi\n")
        self.assertEqual(codes_of(self.check("main.conf", select=("EL201",))), ["EL201"])
        result = self.check("main.conf", ignore=("EL201",))
        self.assertNotRisky(result)
        self.assertEqual(codes_of(self.check("main.conf", select=("EL2",), ignore=("EL21",))), ["EL201"])

    def test_each_finding_is_a_record(self):
        self.apps()
        self.write("main.conf", "WSGIScriptAlias /a ROOT/app1.wsgi\nWSGIScriptAlias /b ROOT/app2.wsgi\n")
        for finding in self.check("main.conf")["findings"]:
            self.assertEqual(sorted(finding), ["args", "code", "col", "line", "message", "path", "severity", "title"])
            self.assertTrue(finding["code"].startswith("EL2"))
            self.assertNotIn("assign it", finding["message"])

    def test_no_advice_says_assign_it(self):
        from envleak import codes

        for name in ("CELERY_CONFIG_MODULE", "DJANGO_SETTINGS_MODULE", "CELERY_BROKER_URL", "DATABASE_URL", "TZ", "X"):
            for server in ("mod_wsgi", "uwsgi", None):
                for kind in (None, "shared", "routing"):
                    text = codes.advice(name, server, kind)
                    self.assertNotIn("assign", text.lower())
                    self.assertNotIn("os.environ[", text)


class DistributionTrees(unittest.TestCase):
    """Trees in the style distributions and installers ship (tests/fixtures)."""

    def test_debian_the_seed_configuration_is_risky(self):
        result = checking.check([os.path.join(DEBIAN, "etc", "apache2")], root=DEBIAN)
        self.assertTrue(result["risky"], result["lines"])
        self.assertEqual(result["variables"], ["CELERY_CONFIG_MODULE"])
        (mount,) = result["mounts"]
        self.assertEqual((mount["virtual_host"], mount["application_group"]),
                         ("app1.example.com", ["%{ENV:WSGI_APP_GROUP}"]))  # fmt: skip

    def test_debian_without_the_scripts_it_cannot_tell(self):
        result = checking.check([os.path.join(DEBIAN, "etc", "apache2", "apache2.conf")])
        self.assertFalse(result["risky"])
        self.assertTrue(result["unknown"], result["verdict"])
        self.assertEqual(result["exit"], 2)
        self.assertIn("EL220", codes_of(result))

    def test_red_hat_conf_d_with_addhandler_and_an_auth_script(self):
        result = checking.check([os.path.join(REDHAT, "etc", "httpd")], root=REDHAT)
        kinds = sorted(set(m["kind"] for m in result["mounts"]))
        self.assertEqual(kinds, ["AddHandler wsgi-script", "WSGIAuthUserScript"])
        self.assertEqual(
            sorted(os.path.basename(m["local"]) for m in result["mounts"]),
            ["check_password.wsgi", "orders.wsgi", "reports.wsgi"],
        )  # not README.txt
        self.assertEqual([(r["python"], r["shared_environ"]) for r in result["rules"]], [("3.8", True)])
        self.assertTrue(result["risky"], result["lines"])
        self.assertEqual(result["variables"], ["DATABASE_URL"])

    def test_an_installer_s_trailing_slash_alias_and_its_virtualenv(self):
        result = checking.check([os.path.join(INSTALLER, "etc", "apache2")], root=INSTALLER)
        self.assertEqual(result["exit"], 0, result["lines"])
        (mount,) = result["mounts"]
        self.assertEqual(mount["script"], "/opt/helpdesk/src/helpdesk/site.wsgi")
        self.assertTrue(os.path.isfile(mount["local"]))
        self.assertEqual(result["processes"]["daemon helpdesk"]["interpreters"], [""])
        self.assertEqual(result["rules"][0]["python"], "3.11")  # from the virtualenv's pyvenv.cfg

    def test_mod_wsgi_express_generated_configuration(self):
        result = checking.check([EXPRESS_CONF], root=EXPRESS)
        self.assertEqual(result["exit"], 0, result["lines"])
        self.assertEqual(sorted(result["processes"]), ["daemon localhost:8000"])
        self.assertEqual(result["rules"][0]["python"], "3.11")  # mod_wsgi-py311...so
        files = [f for m in result["mounts"] for f in m["files"]]
        self.assertIn(os.path.join(EXPRESS, "srv", "site", "app.wsgi"), files)  # handler.wsgi's entry_point

    def test_mod_wsgi_express_in_embedded_mode(self):
        result = checking.check([EXPRESS_CONF], root=EXPRESS, defines=["EMBEDDED_MODE"])
        self.assertEqual(sorted(result["processes"]), ["embedded"])


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
        result = json.loads(out)
        self.assertEqual((result["variables"], result["exit"]), (["CELERY_CONFIG_MODULE"], 1))
        code, out, _ = self.run_cli("check", "--root", DEBIAN, os.path.join(DEBIAN, "etc", "apache2"))
        lines = out.strip().splitlines()
        self.assertTrue(lines[-1].startswith("envleak check: RISKY"), out)
        self.assertTrue(any(": EL201 " in line for line in lines), out)
        self.assertTrue(any(line.startswith("envleak check: rules of Python 3.9+") for line in lines), out)
        code, out, _ = self.run_cli(
            "check", "--ignore", "EL201", "--root", DEBIAN, os.path.join(DEBIAN, "etc", "apache2")
        )
        self.assertEqual(code, 0, out)
        self.assertEqual(self.run_cli("check", os.path.join(DEBIAN, "etc", "apache2", "apache2.conf"))[0], 2)

    def test_usage_errors_exit_2_with_one_line(self):
        for args in (("check",), ("check", "/nonexistent/apache2.conf"), ("frobnicate",), ("check", "--bogus", "x"),
                     ("check", "--python", "4.1", DEBIAN), ("check", "--select", "XX1", DEBIAN)):  # fmt: skip
            code, out, err = self.run_cli(*args)
            self.assertEqual(code, 2, (args, out, err))
            if args != ("frobnicate",):
                self.assertEqual(len(err.strip().splitlines()), 1, (args, err))
        self.assertEqual(self.run_cli("--version")[:2], (0, "envleak %s\n" % __version__))

    def test_codes_and_schema(self):
        code, out, _ = self.run_cli("codes")
        self.assertEqual(code, 0)
        self.assertIn("EL101 error", out)
        code, out, _ = self.run_cli("schema")
        with open(out.strip()) as schema:
            self.assertEqual(json.load(schema)["$id"], checking.SCHEMA)

    def test_a_uwsgi_command_line_after_two_dashes(self):
        apps = [os.path.join(FIXTURES, "uwsgi-debian", "srv", app, "wsgi.py") for app in ("shop", "blog")]
        code, out, _ = self.run_cli("check", "--", "uwsgi", "--plugin", "python3", "--mount", "/shop=" + apps[0],
                                    "--mount", "/blog=" + apps[1], "--manage-script-name")  # fmt: skip
        self.assertEqual(code, 1, out)
        code, out, _ = self.run_cli("check", "--", "uwsgi", "--single-interpreter", "--wsgi-file", apps[0])
        self.assertEqual(code, 0, out)


if __name__ == "__main__":
    unittest.main()
