# The mod_wsgi environment-leak lab. `make help` lists every target and knob.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# Every knob's choices and default, defined once (choices.mk: the first of a list is its
# default; REQUESTS, CONCURRENCY, RAMP_UP, FAULT_AT and REPORT_PORT are set there).
include choices.mk

# Knobs (override on the command line: make reproduce STACK=bookworm REQUESTS=1000)
STACK         ?= $(firstword $(STACKS))
CODE          ?= $(firstword $(CODES))
PROCESS_MODEL ?= $(firstword $(PROCESS_MODELS))
SCENARIO      ?= $(firstword $(SCENARIOS))
FAULT         ?= $(firstword $(FAULTS))
FIRST         ?= $(firstword $(FIRSTS))
TRANSPORT     ?= $(firstword $(TRANSPORTS))
MOD_WSGI      ?= $(firstword $(MOD_WSGIS))
GIL           ?= $(firstword $(GILS))
FIX           ?=
SEED          ?=
BUNDLE_STACKS ?= $(STACKS)
# The engine's own architecture (x86_64: amd64; aarch64, or arm64 on a Mac: arm64); images are
# built for it unless PLATFORM says otherwise (then the engine emulates: make docker sets up
# qemu where it can).
HOST_ARCH     := $(patsubst x86_64,amd64,$(patsubst aarch64,arm64,$(shell uname -m)))
PLATFORM      ?= linux/$(HOST_ARCH)
BUNDLE_PLATFORM ?= $(PLATFORM)
BUNDLE        ?=
BROWSER       ?=
REPORT        ?=
PROCESSES     ?=
THREADS       ?=
LAB_NAME      ?= $(NAME)
export LAB_NAME

