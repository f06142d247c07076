"""The docs cite only what exists (loadtest.tools.check_docs, run by `make lint`): the tree passes,
and a copy with a stale citation planted in it fails, naming the citation. Their generated
sections are what `make docs` writes now (loadtest.docs)."""

import shutil

import pytest

from loadtest.tools import check_docs
from tests.unit.test_spec import ROOT

SKIPPED = {".git", ".venv", "wheelhouse", "reports", "var", "dist", ".pytest_cache", ".ruff_cache", ".hypothesis"}


def test_the_docs_cite_only_what_exists():
    assert check_docs.check(ROOT) == []


def test_every_generated_section_and_picture_is_current():
    from loadtest import docs

    assert docs.stale() == [], "run make docs"


@pytest.fixture
def copy(tmp_path):
    for path in ROOT.iterdir():
        if path.name in SKIPPED:
            continue
        if path.is_dir():
            shutil.copytree(path, tmp_path / path.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, tmp_path / path.name)
    return tmp_path


@pytest.mark.parametrize(
    ("planted", "says"),
    [
        ("See `Makefile:27` for the check.", "cites Makefile:27: cite a name"),
        ("The referee lives in `loadtest/checker.py:120`.", "cites loadtest/checker.py:120"),
        ("Read `loadtest/referee.py` first.", "cites loadtest/referee.py, which does not exist"),
        ("See [the guide](docs/nowhere.md).", "cites docs/nowhere.md, which does not exist"),
        ("Run `make reproduce-all`.", "`make reproduce-all`: no such target"),
        ("Run `make reproduce STAK=trixie`.", "STAK=: no such knob"),
        ("Run `make reproduce STACK=sid`.", "STACK=sid: not one of"),
        ("```sh\nmake fixed SCENARIO=typo\n```", "SCENARIO=typo: not one of"),
        ("`test_it_was_renamed_long_ago` proves it.", "test_it_was_renamed_long_ago: no such test"),
        # Figures in prose that nothing measured holds (issue: "a number in prose that no
        # measured file holds is a finding").
        ("A hot run takes 3.14159 s here.", "3.14159 s: no measured file"),
        ("It reproduced 29 of 31 times.", "29 31: no measured file"),
        ("A bundle of all stacks is 7.7 GB.", "7.7 GB: no measured file"),
        ("Plan for three hours.", "three h: no measured file"),
        ("On Python 3 each interpreter copies os.environ.", "'Python 3' alone: name the versions"),
    ],
)
def test_a_stale_citation_planted_in_a_copy_fails_the_check(copy, planted, says):
    assert check_docs.check(copy) == []
    readme = copy / "README.md"
    readme.write_text(readme.read_text() + "\n" + planted + "\n")
    problems = check_docs.check(copy)
    assert len(problems) == 1 and says in problems[0], problems
    assert check_docs.main([str(copy)]) == 1


def test_a_figure_that_states_a_setting_says_so_and_passes(copy):
    readme = copy / "README.md"
    readme.write_text(readme.read_text() + "\nProbes every 7.5 s. <!-- check_docs: a setting, not a measurement -->\n")
    assert check_docs.check(copy) == []


def test_a_figure_a_measured_file_holds_passes(copy):
    (copy / "docs" / "measured" / "planted.txt").write_text("make reproduce  3.14159 s  exit 0\n")
    readme = copy / "README.md"
    readme.write_text(readme.read_text() + "\nA hot run takes 3.14159 s here.\n")
    assert check_docs.check(copy) == []
