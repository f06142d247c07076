"""The offline venue bundle, proven on one stack: `make bundle`; a truncated, a corrupted and a
relabelled copy refused with one line and nothing loaded; then, in the bundle's own copy of
the lab and against an empty Docker engine of its own (a second dockerd: a laptop that has
never seen the lab), `make load-bundle` inside a network namespace with no route
(`unshare -n`), and `make reproduce` with no build, pull, apt, debootstrap or pip download.
The slow part runs beside the rest of the suite (BundleProof); these tests run last.

Needs root for unshare -n, the second dockerd and its bridge: as root, or through passwordless
sudo (GitHub's runner: user `runner`; scripts/ci-proof.sh proves it here); the rest runs as the
user. Skipped elsewhere, failed under CI."""

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from loadtest.document import latest as latest_report
from tests.integration.harness import ROOT, SET_UP, free_port

pytestmark = pytest.mark.last

# Commands that download or build what the bundle should already hold: on PATH during the
# proof, each one writes its name down and fails.
SHIMMED = ("apt-get", "apt", "debootstrap", "pip", "pip3", "curl", "wget")


def make(*args, cwd, env=None, timeout=600):
    base = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=cwd, env={**base, **(env or {})},
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def root_prefix():
    """How to run a command as root: nothing as root, `sudo -n` where sudo needs no password,
    None otherwise."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    return None


def as_me(command, env):
    """`command` as this user again, with exactly `env` (sudo resets the environment)."""
    ids = [f"--reuid={os.getuid()}", f"--regid={os.getgid()}", "--init-groups"]
    return ["setpriv", *ids, "env", "-i", *(f"{key}={value}" for key, value in env.items()), *command]


@contextlib.contextmanager
def empty_engine(root, number):
    """A Docker engine with nothing in it (a laptop that has never seen the lab): dockerd on a
    socket of its own (group docker, as the first one's), with a default bridge of its own
    (`--bridge=none` would make it delete the first engine's docker0) and its networks in an
    address pool the first engine does not use. `number` keeps two such engines apart."""
    bridge = f"labengine{number}"
    home = Path(tempfile.mkdtemp(prefix="lab-engine-"))
    socket, pidfile = home / "docker.sock", home / "dockerd.pid"
    log = (home / "dockerd.log").open("w")
    subprocess.run([*root, "ip", "link", "del", bridge], capture_output=True)  # left by an interrupted run
    for command in (["add", bridge, "type", "bridge"], ["set", bridge, "up"]):
        subprocess.run([*root, "ip", "link", *command], check=True)
    subprocess.run([*root, "ip", "addr", "add", f"10.{214 + 2 * number}.0.1/24", "dev", bridge], check=True)
    engine = subprocess.Popen(
        [
            *root, "dockerd", "--data-root", str(home / "data"), "--exec-root", str(home / "exec"),
            "--pidfile", str(pidfile), "--host", f"unix://{socket}", f"--bridge={bridge}",
            "--default-address-pool", f"base=10.{213 + 2 * number}.0.0/16,size=24",
        ],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    env = {"DOCKER_HOST": f"unix://{socket}"}
    try:
        for _ in range(120):
            if subprocess.run(["docker", "info"], env={**os.environ, **env}, capture_output=True).returncode == 0:
                break
            time.sleep(0.25)
        else:
            raise AssertionError(f"the second dockerd did not answer: {(home / 'dockerd.log').read_text()[-2000:]}")
        yield env
    finally:
        stop_engine(root, pidfile, engine)
        log.close()
        subprocess.run([*root, "ip", "link", "del", bridge], capture_output=True)
        subprocess.run([*root, "rm", "-rf", str(home)], capture_output=True)


def stop_engine(root, pidfile, engine):
    """SIGTERM to the second dockerd (through sudo: it runs as root), then reap it (it is this
    process's child, or sudo's, which exits with it): a child not waited for stays a zombie."""
    if pidfile.exists():
        subprocess.run([*root, "kill", "-TERM", pidfile.read_text().strip()], capture_output=True)
    try:
        engine.wait(timeout=60)
    except subprocess.TimeoutExpired:
        subprocess.run([*root, "kill", "-KILL", pidfile.read_text().strip()], capture_output=True)
        engine.wait(timeout=10)


def unpack_lab(bundle, place):
    """The bundle's own copy of the lab, as an attendee unpacks it: no venv, no wheels."""
    subprocess.run(["tar", "-xf", str(bundle), "-C", str(place), "mod-wsgi-leak-lab"], check=True)
    return place / "mod-wsgi-leak-lab"


def laptop_pythons():
    """The Pythons the proof readies a laptop with, one after the other, each with an empty
    engine of its own: BUNDLE_PYTHONS (interpreters' paths, space-separated:
    scripts/measure-bundle-pythons.sh gives pyenv's), else this machine's python3 alone."""
    return os.environ.get("BUNDLE_PYTHONS", "").split() or [shutil.which("python3")]


class BundleProof(threading.Thread):
    """The proof's slow part, started with the suite's first integration test (the `bundle_proof`
    fixture of conftest.py) and run beside the rest of it: everything here has its own engine,
    venue, ports and files, and touches nothing the other tests use. `make bundle` of the
    suite's stack; then for each laptop Python, in the bundle's own copy of the lab and against
    an empty engine, `make load-bundle` with no network at all, and `make reproduce` with every
    download and build rigged to fail. It records what happened (`records`, one per Python);
    the tests below, run last, assert it."""

    def __init__(self, stack, place):
        super().__init__(name="bundle-proof", daemon=True)
        self.stack, self.place = stack, place
        self.root = root_prefix()
        self.made = threading.Event()
        self.bundle = self.error = None
        self.bundle_seconds = None
        self.records = []

    def unavailable(self):
        """Why the proof cannot run here (None when it can)."""
        if self.root is None or not all(shutil.which(tool) for tool in ("unshare", "dockerd", "ip", "setpriv")):
            return "the bundle proof needs root or passwordless sudo, and unshare, setpriv, dockerd and ip"
        return None

    def run(self):
        if self.unavailable():
            self.made.set()
            return
        try:
            SET_UP.wait(timeout=1800)  # the suite's own set-up first (the `bundle` fixture asks for it)
            started = time.monotonic()
            made = make("bundle", f"BUNDLE_STACKS={self.stack}", cwd=ROOT)
            assert made.returncode == 0, made.stdout + made.stderr
            self.bundle = ROOT / re.search(r"^bundle: (dist/\S+\.tar), ", made.stdout, re.M)[1]
            self.bundle_seconds = time.monotonic() - started
        except BaseException as exc:  # re-raised by the tests
            self.error = exc
            return
        finally:
            self.made.set()
        try:
            for index, python in enumerate(laptop_pythons()):
                place = self.place / f"laptop-{index}"
                place.mkdir()
                record = {"python": python}
                self.records.append(record)
                with empty_engine(self.root, 1) as engine:
                    self.prove(unpack_lab(self.bundle, place), place, engine, python, record)
        except BaseException as exc:
            self.error = exc

    def prove(self, venue, place, engine, python, record):
        """One laptop: its python3 is `python` (first on PATH), its engine empty."""
        started = time.monotonic()
        own = place / "python"
        own.mkdir()
        (own / "python3").symlink_to(python)
        record["version"] = subprocess.run(
            [python, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True
        ).stdout.strip()
        path = f"{own}:{os.environ['PATH']}"
        # No network at all (a new network namespace needs root); the load itself runs as this user.
        env = {key: os.environ[key] for key in ("HOME", "LANG") if key in os.environ} | {"PATH": path}
        make_load = ["make", "--no-print-directory", "load-bundle", f"BUNDLE={self.bundle}"]
        record["loaded"] = subprocess.run(
            [*self.root, "unshare", "-n", *as_me(make_load, {**env, **engine})],
            cwd=venue, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        record["load_seconds"] = time.monotonic() - started
        if record["loaded"].returncode != 0:
            return
        shims, calls = place / "shims", place / "calls"
        shims.mkdir()
        for name in SHIMMED:
            (shims / name).write_text(f'#!/bin/sh\necho {name} "$@" >> {calls}\nexit 1\n')
            (shims / name).chmod(0o755)
        stamps = [venue / ".venv/.installed", *venue.glob("wheelhouse/*/.complete"), *venue.glob("var/stamps/*")]
        before = {path: path.stat().st_mtime for path in stamps}
        since = str(int(time.time()))
        ports = [f"LAB_HTTP_PORT={free_port()}", f"LAB_MGMT_PORT={free_port()}"]
        try:
            record["run"] = make(
                "reproduce", "REQUESTS=40", "FIRST=app2", *ports, cwd=venue,
                env={**engine, "PATH": f"{shims}:{path}"},
            )  # fmt: skip
            record["venv_python"] = subprocess.run(
                [str(venue / ".venv/bin/python"), "-c", "import platform; print(platform.python_version())"],
                capture_output=True, text=True,
            ).stdout.strip()  # fmt: skip
            record["engine_events"] = subprocess.run(
                ["docker", "events", "--since", since, "--until", str(int(time.time()) + 1), "--filter",
                 "type=image", "--format", "{{.Action}} {{.Actor.ID}}"],
                env={**os.environ, **engine}, capture_output=True, text=True,
            ).stdout  # fmt: skip
            answer = latest_report(venue / "reports")
            record["verdict"] = answer and answer.verdict.kind
        finally:
            make("down", cwd=venue, env={**engine, "PATH": path})
        record["calls"] = calls.read_text() if calls.exists() else ""
        record["stamps_touched"] = [str(path) for path in stamps if path.stat().st_mtime != before[path]]

    def wait_for(self, event_or_thread):
        """Wait for the bundle (an Event) or the whole proof (the thread), then skip, fail or
        re-raise as the proof went."""
        reason = self.unavailable()
        if reason:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI=true: {reason}")
            pytest.skip(reason)
        if event_or_thread is self:
            self.join(timeout=600 + 600 * len(laptop_pythons()))
        else:
            event_or_thread.wait(timeout=1200)
        if self.error is not None:
            raise self.error


@pytest.fixture(scope="module")
def bundle(bundle_proof, suite_lab):
    """The suite's one-stack bundle, made by `make bundle` from this checkout (BundleProof), once
    the suite's set-up has ended (suite_lab: asked for here too, for a run of this file alone)."""
    bundle_proof.wait_for(bundle_proof.made)
    size, seconds = bundle_proof.bundle.stat().st_size / 2**20, bundle_proof.bundle_seconds
    print(f"make bundle: {size:.0f} MiB in {seconds:.1f} s")
    return bundle_proof.bundle


@pytest.fixture(scope="module")
def refusals_engine(bundle_proof, bundle):
    """An empty engine of its own for the refusals (the proof's engine is busy loading)."""
    with empty_engine(bundle_proof.root, 0) as engine:
        yield engine


@pytest.fixture(scope="module")
def venue(bundle, tmp_path_factory):
    """A copy of the bundle's lab for the refusals: it must stay without a venv or wheels."""
    return unpack_lab(bundle, tmp_path_factory.mktemp("venue"))


def refused(venue, engine, broken):
    """`make load-bundle` of a broken bundle: exit status, its one line, nothing loaded."""
    completed = make("load-bundle", f"BUNDLE={broken}", cwd=venue, env=engine)
    images = subprocess.run(["docker", "images", "-q"], env={**os.environ, **engine}, capture_output=True, text=True)
    assert images.stdout.strip() == "", "a refused bundle loaded images"
    assert not (venue / ".venv").exists() and not (venue / "wheelhouse").exists()
    # The lab's one line; make adds its own "make: *** [...] Error 1" after it.
    return completed.returncode, [line for line in completed.stderr.splitlines() if not line.startswith("make: ***")]


def test_a_truncated_bundle_is_refused_in_one_line_and_nothing_is_loaded(bundle, venue, refusals_engine, tmp_path):
    truncated = tmp_path / "truncated.tar"
    with bundle.open("rb") as whole, truncated.open("wb") as part:
        part.write(whole.read(bundle.stat().st_size // 2))
    status, lines = refused(venue, refusals_engine, truncated)
    assert status != 0 and len(lines) == 1 and lines[0].startswith("load-bundle: "), lines
    assert "truncated" in lines[0]


def test_a_corrupted_bundle_is_refused_by_its_checksum(bundle, venue, refusals_engine, tmp_path):
    corrupted = tmp_path / "corrupted.tar"
    shutil.copy(bundle, corrupted)
    shutil.copy(bundle.with_name(bundle.name + ".sha256"), tmp_path / "corrupted.tar.sha256")
    with corrupted.open("r+b") as damaged:
        damaged.seek(corrupted.stat().st_size // 3)
        byte = damaged.read(1)
        damaged.seek(-1, os.SEEK_CUR)
        damaged.write(bytes([byte[0] ^ 0xFF]))
    status, lines = refused(venue, refusals_engine, corrupted)
    assert status != 0 and len(lines) == 1 and "SHA-256" in lines[0], lines


def test_a_bundle_for_another_architecture_is_refused_in_one_line(bundle, venue, refusals_engine, tmp_path):
    # The suite's bundle, relabelled as if made for the other architecture (its checksums made
    # again, as bundle.sh makes them), so that only the architecture is wrong.
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run(["tar", "-xf", str(bundle), "-C", str(unpacked)], check=True)
    settings = unpacked / "payload" / "bundle.env"
    arch = re.search(r'^BUNDLE_ARCH="(.*)"$', settings.read_text(), re.M)[1]
    other = {"amd64": "arm64", "arm64": "amd64"}[arch]
    settings.write_text(settings.read_text().replace(f'BUNDLE_ARCH="{arch}"', f'BUNDLE_ARCH="{other}"'))
    sums = subprocess.run(
        "find payload mod-wsgi-leak-lab -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum",
        shell=True, cwd=unpacked, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    (unpacked / "payload" / "SHA256SUMS").write_text(sums)
    relabelled = tmp_path / f"{other}.tar"
    subprocess.run(["tar", "-C", str(unpacked), "-cf", str(relabelled), "mod-wsgi-leak-lab", "payload"], check=True)
    status, lines = refused(venue, refusals_engine, relabelled)
    assert status != 0 and len(lines) == 1, lines
    assert f"holds linux/{other} images and this lab runs linux/{arch}" in lines[0], lines


def test_the_bundle_loads_offline_then_reproduce_builds_and_downloads_nothing(bundle_proof, suite_lab):
    bundle_proof.wait_for(bundle_proof)
    assert len(bundle_proof.records) == len(laptop_pythons())
    for record in bundle_proof.records:
        loaded, run = record["loaded"], record.get("run")
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr
        # scripts/measure-bundle-pythons.sh keeps this line (docs/measured/bundle-pythons.txt).
        print(
            f"bundle proof: Python {record['version']}: make load-bundle offline {record['load_seconds']:.1f} s,"
            f" its venv's Python {record['venv_python']}, make reproduce {record['verdict']}"
        )
        assert record["venv_python"] == record["version"]  # the laptop's own Python ran the lab
        assert record["verdict"] == "REPRODUCED", run.stdout[-3000:]
        assert "Building" not in run.stdout + run.stderr
        assert record["calls"] == "", record["calls"]
        events = record["engine_events"]
        assert events.strip() == "", f"the engine pulled, built or imported: {events}"
        assert record["stamps_touched"] == [], "a set-up step ran again"
