# The marketplace's developer commands. `make up` runs everything, `make test` tests it.
# Every target that needs Python depends on `install`, which is a no-op (one sha256 of a few
# small files) once the venv matches the locks in requirements/ and pyproject.toml.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
BIN := $(VENV)/bin
# The install stamp is named after the content of every lock and pyproject.toml: change
# any of them (a new pin, a new entry point) and the next target reinstalls.
LOCKS := $(sort $(wildcard requirements/*.lock))
INSTALL_KEY := $(shell cat $(LOCKS) pyproject.toml 2>/dev/null | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(INSTALL_KEY)
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k outbox -x"`.
PYTEST_ARGS ?=
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -ra

.PHONY: help install up test reliability soak bench migrate seed asyncapi settings-table docs \
        docs-check keys lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

install: $(STAMP) ## create .venv (Python 3.11+), install the runtime and dev locks and the project

$(STAMP):
	@ok() { "$$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }; \
	if [ -x "$(BIN)/python" ] && ! ok "$(BIN)/python"; then \
	  echo "$(VENV) has no usable Python 3.11+; recreating it"; rm -rf "$(VENV)"; \
	fi; \
	if [ ! -x "$(BIN)/python" ]; then \
	  python=""; \
	  for candidate in $${PYTHON:-} python3.11 python3.12 python3.13 python3; do \
	    if command -v "$$candidate" >/dev/null 2>&1 && ok "$$candidate"; then python=$$candidate; break; fi; \
	  done; \
	  if [ -z "$$python" ]; then echo "make install: Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; fi; \
	  echo "creating $(VENV) with $$($$python --version)"; \
	  "$$python" -m venv "$(VENV)"; \
	fi
	@echo "installing requirements/runtime.lock and requirements/dev.lock into $(VENV)"
	@$(PIP) install --require-hashes -r requirements/runtime.lock -r requirements/dev.lock
	@PYTHONWARNINGS=ignore $(PIP) install --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

up: install ## migrate, seed when empty and run every service (Ctrl-C stops)
	$(BIN)/marketplace up

test: install lint ## make lint, check PostgreSQL and RabbitMQ are reachable, then run the whole suite
	@$(BIN)/marketplace preflight --tests
	$(PYTEST) --durations=15 $(PYTEST_ARGS)

# The full reliability run: every fault scenario at full size, the security suite, Schemathesis
# with more examples, a 3-minute soak (docs/reliability/soak-3min*); the figures go to
# docs/reliability.md (written even when a check fails).
RELIABILITY_TESTS := tests/reliability tests/integration/test_security_api \
	tests/integration/test_security_least_privilege.py tests/integration/test_schemathesis_api.py
reliability: install ## faults under load, a 3-minute soak, security, Schemathesis at full size; writes docs/reliability.md
	$(BIN)/marketplace preflight --tests
	@rm -rf test-artifacts/reliability; status=0; \
	RELIABILITY_FULL=1 SOAK_MINUTES=3 SCHEMATHESIS_EXAMPLES=$${SCHEMATHESIS_EXAMPLES:-25} $(PYTEST) \
	  --junitxml=test-artifacts/reliability/junit.xml $(RELIABILITY_TESTS) $(PYTEST_ARGS) || status=$$?; \
	$(BIN)/python -m scripts.reliability_report --write docs/reliability.md; \
	exit $$status

# The soak: steady mixed load (browse, search, checkout, fulfil, return) for SOAK_MINUTES, memory,
# latency, queues, outbox lag and connections sampled every 10 s; samples, charts and the verdict
# (nothing grew without bound) in docs/reliability/soak-<N>min*, which docs/reliability.md links.
SOAK_MINUTES ?= 30
soak: install ## SOAK_MINUTES (30) of steady mixed load; charts and verdict in docs/reliability/
	$(BIN)/marketplace preflight
	SOAK_MINUTES=$(SOAK_MINUTES) $(PYTEST) -s tests/reliability/test_soak.py $(PYTEST_ARGS)

# Benchmark options, e.g. `make bench BENCH_ARGS="--only relay,search --quick"` (python -m bench -h).
BENCH_ARGS ?=
bench: install ## the benchmarks, e.g. `make bench BENCH_ARGS="--only relay,search --quick"` (bench/results/, docs/benchmarks.md)
	$(BIN)/marketplace preflight
	$(BIN)/python -m bench $(BENCH_ARGS)

migrate: install ## create or upgrade every service's schema and roles
	$(BIN)/marketplace preflight
	$(BIN)/marketplace migrate

seed: install ## load the demo data
	$(BIN)/marketplace preflight
	$(BIN)/marketplace seed

asyncapi: install ## regenerate docs/asyncapi.yaml from the event contracts
	$(BIN)/python -m shared.contracts.asyncapi

settings-table: install ## regenerate the settings table in README.md
	$(BIN)/python -m scripts.settings_table --write README.md

docs: asyncapi settings-table ## regenerate every generated document

# The checks that generated documents are current (docs-check, and lint runs them too).
ASYNCAPI_CHECK = $(BIN)/python -m shared.contracts.asyncapi --check
SETTINGS_TABLE_CHECK = $(BIN)/python -m scripts.settings_table --check README.md
docs-check: install ## fail if a generated document is stale
	$(ASYNCAPI_CHECK)
	$(SETTINGS_TABLE_CHECK)

keys: install ## development JWT keys in .dev/keys/ (git-ignored), readable by the containers
	$(BIN)/python -c 'from ops.operations import ensure_dev_keys; ensure_dev_keys()'
	@# Compose bind-mounts the keys into containers that run as uid 10001: development
	@# keys only; real deployments mount their secrets from a secret store.
	chmod 0644 .dev/keys/jwt_private.pem .dev/keys/jwt_public.pem
	@ls -l .dev/keys

# Every check runs even when an earlier one fails, so one run reports everything; the last
# line names the checks that failed. Rules and strictness are in pyproject.toml ([tool.ruff],
# [tool.mypy]); `$(BIN)/ruff format` and `$(BIN)/ruff check --fix` repair most ruff findings.
lint: install ## generated docs current, ruff (rules, imports, format), mypy (strict: shared/, domains)
	@failed=""; \
	check() { local name=$$1; shift; printf '\n== %s\n' "$$name"; "$$@" || failed="$${failed:+$$failed, }$$name"; }; \
	check "docs/asyncapi.yaml current" $(ASYNCAPI_CHECK); \
	check "README settings table current" $(SETTINGS_TABLE_CHECK); \
	check "ruff check" $(BIN)/ruff check .; \
	check "ruff format --check" $(BIN)/ruff format --check .; \
	check "mypy" $(BIN)/mypy; \
	echo; \
	if [ -n "$$failed" ]; then echo "make lint: FAILED: $$failed" >&2; exit 1; fi; \
	echo "make lint: generated documents current; ruff check, ruff format --check and mypy passed"

clean: ## remove caches (keeps .venv)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf
	rm -rf .pytest_cache .hypothesis test-artifacts
