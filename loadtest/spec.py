"""The run spec, Jepsen's test map: every knob of one run, read once from choices.mk and the
command line (KNOB=value words, then the environment, as make exports its command line),
checked once (a bad value is one line, exit 2), then frozen. Everything else reads it: the lab
(loadtest.compose: the environment Compose reads, the files Apache reads at each fresh start),
the run (loadtest.core), the report's `run` section, `make check-config` and the suite.

`entry()` is the one place that says which WSGI file an app runs for a code, a scenario and a
sample fix; Apache's dispatcher reads the answer from the run's lab.json, and check-config
checks those very files. Standard library only (`make help` runs it before any venv exists).
"""

import dataclasses
import json
import os
import platform
import re
import shlex
from dataclasses import dataclass

from loadtest.lab import (
    APPS,
    CHOICES_FILE,
    DEFAULTS,
    FIXES_DIR,
    POSTGRES_SCENARIOS,
    UsageError,
    read_choices,
)
from loadtest.servers import SERVERS

CHOICES = read_choices()
HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())


def fixes():
    """The sample fixes (FIX=): the folders of workshop/fixes/ that hold an app1 entry."""
    return tuple(sorted(path.parent.name for path in FIXES_DIR.glob("*/app1_wsgi.py")))


# ---- the knobs --------------------------------------------------------------------------
def choice(list_name):
    def parse(knob, text):
        allowed = CHOICES[list_name]
        if text not in allowed:
            raise UsageError(f"{knob} must be one of: {' '.join(allowed)}; not '{text}'")
        return text

    parse.choices = lambda: CHOICES[list_name]
    return parse


def fix_choice(knob, text):
    if text and text not in fixes():
        raise UsageError(f"{knob} must be one of: {' '.join(fixes())}; not '{text}'")
    return text


fix_choice.choices = fixes


def whole(minimum, what):
    def parse(knob, text):
        if not re.fullmatch(r"[0-9]+", text) or int(text) < minimum:
            raise UsageError(f"{knob} must be {what}, not '{text}'")
        return int(text)

    return parse


def seconds(knob, text):
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        raise UsageError(f"{knob} must be a number of seconds, not '{text}'")
    return float(text)


def fraction(knob, text):
    if not re.fullmatch(r"0?\.[0-9]*[1-9][0-9]*", text):
        raise UsageError(f"{knob} must be a fraction between 0 and 1, not '{text}'")
    return float(text)


def flag(knob, text):
    if text not in ("", "0", "1"):
        raise UsageError(f"{knob} must be 0 or 1, not '{text}'")
    return text == "1"


POSITIVE = whole(1, "a whole number above 0")
# Each knob of a run: (its field of RunSpec, how its text is read, its default). The order is
# `make help`'s; the help line of each is its `## KNOB:` line in choices.mk.
KNOBS = {
    "STACK": ("stack", choice("STACKS"), CHOICES["STACKS"][0]),
    "CODE": ("code", choice("CODES"), CHOICES["CODES"][0]),
    "SERVER": ("server", choice("SERVERS"), CHOICES["SERVERS"][0]),
    "PROCESS_MODEL": ("process_model", choice("PROCESS_MODELS"), CHOICES["PROCESS_MODELS"][0]),
    "SCENARIO": ("scenario", choice("SCENARIOS"), CHOICES["SCENARIOS"][0]),
    "FAULT": ("fault", choice("FAULTS"), CHOICES["FAULTS"][0]),
    "FIRST": ("first", choice("FIRSTS"), CHOICES["FIRSTS"][0]),
    "TRANSPORT": ("transport", choice("TRANSPORTS"), CHOICES["TRANSPORTS"][0]),
    "MOD_WSGI": ("mod_wsgi", choice("MOD_WSGIS"), CHOICES["MOD_WSGIS"][0]),
    "GIL": ("gil", choice("GILS"), CHOICES["GILS"][0]),
    "PLATFORM": ("platform", choice("PLATFORMS"), f"linux/{HOST_ARCH}"),
    "FIX": ("fix", fix_choice, ""),
    "REQUESTS": ("requests", POSITIVE, DEFAULTS["requests"]),
    "CONCURRENCY": ("concurrency", POSITIVE, DEFAULTS["concurrency"]),
    "RAMP_UP": ("ramp_up", seconds, DEFAULTS["ramp_up"]),
    "FAULT_AT": ("fault_at", fraction, DEFAULTS["fault_at"]),
    "SEED": ("seed", whole(0, "a whole number"), None),
    "PROCESSES": ("processes", POSITIVE, DEFAULTS["apache_processes"]),
    "THREADS": ("threads", POSITIVE, DEFAULTS["apache_threads"]),
}
# What each command that runs the lab sets itself: the knobs it fixes.
PRESETS = {
    "run": {},
    "up": {},
    "reproduce": {"CODE": "buggy"},
    "fixed": {"CODE": "fixed"},
    "daemon": {"CODE": "buggy", "PROCESS_MODEL": "daemon"},
    "try-fix": {"CODE": "workspace"},
}
# The verdict a run shows when the lab behaves as the lesson says.
EXPECTED = {"daemon": "ISOLATED", "buggy": "REPRODUCED", "fixed": "FIXED", "workspace": "FIXED"}


