# Every knob's choices, default and one-line help, defined once: the first word of a list is
# its default, and a `## KNOB: text` line is that knob's help (`make help` prints them in this
# order). The run spec reads this file (loadtest/spec.py) and checks every knob against it;
# Apache's entrypoint and the shell scripts read it through `python3 -m loadtest.lab --choices`
# or sed. `make env` writes the defaults Compose needs into .env, so a bare
# `docker compose up` starts the same lab.

## STACK: the Debian release every image is built on
STACKS         := trixie bookworm bullseye forky
## CODE: the WSGI entry Apache runs (make run, make up; reproduce, fixed and try-fix set it)
CODES          := buggy fixed workspace
## SERVER: the WSGI server both apps run in: Apache with mod_wsgi, or Debian's uWSGI behind nginx
SERVERS        := mod_wsgi uwsgi
## PROCESS_MODEL: both apps in the server's own processes, or processes per app (make daemon): a mod_wsgi daemon process group each, or with SERVER=uwsgi a uWSGI vassal each, single-interpreter
PROCESS_MODELS := embedded daemon
## SCENARIO: what the apps are started with (docs/mechanism.md#the-scenarios)
SCENARIOS      := default bad-credentials refused-broker django-settings group-variable twelve-factor time-zone
# The scenarios whose apps keep their rows in PostgreSQL: Compose starts it (its profile
# `postgres`) only for these.
POSTGRES_SCENARIOS := twelve-factor
## FAULT: what the nemesis does to the lab at FAULT_AT of the requests
FAULTS         := none broker-restart worker-kill apache-recycle
## FIRST: whose Host gets the first page view, alone, then the other's (burst: none first)
FIRSTS         := random app1 app2 burst
## TRANSPORT: how the web side publishes (pyamqp: with publisher confirms)
TRANSPORTS     := librabbitmq pyamqp
## MOD_WSGI: the stack's own mod_wsgi, or 6.1.1 built from PyPI (every stack but bullseye)
MOD_WSGIS      := stack 6
## GIL: one GIL for every interpreter, or one each (needs MOD_WSGI=6 TRANSPORT=pyamqp)
GILS           := shared own
## PLATFORM: the images' architecture (default: the engine's own; another one runs emulated)
PLATFORMS      := linux/amd64 linux/arm64
# Where `make matrix` and `make test` show mod_wsgi 6 with one GIL per interpreter: the stack
# with the newest Python.
MOD_WSGI6_STACK := forky

# The Compose project's and the images' name (LAB_NAME): a second checkout side by side sets
# its own, with its own ports, so neither touches the other's lab or images.
NAME := mod-wsgi-leak-lab

# The CPython minor versions the host side (the load test, the referee, the page) runs on: the
# first is pyproject.toml's requires-python. `make bundle` carries the host venv's wheels for
# each, so one bundle readies a room whatever Python each laptop has.
HOST_PYTHONS := 3.10 3.11 3.12 3.13 3.14

# What the images are built from: a change in any of them rebuilds the stack's images, and a
# bundle's copy of them must be this lab's (make load-bundle).
BUILD_INPUTS := apps apache uwsgi rabbitmq requirements docker-compose.yml choices.mk

# Numbers: the load; Apache's child processes and threads per child; the ports on 127.0.0.1
# (Apache, RabbitMQ's management API, `make report`).
## REQUESTS: requests of the load (POST /enqueue/, each on a new connection)
REQUESTS         := 300
## CONCURRENCY: client threads sending them
CONCURRENCY      := 16
## RAMP_UP: seconds over which the client threads start
RAMP_UP          := 1
## FAULT_AT: when the fault starts, as the fraction of the requests sent
FAULT_AT         := 0.5
## PROCESSES: Apache's child processes (mod_wsgi daemon processes per app in make daemon)
APACHE_PROCESSES := 2
## THREADS: threads per child
APACHE_THREADS   := 8
HTTP_PORT        := 8080
MGMT_PORT        := 15672
## REPORT_PORT: where make report serves reports/ (127.0.0.1)
REPORT_PORT      := 8000
# The knobs with no list of choices.
## SEED: the seed of the Host mix, a whole number (default: a new one each run)
## FIX: make try-fix runs that sample fix of workshop/fixes/ instead of your workshop/workspace/
## VERBOSE: 1 prints the whole story in the terminal (timeline, detector, versions, cost)
## PYTHON: the Python make root-cause probes on this machine (default: STACK's, in its image)
## REPORT: a run's .json that make png draws (default: the last run's)
## BUNDLE_STACKS: the stacks make bundle packs (default: every stack)
## BUNDLE_PLATFORM: the images make bundle packs (default: PLATFORM)
## BUNDLE: the archive make load-bundle loads
## BROWSER: the browser make test opens the run page in (default: Chromium or Chrome on PATH)

# The Python each stack's Debian ships: the images' wheelhouse is downloaded for it.
PYTHON_VERSION_trixie   := 3.13
PYTHON_VERSION_bookworm := 3.11
PYTHON_VERSION_bullseye := 2.7
PYTHON_VERSION_forky    := 3.14
