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
from loadtest.lab import read_choices


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
    """The oldest host Python is choices.mk's first HOST_PYTHONS (pyproject.toml's
    requires-python): a python3 one minor version older is refused in one line that names both."""
    oldest = read_choices()["HOST_PYTHONS"][0]
    major, minor = map(int, oldest.split("."))
    older = sorted(Path.home().glob(f".pyenv/versions/{major}.{minor - 1}.*/bin/python3"))
    if not older:
        pytest.skip(f"no pyenv Python {major}.{minor - 1} on this machine")
    (tmp_path / "python3").symlink_to(older[0])
    completed = subprocess.run(
        ["bash", str(docs.ROOT / "scripts" / "ensure-python.sh")],
        env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 1
    assert f"needs Python {oldest} or later" in completed.stderr and f"is {major}.{minor - 1}" in completed.stderr


from loadtest import exercises  # noqa: E402

MEASURED = """# each exercise's command, hot, in order
make reproduce                                               23.3 s  exit 0  REPRODUCED: 148 of 300 tasks misrouted
make try-fix FIX=no-set-default FIRST=app2 PROCESSES=1        8.7 s  exit 0  NOT FIXED: 0 of 300 tasks misrouted
"""


def test_measured_seconds_reads_each_command_and_its_time():
    assert exercises.measured_seconds(MEASURED) == {
        "make reproduce": 23.3,
        "make try-fix FIX=no-set-default FIRST=app2 PROCESSES=1": 8.7,
    }


def test_the_ninety_minute_plan_fits_ninety_minutes_and_the_half_day_holds_every_exercise():
    listed = exercises.load()
    ninety = exercises.plan(listed, "ninety")
    assert ninety[-1][0] + ninety[-1][1] <= 90
    half_day = exercises.plan(listed, "half-day")
    assert half_day[-1][0] + half_day[-1][1] <= 210
    assert {row[3]["id"] for row in half_day if row[3]} == {exercise["id"] for exercise in listed}


def test_a_plan_over_its_budget_or_naming_no_exercise_is_refused(monkeypatch):
    listed = exercises.load()
    monkeypatch.setitem(exercises.PLANS, "tiny", (10, ["reproduce", "try-fix"]))
    with pytest.raises(ValueError, match="more than its 10"):
        exercises.plan(listed, "tiny")
    monkeypatch.setitem(exercises.PLANS, "typo", (90, ["reproduse"]))
    with pytest.raises(ValueError, match="no exercise 'reproduse'"):
        exercises.plan(listed, "typo")


def test_no_plan_spoils_the_fix_before_the_room_tries_it():
    """Exercises try-fix and wrong-fix-order ask the room for the fix: nothing before them in a
    plan names `make diff`, the fixes' folder or config_from_object()."""
    listed = exercises.load()
    for name in exercises.PLANS:
        for _start, _minutes, what, exercise, _seconds in exercises.plan(listed, name):
            if exercise and exercise["id"] in ("try-fix", "wrong-fix-order"):
                break
            assert not any(word in what for word in ("make diff", "fixes/", "config_from_object", "fix is")), what


def test_the_handout_holds_no_answer_and_the_guide_holds_every_one():
    listed = exercises.load()
    handout, guide = exercises.handout(listed), exercises.guide(listed)
    assert not exercises.VERDICT_WORDS.search(handout)
    for exercise in listed:
        for field in ("expect", "why", "lesson", "notes"):
            if exercise.get(field):
                assert exercise[field] not in handout, (exercise["id"], field)
                assert exercise[field] in guide, (exercise["id"], field)
        assert all(wrong in guide for wrong in exercise["wrong_predictions"])
        assert all(hint in guide for hint in exercise.get("hints", ()))
        assert exercise["predict"] in handout and exercise["command"] in handout


def test_an_exercise_whose_handout_text_gives_the_verdict_away_is_refused(tmp_path):
    text = exercises.EXERCISES_FILE.read_text().replace(
        "Can a task of app1 end up at app2's worker?", "It says REPRODUCED, doesn't it?"
    )
    (tmp_path / "exercises.yml").write_text(text)
    with pytest.raises(ValueError, match="'reproduce': its predict gives a verdict away"):
        exercises.load(tmp_path / "exercises.yml")


def test_the_slides_fetch_nothing_and_open_from_disk_with_no_network(tmp_path):
    """Every slide's figure comes from a stored run or a lab file; the page names no URL it
    would load (no src, href or url() outside the document), and a headless Chromium whose
    every request goes to a closed port draws the run's picture slide from disk."""
    import re

    from loadtest import slides

    page = tmp_path / "slides.html"
    assert slides.main(["--out", str(page)]) == 0
    text = page.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:|//)|url\(|<link|<script""", text)
    assert "REPRODUCED" in text and "NOT FIXED" in text and "WSGIDaemonProcess" in text
    if not slides.browser():
        pytest.skip("no Chromium or Chrome on PATH")
    shot = tmp_path / "s4.png"
    completed = subprocess.run(
        [slides.browser(), "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
         "--window-size=1280,900", f"--screenshot={shot}", page.as_uri() + "#s4"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0 and shot.exists(), completed.stderr[-500:]
    assert shot.stat().st_size > 100_000, "the picture slide drew nearly nothing"


def test_an_exercise_whose_expect_and_check_disagree_on_the_verdict_is_refused(tmp_path):
    """The guide's "Expect" and the integration test's check are one claim: a verdict said in
    the one must be the verdict the other asserts."""
    text = exercises.EXERCISES_FILE.read_text().replace("    NOT FIXED: some app2 requests fail.", "    FIXED.")
    (tmp_path / "exercises.yml").write_text(text)
    with pytest.raises(ValueError, match="'wrong-fix-order': its expect says FIXED, its check asserts NOT_FIXED"):
        exercises.load(tmp_path / "exercises.yml")


def test_a_verdict_beside_a_stored_run_must_be_that_runs(tmp_path):
    """check_docs (make lint): a prose line that cites one stored run and says a verdict says the
    run's own: the kind of contradiction issue 31 found (the fix claimed beside a run NOT FIXED)."""
    from loadtest.tools import check_docs

    readme = "The 2013 fix holds for today's shape too (FIXED: `docs/runs/twelve-factor-eager.json`).\\n"
    found = list(check_docs.verdicts_against_runs(readme, check_docs.stored_verdicts(docs.ROOT)))
    assert found == [(1, "FIXED", "twelve-factor-eager", "NOT FIXED")]
    honest = "The 2013 fix alone is NOT FIXED there (`docs/runs/twelve-factor-eager.json`).\\n"
    assert list(check_docs.verdicts_against_runs(honest, check_docs.stored_verdicts(docs.ROOT))) == []
