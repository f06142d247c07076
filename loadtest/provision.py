"""What a spec's lab needs on this machine before it can start, each step skipped when it is
already done: a Docker engine, Compose v2 and the stack's Debian base image
(scripts/ensure-docker.sh), .env and the default run directory (scripts/ensure-env.sh), the
wheelhouse of the images' Python packages (downloaded on the host: pip inside an image build may
not reach the index, and an offline venue has none), envleak's wheel, and the images.
`make` only makes the host's venv; every other step is here, called by the commands that need it."""

import fcntl
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from loadtest.lab import NAME, ROOT, UsageError, read_choices
from loadtest.spec import CHOICES, RunSpec

VENV_BIN = Path(sys.executable).parent
STAMPS = ROOT / "var" / "stamps"
MACHINE = {"amd64": "x86_64", "arm64": "aarch64"}


def quietly(command, cwd=ROOT, env=None, what=None):
    """Run a command, showing its output only when it fails (then a UsageError)."""
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise UsageError(f"{what or ' '.join(map(str, command[:3]))} failed (its output is above)")
    return completed


def docker(spec):
    """A Docker engine, Compose v2 and the stack's base image for the spec's platform."""
    completed = subprocess.run(["bash", "scripts/ensure-docker.sh", "--platform", spec.platform, spec.stack], cwd=ROOT)
    if completed.returncode != 0:
        raise UsageError("Docker is not ready (ensure-docker said why, above)")


def env_defaults():
    """What .env gets when it lacks them: the defaults of choices.mk, for a bare `docker compose up`."""
    first = RunSpec()
    return {
        **first.compose_env(),
        "LAB_NAME": NAME,
        "LAB_HTTP_PORT": CHOICES["HTTP_PORT"][0],
        "LAB_MGMT_PORT": CHOICES["MGMT_PORT"][0],
    }


def env():
    """.env (random passwords) unless it exists, with the defaults it lacks; and the run directory
    of the default spec (var/run/) unless there is one, so that a bare `docker compose up` starts."""
    quietly(["bash", "scripts/ensure-env.sh", *(f"{k}={v}" for k, v in env_defaults().items())], what="make env")
    run_dir = ROOT / "var" / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    for name, text in RunSpec().apache_files().items():
        if not (run_dir / name).exists():
            (run_dir / name).write_text(text)


def wheelhouse_dir(spec):
    return ROOT / "wheelhouse" / f"{spec.stack}-{spec.arch}"


def sdist_tags(spec):
    """The sdists the stack's image builds (requirements/sdists.txt): mod_wsgi 6's on every Python 3
    stack, the Python 2.7 stack's own, and librabbitmq's (psycopg2's on 2.7) on arm64."""
    python2 = spec.python_version.startswith("2.")
    tags = [spec.stack if python2 else "mod_wsgi6"]
    if spec.arch == "arm64":
        tags.append(f"arm64-python{2 if python2 else 3}")
    return tags


def newer(target, sources):
    """Is any source file (or a file in a source folder) newer than `target`, or `target` missing?"""
    if not target.exists():
        return True
    since = target.stat().st_mtime
    for source in sources:
        paths = source.rglob("*") if source.is_dir() else [source]
        if any(path.stat().st_mtime > since for path in paths if path.is_file()):
            return True
    return False


def wheelhouse(spec):
    """The wheels of the stack's requirements for its Python on its architecture's Linux, then
    the sdists its image builds, into wheelhouse/<stack>-<arch>/."""
    folder = wheelhouse_dir(spec)
    complete = folder / ".complete"
    python2 = spec.python_version.startswith("2.")
    requirements = ROOT / "requirements" / f"apps{'-py27' if python2 else ''}.txt"
    inputs = [ROOT / "requirements" / name for name in ("apps.txt", "apps-py27.txt", "sdists.txt")]
    if not newer(complete, inputs):
        return
    folder.mkdir(parents=True, exist_ok=True)
    machine, tags = MACHINE[spec.arch], sdist_tags(spec)
    print(f"Downloading the {spec.stack} images' wheels for {spec.platform} into {folder.relative_to(ROOT)}/...")
    wanted = quietly(
        [sys.executable, "-m", "loadtest.tools.fetch_sdists", "--wheels", str(requirements), machine, *tags]
    ).stdout
    (folder / "wheels.txt").write_text(wanted)
    quietly(
        [
            str(VENV_BIN / "pip"),
            "download",
            "-q",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            "--no-deps",
            "--platform",
            f"manylinux2014_{machine}",
            "--python-version",
            spec.python_version,
            "--implementation",
            "cp",
            *(["--abi", "cp27mu"] if python2 else []),
            "-r",
            str(folder / "wheels.txt"),
            "-d",
            str(folder),
        ],
        what="pip download",
    )
    quietly([sys.executable, "-m", "loadtest.tools.fetch_sdists", str(folder), *tags], what="fetch_sdists")
    complete.touch()


