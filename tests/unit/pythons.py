"""The CPythons on this machine: on PATH, and under `pyenv root` (pyenv versions --bare), each
once (by version), for the tests that run envleak on every Python it claims."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENVLEAK_SRC = ROOT / "envleak" / "src"
ENVLEAK_TESTS = ROOT / "envleak" / "tests"
NAMES = ["python", "python2", "python2.7", "python3"] + [f"python3.{minor}" for minor in range(6, 16)]
# Python 2.7 and 3 alike: one line "IMPLEMENTATION MAJOR MINOR PREFIX", then the version.
PROBE = (
    "import platform, sys; v = sys.version_info; "
    "sys.stdout.write('%s %d %d %s\\n%s\\n' % (platform.python_implementation(), v[0], v[1], sys.prefix, "
    "platform.python_version()))"
)


def candidates():
    for name in NAMES:
        found = shutil.which(name)
        if found:
            yield Path(found)
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=30).stdout.strip()
        versions = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True, timeout=30).stdout
        for version in versions.split():
            for name in ("python", "python3", "python2"):
                path = Path(root) / "versions" / version / "bin" / name
                if path.exists():
                    yield path
                    break


def find():
    """{"2.7": {"python": path, "version": "2.7.18", "prefix": sys.prefix}, ...}: one CPython
    per major.minor, 2.7 or 3.6 and later, the first found (PATH before pyenv)."""
    found = {}
    for path in candidates():
        try:
            answer = subprocess.run(
                [str(path), "-c", PROBE],
                capture_output=True, text=True, timeout=30, env=without_pyenv_shims(),
            )  # fmt: skip
        except OSError:
            continue
        lines = answer.stdout.split("\n")
        if answer.returncode != 0 or len(lines) < 2:
            continue
        implementation, major, minor, prefix = lines[0].split(" ", 3)
        key = f"{major}.{minor}"
        claimed = key == "2.7" or (major == "3" and int(minor) >= 6)
        if implementation == "CPython" and claimed and key not in found:
            found[key] = {"python": str(path), "version": lines[1].strip(), "prefix": prefix}
    return dict(sorted(found.items(), key=lambda item: tuple(map(int, item[0].split(".")))))


def without_pyenv_shims():
    """The environment with PYENV_VERSION dropped, so that a path runs the Python it names."""
    return {key: value for key, value in os.environ.items() if key != "PYENV_VERSION"}
