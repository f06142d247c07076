"""The integration suite's harness: the lab's Compose projects as the tests drive them, through
the very code `make run` uses (loadtest.spec, loadtest.compose.Lab, loadtest.core.run). The
suite's own project (brought up by pytest-docker, see conftest.py), every other stack's project
one at a time beside it, and one run per distinct spec: every test that asks for the same spec
reads the same run. Everything here is real: Apache, mod_wsgi, RabbitMQ, Celery, librabbitmq.

Like the lab's lesson, nothing here writes the process environment: every setting goes to the
subprocess that needs it (`env=`), or to pytest-docker's command line."""

import contextlib
import dataclasses
import shlex
import shutil
import socket
import subprocess
import threading
from pathlib import Path

from loadtest import core, exercises, provision, spec, xray
from loadtest.compose import Lab
from loadtest.lab import FIXES_DIR, MOD_WSGI6_STACK, NAME, STACKS

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PROJECT = f"{NAME}-test"
# Set once the suite's set-up (conftest.py: suite_lab) has ended, well or not: the bundle proof's
# `make bundle` waits for it, so that two set-ups never build the same wheels and images at once.
SET_UP = threading.Event()
REPORTS = ROOT / "reports" / "tests"
EXERCISES = {exercise["id"]: exercise for exercise in exercises.load()}
# The suite's runs: no ramp-up (measured without it, 10 of 10 hot runs reproduced:
# docs/measured/reproduce-rate-trixie-hot-ramp_up_0.txt), SUITE_REQUESTS requests unless a
# test asks for a number, and never more than MAX_REQUESTS (an exercise's REQUESTS=1000 too).
# An exercise keeps every other knob its command sets.
SUITE_REQUESTS = 60
MAX_REQUESTS = 300


def suite_spec(base=None, **knobs):
    """A spec as the suite runs it: `base` (a spec, or a make command line) with `knobs` replaced."""
    if isinstance(base, str):
        base = spec.from_command(base)
    base = base or spec.RunSpec()
    knobs.setdefault("ramp_up", 0.0)
    if "requests" not in knobs:
        given = base.requests != spec.RunSpec().requests
        knobs["requests"] = min(base.requests, MAX_REQUESTS) if given else SUITE_REQUESTS
    return dataclasses.replace(base, **knobs)


def exercise_spec(exercise_id):
    return suite_spec(EXERCISES[exercise_id]["command"])


def free_port():
    """A port nothing listens on now, chosen by the kernel. Fixed for the project's life
    rather than ephemeral per container start: the broker-restart fault restarts RabbitMQ,
    and a container that starts again would get a new ephemeral port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def fresh_dir(name):
    """var/<name>/, emptied: its contents go, the folder stays (a container left running by an
    earlier session keeps it mounted, and would write into a deleted one)."""
    directory = ROOT / "var" / name
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.iterdir():
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    directory.chmod(0o777)  # the workers write receipts as user celery
    return directory


def project_settings(name):
    """What a test project of the lab is started with: its own ports, receipts, run directory
    and try-fix workspace (var/<name>/)."""
    return {
        "LAB_HTTP_PORT": free_port(),
        "LAB_MGMT_PORT": free_port(),
        "LAB_RECEIPTS_DIR": str(fresh_dir(f"{name}/receipts")),
        "LAB_RUN_DIR": str(fresh_dir(f"{name}/run")),
        "LAB_WORKSPACE_DIR": str(fresh_dir(f"{name}/workspace")),
    }


class TestLab(Lab):
    """A test project of the lab: the Lab the CLI drives, with ports read back from Docker, and
    Compose files of the suite's own added for a test that asks (`with_files`)."""

    def read_ports(self, run_spec):
        self.url = f"http://{self.port_for(run_spec, 'apache', 80)}"
        self.mgmt_url = f"http://{self.port_for(run_spec, 'rabbitmq', 15672)}"

    @contextlib.contextmanager
    def with_files(self, *names):
        """This project with these Compose files of tests/integration/ added, while inside; the
        next run outside checks the containers again (Compose recreates what they changed)."""
        self.files, self.started = tuple(HERE / name for name in names), None
        try:
            yield self
        finally:
            self.files, self.started = (), None

    def shell(self, service, *command, env=None):
        """A command in one of the lab's running containers: (exit code, output)."""
        completed = self.exec(service, *command, env=env, check=False)
        return completed.returncode, completed.stdout + completed.stderr

    def compose_now(self, *args, check=True):
        """Compose on this project, as it was last brought up."""
        return self.compose(self.spec, *args, check=check)

    def xray(self):
        """GET /xray/ from every (Apache child, application group) the lab has now."""
        return xray.collect(self.url, attempts=16)

    def run(self, run_spec, label=""):
        """One run of `run_spec` on this project, through loadtest.core as `make run` does."""
        self.up(run_spec)
        document = core.run(run_spec, self, report_dir=REPORTS, label=label, quiet=True)
        # Every run the suite makes: the time axis agrees with what each interpreter inherited.
        assert document.checked.inheritance_conflicts == (), document.checked.inheritance_conflicts
        return document


