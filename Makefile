# claude_usage: a DuckDB extension for Claude Code session transcripts.
#
#   make run      build, install the pinned DuckDB CLI, print an overview, open the shell
#   make test     cargo test, hostile files, the sqllogictest suite (in duckdb 2.0.0 and 1.5.6), the dialect
#                 check, the pipeline and server tests, every supported DuckDB (compat) and the wheel
#   make wheel    build/wheel/claude_usage-*.whl: the extension for Python, no Rust needed
#   make release  build/release/claude_usage.duckdb_extension   (make debug: build/debug/)
#   make conformance   compare with the reference oracle (needs ../shared)
#   make peer     compare daily/blocks with ccusage 20.0.24 from npm (skipped without npm)
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
NPM ?= npm
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 4096
HOSTILE := build/hostile
HOSTILE_LARGE := build/hostile-large

.PHONY: all release debug test unit hostile hostile-data sqltest sqltest-1.5.6 dialect smoke pipeline server split threads run conformance e2e peer bench bench-quick fuzz test-large clean venv

all: release

release: $(RELEASE_EXT)
debug: $(DEBUG_EXT)

# Cargo decides whether anything is stale; the footer step is cheap.
$(RELEASE_EXT): FORCE
	cargo build --release --lib
	@mkdir -p build/release
	python3 scripts/append_metadata.py target/release/lib$(EXT_NAME).so $@ --capi $(CAPI_VERSION) --version $(EXT_VERSION)
	@# also where DuckDB's own sqllogictest runner looks for it (--build-dir build/release)
	@mkdir -p build/release/extension/$(EXT_NAME)
	cp $@ build/release/extension/$(EXT_NAME)/$(EXT_NAME).duckdb_extension

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

test: unit hostile sqltest sqltest-1.5.6 dialect smoke pipeline server split threads compat wheel-test
	@echo "make test: all green"

unit:
	cargo test --quiet

# Hostile session files, small sizes; hostile.test reads build/hostile/ (FIFO, unreadable, ~1 MiB cases).
hostile-data:
	python3 test/hostile/gen_hostile.py --out $(HOSTILE)

hostile: release venv hostile-data
	$(PY) test/hostile/check_hostile.py --extension $(RELEASE_EXT) --dir $(HOSTILE) --shared $(SHARED) --committed test/data/hostile

