"""The lab's security promises, each checked against the running stack and its images."""

import re
import stat
import subprocess

import pytest

from loadtest.lab import NAME
from tests.integration.harness import ROOT

SECRETS = (
    "RABBITMQ_ADMIN_PASSWORD", "APP1_BROKER_PASSWORD", "APP2_BROKER_PASSWORD",
    "APP1_DATABASE_PASSWORD", "APP2_DATABASE_PASSWORD", "APP1_SECRET_KEY", "APP2_SECRET_KEY",
)  # fmt: skip
# Every process of a container with its user: "user pid command".
PROCESSES = 'for p in /proc/[0-9]*; do echo "$(stat -c %U "$p") ${p#/proc/} $(tr "\\0" " " < "$p/cmdline")"; done'


def test_env_file_is_private_and_never_in_a_build_context():
    assert stat.S_IMODE((ROOT / ".env").stat().st_mode) == 0o600
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


@pytest.mark.parametrize("image", ["python-apps", "rabbitmq"])
def test_no_secret_is_in_an_image(lab, image):
    # The image the stack's container runs (its tag names the stack, mod_wsgi and architecture).
    container = lab.compose_now("ps", "-q", "apache" if image == "python-apps" else "rabbitmq").stdout.strip()
    tag = subprocess.run(
        ["docker", "inspect", "-f", "{{.Config.Image}}", container], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert tag.startswith(f"{NAME}/{image}:{lab.spec.stack}-"), tag
    assert_no_secret_in_image(tag, lab.known)


def assert_no_secret_in_image(tag, env):
    """Neither the image's build history nor any file of it holds a secret of .env (`env`)."""
    secrets = [env[key] for key in SECRETS]
    history = subprocess.run(
        ["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", tag], capture_output=True, text=True
    )
    assert history.returncode == 0 and history.stdout, history.stderr
    assert not [secret for secret in secrets if secret in history.stdout]
    # Every file of the image, searched for the values (a container with no .env values).
    patterns = [arg for secret in secrets for arg in ("-e", secret)]
    found = subprocess.run(
        ["docker", "run", "--rm", "--user", "root", "--entrypoint", "grep", tag, "-rlF", *patterns, "/",
         "--exclude-dir=proc", "--exclude-dir=sys", "--exclude-dir=dev"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert found.returncode == 1 and found.stdout == "", found.stdout  # grep: 1 = nothing found


def processes(lab, service):
    code, output = lab.shell(service, "sh", "-c", PROCESSES)
    assert code == 0, output
    rows = [(line.split(" ", 2) + [""])[:3] for line in output.splitlines() if line.strip()]
    # A process with no command line (exiting, or a kernel thread) says nothing: left out.
    return [(user, int(pid), command.strip()) for user, pid, command in rows if command.strip()]


def test_the_work_runs_as_unprivileged_users(lab):
    apache = processes(lab, "apache")
    # Apache's parent keeps root to bind port 80; every child, where Python runs, is www-data.
    assert [user for user, pid, command in apache if pid == 1] == ["root"]
    children = [user for user, pid, command in apache if pid != 1 and command.startswith("apache2")]
    assert children and set(children) == {"www-data"}
    for worker in ("worker-app1", "worker-app2"):
        users = {user for user, _, command in processes(lab, worker) if "celery" in command}
        assert users == {"celery"}
    beam = [user for user, _, command in processes(lab, "rabbitmq") if "beam" in command]
    assert beam == ["rabbitmq"]


def test_django_runs_without_debug_and_only_for_the_lab_hosts(lab):
    probe = (
        "import django; django.setup(); "
        "from django.conf import settings; print(settings.DEBUG, sorted(settings.ALLOWED_HOSTS))"
    )
    for app in ("app1", "app2"):
        # The settings module goes to the probe's own environment (docker compose exec -e).
        code, output = lab.shell("apache", "python", "-c", probe, env={"DJANGO_SETTINGS_MODULE": f"{app}.settings"})
        assert code == 0, output
        assert output.strip() == "False ['app1.example.com', 'app2.example.com']"


def test_the_server_header_hides_versions(lab):
    import requests

    response = requests.get(f"{lab.url}/healthz", timeout=10)
    assert response.headers["Server"] == "Apache"
    assert not re.search(r"\d+\.\d+", response.text)


@pytest.mark.last
def test_no_secret_of_env_is_in_any_report_or_doc(lab):
    """After every run of the suite (the twelve-factor ones included): no value of .env's
    secrets stands, unmasked, in a report the runs wrote or in docs/ (stored runs, measurements)."""
    secrets = [lab.known[key] for key in SECRETS]
    files = [path for folder in (ROOT / "reports", ROOT / "docs") for path in folder.rglob("*") if path.is_file()]
    assert any(path.suffix == ".json" for path in files), "no report to search"
    found = [str(path) for path in files if any(secret.encode() in path.read_bytes() for secret in secrets)]
    assert found == [], found
