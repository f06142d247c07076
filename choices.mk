# Every knob's choices and default, defined once; the first word of each list is its default.
# The Makefile includes this file; the load test and the tests read it (loadtest/lab.py);
# Apache's entrypoint takes its defaults from it (apache/entrypoint.sh); `make env` writes the
# defaults Compose needs into .env, so a bare `docker compose up` starts the same lab.
CODES          := buggy fixed workspace
PROCESS_MODELS := embedded daemon
SCENARIOS      := default bad-credentials refused-broker django-settings group-variable twelve-factor time-zone
# The scenarios whose apps keep their rows in PostgreSQL: Compose starts it (its profile
# `postgres`) only for these.
POSTGRES_SCENARIOS := twelve-factor
STACKS         := trixie bookworm bullseye forky
FAULTS         := none broker-restart worker-kill apache-recycle
FIRSTS         := random app1 app2 burst
TRANSPORTS     := librabbitmq pyamqp
# mod_wsgi: the stack's own (Debian's; on bullseye 4.9.4, built for Python 2.7), or 6.1.1 built
# from PyPI (Python 3 stacks), whose WSGIPerInterpreterGIL gives each interpreter its own GIL.
# The images' architecture (PLATFORM): the default is the Docker engine's own, not the first.
PLATFORMS      := linux/amd64 linux/arm64
MOD_WSGIS      := stack 6
GILS           := shared own
# Where `make matrix` and `make test` show mod_wsgi 6 with one GIL per interpreter: the stack
# with the newest Python.
MOD_WSGI6_STACK := forky

# The Compose project's and the images' name (LAB_NAME): a second checkout side by side sets
# its own, with its own ports, so neither touches the other's lab or images.
NAME := mod-wsgi-leak-lab

# What the images are built from: a change in any of them rebuilds the stack's images (make
# images), and a bundle's copy of them must be this lab's (make load-bundle).
BUILD_INPUTS := apps apache rabbitmq requirements docker-compose.yml choices.mk

# Numbers: the load; Apache's child processes and threads per child; the ports on 127.0.0.1
# (Apache, RabbitMQ's management API, `make report`).
REQUESTS         := 300
CONCURRENCY      := 16
RAMP_UP          := 1
FAULT_AT         := 0.5
APACHE_PROCESSES := 2
APACHE_THREADS   := 8
HTTP_PORT        := 8080
MGMT_PORT        := 15672
REPORT_PORT      := 8000

# The Python each stack's Debian ships: the images' wheelhouse is downloaded for it.
PYTHON_VERSION_trixie   := 3.13
PYTHON_VERSION_bookworm := 3.11
PYTHON_VERSION_bullseye := 2.7
PYTHON_VERSION_forky    := 3.14
