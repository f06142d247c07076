"""RabbitMQ's management API: the broker's own count of what was published to each vhost."""

import requests

from loadtest import report
from loadtest.errors import UsageError


class ManagementAPI:
    def __init__(self, url, user, password):
        self.url = url.rstrip("/")
        self.auth = (user, password)

    def _get(self, path):
        try:
            response = requests.get(f"{self.url}/api/{path}", auth=self.auth, timeout=5)
        except requests.RequestException as exc:
            raise UsageError(f"cannot reach the RabbitMQ management API at {self.url} ({type(exc).__name__})") from None
        if response.status_code == 401:
            raise UsageError(f"the management API refused user {self.auth[0]!r}; check RABBITMQ_ADMIN_* in .env")
        response.raise_for_status()
        return response.json()

    def check(self):
        self._get("overview")

    def publish_counters(self):
        """Messages published into each app's vhost since the broker started."""
        counters = {}
        for app in report.APPS:
            stats = self._get(f"vhosts/{app}").get("message_stats") or {}
            counters[app] = stats.get("publish", 0)
        return counters

    def publish_deltas(self, before):
        now = self.publish_counters()
        return {app: now[app] - before[app] for app in report.APPS}
