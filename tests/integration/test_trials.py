"""Repeated fresh-Apache trials: the bug shows every time, the fix holds every time."""

import pytest

from loadtest import report
from tests.integration.conftest import TRIALS


def assert_every_request_accounted_for(document):
    totals = document["summary"]["totals"]
    assert totals["lost"] == 0, document["verdict"]
    assert report.accounted(totals), document["verdict"]
    assert totals["unexpected_receipts"] == 0 and totals["duplicate_receipts"] == 0
    broker = document["broker"]
    # The broker's own per-vhost publish counters agree with what the workers received.
    assert broker["agrees"], broker
    assert sum(broker["publishes_by_vhost"].values()) == totals["consumed_own"] + totals["misrouted"]


@pytest.mark.parametrize("trial", range(TRIALS))
def test_buggy_mode_misroutes_tasks(lab, trial):
    lab.fresh_apache("buggy")
    document = lab.load("buggy", seed=trial, label=f"trial{trial}")
    assert_every_request_accounted_for(document)
    assert document["summary"]["totals"]["misrouted"] >= 1, document["verdict"]
    assert document["verdict"].startswith("REPRODUCED")
    # The misrouted tasks went where the poisoned interpreter's config pointed: the workers
    # of the *other* vhost received them.
    for app, row in document["summary"]["per_app"].items():
        assert set(row["misrouted_to"]) <= {"app1", "app2"} - {app}


@pytest.mark.parametrize("trial", range(TRIALS))
def test_fixed_mode_misroutes_nothing(lab, trial):
    lab.fresh_apache("fixed")
    document = lab.load("fixed", seed=trial, label=f"trial{trial}")
    assert_every_request_accounted_for(document)
    totals = document["summary"]["totals"]
    assert (totals["misrouted"], totals["failed"]) == (0, 0), document["verdict"]
    assert totals["consumed_own"] == totals["sent"]
    assert document["verdict"].startswith("FIXED")
