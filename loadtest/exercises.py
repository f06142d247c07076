"""The workshop's exercises (docs/exercises.yml), checked, and rendered as the Markdown section
of docs/workshop.md (`make docs` writes it: loadtest.docs); the unit tests fail when the guide
and the list disagree, and the integration tests run every exercise."""

from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
EXERCISES_FILE = ROOT / "docs" / "exercises.yml"
FIXES_DIR = ROOT / "docs" / "fixes"
FIELDS = {"id", "title", "minutes", "predict", "command", "look_at", "expect", "why", "check"}


def load(path=EXERCISES_FILE):
    """The exercises, checked: every field there, commands that are `make` commands, unique
    ids, and a docs/fixes/ folder for each `fix`."""
    exercises = YAML(typ="safe").load(path.read_text())
    ids = [exercise.get("id") for exercise in exercises]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path.name}: exercise ids repeat: {ids}")
    for exercise in exercises:
        missing = FIELDS - set(exercise)
        if missing:
            raise ValueError(f"{path.name}: exercise {exercise.get('id')!r} lacks {sorted(missing)}")
        if not exercise["command"].startswith("make "):
            raise ValueError(f"{path.name}: exercise {exercise['id']!r}: the command is not a make command")
        if "fix" in exercise and not (FIXES_DIR / exercise["fix"]).is_dir():
            raise ValueError(f"{path.name}: exercise {exercise['id']!r}: no docs/fixes/{exercise['fix']}/")
    return exercises


def render(exercises):
    """The guide's exercise section (docs/workshop.md, between its `generated: exercises` markers)."""
    total = sum(exercise["minutes"] for exercise in exercises)
    lines = [f"{len(exercises)} exercises, {total} minutes in the room (times measured: see below).", ""]
    for number, exercise in enumerate(exercises, 1):
        fix = exercise.get("fix")
        copy = [f"cp docs/fixes/{fix}/*_wsgi.py workspace/"] if fix and not exercise.get("fix_by_hand") else []
        lines += [
            f"### {number}. {exercise['title']}",
            "",
            f"*About {exercise['minutes']} minutes.* **Predict first:** {exercise['predict']}",
            "",
            "```sh",
            *copy,
            exercise["command"],
            "```",
            "",
            *(
                [f"The suite checks this exercise with `docs/fixes/{fix}/`: one right answer, to read after trying."]
                if exercise.get("fix_by_hand")
                else []
            ),
            f"**Look at:** {exercise['look_at']}",
            "",
            f"**Expect:** {exercise['expect']}",
            "",
            f"**Why:** {exercise['why']}",
            "",
        ]
    return "\n".join(lines).rstrip()
