"""What a run's page draws, from a small hand-made run document; and the page itself."""

import re

from loadtest import picture, report_html

APP1_GROUP = "%{ENV:WSGI_APP_GROUP}"


def entry(group, app, created_at, inherited, config, published, errors=None, foreign=False):
    return {
        "application_group": group,
        "host_app": app,
        "created_at": created_at,
        "inherited": {"CELERY_CONFIG_MODULE": inherited} if inherited else {},
        "config_module": config,
        "published_to": {f"{config.split('.')[0]}@{config.split('.')[0]}": published} if published else {},
        "errors": errors or {},
        "foreign_config": foreign,
        "served_by": app,
        "django_settings": f"{app}.settings",
    }


def answer(pid, group, user):
    return {"pid": pid, "application_group": group, "publisher_user": user, "publisher_vhost": user}


def document():
    # Child 7: app1 first, then app2 inherits app1's module (poisoned). Child 8: app2 alone.
    timeline = [
        {
            "pid": 7,
            "interpreters": [
                entry(APP1_GROUP, "app1", 100.0, None, "app1.celeryconfig", 1),
                entry("app2", "app2", 100.25, "app1.celeryconfig", "app1.celeryconfig", 1, foreign=True),
            ],
        },
        {"pid": 8, "interpreters": [entry("app2", "app2", 101.0, None, "app2.celeryconfig", 0, {"timeout": 1})]},
    ]
    results = [
        {"request_id": "r-0", "app": "app1", "ok": True, "response": answer(7, APP1_GROUP, "app1")},
        {"request_id": "r-1", "app": "app2", "ok": True, "response": answer(7, "app2", "app1")},
        {"request_id": "r-2", "app": "app2", "ok": False, "error_kind": "timeout", "response": {}},
    ]
    receipts = [
        {"request_id": "r-0", "worker_app": "app1", "worker_vhost": "app1"},
        {"request_id": "r-1", "worker_app": "app1", "worker_vhost": "app1"},
    ]
    totals = {"sent": 3, "consumed_own": 1, "misrouted": 1, "failed": 1, "lost": 0}
    return {
        "run_id": "abc",
        "code": "buggy",
        "process_model": "embedded",
        "scenario": "default",
        "stack": "trixie",
        "seed": 1,
        "requests": 3,
        "started_at": "2026-11-24T00:00:00+00:00",
        "verdict": {"kind": "REPRODUCED", "success": True, "line": "REPRODUCED: 1 of 3 tasks misrouted"},
        "versions": {"python": "3.13.5"},
        "timeline": timeline,
        "results": results,
        "receipts": receipts,
        "summary": {"totals": totals},
        "broker": {
            "publishes_by_vhost": {"app1": 2, "app2": 0},
            "receipts_by_vhost": {"app1": 2, "app2": 0},
            "agrees": True,
        },
        "failure_causes": [],
    }


def test_interpreters_in_creation_order_with_the_arrow_of_inheritance():
    (child7, child8) = picture.children(document())
    first, second = child7["interpreters"]
    assert (first["app"], first["poisoned"], first["inherited_from"]) == ("app1", False, None)
    assert (second["app"], second["poisoned"], second["inherited_from"]) == ("app2", True, 0)
    assert second["offset"] == 0.25
    assert child8["interpreters"][0]["failed"] == 1 and child8["interpreters"][0]["inherited_from"] is None


def test_every_request_is_in_exactly_one_flow():
    flows = picture.flows(document())
    assert sum(flow["count"] for flow in flows) == 3
    misrouted = [flow for flow in flows if flow["misrouted"]]
    assert [(f["host_app"], f["published"], f["consumed_by"]) for f in misrouted] == [("app2", "app1@app1", "app1")]
    assert {flow["consumed_by"] for flow in flows} == {"app1", "-"}


def test_the_page_is_self_contained_and_the_png_is_written(tmp_path):
    html, png = report_html.write_run_page(document(), tmp_path / "run.json")
    page = html.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert page.count('class="interpreter"') == 3 and page.count('data-poisoned="true"') == 1
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 1000
    index = report_html.write_index(tmp_path, document(), html)
    assert "run.html" in index.read_text()
