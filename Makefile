# Bianmin: every set-up step lives here, so `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_HOME ?= data/township
DEMO_PORT ?= 5080
TRANSLATIONS := township_app/translations central_api/translations

.PHONY: install translations browser gui gui-debs installer-debs demo test check lint fmt bench clean installer lock \
	installer-python old-root

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,central]'
	touch $(STAMP)

install: $(STAMP)

# Compiled message catalogues are build output: made from the .po files we keep in git.
translations: $(STAMP)
	for dir in $(TRANSLATIONS); do $(BIN)/pybabel compile --use-fuzzy -d $$dir --statistics || exit 1; done

# makensis (Debian's nsis) for the Windows build and its tests.
installer-debs:
	@if ! command -v makensis >/dev/null 2>&1; then \
		echo "installing Debian's nsis for the Windows installer"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nsis; \
	fi

# Debian's chromium for the browser tests; Playwright never downloads a browser here.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	fi

# The desktop window's pieces from Debian (Xvfb, xdotool, ImageMagick, poppler for its tests; WebKit2GTK and
# the headers PyGObject builds against), then the `desktop` extra into the venv.
GUI_DEBS := xvfb xauth xdotool imagemagick poppler-utils fonts-noto-cjk gir1.2-webkit2-4.1 \
	libgirepository1.0-dev libcairo2-dev pkg-config
GUI_STAMP := $(VENV)/.gui-stamp

gui: gui-debs $(GUI_STAMP)

# Checked on every run: a venv can outlive the machine's packages.
gui-debs:
	@missing=$$(for deb in $(GUI_DEBS); do dpkg -s $$deb >/dev/null 2>&1 || echo $$deb; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages for the desktop window:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(GUI_STAMP): $(STAMP) | gui-debs
	$(BIN)/python -m pip install --quiet -e '.[desktop]'
	touch $(GUI_STAMP)

# A central server and a township app on loopback (SQLite under data/), enrolled and syncing.
demo: install translations
	DEMO_HOME=$(DEMO_HOME) DEMO_PORT=$(DEMO_PORT) scripts/run-demo.sh

# Every test, with the 25 slowest named at the end (what to look at when the suite grows slow).
test: install translations browser gui installer-debs
	$(BIN)/pytest -q -n 2 --dist loadfile --durations=25

# The edit loop: lint, then the unit tests (no servers, no browser), in under a minute on 2 cores.
check: install translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -n 2 --durations=10 tests/unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install translations gui
	$(BIN)/python -m tests.bench.bench_township --cases 100000
	$(BIN)/python -m tests.bench.bench_hall --cases 100000 --name-cases 1000000
	$(BIN)/python -m tests.bench.bench_sync --postgres postgresql://postgres@127.0.0.1:5432
	$(BIN)/python -m tests.bench.ingest_split
	$(BIN)/python -m tests.bench.bench_desktop
	$(BIN)/python -m tests.bench.bench_dashboard --postgres postgresql://postgres@127.0.0.1:5432

# Offline bundle (Linux), .deb (UOS/Kylin) and the Windows build (its setup .exe when the embeddable
# Python zip is in installer/windows/), into dist/installer. VERSION=0.1.0+20261207 for a rebuild.
installer: install translations installer-debs
	$(BIN)/python installer/build.py --out dist/installer $(if $(VERSION),--version $(VERSION))

# The Python the Linux bundle and the .deb carry: CPython 3.11 for glibc 2.28 (UOS 20, Kylin V10), built
# with zig from Debian's sources (slow: about half an hour on 2 busy cores; output kept in the build cache,
# BIANMIN_BUILD_CACHE, default /work/cache/uos). `make installer` ships it when it exists.
installer-python: install
	HOSTPY=$(BIN)/python installer/linux/build_python.sh

# The older Debian root (bullseye, glibc 2.31, no python3) that tests/installer/test_old_glibc_pc.py
# installs the bundle into; needs root and debootstrap.
old-root:
	@command -v debootstrap >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; }
	installer/linux/old_root.sh

# Re-pin installer/requirements.lock from a clean install of the runtime dependencies, with the
# desktop window's pywebview (on Linux its GTK binding is the system's python3-gi, not a wheel).
lock:
	rm -rf build/lock-venv
	$(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/python -m pip install --quiet . \
		"$$(grep -o 'pywebview==[0-9.]*' pyproject.toml)"
	{ head -n 2 installer/requirements.lock; build/lock-venv/bin/pip freeze --all \
		--exclude bianmin --exclude setuptools --exclude wheel; } > installer/requirements.lock.new
	mv installer/requirements.lock.new installer/requirements.lock

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache tests/artifacts
