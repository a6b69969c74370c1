# Makefile - build, run, test and benchmark the child-care SMS gateway.
#
#   make            build bin/gateway
#   make run        install what is missing, build, serve the demo on 127.0.0.1:8080
#   make test       install what is missing, build, run every test
#   make SAN=1 test the same, built with AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      benchmark the gateway against a bare libmicrohttpd responder
#   make lint       format check, include direction, cppcheck
#   make deps       install the Debian packages and the browser tests' npm packages
#   make test-bins  build every unit and e2e test binary without running them
#                   (make BUILD=build-o3 OPT=-O3 all test-bins: another optimisation level)

DEBS = gcc make pkg-config libmicrohttpd-dev libsqlite3-dev libcurl4-openssl-dev \
       libevent-dev libjansson-dev libpq-dev libssl-dev libinih-dev libcmocka-dev libcsv-dev sqlite3 tzdata \
       ca-certificates curl openssl clang-format cppcheck
# For the tests only: the browser the dashboard's tests drive, and the
# PostgreSQL server make test STORE=postgres starts.
TEST_DEBS = chromium fonts-wqy-microhei postgresql-15
PKGS = libmicrohttpd sqlite3 libcurl libevent libevent_pthreads jansson libcrypto inih libpq

CC ?= cc
OPT ?= -O2
# Warnings are errors for developers and CI at every OPT level; WERROR= turns
# that off for a compiler newer than the code.
WERROR ?= -Werror
CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -g -Wall -Wextra $(WERROR) -Wshadow -Wno-unused-parameter \
              -Wformat=2 -Wno-format-nonliteral -pthread
ifeq ($(SAN),1)
BUILD = build-san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT = -O1
else
BUILD = build
SANFLAGS =
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(CFLAGS_BASE) $(OPT) $(SANFLAGS) $(PKG_CFLAGS) $(CFLAGS)
LIBS = $(PKG_LIBS) -lcsv -lm -pthread