@dataclass(frozen=True)
class RunSpec:
    """One run of the lab, every knob decided. Build it with `parse()` (checked) or
    `RunSpec()` for the defaults; `dataclasses.replace()` gives a variant."""

    command: str = "run"
    stack: str = KNOBS["STACK"][2]
    code: str = KNOBS["CODE"][2]
    server: str = KNOBS["SERVER"][2]
    process_model: str = KNOBS["PROCESS_MODEL"][2]
    scenario: str = KNOBS["SCENARIO"][2]
    fault: str = KNOBS["FAULT"][2]
    first: str = KNOBS["FIRST"][2]
    transport: str = KNOBS["TRANSPORT"][2]
    mod_wsgi: str = KNOBS["MOD_WSGI"][2]
    gil: str = KNOBS["GIL"][2]
    platform: str = KNOBS["PLATFORM"][2]
    fix: str = ""
    requests: int = KNOBS["REQUESTS"][2]
    concurrency: int = KNOBS["CONCURRENCY"][2]
    ramp_up: float = KNOBS["RAMP_UP"][2]
    fault_at: float = KNOBS["FAULT_AT"][2]
    seed: int | None = None
    processes: int = KNOBS["PROCESSES"][2]
    threads: int = KNOBS["THREADS"][2]

    def __post_init__(self):
        check_combination(self)

    # ---- what follows from the knobs ----
    @property
    def arch(self):
        return self.platform.split("/", 1)[1]

    @property
    def expected(self):
        """The verdict the lesson predicts: ISOLATED in daemon mode, else by the code."""
        return EXPECTED["daemon" if self.process_model == "daemon" else self.code]

    @property
    def web(self):
        """The server both apps run in (loadtest.servers): its service, its reload, its image."""
        return SERVERS[self.server]

    @property
    def postgres(self):
        """Does the scenario keep rows in PostgreSQL (its Compose profile on)?"""
        return self.scenario in POSTGRES_SCENARIOS

    @property
    def python_version(self):
        return CHOICES[f"PYTHON_VERSION_{self.stack}"][0]

    @property
    def twelve_factor(self):
        return self.scenario == "twelve-factor"

    def entry(self, app):
        """The WSGI file `app` runs, as the repository names it (Apache reads it from lab.json)."""
        return entry(self.code, self.scenario, app, self.fix)

    def entries(self):
        return {app: self.entry(app) for app in APPS}

    def knobs(self):
        """The knobs that differ from their defaults, as KNOB=value words (a command line)."""
        return [
            f"{knob}={getattr(self, field)}"
            for knob, (field, _, default) in KNOBS.items()
            if getattr(self, field) != default and knob not in PRESETS.get(self.command, {})
        ]

    def command_line(self):
        """The make command that runs this spec again."""
        return " ".join(["make", self.command, *self.knobs()])

    def record(self):
        """The report's `run` section: every knob, and what follows from them."""
        return {**dataclasses.asdict(self), "expected": self.expected, "entries": self.entries()}

    # ---- what the lab is started with ----
    def compose_env(self):
        """What Compose reads for this run (beside .env): the images and the profile. Nothing
        that Apache reads at a fresh start is here, so changing the code, the scenario or the
        process count never recreates a container (apache_files())."""
        env = {
            "LAB_STACK": self.stack,
            "LAB_MOD_WSGI": self.mod_wsgi,
            "LAB_ARCH": self.arch,
            "LAB_BASE_REPO": "debian"
            if self.arch == HOST_ARCH
            else {"amd64": "amd64/debian"}.get(self.arch, "arm64v8/debian"),
        }
        if self.server == "uwsgi":  # a new process tree (the emperor): Compose recreates uWSGI's container
            env["LAB_UWSGI_PROCESS_MODEL"] = self.process_model
        profiles = [name for name in ("postgres" if self.postgres else None, self.web.profile) if name]
        if profiles:
            env["COMPOSE_PROFILES"] = ",".join(profiles)
        return env

    def apache_files(self):
        """{name: text} of the run directory Apache reads at every fresh start (mounted at
        /srv/run): apache.conf (Define lines for its MPM and mod_wsgi's process model) and
        lab.json (what the apps and the dispatcher read: the entries, the scenario, the
        transport)."""
        defines = {
            "LAB_APACHE_PROCESSES": self.processes,
            "LAB_APACHE_THREADS": self.threads,
            "LAB_APACHE_MAX_WORKERS": self.processes * self.threads,
        }
        lines = ["# Written by the run spec (loadtest/spec.py) before each fresh start; Apache includes it."]
        lines += [f"Define {name} {value}" for name, value in defines.items()]
        if self.process_model == "daemon":
            lines.append("Define LAB_DAEMON")
        if self.gil == "own":
            lines.append("Define LAB_OWN_GIL")
        started_with = {
            "code": self.code,
            "scenario": self.scenario,
            "process_model": self.process_model,
            "transport": self.transport,
            "fix": self.fix,
            "gil": self.gil,
            "server": self.server,
            "entries": self.entries(),
        }
        files = {"apache.conf": "\n".join(lines) + "\n", "lab.json": json.dumps(started_with, sort_keys=True) + "\n"}
        if self.server == "uwsgi":  # uwsgi/lab.ini includes it; a reload reads it again
            files["uwsgi.ini"] = (
                "; Written by the run spec (loadtest/spec.py) before each reload; uwsgi/lab.ini includes it.\n"
                f"[uwsgi]\nprocesses = {self.processes}\nthreads = {self.threads}\n"
            )
        return files


