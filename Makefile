# claude_usage: a DuckDB extension for Claude Code session transcripts.
#
#   make run      build, install the pinned DuckDB CLI, print an overview, open the shell
#   make test     cargo test + the sqllogictest suite in pinned stock DuckDBs
#   make release  build/release/claude_usage.duckdb_extension   (make debug: build/debug/)
#   make conformance   compare with the reference oracle (needs ../shared)
#   make bench / make fuzz / make test-large   slower targets, not part of make test

SHELL := /bin/bash
EXT_NAME := claude_usage
EXT_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
CAPI_VERSION := v1.5.6
VENV := .venv
PY := $(VENV)/bin/python
DUCKDB := $(VENV)/bin/duckdb
RELEASE_EXT := build/release/$(EXT_NAME).duckdb_extension
DEBUG_EXT := build/debug/$(EXT_NAME).duckdb_extension
SHARED ?= ../shared
FUZZ_SECONDS ?= 60

.PHONY: all release debug test unit sqltest smoke pipeline split run conformance e2e bench fuzz test-large clean venv

all: release

release: $(RELEASE_EXT)
debug: $(DEBUG_EXT)

# Cargo decides whether anything is stale; the footer step is cheap.
$(RELEASE_EXT): FORCE
	cargo build --release --lib
	@mkdir -p build/release
	python3 scripts/append_metadata.py target/release/lib$(EXT_NAME).so $@ --capi $(CAPI_VERSION) --version $(EXT_VERSION)

$(DEBUG_EXT): FORCE
	cargo build --lib
	@mkdir -p build/debug
	python3 scripts/append_metadata.py target/debug/lib$(EXT_NAME).so $@ --capi $(CAPI_VERSION) --version $(EXT_VERSION)

FORCE:

# The pinned stock DuckDBs (Python package and CLI) live in a venv inside the repo.
venv: $(VENV)/.installed
$(VENV)/.installed: test/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r test/requirements.txt
	@touch $@

test: unit sqltest smoke pipeline split
	@echo "make test: all green"

unit:
	cargo test --quiet

sqltest: release venv
	$(PY) test/sqllogictest.py --extension $(RELEASE_EXT) test/sql/*.test

smoke: release venv
	bash test/smoke_cli.sh $(DUCKDB) $(RELEASE_EXT)

# Big files are read in parallel byte ranges: results must not depend on the split.
split: release venv
	$(PY) test/python/test_split.py --extension $(RELEASE_EXT)

# The server pipeline (schema.sql + ingest.sql) from Python and from the CLI.
pipeline: release venv
	$(PY) test/python/test_pipeline.py --extension $(RELEASE_EXT) --cli $(DUCKDB)

run: release venv
	@$(PY) scripts/overview.py --extension $(RELEASE_EXT)
	@if [ -t 0 ] && [ -t 1 ]; then \
		exec $(DUCKDB) -unsigned -cmd "LOAD '$(abspath $(RELEASE_EXT))'"; \
	fi

conformance: release venv
	$(PY) test/conformance.py --extension $(RELEASE_EXT) --shared $(SHARED)

# schema.sql + ingest.sql over the reference's fixtures vs the oracle and rebuild_rollups.
e2e: release venv
	$(PY) test/e2e_ingest.py --extension $(RELEASE_EXT) --shared $(SHARED)

clean:
	rm -rf build target $(VENV)