LIB_SRC = $(filter-out gateway/main.c,$(wildcard core/*.c gateway/*.c providers/*.c handlers/*.c db/*.c))
LIB_ASM = $(wildcard gateway/*.S)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o) $(LIB_ASM:%.S=$(BUILD)/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
E2E_SRC = $(wildcard tests/e2e/test_*.c)
E2E_BIN = $(E2E_SRC:tests/e2e/%.c=$(BUILD)/tests/e2e/%)
TEST_COMMON_SRC = $(wildcard tests/common/*.c)
TEST_COMMON = $(TEST_COMMON_SRC:%.c=$(BUILD)/%.o)
GATEWAY = $(BUILD)/bin/gateway
# Header dependencies, written by the compiler: x.d next to each object x.o,
# .deps/x.d next to each binary x (out of the way of a test_* glob).
DEPFLAGS = -MMD -MP
BIN_DEP = $(dir $(1)).deps/$(notdir $(1)).d
DEP_FILES = $(LIB_OBJ:.o=.d) $(BUILD)/gateway/main.d $(TEST_COMMON:.o=.d) \
            $(foreach b,$(UNIT_BIN) $(E2E_BIN) $(BUILD)/bench/bare $(BUILD)/bench/load $(BUILD)/bench/writer $(BUILD)/bench/floor,$(call BIN_DEP,$(b)))

# Objects and binaries are rebuilt when the compiler or its flags change
# (make OPT=-O3 after make): $(BUILD)/cflags holds the last ones.
CFLAGS_STAMP = $(BUILD)/cflags
ifneq ($(filter-out print-debs build-deps deps browser-deps clean lint,$(or $(MAKECMDGOALS),all)),)
CFLAGS_NOW := $(CC) $(ALL_CFLAGS) $(LIBS)
CFLAGS_SAVED := $(shell mkdir -p $(BUILD) && { echo '$(CFLAGS_NOW)' | cmp -s - $(CFLAGS_STAMP) || \
                  echo '$(CFLAGS_NOW)' >$(CFLAGS_STAMP); })
endif

.PHONY: all build-deps deps browser-deps print-debs run test test-bins test-san bench clean demo fuzz lint
.DEFAULT_GOAL := all
.SECONDARY:

all: $(GATEWAY) bin/gateway

bin/gateway: $(GATEWAY)
	@mkdir -p bin
	@if [ "$(SAN)" != 1 ]; then cp $(GATEWAY) bin/gateway; fi

$(BUILD)/%.o: %.c $(CFLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

# Data built into the binary with .incbin (assembled from the repository's root).
$(BUILD)/%.o: %.S $(CFLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/gateway/openapi.o: gateway/openapi.json
$(BUILD)/gateway/dash_files.o: gateway/dash/index.html gateway/dash/app.js gateway/dash/app.css

$(BUILD)/libgw.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(GATEWAY): $(BUILD)/gateway/main.o $(BUILD)/libgw.a $(CFLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $(BUILD)/gateway/main.o $(BUILD)/libgw.a $(LIBS)

# Test binaries are compiled and linked in one step; -MF names their .d file.
$(BUILD)/tests/unit/%: tests/unit/%.c $(TEST_COMMON) $(BUILD)/libgw.a $(CFLAGS_STAMP)
	@mkdir -p $(dir $@).deps
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -MF $(call BIN_DEP,$@) -MT $@ -o $@ $< $(TEST_COMMON) $(BUILD)/libgw.a $(LIBS) -lcmocka

$(BUILD)/tests/e2e/%: tests/e2e/%.c $(TEST_COMMON) $(BUILD)/libgw.a $(CFLAGS_STAMP)
	@mkdir -p $(dir $@).deps
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -MF $(call BIN_DEP,$@) -MT $@ -o $@ $< $(TEST_COMMON) $(BUILD)/libgw.a $(LIBS) -lcmocka

-include $(wildcard $(DEP_FILES))

# An object or binary built without its .d file (before the Makefile wrote
# them) is rebuilt once, so that its header dependencies are known.
STALE = $(foreach f,$(wildcard $(LIB_OBJ) $(BUILD)/gateway/main.o $(TEST_COMMON)),$(if $(wildcard $(f:.o=.d)),,$(f))) \
        $(foreach f,$(wildcard $(UNIT_BIN) $(E2E_BIN)),$(if $(wildcard $(call BIN_DEP,$(f))),,$(f)))
$(STALE): rebuild-once
.PHONY: rebuild-once
rebuild-once:

print-debs:
	@echo $(DEBS) $(TEST_DEBS)

# Installs the Debian packages the build needs when they are missing
# (build-deps), and for the tests also the browser and the browser tests'
# Node.js packages (deps).
build-deps:
	@$(call install_debs,$(DEBS))

deps: build-deps
	@$(call install_debs,$(TEST_DEBS))
	@$(MAKE) --no-print-directory browser-deps

install_debs = missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing Debian packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# The browser tests' Node.js packages (playwright-core, pinned by
# tests/browser/package-lock.json); Node.js and npm from Debian when the
# machine has none. Nothing of this runs when the gateway runs.
browser-deps:
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: nodejs npm"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	  else \
	    echo "missing Node.js and npm for the browser tests; run: sudo apt-get install -y nodejs npm"; exit 1; \
	  fi; \
	fi
	@if [ ! -f tests/browser/node_modules/.package-lock.json ] || \
	    [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then \
	  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	fi

# The demo: a fictional county loaded into var/demo.db, served on 127.0.0.1:8080.
demo: all
	@mkdir -p -m 700 var
	@if [ ! -f var/demo.db ]; then \
	  bin/gateway migrate -c examples/gateway.ini && \
	  for k in regions staff children guardians; do \
	    bin/gateway import -c examples/gateway.ini $$k examples/roster/$$k.csv || exit 1; \
	  done; \
	fi

run: build-deps
	@$(MAKE) --no-print-directory demo
	bin/gateway serve -c examples/gateway.ini

# make test STORE=postgres: the same tests with a throwaway PostgreSQL 15 server
# (tests/pg/server.sh) named by GATEWAY_TEST_PG, stopped afterwards whatever the outcome.
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(E2E_BIN)
ifeq ($(STORE),postgres)
	@dir=$$(mktemp -d) || exit 1; \
	trap 'tests/pg/server.sh stop "$$dir"' EXIT; trap 'exit 130' INT TERM HUP; \
	url=$$(tests/pg/server.sh start "$$dir") || exit 1; \
	echo "PostgreSQL test server: $$url"; \
	GATEWAY_TEST_PG=$$url GATEWAY_BIN=$(CURDIR)/$(GATEWAY) tests/run.sh $(UNIT_BIN) $(E2E_BIN) tests/browser/run.sh
else
	@GATEWAY_BIN=$(CURDIR)/$(GATEWAY) tests/run.sh $(UNIT_BIN) $(E2E_BIN) tests/browser/run.sh
endif

test-bins: $(UNIT_BIN) $(E2E_BIN)

# The format check (clang-format), the include direction of the layers and
# cppcheck; each runs even when an earlier one fails. See tests/lint/.
lint: build-deps
	@rc=0; tests/lint/format.sh || rc=1; tests/lint/includes.sh || rc=1; tests/lint/cppcheck.sh || rc=1; \
	if [ $$rc = 0 ]; then echo "lint: ok"; else echo "lint: failed"; exit 1; fi

test-san:
	@$(MAKE) --no-print-directory SAN=1 test

# make bench STORE=postgres: the same bench on a throwaway PostgreSQL 15 (tests/pg/server.sh), stopped
# afterwards whatever the outcome; STORE=both runs SQLite, then PostgreSQL, then prints them side by side.
# After inbound, the writer and outbound it prints inbound while a provider's send API refuses connections
# (against the same run with it working), inbound on a store grown to BENCH_LARGE messages (SQLite; default
# 1000000, 0 skips) against the empty store, and a soak: BENCH_SOAK seconds (default 600, 0 skips) at
# BENCH_SOAK_RPS requests/s (default half the rate with the sender on) with the gateway's VmRSS every 10 s.
bench: build-deps all
	@$(MAKE) --no-print-directory $(BUILD)/bench/bare $(BUILD)/bench/load $(BUILD)/bench/writer $(BUILD)/bench/floor
	@BENCH_STORE=$(or $(STORE),sqlite) tests/bench/run.sh $(CURDIR)/$(GATEWAY) $(CURDIR)/$(BUILD)/bench

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libgw.a $(CFLAGS_STAMP)
	@mkdir -p $(dir $@).deps
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -MF $(call BIN_DEP,$@) -MT $@ -o $@ $< $(BUILD)/libgw.a $(LIBS)

# Coverage-guided fuzzing of the normaliser, the code-book parser and every
# provider's request parsers (libFuzzer; needs clang). FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
FUZZ_SRC = $(filter-out gateway/main.c,$(wildcard core/*.c gateway/*.c providers/*.c handlers/*.c db/*.c)) $(LIB_ASM)
fuzz: build-deps
	@command -v clang >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq clang; } || \
	  { echo "fuzzing needs clang: sudo apt-get install -y clang"; exit 1; }
	@mkdir -p build-fuzz
	@for f in $(wildcard tests/fuzz/fuzz_*.c); do \
	  n=$$(basename $$f .c); \
	  clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    $(PKG_CFLAGS) $$f $(FUZZ_SRC) -o build-fuzz/$$n $(LIBS) || exit 1; \
	  mkdir -p build-fuzz/$$n.corpus; \
	  echo "fuzzing $$n for $(FUZZ_SECONDS) s"; \
	  build-fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -artifact_prefix=build-fuzz/$$n- \
	    build-fuzz/$$n.corpus >build-fuzz/$$n.log 2>&1; rc=$$?; tail -3 build-fuzz/$$n.log; \
	  [ $$rc = 0 ] || { echo "$$n found a failure: see build-fuzz/$$n.log"; exit 1; }; \
	done

clean:
	rm -rf build build-san build-fuzz bin
