# The mod_wsgi environment-leak lab. `make help` lists every target and knob.
# Each target is a line or two that names an entry point: the knobs (make reproduce STACK=bookworm
# REQUESTS=1000) reach the program in its environment, where make puts its command line, and the
# run spec (loadtest/spec.py) checks them against choices.mk. Make itself only makes the venv.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV := .venv
PY   := $(VENV)/bin/python
LAB  := $(PY) -m loadtest
# From the index; or, once `make load-bundle` has put the bundle's wheels here, offline.
PIP_INSTALL = $(VENV)/bin/pip install -q --disable-pip-version-check \
	$(if $(wildcard wheelhouse/host/.complete),--no-index --find-links wheelhouse/host)

.PHONY: help
help: ## List the targets and the knobs
	@python3 -m loadtest.spec --help-text

# ---- the lab ----------------------------------------------------------------------------
.PHONY: reproduce fixed daemon try-fix run up
reproduce: venv ## Fresh Apache children running the buggy code, load, verdict: REPRODUCED
	@$(LAB) reproduce
fixed: venv ## The same load against the fix: FIXED when nothing leaked
	@$(LAB) fixed
daemon: venv ## The buggy code in one WSGIDaemonProcess group per app: ISOLATED
	@$(LAB) daemon
try-fix: venv ## Your fix: Apache runs workshop/workspace/appN_wsgi.py (or FIX=<name>'s); the verdict is the answer
	@$(LAB) try-fix
run: venv ## Fresh Apache children in CODE, SCENARIO and PROCESS_MODEL, then the load and the verdict
	@$(LAB) run
up: venv ## Start the lab in CODE (buggy) without load; Apache gets fresh children
	@$(LAB) up

.PHONY: down
down: ## Stop and remove the lab's containers and network
	@if docker info >/dev/null 2>&1; then docker compose --profile postgres --profile uwsgi down --remove-orphans; fi

.PHONY: matrix
matrix: venv ## reproduce, fixed, daemon and the sample fixes on every stack and server: one table of verdicts
	@$(PY) -m loadtest.matrix

.PHONY: report png xray interpreters logs diff show-daemon-config
report: venv ## Serve reports/ on 127.0.0.1:REPORT_PORT and open the latest run's page
	@$(PY) -m loadtest.serve
png: venv ## The last run's timeline picture as a PNG beside its page, for slides (REPORT=<its .json>)
	@$(PY) -m loadtest.report_html --png
xray: venv ## What every interpreter of every Apache child sees now (GET /xray/)
	@$(PY) -m loadtest.xray
interpreters: venv ## mod_wsgi's own "Create interpreter" lines of the last run, with Apache's timestamps
	@$(LAB) interpreters
logs: ## Follow the lab's logs (Ctrl-C stops)
	docker compose logs -f
diff: venv ## The fix, as a diff short enough for a slide
	@$(PY) -m loadtest.docs --diff
show-daemon-config: ## Print the daemon-mode configuration `make daemon` runs, ready to copy
	@echo "# From apache/lab.conf, inside each app's VirtualHost: one mod_wsgi daemon process group per app."
	@sed -n '/<IfDefine LAB_DAEMON>/,/<\/IfDefine>/p' apache/lab.conf | sed '1d;$$d; s/^        //'

.PHONY: check-config root-cause
check-config: venv ## envleak check on apache/lab.conf and the WSGI entries CODE (or FIX=) runs; the verdict is the answer
	@$(LAB) check-config
root-cause: venv ## Without Apache: does one sub-interpreter's os.environ write reach another's? (PYTHON=/path)
	@$(LAB) root-cause

# ---- the workshop -------------------------------------------------------------------------
.PHONY: pre-work bundle load-bundle slides
pre-work: venv ## The workshop's pre-work, once with network: every stack and image the exercises use
	@$(LAB) pre-work
bundle: venv ## Write dist/<name>.tar for offline venues: images, base images, wheels and the repo
	@$(LAB) bundle
