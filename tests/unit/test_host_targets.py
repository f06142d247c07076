"""What the host targets need, from a fresh clone: every Python module a target of the Makefile
runs with the venv alone (not `make dev`'s test and lint packages) imports in a venv built from
requirements/host.txt alone. And programs read a run's answer from its report, never from the
terminal's text (no script, program or test greps a verdict line)."""

import hashlib
import re
import subprocess
import sys
from pathlib import Path

from loadtest.lab import read_choices

ROOT = Path(__file__).resolve().parents[2]
HOST_REQUIREMENTS = ROOT / "requirements" / "host.txt"
VERDICT_WORDS = re.compile(r"\b(?:NOT[ _])?(?:REPRODUCED|FIXED|ISOLATED)\b|INCONCLUSIVE|Report: ")
READS_TEXT = re.compile(
    r"\bgrep\b|re\.(?:search|match|fullmatch|findall)\(|\b(?:line|output|stdout|text)\.startswith\("
    r"|\bin (?:\w+\.)?(?:stdout|output)\b"
)


def host_modules():
    """{target: modules} of the Makefile's targets whose prerequisites do not include `dev`:
    `$(PY) -m MODULE` in their recipes, and `$(LAB)` (python -m loadtest)."""
    targets, current = {}, None
    for line in (ROOT / "Makefile").read_text().splitlines():
        header = re.match(r"^([a-z][a-z0-9-]*):(?!=)([^#]*)", line)
        if header and ":=" not in line:
            current = None if re.search(r"\bdev\b", header[2]) else header[1]
            continue
        if current and line.startswith("\t"):
            modules = set(re.findall(r"\$\(PY\) -m ([\w.]+)", line))
            modules |= {"loadtest"} if "$(LAB)" in line else set()
            if modules:
                targets.setdefault(current, set()).update(modules)
    return targets


def host_venv():
    """A venv with requirements/host.txt alone, kept in var/ for as long as that file is the same."""
    digest = hashlib.sha256(HOST_REQUIREMENTS.read_bytes()).hexdigest()[:16]
    venv = ROOT / "var" / f"host-only-venv-{digest}"
    python = venv / "bin" / "python"
    if not (venv / ".complete").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        wheels = ROOT / "wheelhouse" / "host"  # after make load-bundle: offline
        offline = ["--no-index", "--find-links", str(wheels)] if (wheels / ".complete").exists() else []
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *offline,
             "-r", str(HOST_REQUIREMENTS)],
            check=True,
        )  # fmt: skip
        (venv / ".complete").touch()
    return python


def test_the_makefile_runs_host_modules():
    targets = host_modules()
    assert {"run", "matrix", "report", "up", "xray", "interpreters", "diff"} <= set(targets), targets
    assert "loadtest" in targets["run"] and "loadtest.matrix" in targets["matrix"], targets


def test_every_module_a_host_target_runs_imports_with_the_host_requirements_alone():
    modules = sorted(set().union(*host_modules().values()))
    python = host_venv()
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    completed = subprocess.run(
        [str(python), "-c", script, *modules], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, f"{modules}: {completed.stderr[-2000:]}"
    # make diff runs loadtest.docs itself, not only its import.
    diff = subprocess.run([str(python), "-m", "loadtest.docs", "--diff"], cwd=ROOT, capture_output=True, text=True)
    assert diff.returncode == 0 and "config_from_object" in diff.stdout, diff.stderr[-2000:]


def files_that_run():
    yield ROOT / "Makefile"
    yield ROOT / ".ci" / "run"
    yield from (ROOT / "scripts").glob("*.sh")
    yield from (ROOT / ".github" / "workflows").glob("*.yml")
    for folder in ("loadtest", "scripts", "tests"):
        yield from (ROOT / folder).rglob("*.py")


def test_no_program_script_or_test_reads_a_verdict_from_the_terminals_text():
    found = []
    for path in files_that_run():
        if path == Path(__file__) or path.name == "checker.py":  # this test; where verdicts are made
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if VERDICT_WORDS.search(line) and READS_TEXT.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "read reports/latest.json (loadtest.answer) instead:\n" + "\n".join(found)


def test_the_verdict_reader_would_catch_the_old_ways():
    for old in (
        """line=$(make reproduce | grep -E '^(REPRODUCED|NOT REPRODUCED|INCONCLUSIVE)')""",
        """if line.startswith("Report: "):""",
        """assert "REPRODUCED" in run.stdout""",
        """found = re.search(r"^(?:(?:NOT )?(?:REPRODUCED|FIXED)): .*$", output, re.M)""",
    ):
        assert VERDICT_WORDS.search(old) and READS_TEXT.search(old), old


def test_the_host_pythons_begin_where_pyproject_allows():
    """choices.mk's HOST_PYTHONS (what a bundle carries wheels for, what ensure-python.sh
    asks for) starts at pyproject.toml's requires-python, and runs in order; the running
    Python is one of them."""
    versions = read_choices()["HOST_PYTHONS"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^requires-python = ">=(\S+)"$', pyproject, re.M)[1] == versions[0]
    assert [tuple(map(int, v.split("."))) for v in versions] == sorted(tuple(map(int, v.split("."))) for v in versions)
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" in versions
