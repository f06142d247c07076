"""loadtest/clock.py: what SCENARIO=time-zone's answers say of each interpreter's clock."""

from loadtest import clock


def answer(app, pid, at, c_zone, c_offset, django_zone, django_offset):
    response = {
        "pid": pid,
        "clock": {
            "localtime_zone": c_zone,
            "localtime_offset": c_offset,
            "django_zone": django_zone,
            "django_offset": django_offset,
        },
    }
    return {"app": app, "answered_at": at, "response": response}


RESULTS = [
    answer("app1", 7, 1.0, "JST", "+0900", "JST", "+0900"),  # app1 loaded first: its zone
    answer("app2", 7, 2.0, "PST", "-0800", "PST", "-0800"),  # app2 loaded next: the process's zone now
    answer("app1", 7, 3.0, "PST", "-0800", "JST", "+0900"),  # app1's C library clock in app2's zone
    answer("app1", 8, 4.0, "JST", "+0900", "JST", "+0900"),
    {"app": "app2", "answered_at": 5.0, "response": {"error": "refused"}},  # no clock: left out
]


def test_tally_counts_answers_in_another_zone_per_app():
    table = clock.tally(RESULTS)
    assert table["app1"]["answers"] == 3 and table["app1"]["foreign"] == 1
    assert table["app1"]["zones"] == {("JST", "JST"): 2, ("PST", "JST"): 1}
    assert table["app2"] == {"answers": 1, "foreign": 0, "zones": {("PST", "PST"): 1}}


def test_by_interpreter_follows_the_order_of_the_answers():
    seen = clock.by_interpreter(list(reversed(RESULTS)))
    assert list(seen) == [(7, "app1"), (7, "app2"), (8, "app1")]
    assert seen[(7, "app1")] == {"JST": 1, "PST": 1}


def test_format_tally_says_when_no_answer_has_a_clock():
    assert clock.format_tally([{"app": "app1", "response": {}}]).startswith("no answer carries a clock")
    assert clock.format_tally(RESULTS).splitlines()[0] == (
        "app1: 3 answers, 1 in another zone than its own: C library JST / Django JST x2, C library PST / Django JST x1"
    )
