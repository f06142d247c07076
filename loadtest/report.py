"""Pure logic of the load test: error kinds, accounting, verdict, summary table.

No network, no Docker: everything here is unit-tested directly.
"""

from collections import Counter

# Which Django project serves which Host (apache/lab.conf: app2.example.com gets the
# application group 'app2'; every other *.example.com is app1).
HOST_APPS = {"app1.example.com": "app1", "app2.example.com": "app2"}
APPS = ("app1", "app2")

ERROR_KINDS = (
    "login_refused",  # librabbitmq: 403 ACCESS_REFUSED, wrong user or password
    "vhost_refused",  # librabbitmq: 530 NOT_ALLOWED, vhost not permitted for that user
    "socket_error",  # librabbitmq: could not open a socket to the broker
    "http_5xx",
    "http_4xx",
    "timeout",
    "connection_error",
)


def classify_error(status=None, text="", exception=None):
    """One error kind for a failed request, from what the client saw."""
    if exception == "timeout":
        return "timeout"
    if exception == "connection":
        return "connection_error"
    text = text or ""
    if "ACCESS_REFUSED" in text or "Couldn't log in" in text and "403" in text:
        return "login_refused"
    if "NOT_ALLOWED" in text or "530" in text and "vhost" in text:
        return "vhost_refused"
    if "socket" in text.lower():
        return "socket_error"
    if status is not None and status >= 500:
        return "http_5xx"
    return "http_4xx"


def app_for_group(application_group):
    """The app an application group serves (apache/lab.conf): 'app2' for app2, any other
    group, such as the literal '%{ENV:WSGI_APP_GROUP}', for app1."""
    return "app2" if application_group == "app2" else "app1"


def config_app(config_module):
    """Which app's Celery config a module is ('app2.celeryconfig' -> 'app2'), or None."""
    app = (config_module or "").split(".")[0]
    return app if app in APPS else None


def summarize(results, receipts):
    """Account for every request.

    results: one dict per request sent: request_id, app (by Host), ok (bool), error_kind,
        error (text), response (the JSON the web side answered, may be empty).
    receipts: the workers' receipts of this run: request_id, worker_vhost, ...

    A request is *consumed* when some worker has a receipt for it (whatever the web side
    said), *misrouted* when that worker's vhost is not its own app's, *failed* when no worker
    received it and the client recorded an error, and *lost* otherwise. Failures are
    *foreign* when the interpreter had another app's Celery config; *wrong_settings* counts
    answers served with another app's Django settings.
    """
    received = {}
    duplicates = 0
    for receipt in receipts:
        if receipt["request_id"] in received:
            duplicates += 1
        received[receipt["request_id"]] = receipt

    per_app = {app: _empty_row() for app in APPS}
    for result in results:
        row = per_app[result["app"]]
        row["sent"] += 1
        response = result.get("response") or {}
        used_config = config_app((response.get("broker") or {}).get("config_module"))
        if response.get("served_by") not in (None, result["app"]):
            row["wrong_settings"] += 1
        receipt = received.get(result["request_id"])
        if receipt is not None:
            if receipt["worker_vhost"] == result["app"]:
                row["consumed_own"] += 1
            else:
                row["misrouted"] += 1
                row["misrouted_to"][receipt["worker_vhost"]] += 1
        elif result.get("error_kind"):
            row["failed"] += 1
            row["errors"][result["error_kind"]] += 1
            if used_config not in (None, result["app"]):
                row["foreign_failures"] += 1
            elif used_config == result["app"] and result["error_kind"] == "login_refused":
                row["refused_own_config"] += 1
        else:
            row["lost"] += 1
    for row in per_app.values():
        row["errors"] = dict(row["errors"])
        row["misrouted_to"] = dict(row["misrouted_to"])

    totals = _empty_row()
    for row in per_app.values():
        for key in COUNTS:
            totals[key] += row[key]
    totals["errors"] = dict(sum((Counter(r["errors"]) for r in per_app.values()), Counter()))
    totals["misrouted_to"] = {}
    sent_ids = {r["request_id"] for r in results}
    totals["unexpected_receipts"] = sum(1 for rid in received if rid not in sent_ids)
    totals["duplicate_receipts"] = duplicates
    return {"per_app": per_app, "totals": totals}


