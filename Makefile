# claimflow: two commands do all the set-up on a fresh machine.
#   make run    start the engine and its stack, feed sample claims, run until Ctrl-C
#   make test   run the whole test suite against real Temporal, Kafka, SQLite and PostgreSQL
# Everything Python goes into .venv/ at the repo root; state goes into .state/ (gitignored).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The AsyncAPI project's parser (npm), which the tests run over events/schemas/asyncapi.json.
ASYNCAPI_TOOL  := tools/asyncapi
ASYNCAPI_STAMP := $(ASYNCAPI_TOOL)/node_modules/.installed-stamp

.PHONY: run test lint typecheck down reset install postgres clean asyncapi-tools

# Re-install whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Node.js and npm come from Debian when the machine has none. Install scripts stay off: the
# parser needs none, and one of its dependencies would phone home from its postinstall.
$(ASYNCAPI_STAMP): $(ASYNCAPI_TOOL)/package.json $(ASYNCAPI_TOOL)/package-lock.json
	@command -v npm >/dev/null 2>&1 || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm)
	cd $(ASYNCAPI_TOOL) && SCARF_ANALYTICS=false npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(ASYNCAPI_STAMP)

asyncapi-tools: $(ASYNCAPI_STAMP)

install: $(STAMP) $(ASYNCAPI_STAMP)

# PostgreSQL comes from Debian; only the database tests need it.
postgres:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql)

run: $(STAMP)
	$(BIN)/claimflow run

test: $(STAMP) $(ASYNCAPI_STAMP) postgres
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
