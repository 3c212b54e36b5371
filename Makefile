# strata.platform developer entry points. Every target sets up .venv itself (scripts/setup.sh).
SHELL := /bin/bash
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
VENV := $(CURDIR)/.venv/bin
# pytest-xdist workers (PYTEST_WORKERS=0 runs in one process). Two per core: the playbook-driven tests
# spend much of their time waiting on the test clouds' simulated creations and on subprocesses;
# worksteal rebalances when one worker is left with the long tests.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))
PYTEST_DIST ?= worksteal

.PHONY: setup run test unit integration lint sanity molecule bench build clean

setup:
	@scripts/setup.sh

## Main job: converge all of prod's AWS regions against the local test cloud (or real AWS when
## credentials are set) and print what was built.
run: setup
	@$(VENV)/python scripts/run.py $(ARGS)

## The whole test suite: unit, test cloud, integration, Molecule, ansible-lint, ansible-test sanity.
test: setup
	@$(VENV)/python -m pytest -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST) --durations=25 $(PYTEST_ARGS)

unit: setup
	@$(VENV)/python -m pytest -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST) tests/unit $(PYTEST_ARGS)

integration: setup
	@$(VENV)/python -m pytest -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST) tests/integration $(PYTEST_ARGS)

lint: setup
	@$(VENV)/python -m pytest tests/quality -k lint $(PYTEST_ARGS)

sanity: setup
	@$(VENV)/python -m pytest tests/quality -k sanity $(PYTEST_ARGS)

molecule: setup
	@$(VENV)/python -m pytest -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST) tests/molecule $(PYTEST_ARGS)

## Speed of the network role against the naive per-resource playbook (shared/bench).
bench: setup
	@$(VENV)/python scripts/bench.py $(ARGS)

build: setup
	@mkdir -p build/dist && $(VENV)/ansible-galaxy collection build --force --output-path build/dist .

clean:
	rm -rf build tests/output .pytest_cache