def envleak_version():
    text = (ROOT / "envleak" / "src" / "envleak" / "__init__.py").read_text()
    return re.search(r'^__version__ = "(.+)"', text, re.M)[1]


def envleak_wheel(spec=None):
    """envleak's wheel and sdist from envleak/ (flit_core, from requirements/host.txt: no index
    needed) into dist/, built reproducibly (a fixed SOURCE_DATE_EPOCH); the wheel also into the
    stack's wheelhouse, replaced only when it differs, so the same sources never rebuild an image."""
    wheel = ROOT / "dist" / f"envleak-{envleak_version()}-py2.py3-none-any.whl"
    sources = [ROOT / "envleak" / "pyproject.toml", ROOT / "envleak" / "README.md", ROOT / "envleak" / "src"]
    (ROOT / "dist").mkdir(exist_ok=True)
    # One build at a time: two set-ups at once (the suite's and its bundle proof's `make bundle`)
    # would each delete the other's fresh wheel.
    with (ROOT / "dist" / ".envleak.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if newer(wheel, sources):
            for old in (ROOT / "dist").glob("envleak-*"):
                old.unlink()
            build = (
                "from flit_core import buildapi; "
                "[print('dist/' + build('../dist')) for build in (buildapi.build_wheel, buildapi.build_sdist)]"
            )
            quietly(
                [sys.executable, "-c", build],
                cwd=ROOT / "envleak",
                env={**os.environ, "SOURCE_DATE_EPOCH": "315532800"},
                what="envleak's build",
            )
        if spec is not None:
            copy = wheelhouse_dir(spec) / wheel.name
            if not copy.exists() or copy.read_bytes() != wheel.read_bytes():
                copy.parent.mkdir(parents=True, exist_ok=True)
                for old in copy.parent.glob("envleak-*.whl"):
                    old.unlink()
                shutil.copyfile(wheel, copy)
    return wheel


def envleak_installed():
    """The packaged envleak in the host's venv (make check-config runs it as operators do)."""
    wheel = envleak_wheel()
    marker = VENV_BIN.parent / ".envleak-installed"
    if not marker.exists() or marker.read_text() != wheel.name or newer(marker, [wheel]):
        quietly([str(VENV_BIN / "pip"), "install", "-q", "--disable-pip-version-check", "--no-deps",
                 "--force-reinstall", str(wheel)], what="installing envleak")  # fmt: skip
        marker.write_text(wheel.name)


def image_names(spec):
    """The images of a spec's lab (docker-compose.yml names them the same way)."""
    names = [
        f"{NAME}/python-apps:{spec.stack}-mod_wsgi-{spec.mod_wsgi}-{spec.arch}",
        *([f"{NAME}/python-apps:{spec.stack}-uwsgi-{spec.arch}"] if spec.server == "uwsgi" else []),
        f"{NAME}/rabbitmq:{spec.stack}-{spec.arch}",
    ]
    if spec.postgres:
        names.append(f"{NAME}/postgres:{spec.stack}-{spec.arch}")
    return names


def images(spec, lab_=None):
    """The spec's images, built when one is missing or anything they are built from changed since
    (choices.mk: BUILD_INPUTS, the wheelhouse)."""
    from loadtest.compose import Lab

    lab_ = lab_ or Lab()
    server = "" if spec.server == "mod_wsgi" else f"-{spec.server}"
    stamp = STAMPS / f"images-{spec.stack}-{spec.mod_wsgi}-{spec.arch}{server}"
    inputs = [ROOT / name for name in read_choices()["BUILD_INPUTS"]] + [wheelhouse_dir(spec)]
    present = subprocess.run(["docker", "image", "inspect", *image_names(spec)], capture_output=True).returncode == 0
    if present and not newer(stamp, inputs):
        return
    print(f"Building the lab's {spec.stack} images for {spec.platform}...", flush=True)
    completed = lab_.compose(spec, "build", "-q", check=False, timeout=3600)
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise UsageError(f"building the {spec.stack} images failed (the build's output is above)")
    STAMPS.mkdir(parents=True, exist_ok=True)
    stamp.touch()


def setup(spec, lab_=None):
    """Everything the spec's lab needs here, each step skipped when done."""
    docker(spec)
    env()
    wheelhouse(spec)
    envleak_wheel(spec)
    images(spec, lab_)
