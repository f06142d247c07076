"""What a run's page draws (loadtest.picture), from small hand-made run documents; and the page,
its PNG and the index, written to tmp_path. No lab, no browser."""

import copy
import json
import re

import pytest

from loadtest import picture, report_html
from loadtest.lab import APP1_GROUP


def interpreter(pid, group, app, created_at, config, published_to, errors=None, inherited=None, foreign=False):
    return {
        "pid": pid,
        "application_group": group,
        "host_app": app,
        "served_by": app,
        "django_settings": f"{app}.settings",
        "created_at": created_at,
        "inherited": inherited or {},
        "config_module": config,
        "published_to": published_to,
        "errors": errors or {},
        "foreign_config": foreign,
    }


def result(index, app, pid=None, group=None, publisher=None, error_kind=None):
    response = {} if pid is None else {"pid": pid, "application_group": group, "served_by": app}
    if publisher:
        response.update(publisher_user=publisher, publisher_vhost=publisher)
    row = {"request_id": f"f8415bcb98cd-{index}", "app": app, "ok": error_kind is None, "response": response}
    if error_kind:
        row.update(error_kind=error_kind, error=f"{error_kind} text")
    return row


def receipt(index, worker):
    return {"request_id": f"f8415bcb98cd-{index}", "worker_app": worker, "worker_vhost": worker, "worker_user": worker}


def converted_run():
    """The children of reports/20261124T222631Z-buggy-f8415bcb98cd.json (old format), by hand in
    the new format (code, process_model, stack, versions, the verdict an object, no top-level
    success), with 10 requests: every outcome once at least.

    Child 8: app2 first; app1 then inherits app2's CELERY_CONFIG_MODULE and publishes to app2's
    vhost (poisoned). Child 7: app2, then app1, nothing inherited. The interpreters of child 8
    are listed newest first on purpose: the picture sorts them by creation time."""
    timeline = [
        {
            "pid": 7,
            "interpreters": [
                interpreter(7, "app2", "app2", 1795559186.6991482, "app2.celeryconfig", {"app2@app2": 2}),
                interpreter(
                    7, APP1_GROUP, "app1", 1795559187.1418939, "app1.celeryconfig", {"app1@app1": 1}, {"timeout": 1}
                ),
            ],
        },
        {
            "pid": 8,
            "interpreters": [
                interpreter(
                    8,
                    APP1_GROUP,
                    "app1",
                    1795559187.6839616,
                    "app2.celeryconfig",
                    {"app2@app2": 3},
                    inherited={"CELERY_CONFIG_MODULE": "app2.celeryconfig", "DJANGO_SETTINGS_MODULE": "app2.settings"},
                    foreign=True,
                ),
                interpreter(
                    8, "app2", "app2", 1795559186.3289096, "app2.celeryconfig", {"app2@app2": 1}, {"socket_error": 1}
                ),
            ],
        },
    ]
    results = [
        result(0, "app2", 8, "app2", "app2"),  # consumed by app2: own
        result(1, "app2", 7, "app2", "app2"),  # own
        result(2, "app1", 7, APP1_GROUP, "app1"),  # own
        result(3, "app1", 8, APP1_GROUP, "app2"),  # misrouted: consumed by app2's worker
        result(4, "app1", 8, APP1_GROUP, "app2"),  # misrouted
        result(5, "app1", 8, APP1_GROUP, "app2"),  # misrouted
        result(6, "app2", 8, "app2", "app2", error_kind="socket_error"),  # failed, no receipt
        result(7, "app1", error_kind="timeout"),  # failed before any interpreter answered
        result(8, "app2", 7, "app2", "app2"),  # answered 200, never consumed: lost
        result(9, "app1", 7, APP1_GROUP, "app1", error_kind="timeout"),  # timed out, yet consumed: own
    ]
    receipts = [receipt(0, "app2"), receipt(1, "app2"), receipt(2, "app1"), receipt(9, "app1")]
    receipts += [receipt(i, "app2") for i in (3, 4, 5)] + [receipt(3, "app2")]  # 3 delivered twice
    totals = {"sent": 10, "consumed_own": 4, "misrouted": 3, "failed": 2, "lost": 1, "errors": {}}
    return {
        "run_id": "f8415bcb98cd",
        "code": "buggy",
        "process_model": "embedded",
        "scenario": "default",
        "stack": "trixie",
        "seed": 44302,
        "requests": 10,
        "started_at": "2026-11-24T22:26:26+00:00",
        "versions": {"python": "3.13.5", "mod_wsgi": "5.0.2", "librabbitmq": "2.0.2.dev3"},
        "verdict": {
            "kind": "REPRODUCED",
            "success": True,
            "line": "REPRODUCED: 3 of 10 tasks misrouted, 2 requests failed, 1 lost",
        },
        "timeline": timeline,
        "results": results,
        "receipts": receipts,
        "summary": {"totals": totals, "per_app": {}},
        "broker": {
            "agrees": False,
            "publishes_by_vhost": {"app1": 2, "app2": 6},
            "receipts_by_vhost": {"app1": 2, "app2": 5},
        },
        "failure_causes": [
            {
                "app": "app1",
                "pid": None,
                "application_group": None,
                "config_module": None,
                "error_kind": "timeout",
                "count": 1,
                "error": "timeout text",
            },
            {
                "app": "app2",
                "pid": 8,
                "application_group": "app2",
                "config_module": "app2.celeryconfig",
                "error_kind": "socket_error",
                "count": 1,
                "error": "Error opening socket: a socket error occurred",
            },
        ],
    }


