"""A run's page, rendered and opened in a real browser (headless Chromium): what it *draws*,
read back from the rendered DOM through its data-* hooks, matches the run's JSON, whose
values are read here directly (not through loadtest.picture). The screenshot is kept beside
the JSON under reports/.

With the lab: the shared buggy run (fixture buggy_run, a document with its JSON's path in
report_path). Without it, on stored reports:
    REPORT_PAGE_JSON="reports/a.json reports/b.json" .venv/bin/python -m pytest tests/integration/test_report_page.py
"""

import copy
import dataclasses
import glob
import html
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from loadtest import phrasebook, story, xray
from loadtest.document import load
from loadtest.lab import ROOT
from loadtest.report_html import render, write_run_page

PATTERNS = os.environ.get("REPORT_PAGE_JSON", "").split()
STORED = [Path(p).resolve() for pattern in PATTERNS for p in sorted(glob.glob(pattern))]


# The browsers the test looks for, in order, when LAB_BROWSER (make test BROWSER=...) names none:
# Debian's Chromium, and Google Chrome as GitHub's runners have it (Ubuntu's chromium is a snap
# stub that does not run there). scripts/ensure-chromium.sh looks for the same names.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def runs(path):
    try:
        return subprocess.run([path, "--version"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def browser():
    """The browser the page is opened in: BROWSER (make test BROWSER=...), else one of BROWSERS;
    scripts/ensure-chromium.sh installs Debian's chromium first where it can (root, Debian)."""
    named = os.environ.get("BROWSER")
    ensure = ["bash", str(ROOT / "scripts" / "ensure-chromium.sh")]
    subprocess.run(ensure, env={**os.environ, "LAB_BROWSER": named or ""}, capture_output=True, timeout=900)
    candidates = [named] if named else [found for found in map(shutil.which, BROWSERS) if found]
    found = next((path for path in candidates if runs(path)), None)
    if found is None:
        message = f"no browser that runs: {named or ', '.join(BROWSERS)} (make test BROWSER=/path/to/chrome names one)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: the browser test must run, not skip ({message})")
        pytest.skip(message)
    return found


class Drawn(HTMLParser):
    """What the rendered page marks with data-* hooks."""

    def __init__(self):
        super().__init__()
        self.interpreters, self.counts, self.verdict, self.cost = [], [], None, None
        self.explanation, self._in_explanation = [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "interpreter" in (attrs.get("class") or "").split():
            self.interpreters.append(attrs)
        if "data-flow" in attrs and "data-count" in attrs:
            self.counts.append((attrs["data-flow"], int(attrs["data-count"]), attrs))
        if attrs.get("id") == "verdict":
            self.verdict = attrs.get("data-kind")
        if attrs.get("id") == "cost":
            self.cost = {"processes": int(attrs["data-processes"]), "rss_mib": int(attrs["data-rss-mib"])}
        if attrs.get("id") == "explanation":
            self._in_explanation = True
        if tag == "li" and self._in_explanation:
            self.explanation.append("")

    def handle_endtag(self, tag):
        if tag == "ul":
            self._in_explanation = False

    def handle_data(self, data):
        if self._in_explanation and self.explanation:
            self.explanation[-1] += data


def open_in_browser(page):
    """The page's DOM as Chromium rendered it, and its screenshot at 1280 px wide."""
    common = [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0 and "</html>" in dom.stdout, dom.stderr[-2000:]
    screenshot = page.with_suffix(".screenshot.png")
    shot = subprocess.run(
        [*common, f"--screenshot={screenshot}", "--window-size=1280,2000", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shot.returncode == 0 and screenshot.stat().st_size > 10_000, shot.stderr[-2000:]
    drawn = Drawn()
    drawn.feed(dom.stdout)
    return drawn


# Run in the browser on the timeline picture alone: every text's box, measured by the layout
# engine, against the picture's width and against the box of the interpreter it belongs to.
MEASURE = """
<script>
const svg = document.querySelector("svg");
const width = svg.viewBox.baseVal.width;
const clipped = [];
for (const text of svg.querySelectorAll("text")) {
  const box = text.getBBox();
  const owner = text.closest("g.interpreter");
  const frame = owner ? owner.querySelector("rect") : null;
  const right = frame ? frame.x.baseVal.value + frame.width.baseVal.value : width;
  if (box.x < 0 || box.x + box.width > right + 0.5) clipped.push(text.textContent.trim().slice(0, 80));
}
const result = document.createElement("pre");
result.id = "clipped";
result.textContent = JSON.stringify(clipped);
document.body.appendChild(result);
</script>
"""


def clipped_texts(svg, folder):
    """The texts of the timeline picture that overflow the picture or their box, as a real
    browser lays them out."""
    probe = folder / "timeline-probe.html"
    probe.write_text(f"<!doctype html><html><body>{svg}{MEASURE}</body></html>")
    common = [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio"]
    dom = subprocess.run([*common, "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<pre id="clipped">(.*?)</pre>', dom.stdout, re.S)
    assert found, dom.stdout[-2000:]
    return json.loads(html.unescape(found[1]))


def check_page(document, json_path):
    """Renders the run's page beside its JSON, opens it, compares what is drawn with the JSON."""
    html_path = write_run_page(document, json_path)
    drawn = open_in_browser(html_path)
    # Nothing of the picture is clipped, whatever its title's length; no green box had failures.
    assert clipped_texts(render(document)[1], html_path.parent) == []
    for interpreter in drawn.interpreters:
        assert (interpreter["data-state"] == "ok") == (
            interpreter["data-poisoned"] == "false" and interpreter["data-failed"] == "0"
        ), interpreter

    # Every interpreter of the timeline, with its pid and group; poisoned exactly when it used
    # another app's config or settings.
    expected = Counter(
        (str(child.pid), entry.application_group, "true" if entry.poisoned else "false")
        for child in document.checked.timeline
        for entry in child.interpreters
    )
    shown = Counter((i.get("data-pid"), i.get("data-group"), i.get("data-poisoned")) for i in drawn.interpreters)
    assert expected and shown == expected
    assert drawn.verdict == document.verdict.kind
    # The "Why:" sentences (the phrasebook's, one per reason of the JSON) and what the Apache
    # container cost, as the JSON has them.
    assert drawn.explanation == [phrasebook.reason(reason) for reason in document.checked.reasons]
    if document.history.apache_processes:
        cost = xray.process_cost(document.history.apache_processes)
        assert drawn.cost == {"processes": cost.processes, "rss_mib": cost.rss_mib}

    # Every drawn count, by its key, against the JSON.
    counts = {flow: count for flow, count, _ in drawn.counts}
    assert len(counts) == len(drawn.counts), "two drawn counts share a data-flow key"
    totals = document.totals
    for name in ("sent", "consumed_own", "misrouted", "failed", "lost"):
        assert counts[f"total:{name}"] == counts[f"accounting:{name}"] == getattr(totals, name), name
    by_outcome = Counter()
    for _, count, attrs in drawn.counts:
        if attrs["data-flow"].startswith("flow:"):
            by_outcome[attrs["data-outcome"]] += count
    assert sum(by_outcome.values()) == totals.sent == len(document.history.results)
    assert [by_outcome[o] for o in ("own", "misrouted", "failed", "lost")] == [
        getattr(totals, name) for name in ("consumed_own", "misrouted", "failed", "lost")
    ]
    for child in document.checked.timeline:
        for entry in child.interpreters:
            key = f"interpreter:{child.pid}|{entry.application_group}"
            assert counts[f"{key}:published"] == sum(entry.published_to.values()), key
            assert counts[f"{key}:failed"] == sum(entry.errors.values()), key
    failures = sorted(count for flow, count in counts.items() if flow.startswith("failure:"))
    assert failures == sorted(cause.count for cause in document.checked.failure_causes)
    for vhost, publishes in document.checked.broker.publishes_by_vhost.items():
        assert counts[f"broker:publishes:{vhost}"] == publishes
    for vhost, receipts in document.checked.broker.receipts_by_vhost.items():
        assert counts[f"broker:receipts:{vhost}"] == receipts
    return drawn


def test_the_page_draws_every_interpreter_and_count_of_the_buggy_run(buggy_run):
    drawn = check_page(buggy_run, ROOT / buggy_run.report_path)
    assert drawn.verdict == "REPRODUCED"
    assert any(i["data-poisoned"] == "true" for i in drawn.interpreters)  # a REPRODUCED run has a poisoned one


def test_the_page_of_a_run_with_failures_and_a_long_title(runs, tmp_path):
    # The wrong fix: some app2 requests fail with no config (an orange box, not a green one);
    # the page is drawn again with a scenario name longer than any the lab has.
    document = runs.exercise("wrong-fix-order")
    drawn = check_page(document, ROOT / document.report_path)
    assert any(i["data-state"] == "failures" for i in drawn.interpreters)
    # No knob takes such a name (the spec refuses it): a copy of the spec is given it directly.
    spec = copy.copy(document.spec)
    object.__setattr__(spec, "scenario", "a-scenario-name-far-longer-than-any-the-lab-has-" * 3)
    long_title = dataclasses.replace(document, run=dataclasses.replace(document.run, spec=spec))
    check_page(long_title, tmp_path / "long-title.json")
    # Each watched variable written a millisecond after the last (the CI run that found the
    # writes' line clipped had two moments): the line still fits its box.
    check_page(spread_writes(long_title), tmp_path / "spread-writes.json")


def spread_writes(document):
    """The document with every interpreter's writes each at its own millisecond."""

    def entry_with_spread_writes(entry):
        variables, step = {}, 0
        for name, variable in entry.variables.items():
            writes = []
            for write in variable.writes or (story.WriteAt("x", entry.created_at or 0.0),):
                step += 1
                writes.append(dataclasses.replace(write, at=write.at + step / 1000))
            variables[name] = dataclasses.replace(variable, writes=tuple(writes))
        return dataclasses.replace(entry, variables=variables)

    timeline = tuple(
        dataclasses.replace(child, interpreters=tuple(map(entry_with_spread_writes, child.interpreters)))
        for child in document.checked.timeline
    )
    return dataclasses.replace(document, checked=dataclasses.replace(document.checked, timeline=timeline))


@pytest.mark.skipif(not STORED, reason="REPORT_PAGE_JSON names no stored run report")
@pytest.mark.parametrize("json_path", STORED, ids=[p.name for p in STORED])
def test_the_page_of_a_stored_run_draws_what_its_json_holds(json_path):
    check_page(load(json_path), json_path)
