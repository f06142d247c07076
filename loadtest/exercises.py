"""The workshop's exercises (workshop/exercises.yml), checked, and rendered as the Markdown section
of docs/workshop.md (`make docs` writes it: loadtest.docs); the unit tests fail when the guide
and the list disagree, and the integration tests run every exercise."""

from ruamel.yaml import YAML

from loadtest import spec
from loadtest.lab import EXERCISES_FILE, FIXES_DIR

FIELDS = {"id", "title", "minutes", "predict", "command", "look_at", "expect", "why", "check"}
OPTIONAL_FIELDS = {"fix_by_hand", "optional"}


def load(path=EXERCISES_FILE):
    """The exercises, checked: every field there, commands that are `make` commands, unique
    ids, and a workshop/fixes/ folder for each `fix_by_hand`."""
    exercises = YAML(typ="safe").load(path.read_text())
    ids = [exercise.get("id") for exercise in exercises]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path.name}: exercise ids repeat: {ids}")
    for exercise in exercises:
        missing, unknown = FIELDS - set(exercise), set(exercise) - FIELDS - OPTIONAL_FIELDS
        if missing or unknown:
            what = f"lacks {sorted(missing)}" if missing else f"has unknown fields {sorted(unknown)}"
            raise ValueError(f"{path.name}: exercise {exercise.get('id')!r} {what}")
        if not exercise["command"].startswith("make "):
            raise ValueError(f"{path.name}: exercise {exercise['id']!r}: the command is not a make command")
        fix = exercise.get("fix_by_hand")
        if fix and not (FIXES_DIR / fix).is_dir():
            raise ValueError(f"{path.name}: exercise {exercise['id']!r}: no workshop/fixes/{fix}/")
    return exercises


# The room's time that is not an exercise, and where it goes in the plan.
STORY = ("The story: two Django apps, one Apache, tasks at the wrong broker; `make diff` is the whole fix", 5)
SET_UP = ("Set-up check: every laptop shows `make reproduce`'s verdict (the pre-work, above; fix stragglers now)", 10)
BREAK = ("Break", 10)
BUFFER = ("Buffer: questions, a slow laptop, an optional exercise", 10)
BREAK_AFTER = "try-fix"


def plan(exercises):
    """The room's plan: (start minute, minutes, what) for the story, the set-up check, every
    exercise that is not optional, a break after BREAK_AFTER, and a buffer at the end."""
    slots = [STORY, SET_UP]
    for number, exercise in enumerate(exercises, 1):
        if not exercise.get("optional"):
            slots.append((f"Exercise {number}: {exercise['title']}", exercise["minutes"]))
            if exercise["id"] == BREAK_AFTER:
                slots.append(BREAK)
    slots.append(BUFFER)
    rows, start = [], 0
    for what, minutes in slots:
        rows.append((start, minutes, what))
        start += minutes
    return rows


def render_plan(exercises):
    rows = plan(exercises)
    total = rows[-1][0] + rows[-1][1]
    lines = [f"A plan for {total // 60} h {total % 60:02d} min (written by `make docs` from the exercises):", ""]
    lines += ["| time | minutes | what |", "| --- | --- | --- |"]
    lines += [f"| {start // 60}:{start % 60:02d} | {minutes} | {what} |" for start, minutes, what in rows]
    return "\n".join(lines)


def render(exercises):
    """The guide's exercise section (docs/workshop.md, between its `generated: exercises` markers)."""
    core = [exercise for exercise in exercises if not exercise.get("optional")]
    lines = [
        f"{len(exercises)} exercises: {len(core)} for everyone ({sum(e['minutes'] for e in core)} minutes in the "
        f"room), {len(exercises) - len(core)} marked *optional* for a longer session or a fast room "
        f"({sum(e['minutes'] for e in exercises) - sum(e['minutes'] for e in core)} minutes). The commands' own "
        'times are under "Measured", below.',
        "",
    ]
    for number, exercise in enumerate(exercises, 1):
        answer = exercise.get("fix_by_hand")
        lines += [
            f"### {number}. {exercise['title']}{' *(optional)*' if exercise.get('optional') else ''}",
            "",
            f"*About {exercise['minutes']} minutes.* **Predict first:** {exercise['predict']}",
            "",
            "```sh",
            exercise["command"],
            "```",
            "",
            f"**Look at:** {exercise['look_at']}",
            "",
            f"**Expect:** {exercise['expect']}",
            "",
            f"**Why:** {exercise['why']}",
            "",
            *([f"*One right answer, to read after trying:* `workshop/fixes/{answer}/`.", ""] if answer else []),
        ]
    return "\n".join(lines).rstrip()


def needs(exercises):
    """What the exercises' commands need built: one run spec per (stack, mod_wsgi, platform,
    PostgreSQL, server) they use, for make pre-work (loadtest.provision.setup)."""
    found = {}
    for exercise in exercises:
        run = spec.from_command(exercise["command"])
        found.setdefault((run.stack, run.mod_wsgi, run.platform, run.postgres, run.server), run)
    return list(found.values())
