"""The lab's vocabulary, shared by every role: the Hosts and apps, and the choices of every
knob, read from choices.mk so that the Makefile, the load test and the tests agree."""

import hashlib
import os
import platform
import re
import sys
from pathlib import Path

# Which Django project serves which Host (apache/lab.conf: app2.example.com gets the
# application group 'app2'; app1.example.com gets the unexpanded '%{ENV:WSGI_APP_GROUP}').
HOST_APPS = {"app1.example.com": "app1", "app2.example.com": "app2"}
APPS = ("app1", "app2")
APP1_GROUP = "%{ENV:WSGI_APP_GROUP}"
# The variables a framework of the lab's apps reads from the process environment (envleak
# watches them in every interpreter): which framework reads each, and what it decides with it.
# The referee tells every interpreter's story for each (loadtest.story).
READERS = {
    "CELERY_CONFIG_MODULE": ("Celery", "its configuration module"),
    "DJANGO_SETTINGS_MODULE": ("Django", "its settings module"),
    "CELERY_BROKER_URL": ("Celery", "the broker it publishes to, as which user"),
    "DATABASE_URL": ("Django", "the database it writes to, as which role"),
    "SECRET_KEY": ("Django", "the key it signs with"),
}
WATCHED = tuple(READERS)
# A masked value (envleak.mask): a URL's password, or a whole secret, replaced.
URL_USER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://([^:@/]+)[:@]")
FINGERPRINT = re.compile(r"^\*\*\* \(sha256 ([0-9a-f]{8})\)$")

ROOT = Path(__file__).resolve().parents[1]
# The workshop's inputs: the exercises, the sample fixes (FIX=) and the attendee's workspace
# (make try-fix); docs/ holds the prose and what the lab measured (docs/measured, docs/runs).
WORKSHOP_DIR = ROOT / "workshop"
EXERCISES_FILE = WORKSHOP_DIR / "exercises.yml"
FIXES_DIR = WORKSHOP_DIR / "fixes"
# The last run's report in a report directory (reports/), for programs (scripts, make matrix,
# the tests): they read its verdict and counts there, never the terminal's text.
LATEST_REPORT = "latest.json"
CHOICES_FILE = ROOT / "choices.mk"
ENV_FILE = ROOT / ".env"


def read_choices(path=CHOICES_FILE):
    """{'CODES': ('buggy', 'fixed'), ...} from lines such as `CODES := buggy fixed`."""
    choices = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"([A-Z][A-Za-z0-9_]*)\s*:=\s*(.+)", line.strip())
        if match:
            choices[match[1]] = tuple(match[2].split())
    return choices


