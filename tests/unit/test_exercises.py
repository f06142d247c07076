"""The workshop's exercise list is well formed (docs/workshop.md shows it: tests/unit/test_docs.py)."""

from loadtest import exercises


def test_there_are_at_least_six_exercises_each_with_a_make_command_and_a_check():
    listed = exercises.load()
    assert len(listed) >= 6
    assert all(exercise["command"].startswith("make ") and exercise["check"] for exercise in listed)


def test_a_broken_list_is_refused_with_the_exercise_named(tmp_path):
    broken = tmp_path / "exercises.yml"
    broken.write_text("- id: lonely\n  title: no command\n")
    try:
        exercises.load(broken)
    except ValueError as exc:
        assert "'lonely'" in str(exc) and "command" in str(exc)
    else:
        raise AssertionError("a list without commands was accepted")
