# `make run` and `make test` each set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck check bench clean browser
SCREENSHOTS ?= var/screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	mkdir -p -m 700 var
	$(BIN)/ledger migrate
	$(BIN)/ledger serve --host $(HOST) --port $(PORT)

# Debian's Chromium and ChromeDriver for the console's browser tests: installed when missing;
# under CI=true a missing browser fails the run (locally those tests skip, saying why).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) || \
	  (test "$$CI" != true || (echo "CI=true: Chromium and ChromeDriver are required" >&2 && false))

test: $(STAMP) browser
	LEDGER_SCREENSHOTS=$(SCREENSHOTS) $(BIN)/python -m pytest -q
	@echo "console screenshots: $(SCREENSHOTS)/ (open them)"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	bench/run

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