_CHOICES = read_choices()
CODES = _CHOICES["CODES"]  # which WSGI entry Apache runs: wsgi_buggy.py, wsgi_fixed.py or workshop/workspace/'s
PROCESS_MODELS = _CHOICES["PROCESS_MODELS"]  # embedded mod_wsgi, or one daemon group per app
SCENARIOS = _CHOICES["SCENARIOS"]
POSTGRES_SCENARIOS = _CHOICES["POSTGRES_SCENARIOS"]  # the apps keep a row per request in PostgreSQL
STACKS = _CHOICES["STACKS"]  # the Debian release the images are built on
FAULTS = _CHOICES["FAULTS"]  # what the nemesis does to the lab in the middle of the load
FIRSTS = _CHOICES["FIRSTS"]  # which Host gets the first page view, alone, then the other (burst: none)
TRANSPORTS = _CHOICES["TRANSPORTS"]  # how the web side publishes: librabbitmq, or py-amqp with publisher confirms
MOD_WSGIS = _CHOICES["MOD_WSGIS"]  # the stack's own mod_wsgi, or 6.1.1 built from PyPI
GILS = _CHOICES["GILS"]  # one GIL shared by every interpreter, or one each (mod_wsgi 6)
PLATFORMS = _CHOICES["PLATFORMS"]  # the images' architecture (the default is the engine's own)
HOST_PLATFORM = "linux/" + {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
# The Compose project's and the images' name; another checkout side by side sets LAB_NAME.
NAME = os.environ.get("LAB_NAME") or _CHOICES["NAME"][0]
MOD_WSGI6_STACK = _CHOICES["MOD_WSGI6_STACK"][0]  # where the matrix and the suite run mod_wsgi 6, own GIL
# The knobs of that row: WSGIPerInterpreterGIL needs mod_wsgi 6, and librabbitmq refuses to
# load in an interpreter with its own GIL.
MOD_WSGI6_KNOBS = (f"STACK={MOD_WSGI6_STACK}", "MOD_WSGI=6", "GIL=own", "TRANSPORT=pyamqp")
# The numbers' defaults (choices.mk): the load, Apache's processes and threads, the ports.
DEFAULTS = {
    name.lower(): (float if "." in _CHOICES[name][0] else int)(_CHOICES[name][0])
    for name in ("REQUESTS", "CONCURRENCY", "RAMP_UP", "FAULT_AT", "APACHE_PROCESSES", "APACHE_THREADS",
                 "HTTP_PORT", "MGMT_PORT", "REPORT_PORT")
}  # fmt: skip


def app_for_group(application_group, process_group=None):
    """The app an interpreter serves (apache/lab.conf, apache/dispatch.wsgi): 'app2' when its
    application group, or in daemon mode its process group, is 'app2', or under uWSGI its
    mountpoint is app2's Host ('app2.example.com|', uwsgi/app2.wsgi); otherwise app1 (its
    group is the literal '%{ENV:WSGI_APP_GROUP}', or '' in app1's daemon processes)."""
    return (
        "app2"
        if "app2" in (application_group, process_group) or (application_group or "").startswith("app2.example.com|")
        else "app1"
    )


def owner(value, fingerprints=None):
    """Which app a watched variable's value belongs to, or None: a module names it
    ('app2.celeryconfig', 'app2.settings' -> 'app2'), a URL's user does
    ('amqp://app2:***@rabbitmq:5672/app2'), a secret's fingerprint ('*** (sha256 1a2b3c4d)') is
    looked up in `fingerprints` ({fingerprint: app}, from the keys in .env)."""
    value = value or ""
    url, secret = URL_USER.match(value), FINGERPRINT.match(value)
    if url:
        app = url[1]
    elif secret:
        app = (fingerprints or {}).get(secret[1])
    else:
        app = value.split(".")[0]
    return app if app in APPS else None


def fingerprint(secret):
    """The 8 hex digits envleak shows of a secret (envleak.fingerprint): a SHA-256 prefix."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:8]


def settings(env=os.environ, path=ENV_FILE):
    """The lab's settings (passwords, ports, LAB_* knobs): the environment wins over .env, as
    Compose has it, and .env is read as it is now (make writes it after reading its makefiles)."""
    values = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return {**values, **{key: value for key, value in env.items() if value}}


def url_of(port_name, env=os.environ):
    """http://127.0.0.1:<port> for LAB_HTTP_PORT or LAB_MGMT_PORT (settings(), else choices.mk)."""
    default = DEFAULTS["http_port" if port_name == "LAB_HTTP_PORT" else "mgmt_port"]
    return f"http://127.0.0.1:{settings(env).get(port_name) or default}"


class UsageError(Exception):
    """Bad input or an unreachable lab: the CLI prints one line on stderr and exits 2."""


def main(argv):
    """python3 -m loadtest.lab KEY: one setting, as the load test sees it (the environment, else
    .env); python3 -m loadtest.lab --choices NAME: a list of choices.mk, space separated. The
    shell scripts read both here, so that each file has one reader. Standard library only."""
    if len(argv) == 2 and argv[0] == "--choices" and argv[1] in _CHOICES:
        print(" ".join(_CHOICES[argv[1]]))
    elif len(argv) == 1 and not argv[0].startswith("-"):
        print(settings().get(argv[0], ""))
    else:
        print("usage: python3 -m loadtest.lab KEY | --choices NAME (a list of choices.mk)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
