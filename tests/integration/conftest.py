"""The integration suite brings up its own compose project of the lab with pytest-docker:
its own project name, ports and receipts directory, so it never collides with a lab an
attendee has running. Everything in it is real: Apache, mod_wsgi, RabbitMQ, Celery."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from loadtest import cli

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "mod-wsgi-leak-lab-test"
HTTP_PORT = os.environ.get("LAB_TEST_HTTP_PORT", "18080")
MGMT_PORT = os.environ.get("LAB_TEST_MGMT_PORT", "18672")
RECEIPTS = ROOT / "var" / "test-receipts"
REPORTS = ROOT / "reports" / "tests"
# Fresh-Apache trials per mode, and requests per trial.
TRIALS = int(os.environ.get("LAB_TRIALS", "5"))
REQUESTS = int(os.environ.get("LAB_TRIAL_REQUESTS", "400"))


def read_env_file():
    values = {}
    for line in (ROOT / ".env").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def docker_answers():
    return (
        shutil.which("docker") is not None
        and subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode == 0
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def lab_environment():
    if not (ROOT / ".env").exists() or not docker_answers():
        message = "no Docker engine or no .env: run `make test`, which sets both up"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: integration tests must run, not skip ({message})")
        pytest.skip(message)
    env = read_env_file()
    shutil.rmtree(RECEIPTS, ignore_errors=True)
    RECEIPTS.mkdir(parents=True)
    RECEIPTS.chmod(0o777)
    os.environ.update(
        LAB_HTTP_PORT=HTTP_PORT,
        LAB_MGMT_PORT=MGMT_PORT,
        LAB_RECEIPTS_DIR=str(RECEIPTS),
        LAB_MODE="buggy",
    )
    return env


@pytest.fixture(scope="session")
def docker_compose_file():
    return str(ROOT / "docker-compose.yml")


@pytest.fixture(scope="session")
def docker_compose_project_name():
    return PROJECT


@pytest.fixture(scope="session")
def docker_setup():
    return ["up --build --wait"]


@pytest.fixture(scope="session")
def docker_cleanup():
    return ["down -v --remove-orphans"]


class Lab:
    """The test project's stack, driven the way `make reproduce` drives the real one."""

    def __init__(self, services, env):
        self.compose = services._docker_compose
        self.env = env
        self.url = f"http://127.0.0.1:{HTTP_PORT}"

    def fresh_apache(self, mode):
        os.environ["LAB_MODE"] = mode
        self.compose.execute("up -d --wait --force-recreate --no-deps apache")

    def load(self, mode, requests=REQUESTS, concurrency=16, seed=None, label=""):
        args = [
            "--mode",
            mode,
            "--requests",
            str(requests),
            "--concurrency",
            str(concurrency),
            "--url",
            self.url,
            "--mgmt-url",
            f"http://127.0.0.1:{MGMT_PORT}",
            "--mgmt-user",
            self.env["RABBITMQ_ADMIN_USER"],
            "--mgmt-password",
            self.env["RABBITMQ_ADMIN_PASSWORD"],
            "--receipts-dir",
            str(RECEIPTS),
            "--report-dir",
            str(REPORTS),
            "--label",
            label,
            "--quiet",
        ]
        if seed is not None:
            args += ["--seed", str(seed)]
        return cli.run(cli.parse_args(args))

    def exec(self, service, *command):
        """Run a command in one of the stack's containers; (exit code, output)."""
        completed = subprocess.run(
            [
                "docker",
                "compose",
                "-f",
                str(ROOT / "docker-compose.yml"),
                "-p",
                PROJECT,
                "exec",
                "-T",
                service,
                *command,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        return completed.returncode, completed.stdout + completed.stderr

    def port_binding(self, service, port):
        code, out = self.exec(service, "true")
        assert code == 0, out
        completed = subprocess.run(
            ["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "-p", PROJECT, "port", service, str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return completed.stdout.strip()

    def published_ports(self):
        completed = subprocess.run(
            ["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "-p", PROJECT, "ps", "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        lines = [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]
        return {row["Service"]: row.get("Publishers") or [] for row in lines}


@pytest.fixture(scope="session")
def lab(lab_environment, docker_services):
    return Lab(docker_services, lab_environment)
