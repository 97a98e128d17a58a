# netback - top-level build. `make` builds everything into build/bin; `make check` runs
# lint, unit tests, scenario tests, a sanitizer pass and a bounded fuzz run, then prints
# one summary line "N passed, N failed". See README.md and docs/architecture.md.

CC      ?= gcc
BUILD   ?= build
SAN     ?=
FUZZ    ?=
# Seconds each fuzz target runs in `make check` (longer in `make fuzz`).
FUZZ_SECONDS ?= 20

PKGS     := xenstore xengnttab xenevtchn libmnl libnftnl libpcap libxdp libbpf
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CPPFLAGS += -D_GNU_SOURCE -D__XEN_TOOLS__ -I. -DNB_SCRIPT_DIR=\"$(abspath scripts)\"
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -Wall -Wextra -Werror -pthread -fno-strict-aliasing $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -pthread

# DPDK (libdpdk): its cflags (-march, -include rte_config.h) only for the files that include
# DPDK headers, which are system headers to us (-isystem), so our warning flags stay as they
# are for our own code. rte_eth_from_rings() (dpdk/ringdev.c) needs the ring PMD linked.
DPDK_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags libdpdk 2>/dev/null))
DPDK_LIBS   := $(shell pkg-config --libs libdpdk 2>/dev/null) -lrte_net_ring
LDLIBS      += $(DPDK_LIBS)
$(BUILD)/obj/dpdk/%.o: CFLAGS += $(DPDK_CFLAGS)
$(BUILD)/obj/tests/unit/test-dpdk.o: CFLAGS += $(DPDK_CFLAGS)

ifneq ($(SAN),)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
ifneq ($(FUZZ),)
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

# Library code: every .c under the module folders; programs: tools/*.c (one main each).
LIB_DIRS  := netback netback/hv vswitch route nat dpdk tools/simhv tools/xl tools/ctl tools/guest \
	     tools/bench
LIB_SRCS  := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
PROG_SRCS := $(wildcard tools/*.c)
PROGS     := $(PROG_SRCS:tools/%.c=$(BUILD)/bin/%)
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNITS     := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_HELPER_SRCS := $(filter-out tests/unit/test-%.c,$(wildcard tests/unit/*.c))
UNIT_HELPER_OBJS := $(UNIT_HELPER_SRCS:%.c=$(BUILD)/obj/%.o)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZERS   := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
LIBNB     := $(BUILD)/libnetback.a

.PRECIOUS: $(BUILD)/obj/%.o

.PHONY: all deps programs unit-build check check-unit check-scenario check-san check-fuzz \
	fuzz lint format demo bench soak clean

all: deps
	@$(MAKE) --no-print-directory programs

programs: $(PROGS)

deps:
	@scripts/install-deps

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBNB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/obj/tools/%.o $(LIBNB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBNB) $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_HELPER_OBJS) $(LIBNB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(UNIT_HELPER_OBJS) $(LIBNB) $(LDLIBS) -lcmocka -o $@

$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(LIBNB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) $< $(LIBNB) $(LDLIBS) -o $@

unit-build: $(UNITS) $(PROGS)

# XDP programs (vswitch/bpf/*.bpf.c) into $(BUILD)/bpf/, where the af_xdp port looks for them
# (../bpf beside build/bin and build/tests; see vswitch/port-afxdp.h). Always clang; every
# build directory (build/clang, build/san) gets its own copy.
BPF_OBJS := $(patsubst vswitch/bpf/%.c,$(BUILD)/bpf/%.o,$(wildcard vswitch/bpf/*.bpf.c))
BPF_INC  := -I/usr/include/$(shell gcc -print-multiarch 2>/dev/null)
programs unit-build $(UNITS): $(BPF_OBJS)
$(BUILD)/bpf/%.o: vswitch/bpf/%.c $(wildcard vswitch/bpf/*.h)
	@mkdir -p $(dir $@)
	clang -O2 -g -target bpf -Wall -Werror -I. $(BPF_INC) -c $< -o $@

# ---- tests -------------------------------------------------------------------------------
RESULTS := $(BUILD)/test-results

NPROC := $(shell nproc 2>/dev/null || echo 2)
SUBMAKE := $(MAKE) --no-print-directory -k -j$(NPROC)

# Every step is recorded as test cases, so one broken step never hides the others; the last
# line is the summary, and the exit status is non-zero if anything failed.
check: deps
	@rm -f $(RESULTS)
	@mkdir -p $(BUILD)
	@scripts/run-tests build $(RESULTS) lint -- $(MAKE) --no-print-directory lint
	@scripts/run-tests build $(RESULTS) gcc -- $(SUBMAKE) unit-build
	@scripts/run-tests build $(RESULTS) clang -- $(SUBMAKE) BUILD=build/clang CC=clang unit-build
	@scripts/run-tests unit $(RESULTS) $(UNITS)
	@scripts/run-tests scenario $(RESULTS) $(wildcard tests/scenario/test-*.sh)
	@$(MAKE) --no-print-directory check-san RESULTS=$(abspath $(RESULTS))
	@$(MAKE) --no-print-directory check-fuzz RESULTS=$(abspath $(RESULTS))
	@scripts/run-tests summary $(RESULTS)

check-unit:
	@$(SUBMAKE) unit-build
	@rm -f $(RESULTS)
	@scripts/run-tests unit $(RESULTS) $(UNITS)
	@scripts/run-tests summary $(RESULTS)

check-scenario: programs
	@rm -f $(RESULTS)
	@scripts/run-tests scenario $(RESULTS) $(wildcard tests/scenario/test-*.sh)
	@scripts/run-tests summary $(RESULTS)

# Unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer (clang).
check-san:
	@scripts/run-tests build $(RESULTS) asan-ubsan -- $(SUBMAKE) BUILD=build/san CC=clang SAN=1 \
		$(UNITS:$(BUILD)/%=build/san/%)
	@scripts/run-tests unit-san $(RESULTS) $(UNITS:$(BUILD)/%=build/san/%)

# Each libFuzzer target for FUZZ_SECONDS, corpus kept under build/fuzz-corpus.
check-fuzz:
	@scripts/run-tests build $(RESULTS) libfuzzer -- $(SUBMAKE) BUILD=build/fuzz CC=clang FUZZ=1 \
		$(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/fuzz/%)
	@scripts/run-tests fuzz $(RESULTS) --seconds $(FUZZ_SECONDS) \
		$(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/fuzz/%)

fuzz:
	@rm -f $(RESULTS)
	@$(MAKE) --no-print-directory check-fuzz FUZZ_SECONDS=600 RESULTS=$(abspath $(RESULTS))
	@scripts/run-tests summary $(RESULTS)

# Mixed traffic, guest churn and two backend restarts for SOAK_SECONDS, then a verdict on leaked
# fds, mappings and memory growth (docs/soak.md); report in build/soak/report.txt.
SOAK_SECONDS ?= 600
soak: deps
	@$(MAKE) --no-print-directory programs
	@SOAK_SECONDS=$(SOAK_SECONDS) timeout -k 30 $$(($(SOAK_SECONDS) + 600)) scripts/soak

lint:
	@scripts/lint

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

demo: deps
	@$(MAKE) --no-print-directory programs
	@scripts/demo

# netback against its peers on the same pcaps (docs/benchmarks.md); BENCH_QUICK=1 for a short run.
bench: deps
	@scripts/install-deps --bench
	@$(MAKE) --no-print-directory programs
	@BENCH_QUICK=$(BENCH_QUICK) scripts/bench

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