# The unreadable file and the read error exist only where the machine allows them (see
# build/hostile/manifest.json); their test files run when they do.
sqltest: release venv hostile-data
	CLAUDE_USAGE_HOSTILE_UNREADABLE=$$(test -e $(HOSTILE)/unfit/unreadable.jsonl && echo 1) \
	CLAUDE_USAGE_HOSTILE_READ_ERROR=$$(test -e $(HOSTILE)/unfit/read_error.jsonl && echo 1) \
		$(PY) test/sqllogictest.py --extension $(RELEASE_EXT) test/sql/*.test
	@# read_claude_usage again with every file's packed requests in the scratch file (1 byte budget).
	CLAUDE_USAGE_SPILL_BYTES=1 $(PY) test/sqllogictest.py --extension $(RELEASE_EXT) test/sql/read_claude_usage.test

# The suite again in Python duckdb 1.5.6, the DuckDB that DuckDB's own sqllogictest runner runs
# under: SQL that only DuckDB 2.0 accepts fails here, as it would there.
sqltest-1.5.6: release hostile-data .venv-duckdb-1.5.6/.installed
	CLAUDE_USAGE_HOSTILE_UNREADABLE=$$(test -e $(HOSTILE)/unfit/unreadable.jsonl && echo 1) \
	CLAUDE_USAGE_HOSTILE_READ_ERROR=$$(test -e $(HOSTILE)/unfit/read_error.jsonl && echo 1) \
		.venv-duckdb-1.5.6/bin/python test/sqllogictest.py --extension $(RELEASE_EXT) test/sql/*.test

# The runner refuses what DuckDB's own sqllogictest runner would not run the same way: one case each.
dialect: venv
	$(PY) test/python/test_runner_dialect.py

smoke: release venv
	bash test/smoke_cli.sh $(DUCKDB) $(RELEASE_EXT)

# Big files are read in parallel byte ranges: results must not depend on the split.
split: release venv
	$(PY) test/python/test_split.py --extension $(RELEASE_EXT)

# The scan's reader threads under concurrent queries (8 cursors, random thread counts, LIMITs, errors).
threads: release venv
	$(PY) test/python/test_threads.py --extension $(RELEASE_EXT) --seconds 12

# The server pipeline (schema.sql + ingest.sql) from Python and from the CLI.
pipeline: release venv
	$(PY) test/python/test_pipeline.py --extension $(RELEASE_EXT) --cli $(DUCKDB)

# The server's request tables: the ingest invariant over scripted and random file changes, the
# upgrade of a previous-schema database, readers during ingest, export.sql and two shards;
# test/sql/server.test is generated from test/data/server/server.test.in (it inlines sql/*.sql).
server: release venv
	$(PY) scripts/gen_server_test.py --check
	$(PY) test/python/test_server.py --extension $(RELEASE_EXT)

run: release venv
	@$(PY) scripts/overview.py --extension $(RELEASE_EXT)
	@if [ -t 0 ] && [ -t 1 ]; then \
		exec $(DUCKDB) -unsigned -cmd "LOAD '$(abspath $(RELEASE_EXT))'" -cmd "$$($(PY) scripts/overview.py --set-variable)"; \
	fi

conformance: release venv
	$(PY) test/conformance.py --extension $(RELEASE_EXT) --shared $(SHARED)

# claude_usage.daily/blocks against ccusage 20.0.24 (npm, installed into build/peer/) on generated
# trees and $(SHARED)/fixtures/public; see test/peer/compare_ccusage.py. Without npm: skipped.
peer: release venv
	@if command -v $(NPM) >/dev/null 2>&1; then \
		bash test/peer/install_ccusage.sh && \
		$(PY) test/peer/compare_ccusage.py --extension $(RELEASE_EXT) --shared $(SHARED); \
	else \
		echo "peer: skipped (npm not found)"; \
	fi

# schema.sql + ingest.sql over the reference's fixtures vs the oracle and rebuild_rollups.
e2e: release venv
	$(PY) test/e2e_ingest.py --extension $(RELEASE_EXT) --shared $(SHARED)

# Real sizes: two 50 MiB lines (peak RSS < 4x), a 200 MiB line without a newline, 1M-deep nesting.
test-large: release venv
	python3 test/hostile/gen_hostile.py --out $(HOSTILE_LARGE) --large
	$(PY) test/hostile/check_hostile.py --extension $(RELEASE_EXT) --dir $(HOSTILE_LARGE) --shared $(SHARED) --large
	rm -rf $(HOSTILE_LARGE)

# cargo-fuzz over the transcript core (nightly toolchain), FUZZ_SECONDS each: scan_bytes (whole files)
# and skim (one line: the fast reader against serde_json). Seeds from test/data.
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	python3 fuzz/seed_corpus.py --max-bytes $(FUZZ_MAX_LEN)
	python3 fuzz/seed_corpus.py --max-bytes $(FUZZ_MAX_LEN) --lines --out fuzz/corpus/skim
	for target in scan_bytes skim; do \
		cargo +nightly fuzz run --fuzz-dir fuzz $$target fuzz/corpus/$$target -- \
			-max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) -dict=fuzz/scan_bytes.dict \
			-timeout=30 -rss_limit_mb=4096 -print_final_stats=1 || exit 1; \
	done

# The throughput and memory benchmark (minutes; writes BENCHMARKS.md); bench-quick: a 20 MB smoke run.
bench: release venv
	$(PY) bench/run.py

bench-quick: release venv
	$(PY) bench/run.py --quick

clean:
	rm -rf build target $(VENV) fuzz/target fuzz/corpus fuzz/artifacts bench/out bench/floor/target

# --- Every DuckDB that can load us (C API v1.5.6): Python duckdb 1.5.6, 2.0.0, 2.0.1 from PyPI, each
# in its own venv inside the repo, and the CLI 1.5.6 of .venv. Each runs test/smoke.sql (one query per
# function, macro and setting; an object without one fails) and must give test/smoke.expected exactly.
# A version PyPI does not serve fails the install, loudly. test/smoke.py --update rewrites the expected file.
COMPAT_PY_VERSIONS := 1.5.6 2.0.0 2.0.1
COMPAT_CLI_VERSION := 1.5.6
WHEEL_DIR := build/wheel
WHEEL_VENVS := build/wheel-venv

.PHONY: compat wheel wheel-test clean-compat

compat: release venv $(foreach v,$(COMPAT_PY_VERSIONS),.venv-duckdb-$(v)/.installed)
	@for v in $(COMPAT_PY_VERSIONS); do \
		.venv-duckdb-$$v/bin/python test/smoke.py --extension $(RELEASE_EXT) --expect-version $$v || exit 1; \
	done
	@$(PY) test/smoke.py --cli $(DUCKDB) --extension $(RELEASE_EXT) --expect-version $(COMPAT_CLI_VERSION)

.venv-duckdb-%/.installed:
	rm -rf .venv-duckdb-$*
	python3 -m venv .venv-duckdb-$*
	.venv-duckdb-$*/bin/python -m pip install --quiet --disable-pip-version-check duckdb==$* \
		|| { echo "compat: FAILED: cannot install duckdb==$* from PyPI" >&2; rm -rf .venv-duckdb-$*; exit 1; }
	@touch $@

