"""The root cause probe's verdict (apps/root_cause.py) from what each step saw, and the version
table read back from its stored outputs (loadtest/pythons.py, docs/measured/root-cause-*.txt)."""

import importlib.util
from pathlib import Path

import pytest

from loadtest import pythons

SPEC = importlib.util.spec_from_file_location("root_cause", Path(__file__).parents[2] / "apps" / "root_cause.py")
root_cause = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(root_cause)

A_SET, A_AGAIN, B_SET = "A: setdefault", "A: assigned after B was created", "B: assigned"


def seen(*values, dicts=(1, 1, 1)):
    """The records of the first seven steps (main, A, B, A, B, B, A), each with its value."""
    ids = dict(zip(("main", "A", "B"), dicts, strict=True))
    return [
        {"step": index, "value": value, "getenv": None, "environ": index, "dict": ids[root_cause.STEPS[index][0]]}
        for index, value in enumerate(values)
    ]


def test_b_seeing_as_later_write_and_a_seeing_bs_is_shared_live():
    records = seen(None, A_SET, A_SET, A_AGAIN, A_AGAIN, B_SET, B_SET)
    assert root_cause.verdict(records) == "SHARED LIVE"
    assert root_cause.dicts(records) == "main, A, B: one dict"


def test_b_keeping_what_it_inherited_and_a_keeping_its_own_is_copied_at_creation():
    records = seen(None, A_SET, A_SET, A_AGAIN, A_SET, B_SET, A_AGAIN, dicts=(1, 2, 3))
    assert root_cause.verdict(records) == "COPIED AT CREATION"
    assert root_cause.dicts(records) == "main, A, B: 3 dicts"


@pytest.mark.parametrize(
    "values",
    [
        (None, A_SET, None, A_AGAIN, None, B_SET, A_AGAIN),  # B inherited nothing
        (None, A_SET, A_SET, A_AGAIN, A_AGAIN, B_SET, A_AGAIN),  # B saw A's write, A not B's
        (None, A_SET, A_SET, A_AGAIN, A_AGAIN),  # steps missing
    ],
)
def test_steps_that_fit_neither_give_no_verdict(values):
    assert root_cause.verdict(seen(*values)) is None


def test_getenv_follows_the_last_write_of_any_interpreter():
    records = seen(None, A_SET, A_SET, A_AGAIN, A_SET, B_SET, A_AGAIN, dicts=(1, 2, 3))
    for record, c_value in zip(records, (None, A_SET, A_SET, A_AGAIN, A_AGAIN, B_SET, B_SET), strict=True):
        record["getenv"] = c_value
    assert root_cause.getenv_follows(records)
    records[4]["getenv"] = A_SET  # B's getenv() lagging behind A's write: not one environment
    assert not root_cause.getenv_follows(records)


def stored(path):
    return pythons.parse(path.read_text())


STORED = sorted(pythons.MEASURED.glob("root-cause-*.txt"))


@pytest.mark.parametrize("path", STORED, ids=[path.name for path in STORED])
def test_each_stored_output_reads_back_with_its_command_and_one_verdict(path):
    one = stored(path)
    assert one is not None, f"{path.name} has no verdict line"
    assert one["command"].startswith("make root-cause ") and one["commit"], one
    assert one["verdict"] in pythons.VERDICTS
    embedding = one["witnesses"][0]
    assert embedding["title"].startswith("the embedding probe") and len(embedding["steps"]) >= 7
    # Every witness that ran agrees with the run's verdict.
    assert {witness["verdict"] for witness in one["witnesses"] if witness["steps"]} == {one["verdict"]}
    # What B read after A wrote again is the verdict's own evidence.
    b_reads = embedding["steps"][pythons.B_AFTER_A_WROTE_AGAIN]["value"]
    assert b_reads == (f"'{A_AGAIN}'" if one["verdict"] == "SHARED LIVE" else f"'{A_SET}'")


def test_the_version_table_covers_2_7_and_3_6_to_3_14_and_draws_one_line():
    outputs = pythons.measured()
    minors = {pythons.version_key(one["version"])[:2] for one in outputs}
    assert {(2, 7), *((3, minor) for minor in range(6, 15))} <= minors, sorted(minors)
    shared = [pythons.version_key(one["version"]) for one in outputs if one["verdict"] == "SHARED LIVE"]
    copied = [pythons.version_key(one["version"]) for one in outputs if one["verdict"] == "COPIED AT CREATION"]
    assert shared and copied and max(shared) < min(copied)
    table = pythons.table()
    assert table.count("\n| ") == len(outputs) + 1  # the header's separator line, then one row each


def test_where_a_run_falls_names_its_row_and_whether_it_agrees():
    verdict_38 = next(one["verdict"] for one in pythons.measured() if one["version"].startswith("3.8."))
    [line] = pythons.falls("3.8.10", verdict_38)
    assert "Python 3.8: 3.8.18" in line and line.endswith("this run agrees.")
    [line] = pythons.falls("3.8.10", "COPIED AT CREATION" if verdict_38 == "SHARED LIVE" else "SHARED LIVE")
    assert line.endswith("this run DIFFERS.")
    [line] = pythons.falls("3.5.10", "SHARED LIVE")
    assert "has no Python 3.5 row" in line
