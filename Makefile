# claimflow: two commands do all the set-up on a fresh machine.
#   make run    start the engine and its stack, feed sample claims, run until Ctrl-C
#   make test   run the whole test suite against real Temporal, Kafka, SQLite and PostgreSQL
# Everything Python goes into .venv/ at the repo root; state goes into .state/ (gitignored).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck down reset install postgres chromium clean

# Re-install whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# PostgreSQL comes from Debian; only the database tests need it.
postgres:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql)

# The console's browser tests drive Debian's Chromium through its ChromeDriver.
chromium:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver)

run: $(STAMP)
	$(BIN)/claimflow run

test: $(STAMP) postgres chromium
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy claims events activities workflows services

down:
	@test -x $(BIN)/claimflow && $(BIN)/claimflow down || true

reset:
	@test -x $(BIN)/claimflow && $(BIN)/claimflow reset || rm -rf .state

clean: reset
	rm -rf $(VENV)
