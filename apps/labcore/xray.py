"""What one mod_wsgi sub-interpreter knows about itself, for POST /enqueue/ and GET /xray/.

Three views of each watched variable (envleak.WATCHED: CELERY_CONFIG_MODULE and
DJANGO_SETTINGS_MODULE) tell the story:
- inherited: this interpreter's os.environ when mod_wsgi created it (envleak's record, begun
  by envleak.pth's envleak.start() before any code of the lab ran), i.e. what it copied from the process (or,
  on Python 2.7 to 3.8, the one os.environ every interpreter shares);
- os_environ: this interpreter's own os.environ dict now;
- c_environ: the C library's getenv() now, the one environment of the whole Apache child.
And the times: created (envleak.pth), first ran (apache/dispatch.wsgi), entry loaded, and
each write of a watched variable (the os.putenv audit event).
"""

import ctypes
import glob
import os
import posix
import time

import envleak
from labcore import run

try:  # only importable inside Apache
    import mod_wsgi
except ImportError:  # pragma: no cover - manage.py, tests, uWSGI
    mod_wsgi = None
try:  # only importable inside uWSGI (SERVER=uwsgi)
    import uwsgi
except ImportError:  # pragma: no cover
    uwsgi = None

WATCHED = envleak.WATCHED
_libc = ctypes.CDLL(None)
_libc.getenv.restype = ctypes.c_char_p
_times = {}


def serving(group):
    """Called by uWSGI's dispatcher (uwsgi/uwsgi_dispatch.py) with the app's mountpoint as uWSGI
    names it ('app2.example.com|'): under uWSGI, the name of this interpreter."""
    _times.setdefault("group", group)


def first_ran(at):
    """Called by apache/dispatch.wsgi with the moment it started, before any project code."""
    _times.setdefault("first_ran_at", at)


def entry_loaded(path=None):
    """Called by apache/dispatch.wsgi once the WSGI entry (and so Django) is loaded, with the
    file it ran, as the repository names it."""
    _times.setdefault("entry_loaded_at", time.time())
    _times.setdefault("entry", path)


def interpreter():
    """When this interpreter was created, first ran and loaded its entry; what it inherited;
    which watched variables it wrote, and when; what its entry left in os.environ."""
    created_at = envleak.STARTED["at"]
    first = _times.get("first_ran_at")
    return {
        # envleak was imported at creation (envleak.pth) only if it started before the dispatcher.
        "created_at": created_at if first is None or created_at < first else None,
        "first_ran_at": first,
        "entry_loaded_at": _times.get("entry_loaded_at"),
        "entry": _times.get("entry"),
        # Every value as envleak shows it: a secret's fingerprint, a URL without its password.
        "inherited": masked(envleak.STARTED["inherited"]),
        "writes": [dict(write, value=envleak.mask(write["name"], write["value"])) for write in envleak.WRITES],
        "after_entry": masked(envleak.LOADED.get("values") or {}),
        # The dict os.environ wraps (the posix module's): one object for every interpreter of the
        # process where Python shares it (2.7, and 3.x up to 3.8: measured, make root-cause),
        # one per interpreter where each copies it at creation. The run compares them per child.
        "environ_dict_id": id(posix.environ),
        "gil": gil(),
    }


def masked(values):
    """{name: value} with each value masked as envleak masks it (no secret leaves the process)."""
    return dict((name, envleak.mask(name, value)) for name, value in values.items())


def used(celery_app, broker, database=None):
    """What the frameworks of this interpreter took from the environment, for each variable
    they read there, masked as envleak masks the environment's values (so that the two
    compare); None where they took nothing from it. Celery's configuration module (none when
    config_from_object() named it), Django's settings module; Celery's broker, Django's
    database and key when the variable is in this interpreter's os.environ now (Celery reads
    CELERY_BROKER_URL ahead of its configuration, django-environ reads the others)."""
    from django.conf import settings

    def from_environment(name, value):
        return envleak.mask(name, value) if value and envleak.peek(name) is not None else None

    values = {
        "CELERY_CONFIG_MODULE": broker["config_module"] if broker["config_from_environment"] else None,
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
        "CELERY_BROKER_URL": from_environment("CELERY_BROKER_URL", broker["url"]),
        "SECRET_KEY": from_environment("SECRET_KEY", settings.SECRET_KEY),
    }
    if database:
        url = "postgres://{user}:***@{host}:{port}/{name}".format(**database)
        values["DATABASE_URL"] = from_environment("DATABASE_URL", url)
    return values


def gil():
    """'own' when this interpreter has a GIL of its own (mod_wsgi 6's WSGIPerInterpreterGIL),
    'shared' otherwise; None where Python cannot say (before 3.13)."""
    try:
        import _interpreters

        return _interpreters.get_config(_interpreters.get_current()[0]).gil
    except (ImportError, AttributeError):
        return None


def application_group():
    """mod_wsgi's application group; under uWSGI the app's mountpoint (serving())."""
    return mod_wsgi.application_group if mod_wsgi else _times.get("group")