def entry(code, scenario, app, fix=""):
    """Which WSGI file `app` runs, as the repository names it: the one answer to that
    question (Apache's dispatcher runs it; `make check-config` checks it).
    - CODE=workspace: a sample fix's (FIX=), else the attendee's own copy (make try-fix);
    - SCENARIO=django-settings, buggy: Django's generated wsgi.py (setdefault() for
      DJANGO_SETTINGS_MODULE too); SCENARIO=group-variable, buggy: app2's entry also
      setdefault()s WSGI_APP_GROUP; SCENARIO=twelve-factor: each app's .env entries."""
    if code == "workspace":
        if fix:
            return f"workshop/fixes/{fix}/{app}_wsgi.py"
        return f"workshop/workspace/{'twelve-factor/' if scenario == 'twelve-factor' else ''}{app}_wsgi.py"
    name = code
    if code == "buggy" and scenario == "django-settings":
        name = "generated"
    if code == "buggy" and scenario == "group-variable" and app == "app2":
        name = "group_variable"
    if scenario == "twelve-factor":
        name = f"twelve_factor_{code}"
    return f"apps/{app}/{app}/wsgi_{name}.py"


def check_combination(spec):
    """Combinations that cannot run: one line each."""
    if spec.mod_wsgi == "6" and not spec.python_version.startswith("3."):
        raise UsageError(f"MOD_WSGI=6 needs Python 3: STACK={spec.stack} runs Python {spec.python_version}")
    if spec.gil == "own" and spec.mod_wsgi != "6":
        raise UsageError("GIL=own needs MOD_WSGI=6: WSGIPerInterpreterGIL is new in mod_wsgi 6")
    if spec.gil == "own" and spec.transport != "pyamqp":
        raise UsageError(
            "GIL=own needs TRANSPORT=pyamqp: librabbitmq refuses to load in an interpreter with its own GIL"
        )
    web = SERVERS[spec.server]
    for knob, value, refused in (
        ("PROCESS_MODEL", spec.process_model, spec.process_model not in web.process_models),
        ("SCENARIO", spec.scenario, spec.scenario in web.scenarios_refused),
        ("FAULT", spec.fault, spec.fault in web.faults_refused),
        ("STACK", spec.stack, spec.stack in web.stacks_refused),
        ("MOD_WSGI", spec.mod_wsgi, spec.server != "mod_wsgi" and spec.mod_wsgi != "stack"),
    ):
        if refused:
            raise UsageError(f"SERVER={spec.server} does not run {knob}={value} (loadtest/servers.py says why)")
    if spec.fix and spec.code != "workspace":
        raise UsageError("FIX= names a sample fix for make try-fix (CODE=workspace)")


