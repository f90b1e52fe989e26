# Postern build. GNU make, pkg-config, no configure step.
#   make          build/posternd build/posternctl build/postern
#   make run      install missing packages, build, run posternd on loopback
#   make test     install missing packages, build normal + sanitizer, run every test
#   make bench    benchmarks under bench/ (not part of make test)

CC      ?= cc
PKGS    := openssl libevent libevent_openssl sqlite3 libcrypt libmagic libcares
CSTD    := -std=c17 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS  ?= -O2 -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
# The user agent's terminal interface only (wide-character ncurses).
UA_LIBS    := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
ALL_CFLAGS  = $(CSTD) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Isrc -MMD -MP

# Modules below the programs, in dependency order. Every .c in them goes into
# one static archive; each program links what it uses from it.
MODULES := lib mime store smtpd smtpc queue deliver pop3d imapd
CORE_SRCS := $(foreach m,$(MODULES),$(wildcard src/$(m)/*.c))
PROGRAMS := posternd:daemon posternctl:ctl postern:ua
UNIT_SRCS := $(wildcard tests/unit/*/test-*.c)
FUZZ_SRCS := $(wildcard fuzz/*.c)
TOOL_SRCS := $(wildcard tests/tools/*.c)

# Two build trees: build/ (normal) and build/asan/ (ASan + UBSan, for tests).
B  := build
BA := build/asan
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all run test bench clean deps deps-test unit fuzz asan tools
all: $(B)/posternd $(B)/posternctl $(B)/postern $(B)/sendmail

define program_rules
# $(1)=tree $(2)=extra flags
$(1)/obj/%.o: src/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $(2) -c -o $$@ $$<
$(1)/libpostern.a: $$(patsubst src/%.c,$(1)/obj/%.o,$$(CORE_SRCS))
	@rm -f $$@
	ar rcsT $$@ $$^
$(1)/posternd: $$(patsubst src/%.c,$(1)/obj/%.o,$$(wildcard src/daemon/*.c)) $(1)/libpostern.a
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS)
$(1)/posternctl: $$(patsubst src/%.c,$(1)/obj/%.o,$$(wildcard src/ctl/*.c)) $(1)/libpostern.a
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS)
$(1)/sendmail: $$(patsubst src/%.c,$(1)/obj/%.o,$$(wildcard src/sendmail/*.c)) $(1)/libpostern.a
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS)
$(1)/postern: $$(patsubst src/%.c,$(1)/obj/%.o,$$(wildcard src/ua/*.c)) $(1)/libpostern.a
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS) $$(UA_LIBS)
endef
$(eval $(call program_rules,$(B),))
$(eval $(call program_rules,$(BA),$(SAN)))

# Unit tests: one binary per tests/unit/<module>/test-<file>.c, sanitizer build.
$(BA)/tests/%: tests/unit/%.c $(BA)/libpostern.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) $(shell pkg-config --cflags cmocka) -o $@ $< $(BA)/libpostern.a $(PKG_LIBS) $(shell pkg-config --libs cmocka)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BA)/tests/%,$(UNIT_SRCS))

# Test tools: small programs the integration tests drive (e.g. a MIME tree
# dumper for the differential test against Python's email package).
$(B)/tools/%: tests/tools/%.c $(B)/libpostern.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libpostern.a $(PKG_LIBS)
TOOL_BINS := $(patsubst tests/tools/%.c,$(B)/tools/%,$(TOOL_SRCS))

# Load generators of `make bench`, built with the tools so they never rot
# (plain C and libc: they must not share code with the servers they load).
$(B)/tools/imap-load: bench/imap_load.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< -lpthread
TOOL_BINS += $(B)/tools/imap-load

# Fuzz targets: clang libFuzzer, linked against a clang-built copy of the core.
FUZZ_CC := clang
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
$(B)/fuzz/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CSTD) $(WARN) -Wno-unknown-warning-option -O1 -g $(PKG_CFLAGS) -Isrc -MMD -MP $(FUZZ_FLAGS) -c -o $@ $<
$(B)/fuzz/libpostern.a: $(patsubst src/%.c,$(B)/fuzz/obj/%.o,$(CORE_SRCS))
	@rm -f $@
	ar rcsT $@ $^
$(B)/fuzz/%: fuzz/%.c $(B)/fuzz/libpostern.a
	$(FUZZ_CC) $(CSTD) -O1 -g $(PKG_CFLAGS) -Isrc -MMD -MP -fsanitize=fuzzer,address,undefined -o $@ $< $(B)/fuzz/libpostern.a $(PKG_LIBS)
FUZZ_BINS := $(patsubst fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))

tools: $(TOOL_BINS)
asan: $(BA)/posternd $(BA)/posternctl $(BA)/postern $(BA)/sendmail $(UNIT_BINS)
fuzz: $(FUZZ_BINS)

deps:
	@scripts/deps.sh build
deps-test:
	@scripts/deps.sh test

run: deps
	@$(MAKE) --no-print-directory -j2 all
	@scripts/run.sh

test: deps-test
	@$(MAKE) --no-print-directory -j2 all tools asan fuzz
	@python3 tests/run.py

bench: deps-test
	@$(MAKE) --no-print-directory -j2 all
	@scripts/bench.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