COUNTS = (
    "sent",
    "consumed_own",
    "misrouted",
    "failed",
    "lost",
    "foreign_failures",  # failed while the interpreter had another app's Celery config
    "refused_own_config",  # login refused while using the app's own Celery config
    "wrong_settings",  # answered with another app's Django settings
)


def _empty_row():
    return {**dict.fromkeys(COUNTS, 0), "errors": Counter(), "misrouted_to": Counter()}


def receipts_by_vhost(receipts):
    counts = Counter(r["worker_vhost"] for r in receipts)
    return {app: counts.get(app, 0) for app in APPS}


def accounted(totals):
    """sent == consumed (own + misrouted) + failed with a recorded error; nothing lost, no
    task received twice, no receipt for a request this run did not send."""
    return (
        totals["lost"] == 0
        and totals["sent"] == totals["consumed_own"] + totals["misrouted"] + totals["failed"]
        and totals.get("duplicate_receipts", 0) == 0
        and totals.get("unexpected_receipts", 0) == 0
    )


# Apps whose requests are refused by the broker by design in a scenario (their own config
# is wrong); only that refusal, with their own config, is excused.
FAILING_BY_DESIGN = {"default": (), "bad-credentials": ("app2",), "django-settings": ()}
CLEAN_VERDICT = {"fixed": "FIXED", "daemon": "ISOLATED"}


def verdict(mode, summary, broker_agrees, scenario="default"):
    """(ok, line). Buggy mode succeeds when the leak showed; fixed and daemon modes when it
    did not (and nothing failed but what the scenario breaks on purpose)."""
    totals = summary["totals"]
    counts = f"{totals['misrouted']} of {totals['sent']} tasks misrouted, {totals['failed']} requests failed"
    if totals["foreign_failures"]:
        counts += f" ({totals['foreign_failures']} with another app's Celery config)"
    if totals["wrong_settings"]:
        counts += f", {totals['wrong_settings']} served with another app's Django settings"
    counts += f", {totals['lost']} lost"
    if not (accounted(totals) and broker_agrees):
        return False, f"INCONCLUSIVE: {counts}; the workers and the broker do not account for every request"
    leaks = totals["misrouted"] + totals["foreign_failures"] + totals["wrong_settings"]
    # With no task at any worker, only a leak seen some other way (a broker refusal of another
    # app's config, another app's settings) is evidence; otherwise the broker may just be down.
    if totals["consumed_own"] + totals["misrouted"] == 0 and not (mode == "buggy" and leaks):
        return False, f"INCONCLUSIVE: {counts}; no task reached any worker"
    if mode == "buggy":
        if leaks:
            return True, f"REPRODUCED: {counts}"
        return False, f"NOT REPRODUCED: {counts} (try more --requests or --concurrency)"
    unexpected_failures = sum(
        row["failed"] - (row.get("refused_own_config", 0) if app in FAILING_BY_DESIGN[scenario] else 0)
        for app, row in summary["per_app"].items()
    )
    word = CLEAN_VERDICT[mode]
    if leaks == 0 and unexpected_failures == 0:
        return True, f"{word}: {counts}"
    return False, f"NOT {word}: {counts}"


