# Bianmin: every set-up step lives here, so `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_HOME ?= data/township
DEMO_PORT ?= 5080
TRANSLATIONS := township_app/translations

.PHONY: install translations browser demo test lint fmt bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,central]'
	touch $(STAMP)

install: $(STAMP)

# Compiled message catalogues are build output: made from the .po files we keep in git.
translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d $(TRANSLATIONS) --statistics

# Debian's chromium for the browser tests; Playwright never downloads a browser here.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	fi

demo: install translations
	@if [ ! -f $(DEMO_HOME)/township.db ]; then \
		BIANMIN_HOME=$(DEMO_HOME) $(BIN)/bianmin-township load-demo --cases 60; \
	fi
	@echo ""
	@echo "便民 township app (demo data): http://127.0.0.1:$(DEMO_PORT)/"
	@echo "  窗口人员 chuangkou / demo-clerk-2026    初审 shenhe / demo-reviewer-2026"
	@echo "  村代办员 daiban / demo-agent-2026        管理员 admin / demo-admin-2026"
	@echo ""
	BIANMIN_HOME=$(DEMO_HOME) $(BIN)/bianmin-township serve --port $(DEMO_PORT)

test: install translations browser
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install translations
	$(BIN)/python -m tests.bench.bench_township --cases 100000
	$(BIN)/python -m tests.bench.bench_central

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache tests/artifacts
