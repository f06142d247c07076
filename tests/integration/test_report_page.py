"""A buggy run's page, opened in a real browser (headless Chromium): what it *draws*, read
from the rendered DOM, matches the run's JSON."""

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest


def browser():
    found = next(
        (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None
    )
    if found is None:
        message = "no Chromium: run `make test`, which installs it on Debian (scripts/ensure-chromium.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: the browser test must run, not skip ({message})")
        pytest.skip(message)
    return found


class Drawn(HTMLParser):
    """The elements the page marks with data-* hooks, as the browser rendered them."""

    def __init__(self):
        super().__init__()
        self.interpreters, self.flows, self.accounting, self.verdict = [], [], {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if "interpreter" in classes:
            self.interpreters.append(attrs)
        elif "flow" in classes:
            self.flows.append(attrs)
        elif attrs.get("id") == "accounting":
            self.accounting = attrs
        elif attrs.get("id") == "verdict":
            self.verdict = attrs.get("data-kind")


def test_the_page_draws_every_interpreter_and_count_of_the_run(buggy_run):
    chromium = browser()
    page = Path(buggy_run["report_path"]).with_suffix(".html")
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0 and "</html>" in dom.stdout, dom.stderr[-2000:]
    drawn = Drawn()
    drawn.feed(dom.stdout)

    expected = {
        (str(child["pid"]), entry["application_group"], "true" if entry["foreign_config"] else "false")
        for child in buggy_run["timeline"]
        for entry in child["interpreters"]
    }
    assert expected and {(i["data-pid"], i["data-group"], i["data-poisoned"]) for i in drawn.interpreters} == expected
    assert any(i["data-poisoned"] == "true" for i in drawn.interpreters)  # a REPRODUCED run has a poisoned one
    assert drawn.verdict == buggy_run["verdict"]["kind"] == "REPRODUCED"
    totals = buggy_run["summary"]["totals"]
    assert sum(int(flow["data-count"]) for flow in drawn.flows) == totals["sent"]
    assert sum(int(f["data-count"]) for f in drawn.flows if f["data-misrouted"] == "true") == totals["misrouted"] > 0
    for key in ("sent", "misrouted", "failed", "lost"):
        assert int(drawn.accounting[f"data-{key}"]) == totals[key]
    assert int(drawn.accounting["data-consumed-own"]) == totals["consumed_own"]

    screenshot = page.with_suffix(".screenshot.png")
    shot = subprocess.run(
        [*common, f"--screenshot={screenshot}", "--window-size=1280,1400", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shot.returncode == 0 and screenshot.stat().st_size > 10_000, shot.stderr[-2000:]
    json.loads(Path(buggy_run["report_path"]).read_text())  # the JSON beside it is whole