def timeline(results):
    """Per Apache child, its interpreters in the order they were created: what each
    inherited, which config it used, where it published and what failed."""
    table = {}
    for result in results:
        response = result.get("response") or {}
        if "pid" not in response:
            continue
        key = (response["pid"], response.get("application_group"))
        creation = response.get("at_creation") or {}
        entry = table.setdefault(
            key,
            {
                "pid": response["pid"],
                "application_group": response.get("application_group"),
                "served_by": response.get("served_by"),
                "django_settings": response.get("django_settings"),
                "created_at": creation.get("created_at"),
                "inherited": {
                    name: value for name, value in creation.items() if name.endswith("_MODULE") and value is not None
                },
                "config_module": (response.get("broker") or {}).get("config_module"),
                "published_to": Counter(),
                "errors": Counter(),
            },
        )
        if result["ok"]:
            entry["published_to"][f"{response.get('publisher_user')}@{response.get('publisher_vhost')}"] += 1
        else:
            entry["errors"][result.get("error_kind")] += 1
    children = {}
    for entry in table.values():
        entry["published_to"] = dict(entry["published_to"])
        entry["errors"] = dict(entry["errors"])
        entry["host_app"] = app_for_group(entry["application_group"])
        entry["foreign_config"] = config_app(entry["config_module"]) not in (None, entry["host_app"])
        children.setdefault(entry["pid"], []).append(entry)
    return [
        {"pid": pid, "interpreters": sorted(rows, key=lambda e: e["created_at"] or 0)}
        for pid, rows in sorted(children.items())
    ]


def format_timeline(children):
    lines = []
    for child in children:
        lines.append(f"  Apache child pid {child['pid']}:")
        first = child["interpreters"][0]["created_at"] or 0
        for entry in child["interpreters"]:
            inherited = ", ".join(f"{k}={v}" for k, v in sorted(entry["inherited"].items())) or "nothing"
            published = ", ".join(f"{where} x{n}" for where, n in sorted(entry["published_to"].items()))
            errors = ", ".join(f"{kind} x{n}" for kind, n in sorted(entry["errors"].items()))
            outcome = "; ".join(part for part in (f"published {published}" if published else "", errors) if part)
            mark = "   <- ANOTHER APP'S CONFIG" if entry["foreign_config"] else ""
            lines.append(
                f"    +{(entry['created_at'] or first) - first:6.3f}s  {entry['host_app']} in group "
                f"{entry['application_group']!r}: inherited {inherited}"
            )
            lines.append(
                f"{'':14}config {entry['config_module']}, settings {entry['django_settings']}: {outcome}{mark}"
            )
    return "\n".join(lines)


def failure_causes(results):
    """Failed requests grouped by Host app, interpreter, config and error, with librabbitmq's text."""
    groups = {}
    for result in results:
        if result["ok"]:
            continue
        response = result.get("response") or {}
        key = (
            result["app"],
            response.get("pid"),
            response.get("application_group"),
            (response.get("broker") or {}).get("config_module"),
            result.get("error_kind"),
        )
        entry = groups.setdefault(key, {"count": 0, "error": result.get("error", "")})
        entry["count"] += 1
    return [
        {"app": app, "pid": pid, "application_group": group, "config_module": config, "error_kind": kind, **entry}
        for (app, pid, group, config, kind), entry in sorted(groups.items(), key=lambda item: str(item[0]))
    ]


def format_failures(causes):
    return "\n".join(
        f"  {c['count']:>4} x {c['app']} request in pid {c['pid']} group {c['application_group']!r} "
        f"with config {c['config_module']}: {c['error_kind']}: {c['error'][:220]}"
        for c in causes
    )


def format_table(summary):
    header = f"{'app':<6}{'sent':>7}{'own':>7}{'misrouted':>11}{'failed':>8}{'lost':>6}  errors by kind"
    lines = [header, "-" * len(header)]
    for app, row in [*summary["per_app"].items(), ("total", summary["totals"])]:
        errors = ", ".join(f"{kind}={n}" for kind, n in sorted(row["errors"].items())) or "-"
        lines.append(
            f"{app:<6}{row['sent']:>7}{row['consumed_own']:>7}{row['misrouted']:>11}"
            f"{row['failed']:>8}{row['lost']:>6}  {errors}"
        )
    return "\n".join(lines)
