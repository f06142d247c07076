# Every knob's choices, defined once; the first word of each list is its default.
# The Makefile includes this file, the load test and the tests read it (loadtest/lab.py),
# and Apache's entrypoint checks its environment against it (apache/entrypoint.sh).
CODES          := buggy fixed workspace
PROCESS_MODELS := embedded daemon
SCENARIOS      := default bad-credentials django-settings
STACKS         := trixie bookworm
FAULTS         := none broker-restart worker-kill apache-recycle
FIRSTS         := any app1 app2

# The Python each stack's Debian ships: the images' wheelhouse is downloaded for it.
PYTHON_VERSION_trixie   := 3.13
PYTHON_VERSION_bookworm := 3.11
