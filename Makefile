# The README's two commands: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MZ := $(BIN)/minzheng
PORT ?= 8000
DEMO_HOUSEHOLDS ?= 3000

.PHONY: run test lint typecheck pytest bench format clean pdf-deps

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "python3 -m venv needs Debian's python3-venv: installing it"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv \
	      && $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "python3 -m venv failed: install your system's venv package (Debian: sudo apt-get install python3-venv)"; \
	    exit 1; \
	  fi; }
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-run

# PDFs (public notice lists, decision letters) are WeasyPrint: it needs pango and a CJK font
# (else Chinese prints as empty boxes), and HarfBuzz's subsetter (without it a CJK page takes
# ~6 s instead of 0.1 s). Installed with apt-get when we are root; otherwise the
# exact packages are named and everything but the PDFs still works.
pdf-deps: | $(VENV)/.installed-run
	@missing=""; \
	command -v fc-list >/dev/null || missing="fontconfig"; \
	fc-list :lang=zh family 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	if $(BIN)/python -c "import weasyprint" >/dev/null 2>&1; then \
	  $(BIN)/python -W ignore -c "from weasyprint.text.ffi import harfbuzz_subset as h; \
	    raise SystemExit(h is None)" 2>/dev/null || missing="$$missing libharfbuzz-subset0"; \
	else missing="$$missing libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"; fi; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "PDF documents need Debian's$$missing: installing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing \
	    || { echo "apt-get install$$missing failed: PDF documents will not work"; exit 1; }; \
	else \
	  echo "PDF documents (公示名单, 决定书) need$$missing, which this machine lacks."; \
	  echo "  Debian/Ubuntu: sudo apt-get install -y$$missing"; \
	  echo "  Everything else works; PDF downloads explain the missing font until then."; \
	fi

run: $(VENV)/.installed-run pdf-deps
	$(MZ) migrate --noinput
	$(MZ) demo --households $(DEMO_HOUSEHOLDS) --if-empty
	$(MZ) cases daily
	$(MZ) serve --port $(PORT)

test: $(VENV)/.installed-dev lint typecheck pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy src

pytest: $(VENV)/.installed-dev pdf-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

format: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Every bench/*.py on SQLite and PostgreSQL (BENCH_DATABASES, BENCH_ONLY=payroll, sizes such as
# BENCH_PAYROLL_PG=1000000 BENCH_PAYROLL_SQLITE=100000: a payroll run against a bare COPY).
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
