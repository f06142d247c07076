"""Every workshop exercise (workshop/exercises.yml), run as its command says and checked against
what the broker and the workers received, so that the guide cannot rot.

The command is read by the run spec as `make` hands it over (loadtest.spec.from_command: its
knob checks, its command's presets and the defaults), then run against the suite's own compose
projects rather than an attendee's lab, with the suite's load (harness.SUITE_REQUESTS requests
unless the command sets REQUESTS). A `make try-fix` exercise the attendee writes by hand runs its
one right answer (`fix_by_hand`, a folder of workshop/fixes/)."""

import pytest

from loadtest import xray
from tests.integration.harness import EXERCISES, exercise_spec


def interpreters(document):
    return [entry for child in document["timeline"] for entry in child["interpreters"]]


def poisoned_apps(document):
    return {entry["host_app"] for entry in interpreters(document) if entry["poisoned"]}


def failures_of(document, app):
    return [cause for cause in document["failure_causes"] if cause["app"] == app]


def all_failed_with(document, expected, runs):
    causes, sent = failures_of(document, expected["app"]), document["summary"]["per_app"][expected["app"]]["sent"]
    return (
        sent > 0
        and sum(cause["count"] for cause in causes) == sent
        and all(cause[key] == value for cause in causes for key, value in expected.items())
    )


def all_failed_with_own_config(document, app, runs):
    return all_failed_with(document, {"app": app, "config_module": f"{app}.celeryconfig"}, runs)


def some_failed_with(document, expected, runs):
    return any(all(cause[key] == value for key, value in expected.items()) for cause in document["failure_causes"])


def threads_fell_back(document, app, runs):
    """The Why line counts the threads of `app`'s interpreter that used Celery's default app,
    and the count is the one the answers show."""
    entries = [e for e in interpreters(document) if e["host_app"] == app and e["threads"].get("default")]
    return bool(entries) and all(
        any(f"{e['threads']['default']} of its {sum(e['threads'].values())} threads seen" in s for s in
            document["explanation"])
        for e in entries
    )  # fmt: skip


def detector_agrees(document, wanted, runs):
    """The detector (envleak, in every interpreter) flagged exactly the interpreters the referee
    found poisoned: the same (pid, group)."""
    flagged = {(finding["pid"], finding["group"]) for finding in document["detector"]}
    poisoned = {(e["pid"], e["application_group"]) for e in interpreters(document) if e["poisoned"]}
    return wanted == (flagged == poisoned and (bool(poisoned) or document["code"] != "buggy"))


def more_processes_than(document, other_id, runs):
    cost, other = (xray.process_cost(doc["apache_processes"]) for doc in (document, runs.exercise(other_id)))
    return cost["processes"] > other["processes"]


def served_with_other_settings(document, app, runs):
    answers = [r["response"] for r in document["results"] if r["app"] == app and r.get("response")]
    return bool(answers) and all(a.get("served_by") not in (None, app) for a in answers)


# What each `check` key of workshop/exercises.yml asserts, from the run's document.
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
    "all_failed_with_own_config": all_failed_with_own_config,
    "some_failed_with": some_failed_with,
    "broker_refused_users": lambda doc, users, runs: sorted(doc["refused_logins"]) == sorted(users),
    "explanation_says": lambda doc, words, runs: any(words in sentence for sentence in doc["explanation"]),
    "threads_fell_back": threads_fell_back,
    "one_app_per_process": lambda doc, wanted, runs: (
        wanted == all(len({e["host_app"] for e in child["interpreters"]}) == 1 for child in doc["timeline"])
    ),
    "more_processes_than": more_processes_than,
    "all_served_with_other_settings": served_with_other_settings,
    "lost": lambda doc, count, runs: doc["summary"]["totals"]["lost"] == count,
    "failed_during_the_fault": lambda doc, wanted, runs: (doc["summary"]["totals"]["failed_in_fault"] > 0) == wanted,
    "detector_agrees": detector_agrees,
    "rows_in_the_other_database": lambda doc, app, runs: (
        doc["summary"]["per_app"][app]["rows_other"] == doc["summary"]["per_app"][app]["sent"] > 0
    ),
    "signed_with_the_other_key": lambda doc, app, runs: (
        doc["summary"]["per_app"][app]["signed_other"] == doc["summary"]["per_app"][app]["sent"] > 0
    ),
    "every_row_in_its_own_database": lambda doc, wanted, runs: (
        wanted
        == (
            doc["summary"]["totals"]["rows_own"] == doc["summary"]["totals"]["sent"] > 0
            and doc["summary"]["totals"]["signed_own"] == doc["summary"]["totals"]["sent"]
            and doc["summary"]["totals"]["rows_named_other"] == 0
        )
    ),
    "refusals_per_failed_request": lambda doc, attempts, runs: (
        sum(doc["refused_logins"].values()) == attempts * doc["summary"]["totals"]["failed"] > 0
    ),
    "wrong_clock": lambda doc, app, runs: doc["summary"]["per_app"][app]["wrong_clock"] > 0,
    "versions": lambda doc, prefixes, runs: all(
        doc["versions"][name].startswith(f"{prefix}.") for name, prefix in prefixes.items()
    ),
}


def test_every_check_of_every_exercise_is_known():
    for exercise in EXERCISES.values():
        assert set(exercise["check"]) <= set(CHECKS), exercise["id"]


@pytest.mark.parametrize(
    ("exercise_id", "run_spec"), [(name, exercise_spec(name)) for name in EXERCISES], ids=list(EXERCISES)
)
def test_exercise_shows_what_the_guide_expects(exercise_id, run_spec, runs):
    exercise = EXERCISES[exercise_id]
    document = runs.exercise(exercise_id)
    checks = exercise["check"].items()
    failed = [name for name, expected in checks if not CHECKS[name](document, expected, runs)]
    assert not failed, (
        f"{exercise['command']}: {failed} not as workshop/exercises.yml expects; {document['verdict']['line']}; "
        f"why: {document['explanation']}"
    )
