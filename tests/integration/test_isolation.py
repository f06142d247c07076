"""The broker really isolates the apps, and nothing is published beyond 127.0.0.1."""

import pytest
import requests

# Runs inside a worker container, where librabbitmq is installed: connect and say how it went.
PROBE = """
import sys
from kombu import Connection
connection = Connection(sys.argv[1], connect_timeout=5)
print(type(connection.transport).__module__)
try:
    connection.connect()
    print("CONNECTED")
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}")
"""


def connect(lab, user, password, vhost):
    code, output = lab.shell("worker-app1", "python", "-c", PROBE, f"amqp://{user}:{password}@rabbitmq:5672/{vhost}")
    assert code == 0, output
    transport, outcome = output.strip().splitlines()[-2:]
    assert transport == "kombu.transport.librabbitmq"
    return outcome


def test_each_user_may_use_its_own_vhost(lab):
    for app in ("app1", "app2"):
        assert connect(lab, app, lab.known[f"{app.upper()}_BROKER_PASSWORD"], app) == "CONNECTED"


@pytest.mark.parametrize(("user", "vhost"), [("app1", "app2"), ("app2", "app1")])
def test_a_user_may_not_use_the_other_apps_vhost(lab, user, vhost):
    outcome = connect(lab, user, lab.known[f"{user.upper()}_BROKER_PASSWORD"], vhost)
    # librabbitmq's own words (kombu wraps them in OperationalError when Celery publishes).
    assert (
        f"Couldn't log in: server connection error 530, message: NOT_ALLOWED - access to vhost '{vhost}' "
        f"refused for user '{user}'" in outcome
    ), outcome


def test_guest_does_not_exist(lab):
    # A refused login alone would not prove it: RabbitMQ also refuses guest from a remote host.
    response = requests.get(
        f"{lab.mgmt_url}/api/users/guest",
        auth=(lab.known["RABBITMQ_ADMIN_USER"], lab.known["RABBITMQ_ADMIN_PASSWORD"]),
        timeout=10,
    )
    assert response.status_code == 404
    users = requests.get(
        f"{lab.mgmt_url}/api/users",
        auth=(lab.known["RABBITMQ_ADMIN_USER"], lab.known["RABBITMQ_ADMIN_PASSWORD"]),
        timeout=10,
    ).json()
    assert sorted(user["name"] for user in users) == sorted([lab.known["RABBITMQ_ADMIN_USER"], "app1", "app2"])


def test_guest_cannot_log_in(lab):
    outcome = connect(lab, "guest", "guest", "app1")
    assert "Couldn't log in: server connection error 403, message: ACCESS_REFUSED - Login was refused" in outcome, (
        outcome
    )


def test_ports_are_published_on_loopback_only(lab):
    published = lab.published_ports(lab.spec)
    assert {(service, target) for service, _, _, target in published} == {("apache", 80), ("rabbitmq", 15672)}
    assert {address for _, address, _, _ in published} == {"127.0.0.1"}