# The Python wheel (build/wheel/claude_usage-<version>-py3-none-manylinux_*.whl): python/claude_usage
# with the release extension inside; auditwheel confirms the platform tag.
$(VENV)/.wheel-tools: python/requirements-build.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r python/requirements-build.txt
	@touch $@

wheel: release venv $(VENV)/.wheel-tools
	rm -rf $(WHEEL_DIR)
	CLAUDE_USAGE_EXTENSION=$(abspath $(RELEASE_EXT)) $(PY) -m build --wheel --no-isolation --outdir $(WHEEL_DIR) . >/dev/null
	@ls $(WHEEL_DIR)/*.whl
	@$(VENV)/bin/auditwheel show $(WHEEL_DIR)/*.whl | tr -s ' \n' ' ' | grep -q "consistent with the following platform tag: \"$$(basename $(WHEEL_DIR)/*.whl .whl | sed 's/.*-py3-none-//')\"" \
		|| { $(VENV)/bin/auditwheel show $(WHEEL_DIR)/*.whl; echo "wheel: FAILED: the platform tag is not the one auditwheel finds" >&2; exit 1; }

# The built wheel in a fresh venv per pinned duckdb: the smoke queries through claude_usage.connect().
wheel-test: wheel
	@for v in $(COMPAT_PY_VERSIONS); do \
		rm -rf $(WHEEL_VENVS)-$$v && python3 -m venv $(WHEEL_VENVS)-$$v || exit 1; \
		$(WHEEL_VENVS)-$$v/bin/python -m pip install --quiet --disable-pip-version-check duckdb==$$v $(WHEEL_DIR)/*.whl \
			|| { echo "wheel-test: FAILED: cannot install duckdb==$$v with the wheel" >&2; exit 1; }; \
		$(WHEEL_VENVS)-$$v/bin/python test/smoke.py --wheel --expect-version $$v || exit 1; \
	done

clean: clean-compat
clean-compat:
	rm -rf $(foreach v,$(COMPAT_PY_VERSIONS),.venv-duckdb-$(v)) $(WHEEL_VENVS)-*