def process_group():
    """The mod_wsgi daemon process group this interpreter runs in ('' in embedded mode)."""
    return mod_wsgi.process_group if mod_wsgi else None


def c_getenv(name):
    value = _libc.getenv(name.encode())
    return value.decode() if value is not None else None


def describe_broker(celery_app):
    """The broker the Celery app resolved, without the password. (Celery 3.1, the bullseye
    stack's, has app.connection(); Celery 4+ names it connection_for_write().)"""
    connect = getattr(celery_app, "connection_for_write", None) or celery_app.connection
    connection = connect()
    try:
        return {
            "celery_app": celery_app.main,
            # The module the app really imported: named by config_from_object() (the fix),
            # or the one CELERY_CONFIG_MODULE named when the default app configured itself.
            "config_module": envleak.celery_config_module(celery_app),
            "loader": type(celery_app.loader).__module__,
            # False when config_from_object() named the module: no environment was read.
            "config_from_environment": getattr(celery_app, "_config_source", None) is None,
            "transport": type(connection.transport).__module__,
            # The URL the app connected with, its password masked as envleak masks one.
            "url": envleak.mask("CELERY_BROKER_URL", connection.as_uri(include_password=True)),
            "hostname": connection.hostname,
            "vhost": connection.virtual_host,
            "user": connection.userid,
        }
    finally:
        connection.release()


def apache_version():
    """Apache's own description of itself, asked in-process (the Server header says only
    'Apache': ServerTokens Prod)."""
    try:
        describe = _libc.ap_get_server_description
    except AttributeError:  # not inside Apache
        return None
    describe.restype = ctypes.c_char_p
    product = (describe() or b"").decode().split(" ")[0]  # "Apache/2.4.71"
    return product.split("/")[1] if product.startswith("Apache/") else None


def nginx_version():
    """What uwsgi/entrypoint.sh read from `nginx -v` as the container started."""
    try:
        with open("/run/uwsgi/nginx-version") as said:
            return said.read().strip() or None
    except (IOError, OSError):
        return None


def versions():
    """What this interpreter really runs, measured rather than written down. (Imported here,
    not at the top: dispatch.wsgi imports this module before any project code, and slowing
    that path would change when interpreters first write the environment.)"""
    import platform

    measured = {
        "python": platform.python_version(),
        "mod_wsgi": ".".join(map(str, mod_wsgi.version)) if mod_wsgi else None,
        "apache": apache_version(),
        "uwsgi": uwsgi.version.decode() if uwsgi else None,
        "nginx": nginx_version() if uwsgi else None,
        "machine": platform.machine(),  # aarch64 on arm64, native or emulated
    }
    for name, distributions in DISTRIBUTIONS.items():
        measured[name] = next((v for v in map(distribution_version, distributions) if v), None)
    return measured


# The distributions each version is read from: librabbitmq-fork on Python 3, librabbitmq itself
# on the bullseye stack's Python 2.7.
DISTRIBUTIONS = {
    "celery": ("celery",),
    "kombu": ("kombu",),
    "django": ("django",),
    "librabbitmq": ("librabbitmq-fork", "librabbitmq"),
}


def distribution_version(name):
    try:
        from importlib import metadata  # Python 3.8+
    except ImportError:  # Python 2.7
        import pkg_resources

        try:
            return pkg_resources.get_distribution(name).version
        except pkg_resources.DistributionNotFound:
            return None
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def apache_processes():
    """Every process of the Apache container (its own PID namespace): what the process model
    costs. RSS counts pages shared between processes once in each."""
    processes = []
    for status in glob.glob("/proc/[0-9]*/status"):
        folder = os.path.dirname(status)
        try:
            with open(status) as lines:
                fields = dict(line.split(":\t", 1) for line in lines.read().splitlines() if ":\t" in line)
            with open(os.path.join(folder, "cmdline"), "rb") as raw:
                cmdline = raw.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except (OSError, IOError):  # the process ended while we looked
            continue
        rss = fields.get("VmRSS", "0 kB").split()[0]
        processes.append(
            {"pid": int(os.path.basename(folder)), "command": cmdline or fields["Name"].strip(), "rss_kib": int(rss)}
        )
    return sorted(processes, key=lambda process: process["pid"])


def snapshot(celery_app, settings_module):
    return {
        "application_group": application_group(),
        "process_group": process_group(),
        "pid": os.getpid(),
        "django_settings": settings_module,
        "interpreter": interpreter(),
        # Looked at without counting as a use (envleak records every read of os.environ).
        "os_environ": masked(dict((name, envleak.peek(name)) for name in WATCHED)),
        "c_environ": masked(dict((name, c_getenv(name)) for name in WATCHED)),
        "broker": describe_broker(celery_app),
        "versions": versions(),
        "apache_processes": apache_processes(),
        # What Apache was started with for this run (its lab.json: labcore/run.py).
        "started_with": dict(
            (name, run.RUN.get(name, ""))
            for name in ("code", "scenario", "process_model", "transport", "fix", "gil", "server")
        ),
    }
