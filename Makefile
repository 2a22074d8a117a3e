# keyprojects — one command each: make install | demo | test | lint | bench
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1:8000

.PHONY: install demo test lint migrate run clean messages bench fuzz

install: $(BIN)/keyprojects

$(BIN)/keyprojects: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# Without KEYPROJECTS_SECRET_KEY the settings start only for development or the demo.
migrate: install
	KEYPROJECTS_DEMO=1 $(BIN)/keyprojects migrate --noinput

# The worker runs the background jobs (a confirmed ledger import, the schedule) beside the
# server; Ctrl-C stops both.
demo: migrate
	KEYPROJECTS_DEMO=1 $(BIN)/keyprojects load_demo
	KEYPROJECTS_DEMO=1 $(BIN)/keyprojects collectstatic --noinput --verbosity 0
	@echo ""
	@echo "  keyprojects 演示环境 / demo: http://$(HOST)/"
	@echo "  登录账号见上表（密码 demo12345，仅供演示）/ logins above, password demo12345, demo only"
	@echo ""
	export KEYPROJECTS_DEMO=1; $(BIN)/keyprojects worker & pid=$$!; trap 'kill $$pid 2>/dev/null; wait $$pid' EXIT INT TERM; \
	  $(BIN)/keyprojects runserver $(HOST)

run: install
	KEYPROJECTS_DEMO=1 $(BIN)/keyprojects runserver $(HOST)

# mypy checks the demo and bench apps too: they are installed only with KEYPROJECTS_DEMO=1.
lint: install
	$(BIN)/ruff check .
	KEYPROJECTS_DEMO=1 $(BIN)/mypy
	KEYPROJECTS_DEMO=1 $(BIN)/keyprojects makemigrations --check --dry-run

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
test: install
	$(BIN)/ruff check .
	KEYPROJECTS_DEMO=1 $(BIN)/mypy
	KEYPROJECTS_DEMO=1 $(BIN)/keyprojects makemigrations --check --dry-run
	KEYPROJECTS_DEMO=1 $(BIN)/pytest -n 2 -p no:cacheprovider; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

# Benchmarks print figures (they never fail on a stopwatch), on a scratch database — never var/:
#   make bench                         SQLite in $(BENCH_VAR)
#   make bench DATABASE_URL=postgres://postgres@127.0.0.1:5432/kp_bench   (createdb kp_bench first)
# The demo (Huludao 2022) and a synthetic 辽宁省 (PROJECTS projects × MONTHS months, generated once,
# ~10 min for 100,000) are loaded, then `keyprojects bench` prints its table. Knobs: PROJECTS
# (100000), MONTHS (24), RUNS (20), ROWS (ledger import rows, 20000), BURST (clients, 50,100,200),
# WORKERS (gunicorn sync workers, 3), ONLY (e.g. dashboard,list). The ledger import runs three
# times each in new databases it makes and removes (`bench_import --scratch`): SQLite, and
# PostgreSQL on DATABASE_URL's server (else 127.0.0.1:5432) when one answers.
BENCH_VAR ?= /tmp/keyprojects-bench
bench: install
	export KEYPROJECTS_VAR_DIR=$(BENCH_VAR) KEYPROJECTS_DEMO=1 && \
	$(BIN)/keyprojects migrate --noinput --verbosity 0 && \
	$(BIN)/keyprojects collectstatic --noinput --verbosity 0 && \
	$(BIN)/keyprojects load_demo --verbosity 0 > /dev/null && \
	$(BIN)/keyprojects generate_synthetic --province 辽宁省 --projects $(or $(PROJECTS),100000) \
	  --months $(or $(MONTHS),24) --skip-existing && \
	$(BIN)/keyprojects bench --runs $(or $(RUNS),20) --import-rows $(or $(ROWS),20000) \
	  --burst $(or $(BURST),50,100,200) --workers $(or $(WORKERS),3) --only "$(ONLY)"

# The API fuzzed from its OpenAPI schema for longer than in `make test` (no input may give a 5xx).
fuzz: install
	KEYPROJECTS_FUZZ_EXAMPLES=$(or $(EXAMPLES),200) $(BIN)/pytest tests/test_api_fuzz.py -p no:cacheprovider

# After changing user-facing strings: refresh the English catalog, translate, compile.
messages: install
	cd keyprojects && KEYPROJECTS_DEBUG=1 ../$(BIN)/keyprojects makemessages -l en --ignore "migrations/*" --no-obsolete
	cd keyprojects && KEYPROJECTS_DEBUG=1 ../$(BIN)/keyprojects compilemessages -l en

clean:
	rm -rf $(VENV) var build *.egg-info
