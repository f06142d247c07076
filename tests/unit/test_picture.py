"""What a run's page draws (loadtest.picture), from small hand-made run documents; and the page,
its PNG and the index, written to tmp_path. No lab, no browser."""

import dataclasses
import re

import pytest

from loadtest import checker, picture, report_html, story
from loadtest import document as documents
from loadtest.lab import APP1_GROUP
from loadtest.spec import RunSpec
from tests.unit import answers


def receipt(index, worker):
    return answers.receipt(f"f8415bcb98cd-{index}", worker)


def run_document(spec=None):
    """A hand-made run of 10 requests, every outcome once at least, checked by the checker from
    the interpreters' answers.

    Child 8: app2 first; app1 then inherits app2's CELERY_CONFIG_MODULE and publishes to app2's
    vhost (poisoned). Child 7: app2, then app1 created before app2 wrote anything: nothing
    inherited. Child 8's answers come newest first on purpose: the picture sorts by creation."""
    c7_app2 = answers.buggy(7, "app2", 1795559186.6991482)
    c7_app1 = dataclasses.replace(answers.buggy(7, "app1", 1795559186.701), request_started_at=1795559186.700)
    c8_app1 = answers.buggy(8, "app1", 1795559187.6839616, inherited_from="app2")
    c8_app2 = answers.buggy(8, "app2", 1795559186.3289096)
    result = answers.result
    results = [
        result("f8415bcb98cd-3", "app1", c8_app1),  # misrouted: consumed by app2's worker
        result("f8415bcb98cd-0", "app2", c8_app2),  # consumed by app2: own
        result("f8415bcb98cd-1", "app2", c7_app2),  # own
        result("f8415bcb98cd-2", "app1", c7_app1),  # own
        result("f8415bcb98cd-4", "app1", c8_app1),  # misrouted
        result("f8415bcb98cd-5", "app1", c8_app1),  # misrouted
        result("f8415bcb98cd-6", "app2", c8_app2, ok=False, error_kind="socket_error"),  # failed
        result("f8415bcb98cd-7", "app1", None, ok=False, error_kind="timeout"),  # failed before any answer
        result("f8415bcb98cd-8", "app2", c7_app2),  # answered 200, never consumed: lost
        result("f8415bcb98cd-9", "app1", c7_app1, ok=False, error_kind="timeout"),  # timed out, yet consumed
    ]
    receipts = [receipt(0, "app2"), receipt(1, "app2"), receipt(2, "app1"), receipt(9, "app1")]
    receipts += [receipt(i, "app2") for i in (3, 4, 5)] + [receipt(3, "app2")]  # 3 delivered twice
    traces = [answers.trace(r.request_id, r.worker_vhost) for r in receipts[:-1]]
    traces.append(answers.trace("f8415bcb98cd-8", "app2"))  # the lost one: recorded, never received
    versions = {"python": "3.13.5", "mod_wsgi": "5.0.2", "librabbitmq": "2.0.2.dev3"}
    return answers.document(results, receipts, traces, spec=spec, versions=versions)


def with_timeline(document, *results):
    """The document with the timeline these answers give (the rest as it was)."""
    timeline = story.timeline(answers.run_history(results))
    return dataclasses.replace(document, checked=dataclasses.replace(document.checked, timeline=timeline))


def with_verdict(document, kind):
    verdict = checker.Verdict(kind, kind != "INCONCLUSIVE" and not kind.startswith("NOT"), "REPRODUCED")
    return dataclasses.replace(document, checked=dataclasses.replace(document.checked, verdict=verdict))


def drawn(document):
    return {(i["pid"], i["group"]): i for child in picture.children(document) for i in child["interpreters"]}


def test_interpreters_in_creation_order_with_offsets_from_the_childs_first():
    children = picture.children(run_document())
    assert [child["pid"] for child in children] == [7, 8]
    assert [(i["group"], i["offset"]) for i in children[1]["interpreters"]] == [("app2", 0.0), (APP1_GROUP, 1.355)]
    assert [(i["group"], i["offset"]) for i in children[0]["interpreters"]] == [("app2", 0.0), (APP1_GROUP, 0.002)]
    # The first run and the writes are on the same axis.
    first = children[1]["interpreters"][0]
    assert first["first_ran_offset"] == 0.004 and {w["offset"] for w in first["writes"]} == {0.01}


def test_the_arrows_come_from_the_interpreter_whose_write_was_inherited():
    interpreters = drawn(run_document())
    poisoned = interpreters[(8, APP1_GROUP)]
    assert [(a["name"], a["from"], a["used"]) for a in poisoned["arrows"]] == [
        ("CELERY_CONFIG_MODULE", (8, "app2"), True),
        ("DJANGO_SETTINGS_MODULE", (8, "app2"), False),
    ]
    assert poisoned["inherited_from"] == (8, "app2")
    assert all(not interpreters[key]["arrows"] for key in ((7, "app2"), (7, APP1_GROUP), (8, "app2")))


def test_exactly_the_interpreters_that_used_another_apps_value_are_poisoned_and_failures_are_shown():
    interpreters = drawn(run_document())
    assert sorted(key for key, i in interpreters.items() if i["poisoned"]) == [(8, APP1_GROUP)]
    assert interpreters[(8, APP1_GROUP)]["config_module"] == "app2.celeryconfig"
    assert {key: i["state"] for key, i in interpreters.items()} == {
        (7, "app2"): "ok",
        (7, APP1_GROUP): "failures",  # a timeout: never a green box with a failure in it
        (8, "app2"): "failures",
        (8, APP1_GROUP): "poisoned",
    }