def old_format(document):
    """The same run as the old format stored it: mode, top-level success, the verdict a string."""
    old = {k: v for k, v in document.items() if k not in ("code", "process_model", "stack", "versions")}
    old.update(mode=document["code"], success=document["verdict"]["success"], verdict=document["verdict"]["line"])
    return old


def drawn(document):
    return {(i["pid"], i["group"]): i for child in picture.children(document) for i in child["interpreters"]}


def test_interpreters_in_creation_order_with_offsets_from_the_childs_first():
    children = picture.children(converted_run())
    assert [child["pid"] for child in children] == [7, 8]
    assert [(i["group"], i["offset"]) for i in children[1]["interpreters"]] == [("app2", 0.0), (APP1_GROUP, 1.355)]
    assert [(i["group"], i["offset"]) for i in children[0]["interpreters"]] == [("app2", 0.0), (APP1_GROUP, 0.443)]


def test_the_arrow_comes_from_the_earlier_interpreter_whose_config_was_inherited():
    arrows = {key: i["inherited_from"] for key, i in drawn(converted_run()).items()}
    assert arrows == {(7, "app2"): None, (7, APP1_GROUP): None, (8, "app2"): None, (8, APP1_GROUP): (8, "app2")}


def test_no_arrow_when_no_earlier_interpreter_of_that_child_has_the_inherited_config():
    document = converted_run()
    child8 = document["timeline"][1]["interpreters"]
    child8[1]["created_at"] = child8[0]["created_at"] + 1  # app2 now created after app1: no earlier source
    child8[0]["inherited"] = {"CELERY_CONFIG_MODULE": "app2.celeryconfig"}
    document["timeline"][0]["interpreters"][1]["inherited"] = {"CELERY_CONFIG_MODULE": "app1.celeryconfig"}
    interpreters = drawn(document)
    assert interpreters[(8, APP1_GROUP)]["inherited"] == "app2.celeryconfig"
    assert interpreters[(8, APP1_GROUP)]["inherited_from"] is None  # app2 of child 8 came later
    assert interpreters[(7, APP1_GROUP)]["inherited_from"] is None  # app1's own config: not from app2
    # Poisoned is what Celery used (foreign_config), not what was inherited.
    assert [interpreters[key]["poisoned"] for key in ((7, APP1_GROUP), (8, "app2"), (8, APP1_GROUP))] == [
        False,
        False,
        True,
    ]


def test_exactly_the_foreign_config_interpreters_are_poisoned():
    interpreters = drawn(converted_run())
    assert sorted(key for key, i in interpreters.items() if i["poisoned"]) == [(8, APP1_GROUP)]
    assert interpreters[(8, APP1_GROUP)]["config_module"] == "app2.celeryconfig"
    assert len(interpreters) == 4


def test_every_request_sent_is_in_exactly_one_flow_classified_as_the_checker_does():
    document = converted_run()
    flows = picture.flows(document)
    assert sum(flow["count"] for flow in flows) == len(document["results"]) == document["summary"]["totals"]["sent"]
    by_outcome = {}
    for flow in flows:
        by_outcome[flow["outcome"]] = by_outcome.get(flow["outcome"], 0) + flow["count"]
    assert by_outcome == {"own": 4, "misrouted": 3, "failed": 2, "lost": 1}
    table = {(f["host_app"], f["pid"], f["group"], f["published"], f["consumed_by"]): f["count"] for f in flows}
    assert table == {
        ("app2", 8, "app2", "app2@app2", "app2"): 1,
        ("app2", 7, "app2", "app2@app2", "app2"): 1,
        ("app1", 7, APP1_GROUP, "app1@app1", "app1"): 2,  # one of them timed out at the client
        ("app1", 8, APP1_GROUP, "app2@app2", "app2"): 3,  # counted once though 3 was delivered twice
        ("app2", 8, "app2", "app2@app2", "failed:socket_error"): 1,
        ("app1", None, None, "-", "failed:timeout"): 1,
        ("app2", 7, "app2", "app2@app2", "lost"): 1,
    }
    assert [(f["host_app"], f["consumed_by"], f["count"]) for f in flows if f["misrouted"]] == [("app1", "app2", 3)]
    assert len({f["key"] for f in flows}) == len(flows)


