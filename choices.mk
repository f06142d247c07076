# Every knob's choices and default, defined once; the first word of each list is its default.
# The Makefile includes this file; the load test and the tests read it (loadtest/lab.py);
# Apache's entrypoint takes its defaults from it (apache/entrypoint.sh); `make env` writes the
# defaults Compose needs into .env, so a bare `docker compose up` starts the same lab.
CODES          := buggy fixed workspace
PROCESS_MODELS := embedded daemon
SCENARIOS      := default bad-credentials django-settings
STACKS         := trixie bookworm
FAULTS         := none broker-restart worker-kill apache-recycle
FIRSTS         := random app1 app2 burst
TRANSPORTS     := librabbitmq pyamqp

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