def test_a_split_between_configs_is_drawn_with_its_counts():
    own = answers.answer(
        7, "app2", 1795559186.6991482, loader="celery.loaders.app", celery_app="app2", config_from_environment=False
    )
    plain = answers.answer(7, "app2", 1795559186.6991482)
    fallback = dataclasses.replace(plain, broker=dataclasses.replace(plain.broker, config_module=None))
    results = [answers.result(f"s-{i}", "app2", own) for i in range(3)] + [answers.result("s-x", "app2", fallback)]
    document = with_timeline(run_document(), *results)
    (interpreter,) = [i for child in picture.children(document) for i in child["interpreters"]]
    assert interpreter["variables"][0]["used"] == "app2.celeryconfig x3, none x1"


def test_the_canvas_is_wide_enough_for_any_title():
    narrow = picture.picture(run_document())["width"]
    wide = picture.picture(run_document(RunSpec(scenario="a-scenario-with-a-very-long-name-" * 4)))
    assert wide["width"] > narrow and wide["width"] >= picture.text_width(wide["title"], 20, "bold")


def test_daemon_processes_are_named_as_such_and_verdicts_have_one_spelling():
    daemon = run_document(RunSpec(command="daemon", process_model="daemon"))
    drawn_page = picture.picture(with_verdict(daemon, "NOT_ISOLATED"))
    assert drawn_page["process_label"] == ("mod_wsgi daemon", "process")
    assert drawn_page["verdict"]["words"] == "NOT ISOLATED" and drawn_page["title"].startswith("NOT ISOLATED: ")


def test_every_request_sent_is_in_exactly_one_flow_classified_as_the_checker_does():
    document = run_document()
    flows = picture.flows(document)
    assert sum(flow["count"] for flow in flows) == len(document.history.results) == document.totals.sent
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
    accounting = picture.accounting(run_document())
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
    assert accounting["broker_agrees"] is False  # the lost task: recorded by the broker, never received


def test_accounting_says_when_the_totals_do_not_add_up():
    document = run_document()
    document.totals.lost = 0  # 4 + 3 + 2 + 0 != 10, and the flows count 1 lost
    accounting = picture.accounting(document)
    assert (accounting["adds_up"], accounting["flows_agree"]) == (False, False)


def test_the_page_is_self_contained_draws_every_interpreter_and_the_png_is_written_when_asked(tmp_path):
    document = run_document()
    html_path = report_html.write_run_page(document, tmp_path / "run.json")
    assert html_path.name == "run.html" and not (tmp_path / "run.png").exists()
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
    (tmp_path / "run.json").write_text(documents.to_json(document))
    png = report_html.write_png(tmp_path / "run.json").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_values_are_escaped(tmp_path):
    document = run_document()
    document.checked.timeline[0].interpreters[0].application_group = "<script>alert(1)</script>"
    html_path = report_html.write_run_page(document, tmp_path / "run.json")
    page = html_path.read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page


def test_the_index_lists_every_run_report_of_the_directory_newest_first(tmp_path):
    def stored(run_id, started_at):
        document = run_document()
        return dataclasses.replace(
            document, run=dataclasses.replace(document.run, run_id=run_id, started_at=started_at)
        )

    newer, older = stored("newer", "2026-11-25T10:00:00+00:00"), stored("older", "2026-11-24T10:00:00+00:00")
    for name, document in (("a-newer.json", newer), ("b-older.json", older)):
        (tmp_path / name).write_text(documents.to_json(document))
    report_html.write_run_page(newer, tmp_path / "a-newer.json")
    (tmp_path / "not-a-run.json").write_text('{"some": "data"}')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c-sub.json").write_text(documents.to_json(stored("in-a-subdirectory", "2026-11-27")))

    page = report_html.write_index(tmp_path).read_text()
    assert re.findall(r'data-run-id="([^"]+)"', page) == ["newer", "older"]
    assert 'href="a-newer.html"' in page and "(no page: b-older.json)" in page
    (tmp_path / "c-old-format.json").write_text('{"verdict": "REPRODUCED: a string", "run_id": "old"}')
    assert re.findall(r'data-run-id="([^"]+)"', report_html.write_index(tmp_path).read_text()) == ["newer", "older"]
    # Cached rows are refreshed when a report changes.
    (tmp_path / "b-older.json").write_text(documents.to_json(stored("older", "2026-11-26T10:00:00+00:00")))
    page = report_html.write_index(tmp_path).read_text()
    assert re.findall(r'data-run-id="([^"]+)"', page) == ["older", "newer"]


@pytest.mark.parametrize("kind", ["FIXED", "ISOLATED", "INCONCLUSIVE"])
def test_a_run_with_no_poisoned_interpreter_draws_no_red_arrow_and_no_poisoned_label(tmp_path, kind):
    results = [answers.result("a", "app2", answers.fixed(8, "app2", 10.0))]
    results.append(answers.result("b", "app1", answers.fixed(8, "app1", 10.5, inherited_from="app2")))
    document = with_verdict(with_timeline(run_document(), *results), kind)
    html_path = report_html.write_run_page(document, tmp_path / "run.json")
    page = html_path.read_text()
    assert page.count('class="interpreter"') == 2
    for marker in ('data-poisoned="true"', ">POISONED<", 'data-used="true"'):
        assert marker not in page
    # The copied-then-overwritten DJANGO_SETTINGS_MODULE is still drawn, in grey.
    assert page.count('class="inherited-arrow" data-name="DJANGO_SETTINGS_MODULE" data-used="false"') == 1
    assert f'data-kind="{kind}"' in page