def test_accounting_adds_up_and_the_flows_agree_with_the_totals():
    accounting = picture.accounting(converted_run())
    assert (accounting["sent"], accounting["consumed_own"], accounting["misrouted"]) == (10, 4, 3)
    assert (accounting["failed"], accounting["lost"], accounting["adds_up"], accounting["flows_agree"]) == (
        2,
        1,
        True,
        True,
    )
    assert accounting["vhosts"] == [
        {"vhost": "app1", "publishes": 2, "receipts": 2},
        {"vhost": "app2", "publishes": 6, "receipts": 5},
    ]
    assert accounting["broker_agrees"] is False


def test_accounting_says_when_the_totals_do_not_add_up():
    document = converted_run()
    document["summary"]["totals"]["lost"] = 0  # 4 + 3 + 2 + 0 != 10, and the flows count 1 lost
    accounting = picture.accounting(document)
    assert (accounting["adds_up"], accounting["flows_agree"]) == (False, False)


def test_the_old_format_reads_as_the_new():
    new, old = picture.picture(converted_run()), picture.picture(old_format(converted_run()))
    assert old["verdict"] == new["verdict"] == converted_run()["verdict"]
    assert (old["run"]["code"], old["run"]["process_model"]) == ("buggy", "embedded")
    assert old["children"] == new["children"] and old["flows"] == new["flows"]


def test_the_page_is_self_contained_draws_every_interpreter_and_the_png_is_written(tmp_path):
    document = converted_run()
    html_path, png_path = report_html.write_run_page(document, tmp_path / "run.json")
    assert (html_path.name, png_path.name) == ("run.html", "run.png")
    page = html_path.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"<script|<link|@import|url\(\s*['\"]?(https?:)?//", page, re.IGNORECASE)
    hooks = re.findall(r'class="interpreter" data-pid="(\d+)" data-group="([^"]*)" [^>]*data-poisoned="(\w+)"', page)
    assert sorted(hooks) == [
        ("7", "%{ENV:WSGI_APP_GROUP}", "false"),
        ("7", "app2", "false"),
        ("8", "%{ENV:WSGI_APP_GROUP}", "true"),
        ("8", "app2", "false"),
    ]
    assert page.count(">POISONED<") == 1
    flows = dict(re.findall(r'<tr class="flow" data-flow="([^"]+)" data-count="(\d+)"', page))
    assert sum(map(int, flows.values())) == 10 and len(flows) == 7
    assert re.search(r'data-flow="accounting:sent" data-count="10"', page)
    png = png_path.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_values_are_escaped(tmp_path):
    document = converted_run()
    document["timeline"][0]["interpreters"][0]["application_group"] = "<script>alert(1)</script>"
    html_path, _ = report_html.write_run_page(document, tmp_path / "run.json")
    page = html_path.read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page


def test_the_index_lists_every_run_report_of_the_directory_newest_first(tmp_path):
    newer, older = converted_run(), old_format(converted_run())
    newer.update(run_id="newer", started_at="2026-11-25T10:00:00+00:00")
    older.update(run_id="older", started_at="2026-11-24T10:00:00+00:00")
    for name, document in (("a-newer.json", newer), ("b-older.json", older)):
        (tmp_path / name).write_text(json.dumps(document))
    report_html.write_run_page(newer, tmp_path / "a-newer.json")
    (tmp_path / "not-a-run.json").write_text('{"some": "data"}')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c-sub.json").write_text(json.dumps(newer | {"run_id": "in-a-subdirectory"}))

    page = report_html.write_index(tmp_path).read_text()
    assert re.findall(r'data-run-id="([^"]+)"', page) == ["newer", "older"]
    assert 'href="a-newer.html"' in page and "(no page: b-older.json)" in page
    # Cached rows are refreshed when a report changes.
    (tmp_path / "b-older.json").write_text(json.dumps(older | {"started_at": "2026-11-26T10:00:00+00:00"}))
    page = report_html.write_index(tmp_path).read_text()
    assert re.findall(r'data-run-id="([^"]+)"', page) == ["older", "newer"]


@pytest.mark.parametrize("kind", ["FIXED", "ISOLATED", "INCONCLUSIVE"])
def test_a_run_with_no_poisoned_interpreter_draws_no_arrow_and_no_poisoned_label(tmp_path, kind):
    document = copy.deepcopy(converted_run())
    child8 = document["timeline"][1]["interpreters"]
    child8[0].update(inherited={}, foreign_config=False, config_module="app1.celeryconfig")
    document["verdict"] = {"kind": kind, "success": kind != "INCONCLUSIVE", "line": f"{kind}: hand-made"}
    html_path, _ = report_html.write_run_page(document, tmp_path / "run.json")
    page = html_path.read_text()
    assert page.count('class="interpreter"') == 4
    for marker in ('data-poisoned="true"', ">POISONED<", 'class="inherited-arrow"'):
        assert marker not in page
    assert f'data-kind="{kind}"' in page
