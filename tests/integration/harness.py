"""The integration suite's harness: the lab's Compose projects as the tests drive them, the way
`make run` drives the real one. The suite's own project (brought up by pytest-docker, see
conftest.py), every other stack's project one at a time beside it, and the workshop's
exercises run once each for every test that reads them. Everything here is real: Apache,
mod_wsgi, RabbitMQ, Celery, librabbitmq.

Like the lab's lesson, nothing here writes the process environment: every setting goes to
the subprocess that needs it (`env=`), or to pytest-docker's command line."""

import json
import os
import shlex
import shutil
import socket
import subprocess
from pathlib import Path

from loadtest import cli, exercises, xray
from loadtest.lab import (
    DEFAULTS,
    FIXES_DIR,
    GILS,
    MOD_WSGIS,
    NAME,
    POSTGRES_SCENARIOS,
    PROCESS_MODELS,
    SCENARIOS,
    STACKS,
    TRANSPORTS,
)  # fmt: skip
from loadtest.lab import settings as lab_settings

ROOT = Path(__file__).resolve().parents[2]
PROJECT = f"{NAME}-test"
REPORTS = ROOT / "reports" / "tests"
EXERCISES = exercises.load()


def read_env_file():
    """The lab's .env (passwords, ports), as the load test reads it: loadtest.lab.settings."""
    return lab_settings(env={})


def docker_answers():
    return (
        shutil.which("docker") is not None
        and subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode == 0
    )


def free_port():
    """A port nothing listens on now, chosen by the kernel. Fixed for the project's life
    rather than ephemeral per container start: the broker-restart fault restarts RabbitMQ,
    and a container that starts again would get a new ephemeral port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def stack_settings(stack, name):
    """What a test project of the lab is started with: its own stack, ports, receipts and
    try-fix workspace (var/<name>/)."""
    return {
        "LAB_STACK": stack,
        "LAB_MOD_WSGI": MOD_WSGIS[0],
        "LAB_HTTP_PORT": free_port(),
        "LAB_MGMT_PORT": free_port(),
        "LAB_RECEIPTS_DIR": str(fresh_dir(f"{name}/receipts")),
        "LAB_WORKSPACE_DIR": str(fresh_dir(f"{name}/workspace")),
    }


def fresh_dir(name):
    directory = ROOT / "var" / name
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    directory.chmod(0o777)  # the workers write receipts as user celery
    return directory


def compose_with(settings):
    """`docker compose` as one shell command line that carries the project's settings."""
    return "env " + " ".join(f"{key}={shlex.quote(value)}" for key, value in settings.items()) + " docker compose"


