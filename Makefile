# aluna — two commands for a fresh machine:
#   make demo   set up .venv, build aluna (release), run the main job on shipped synthetic data
#   make test   set up .venv with the test extras, then run every check and test
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
OUT := out
export CARGO_TERM_COLOR := never
# A synthetic key for tests and notebooks: never a real one (see docs/responsible-use.md).
export ALUNA_TEST_KEY := aluna-synthetic-test-key-not-secret

.PHONY: help demo test venv build develop lint rust-test py-test stubtest bench bench-scale java fixtures clean browser docs

help:
	@echo "make demo   - set up .venv, build aluna, run the main job on shipped synthetic data"
	@echo "make test   - every check and test (fmt, clippy, cargo test, ruff, stubtest, pytest, notebooks)"
	@echo "make bench  - side-by-side benchmarks, written to docs/benchmarks.md"
	@echo "make docs   - the API reference in docs/api/, generated from the docstrings"
	@echo "make bench-scale - a graph of 100M links from Parquet on one machine (docs/benchmarks.md)"

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet "maturin>=1.9,<2"
	touch $@

venv: $(VENV)/.created

# One release build serves demo and test alike; cargo makes it a no-op when nothing changed.
build: venv
	$(VENV)/bin/maturin develop --release --quiet --extras plot

develop-test: venv
	$(VENV)/bin/maturin develop --release --quiet --extras test

demo: build
	mkdir -p $(OUT)
	$(VENV)/bin/aluna demo --out $(OUT)

# The browser check of the report needs a headless Chromium: install Debian's package when it is
# missing and we can (root, or passwordless sudo, with apt-get, never prompting); otherwise the
# check skips (and fails under CI, where .ci/run exports CI=true).
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
		|| command -v google-chrome >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then :; \
	else \
		if [ "$$(id -u)" = 0 ]; then as=""; \
		elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as="sudo -n"; \
		else as="none"; fi; \
		if [ "$$as" != none ]; then \
			echo "installing Debian's chromium for the browser check of the report"; \
			{ $$as env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
			|| { $$as apt-get update -qq && $$as env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends chromium; }; } >/dev/null 2>&1 \
			|| echo "could not install chromium: the browser check will skip (fail under CI)"; \
		fi; \
	fi

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings

rust-test:
	cargo test --workspace --exclude aluna-py --quiet

test: develop-test browser java lint rust-test
	$(PY) -m ruff check python benches
	$(PY) -m ruff format --check python benches
	$(PY) -m mypy.stubtest aluna._native
	$(PY) -m pytest --doctest-modules python/aluna python/tests --nbmake notebooks

bench: venv
	$(VENV)/bin/maturin develop --release --quiet --extras test,bench
	$(PIP) install --quiet --no-deps "clkhash>=0.18,<0.19"
	$(PY) benches/run.py --out docs/benchmarks.md

# The API reference (Markdown, committed) from the docstrings; the user guide is docs/guide/.
docs: build
	$(PY) docs/make_api.py --out docs/api

# Graphs at scale: 10M nodes, 100M links from Parquet in bounded memory (several minutes, ~4 GiB).
bench-scale: build
	$(PY) benches/scale.py --edges 100000000 --nodes 10000000

# Java 17 for the Spark tests (aluna.spark): installed when missing and apt-get can (as root);
# otherwise the Spark tests skip (and fail under CI).
java:
	@command -v java >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; } || echo "Java not found and not installable here: the Spark tests will skip"

# R reference fixtures: each script in python/tests/fixtures/r/ writes JSON with its provenance.
fixtures:
	@command -v Rscript >/dev/null || { echo "make fixtures needs R 4.2: apt-get install r-base-core r-cran-survival r-cran-cmprsk r-cran-sna r-cran-matchit r-cran-metafor r-cran-jsonlite"; exit 1; }
	for script in python/tests/fixtures/r/make_*.R; do Rscript "$$script"; done

clean:
	rm -rf $(VENV) target $(OUT)
