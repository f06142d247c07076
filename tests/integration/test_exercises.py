"""Every workshop exercise (docs/exercises.yml), run as its command says and checked against
what the broker and the workers received, so that the guide cannot rot.

The command goes through the real Makefile (`make -n`: its knob checks, its targets and their
defaults); what `make` would run is then run against the suite's own compose projects rather
than an attendee's lab. A `make try-fix` exercise gets its docs/fixes/ entries first."""

import pytest

from loadtest import checker
from tests.integration.conftest import EXERCISES


def poisoned_apps(document):
    return {e["host_app"] for child in document["timeline"] for e in child["interpreters"] if e["foreign_config"]}


def all_failed_with(document, expected, runs):
    causes = [cause for cause in document["failure_causes"] if cause["app"] == expected["app"]]
    sent = document["summary"]["per_app"][expected["app"]]["sent"]
    return (
        sent > 0
        and sum(cause["count"] for cause in causes) == sent
        and all(cause[key] == value for cause in causes for key, value in expected.items())
    )


def costs_more_than(document, other_id, runs):
    cost, other = (checker.process_cost(doc["apache_processes"]) for doc in (document, runs.run(other_id)))
    return cost["processes"] > other["processes"] and cost["rss_mib"] > other["rss_mib"]


# What each `check` key of docs/exercises.yml asserts, from the run's document.
CHECKS = {
    "verdict": lambda doc, kind, runs: doc["verdict"]["kind"] == kind,
    "some_interpreter_poisoned": lambda doc, wanted, runs: bool(poisoned_apps(doc)) == wanted,
    "poisoned": lambda doc, apps, runs: poisoned_apps(doc) == set(apps),
    "all_misrouted": lambda doc, app, runs: (
        doc["summary"]["per_app"][app]["misrouted"] == doc["summary"]["per_app"][app]["sent"] > 0
    ),
    "none_misrouted": lambda doc, app, runs: (
        doc["summary"]["per_app"][app]["consumed_own"] == doc["summary"]["per_app"][app]["sent"] > 0
    ),
    "all_failed_with": all_failed_with,
    "explanation_says": lambda doc, words, runs: any(words in sentence for sentence in doc["explanation"]),
    "one_app_per_process": lambda doc, wanted, runs: (
        wanted == all(len({e["host_app"] for e in child["interpreters"]}) == 1 for child in doc["timeline"])
    ),
    "costs_more_than": costs_more_than,
    "versions": lambda doc, prefixes, runs: all(
        doc["versions"][name].startswith(f"{prefix}.") for name, prefix in prefixes.items()
    ),
}


def test_every_check_of_every_exercise_is_known():
    for exercise in EXERCISES:
        assert set(exercise["check"]) <= set(CHECKS), exercise["id"]


@pytest.mark.parametrize("exercise", EXERCISES, ids=[exercise["id"] for exercise in EXERCISES])
def test_exercise_shows_what_the_guide_expects(exercise, exercise_runs):
    document = exercise_runs.run(exercise["id"])
    checks = exercise["check"].items()
    failed = [name for name, expected in checks if not CHECKS[name](document, expected, exercise_runs)]
    assert not failed, (
        f"{exercise['command']}: {failed} not as docs/exercises.yml expects; {document['verdict']['line']}; "
        f"why: {document['explanation']}"
    )
