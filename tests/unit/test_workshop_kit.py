"""The workshop kit's pure logic: the source lines the README quotes (loadtest.docs), and the
room's plans, the handout and the facilitator's guide written from workshop/exercises.yml
(loadtest.exercises)."""

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
