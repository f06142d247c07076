"""The offline venue bundle, proven on one stack: `make bundle`; a truncated and a corrupted
copy refused with one line and nothing loaded; then, in the bundle's own copy of the lab and
against an empty Docker engine of its own (a second dockerd: a laptop that has never seen
the lab), `make load-bundle` inside a network namespace with no route (`unshare -n`), and
`make reproduce` with no build, pull, apt, debootstrap or pip download.

Needs root for unshare -n, the second dockerd and its bridge: as root, or through passwordless
sudo (GitHub's runner: user `runner`; scripts/ci-proof.sh proves it here); the rest runs as the
user. Skipped elsewhere, failed under CI."""

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, free_port

# Commands that download or build what the bundle should already hold: on PATH during the
# proof, each one writes its name down and fails.
SHIMMED = ("apt-get", "apt", "debootstrap", "pip", "pip3", "curl", "wget")
BRIDGE = "labengine0"  # the second engine's default bridge


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


@pytest.fixture(scope="module")
def as_root():
    """The prefix that runs a command as root (see root_prefix)."""
    prefix = root_prefix()
    if prefix is None or not all(shutil.which(tool) for tool in ("unshare", "dockerd", "ip", "setpriv")):
        message = "the bundle proof needs root or passwordless sudo, and unshare, setpriv, dockerd and ip"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    return prefix


def as_me(command, env):
    """`command` as this user again, with exactly `env` (sudo resets the environment)."""
    ids = [f"--reuid={os.getuid()}", f"--regid={os.getgid()}", "--init-groups"]
    return ["setpriv", *ids, "env", "-i", *(f"{key}={value}" for key, value in env.items()), *command]


