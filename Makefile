# flowguard: one flat GNU Makefile (wireguard-tools style).
PREFIX ?= /usr
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/flowguard
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= /lib/systemd/system
CATALOGDIR ?= $(DATADIR)/catalog

PKGS := libnftnl libmnl yaml-0.1 libcares libsystemd
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

CC ?= cc
WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
	-Wpointer-arith -Wcast-qual -Wsign-compare -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -I. -DFG_VERSION='"$(VERSION)"' \
	-DFG_CATALOG_DIR='"$(CATALOGDIR)"' -DFG_CONFIG='"$(SYSCONFDIR)/flowguard/flowguard.yaml"'
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(shell pkg-config --cflags $(PKGS)) -MMD -MP
LDLIBS += $(shell pkg-config --libs $(PKGS))

LIB_SRC := $(wildcard netlink/*.c) $(wildcard policies/*.c) \
	$(filter-out agent/cli/main.c,$(wildcard agent/*/*.c))
LIB_OBJ := $(LIB_SRC:.c=.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:.c=)
# A test may need extra link flags (e.g. -Wl,--wrap=...): tests/unit/test_x.ldflags holds them.
unit_ldflags = $(shell cat $(1).ldflags 2>/dev/null)

# libFuzzer targets: tests/fuzz/fuzz_NAME.c, seed corpus in tests/fuzz/corpus/NAME/.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:.c=)
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 15
# make check runs every fuzz target briefly; longer runs: make check-fuzz FUZZ_SECONDS=600
CHECK_FUZZ_SECONDS ?= 5

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: soak all check check-unit check-cli check-netns check-e2e check-fuzz fuzz install clean setup demo
all: flowguard

setup:
	./scripts/setup.sh

%.o: %.c
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