class Runs:
    """One run per distinct (spec, Compose files), made when a test first asks for it and read by
    every test that asks for the same. xray=True: what /xray/ said right after that run (the
    same Apache children), kept beside it (xray_after)."""

    def __init__(self, lab_of):
        self.lab_of, self.documents, self.xrays = lab_of, {}, {}

    def get(self, run_spec, files=(), label="", xray=False):
        key = (run_spec, tuple(files), xray)
        if key not in self.documents:
            lab = self.lab_of(run_spec.stack)
            with lab.with_files(*files) if files else contextlib.nullcontext(lab):
                document = lab.run(run_spec, label=label or run_spec.command)
                if xray:
                    self.xrays[document.run.run_id] = lab.xray()
            self.documents[key] = document
        return self.documents[key]

    def xray_after(self, document):
        return self.xrays[document.run.run_id]

    def exercise(self, exercise_id):
        """An exercise's run, as its command says (the suite's load), with its by-hand answer
        in place first (`fix_by_hand`: one right answer, run as that sample fix)."""
        exercise = EXERCISES[exercise_id]
        run_spec = exercise_spec(exercise_id)
        if exercise.get("fix_by_hand"):
            run_spec = dataclasses.replace(run_spec, fix=exercise["fix_by_hand"])
        return self.get(run_spec, label=exercise_id)


class OtherStacks:
    """Every other stack (choices.mk), each as a compose project of its own, for the trials
    that show the leak and the fix there too. One at a time beside the suite's own lab (an idle
    lab is not free: its healthchecks are processes the engine starts), in the order the tests
    ask for them (conftest.py sorts the tests by stack); the next one is set up (its images
    built if need be) and booted in the background while the tests of the one before run."""

    def __init__(self, main_stack):
        self.order = [stack for stack in STACKS if stack != main_stack]
        self.labs = {
            stack: TestLab(f"{PROJECT}-{stack}", project_settings(f"test-lab-{stack}")) for stack in self.order
        }
        self.starting, self.current = {}, None
        self.stopping = []

    @staticmethod
    def boot_spec(stack):
        """The spec a stack's lab boots with (its images; mod_wsgi 6 for that row's stack too)."""
        return spec.RunSpec(stack=stack)

    def start(self, stack):
        if stack in self.starting:
            return

        def boot():
            boot_spec = self.boot_spec(stack)
            provision.setup(boot_spec, self.labs[stack])
            if stack == MOD_WSGI6_STACK:  # its mod_wsgi 6 image, built beside the stack's own
                provision.setup(dataclasses.replace(boot_spec, mod_wsgi="6", gil="own", transport="pyamqp"))
            self.labs[stack].up(boot_spec)
            self.labs[stack].read_ports(boot_spec)

        errors = []
        thread = threading.Thread(target=lambda: _catch(boot, errors), daemon=True)
        thread.start()
        self.starting[stack] = (thread, errors)

    def lab(self, stack):
        """That stack's lab, once it is up; the one before it is taken down."""
        if stack != self.current:
            if self.current:
                self.stop(self.current)
            self.start(stack)
            thread, errors = self.starting[stack]
            thread.join(timeout=1800)
            assert not errors, errors[0]
            self.current = stack
            following = self.order[self.order.index(stack) + 1 :]
            if following:
                self.start(following[0])
        return self.labs[stack]

    def stop(self, stack):
        lab = self.labs[stack]
        self.stopping.append(
            subprocess.Popen(
                [*lab.argv(), "--profile", "postgres", "down", "-v", "--remove-orphans"],
                env=lab.env(self.boot_spec(stack)),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        )
        self.starting.pop(stack, None)

    def close(self):
        for stack in list(self.starting):
            self.starting[stack][0].join(timeout=1800)
            self.stop(stack)
        for stopping in self.stopping:  # side by side: each waits on its workers' warm shutdown
            stopping.wait(timeout=300)


def _catch(function, errors):
    try:
        function()
    except Exception as exc:  # reported by the test that waits for it
        errors.append(exc)


def compose_command(lab, run_spec):
    """`docker compose` as one shell command line that carries the project's settings (pytest-docker's form)."""
    env = {**lab.settings, **run_spec.compose_env(), "LAB_NAME": NAME}
    return "env " + " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items()) + " docker compose"


def copy_fix(folder, fix):
    """A sample fix's entries copied into a workspace folder (the attendee's edit, done)."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o777)
    for entry in (FIXES_DIR / fix).glob("*_wsgi.py"):
        shutil.copy(entry, folder / entry.name)