# ---- Every knob is checked before anything starts: a bad value is one line and exit 2 ----
# one_of KNOB,CHOICES: one word of CHOICES.    matches KNOB,REGEX,WHAT: the whole value matches.
# needs ASKED,GIVEN,MESSAGE: when ASKED is not empty, GIVEN must not be empty either.
one_of  = $(if $(and $(filter 1,$(words $($(1)))),$(filter $($(1)),$(2))),,$(error $(1) must be one of: $(2); not '$($(1))'))
matches = $(if $(shell [[ '$($(1))' =~ $(2) ]] && echo ok),,$(error $(1) must be $(3), not '$($(1))'))
needs   = $(if $(1),$(if $(2),,$(error $(3))))
# The attendee's own entries (make try-fix): a folder of their own for the twelve-factor ones.
WORKSPACE := workshop/workspace$(if $(filter twelve-factor,$(SCENARIO)),/twelve-factor)
FIXES := $(notdir $(patsubst %/,%,$(dir $(wildcard workshop/fixes/*/app1_wsgi.py))))

$(call one_of,STACK,$(STACKS))
$(call one_of,CODE,$(CODES))
$(call one_of,PROCESS_MODEL,$(PROCESS_MODELS))
$(call one_of,SCENARIO,$(SCENARIOS))
$(call one_of,FAULT,$(FAULTS))
$(call one_of,FIRST,$(FIRSTS))
$(call one_of,TRANSPORT,$(TRANSPORTS))
$(call one_of,MOD_WSGI,$(MOD_WSGIS))
$(call one_of,GIL,$(GILS))
$(call one_of,PLATFORM,$(PLATFORMS))
$(call one_of,BUNDLE_PLATFORM,$(PLATFORMS))
$(if $(FIX),$(call one_of,FIX,$(FIXES)))
$(foreach stack,$(BUNDLE_STACKS),$(if $(filter $(stack),$(STACKS)),,$(error BUNDLE_STACKS must be words of: $(STACKS); not '$(stack)')))
$(call matches,REQUESTS,^[1-9][0-9]*$$,a whole number above 0)
$(call matches,CONCURRENCY,^[1-9][0-9]*$$,a whole number above 0)
$(call matches,REPORT_PORT,^[1-9][0-9]*$$,a whole number above 0)
$(if $(PROCESSES),$(call matches,PROCESSES,^[1-9][0-9]*$$,a whole number above 0))
$(if $(THREADS),$(call matches,THREADS,^[1-9][0-9]*$$,a whole number above 0))
$(if $(SEED),$(call matches,SEED,^[0-9]+$$,a whole number))
$(call matches,FAULT_AT,^0?\.[0-9]*[1-9][0-9]*$$,a fraction between 0 and 1)
$(call matches,RAMP_UP,^[0-9]+(\.[0-9]+)?$$,a number of seconds)
# Combinations that cannot run.
$(call needs,$(filter 6,$(MOD_WSGI)),$(filter 3.%,$(PYTHON_VERSION_$(STACK))),MOD_WSGI=6 needs Python 3: STACK=$(STACK) runs Python $(PYTHON_VERSION_$(STACK)))
$(call needs,$(filter own,$(GIL)),$(filter 6,$(MOD_WSGI)),GIL=own needs MOD_WSGI=6: WSGIPerInterpreterGIL is new in mod_wsgi 6)
$(call needs,$(filter own,$(GIL)),$(filter pyamqp,$(TRANSPORT)),GIL=own needs TRANSPORT=pyamqp: librabbitmq refuses to load in an interpreter with its own GIL)

# .env holds the passwords, the ports and the defaults Compose reads (`make env` writes it).
# Make does not read it: Compose and the load test do, each letting the environment (and so a
# knob on make's command line, such as LAB_HTTP_PORT=8081) win over it, as Compose does.
# What `make env` adds to .env when missing: the defaults of choices.mk, for a bare
# `docker compose up` (make passes its own values on every command line).
ENV_DEFAULTS = LAB_NAME=$(LAB_NAME) LAB_STACK=$(firstword $(STACKS)) LAB_CODE=$(firstword $(CODES)) \
	LAB_PROCESS_MODEL=$(firstword $(PROCESS_MODELS)) LAB_SCENARIO=$(firstword $(SCENARIOS)) LAB_TRANSPORT=$(firstword $(TRANSPORTS)) \
	LAB_MOD_WSGI=$(firstword $(MOD_WSGIS)) LAB_GIL=$(firstword $(GILS)) LAB_ARCH=$(HOST_ARCH) \
	LAB_APACHE_PROCESSES=$(APACHE_PROCESSES) LAB_APACHE_THREADS=$(APACHE_THREADS) \
	LAB_HTTP_PORT=$(HTTP_PORT) LAB_MGMT_PORT=$(MGMT_PORT)

# The architecture images are built for, and where their base image comes from: `debian` for
# the engine's own, Docker Hub's per-architecture repository otherwise (arm64v8/debian).
ARCH      := $(notdir $(PLATFORM))
MACHINE_amd64   := x86_64
MACHINE_arm64   := aarch64
BASE_REPO_amd64 := amd64/debian
BASE_REPO_arm64 := arm64v8/debian
BASE_REPO := $(if $(filter $(HOST_ARCH),$(ARCH)),debian,$(BASE_REPO_$(ARCH)))

VENV   := .venv
# PYTHON= on make's command line names the interpreter `make root-cause` probes; every recipe
# runs the venv's Python.
ifeq ($(origin PYTHON),command line)
PROBED_PYTHON := $(PYTHON)
endif
override PYTHON := $(VENV)/bin/python
STAMPS := var/stamps
# The scenarios whose apps keep rows in PostgreSQL turn on its Compose profile, `postgres`
# (choices.mk: POSTGRES_SCENARIOS): only they build, start and wait for it.
POSTGRES := $(filter $(SCENARIO),$(POSTGRES_SCENARIOS))
# The images of a stack (docker-compose.yml names them the same way); PostgreSQL's when asked.
APPS_IMAGE = $(LAB_NAME)/python-apps:$(1)-mod_wsgi-$(2)-$(3)
RABBITMQ_IMAGE = $(LAB_NAME)/rabbitmq:$(1)-$(2)
POSTGRES_IMAGE = $(LAB_NAME)/postgres:$(1)-$(2)
IMAGES := $(call APPS_IMAGE,$(STACK),$(MOD_WSGI),$(ARCH)) $(call RABBITMQ_IMAGE,$(STACK),$(ARCH)) \
	$(if $(POSTGRES),$(call POSTGRES_IMAGE,$(STACK),$(ARCH)))
WHEELHOUSE := wheelhouse/$(STACK)-$(ARCH)
# envleak, the detector the images run, is the wheel built from envleak/ (make envleak-wheel).
ENVLEAK_VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' envleak/src/envleak/__init__.py)
ENVLEAK_WHEEL = envleak-$(ENVLEAK_VERSION)-py2.py3-none-any.whl
ENVLEAK_SOURCES := envleak/pyproject.toml envleak/README.md $(wildcard envleak/src/envleak/*.py)
IMAGE_INPUTS := $(BUILD_INPUTS) $(WHEELHOUSE)/.complete $(WHEELHOUSE)/$(ENVLEAK_WHEEL)
# Compose reads .env itself; these say what this make run asks for.
LAB_ENV = LAB_STACK=$(STACK) LAB_CODE=$(CODE) LAB_SCENARIO=$(SCENARIO) LAB_PROCESS_MODEL=$(PROCESS_MODEL) LAB_TRANSPORT=$(TRANSPORT) \
	LAB_MOD_WSGI=$(MOD_WSGI) LAB_GIL=$(GIL) LAB_ARCH=$(ARCH) LAB_BASE_REPO=$(BASE_REPO) \
	$(if $(filter workspace,$(CODE)),LAB_FIX=$(FIX)) \
	$(if $(PROCESSES),LAB_APACHE_PROCESSES=$(PROCESSES)) $(if $(THREADS),LAB_APACHE_THREADS=$(THREADS)) \
	$(if $(POSTGRES),COMPOSE_PROFILES=postgres)
COMPOSE = $(LAB_ENV) docker compose

# Runs a command, showing its output only when it fails.
quietly = out=$$($(1) 2>&1) || { echo "$$out" >&2; exit 1; }

# A scenario without PostgreSQL stops the one an earlier scenario left running (asked of Docker
# first: cheaper than Compose when, as usual, there is none).
stop-postgres = if [ -n "$$(docker ps -q --filter label=com.docker.compose.project=$(LAB_NAME) \
	--filter label=com.docker.compose.service=postgres)" ]; then $(call quietly,$(COMPOSE) --profile postgres rm -sf postgres); fi

# The one recipe every target that runs the lab uses: the broker and workers (kept when
# already up), then Apache with fresh child processes, so mod_wsgi creates every
# interpreter anew. `up` recreates Apache only when its settings changed; otherwise a
# graceful restart replaces the children in a fraction of the time.
define start-lab
	@echo "Stack $(STACK) ($(PLATFORM)): $(CODE) code, $(PROCESS_MODEL) mod_wsgi, scenario $(SCENARIO), $(TRANSPORT); fresh Apache children..."
	@$(if $(POSTGRES),,$(stop-postgres))
	@$(call quietly,$(LAB_ENV) bash scripts/lab-up.sh rabbitmq firehose worker-app1 worker-app2 $(if $(POSTGRES),postgres) apache)
	@$(call quietly,$(COMPOSE) exec -T apache apache-fresh-children)
endef

# The ports and the management API's credentials: the load test reads them from the
# environment, else from .env (loadtest/lab.py: settings()).
LOADTEST = $(PYTHON) -m loadtest --code $(CODE) --process-model $(PROCESS_MODEL) --scenario $(SCENARIO) --stack $(STACK) --transport $(TRANSPORT) \
	--platform $(PLATFORM) \
	--mod-wsgi $(MOD_WSGI) --gil $(GIL) \
	--requests $(REQUESTS) --concurrency $(CONCURRENCY) --ramp-up $(RAMP_UP) $(if $(SEED),--seed $(SEED)) \
	--fault $(FAULT) --fault-at $(FAULT_AT) --compose "env $(strip $(LAB_ENV)) docker compose" --first $(FIRST) \
	$(if $(filter workspace,$(CODE)),$(if $(FIX),--fix $(FIX)) --any-verdict)

.PHONY: help
help: ## List the targets and the knobs
	@echo "The mod_wsgi environment-leak lab"
	@echo
	@grep -hE '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo
	@echo "Knobs (make TARGET KNOB=value), current value in brackets:"
	@echo "  STACK=$(subst $(eval) ,|,$(STACKS))  [$(STACK)]  Debian release of every image"
	@echo "  CODE=$(subst $(eval) ,|,$(CODES))  [$(CODE)]  the WSGI entry Apache runs (make up, make run)"
	@echo "  PROCESS_MODEL=$(subst $(eval) ,|,$(PROCESS_MODELS))  [$(PROCESS_MODEL)]  (make daemon sets daemon)"
	@echo "  SCENARIO=$(subst $(eval) ,|,$(SCENARIOS))  [$(SCENARIO)]"
	@echo "  FAULT=$(subst $(eval) ,|,$(FAULTS))  [$(FAULT)]  injected at FAULT_AT=$(FAULT_AT) of the requests"
	@echo "  FIRST=$(subst $(eval) ,|,$(FIRSTS))  [$(FIRST)]  whose Host gets the first page view, alone, then the other's (burst: none)"
	@echo "  TRANSPORT=$(subst $(eval) ,|,$(TRANSPORTS))  [$(TRANSPORT)]  how the web side publishes (pyamqp: with publisher confirms)"
	@echo "  MOD_WSGI=$(subst $(eval) ,|,$(MOD_WSGIS))  [$(MOD_WSGI)]  the stack's own mod_wsgi, or 6.1.1 built from PyPI (every stack but bullseye)"
	@echo "  GIL=$(subst $(eval) ,|,$(GILS))  [$(GIL)]  own: one GIL per interpreter (WSGIPerInterpreterGIL; needs MOD_WSGI=6 TRANSPORT=pyamqp)"
	@echo "  PLATFORM=$(subst $(eval) ,|,$(PLATFORMS))  [$(PLATFORM)]  the images' architecture (default: the engine's; another one runs emulated)"
	@echo "  FIX=$(subst $(eval) ,|,$(FIXES))  make try-fix runs that sample fix (workshop/fixes/) instead of your workshop/workspace/"
	@echo "  PYTHON=<path>  the Python make root-cause probes on this machine (default: STACK's, in its image)"
	@echo "  REQUESTS=$(REQUESTS)  CONCURRENCY=$(CONCURRENCY)  RAMP_UP=$(RAMP_UP) (seconds)  SEED=<int> (random)"
	@echo "  PROCESSES=<n> THREADS=<n>  Apache children and threads per child (.env; default $(APACHE_PROCESSES) and $(APACHE_THREADS))"
	@echo "  REPORT_PORT=$(REPORT_PORT)  where make report serves reports/ (127.0.0.1);  REPORT=<a run's .json>  make png draws that run"
	@echo "  BUNDLE_STACKS=$(BUNDLE_STACKS)  the stacks make bundle packs;  BUNDLE=<path>  what make load-bundle loads"
	@echo "  BUNDLE_PLATFORM=$(subst $(eval) ,|,$(PLATFORMS))  [$(BUNDLE_PLATFORM)]  the images make bundle packs (linux/arm64: with host wheels for Apple Silicon Macs)"
	@echo "  BROWSER=<path>  the browser make test opens the run page in (default: Chromium or Google Chrome on PATH)"
	@echo "  LAB_HTTP_PORT, LAB_MGMT_PORT (default $(HTTP_PORT), $(MGMT_PORT)) and the passwords live in .env (make env writes it)"

.PHONY: reproduce
reproduce: CODE := buggy
reproduce: run ## Fresh Apache children running the buggy code, load, verdict: REPRODUCED (FAULT=...)

.PHONY: fixed
fixed: CODE := fixed
fixed: run ## The same load against the fix: FIXED when nothing leaked

.PHONY: daemon
daemon: CODE := buggy
daemon: PROCESS_MODEL := daemon
daemon: run ## The buggy code in one WSGIDaemonProcess group per app: ISOLATED

.PHONY: try-fix
try-fix: CODE := workspace
try-fix: $(WORKSPACE)/app1_wsgi.py $(WORKSPACE)/app2_wsgi.py run ## Your fix: Apache runs workshop/workspace/appN_wsgi.py (SCENARIO=twelve-factor: workshop/workspace/twelve-factor/), copied from the buggy entry once, or FIX=<name>'s workshop/fixes/; the verdict is the answer (exit 0)

# The attendee's copy of each app's buggy entry: written once, never overwritten.
workshop/workspace/app%_wsgi.py:
	@cp apps/app$*/app$*/wsgi_buggy.py $@ && echo "try-fix: copied the buggy entry to $@: edit it, then make try-fix again"
workshop/workspace/twelve-factor/app%_wsgi.py:
	@mkdir -p $(@D) && cp apps/app$*/app$*/wsgi_twelve_factor_buggy.py $@ \
		&& echo "try-fix: copied the buggy twelve-factor entry to $@: edit it, then make try-fix SCENARIO=twelve-factor again"

.PHONY: run
run: setup ## Fresh Apache children in CODE and PROCESS_MODEL, then the load and the verdict
	$(start-lab)
	@$(LOADTEST)

.PHONY: matrix
matrix: venv ## reproduce, fixed and daemon on every stack: one table of versions and verdicts
	@$(PYTHON) -m loadtest.matrix REQUESTS=$(REQUESTS) CONCURRENCY=$(CONCURRENCY) RAMP_UP=$(RAMP_UP)

.PHONY: report
report: venv ## Serve reports/ on 127.0.0.1:REPORT_PORT and open the latest run's page
	@$(PYTHON) -m loadtest.serve --port $(REPORT_PORT)

.PHONY: png
png: venv ## The last run's timeline picture as a PNG beside its page, for slides (REPORT=<its .json> for another run)
	@$(PYTHON) -m loadtest.report_html --png $(REPORT)

.PHONY: up
up: setup ## Start the lab in CODE (buggy) without load; Apache gets fresh children
	$(start-lab)
	@echo "Up: curl -H 'Host: app1.example.com' http://127.0.0.1:$$($(PYTHON) -m loadtest.lab LAB_HTTP_PORT)/xray/"

.PHONY: down
down: ## Stop and remove the lab's containers and network
	@if docker info >/dev/null 2>&1; then docker compose --profile postgres down --remove-orphans; fi

.PHONY: check-config
check-config: $(VENV)/.envleak-installed ## The detector's configuration check (envleak check, the packaged one) on apache/lab.conf and CODE's WSGI entries (FIX=: that sample fix's); the verdict is the answer
	@$(VENV)/bin/envleak check $(if $(filter daemon,$(PROCESS_MODEL)),-D LAB_DAEMON) apache/lab.conf \
		$(if $(FIX),workshop/fixes/$(FIX)/app1_wsgi.py workshop/fixes/$(FIX)/app2_wsgi.py,$(if $(filter workspace,$(CODE)),$(WORKSPACE)/app1_wsgi.py $(WORKSPACE)/app2_wsgi.py,$(foreach app,app1 app2,apps/$(app)/$(app)/wsgi_$(if $(filter twelve-factor,$(SCENARIO)),twelve_factor_)$(CODE).py))) \
		|| true  # exit 1 means RISKY: printed above

.PHONY: root-cause
root-cause: venv $(if $(PROBED_PYTHON),,images) ## Without Apache: does one sub-interpreter's os.environ write reach another's? In STACK's image, or PYTHON=/path/to/python
	@set -o pipefail; \
	$(if $(PROBED_PYTHON),sh apps/build-subinterpreters.sh '$(PROBED_PYTHON)' var/root-cause/subinterpreters \
		&& '$(PROBED_PYTHON)' apps/root_cause.py --probe var/root-cause/subinterpreters, \
		docker run --rm --platform $(PLATFORM) --entrypoint python $(call APPS_IMAGE,$(STACK),$(MOD_WSGI),$(ARCH)) \
		/srv/apps/root_cause.py --probe /usr/local/bin/subinterpreters) \
		| $(PYTHON) -m loadtest.pythons --where

.PHONY: show-daemon-config
show-daemon-config: ## Print the daemon-mode configuration `make daemon` runs, ready to copy (apache/lab.conf)
	@echo "# From apache/lab.conf, inside each app's VirtualHost: one mod_wsgi daemon process group per app."
	@sed -n '/<IfDefine LAB_DAEMON>/,/<\/IfDefine>/p' apache/lab.conf | sed '1d;$$d; s/^        //'

.PHONY: diff
diff: venv ## The fix, as a diff short enough for a slide
	@$(PYTHON) -m loadtest.docs --diff

.PHONY: xray
xray: venv ## What every interpreter of every Apache child sees now (GET /xray/)
	@$(PYTHON) -m loadtest.xray

.PHONY: interpreters
interpreters: venv ## mod_wsgi's own "Create interpreter" lines of the last run, with Apache's timestamps
	@$(PYTHON) -m loadtest.xray --interpreters --compose "env $(strip $(LAB_ENV)) docker compose"

.PHONY: logs
logs: ## Follow the lab's logs (Ctrl-C stops; make interpreters shows only mod_wsgi's interpreter lines)
	$(COMPOSE) logs -f

.PHONY: pre-work
pre-work: venv ## The workshop's pre-work, once with network: every stack and image its exercises use, then make reproduce
	@$(PYTHON) -m loadtest.exercises --needs | while read -r knobs; do \
		echo "pre-work: make setup $$knobs"; $(MAKE) --no-print-directory setup $$knobs </dev/null || exit 1; done
	@$(MAKE) --no-print-directory reproduce

.PHONY: test
test: setup dev lint ## Linters, unit tests, then integration tests on stacks of their own (STACK gets the full suite)
	@$(MAKE) --no-print-directory images SCENARIO=$(firstword $(POSTGRES_SCENARIOS))  # the twelve-factor tests' PostgreSQL
	@$(foreach other,$(filter-out $(STACK),$(STACKS)),$(MAKE) --no-print-directory images STACK=$(other) MOD_WSGI=stack &&) true
	@$(MAKE) --no-print-directory images STACK=$(MOD_WSGI6_STACK) MOD_WSGI=6
	@LAB_BROWSER=$(BROWSER) bash scripts/ensure-chromium.sh || true  # the browser test says what is missing (and fails under CI=true)
	LAB_BROWSER=$(BROWSER) $(PYTHON) -m pytest --stack $(STACK)

.PHONY: test-arm64
test-arm64: dev ## Opt-in, slow: reproduce, fixed and bad-credentials with PLATFORM=linux/arm64 (emulated on x86_64), in a lab of their own
	$(PYTHON) -m pytest tests/emulated

.PHONY: test-unit
test-unit: dev ## Unit tests only (no Docker)
	$(PYTHON) -m pytest tests/unit

.PHONY: lint
lint: dev ## ruff, shellcheck, hadolint, the workflow's schema, `docker compose config` and the docs' citations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PYTHON) -m loadtest.tools.check_docs
	$(VENV)/bin/shellcheck scripts/*.sh apache/*.sh apps/*.sh rabbitmq/*.sh postgres/*.sh .ci/run
	$(VENV)/bin/hadolint apps/Dockerfile rabbitmq/Dockerfile postgres/Dockerfile
	$(VENV)/bin/check-jsonschema -q --builtin-schema github-workflows .github/workflows/*.yml
	@env APP1_BROKER_PASSWORD=x APP2_BROKER_PASSWORD=x RABBITMQ_ADMIN_USER=x RABBITMQ_ADMIN_PASSWORD=x \
		APP1_DATABASE_PASSWORD=x APP2_DATABASE_PASSWORD=x APP1_SECRET_KEY=x APP2_SECRET_KEY=x COMPOSE_PROFILES=postgres \
		$(ENV_DEFAULTS) docker compose --env-file /dev/null config -q && echo "docker compose config: ok"

.PHONY: docs
docs: dev ## Write the docs' generated sections: exercises, real outputs (docs/runs/), measurements (docs/measured/)
	$(PYTHON) -m loadtest.docs --write

.PHONY: stored-runs
stored-runs: setup dev ## Make every run the docs show again (docs/runs/), each by its own command, then make docs
	$(PYTHON) -m loadtest.docs --remake
	$(MAKE) --no-print-directory docs

.PHONY: bundle
bundle: ## Write dist/<name>.tar: images, base images, wheels and the repo of BUNDLE_STACKS on BUNDLE_PLATFORM, for offline venues
	@$(foreach stack,$(BUNDLE_STACKS),$(MAKE) --no-print-directory images STACK=$(stack) PLATFORM=$(BUNDLE_PLATFORM) SCENARIO=$(firstword $(POSTGRES_SCENARIOS)) &&) true
	@bash scripts/bundle.sh $(notdir $(BUNDLE_PLATFORM)) $(BUNDLE_STACKS)

.PHONY: load-bundle
load-bundle: ## Offline: load BUNDLE=dist/<name>.tar (images, venv, wheels); then make reproduce builds nothing
	@$(if $(BUNDLE),bash scripts/load-bundle.sh "$(BUNDLE)" $(ARCH),echo "load-bundle: say which bundle: make load-bundle BUNDLE=path/to/bundle.tar" >&2; exit 2)

.PHONY: ci-proof
ci-proof: dev ## As root: the workflow's run steps as GitHub's non-root runner, then .ci/run as root, each in a fresh clone
	bash scripts/ci-proof.sh $(STACK)

.PHONY: envleak-overhead
envleak-overhead: setup ## envleak's cost: requests/s through Apache with and without it, alternated (docs/measured/envleak-overhead.txt)
	$(start-lab)
	@$(LAB_ENV) bash scripts/envleak-overhead.sh

.PHONY: bench
bench: setup ## Time what workshops wait on, every stack and make test (scripts/bench.sh; --cold for cold)
	bash scripts/bench.sh

.PHONY: bench-arm64
bench-arm64: setup ## Time the lab on linux/arm64, emulated here: cold build, runs, reproduce rates (scripts/bench-arm64.sh)
	bash scripts/bench-arm64.sh

.PHONY: clean
clean: down ## Stop the lab; remove receipts and reports
	rm -rf var/receipts var/test-lab* reports

.PHONY: clean-all
clean-all: clean ## Also remove the venv, the wheelhouses and every stack's images
	rm -rf $(VENV) wheelhouse var
	-docker image rm $(foreach arch,$(notdir $(PLATFORMS)),$(foreach stack,$(STACKS),$(foreach m,$(MOD_WSGIS),$(call APPS_IMAGE,$(stack),$(m),$(arch))) $(call RABBITMQ_IMAGE,$(stack),$(arch)) $(call POSTGRES_IMAGE,$(stack),$(arch)))) 2>/dev/null

# ---- set-up: each step is skipped when already done -----------------------------------
.PHONY: setup
setup: docker venv wheelhouse env images ## Everything a fresh machine needs for STACK (engine, Compose, images)

.PHONY: docker
docker: ## Make sure a Docker engine, Compose v2 and STACK's Debian base image are here
	@bash scripts/ensure-docker.sh --platform $(PLATFORM) $(STACK)

# From the index; or, once `make load-bundle` has put the bundle's wheels here, offline.
PIP_INSTALL = $(VENV)/bin/pip install -q --disable-pip-version-check \
	$(if $(wildcard wheelhouse/host/.complete),--no-index --find-links wheelhouse/host)

.PHONY: venv
venv: $(VENV)/.installed
$(VENV)/.installed: requirements/host.txt
	@bash scripts/ensure-python.sh
	python3 -m venv $(VENV)
	$(PIP_INSTALL) -r requirements/host.txt
	@touch $@

.PHONY: dev
dev: $(VENV)/.dev-installed ## The venv plus the tests' and linters' packages (requirements/dev.txt)
$(VENV)/.dev-installed: requirements/dev.txt $(VENV)/.installed
	$(PIP_INSTALL) -r requirements/dev.txt
	@touch $@

# Wheels for the images, downloaded on the host for the stack's Python: pip inside a build
# may not reach the index (a proxy only the host trusts, or an offline workshop venue).
.PHONY: wheelhouse
wheelhouse: $(WHEELHOUSE)/.complete
# The wheels of STACK's requirements for its Python on ARCH's Linux (their markers evaluated for
# that machine, not this host: loadtest.tools.fetch_sdists --wheels), then the sdists its image
# builds (requirements/sdists.txt): every Python 3 stack gets mod_wsgi 6's (MOD_WSGI=6), and on
# arm64 librabbitmq 2.0.0's; the Python 2.7 stack its own (and on arm64 psycopg2's).
PYTHON2 := $(filter 2.%,$(PYTHON_VERSION_$(STACK)))
SDIST_TAGS := $(if $(PYTHON2),$(STACK),mod_wsgi6) $(if $(filter arm64,$(ARCH)),arm64-python$(if $(PYTHON2),2,3))
$(WHEELHOUSE)/.complete: requirements/apps.txt requirements/apps-py27.txt requirements/sdists.txt | $(VENV)/.installed
	@mkdir -p $(@D)
	$(PYTHON) -m loadtest.tools.fetch_sdists --wheels requirements/apps$(if $(PYTHON2),-py27).txt $(MACHINE_$(ARCH)) \
		$(SDIST_TAGS) > $(@D)/wheels.txt
	$(VENV)/bin/pip download -q --disable-pip-version-check --only-binary=:all: --no-deps \
		--platform manylinux2014_$(MACHINE_$(ARCH)) --python-version $(PYTHON_VERSION_$(STACK)) --implementation cp \
		$(if $(PYTHON2),--abi cp27mu) -r $(@D)/wheels.txt -d $(@D)
	$(PYTHON) -m loadtest.tools.fetch_sdists $(@D) $(SDIST_TAGS)
	@touch $@

# envleak's wheel and sdist from envleak/ (flit_core, from requirements/host.txt: no index
# needed), into dist/; the wheel also into the stack's wheelhouse, for the images. The build is
# reproducible (a fixed SOURCE_DATE_EPOCH) and the wheelhouse's copy is replaced only when it
# differs: after `make load-bundle` the same sources give the same wheel, and no image rebuild.
.PHONY: envleak-wheel
envleak-wheel: $(WHEELHOUSE)/$(ENVLEAK_WHEEL) ## Build envleak's wheel and sdist (dist/) and put the wheel in STACK's wheelhouse
dist/$(ENVLEAK_WHEEL): $(ENVLEAK_SOURCES) | $(VENV)/.installed
	@rm -f dist/envleak-*
	@mkdir -p dist
	cd envleak && SOURCE_DATE_EPOCH=315532800 ../$(PYTHON) -c 'import sys; from flit_core import buildapi; \
		[print("dist/" + build("../dist")) for build in (buildapi.build_wheel, buildapi.build_sdist)]'
$(WHEELHOUSE)/$(ENVLEAK_WHEEL): dist/$(ENVLEAK_WHEEL)
	@mkdir -p $(@D)
	@cmp -s $< $@ || { rm -f $(@D)/envleak-*.whl && cp $< $@ && echo "envleak: $@"; }
# The host's venv runs the packaged envleak too (make check-config).
$(VENV)/.envleak-installed: dist/$(ENVLEAK_WHEEL)
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps --force-reinstall $<
	@touch $@

.PHONY: env
env: ## Write .env (random passwords) unless it exists; add the defaults of choices.mk it lacks
	@bash scripts/ensure-env.sh $(ENV_DEFAULTS)

.PHONY: images
images: docker wheelhouse envleak-wheel env ## Build STACK's images (skipped when nothing they contain changed)
	@mkdir -p var/receipts && chmod 0777 var/receipts
	@mkdir -p $(STAMPS)
	@if [ ! -e $(STAMPS)/images-$(STACK)-$(MOD_WSGI)-$(ARCH) ] || [ -n "$$(find $(IMAGE_INPUTS) -newer $(STAMPS)/images-$(STACK)-$(MOD_WSGI)-$(ARCH) | head -n1)" ] \
		|| ! docker image inspect $(IMAGES) >/dev/null 2>&1; then \
		echo "Building the lab's $(STACK) images for $(PLATFORM)..."; \
		$(call quietly,$(COMPOSE) build -q) && touch $(STAMPS)/images-$(STACK)-$(MOD_WSGI)-$(ARCH); \
	fi
