"""python -m loadtest COMMAND [KNOB=value...]: what the Makefile's targets run. The knobs come
from the command line, then the environment (make exports its command line's variables), then
choices.mk; the run spec checks them once (one line and exit 2 when one is bad).

    reproduce | fixed | daemon | try-fix | run   fresh Apache children, the load, the verdict
    up                                           the lab in the spec's configuration, no load
    setup | docker                               what the spec's lab needs here (engine, images)
    check-config                                 envleak check on the files the spec runs
    pre-work                                     every stack and image the exercises use
    interpreters                                 mod_wsgi's interpreter lines of the last run

Exit status of a run: 0 the expected verdict (make try-fix: any verdict but INCONCLUSIVE), 1 the
opposite one, 3 INCONCLUSIVE, 2 bad input or a lab that cannot be reached.
"""

import os
import shutil
import subprocess
import sys

from loadtest import core, exercises, provision, spec
from loadtest import document as documents
from loadtest.compose import Lab
from loadtest.lab import APPS, NAME, ROOT, UsageError

RUNS = ("reproduce", "fixed", "daemon", "try-fix", "run")


def workspace(run_spec, lab_):
    """make try-fix: the attendee's copy of each app's buggy entry, written once, never overwritten."""
    if run_spec.code != "workspace" or run_spec.fix:
        return
    for app in APPS:
        mine = ROOT / run_spec.entry(app)
        if not mine.exists():
            buggy = ROOT / spec.entry("buggy", run_spec.scenario, app)
            mine.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(buggy, mine)
            print(f"try-fix: copied the buggy entry to {mine.relative_to(ROOT)}: edit it, then run this again")


def exit_status(run_spec, document):
    if run_spec.code == "workspace" and document.verdict.kind != "INCONCLUSIVE":
        return 0  # make try-fix: the verdict is the answer
    return document.verdict.exit_status


def run(command, words):
    run_spec = spec.parse([command, *words], env=os.environ)
    lab_ = Lab()
    provision.setup(run_spec, lab_)
    lab_.up(run_spec)
    if command == "up":
        lab_.apply(run_spec)
        print(f"Up: curl -H 'Host: app1.example.com' {lab_.url}/xray/")
        return 0
    workspace(run_spec, lab_)
    document = core.run(run_spec, lab_, verbose=os.environ.get("VERBOSE") == "1")
    return exit_status(run_spec, document)


# SERVER=uwsgi: the server's files as the container has them (under /srv), for envleak's --root.
UWSGI_ROOT = ROOT / "var" / "check-config"


def check_config_command(run_spec):
    """envleak check on the server's configuration and the very entries the spec runs
    (spec.entry(), what the dispatcher reads from lab.json): the packaged envleak, as an operator
    runs it. mod_wsgi: apache/lab.conf. uWSGI: uwsgi/embedded.ini, or the emperor's vassals
    (uwsgi/vassals/), read under UWSGI_ROOT (uwsgi_root() writes it) as the container lays them out."""
    command = [str(provision.VENV_BIN / "envleak"), "check"]
    if run_spec.server == "uwsgi":
        where = "vassals" if run_spec.process_model == "daemon" else "embedded.ini"
        command += ["--root", str(UWSGI_ROOT), str(UWSGI_ROOT / "srv" / "uwsgi" / where)]
        return [*command, *run_spec.entries().values()]
    if run_spec.process_model == "daemon":
        command += ["-D", "LAB_DAEMON"]
    return [*command, "apache/lab.conf", *run_spec.entries().values()]


def uwsgi_root(run_spec):
    """UWSGI_ROOT: /srv/uwsgi (the repository's uwsgi/) and /srv/run (what the spec writes there)."""
    (UWSGI_ROOT / "srv" / "run").mkdir(parents=True, exist_ok=True)
    for name, text in run_spec.apache_files().items():
        (UWSGI_ROOT / "srv" / "run" / name).write_text(text)
    link = UWSGI_ROOT / "srv" / "uwsgi"
    if not link.is_symlink():
        link.symlink_to(ROOT / "uwsgi")


def check_config(words):
    """RISKY or not is the answer (exit 0); "cannot tell" (envleak's exit 2) is a failure."""
    run_spec = spec.parse(["run", *words], env=os.environ)
    provision.envleak_installed()
    if run_spec.server == "uwsgi":
        uwsgi_root(run_spec)
    status = subprocess.run(check_config_command(run_spec), cwd=ROOT).returncode
    return 0 if status in (0, 1) else status


