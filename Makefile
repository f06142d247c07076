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
PROCESSES     ?=
THREADS       ?=
LAB_NAME      ?= $(NAME)
export LAB_NAME

# Every knob is checked before anything starts: a bad value is one line and exit 2.
one_of = $(if $(and $(filter 1,$(words $($(1)))),$(filter $($(1)),$($(2)))),,$(error $(1) must be one of: $($(2)); not '$($(1))'))
$(call one_of,STACK,STACKS)
$(call one_of,CODE,CODES)
$(call one_of,PROCESS_MODEL,PROCESS_MODELS)
$(call one_of,SCENARIO,SCENARIOS)
$(call one_of,FAULT,FAULTS)
$(call one_of,FIRST,FIRSTS)
$(call one_of,TRANSPORT,TRANSPORTS)
$(call one_of,MOD_WSGI,MOD_WSGIS)
$(call one_of,GIL,GILS)
$(call one_of,PLATFORM,PLATFORMS)
$(call one_of,BUNDLE_PLATFORM,PLATFORMS)
$(if $(and $(filter 6,$(MOD_WSGI)),$(filter 2.%,$(PYTHON_VERSION_$(STACK)))),$(error MOD_WSGI=6 needs Python 3: STACK=$(STACK) runs Python $(PYTHON_VERSION_$(STACK))))
$(if $(filter own,$(GIL)),$(if $(filter 6,$(MOD_WSGI)),,$(error GIL=own needs MOD_WSGI=6: WSGIPerInterpreterGIL is new in mod_wsgi 6)))
$(if $(filter own,$(GIL)),$(if $(filter pyamqp,$(TRANSPORT)),,$(error GIL=own needs TRANSPORT=pyamqp: librabbitmq refuses to load in an interpreter with its own GIL)))
FIXES := $(notdir $(patsubst %/,%,$(dir $(wildcard docs/fixes/*/app1_wsgi.py))))
$(if $(FIX),$(if $(filter 1,$(words $(FIX))),$(if $(filter $(FIX),$(FIXES)),,$(error FIX must be one of: $(FIXES); not '$(FIX)')),$(error FIX must be one of: $(FIXES); not '$(FIX)')))
$(if $(shell [[ '$(FAULT_AT)' =~ ^0?\.[0-9]*[1-9][0-9]*$$ ]] && echo ok),,$(error FAULT_AT must be a fraction between 0 and 1, not '$(FAULT_AT)'))
whole = $(if $(shell [[ '$($(1))' =~ ^[1-9][0-9]*$$ ]] && echo ok),,$(error $(1) must be a whole number above 0, not '$($(1))'))
$(foreach knob,REQUESTS CONCURRENCY,$(call whole,$(knob)))
$(foreach knob,PROCESSES THREADS,$(if $($(knob)),$(call whole,$(knob))))
$(if $(SEED),$(if $(shell [[ '$(SEED)' =~ ^[0-9]+$$ ]] && echo ok),,$(error SEED must be a whole number, not '$(SEED)')))
$(call whole,REPORT_PORT)
$(foreach stack,$(BUNDLE_STACKS),$(if $(filter $(stack),$(STACKS)),,$(error BUNDLE_STACKS must be words of: $(STACKS); not '$(stack)')))
$(if $(shell [[ '$(RAMP_UP)' =~ ^[0-9]+(\.[0-9]+)?$$ ]] && echo ok),,$(error RAMP_UP must be a number of seconds, not '$(RAMP_UP)'))

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
PYTHON := $(VENV)/bin/python
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
IMAGE_INPUTS := apps apache rabbitmq postgres requirements docker-compose.yml choices.mk $(WHEELHOUSE)/.complete
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
	@echo "  MOD_WSGI=$(subst $(eval) ,|,$(MOD_WSGIS))  [$(MOD_WSGI)]  the stack's own mod_wsgi, or 6.1.1 built from PyPI (Python 3 stacks)"
	@echo "  GIL=$(subst $(eval) ,|,$(GILS))  [$(GIL)]  own: one GIL per interpreter (WSGIPerInterpreterGIL; needs MOD_WSGI=6 TRANSPORT=pyamqp)"
	@echo "  PLATFORM=$(subst $(eval) ,|,$(PLATFORMS))  [$(PLATFORM)]  the images' architecture (default: the engine's; another one runs emulated)"
	@echo "  FIX=$(subst $(eval) ,|,$(FIXES))  make try-fix runs that sample fix (docs/fixes/) instead of your workspace/"
	@echo "  REQUESTS=$(REQUESTS)  CONCURRENCY=$(CONCURRENCY)  RAMP_UP=$(RAMP_UP) (seconds)  SEED=<int> (random)"
	@echo "  PROCESSES=<n> THREADS=<n>  Apache children and threads per child (.env; default $(APACHE_PROCESSES) and $(APACHE_THREADS))"
	@echo "  REPORT_PORT=$(REPORT_PORT)  where make report serves reports/ (127.0.0.1)"
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
try-fix: workspace/app1_wsgi.py workspace/app2_wsgi.py run ## Your fix: Apache runs workspace/appN_wsgi.py (copied from the buggy entry once), or FIX=<name>'s docs/fixes/; the verdict is the answer (exit 0)

# The attendee's copy of each app's buggy entry: written once, never overwritten.
workspace/app%_wsgi.py:
	@cp apps/app$*/app$*/wsgi_buggy.py $@ && echo "try-fix: copied the buggy entry to $@: edit it, then make try-fix again"

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

.PHONY: up
up: setup ## Start the lab in CODE (buggy) without load; Apache gets fresh children
	$(start-lab)
	@echo "Up: curl -H 'Host: app1.example.com' http://127.0.0.1:$$($(PYTHON) -m loadtest.lab LAB_HTTP_PORT)/xray/"

.PHONY: down
down: ## Stop and remove the lab's containers and network
	@if docker info >/dev/null 2>&1; then docker compose --profile postgres down --remove-orphans; fi

.PHONY: check-config
check-config: ## The detector's configuration check (apps/envleak.py check) on apache/lab.conf and CODE's WSGI entries; the verdict is the answer
	@python3 apps/envleak.py check $(if $(filter daemon,$(PROCESS_MODEL)),-D LAB_DAEMON) apache/lab.conf \
		$(if $(filter workspace,$(CODE)),$(if $(FIX),docs/fixes/$(FIX)/app1_wsgi.py docs/fixes/$(FIX)/app2_wsgi.py,workspace/app1_wsgi.py workspace/app2_wsgi.py),$(foreach app,app1 app2,apps/$(app)/$(app)/wsgi_$(if $(filter twelve-factor,$(SCENARIO)),twelve_factor_)$(CODE).py)) \
		|| true  # exit 1 means RISKY: printed above

.PHONY: root-cause
root-cause: images ## Without Apache: in STACK's Python, two sub-interpreters; the first setdefault()s, what the second sees
	@mkdir -p docs/measured
	@set -o pipefail; docker run --rm --platform $(PLATFORM) --entrypoint python $(call APPS_IMAGE,$(STACK),$(MOD_WSGI),$(ARCH)) /srv/apps/root_cause.py \
		| tee docs/measured/root-cause-$(STACK).txt

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

.PHONY: test
test: setup dev lint ## Linters, unit tests, then integration tests on stacks of their own (STACK gets the full suite)
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
	$(PYTHON) scripts/check_docs.py
	$(VENV)/bin/shellcheck scripts/*.sh apache/*.sh apps/*.sh rabbitmq/*.sh postgres/*.sh .ci/run
	$(VENV)/bin/hadolint apps/Dockerfile rabbitmq/Dockerfile postgres/Dockerfile
	$(VENV)/bin/check-jsonschema -q --builtin-schema github-workflows .github/workflows/*.yml
	@env APP1_BROKER_PASSWORD=x APP2_BROKER_PASSWORD=x RABBITMQ_ADMIN_USER=x RABBITMQ_ADMIN_PASSWORD=x \
		APP1_DATABASE_PASSWORD=x APP2_DATABASE_PASSWORD=x APP1_SECRET_KEY=x APP2_SECRET_KEY=x COMPOSE_PROFILES=postgres \
		$(ENV_DEFAULTS) docker compose --env-file /dev/null config -q && echo "docker compose config: ok"

.PHONY: docs
docs: dev ## Write the docs' generated sections: exercises, real outputs (docs/runs/), measurements (docs/measured/)
	$(PYTHON) -m loadtest.docs --write

.PHONY: bundle
bundle: ## Write dist/<name>.tar: images, base images, wheels and the repo of BUNDLE_STACKS on BUNDLE_PLATFORM, for offline venues
	@$(foreach stack,$(BUNDLE_STACKS),$(MAKE) --no-print-directory images STACK=$(stack) PLATFORM=$(BUNDLE_PLATFORM) &&) true
	@bash scripts/bundle.sh $(notdir $(BUNDLE_PLATFORM)) $(BUNDLE_STACKS)

.PHONY: load-bundle
load-bundle: ## Offline: load BUNDLE=dist/<name>.tar (images, venv, wheels); then make reproduce builds nothing
	@$(if $(BUNDLE),bash scripts/load-bundle.sh "$(BUNDLE)" $(ARCH),echo "load-bundle: say which bundle: make load-bundle BUNDLE=path/to/bundle.tar" >&2; exit 2)

.PHONY: ci-proof
ci-proof: dev ## As root: the workflow's run steps as GitHub's non-root runner, then .ci/run as root, each in a fresh clone
	bash scripts/ci-proof.sh $(STACK)

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
# that machine, not this host: scripts/fetch-sdists.py --wheels), then the sdists its image
# builds (requirements/sdists.txt): every Python 3 stack gets mod_wsgi 6's (MOD_WSGI=6), and on
# arm64 librabbitmq 2.0.0's; the Python 2.7 stack its own (and on arm64 psycopg2's).
PYTHON2 := $(filter 2.%,$(PYTHON_VERSION_$(STACK)))
SDIST_TAGS := $(if $(PYTHON2),$(STACK),mod_wsgi6) $(if $(filter arm64,$(ARCH)),arm64-python$(if $(PYTHON2),2,3))
$(WHEELHOUSE)/.complete: requirements/apps.txt requirements/apps-py27.txt requirements/sdists.txt | $(VENV)/.installed
	@mkdir -p $(@D)
	$(PYTHON) scripts/fetch-sdists.py --wheels requirements/apps$(if $(PYTHON2),-py27).txt $(MACHINE_$(ARCH)) \
		$(SDIST_TAGS) > $(@D)/wheels.txt
	$(VENV)/bin/pip download -q --disable-pip-version-check --only-binary=:all: --no-deps \
		--platform manylinux2014_$(MACHINE_$(ARCH)) --python-version $(PYTHON_VERSION_$(STACK)) --implementation cp \
		$(if $(PYTHON2),--abi cp27mu) -r $(@D)/wheels.txt -d $(@D)
	$(PYTHON) scripts/fetch-sdists.py $(@D) $(SDIST_TAGS)
	@touch $@

.PHONY: env
env: ## Write .env (random passwords) unless it exists; add the defaults of choices.mk it lacks
	@bash scripts/ensure-env.sh $(ENV_DEFAULTS)

.PHONY: images
images: docker wheelhouse env ## Build STACK's images (skipped when nothing they contain changed)
	@mkdir -p var/receipts && chmod 0777 var/receipts
	@mkdir -p $(STAMPS)
	@if [ ! -e $(STAMPS)/images-$(STACK)-$(MOD_WSGI)-$(ARCH) ] || [ -n "$$(find $(IMAGE_INPUTS) -newer $(STAMPS)/images-$(STACK)-$(MOD_WSGI)-$(ARCH) | head -n1)" ] \
		|| ! docker image inspect $(IMAGES) >/dev/null 2>&1; then \
		echo "Building the lab's $(STACK) images for $(PLATFORM)..."; \
		$(call quietly,$(COMPOSE) build -q) && touch $(STAMPS)/images-$(STACK)-$(MOD_WSGI)-$(ARCH); \
	fi
