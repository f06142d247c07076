"""The lab as one Compose project, driven from a run spec (pytest-docker's executor shape):
`up(spec)` starts what the spec needs and leaves alone what already runs as asked, `apply(spec)`
gives Apache fresh children in the spec's code, scenario and process count, and `compose()` runs
any other Compose command on the same project (the nemesis, the logs, psql).

A container is recreated only where an image or Compose itself must change (the stack, mod_wsgi,
the architecture, PostgreSQL's profile). Everything else Apache reads from the run directory
(`spec.apache_files()`, mounted at /srv/run) at each fresh start: the host writes it, then the
Apache parent is sent SIGHUP, and it reads its configuration again and starts new children.
"""

import concurrent.futures
import json
import os
import subprocess
import time
from pathlib import Path

from loadtest import servers
from loadtest.lab import DEFAULTS, NAME, ROOT, UsageError, settings

COMPOSE_FILE = ROOT / "docker-compose.yml"
SERVICES = ("rabbitmq", "firehose", "worker-app1", "worker-app2")


class Lab:
    """One Compose project of the lab. `settings`: what this project is started with beside
    .env (its ports, receipts, run and workspace directories: LAB_*); the attendee's lab has
    none of its own and reads .env."""

    def __init__(self, project=NAME, settings_=None, files=()):
        self.project = project
        self.settings = dict(settings_ or {})
        self.files = tuple(files)  # extra Compose files (the suite's poisoned environment)
        self.run_dir = Path(self.settings.get("LAB_RUN_DIR") or ROOT / "var" / "run")
        self.receipts_dir = Path(self.settings.get("LAB_RECEIPTS_DIR") or ROOT / "var" / "receipts")
        self.workspace_dir = Path(self.settings.get("LAB_WORKSPACE_DIR") or ROOT / "workshop" / "workspace")
        known = self.known
        self.url = f"http://127.0.0.1:{known.get('LAB_HTTP_PORT') or DEFAULTS['http_port']}"
        self.mgmt_url = f"http://127.0.0.1:{known.get('LAB_MGMT_PORT') or DEFAULTS['mgmt_port']}"
        self.started = None  # the (compose environment, files) the containers were last checked against
        self.spec = None  # the spec the lab was last brought up for

    @property
    def known(self):
        """.env under this project's own settings, as it is now (provisioning writes .env after a
        fresh clone's Lab is made)."""
        return settings(env={**os.environ, **self.settings})

    @property
    def mgmt_auth(self):
        return self.known.get("RABBITMQ_ADMIN_USER") or "admin", self.known.get("RABBITMQ_ADMIN_PASSWORD", "")

    def env(self, spec):
        return {**os.environ, "LAB_NAME": NAME, **self.settings, **spec.compose_env()}

    def argv(self, files=None):
        command = ["docker", "compose", "-f", str(COMPOSE_FILE)]
        for extra in self.files if files is None else files:
            command += ["-f", str(extra)]
        return [*command, "-p", self.project]

    def compose(self, spec, *args, check=True, timeout=300, stdin=None):
        """`docker compose ARGS` on this project with the spec's environment: the completed
        process (output captured). check: a failure is a UsageError with Compose's last words."""
        try:
            completed = subprocess.run(
                [*self.argv(), *args],
                env=self.env(spec),
                input=stdin,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise UsageError(f"docker compose {' '.join(args[:2])} took over {timeout} s") from None
        if check and completed.returncode != 0:
            said = (completed.stderr or completed.stdout).strip().splitlines()
            raise UsageError(f"docker compose {' '.join(args[:3])} failed: {said[-1] if said else 'no output'}")
        return completed

    def container(self, service):
        """The name Compose gives the service's container (project-service-1)."""
        return f"{self.project}-{service}-1"

    def exec(self, service, *command, env=None, check=True, timeout=120):
        """A command in a running container (`docker exec`: a tenth of a second cheaper than
        Compose's), `env` added to its environment: the completed process."""
        extra = [arg for key, value in (env or {}).items() for arg in ("-e", f"{key}={value}")]
        completed = subprocess.run(
            ["docker", "exec", *extra, self.container(service), *command],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and completed.returncode != 0:
            said = (completed.stderr or completed.stdout).strip().splitlines()
            raise UsageError(f"{service}: {' '.join(command)} failed: {said[-1] if said else 'no output'}")
        return completed

    # ---- starting -------------------------------------------------------------------------
    def services(self, spec):
        return [*SERVICES, *(["postgres"] if spec.postgres else []), spec.web.service]

    def up(self, spec):
        """Every service the spec needs, up and healthy, from the images and configuration it
        asks for; skipped (three questions to Docker at once) when they already are. PostgreSQL
        is stopped when the spec does not use it."""
        self.spec = spec
        key = (tuple(sorted(spec.compose_env().items())), self.files)
        if self.started == key:
            return
        wanted = self.services(spec)
        if not spec.postgres and self.running("postgres"):
            self.compose(spec, "--profile", "postgres", "rm", "-sf", "postgres")
        for other in servers.other_services(spec.server):  # the servers share the HTTP port
            if self.running(other):
                self.compose(spec, "--profile", "uwsgi", "rm", "-sf", other)
        if not self.up_to_date(spec, wanted):
            # The workers and the firehose (user celery) write their receipts here: made by Docker
            # at the first mount, it would be root's alone (a bundle's venue builds no image first).
            self.receipts_dir.mkdir(parents=True, exist_ok=True)
            self.receipts_dir.chmod(0o777)
            self.write_run_files(spec)  # Apache's entrypoint reads them as it starts

            self.compose(spec, "up", "-d", "--wait", *wanted, timeout=900)
        self.started = key

    def running(self, service):
        out = subprocess.run(
            [
                "docker",
                "ps",
                "-q",
                "--filter",
                f"label=com.docker.compose.project={self.project}",
                "--filter",
                f"label=com.docker.compose.service={service}",
            ],
            capture_output=True,
            text=True,
        )
        return bool(out.stdout.strip())

    def up_to_date(self, spec, services):
        """Does every service run, healthy, from the configuration and image Compose would give
        it now (its own config-hash and image labels, what `up` compares)?"""

        def ask(*args):
            return self.compose(spec, *args, check=False).stdout

        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
            hashes = pool.submit(ask, "config", "--hash", ",".join(services))
            images = pool.submit(ask, "config", "--images", *services)
            label = '{{.Label "com.docker.compose.NAME"}}'
            fmt = " ".join(
                ("{{.Service}}", label.replace("NAME", "config-hash"), "{{.Health}}", label.replace("NAME", "image"))
            )
            running = pool.submit(ask, "ps", "--format", fmt, *services)
            wanted = sorted(f"{line} healthy" for line in hashes.result().splitlines() if line.strip())
            ids = subprocess.run(
                ["docker", "image", "inspect", "-f", "{{.Id}}", *sorted(set(images.result().split()))],
                capture_output=True,
                text=True,
            ).stdout.split()
            rows = [line.split() for line in running.result().splitlines() if line.strip()]
        return (
            bool(wanted)
            and wanted == sorted(" ".join(row[:3]) for row in rows if len(row) == 4)
            and sorted(set(ids)) == sorted({row[3] for row in rows if len(row) == 4})
        )

    def apply(self, spec):
        """The spec's server in its configuration with fresh workers, so that every interpreter
        is created anew: the run directory written, then a SIGHUP to Apache's parent
        (apache-fresh-children) or to uWSGI's master (uwsgi-fresh-workers: its own reload). In
        SCENARIO=twelve-factor each app's .env and its database's tables first
        (apps/twelve-factor-setup.sh, in the server's container)."""
        self.write_run_files(spec)
        if spec.postgres:
            self.exec(spec.web.service, "twelve-factor-setup", spec.transport, timeout=300)
        self.exec(spec.web.service, *spec.web.fresh, timeout=60)

    def write_run_files(self, spec):
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for name, text in spec.apache_files().items():
            partial = self.run_dir / f".{name}.{os.getpid()}"
            partial.write_text(text)
            partial.chmod(0o644)
            partial.replace(self.run_dir / name)

    def fresh_children(self, graceful=False):
        self.exec("apache", "apache-fresh-children", *(["graceful"] if graceful else []), timeout=60)

    # ---- reading --------------------------------------------------------------------------
    def logs(self, spec, service, since):
        """A service's log lines since `since` (epoch seconds)."""
        since_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(since)) + f".{int(since % 1 * 1e6):06d}Z"
        return self.compose(spec, "logs", "--no-log-prefix", "--no-color", "--since", since_text, service).stdout

    def port_for(self, spec, service, port):
        return self.compose(spec, "port", service, str(port)).stdout.strip()

    def published_ports(self, spec):
        """Every published port: (service, host address, host port, container port)."""
        rows = [json.loads(line) for line in self.compose(spec, "ps", "--format", "json").stdout.splitlines() if line]
        return [
            (row["Service"], publisher["URL"], publisher["PublishedPort"], publisher["TargetPort"])
            for row in rows
            for publisher in row.get("Publishers") or []
            if publisher.get("PublishedPort")
        ]

    def down(self, spec):
        profiles = ("--profile", "postgres", "--profile", "uwsgi")
        self.compose(spec, *profiles, "down", "-v", "--remove-orphans", check=False, timeout=300)
        self.started = None
