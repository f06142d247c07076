# The mod_wsgi environment-leak lab. `make help` lists every target and knob.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# Knobs (override on the command line: make reproduce REQUESTS=1000 PROCESSES=4)
MODE        ?= buggy
SCENARIO    ?= default
REQUESTS    ?= 300
CONCURRENCY ?= 16
RAMP_UP     ?= 2
SEED        ?=
PROCESSES   ?=
THREADS     ?=
# embedded | daemon (make daemon sets it)
PROCESS_MODEL ?= embedded

IMAGES  := mod-wsgi-leak-lab/python-apps:latest mod-wsgi-leak-lab/rabbitmq:latest
IMAGE_INPUTS := apps apache rabbitmq requirements/apps.txt docker-compose.yml wheelhouse/.complete
VENV    := .venv
PYTHON  := $(VENV)/bin/python
COMPOSE := docker compose
STAMPS  := var/stamps

ifneq ($(filter-out buggy fixed,$(MODE)),)
$(error MODE must be buggy or fixed, not '$(MODE)')
endif
ifneq ($(filter-out default bad-credentials django-settings,$(SCENARIO)),)
$(error SCENARIO must be default, bad-credentials or django-settings, not '$(SCENARIO)')
endif
# Whole numbers > 0 (RAMP_UP may be 0); a bad value stops make before anything starts.
positive = $(if $(shell [[ '$($(1))' =~ ^[1-9][0-9]*$$ ]] && echo ok),,$(error $(1) must be a whole number above 0, not '$($(1))'))
$(foreach knob,REQUESTS CONCURRENCY,$(call positive,$(knob)))
$(foreach knob,PROCESSES THREADS,$(if $($(knob)),$(call positive,$(knob))))
$(if $(SEED),$(if $(shell [[ '$(SEED)' =~ ^[0-9]+$$ ]] && echo ok),,$(error SEED must be a whole number, not '$(SEED)')))
$(if $(shell [[ '$(RAMP_UP)' =~ ^[0-9]+(\.[0-9]+)?$$ ]] && echo ok),,$(error RAMP_UP must be a number of seconds, not '$(RAMP_UP)'))
export LAB_SCENARIO := $(SCENARIO)

# .env holds the passwords and ports; make writes it on first use and reads it back.
-include .env
LAB_HTTP_PORT ?= 8080
LAB_MGMT_PORT ?= 15672
LAB_APACHE_PROCESSES ?= 2
LAB_APACHE_THREADS ?= 8
ifneq ($(PROCESSES),)
LAB_APACHE_PROCESSES := $(PROCESSES)
endif
ifneq ($(THREADS),)
LAB_APACHE_THREADS := $(THREADS)
endif
export RABBITMQ_ADMIN_USER RABBITMQ_ADMIN_PASSWORD LAB_HTTP_PORT LAB_MGMT_PORT LAB_APACHE_PROCESSES LAB_APACHE_THREADS

# Runs a command, showing its output only when it fails.
quietly = out=$$($(1) 2>&1) || { echo "$$out" >&2; exit 1; }

LOADTEST = $(PYTHON) -m loadtest --scenario $(SCENARIO) --requests $(REQUESTS) \
	--concurrency $(CONCURRENCY) --ramp-up $(RAMP_UP) $(if $(SEED),--seed $(SEED))

.PHONY: help
help: ## List the targets and the knobs
	@echo "The mod_wsgi environment-leak lab"
	@echo
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo
	@echo "Knobs (make TARGET KNOB=value):"
	@echo "  MODE=buggy|fixed                               for make up ($(MODE))"
	@echo "  SCENARIO=default|bad-credentials|django-settings ($(SCENARIO))"
	@echo "  REQUESTS=$(REQUESTS)  CONCURRENCY=$(CONCURRENCY)  RAMP_UP=$(RAMP_UP) (seconds)  SEED=<int> (random)"
	@echo "  PROCESSES=$(LAB_APACHE_PROCESSES) (Apache children)  THREADS=$(LAB_APACHE_THREADS) (threads per child)"

.PHONY: reproduce
reproduce: ## Fresh Apache in buggy mode, load, verdict: REPRODUCED when a task was misrouted
	@$(MAKE) --no-print-directory run-load MODE=buggy

.PHONY: fixed
fixed: ## The same load against the fix: FIXED when nothing was misrouted or failed
	@$(MAKE) --no-print-directory run-load MODE=fixed

.PHONY: daemon
daemon: ## The buggy code in one WSGIDaemonProcess group per app: ISOLATED when nothing leaked
	@$(MAKE) --no-print-directory run-load MODE=buggy PROCESS_MODEL=daemon

