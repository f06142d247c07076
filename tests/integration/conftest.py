"""The integration suite brings up its own compose project of the lab with pytest-docker:
its own project name, ports and receipts directory, so it never collides with a lab an
attendee has running. Everything in it is real: Apache, mod_wsgi, RabbitMQ, Celery."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from loadtest import cli, xray

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

    def __init__(self, env):
        self.env = env
        self.url = f"http://127.0.0.1:{HTTP_PORT}"
        self.mgmt_url = f"http://127.0.0.1:{MGMT_PORT}"

    def compose(self, *args, files=(), check=True):
        command = ["docker", "compose", "-f", str(ROOT / "docker-compose.yml")]
        for extra in files:
            command += ["-f", str(Path(__file__).parent / extra)]
        completed = subprocess.run([*command, "-p", PROJECT, *args], capture_output=True, text=True, timeout=300)
        if check and completed.returncode != 0:
            raise AssertionError(f"docker compose {' '.join(args)} failed:\n{completed.stdout}{completed.stderr}")
        return completed

    def fresh_apache(self, mode, scenario="default", process_model="embedded", files=()):
        """New Apache processes, so mod_wsgi creates every interpreter anew."""
        os.environ.update(LAB_MODE=mode, LAB_SCENARIO=scenario, LAB_PROCESS_MODEL=process_model)
        self.compose("up", "-d", "--wait", "--force-recreate", "--no-deps", "apache", files=files)

    def load(self, mode, scenario="default", requests=REQUESTS, concurrency=16, seed=None, label=""):
        args = [
            "--mode", mode, "--scenario", scenario, "--requests", str(requests), "--concurrency", str(concurrency),
            "--url", self.url, "--mgmt-url", f"http://127.0.0.1:{MGMT_PORT}",
            "--mgmt-user", self.env["RABBITMQ_ADMIN_USER"], "--mgmt-password", self.env["RABBITMQ_ADMIN_PASSWORD"],
            "--receipts-dir", str(RECEIPTS), "--report-dir", str(REPORTS), "--label", label, "--quiet",
        ]  # fmt: skip
        if seed is not None:
            args += ["--seed", str(seed)]
        return cli.run(cli.parse_args(args))

    def xray(self):
        """GET /xray/ from every (Apache child, application group) the lab has now."""
        return xray.collect(self.url, attempts=16)

    def exec(self, service, *command):
        """Run a command in one of the stack's containers: (exit code, output)."""
        completed = self.compose("exec", "-T", service, *command, check=False)
        return completed.returncode, completed.stdout + completed.stderr

    def published_ports(self):
        """Every published port of the stack: (service, host address, host port, container port)."""
        rows = [json.loads(line) for line in self.compose("ps", "--format", "json").stdout.splitlines() if line]
        return [
            (row["Service"], publisher["URL"], publisher["PublishedPort"], publisher["TargetPort"])
            for row in rows
            for publisher in row.get("Publishers") or []
            if publisher.get("PublishedPort")
        ]


@pytest.fixture(scope="session")
def lab(lab_environment, docker_services):
    return Lab(lab_environment)