class Lab:
    """One compose project of the lab, driven the way `make run` drives the real one."""

    def __init__(self, project, settings, secrets):
        self.project, self.settings, self.env = project, settings, secrets
        self.stack = settings["LAB_STACK"]
        self.receipts = Path(settings["LAB_RECEIPTS_DIR"])
        self.workspace = Path(settings["LAB_WORKSPACE_DIR"])
        self.apache_started_with = None  # unknown until this Lab starts Apache

    def read_ports(self):
        """The ports as Docker published them (they must be the ones the project asked for)."""
        self.url = f"http://{self.port_for('apache', 80)}"
        self.mgmt_url = f"http://{self.port_for('rabbitmq', 15672)}"

    def port_for(self, service, port):
        return self.compose("port", service, str(port)).stdout.strip()

    def compose(self, *args, files=(), check=True, started_with=None):
        command = ["docker", "compose", "-f", str(ROOT / "docker-compose.yml")]
        for extra in files:
            command += ["-f", str(Path(__file__).parent / extra)]
        env = {**os.environ, **self.settings, **(started_with or {})}
        completed = subprocess.run(
            [*command, "-p", self.project, *args], capture_output=True, text=True, timeout=300, env=env
        )
        if check and completed.returncode != 0:
            raise AssertionError(f"docker compose {' '.join(args)} failed:\n{completed.stdout}{completed.stderr}")
        return completed

    def fresh_apache(
        self, code, scenario=None, process_model=None, files=(), processes=None, threads=None, transport=None, fix="",
        gil=None, mod_wsgi=None,
    ):  # fmt: skip
        """New Apache child processes, so mod_wsgi creates every interpreter anew: the
        container is recreated only when its settings change (as `make run` does)."""
        started_with = {
            "LAB_CODE": code,
            "LAB_SCENARIO": scenario or SCENARIOS[0],
            "LAB_PROCESS_MODEL": process_model or PROCESS_MODELS[0],
            "LAB_APACHE_PROCESSES": str(processes or DEFAULTS["apache_processes"]),
            "LAB_APACHE_THREADS": str(threads or DEFAULTS["apache_threads"]),
            "LAB_TRANSPORT": transport or TRANSPORTS[0],
            "LAB_FIX": fix or "",
            "LAB_GIL": gil or GILS[0],
            "LAB_MOD_WSGI": mod_wsgi or MOD_WSGIS[0],
        }
        if started_with["LAB_SCENARIO"] in POSTGRES_SCENARIOS:  # its PostgreSQL first, as make run starts it
            self.compose("--profile", "postgres", "up", "-d", "--wait", "--no-deps", "postgres")
        if (started_with, files) != self.apache_started_with:
            self.compose("up", "-d", "--wait", "--no-deps", "apache", files=files, started_with=started_with)
            self.apache_started_with = (started_with, files)
        self.compose("exec", "-T", "apache", "apache-fresh-children", started_with=started_with)

    def compose_command(self):
        """The Compose command line of this project, for the nemesis and the Apache log."""
        return f"{compose_with(self.settings)} -f {ROOT / 'docker-compose.yml'} -p {self.project}"

    def run(self, args, label=""):
        """The load test with `args` (cli.parse_args's namespace: every knob a make command
        line set), pointed at this project: its ports, receipts, broker credentials, Compose."""
        args.url, args.mgmt_url = self.url, self.mgmt_url
        args.mgmt_user, args.mgmt_password = self.env["RABBITMQ_ADMIN_USER"], self.env["RABBITMQ_ADMIN_PASSWORD"]
        args.receipts_dir, args.report_dir, args.label, args.quiet = self.receipts, REPORTS, label, True
        args.compose = self.compose_command()
        document = cli.run(args)
        # Every run the suite makes: the time axis agrees with what each interpreter inherited.
        assert document["inheritance_conflicts"] == [], document["inheritance_conflicts"]
        return document

    def load(self, code, label="", **knobs):
        """One run of the load test: `knobs` are its options (scenario, requests, seed,
        fault, fault_at, first, ...), as `make` would pass them."""
        argv = ["--code", code, "--stack", self.stack]
        # No ramp-up in the suite's own runs (the exercises keep make's): measured without it,
        # 10 of 10 hot runs reproduced (docs/measured/reproduce-rate-trixie-hot-ramp_up_0.txt).
        knobs.setdefault("ramp_up", 0)
        for name, value in knobs.items():
            if value is not None:
                argv += [f"--{name.replace('_', '-')}", str(value)]
        return self.run(cli.parse_args(argv, env={}), label)

    def xray(self):
        """GET /xray/ from every (Apache child, application group) the lab has now."""
        return xray.collect(self.url, attempts=16)

    def exec(self, service, *command, env=None):
        """Run a command in one of the stack's containers, with `env` added to its
        environment: (exit code, output)."""
        settings = [arg for key, value in (env or {}).items() for arg in ("-e", f"{key}={value}")]
        completed = self.compose("exec", "-T", *settings, service, *command, check=False)
        return completed.returncode, completed.stdout + completed.stderr

    def published_ports(self):
        """Every published port of the stack: (service, host address, host port, container port)."""
        rows = [json.loads(line) for line in self.compose("ps", "--format", "json").stdout.splitlines() if line]
        return [
            (row["Service"], publisher["URL"], publisher["PublishedPort"], publisher["TargetPort"])
            for row in rows
            for publisher in row.get("Publishers") or []
            if publisher.get("PublishedPort")
        ]