def parse(words, env=None):
    """A RunSpec from a command line: ['reproduce', 'FIRST=app2', 'PROCESSES=1'] (a leading
    'make' is skipped), the knobs it leaves unset taken from `env` (the process environment,
    where make puts its command line's variables), then the defaults. Raises UsageError."""
    words = list(words)
    if words[:1] == ["make"]:
        words = words[1:]
    command = words.pop(0) if words and "=" not in words[0] else "run"
    if command not in PRESETS:
        raise UsageError(f"not a command that runs the lab: {command!r} (one of: {' '.join(PRESETS)})")
    given = {}
    for word in words:
        knob, equals, value = word.partition("=")
        if not equals or knob not in KNOBS:
            raise UsageError(f"not a knob: {word!r} (knobs: {' '.join(KNOBS)})")
        given[knob] = value
    for knob in KNOBS:
        if knob not in given and (env or {}).get(knob):
            given[knob] = env[knob]
    for knob, value in PRESETS[command].items():
        if given.get(knob, value) != value:
            raise UsageError(f"make {command} runs {knob}={value}; for {knob}={given[knob]} use make run")
        given[knob] = value
    fields = {"command": command}
    for knob, text in given.items():
        field, read, _ = KNOBS[knob]
        fields[field] = read(knob, text)
    return RunSpec(**fields)


def from_command(command):
    """The spec of a make command line as typed ('make reproduce FIRST=app2'): what an exercise
    runs. The environment plays no part."""
    return parse(shlex.split(command), env={})


# ---- make help ----------------------------------------------------------------------------
def knob_help(path=CHOICES_FILE):
    """{KNOB: its help} from choices.mk's `## KNOB: text` lines."""
    found = re.findall(r"^## ([A-Z][A-Z0-9_]*): (.+)$", path.read_text(), re.MULTILINE)
    return dict(found)


def help_text(makefile, width=100):
    """`make help`: the targets and their `##` lines (the Makefile's), then every knob with its
    default, its help (choices.mk's `## KNOB:` line) and its choices, wrapped at `width`."""
    import textwrap

    lines = ["The mod_wsgi environment-leak lab", ""]
    targets = re.findall(r"^([a-z][a-z0-9-]*):[^#\n]*## (.+)$", makefile.read_text(), re.MULTILINE)
    column = max(len(name) for name, _ in targets) + 8
    for name, text in targets:
        lines += textwrap.wrap(
            text, width, initial_indent=f"  make {name}".ljust(column), subsequent_indent=" " * column
        )
    lines += ["", "Knobs: make TARGET KNOB=value (the default after =)"]
    for knob, text in knob_help().items():
        default = ""
        if knob in KNOBS:
            _, read, value = KNOBS[knob]
            default = "random" if knob == "SEED" else value
            if hasattr(read, "choices"):
                text += "; one of: " + " ".join(read.choices())
        lines += textwrap.wrap(text, width, initial_indent=f"  {knob}={default}".ljust(26), subsequent_indent=" " * 26)
    lines += ["", "LAB_HTTP_PORT, LAB_MGMT_PORT and the passwords live in .env (make env writes it)."]
    return "\n".join(lines)


def main(argv):
    """python3 -m loadtest.spec --help-text: make help. python3 -m loadtest.spec COMMAND
    KNOB=value...: the spec, checked, as JSON (for scripts); exit 2 with one line if bad."""
    import sys

    from loadtest.lab import ROOT

    if argv == ["--help-text"]:
        print(help_text(ROOT / "Makefile"))
        return 0
    try:
        spec = parse(argv, env=os.environ)
    except UsageError as exc:
        print(f"{exc}", file=sys.stderr)
        return 2
    print(json.dumps(spec.record(), sort_keys=True))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
