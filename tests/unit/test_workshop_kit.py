"""The workshop kit's pure logic: the source lines the README quotes (loadtest.docs), and the
room's plans, the handout and the facilitator's guide written from workshop/exercises.yml
(loadtest.exercises)."""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from loadtest import docs


def test_source_lines_quotes_each_match_with_its_file_named():
    text = docs.source_lines(["apps/app1/app1/wsgi_buggy.py", r"^os\.environ\.setdefault"])
    assert text.startswith('os.environ.setdefault("CELERY_CONFIG_MODULE", "app1.celeryconfig")')
    assert text.endswith("# apps/app1/app1/wsgi_buggy.py")


def test_source_lines_refuses_a_pattern_that_finds_nothing():
    with pytest.raises(ValueError, match="nothing in apache/lab.conf matches"):
        docs.source_lines(["apache/lab.conf", "no such directive"])


def test_the_readme_shows_the_cause_and_the_first_command_on_its_first_screen():
    head = (docs.ROOT / "README.md").read_text().splitlines()[:20]
    assert any('setdefault("CELERY_CONFIG_MODULE"' in line for line in head)
    assert any(line.startswith("WSGIApplicationGroup %{ENV:WSGI_APP_GROUP}") for line in head)
    assert any(line.startswith("$ make reproduce") for line in head)


@pytest.fixture
def mac_path(tmp_path):
    """A PATH with the tools load-bundle.sh uses before it loads anything, as a stock Mac has
    them: Perl's shasum, no GNU sha256sum."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "uname", "date", "cut", "mkdir", "mktemp", "tar", "rm", "head", "sed", "shasum", "perl"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return str(bin_dir)


def fake_bundle(where, sums):
    (where / "payload").mkdir(parents=True)
    (where / "payload" / "file.txt").write_text("inside\n")
    (where / "payload" / "SHA256SUMS").write_text(sums)
    (where / "payload" / "bundle.env").write_text("")  # names no stack: load-bundle stops right after the sums
    subprocess.run(["tar", "-cf", str(where / "bundle.tar"), "-C", str(where), "payload"], check=True)
    return where / "bundle.tar"


GOOD = hashlib.sha256(b"inside\n").hexdigest()


@pytest.mark.parametrize(("digest", "says"), [(GOOD, "names no stack"), ("0" * 64, "is corrupted")])
def test_load_bundle_checks_the_bundle_with_shasum_where_sha256sum_is_missing(tmp_path, mac_path, digest, says):
    bundle = fake_bundle(tmp_path / "made", f"{digest}  payload/file.txt\n")
    completed = subprocess.run(
        [f"{mac_path}/bash", str(docs.ROOT / "scripts" / "load-bundle.sh"), str(bundle)],
        cwd=tmp_path, env={"PATH": mac_path}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stderr
    assert says in completed.stderr, completed.stderr


def test_ensure_python_refuses_a_python_older_than_pyproject_asks(tmp_path):
    """pyproject.toml's requires-python is >=3.11: a python3 of 3.10 (Ubuntu 22.04's) is refused
    in one line that names both versions."""
    older = sorted(Path.home().glob(".pyenv/versions/3.10.*/bin/python3"))
    if not older:
        pytest.skip("no pyenv Python 3.10 on this machine")
    (tmp_path / "python3").symlink_to(older[0])
    completed = subprocess.run(
        ["bash", str(docs.ROOT / "scripts" / "ensure-python.sh")],
        env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 1
    assert "needs Python 3.11 or later" in completed.stderr and "is 3.10" in completed.stderr