@pytest.fixture(scope="module")
def empty_engine(as_root):
    """A second Docker engine with nothing in it, on a socket of its own (group docker, as the
    first one's), with a default bridge of its own (`--bridge=none` would make it delete the
    first engine's docker0) and its networks in an address pool the first engine does not use."""
    home = Path(tempfile.mkdtemp(prefix="lab-engine-"))
    socket = home / "docker.sock"
    pidfile = home / "dockerd.pid"
    log = (home / "dockerd.log").open("w")
    root = as_root
    subprocess.run([*root, "ip", "link", "del", BRIDGE], capture_output=True)  # left by an interrupted run
    for command in (["add", BRIDGE, "type", "bridge"], ["set", BRIDGE, "up"]):
        subprocess.run([*root, "ip", "link", *command], check=True)
    subprocess.run([*root, "ip", "addr", "add", "10.214.0.1/24", "dev", BRIDGE], check=True)
    engine = subprocess.Popen(
        [
            *root, "dockerd", "--data-root", str(home / "data"), "--exec-root", str(home / "exec"),
            "--pidfile", str(pidfile), "--host", f"unix://{socket}", f"--bridge={BRIDGE}",
            "--default-address-pool", "base=10.213.0.0/16,size=24",
        ],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    env = {"DOCKER_HOST": f"unix://{socket}"}
    for _ in range(120):
        if subprocess.run(["docker", "info"], env={**os.environ, **env}, capture_output=True).returncode == 0:
            break
        time.sleep(0.25)
    else:
        stop_engine(root, pidfile, engine)
        pytest.fail(f"the second dockerd did not answer: {(home / 'dockerd.log').read_text()[-2000:]}")
    try:
        yield env
    finally:
        stop_engine(root, pidfile, engine)
        log.close()
        subprocess.run([*root, "ip", "link", "del", BRIDGE], capture_output=True)
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


@pytest.fixture(scope="module")
def bundle(as_root, pytestconfig):
    """One stack's bundle (the suite's), made by `make bundle` from this checkout."""
    started = time.monotonic()
    made = make("bundle", f"BUNDLE_STACKS={pytestconfig.getoption('--stack')}", cwd=ROOT)
    assert made.returncode == 0, made.stdout + made.stderr
    path = ROOT / re.search(r"^bundle: (dist/\S+\.tar), ", made.stdout, re.M)[1]
    print(f"make bundle: {path.stat().st_size / 2**20:.0f} MiB in {time.monotonic() - started:.1f} s")
    return path


@pytest.fixture(scope="module")
def venue(bundle, tmp_path_factory):
    """The bundle's own copy of the lab, as an attendee unpacks it: no venv, no wheels."""
    place = tmp_path_factory.mktemp("venue")
    subprocess.run(["tar", "-xf", str(bundle), "-C", str(place), "mod-wsgi-leak-lab"], check=True)
    return place / "mod-wsgi-leak-lab"


def refused(venue, engine, broken):
    """`make load-bundle` of a broken bundle: exit status, its one line, nothing loaded."""
    completed = make("load-bundle", f"BUNDLE={broken}", cwd=venue, env=engine)
    images = subprocess.run(["docker", "images", "-q"], env={**os.environ, **engine}, capture_output=True, text=True)
    assert images.stdout.strip() == "", "a refused bundle loaded images"
    assert not (venue / ".venv").exists() and not (venue / "wheelhouse").exists()
    # The lab's one line; make adds its own "make: *** [...] Error 1" after it.
    return completed.returncode, [line for line in completed.stderr.splitlines() if not line.startswith("make: ***")]


def test_a_truncated_bundle_is_refused_in_one_line_and_nothing_is_loaded(bundle, venue, empty_engine, tmp_path):
    truncated = tmp_path / "truncated.tar"
    with bundle.open("rb") as whole, truncated.open("wb") as part:
        part.write(whole.read(bundle.stat().st_size // 2))
    status, lines = refused(venue, empty_engine, truncated)
    assert status != 0 and len(lines) == 1 and lines[0].startswith("load-bundle: "), lines
    assert "truncated" in lines[0]


def test_a_corrupted_bundle_is_refused_by_its_checksum(bundle, venue, empty_engine, tmp_path):
    corrupted = tmp_path / "corrupted.tar"
    shutil.copy(bundle, corrupted)
    shutil.copy(bundle.with_name(bundle.name + ".sha256"), tmp_path / "corrupted.tar.sha256")
    with corrupted.open("r+b") as damaged:
        damaged.seek(corrupted.stat().st_size // 3)
        byte = damaged.read(1)
        damaged.seek(-1, os.SEEK_CUR)
        damaged.write(bytes([byte[0] ^ 0xFF]))
    status, lines = refused(venue, empty_engine, corrupted)
    assert status != 0 and len(lines) == 1 and "SHA-256" in lines[0], lines


def test_the_bundle_loads_offline_then_reproduce_builds_and_downloads_nothing(
    bundle, venue, empty_engine, as_root, tmp_path
):
    started = time.monotonic()
    # No network at all (a new network namespace needs root); the load itself runs as this user.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    make_load = ["make", "--no-print-directory", "load-bundle", f"BUNDLE={bundle}"]
    loaded = subprocess.run(
        [*as_root, "unshare", "-n", *as_me(make_load, {**env, **empty_engine})],
        cwd=venue, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    print(f"make load-bundle (offline): {time.monotonic() - started:.1f} s")

    shims, calls = tmp_path / "shims", tmp_path / "calls"
    shims.mkdir()
    for name in SHIMMED:
        (shims / name).write_text(f'#!/bin/sh\necho {name} "$@" >> {calls}\nexit 1\n')
        (shims / name).chmod(0o755)
    stamps = [venue / ".venv/.installed", *venue.glob("wheelhouse/*/.complete"), *venue.glob("var/stamps/*")]
    before = {path: path.stat().st_mtime for path in stamps}
    since = str(int(time.time()))
    env = {**empty_engine, "PATH": f"{shims}:{os.environ['PATH']}"}
    ports = [f"LAB_HTTP_PORT={free_port()}", f"LAB_MGMT_PORT={free_port()}"]
    try:
        run = make("reproduce", "REQUESTS=40", "FIRST=app2", *ports, cwd=venue, env=env)
        engine_events = subprocess.run(
            ["docker", "events", "--since", since, "--until", str(int(time.time()) + 1), "--filter", "type=image",
             "--format", "{{.Action}} {{.Actor.ID}}"],
            env={**os.environ, **empty_engine}, capture_output=True, text=True,
        ).stdout  # fmt: skip
    finally:
        make("down", cwd=venue, env=empty_engine)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    assert "REPRODUCED" in run.stdout
    assert "Building" not in run.stdout + run.stderr
    assert not calls.exists(), calls.read_text()
    assert engine_events.strip() == "", f"the engine pulled, built or imported: {engine_events}"
    assert {path: path.stat().st_mtime for path in stamps} == before, "a set-up step ran again"
