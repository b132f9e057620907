# flowguard: one flat GNU Makefile (wireguard-tools style). V=1 shows the commands.
PREFIX ?= /usr
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/flowguard
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= /lib/systemd/system
CATALOGDIR ?= $(DATADIR)/catalog

PKGS := libnftnl libmnl yaml-0.1 libcares
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

CC ?= cc
FUZZ_CC ?= clang
WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
	-Wpointer-arith -Wcast-qual -Wsign-compare -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -I. \
	-DFG_CATALOG_DIR='"$(CATALOGDIR)"' -DFG_CONFIG='"$(SYSCONFDIR)/flowguard/flowguard.yaml"'
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
LDLIBS += $(shell pkg-config --libs $(PKGS))
CMOCKA_LIBS := $(shell pkg-config --libs cmocka)
DEPFLAGS := -MMD -MP

# One object directory per instrumentation; each source compiles once per directory, and
# -MMD -MP makes a header edit rebuild exactly what includes it:
#   build/obj   the product: ./flowguard, unit tests, netns drivers, bench/fgbench
#   build/asan  the same with clang's ASan + UBSan and libFuzzer's coverage
#               (-fsanitize=fuzzer-no-link): check-asan is this Makefile with VARIANT=asan,
#               and the libFuzzer targets link the same objects. clang, not gcc: its one
#               runtime keeps UBSan's 6 MB of globals out of what LeakSanitizer scans at
#               every exit (a fifth less CPU per process of the ASan suites on this VM).
VARIANT ?= obj
B := build/$(VARIANT)
ifeq ($(VARIANT),asan)
CC := $(FUZZ_CC)
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link
CFLAGS := -O1 -g
FG := $(B)/flowguard
RUN_DIR := $(B)/view
else
SAN :=
FG := flowguard
RUN_DIR := .
endif
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(SAN) $(PKG_CFLAGS)

# The version: one generated file, rewritten only when "git describe" changes, so a new
# version recompiles one file and relinks (agent/util/version.h).
VERSION_C := build/version.c
define version_c
#include "agent/util/version.h"
const char fg_version[] = "$(VERSION)";
endef
ifneq ($(file <$(VERSION_C)),$(version_c))
$(shell mkdir -p $(dir $(VERSION_C)))
$(file >$(VERSION_C),$(version_c))
endif

