# durasim — build, test, lint, benchmark and demo.
#
#   make demo     install what is missing (as root), build, run the scenario library and a short
#                 fuzz campaign, write reports to out/
#   make check    install what is missing (as root), build, run every test
#   make asan     the same tests under AddressSanitizer and UBSan
#   make lint     banned calls outside the command line, and formatting against .clang-format
#   make bench    engine, protocol, oracle and campaign benchmarks (bench: NAME VALUE UNIT)
#   make fuzz     build the libFuzzer targets of tests/fuzz/ with clang (ASan, UBSan) and run each
#                 for FUZZ_SECONDS (default 60); not part of make check, which replays each
#                 target's corpus and a fixed set of mutations of it without libFuzzer

CC        ?= gcc
PKGS      := glib-2.0 json-glib-1.0
TEST_PKGS := $(PKGS) cmocka
DEB_PKGS  := pkg-config libglib2.0-dev libcmocka-dev libjson-glib-dev libxml2-utils
WARN      := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wmissing-prototypes \
             -Wstrict-prototypes -Wpointer-arith -Wformat=2
CSTD      := -std=c11 -D_GNU_SOURCE
OPT       ?= -O3 -g

# Every .c file under the layer folders (at any depth) is part of the library, so a new folder
# needs no edit here; tests/ holds the test and benchmark programs and their support files.
LAYERS    := sim model faults scenarios reports
SRC_LIB   := $(sort $(filter-out sim/main.c,$(shell find $(LAYERS) -name '*.c')))
TEST_SRC  := $(sort $(wildcard tests/test_*.c))

# Hosted protocols are built only when their library is installed (pkg-config finds it):
# model/libraft/ (and its oracle module, reports/libraft/) needs canonical raft (Debian
# libraft-dev). Without it the build says so and
# leaves the folder and its tests out.
HAVE_LIBRAFT := $(shell pkg-config --exists raft 2>/dev/null && echo 1)
ifeq ($(HAVE_LIBRAFT),1)
HOSTED_CFLAGS := -DDURASIM_HAVE_LIBRAFT $(shell pkg-config --cflags raft)
HOSTED_LIBS   := $(shell pkg-config --libs raft)
else
SRC_LIB   := $(filter-out model/libraft/% reports/libraft/%,$(SRC_LIB))
TEST_SRC  := $(filter-out tests/test_libraft.c,$(TEST_SRC))
$(info durasim: libraft-dev not found (pkg-config raft): building without the hosted libraft protocol)
endif
BENCH_SRC := $(sort $(wildcard tests/bench_*.c))
# Fuzz targets: tests/fuzz/fuzz_NAME.c. make check links each with tests/fuzz/driver.c as
# test_fuzz_NAME; make fuzz links each with libFuzzer.
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
TEST_HELP := $(sort $(wildcard tests/support_*.c))

# Release build (./durasim) and sanitizer build share the rules, with different folders.
BUILD     ?= build/release
EXTRA     ?=

pkg_cflags = $(shell pkg-config --cflags $(1))
pkg_libs   = $(shell pkg-config --libs $(1))

CFLAGS_ALL = $(CSTD) $(OPT) $(WARN) $(EXTRA) -I. $(call pkg_cflags,$(PKGS)) $(HOSTED_CFLAGS)
LIBS_ALL   = $(call pkg_libs,$(PKGS)) $(HOSTED_LIBS) -lm -lpthread

LIB_OBJ   = $(patsubst %.c,$(BUILD)/%.o,$(SRC_LIB))
TEST_BIN  = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCH_BIN = $(patsubst tests/%.c,$(BUILD)/tests/%,$(BENCH_SRC))
HELP_OBJ  = $(patsubst %.c,$(BUILD)/%.o,$(TEST_HELP))
FUZZ_TEST = $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/tests/test_fuzz_%,$(FUZZ_SRC))
FUZZ_BIN  = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

.PHONY: all deps check asan lint format bench demo ci-report clean tests run-tests golden \
        build-tests build-bench fuzz fuzz-targets

all: durasim

durasim: $(BUILD)/durasim
	@if [ "$(BUILD)" = "build/release" ]; then cp $< $@; fi

$(BUILD)/libdurasim.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/durasim: $(BUILD)/sim/main.o $(BUILD)/libdurasim.a
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/libdurasim.a $(HELP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(call pkg_cflags,cmocka) -o $@ $< $(HELP_OBJ) $(BUILD)/libdurasim.a \
	    $(LIBS_ALL) $(call pkg_libs,cmocka)

FUZZ_COMMON := tests/fuzz/corpus.c tests/fuzz/fuzz.h

$(BUILD)/tests/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/driver.c $(FUZZ_COMMON) \
                            $(BUILD)/libdurasim.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< tests/fuzz/driver.c tests/fuzz/corpus.c \
	    $(BUILD)/libdurasim.a $(LIBS_ALL)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/libfuzzer_init.c $(FUZZ_COMMON) \
                      $(BUILD)/libdurasim.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ $< tests/fuzz/libfuzzer_init.c \
	    tests/fuzz/corpus.c $(BUILD)/libdurasim.a $(LIBS_ALL)

-include $(shell find build -name '*.d' 2>/dev/null)

# ---- dependencies ----

deps:
	@sh .ci/deps.sh $(DEB_PKGS)

# ---- tests ----

build-tests: $(BUILD)/durasim $(TEST_BIN) $(FUZZ_TEST)
build-bench: $(BUILD)/durasim $(BENCH_BIN)

# Runs every cmocka binary, then the scenario library and the command-line tests.
run-tests: build-tests
	@sh tests/run-all.sh $(BUILD)

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory run-tests

asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA="-fsanitize=address,undefined -fno-sanitize-recover=all" run-tests

# Rewrites the golden traces of tests/golden from the current code; review the diff.
golden: all
	@for g in tests/golden/*.trace; do \
	    n=$$(basename $$g .trace); ./durasim run --trace scenarios/$$n.ini > $$g; \
	    echo "golden: $$g"; done

# ---- fuzzing ----

FUZZ_SECONDS ?= 60

fuzz-targets: $(FUZZ_BIN)

# The warnings that fail the build are gcc's (make all); clang's extra ones are shown, not fatal.
fuzz:
	@sh tests/fuzz/deps.sh
	@$(MAKE) --no-print-directory CC=clang BUILD=build/fuzz OPT="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -Wno-error" \
	    fuzz-targets
	@sh tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

# ---- lint ----

lint:
	@sh .ci/lint.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

# ---- benchmarks ----

bench: deps
	@$(MAKE) --no-print-directory OPT="-O3 -g" BUILD=build/release all build-bench
	@sh tests/run-bench.sh build/release

# ---- demo and reports ----

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh

ci-report: all
	@sh tests/ci-report.sh

clean:
	rm -rf build out durasim
