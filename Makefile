# keyprojects — one command each: make install | demo | test | lint | bench
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1:8000

.PHONY: install demo test lint migrate run clean messages bench

install: $(BIN)/keyprojects

$(BIN)/keyprojects: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

migrate: install
	$(BIN)/keyprojects migrate --noinput

demo: migrate
	$(BIN)/keyprojects load_demo
	$(BIN)/keyprojects collectstatic --noinput --verbosity 0
	@echo ""
	@echo "  keyprojects 演示环境 / demo: http://$(HOST)/"
	@echo "  登录账号见上表（密码 demo12345，仅供演示）/ logins above, password demo12345, demo only"
	@echo ""
	$(BIN)/keyprojects runserver $(HOST)

run: install
	$(BIN)/keyprojects runserver $(HOST)

lint: install
	$(BIN)/ruff check .
	$(BIN)/keyprojects makemigrations --check --dry-run

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
test: install
	$(BIN)/ruff check .
	$(BIN)/keyprojects makemigrations --check --dry-run
	$(BIN)/pytest -n 2 -p no:cacheprovider; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

# Benchmarks print figures (they never fail on a stopwatch). Uses the demo database.
bench: migrate
	$(BIN)/keyprojects load_demo --verbosity 0 > /dev/null
	$(BIN)/keyprojects bench_pages --runs 30
	$(BIN)/keyprojects bench_import --rows $(or $(ROWS),2000)

# After changing user-facing strings: refresh the English catalog, translate, compile.
messages: install
	cd keyprojects && ../$(BIN)/keyprojects makemessages -l en --ignore "migrations/*" --no-obsolete
	cd keyprojects && ../$(BIN)/keyprojects compilemessages -l en

clean:
	rm -rf $(VENV) var build *.egg-info