# The catalogs' YAML trees, parsed at build time into build/yimages.c: loading a catalog the
# binary was built with skips libyaml (struct yimage in policies/ynode.h); any other file is
# parsed as ever. The generator is built from its six sources without instrumentation.
CATALOG_YAML := $(wildcard policies/catalog/*.yaml)
YIMAGES_C := build/yimages.c
CATGEN_SRC := policies/gen/catgen.c policies/ynode.c policies/diag.c policies/fileread.c \
	policies/text.c policies/sha256.c

# policies/yimages.c: where older builds generated it in the tree.
LIB_SRC := $(filter-out agent/cli/main.c policies/yimages.c,\
	$(wildcard netlink/*.c policies/*.c agent/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o) $(B)/version.o $(B)/yimages.o
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:%.c=$(B)/%)
# A test may need extra link flags (e.g. -Wl,--wrap=...): tests/unit/test_x.ldflags holds them.
unit_ldflags = $(shell cat $(1).ldflags 2>/dev/null)
# The netns suite's drivers (every tests/netns/*.c but the preload shim) and its fault shim.
NETNS_BIN := $(patsubst %.c,$(B)/%,$(filter-out %/faultshim.c,$(wildcard tests/netns/*.c)))
NETNS_SHIM := $(B)/tests/netns/faultshim.so

# libFuzzer targets: tests/fuzz/fuzz_NAME.c, seed corpus in tests/fuzz/corpus/NAME/, built
# from build/asan's objects.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:%.c=build/asan/%)
# make check replays each corpus and fuzzes CHECK_FUZZ_SECONDS per target;
# longer runs: make check-fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 60
CHECK_FUZZ_SECONDS ?= 1

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all check check-parts check-root check-unit check-cli check-netns check-e2e \
	check-e2e-load check-fuzz check-asan asan-build fuzz fuzz-bins netns-tools test-bins soak install \
	clean setup demo
all: $(FG)

setup:
	./scripts/setup.sh

$(B)/%.o: %.c
	@$(if $(Q),echo "  CC      $@")
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/version.o: $(VERSION_C)
	@$(if $(Q),echo "  CC      $@")
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/yimages.o: $(YIMAGES_C)
	@$(if $(Q),echo "  CC      $@")
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

build/catgen: $(CATGEN_SRC) $(wildcard policies/*.h)
	@$(if $(Q),echo "  LD      $@")
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -std=gnu11 $(WARN) -O1 $(PKG_CFLAGS) -o $@ $(CATGEN_SRC) $(LDLIBS)

$(YIMAGES_C): build/catgen $(CATALOG_YAML)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)./build/catgen $(CATALOG_YAML) >$@.tmp && mv $@.tmp $@

$(FG): $(B)/agent/cli/main.o $(LIB_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(UNIT_BIN): $(B)/%: $(B)/%.o $(LIB_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(call unit_ldflags,$*) -o $@ $^ $(LDLIBS) $(CMOCKA_LIBS)

$(NETNS_BIN): $(B)/%: $(B)/%.o $(LIB_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# LD_PRELOAD shims (t_fault.sh's sendto() faults, the e2e clock offsets): plain cc, never
# sanitized: an instrumented preload would bring a second sanitizer runtime into the agent.
SHIM_CC := cc -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -g -shared -fPIC
$(NETNS_SHIM): tests/netns/faultshim.c
	@$(if $(Q),echo "  CC      $@")
	@mkdir -p $(@D)
	$(Q)$(SHIM_CC) -o $@ $< -ldl

tests/e2e/clockshim.so: tests/e2e/clockshim.c
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(SHIM_CC) -o $@ $< -ldl

netns-tools: $(NETNS_BIN) $(NETNS_SHIM)

# Everything the unit, CLI and netns suites run.
test-bins: $(FG) $(UNIT_BIN) netns-tools

ifeq ($(VARIANT),asan)
$(FUZZ_BIN): $(B)/%: $(B)/%.o $(LIB_OBJ)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
endif

# build/asan's objects serve check-asan and the fuzz targets, which make check builds at
# the same time from two makes: one of them builds everything under the lock, the other
# then finds it done.
fuzz-bins: $(FUZZ_BIN)

asan-build:
	+@mkdir -p build && flock build/asan.lock \
		$(MAKE) --no-print-directory VARIANT=asan test-bins fuzz-bins

fuzz: asan-build

# ---- Tests ------------------------------------------------------------------------------
# make check runs every part, in parallel as far as is safe, then fails if any part failed;
# each part prints its own "N passed, N failed". Without -j it still uses the cores, with
# twice as many job slots: the root suites mostly wait (for the kernel, DNS, timers) and
# hold a slot meanwhile. A user with sudo is asked once, up front: the root suites re-run
# themselves through sudo (scripts/root.sh); without it they skip.
CHECK_JOBS ?= $(shell echo $$(($$(nproc) * 2)))
check:
	@if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null && ! sudo -v; then \
		export FG_SUDO=no; fi; \
	j=$(if $(filter -j%,$(MAKEFLAGS)),,-j$(CHECK_JOBS)); run=$$$$; \
	$(MAKE) --no-print-directory $$j CHECK_RUN=$$run $(CHECK_FIRST) check-deb || exit 1; \
	$(MAKE) --no-print-directory -k $$j FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) ANALYZE_MODE=quick \
		E2E_JOBS=2 CHECK_RUN=$$run check-parts; \
	rc=$$?; rm -rf build/deb-check.$$run build/deb-check.$$run.lock build/deb-check.$$run.log; \
	exit $$rc

# What the root suites start from is built first, with every core, and the .deb of the
# booted tests beside it: otherwise clang-tidy and the sanitized builds take the job slots,
# and e2e (the longest part, mostly waiting) and check-fleet start minutes late. A failed
# .deb build is left to the booted tests to report (they try once more).
CHECK_FIRST := flowguard tests/e2e/clockshim.so netns-tools
.PHONY: check-deb
check-deb:
	$(if $(CHECK_RUN),,$(error check-deb is a step of make check (CHECK_RUN unset)))
	-@$(call deb_once,$(DEB_SHARED)) >$(DEB_SHARED).log 2>&1
check-parts: check-root check-fleet check-unit check-cli check-fuzz analyze format-check

# The root suites: check-e2e and check-system run beside the chain check-netns -> check-asan
# (e2e's time is mostly waiting for the agent's events; system's agent runs in a container
# of its own). check-netns and ASan's netns run never overlap: two t_nflog.sh at once in
# different network namespaces both read none of their burst. ASan's build starts with
# them. check-fleet runs beside all of them (its agents run in the containers' network
# namespaces).
check-root: flowguard tests/e2e/clockshim.so netns-tools
	@$(MAKE) --no-print-directory asan-build & asan=$$!; \
	$(MAKE) --no-print-directory check-e2e & e2e=$$!; \
	$(MAKE) --no-print-directory check-system & sys=$$!; rc=0; \
	$(MAKE) --no-print-directory check-netns || rc=1; \
	wait $$asan; $(MAKE) --no-print-directory check-asan || rc=1; \
	wait $$e2e || rc=1; wait $$sys || rc=1; \
	exit $$rc

check-unit: $(UNIT_BIN)
	@./tests/run-unit.sh $(UNIT_BIN)

# Run from $(RUN_DIR): this tree, or for check-asan a view of it whose ./flowguard is ASan's.
check-cli: $(FG)
	@./tests/layout/check.py
	@cd $(RUN_DIR) && ./tests/defaults.sh
	@cd $(RUN_DIR) && ./tests/detect/run.sh
	@cd $(RUN_DIR) && sh tests/cli.sh
	@$(if $(filter obj,$(VARIANT)),sh tests/readme.sh)

# T=tests/netns/t_x.sh runs one test.
check-netns: $(FG) netns-tools
	@cd $(RUN_DIR) && NETNS_TOOLS=$(CURDIR)/$(B)/tests/netns ./tests/netns/run.sh $(T)

# E2E_JOBS lanes at once (make check: 2; each test has namespaces of its own and mostly
# waits for the agent's timers).
E2E_JOBS ?= 1
check-e2e: flowguard tests/e2e/clockshim.so
	@E2E_JOBS=$(E2E_JOBS) ./tests/e2e/run.sh $(T)

# The same with every core kept busy by unrelated work (tests/e2e/under-load.sh).
check-e2e-load: flowguard tests/e2e/clockshim.so
	@./tests/e2e/under-load.sh $(T)

# Replays each target's committed corpus, then fuzzes it for FUZZ_SECONDS on a copy (new
# inputs stay out of the tree).
check-fuzz: fuzz
	@./tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

# The unit, CLI and netns suites again, built with ASan + UBSan into build/asan (kept
# between runs: only what changed is rebuilt); any sanitizer report fails its test.
ASAN_VIEW := build/asan/view

check-asan: asan-build
	@rm -rf $(ASAN_VIEW) && mkdir -p $(ASAN_VIEW) && \
	for f in * .[!.]*; do case $$f in build|flowguard|.git) ;; \
		*) ln -s ../../../$$f $(ASAN_VIEW)/$$f ;; esac; done && \
	ln -s ../flowguard $(ASAN_VIEW)/flowguard
	@export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1; \
	if $(MAKE) --no-print-directory -k VARIANT=asan check-unit check-cli check-netns; \
	then echo "asan: unit, cli and netns suites passed"; \
	else echo "asan: unit, cli and netns suites FAILED"; exit 1; fi

# The issue-5 soak: the daemon under valgrind through 10 minutes of churn (CI runs 15 s).
soak: flowguard
	@SOAK_SECONDS=$${SOAK_SECONDS:-600} ./tests/e2e/run.sh tests/e2e/t_soak.sh

demo: flowguard
	@./scripts/demo.sh

install: flowguard
	install -D -m 0755 flowguard $(DESTDIR)$(SBINDIR)/flowguard
	install -d $(DESTDIR)$(CATALOGDIR)
	install -m 0644 policies/catalog/*.yaml $(DESTDIR)$(CATALOGDIR)/
	install -D -m 0644 init/flowguard.yaml $(DESTDIR)$(SYSCONFDIR)/flowguard/flowguard.yaml
	install -d $(DESTDIR)$(SYSCONFDIR)/flowguard/conf.d
	install -D -m 0644 man/flowguard.8 $(DESTDIR)$(MANDIR)/man8/flowguard.8
	install -D -m 0644 man/flowguard.yaml.5 $(DESTDIR)$(MANDIR)/man5/flowguard.yaml.5
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/flowguard|$(SBINDIR)/flowguard|g' init/flowguard.service \
		>$(DESTDIR)$(UNITDIR)/flowguard.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/flowguard.service

# The second line: what the in-tree build of older versions left behind.
clean:
	rm -rf flowguard bench/fgbench tests/e2e/clockshim.so build/obj build/asan build/fuzz $(VERSION_C) \
		$(YIMAGES_C) build/catgen
	rm -f $(wildcard agent/*/*.[od] netlink/*.[od] policies/*.[od] policies/gen/*.[od] \
		tests/unit/*.[od] bench/*.[od] $(UNIT_SRC:.c=) $(FUZZ_SRC:.c=) policies/yimages.c \
		policies/gen/catgen)

# Benchmarks (issue 8): root, in namespaces bench/run.sh makes; a few minutes. Not part of
# check. BENCH_IDLE_SECONDS=600 gives the issue's 10-minute idle run.
bench/fgbench: $(B)/bench/fgbench.o $(LIB_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench
bench: flowguard bench/fgbench
	@./bench/run.sh

-include $(wildcard $(B)/*.d $(B)/*/*.d $(B)/*/*/*.d)

