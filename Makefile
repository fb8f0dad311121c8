# Two entry points (see README): `make run` grades the sample submission,
# `make test` runs lint, types and the whole test suite. Both set up everything they need.
# `make test-fast`: the tests that need no kernel, TensorFlow, PostgreSQL or browser (under a minute).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test test-fast lint setup system-deps check bench clean

run: setup
	-@bash tools/install-sandbox-deps.sh
	$(BIN)/grade submit samples/04_forecast7.ipynb

# Two passes: the tests that start no kernel mostly wait (subprocesses, locks, servers), so
# four pytest-xdist workers share two cores well; the kernel and TensorFlow tests are
# CPU-bound and some time what they run, so they keep the machine to themselves.
XDIST := -n 4 --dist worksteal
test: setup system-deps lint
	$(BIN)/pytest -q $(XDIST) -m "not slow and not kernel" --durations=10
	$(BIN)/pytest -q -m "slow or kernel" --durations=15

# Lint, format and types: part of `make test`, so CI (.ci/run) fails on them too.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Markers (pyproject.toml): tests/conftest.py gives postgres and browser by fixture.
test-fast: setup
	$(BIN)/pytest -q $(XDIST) -m "not slow and not kernel and not postgres and not browser"

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $@

# Debian packages the tests need: bubblewrap (sandbox), Chromium + CJK fonts
# (report browser tests), PostgreSQL (gradebook on a server). Each script is
# idempotent and says what it skipped when it cannot install (not root).
system-deps:
	@for s in tools/install-sandbox-deps.sh tools/install-browser-deps.sh tools/install-postgres.sh; do \
		if [ -f $$s ]; then bash $$s || exit 1; fi; \
	done

check: setup
	$(BIN)/grade check --workers 2

bench: setup
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) .pytest_cache .grade test-artifacts