flowguard: agent/cli/main.o $(LIB_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests/unit/%: tests/unit/%.o $(LIB_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(call unit_ldflags,$@) -o $@ $^ $(LDLIBS) \
		$(shell pkg-config --libs cmocka)

# Each part prints its own "N passed, N failed" line; check runs them all, then fails.
check: flowguard $(UNIT_BIN)
	@rc=0; \
	$(MAKE) --no-print-directory check-unit || rc=1; \
	$(MAKE) --no-print-directory check-cli || rc=1; \
	$(MAKE) --no-print-directory check-netns || rc=1; \
	$(MAKE) --no-print-directory check-e2e || rc=1; \
	$(MAKE) --no-print-directory check-fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) || rc=1; \
	$(MAKE) --no-print-directory -j$$(nproc) analyze || rc=1; \
	$(MAKE) --no-print-directory check-asan || rc=1; \
	$(MAKE) --no-print-directory check-system || rc=1; \
	$(MAKE) --no-print-directory check-fleet || rc=1; \
	exit $$rc

check-cli: flowguard
	@./tests/defaults.sh
	@./tests/detect/run.sh
	@if [ -f tests/cli.sh ]; then sh tests/cli.sh; fi

check-unit: flowguard $(UNIT_BIN)
	@./tests/run-unit.sh $(UNIT_BIN)

check-netns: flowguard
	@if [ -x tests/netns/run.sh ]; then ./tests/netns/run.sh; \
	else echo "netns: no tests yet"; fi

check-e2e: flowguard tests/e2e/clockshim.so
	@./tests/e2e/run.sh

# t_clock.sh's LD_PRELOAD clock offsets. Plain cc: a sanitized preload (check-asan's CC)
# would bring a second sanitizer runtime into the agent.
tests/e2e/clockshim.so: tests/e2e/clockshim.c
	@$(if $(Q),echo "  CC      $@")
	$(Q)cc -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -g -shared -fPIC -o $@ $< -ldl

tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(CPPFLAGS) \
		$(shell pkg-config --cflags $(PKGS)) -o $@ $< $(LIB_SRC) $(LDLIBS)

fuzz: $(FUZZ_BIN)

# Runs every target for FUZZ_SECONDS on its committed corpus (a copy: new inputs stay out).
check-fuzz: fuzz
	@./tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

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

clean:
	rm -f flowguard agent/*/*.o netlink/*.o policies/*.o tests/unit/*.o $(UNIT_BIN) $(FUZZ_BIN) \
		agent/*/*.d netlink/*.d policies/*.d tests/unit/*.d tests/e2e/clockshim.so

-include $(wildcard agent/*/*.d netlink/*.d policies/*.d tests/unit/*.d)

# Benchmarks (issue 8): root, in namespaces bench/run.sh makes; a few minutes. Not part of
# check. BENCH_IDLE_SECONDS=600 gives the issue's 10-minute idle run.
bench/fgbench: bench/fgbench.o $(LIB_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench
bench: flowguard bench/fgbench
	@./bench/run.sh

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
	cd $(DEB_DIR)/src && dpkg-buildpackage -us -uc -b
	@ls -1 $(DEB_DIR)/*.deb

# The acceptance test: the .deb in a booted Debian 12 container (needs root; see
# tests/system/run.sh). Part of "make check": ~55 s with the rootfs cached (make deb ~27 s,
# the test ~25 s), 2-3 min on a fresh machine (debootstrap 60-150 s, once).
# Each run builds into a directory of its own (two runs at once must not clean each other's
# build); the package build's output is shown only when it fails.
check-system:
	@d=build/system.$$$$; mkdir -p $$d; \
	if ! $(MAKE) --no-print-directory deb DEB_DIR=$$d >$$d.log 2>&1; then \
		tail -40 $$d.log; echo "system: 0 passed, 1 failed (make deb; see $$d.log)"; \
		rm -rf $$d; exit 1; fi; \
	./tests/system/run.sh $$d; rc=$$?; rm -rf $$d $$d.log; exit $$rc
-include $(wildcard bench/*.d)

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
# and the role against three booted Debian 12 containers (tests/fleet/run.sh; root).
check-fleet:
	@d=build/fleet.$$$$; mkdir -p $$d; \
	if ! $(MAKE) --no-print-directory deb DEB_DIR=$$d >$$d.log 2>&1; then \
		tail -40 $$d.log; echo "fleet: 0 passed, 1 failed (make deb; see $$d.log)"; \
		rm -rf $$d; exit 1; fi; \
	./tests/fleet/run.sh $$d; rc=$$?; rm -rf $$d $$d.log; exit $$rc

# ---- Static analysis (issue 9): cppcheck and clang-tidy on our own code -----------------
# Any finding fails. Checks and the reason for each one left out: .clang-tidy. A false
# positive is suppressed where it occurs (cppcheck-suppress / NOLINTNEXTLINE) with a reason.
# clang-tidy runs per file into stamps under build/analyze, so "make -j analyze" spreads it
# over the cores and a second run only redoes what changed.
CPPCHECK ?= cppcheck
CLANG_TIDY ?= clang-tidy-14
ANALYZE_SRC := $(wildcard agent/*/*.c netlink/*.c policies/*.c)
ANALYZE_HDR := $(wildcard agent/*/*.h netlink/*.h policies/*.h)
ANALYZE_DIR := build/analyze
.PHONY: analyze analyze-cppcheck analyze-tidy
analyze: analyze-cppcheck analyze-tidy

analyze-cppcheck:
	@echo "  CPPCHECK agent netlink policies"
	$(Q)$(CPPCHECK) --enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
		--quiet -I. -D_GNU_SOURCE -DFG_VERSION='"0"' -DFG_CATALOG_DIR='"/x"' \
		-DFG_CONFIG='"/x"' agent netlink policies

analyze-tidy: $(ANALYZE_SRC:%.c=$(ANALYZE_DIR)/%.ok)

$(ANALYZE_DIR)/%.ok: %.c .clang-tidy $(ANALYZE_HDR)
	@$(if $(Q),echo "  TIDY    $<")
	$(Q)$(CLANG_TIDY) --quiet $< -- -std=gnu11 $(CPPFLAGS) \
		$(shell pkg-config --cflags $(PKGS))
	@mkdir -p $(@D) && touch $@

# ---- Sanitizers (issue 9): unit, CLI and netns suites built with ASan + UBSan ---------
# Builds a copy of the working tree's tracked files in $(ASAN_DIR) (this tree's objects are
# never touched) and runs the suites there; any sanitizer report aborts the test it is in.
ASAN_DIR ?= build/asan
ASAN_CC := $(CC) -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
.PHONY: check-asan
check-asan:
	@rm -rf $(ASAN_DIR) && mkdir -p $(ASAN_DIR)
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
		git ls-files -c | while IFS= read -r f; do { [ -f "$$f" ] || [ -L "$$f" ]; } && \
			printf '%s\n' "$$f"; done | tar -cf - -T - | tar -xf - -C $(ASAN_DIR); \
	else tar --exclude=./build -cf - . | tar -xf - -C $(ASAN_DIR) && $(MAKE) -C $(ASAN_DIR) -s clean; fi
	@cd $(ASAN_DIR) && export CC="$(ASAN_CC)" \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 && \
		$(MAKE) --no-print-directory -s CC="$$CC" CFLAGS='-O1 -g' flowguard $(UNIT_BIN) && \
		rc=0; \
		$(MAKE) --no-print-directory CC="$$CC" CFLAGS='-O1 -g' check-unit || rc=1; \
		$(MAKE) --no-print-directory CC="$$CC" CFLAGS='-O1 -g' check-cli || rc=1; \
		$(MAKE) --no-print-directory CC="$$CC" CFLAGS='-O1 -g' check-netns || rc=1; \
		echo "asan: unit, cli and netns suites $$([ $$rc -eq 0 ] && echo passed || echo FAILED)"; \
		exit $$rc
