"""The workshop's exercises (workshop/exercises.yml), checked, and written into the room's kit
(`make docs` writes it: loadtest.docs): the attendee's handout (no answers), the facilitator's
guide (the answers, the wrong predictions, the hint ladders), and the plans for a 90-minute room
and a half day, with the commands' measured times; the unit tests fail when the kit and the
list disagree, and the integration tests run every exercise."""

import re

from ruamel.yaml import YAML

from loadtest import spec
from loadtest.lab import EXERCISES_FILE, FIXES_DIR

FIELDS = {"id", "title", "minutes", "predict", "command", "look_at", "expect", "why", "check", "lesson",
          "wrong_predictions"}  # fmt: skip
OPTIONAL_FIELDS = {"fix_by_hand", "optional", "notes", "hints"}
# What a run's last line says: the handout never holds one (its exercises' titles, predictions,
# commands and places to look are written without the answer).
VERDICT_WORDS = re.compile(r"\b(NOT REPRODUCED|REPRODUCED|NOT FIXED|FIXED|ISOLATED|INCONCLUSIVE)\b")


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
        if fix and not exercise.get("hints"):
            raise ValueError(f"{path.name}: exercise {exercise['id']!r}: fix_by_hand needs hints (a ladder)")
        said = VERDICT_WORDS.search(exercise["expect"])
        if said and said[1].replace(" ", "_") != exercise["check"].get("verdict"):
            raise ValueError(
                f"{path.name}: exercise {exercise['id']!r}: its expect says {said[1]}, its check asserts "
                f"{exercise['check'].get('verdict')}"
            )
        for field in HANDOUT_FIELDS:
            if VERDICT_WORDS.search(exercise[field]):
                raise ValueError(f"{path.name}: exercise {exercise['id']!r}: its {field} gives a verdict away")
    return exercises


HANDOUT_FIELDS = ("title", "predict", "command", "look_at")

# The room's time that is not an exercise. The story slot tells what goes wrong, never how to
# fix it: exercises "try-fix" and "wrong-fix-order" ask the room for that.
STORY = ("The story: two Django apps share one Apache, and one app's tasks reach the other app's broker", 5)
SET_UP = ("Set-up check: every laptop shows `make reproduce`'s verdict (the pre-work; fix stragglers now)", 10)
SET_UP_SHORT = ("Set-up check: every laptop has done the pre-work (stragglers pair up)", 5)
BREAK = ("Break", 15)
WRAP_UP = ("Wrap-up: the lessons (the guide's last section), envleak and `envleak check` to take home", 5)
# Each plan: its budget in minutes and its slots, in order: an exercise by id, or a slot above.
PLANS = {
    "ninety": (90, [STORY, SET_UP_SHORT, "reproduce", "choose-the-victim", "try-fix", "wrong-fix-assignment",
                    "twelve-factor-2013-fix", "daemon", "detector", WRAP_UP]),
    "half-day": (210, [STORY, SET_UP, "reproduce", "choose-the-victim", "mystery-2013", "try-fix", BREAK,
                       "wrong-fix-order", "wrong-fix-assignment", "twelve-factor-2013-fix", "twelve-factor-fix",
                       "python-2013", BREAK, "django-settings", "daemon", "transport", "detector", "time-zone",
                       "same-bug-in-uwsgi", WRAP_UP]),

}  # fmt: skip
PLAN_NAMES = {"ninety": "a 90-minute room", "half-day": "a half day"}
# A measured line of docs/measured/exercises.txt: the command, its seconds, its exit status.
MEASURED_LINE = re.compile(r"^(make .+?)\s+(\d+(?:\.\d+)?) s\s+exit \d+")


def measured_seconds(text):
    """{command: seconds} from `make bench`'s exercise timings (docs/measured/exercises.txt)."""
    found = {}
    for line in text.splitlines():
        match = MEASURED_LINE.match(line)
        if match:
            found[match[1]] = float(match[2])
    return found