load-bundle: ## Offline: load BUNDLE=dist/<name>.tar (images, venv, wheels); then make reproduce builds nothing
	@bash scripts/load-bundle.sh
slides: venv ## The workshop's slides from the stored runs: dist/slides.html (opens offline), and a PDF with Chromium
	@if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; \
	then $(PY) -m loadtest.slides --pdf dist/slides.pdf; else $(PY) -m loadtest.slides; fi

# ---- tests, docs and measurements -----------------------------------------------------------
.PHONY: test test-unit test-arm64 lint docs stored-runs ci-proof bench bench-arm64 envleak-overhead
test: dev lint ## Linters, unit tests, then integration tests on stacks of their own (STACK gets the full suite)
	$(PY) -m pytest
test-unit: dev ## Unit tests only (no Docker)
	$(PY) -m pytest tests/unit
test-arm64: dev ## Opt-in, slow: reproduce, fixed and bad-credentials with PLATFORM=linux/arm64 (emulated)
	$(PY) -m pytest tests/emulated
lint: dev ## ruff, shellcheck, hadolint, the workflow's schema, `docker compose config` and the docs' citations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m loadtest.tools.check_docs
	$(VENV)/bin/shellcheck scripts/*.sh apache/*.sh uwsgi/*.sh apps/*.sh rabbitmq/*.sh postgres/*.sh .ci/run
	$(VENV)/bin/hadolint apps/Dockerfile rabbitmq/Dockerfile postgres/Dockerfile
	$(VENV)/bin/check-jsonschema -q --builtin-schema github-workflows .github/workflows/*.yml
	$(PY) -m loadtest.tools.compose_config
docs: dev ## Write the docs' generated sections: exercises, real outputs (docs/runs/), measurements
	$(PY) -m loadtest.docs --write
stored-runs: dev ## Make every run the docs show again (docs/runs/), each by its own command, then make docs
	$(PY) -m loadtest.docs --remake
	$(PY) -m loadtest.docs --write
ci-proof: dev ## As root: the workflow's run steps as GitHub's non-root runner, then .ci/run, each in a fresh clone
	bash scripts/ci-proof.sh
bench: venv ## Time what workshops wait on, every stack and make test (scripts/bench.sh; --cold for cold)
	bash scripts/bench.sh
bench-arm64: venv ## Time the lab on linux/arm64, emulated here (scripts/bench-arm64.sh)
	bash scripts/bench-arm64.sh
envleak-overhead: venv ## envleak's cost: requests/s through Apache with and without it, alternated
	bash scripts/envleak-overhead.sh

# ---- set-up -------------------------------------------------------------------------------
.PHONY: setup docker images env venv dev clean clean-all
setup: venv ## Everything a fresh machine needs for STACK (engine, Compose, wheels, images)
	@$(LAB) setup
docker: venv ## Make sure a Docker engine, Compose v2 and STACK's Debian base image are here
	@$(LAB) docker
images: setup ## Build STACK's images (skipped when nothing they contain changed)
env: venv ## Write .env (random passwords) unless it exists; add the defaults of choices.mk it lacks
	@$(PY) -c 'from loadtest import provision; provision.env()'

venv: $(VENV)/.installed
$(VENV)/.installed: requirements/host.txt
	@bash scripts/ensure-python.sh
	python3 -m venv $(VENV)
	$(PIP_INSTALL) -r requirements/host.txt
	@touch $@

dev: $(VENV)/.dev-installed ## The venv plus the tests' and linters' packages (requirements/dev.txt)
$(VENV)/.dev-installed: requirements/dev.txt $(VENV)/.installed
	$(PIP_INSTALL) -r requirements/dev.txt
	@touch $@

clean: down ## Stop the lab; remove receipts and reports
	rm -rf var/receipts var/test-lab* var/run reports
clean-all: clean ## Also remove the venv, the wheelhouses and every stack's images
	rm -rf $(VENV) wheelhouse var
	-docker image ls --format '{{.Repository}}:{{.Tag}}' | grep '^mod-wsgi-leak-lab/' | xargs -r docker image rm