.PHONY: run-load
run-load: setup ## What reproduce, fixed and daemon run: fresh Apache in MODE, then the load
	@echo "Starting RabbitMQ and the workers (if not up), then fresh Apache processes:" \
		"$(MODE) code, $(PROCESS_MODEL) mod_wsgi, scenario $(SCENARIO)..."
	@$(call quietly,$(COMPOSE) up -d --wait rabbitmq worker-app1 worker-app2)
	@$(call quietly,LAB_MODE=$(MODE) LAB_PROCESS_MODEL=$(PROCESS_MODEL) \
		$(COMPOSE) up -d --wait --force-recreate --no-deps apache)
	@$(LOADTEST) --mode $(if $(filter daemon,$(PROCESS_MODEL)),daemon,$(MODE))

.PHONY: up
up: setup ## Start the lab in MODE (buggy); Apache gets fresh processes
	@$(call quietly,$(COMPOSE) up -d --wait rabbitmq worker-app1 worker-app2)
	@$(call quietly,LAB_MODE=$(MODE) $(COMPOSE) up -d --wait --force-recreate --no-deps apache)
	@echo "Up in $(MODE) mode: curl -H 'Host: app1.example.com' http://127.0.0.1:$(or $(LAB_HTTP_PORT),8080)/xray/"

.PHONY: down
down: ## Stop and remove the lab's containers
	@if docker info >/dev/null 2>&1; then $(COMPOSE) down --remove-orphans; fi

.PHONY: diff
diff: ## The fix, as a diff short enough for a slide
	@diff -u apps/app1/app1/wsgi_buggy.py apps/app1/app1/wsgi_fixed.py || true

.PHONY: xray
xray: venv ## What every interpreter of every Apache child sees now (GET /xray/)
	@$(PYTHON) -m loadtest.xray

.PHONY: logs
logs: ## Follow the lab's logs (mod_wsgi prints "Create interpreter" lines)
	$(COMPOSE) logs -f

.PHONY: test
test: setup lint ## ruff, unit tests, then integration tests that bring up their own stack
	$(PYTHON) -m pytest

.PHONY: test-unit
test-unit: venv ## Unit tests only (no Docker)
	$(PYTHON) -m pytest tests/unit

.PHONY: lint
lint: venv ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

.PHONY: bench
bench: setup ## Time make reproduce, make fixed and make test (cold numbers need `make clean-all` first)
	bash scripts/bench.sh

.PHONY: clean
clean: down ## Stop the lab; remove receipts and reports
	rm -rf var/receipts var/test-receipts reports

.PHONY: clean-all
clean-all: clean ## Also remove the venv, the wheelhouse and the lab's images
	rm -rf $(VENV) wheelhouse var
	-docker image rm $(IMAGES) 2>/dev/null

# ---- set-up: each step is skipped when already done -----------------------------------
.PHONY: setup
setup: docker venv wheelhouse .env images ## Everything a fresh machine needs (engine, Compose, images)

.PHONY: docker
docker: ## Make sure a Docker engine, Compose v2 and debian:bookworm-slim are here
	@bash scripts/ensure-docker.sh

.PHONY: venv
venv: $(VENV)/.installed
$(VENV)/.installed: requirements/host.txt
	@bash scripts/ensure-python.sh
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements/host.txt
	@touch $@

# Wheels for the images, downloaded on the host: pip inside a build may not reach the
# index (a proxy only the host trusts, or an offline workshop venue).
.PHONY: wheelhouse
wheelhouse: wheelhouse/.complete
wheelhouse/.complete: requirements/apps.txt $(VENV)/.installed
	@mkdir -p wheelhouse
	$(VENV)/bin/pip download -q --disable-pip-version-check --only-binary=:all: \
		--platform manylinux2014_x86_64 --python-version 3.11 --implementation cp \
		-r requirements/apps.txt -d wheelhouse
	@touch $@

.env:
	@echo "Writing .env with random passwords (see .env.example)"
	@umask 077 && python3 -c 'import secrets, sys; \
		lines = ["RABBITMQ_ADMIN_USER=admin"]; \
		lines += [f"{key}={secrets.token_hex(16)}" for key in sys.argv[1:]]; \
		print("\n".join(lines))' RABBITMQ_ADMIN_PASSWORD APP1_BROKER_PASSWORD APP2_BROKER_PASSWORD > .env.tmp \
		&& grep -E '^LAB_' .env.example >> .env.tmp && mv .env.tmp .env

.PHONY: env
env: .env ## Write .env with random passwords unless it exists

.PHONY: images
images: docker wheelhouse .env ## Build the lab's images (skipped when nothing they contain changed)
	@mkdir -p var/receipts && chmod 0777 var/receipts
	@mkdir -p $(STAMPS)
	@if [ ! -e $(STAMPS)/images ] || [ -n "$$(find $(IMAGE_INPUTS) -newer $(STAMPS)/images | head -n1)" ] \
		|| ! docker image inspect $(IMAGES) >/dev/null 2>&1; then \
		echo "Building the lab's images..."; \
		$(call quietly,$(COMPOSE) build -q) && touch $(STAMPS)/images; \
	fi
