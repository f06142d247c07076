"""python -m loadtest.tools.compose_config: `docker compose config -q` on the lab's Compose file
(make lint), with placeholder secrets and the defaults of choices.mk, .env left out: the file is
valid as it stands, PostgreSQL's profile included."""

import os
import subprocess
import sys

from loadtest.lab import ROOT
from loadtest.provision import env_defaults

SECRETS = ("APP1_BROKER_PASSWORD", "APP2_BROKER_PASSWORD", "RABBITMQ_ADMIN_USER", "RABBITMQ_ADMIN_PASSWORD",
           "APP1_DATABASE_PASSWORD", "APP2_DATABASE_PASSWORD", "APP1_SECRET_KEY", "APP2_SECRET_KEY")  # fmt: skip


def main():
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", **dict.fromkeys(SECRETS, "x"), **env_defaults()}
    env.update(COMPOSE_PROFILES="postgres", HOME=os.environ.get("HOME", "/"))  # HOME: where the Compose plug-in is
    command = ["docker", "compose", "--env-file", "/dev/null", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"]
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        print(f"docker compose config: {completed.stderr.strip()}", file=sys.stderr)
        return 1
    print("docker compose config: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
