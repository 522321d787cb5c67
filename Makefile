# zerotrace: one entry point. Quiet by default; V=1 shows commands.
.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

OUT      := build
CLANG    ?= clang
CC       ?= gcc
BPFTOOL  ?= bpftool
LLVM_STRIP ?= llvm-strip
ARCH     := x86
# builds and fuzzers run one job per core; the integration tests run in order
NPROC    := $(shell nproc 2>/dev/null || echo 1)

# -flto: the parsers are split into files by concern; LTO inlines across them again
CFLAGS   ?= -O2 -g -flto=auto
WARN     := -Wall -Wextra -Werror
VERSION  := 0.1.0
PROTO_DIRS := $(sort $(dir $(wildcard user/proto/*/*.h)))
INCLUDES := -I$(OUT) -Ibpf -Icommon -Iuser -Iuser/proto $(addprefix -I,$(PROTO_DIRS)) -Iuser/security \
	    -Iexporters \
	    -DZT_VERSION=\"$(VERSION)\"
LIBS     := -lbpf -lelf -lz -ldeflate -lcurl -lmicrohttpd -lyaml -lcrypto -lcapstone -lnghttp2 -lpthread -lm
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))

# Pure modules: unit-tested and fuzzed without BPF.
LIB_SRCS  := $(wildcard common/*.c user/proto/*.c user/proto/*/*.c user/security/*.c) user/route.c user/redact.c \
	     user/config.c user/config_apply.c user/config_file.c user/config_usage.c user/config_values.c user/yaml_read.c user/listen_ports.c user/conn_table.c user/tracer.c user/tracer_exchange.c user/tracer_log.c user/log_line.c user/record_chunk.c user/procinfo.c user/recording.c user/recording_redact.c \
	     user/output.c user/span_build.c user/sampler.c user/sample_control.c user/sample_gate.c user/trace_hold.c user/fixed_table.c user/stitch.c user/propagation.c user/reorder.c user/ring_reader.c user/event_rings.c user/proc_maps.c \
	     user/elf_syms.c user/go_elf.c user/ws_frame.c user/helper_links.c $(wildcard exporters/*.c)
LIB_SRCS  := $(sort $(foreach f,$(LIB_SRCS),$(wildcard $(f))))
# Daemon-only modules: need the skeleton, the kernel or the process table.
APP_SRCS  := $(filter-out $(LIB_SRCS),$(wildcard user/*.c))
LIB_OBJS  := $(patsubst %.c,$(OUT)/obj/%.o,$(LIB_SRCS))
APP_OBJS  := $(patsubst %.c,$(OUT)/obj/%.o,$(APP_SRCS))
ASAN_LIB_OBJS := $(patsubst %.c,$(OUT)/asan/%.o,$(LIB_SRCS))
ASAN_APP_OBJS := $(patsubst %.c,$(OUT)/asan/%.o,$(APP_SRCS))

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUT)/unit/%.o,$(UNIT_SRCS))
ASAN_UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUT)/unit-asan/%.o,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS   := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRCS))

.PHONY: all deps test unit unit-asan fuzz integration bench run vmlinux clean FORCE

all: $(OUT)/zerotrace

deps:
	$(Q)scripts/install-deps.sh

# Every protocol module's wire header, for the kernel's sniff (sniff.h).
PROTO_WIRE := $(sort $(wildcard user/proto/*/*_wire.h))
$(OUT)/proto_wire_all.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '#include "%s"\n' $(PROTO_WIRE:user/proto/%=%) >$@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

HDRS := $(wildcard bpf/*.h common/*.h common/*.def user/*.h user/proto/*.h user/proto/*/*.h user/proto/*.def \
	user/security/*.h exporters/*.h) $(OUT)/proto_wire_all.h

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(HDRS) vmlinux/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf -I$(OUT) -Iuser/proto \
		$(WARN) -Wno-unused-function -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUT)/obj/%.o: %.c $(SKELS) $(HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(INCLUDES) -c $< -o $@

$(OUT)/asan/%.o: %.c $(SKELS) $(HDRS)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(SAN) $(WARN) $(INCLUDES) -c $< -o $@

$(OUT)/zerotrace: $(APP_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

# The agent itself under ASan/UBSan, for the integration tests that run it.
$(OUT)/zerotrace-asan: $(ASAN_APP_OBJS) $(ASAN_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) -O1 -g $(SAN) $^ $(LIBS) -o $@

# One object per test file, so that `make -j` compiles them side by side.
$(OUT)/unit/%.o: tests/unit/%.c $(SKELS) $(HDRS) $(wildcard tests/include/*.h)
	$(call msg,CC-UNIT,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(INCLUDES) -Itests/include -c $< -o $@

$(OUT)/unit-asan/%.o: tests/unit/%.c $(SKELS) $(HDRS) $(wildcard tests/include/*.h)
	$(call msg,CC-UNIT,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(SAN) $(WARN) $(INCLUDES) -Itests/include -c $< -o $@

$(OUT)/unit_tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -lcriterion $(LIBS) -o $@

$(OUT)/unit_tests_asan: $(ASAN_UNIT_OBJS) $(ASAN_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) -O1 -g $(SAN) $^ -lcriterion $(LIBS) -o $@

# The library is instrumented once for every fuzzer.
FUZZ_SAN := -fsanitize=address,undefined
FUZZ_LIB_OBJS := $(patsubst %.c,$(OUT)/fuzzobj/%.o,$(LIB_SRCS))

$(OUT)/fuzzobj/%.o: %.c $(HDRS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(WARN) $(INCLUDES) -c $< -o $@

$(OUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS) $(wildcard tests/include/*.h)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) $(WARN) $(INCLUDES) -Itests/include \
		$< $(FUZZ_LIB_OBJS) $(LIBS) -o $@

unit: $(OUT)/unit_tests
	$(Q)$(OUT)/unit_tests --jobs 2

unit-asan: $(OUT)/unit_tests_asan
	$(Q)ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(OUT)/unit_tests_asan --jobs 2

# The fuzzers share one time budget on every `make test` (FUZZ_BUDGET
# CPU-seconds in all, at least 5 each), one fuzzer per core at a time.
FUZZ_BUDGET ?= 150
FUZZ_SECONDS = $(shell n=$(words $(FUZZERS)); s=$$(( $(FUZZ_BUDGET) / (n ? n : 1) )); \
		 echo $$(( s < 5 ? 5 : s )))
FUZZ_RUNS := $(patsubst $(OUT)/fuzz/%,fuzz-run-%,$(FUZZERS))
.PHONY: $(FUZZ_RUNS)
fuzz: $(FUZZERS)
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) $(FUZZ_RUNS)

$(FUZZ_RUNS): fuzz-run-%: $(OUT)/fuzz/%
	$(Q)mkdir -p $(OUT)/corpus/$*
	@echo "  FUZZ-RUN $< ($(FUZZ_SECONDS)s)"
	$(Q)$< -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 -artifact_prefix=$(OUT)/$*- \
		$(OUT)/corpus/$* tests/fuzz/corpus >/dev/null 2>$(OUT)/$*.log \
		|| { tail -40 $(OUT)/$*.log; exit 1; }

# Every integration test with the release build, then the protocol-heavy ones,
# the TLS ones and the security outputs again with the agent under ASan/UBSan
# (any report fails the agent's exit).
integration: $(OUT)/zerotrace $(OUT)/zerotrace-asan
	$(Q)tests/integration/run.sh
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1 \
		ZT_BIN=$(CURDIR)/$(OUT)/zerotrace-asan tests/integration/run.sh test_a test_d test_e test_k \
		test_w test_x test_y_tls test_y5 test_z2 test_z4 test_z6 test_rt1 test_rt2 test_h2 test_dns test_sa test_sd

test: deps
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) $(OUT)/zerotrace $(OUT)/zerotrace-asan $(OUT)/unit_tests \
		$(OUT)/unit_tests_asan $(FUZZERS)
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory unit-asan
	$(Q)$(MAKE) --no-print-directory fuzz
	$(Q)$(MAKE) --no-print-directory integration

bench: deps $(OUT)/zerotrace
	$(Q)scripts/bench.sh

run: deps $(OUT)/zerotrace
	$(Q)$(OUT)/zerotrace $(ARGS)

vmlinux:
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

clean:
	$(Q)rm -rf $(OUT)