def pre_work(words):
    """Every stack and image the exercises use, built once with network; then make reproduce."""
    for needed in exercises.needs(exercises.load()):
        print(f"pre-work: setup {' '.join(needed.knobs()) or '(the defaults)'}", flush=True)
        provision.setup(needed)
    return run("reproduce", words)


def root_cause(words):
    """make root-cause: apps/root_cause.py in the stack's image, or on PYTHON= (this machine's
    interpreter, with the embedding probe built for it), then where its verdict falls among the
    Pythons measured (loadtest.pythons)."""
    from loadtest import pythons

    run_spec = spec.parse(["run", *words], env=os.environ)
    probed = os.environ.get("PYTHON")
    if probed:
        probe = ROOT / "var" / "root-cause" / "subinterpreters"
        provision.quietly(["sh", "apps/build-subinterpreters.sh", probed, str(probe)], what="building the probe")
        command = [probed, "apps/root_cause.py", "--probe", str(probe)]
    else:
        provision.setup(run_spec)
        image = provision.image_names(run_spec)[0]
        command = ["docker", "run", "--rm", "--platform", run_spec.platform, "--entrypoint", "python", image,
                   "/srv/apps/root_cause.py", "--probe", "/usr/local/bin/subinterpreters"]  # fmt: skip
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    print(completed.stdout, end="")
    sys.stderr.write(completed.stderr)
    verdict = pythons.verdict_of(completed.stdout)
    for line in pythons.falls(verdict[1], verdict[0]) if verdict else []:
        print(line)
    # Python 3.14's own API (apps/interpreter_pool.py): says so and does nothing on older Pythons.
    if probed:
        pool = [probed, "apps/interpreter_pool.py"]
    else:
        mounted = f"{ROOT / 'apps' / 'interpreter_pool.py'}:/tmp/probe/interpreter_pool.py:ro"
        pool = [*command[:3], "-v", mounted, *command[3:-3], "/tmp/probe/interpreter_pool.py"]
    probes = subprocess.run(pool, cwd=ROOT, capture_output=True, text=True)
    print(probes.stdout, end="")
    sys.stderr.write(probes.stderr)
    return completed.returncode or probes.returncode


def bundle():
    """make bundle: the images of BUNDLE_STACKS (default: every stack) on BUNDLE_PLATFORM (default:
    PLATFORM), PostgreSQL's included, then scripts/bundle.sh packs them with the wheels and the repo."""
    stacks = (os.environ.get("BUNDLE_STACKS") or " ".join(spec.CHOICES["STACKS"])).split()
    platform = os.environ.get("BUNDLE_PLATFORM") or os.environ.get("PLATFORM") or spec.KNOBS["PLATFORM"][2]
    for stack in stacks:
        if stack not in spec.CHOICES["STACKS"]:
            raise UsageError(f"BUNDLE_STACKS must be words of: {' '.join(spec.CHOICES['STACKS'])}; not '{stack}'")
    specs = [
        spec.parse(["run", f"STACK={stack}", f"PLATFORM={platform}", "SCENARIO=twelve-factor"]) for stack in stacks
    ]
    for each in specs:
        provision.setup(each)
    return subprocess.run(
        ["bash", "scripts/bundle.sh", specs[0].arch, *stacks], cwd=ROOT, env={**os.environ, "LAB_NAME": NAME}
    ).returncode


def interpreters():
    """mod_wsgi's own "Create interpreter" lines of the last run, as Apache logged them."""
    from loadtest import history

    last = documents.latest(ROOT / "reports")
    if last is None:
        raise UsageError("no run in reports/ yet; run make reproduce first")

    logged = Lab().logs(last.spec, last.spec.web.service, last.run.load_began_at - 1)
    for line in history.interpreter_lines(logged, last.spec.server):
        print(line.line)
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    command, words = (argv[0], argv[1:]) if argv else ("", [])
    try:
        if command in (*RUNS, "up"):
            return run(command, words)
        if command in ("setup", "docker"):
            step = provision.setup if command == "setup" else provision.docker
            step(spec.parse(["run", *words], env=os.environ))
            return 0
        if command == "check-config":
            return check_config(words)
        if command == "pre-work":
            return pre_work(words)
        if command == "root-cause":
            return root_cause(words)
        if command == "bundle":
            return bundle()
        if command == "interpreters":
            return interpreters()
        print(__doc__, file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