class OtherStacks:
    """Every other stack (choices.mk), each as a compose project of its own, for the trials
    that show the leak and the fix there too. One at a time beside the suite's own lab (an idle
    lab is not free: its healthchecks are processes the engine starts), in the order the tests
    ask for them (pytest_collection_modifyitems sorts the tests by stack; the first boots a few
    tests before its own, pytest_runtest_setup); the next one boots
    in the background while the tests of the one before run."""

    def __init__(self, main_stack):
        self.order = [stack for stack in STACKS if stack != main_stack]
        self.labs = {
            stack: Lab(f"{PROJECT}-{stack}", stack_settings(stack, f"test-lab-{stack}"), read_env_file())
            for stack in self.order
        }
        self.starting, self.stopping, self.current = {}, [], None

    def compose(self, stack, *args):
        """`docker compose ARGS` for that stack's project, in the background."""
        other = self.labs[stack]
        return subprocess.Popen(
            ["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "-p", other.project, *args],
            env={**os.environ, **other.settings}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def start(self, stack):
        if stack not in self.starting:
            self.labs[stack].apache_started_with = None
            self.starting[stack] = self.compose(stack, "up", "-d", "--wait")

    def lab(self, stack):
        """That stack's lab, once it is up; the one before it is taken down."""
        if stack != self.current:
            if self.current:
                self.stopping.append(self.compose(self.current, "down", "-v", "--remove-orphans"))
                del self.starting[self.current]
            self.start(stack)
            output, _ = self.starting[stack].communicate(timeout=600)
            assert self.starting[stack].returncode == 0, output.decode()[-3000:]
            self.labs[stack].read_ports()
            self.current = stack
            following = self.order[self.order.index(stack) + 1 :]
            if following:
                self.start(following[0])
        return self.labs[stack]

    def close(self):
        for starting in self.starting.values():
            starting.kill()
        self.stopping += [self.compose(stack, "down", "-v", "--remove-orphans") for stack in self.starting]
        for stopping in self.stopping:  # side by side: each waits on its workers' warm shutdown
            stopping.wait(timeout=300)


def stack_of_command(command, default):
    """The STACK= a make command line sets, or `default`."""
    return next((word.split("=", 1)[1] for word in shlex.split(command) if word.startswith("STACK=")), default)


def expand(command):
    """What `make` would run for an exercise's command: the load test's arguments (every knob
    it sets), and the Apache children and threads the lab would be started with."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    completed = subprocess.run(
        ["make", "-n", "--no-print-directory", *shlex.split(command)[1:]],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    line = next(line for line in completed.stdout.splitlines() if " -m loadtest " in line)
    words = shlex.split(line)
    args = cli.parse_args(words[words.index("loadtest") + 1 :], env={})
    compose_env = dict(word.split("=", 1) for word in shlex.split(args.compose) if "=" in word)
    processes = int(compose_env.get("LAB_APACHE_PROCESSES", DEFAULTS["apache_processes"]))
    threads = int(compose_env.get("LAB_APACHE_THREADS", DEFAULTS["apache_threads"]))
    return args, processes, threads


class ExerciseRuns:
    """Each exercise run once per session, on the lab of its stack; other tests read the same
    runs (the bad-credentials mystery, the daemon model, the other stack)."""

    def __init__(self, request):
        self.request, self.documents = request, {}

    def run(self, exercise_id):
        if exercise_id not in self.documents:
            exercise = next(exercise for exercise in EXERCISES if exercise["id"] == exercise_id)
            args, processes, threads = expand(exercise["command"])
            lab = self.request.getfixturevalue("lab_of")(args.stack)
            if exercise.get("fix_by_hand"):  # the attendee writes it; the suite copies one right answer
                folder = lab.workspace / ("twelve-factor" if args.scenario == "twelve-factor" else "")
                folder.mkdir(exist_ok=True)
                folder.chmod(0o777)
                for entry in (FIXES_DIR / exercise["fix_by_hand"]).glob("*_wsgi.py"):
                    shutil.copy(entry, folder / entry.name)
            lab.fresh_apache(
                args.code, args.scenario, args.process_model, processes=processes, threads=threads,
                transport=args.transport, fix=args.fix, gil=args.gil, mod_wsgi=args.mod_wsgi,
            )  # fmt: skip
            self.documents[exercise_id] = lab.run(args, label=exercise_id)
        return self.documents[exercise_id]