# DNS answer harvest and hold (issue 13): latencies, and t_harvest.sh's churn at full length
# (HARVEST_SECONDS=300 per mode; make check runs it for 15 s). Root; about 13 minutes.
.PHONY: bench-harvest
bench-harvest: flowguard
	@./bench/harvest.sh

# ---- Debian package and the system test (issue 6) ------------------------------------
# make deb: builds the .deb with dpkg-buildpackage from a copy of the tree (tracked files
# plus new, not-ignored ones) in $(DEB_DIR)/src, so the build's "make clean" never touches
# this working tree; the .deb, .changes and .buildinfo land in $(DEB_DIR).
DEB_DIR ?= build/deb
.PHONY: deb check-system
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	if git rev-parse --git-dir >/dev/null 2>&1; then \
		{ git ls-files -c; git ls-files -o --exclude-standard; } | sort -u | \
		while IFS= read -r f; do { [ -f "$$f" ] || [ -L "$$f" ]; } && printf '%s\n' "$$f"; done | \
		grep -v '^build/' | tar -cf - -T - | tar -xf - -C $(DEB_DIR)/src; \
	else tar --exclude=./build -cf - . | tar -xf - -C $(DEB_DIR)/src; fi
	cd $(DEB_DIR)/src && dpkg-buildpackage -us -uc -b -Jauto
	@ls -1 $(DEB_DIR)/*.deb

# $(call booted_check,NAME,SCRIPT): a test on booted Debian 12 containers (needs root). The
# .deb is built while tests/lib/rootfs.sh makes sure the containers' root file system is in
# the cache (debootstrap on a fresh machine; one for both tests, which take turns on its
# lock), then SCRIPT runs on them. Each run builds into a directory of its own (two runs
# at once must not clean each other's build; $$PPID is this make), except under make check
# (CHECK_RUN set): there both tests use one build, build/deb-check.CHECK_RUN, made by the
# first to ask under a lock, and make check removes it at the end. The package build's
# output is shown only when it fails. SCRIPT runs on a line of its own: "make -n" runs
# every line that calls make.
DEB_SHARED = $(if $(CHECK_RUN),build/deb-check.$(CHECK_RUN))
# $(call deb_once,DIR): make deb into DIR unless DIR/.built says it was, under DIR.lock.
deb_once = flock $(1).lock sh -c 'test -e "$$1/.built" || \
	{ $(MAKE) --no-print-directory deb DEB_DIR="$$1" && touch "$$1/.built"; }' sh $(1)
define booted_check
	@d=build/$(1).$$PPID; rm -rf $$d; mkdir -p $$d; debd=$(or $(DEB_SHARED),$$d); \
	./tests/lib/rootfs.sh >$$d.fs 2>&1 & fs=$$!; \
	$(call deb_once,$$debd) >$$d.log 2>&1; deb=$$?; \
	wait $$fs; fs=$$?; cat $$d.fs; rm -f $$d.fs $$d.lock; \
	if [ $$deb -ne 0 ]; then tail -40 $$d.log; \
		echo "$(1): 0 passed, 1 failed (make deb; see $$d.log)"; rm -rf $$d; exit 1; fi; \
	if [ $$fs -ne 0 ]; then echo "$(1): 0 passed, 1 failed (the root file system)"; \
		rm -rf $$d $$d.log; exit 1; fi
	@d=build/$(1).$$PPID; $(2) $(or $(DEB_SHARED),$$d); rc=$$?; rm -rf $$d $$d.log; exit $$rc
endef
# The acceptance test: the .deb in a booted Debian 12 container (tests/system/run.sh).
# ~55 s with the rootfs cached (make deb ~27 s, the test ~25 s).
check-system:
	$(call booted_check,system,./tests/system/run.sh)

# ---- Fleet rollout (issue 16): signed apt repository, Ansible role, alert rules -----------
# make apt-repo APT_SIGN_KEY=FINGERPRINT [GNUPGHOME=DIR]: the .deb into a reprepro
# repository in $(APT_REPO_DIR) (state/: reprepro's own; public/: what to publish), signed
# with that key from the caller's keyring. Key handling: README, "Rolling out to a fleet".
APT_REPO_DIR ?= build/apt-repo
APT_SIGN_KEY ?=
.PHONY: apt-repo check-fleet
apt-repo: deb
	./deploy/apt/build-repo.sh $(APT_REPO_DIR) "$(APT_SIGN_KEY)" $(DEB_DIR)/flowguard_*.deb

# The fleet test: ansible-lint, promtool test rules, the repository with a throwaway key,
# and the role against three booted Debian 12 containers (tests/fleet/run.sh).
check-fleet:
	$(call booted_check,fleet,./tests/fleet/run.sh)

# ---- Static analysis (issue 9): cppcheck and clang-tidy on our own code -----------------
# Any finding fails. Checks and the reason for each one left out: .clang-tidy. A false
# positive is suppressed where it occurs (cppcheck-suppress / NOLINTNEXTLINE) with a reason.
# clang-tidy runs per file into stamps under build/analyze/MODE, so "make -j analyze" spreads
# it over the cores and a second run only redoes what changed. make analyze explores each
# function's paths with the analyzer's default budget (ANALYZE_MODE=deep: 225,000 nodes);
# make check with ANALYZE_MODE=quick: the same checkers and inlining, but a function's paths
# are left after 30,000 nodes, for 40 % of the CPU (186 -> 74 CPU-s here). clang's own
# "shallow" mode costs about the same but inlines less, and then reports paths the callee rules
# out (three false null dereferences here).
CPPCHECK ?= cppcheck
CLANG_TIDY ?= clang-tidy-14
ANALYZE_MODE ?= deep
ANALYZE_SRC := $(filter-out policies/yimages.c,$(wildcard agent/*/*.c netlink/*.c policies/*.c)) \
	policies/gen/catgen.c
ANALYZE_HDR := $(wildcard agent/*/*.h netlink/*.h policies/*.h)
$(if $(filter-out deep quick,$(ANALYZE_MODE)),$(error ANALYZE_MODE is deep or quick, not $(ANALYZE_MODE)))
ANALYZE_DIR := build/analyze/$(ANALYZE_MODE)
ANALYZE_FLAGS := $(if $(filter quick,$(ANALYZE_MODE)),-Xclang -analyzer-config -Xclang max-nodes=30000)
.PHONY: analyze analyze-cppcheck analyze-tidy
analyze: analyze-cppcheck analyze-tidy

analyze-cppcheck:
	@echo "  CPPCHECK agent netlink policies"
	$(Q)$(CPPCHECK) --enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
		--quiet -I. -D_GNU_SOURCE -DFG_CATALOG_DIR='"/x"' -DFG_CONFIG='"/x"' \
		-ipolicies/yimages.c agent netlink policies

analyze-tidy: $(ANALYZE_SRC:%.c=$(ANALYZE_DIR)/%.ok)

$(ANALYZE_DIR)/%.ok: %.c .clang-tidy $(ANALYZE_HDR)
	@$(if $(Q),echo "  TIDY    $<")
	$(Q)$(CLANG_TIDY) --quiet $< -- -std=gnu11 $(CPPFLAGS) $(PKG_CFLAGS) $(ANALYZE_FLAGS)
	@mkdir -p $(@D) && touch $@

# ---- Formatting: .clang-format (kernel style, 100 columns) -------------------------------
# make format rewrites our C files in place; format-check lists the files that differ from
# it. In make check a difference fails (FORMAT_STRICT=0: report only).
CLANG_FORMAT ?= clang-format-14
FORMAT_SRC := $(filter-out policies/yimages.c,$(wildcard agent/*/*.[ch] netlink/*.[ch] \
	policies/*.[ch] policies/*/*.[ch] tests/*/*.[ch] bench/*.[ch]))
FORMAT_STRICT ?= 1
.PHONY: format format-check
format:
	$(Q)$(CLANG_FORMAT) -i $(FORMAT_SRC)

format-check:
	@out=$$($(CLANG_FORMAT) --dry-run $(FORMAT_SRC) 2>&1) || { printf '%s\n' "$$out"; exit 1; }; \
	files=$$(printf '%s\n' "$$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: .*clang-format-violations.*/\1/p' | \
		sort -u); \
	for f in $$files; do echo "format: $$f differs"; done; \
	n=$$(printf '%s' "$$files" | grep -c .); \
	if [ $$n -eq 0 ]; then echo "format: 0 files differ"; \
	elif [ "$(FORMAT_STRICT)" = 1 ]; then echo "format: $$n files differ (make format)"; exit 1; \
	else echo "format: $$n files differ (make format; report only: FORMAT_STRICT=0)"; fi