def plan(exercises, name="half-day", measured=None):
    """A plan's rows, (start minute, minutes, what, exercise or None, the command's measured
    seconds or None), checked: every exercise it names exists, and the whole fits its budget."""
    budget, slots = PLANS[name]
    by_id = {exercise["id"]: (number, exercise) for number, exercise in enumerate(exercises, 1)}
    rows, start = [], 0
    for slot in slots:
        if isinstance(slot, str):
            if slot not in by_id:
                raise ValueError(f"plan {name!r}: no exercise {slot!r}")
            number, exercise = by_id[slot]
            seconds = (measured or {}).get(exercise["command"])
            rows.append((start, exercise["minutes"], f"Exercise {number}: {exercise['title']}", exercise, seconds))
            start += exercise["minutes"]
        else:
            what, minutes = slot
            rows.append((start, minutes, what, None, None))
            start += minutes
    if start > budget:
        raise ValueError(f"plan {name!r} takes {start} minutes, more than its {budget}")
    return rows


def render_plan(exercises, name="half-day", measured=None):
    rows = plan(exercises, name, measured)
    total = rows[-1][0] + rows[-1][1]
    timed = [seconds for *_, seconds in rows if seconds is not None]
    lines = [
        f"The plan for {PLAN_NAMES[name]}: {total // 60} h {total % 60:02d} min (written by `make docs` from "
        "`workshop/exercises.yml`; each exercise's minutes are the room's, its command's seconds were measured "
        "hot by `make bench`, `docs/measured/exercises.txt`):",
        "",
        "| time | minutes | what | the command, measured |",
        "| --- | --- | --- | --- |",
    ]
    for start, minutes, what, exercise, seconds in rows:
        command = f"`{exercise['command']}`: {seconds:.1f} s" if seconds is not None else ""
        if exercise is not None and seconds is None:
            command = f"`{exercise['command']}`: not measured"
        lines.append(f"| {start // 60}:{start % 60:02d} | {minutes} | {what} | {command} |")
    lines += [
        "",
        f"The commands' own time: {sum(timed):.0f} s of the {total} minutes, hot. A laptop's first command of the "
        "day also starts the lab (`docs/measured/bench-warm.txt`'s first line).",
    ]
    return "\n".join(lines)


def handout(exercises):
    """The attendee's handout: for each exercise its title, minutes, prediction, command and where
    to look; no expected observation, no explanation, no answer."""
    lines = []
    for number, exercise in enumerate(exercises, 1):
        lines += [
            f"### {number}. {exercise['title']}{' *(optional)*' if exercise.get('optional') else ''}",
            "",
            f"*About {exercise['minutes']} minutes.* **Predict first:** {exercise['predict']}",
            "",
            "**My prediction:** ______________________________________________",
            "",
            "```sh",
            exercise["command"],
            "```",
            "",
            f"**Look at:** {exercise['look_at']}",
            "",
        ]
    return "\n".join(lines).rstrip()


def guide(exercises, measured=None):
    """The facilitator's guide: for each exercise the minutes and the command's measured time,
    what to expect and why, the lesson, the wrong predictions people make with what answers each,
    what to point at, and for a fix written by hand the hint ladder and the answer's folder."""
    lines = []
    for number, exercise in enumerate(exercises, 1):
        seconds = (measured or {}).get(exercise["command"])
        timing = f" The command took {seconds:.1f} s, hot." if seconds is not None else ""
        lines += [
            f"### {number}. {exercise['title']}{' *(optional)*' if exercise.get('optional') else ''}",
            "",
            f"*About {exercise['minutes']} minutes in the room.*{timing} `{exercise['command']}`",
            "",
            f"**Expect:** {exercise['expect']}",
            "",
            f"**Why:** {exercise['why']}",
            "",
            f"**The lesson:** {exercise['lesson']}",
            "",
            "**Wrong predictions people make, and what answers each:**",
            "",
            *[f"- {wrong}" for wrong in exercise["wrong_predictions"]],
            "",
        ]
        if exercise.get("notes"):
            lines += [f"**Point at:** {exercise['notes']}", ""]
        if exercise.get("hints"):
            lines += ["**Hint ladder** (one rung at a time, to whoever is stuck):", ""]
            lines += [f"{rung}. {hint}" for rung, hint in enumerate(exercise["hints"], 1)]
            lines += ["", f"*One right answer, to show after trying:* `workshop/fixes/{exercise['fix_by_hand']}/`.", ""]
    lines += ["### The lessons, for the wrap-up", ""]
    lines += [f"{number}. {exercise['lesson']}" for number, exercise in enumerate(exercises, 1)]
    return "\n".join(lines).rstrip()


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
