"""envleak as people take it home, in the lab's real Apache: two plain WSGI apps (no Django, no
Celery) beside the lab's, and envleak's own tests inside every stack's image."""

import json
import os
import subprocess
import time

import pytest
import requests

from loadtest import history
from loadtest.lab import HOST_PLATFORM, NAME, STACKS
from tests.integration.harness import suite_spec
from tests.unit import pythons

PLAIN = "plain.example.test"
OWN_URL = "postgres://one:password-of-one@db/one"


def serve(lab, path):
    answer = requests.get(lab.url + path, headers={"Host": PLAIN}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.text


def detector_lines(lab, since, wait=True):
    """envleak's lines in Apache's log since `since`, waiting a little for them to be written."""
    deadline = time.time() + (5 if wait else 0)
    while True:
        log = lab.logs(lab.spec, "apache", since)
        found = history.envleak_lines(log)
        if found or time.time() >= deadline:
            return found, log
        time.sleep(0.5)


def fresh(lab, main_spec):
    """One Apache child in the fixed code, the plain apps beside the lab's (the lab's Compose
    files with the suite's extra ones, inside `lab.with_files`)."""
    plain_spec = suite_spec(main_spec, code="fixed", processes=1)
    lab.up(plain_spec)
    lab.apply(plain_spec)


def test_a_plain_app_serving_the_other_apps_setdefault_value_is_flagged(lab, main_spec):
    with lab.with_files("plain-wsgi.yml"):
        fresh(lab, main_spec)
        since = time.time()
        assert serve(lab, "/one") == OWN_URL
        assert serve(lab, "/two") == OWN_URL  # the leak: app two serves app one's database
        found, log = detector_lines(lab, since)
    assert [(f.group, f.variable, f.code) for f in found] == [("two", "DATABASE_URL", "EL101")], log[-3000:]
    assert found[0].finding.startswith("postgres://one:***@db/one LEAKED: another interpreter"), found

    assert "password-of-one" not in log


def test_the_same_value_from_apaches_own_environment_is_no_leak(lab, main_spec):
    with lab.with_files("plain-wsgi.yml", "plain-wsgi-site-url.yml"):
        fresh(lab, main_spec)
        since = time.time()
        assert serve(lab, "/one") == serve(lab, "/two") == "postgres://site:password-of-site@db/site"
        time.sleep(2)  # a line would be written at the end of each request
        found, log = detector_lines(lab, since, wait=False)
    assert found == [], log[-3000:]


def test_envleak_check_finds_the_plain_apps_risky_in_apaches_own_configuration(lab, main_spec):
    with lab.with_files("plain-wsgi.yml"):
        fresh(lab, main_spec)
        code, output = lab.shell("apache", "envleak", "check", "--json", "/etc/apache2")
    assert code == 1, output
    result = json.loads(output)
    assert "DATABASE_URL" in result["variables"], result["lines"]
    assert {"one", "two"} <= set(result["processes"]["embedded"]["interpreters"])


@pytest.mark.parametrize("other_stack", STACKS)
def test_envleak_unit_tests_pass_in_the_stacks_image(other_stack, lab_of):
    """The installed wheel, on the stack's own Python (bullseye: 2.7), with its envleak.pth."""
    lab_of(other_stack)  # its images built (and its lab up: the tests are sorted by stack)
    image = f"{NAME}/python-apps:{other_stack}-mod_wsgi-stack-{HOST_PLATFORM.split('/')[1]}"
    if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: no image {image} (make test builds every stack's)")
        pytest.skip(f"no image {image}: make images STACK={other_stack} (make test builds every stack's)")
    completed = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "python", "-v", f"{pythons.ENVLEAK_TESTS}:/envleak-tests:ro",
         image, "-c", "import envleak, sys; assert envleak.__file__.find('/srv/') < 0, envleak.__file__; "
         "sys.argv = ['unittest', 'discover', '-s', '/envleak-tests']; import unittest; unittest.main(module=None)"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert "Ran " in completed.stderr and "OK" in completed.stderr, completed.stderr[-2000:]
