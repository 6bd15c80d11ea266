# cprwatch build.  `make help` lists the targets.
#
# BPF objects (one per concern, bpf/*.bpf.c) are linked into one object with
# `bpftool gen object` and embedded into the binaries as a skeleton, so the
# agent ships as one file.

OUTPUT ?= build
CLANG ?= clang
CC ?= cc
CXX ?= c++
BPFTOOL ?= bpftool
# Kernel headers per architecture: vmlinux/$(ARCH)/vmlinux.h (`make vmlinux` writes this host's).
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' \
	  -e 's/s390x/s390/' -e 's/riscv64/riscv/' -e 's/loongarch64/loongarch/')
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_ID := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Include lines name the layer: "lib/cpr.h", "event/procs.h" (see user/README.md).
CPPFLAGS_COMMON := -Iinclude -Iuser -I$(OUTPUT) \
	  -DCPRW_VERSION='"$(VERSION)"' -DCPRW_BUILD_ID='"$(GIT_ID)"' \
	  -DCPRW_SYSCONFDIR='"$(SYSCONFDIR)"' -DCPRW_HELPERDIR='"$(PREFIX)/lib/cprwatch"'
CFLAGS ?= -g -O2
CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation \
	  $(CPPFLAGS_COMMON)
# C++ only for the poppler binding (user/scan/scan_poppler.cc); everything else is C.
POPPLER_CFLAGS := $(shell pkg-config --cflags poppler-cpp 2>/dev/null || echo -I/usr/include/poppler/cpp)
CXXFLAGS ?= -g -O2
CXXFLAGS += -std=gnu++17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
	    $(CPPFLAGS_COMMON) $(POPPLER_CFLAGS)
# The one list of libraries every binary links (the asan and fuzz builds reuse it).
# --as-needed: a binary records only the libraries it calls, so cprwatchd,
# which reaches no format reader (scan/README.md), maps no poppler or libarchive.
LIBS := -Wl,--as-needed -lbpf -lelf -lz -lpthread -lssl -lcrypto -lsystemd -lpoppler-cpp -lstdc++ -lm \
	-larchive -lseccomp
LDLIBS += $(LIBS)
# The sandboxed scanner links only what parsing needs: less code a hostile file can reach.
SCAND_LIBS := -lz -larchive -lseccomp -lpoppler-cpp -lstdc++ -lm

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -D__BPF__ -Wall -Werror \
	      -Iinclude -Ivmlinux/$(ARCH) -Ibpf

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKEL := $(OUTPUT)/cprwatch.skel.h

# Every user/<layer>/*.c is a module of the shared library; user/cmd/ holds the mains.
MAINS := $(wildcard user/cmd/*.c)
LIB_SRCS := $(filter-out $(MAINS),$(wildcard user/*/*.c)) $(wildcard user/*/*.cc)
LIB_OBJS := $(patsubst user/%.cc,$(OUTPUT)/user/%.o,$(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS)))
LIB := $(OUTPUT)/libcprwatch.a
# Test data generators shared by unit tests, integration helpers, fuzz targets and benches.
TESTLIB_SRCS := $(wildcard tests/lib/*.c)

UNIT_SRCS := $(wildcard tests/unit/*.c) $(TESTLIB_SRCS)
UNIT_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(UNIT_SRCS))
UNIT_BIN := $(OUTPUT)/test_unit
TEST_HELPERS := $(patsubst tests/integration/%.c,$(OUTPUT)/tests/%,$(wildcard tests/integration/*.c))
BENCH_BINS := $(patsubst bench/%.c,$(OUTPUT)/bench/%,$(filter-out %.bpf.c,$(wildcard bench/*.c)))
# Bench-only BPF objects (the hook floors of bench/cost.sh), never in the agent.
BENCH_BPF := $(patsubst bench/%.bpf.c,$(OUTPUT)/bench/%.bpf.o,$(wildcard bench/*.bpf.c))

BINS := $(OUTPUT)/cprwatchd $(OUTPUT)/cprwatchctl $(OUTPUT)/cprwatch-scand
# The helper with test-only misbehaviour compiled in (tests/integration/test_sandbox.sh).
TEST_SCAND := $(OUTPUT)/tests/cprwatch-scand-test

.PHONY: bench-quick all deps vmlinux run test test-unit test-integration format format-check asan fuzz fuzz-run bench bench-ab install uninstall \
	clean help check-deps deb
.DELETE_ON_ERROR:

all: $(BINS) $(UNIT_BIN) $(TEST_HELPERS) $(TEST_SCAND) $(BENCH_BINS) $(BENCH_BPF) $(OUTPUT)/cprwatch.bpf.o

help:
	@echo 'make all               build cprwatchd, cprwatchctl, tests and benchmarks'
	@echo 'make deps              install the missing Debian build/test packages (root)'
	@echo 'make run               deps + build + run cprwatchd in the foreground (root)'
	@echo 'make test              deps + build + every unit and integration test (root)'
	@echo 'make test-unit         unit tests only (no root needed)'
	@echo 'make asan              unit tests under AddressSanitizer + UBSan'
	@echo 'make fuzz              build libFuzzer targets into $(OUTPUT)/fuzz'
	@echo 'make fuzz-run          run every fuzz target FUZZ_SECONDS (60) each, kept corpora'
	@echo 'make bench             overhead and throughput benchmarks (root)'
	@echo 'make bench-ab BASE=REV this tree against REV: replay, scanner, mixed load (root)'
	@echo 'make vmlinux           regenerate vmlinux/$$ARCH/vmlinux.h from this kernel'
	@echo 'make install           install binaries, man pages, unit and default config under PREFIX'
	@echo '                       (DESTDIR, PREFIX=/usr/local, SYSCONFDIR=/etc); make uninstall'
	@echo 'make deb               build $(OUTPUT)/cprwatch_$(VERSION)_amd64.deb (DEB_VERSION=... overrides)'
	@echo 'make V=1 ...           show the commands'

# Debian packages the build and the tests use.  `deps` installs only what is missing.
DEB_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libcunit1-dev pkg-config \
	    make gcc jq python3 iproute2 procps zip unzip auditd hyperfine libclang-rt-14-dev \
	    libx11-dev libxcb1-dev xvfb xclip x11-utils \
	    dpkg-dev lintian libsystemd-dev systemd \
	    libssl-dev rsyslog rsyslog-gnutls openssl \
	    libpoppler-cpp-dev poppler-utils qpdf ghostscript python3-cairo \
	    libreoffice-writer libreoffice-calc libreoffice-impress \
	    cups cups-client cups-bsd \
	    libarchive-dev libseccomp-dev p7zip-full xz-utils bzip2 zstd lz4 cpio xorriso clang-format

deps:
	$(Q)missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' \
		|| echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root (apt-get needs it)"; exit 2; fi; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

vmlinux:
	$(Q)mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/tests $(OUTPUT)/bench $(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/bench/%.bpf.o: bench/%.bpf.c | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/cprwatch.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUTPUT)/cprwatch.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name cprwatch_bpf > $@

# Header dependencies are generated (-MMD -MP): an object rebuilds when a header it includes changes.
$(OUTPUT)/user/%.o: user/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/user/%.o: user/%.cc
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(CXXFLAGS) -MMD -MP -c $< -o $@

# The default config is embedded: packaging/cprwatch.conf is the one place defaults live.
$(OUTPUT)/default_conf.inc: packaging/cprwatch.conf | $(OUTPUT)
	$(Q)sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@

$(OUTPUT)/user/agent/config.o $(OUTPUT)/fuzz/obj/agent/config.o: $(OUTPUT)/default_conf.inc

# Only the loader includes the generated skeleton.
$(OUTPUT)/user/agent/loader.o: $(SKEL)

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/%: user/cmd/%.c $(LIB) $(SKEL)
	$(call msg,BIN,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< $(LIB) $(LDLIBS) -o $@

$(OUTPUT)/cprwatch-scand: user/cmd/cprwatch-scand.c $(LIB)
	$(call msg,BIN,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< $(LIB) $(SCAND_LIBS) -o $@

$(TEST_SCAND): user/cmd/cprwatch-scand.c user/scan/scand.c $(LIB) | $(OUTPUT)/tests
	$(call msg,BIN,$@)
	$(Q)$(CC) $(CFLAGS) -DCPRW_SCAND_TEST $(filter %.c,$^) $(LIB) $(SCAND_LIBS) -o $@

$(OUTPUT)/tests/unit/%.o $(OUTPUT)/tests/lib/%.o: CFLAGS += -Itests/unit -Itests/lib
$(OUTPUT)/tests/%.o: tests/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(UNIT_BIN): $(UNIT_OBJS) $(LIB)
	$(call msg,BIN,$@)
	$(Q)$(CC) $(CFLAGS) $(UNIT_OBJS) $(LIB) $(LDLIBS) -lcunit -o $@

# Integration helpers may use the synthetic data generators in tests/lib.
$(OUTPUT)/tests/%: tests/integration/%.c $(TESTLIB_SRCS) $(LIB) | $(OUTPUT)/tests
	$(call msg,BIN,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/lib -MMD -MP $< $(TESTLIB_SRCS) $(LIB) $(LDLIBS) -o $@

# The X11 clipboard client of tests/integration/test_clipboard.sh speaks Xlib and xcb;
# bench/x11_loop.c (the X11 request loop of bench/cost.sh) speaks xcb.
$(OUTPUT)/tests/x11_clip: LDLIBS += -lX11 -lxcb
$(OUTPUT)/bench/x11_loop: LDLIBS += -lxcb

$(OUTPUT)/bench/%: bench/%.c $(TESTLIB_SRCS) $(LIB) | $(OUTPUT)/bench
	$(call msg,BIN,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/lib -MMD -MP $< $(TESTLIB_SRCS) $(LIB) $(LDLIBS) -o $@

run: deps
	$(Q)$(MAKE) --no-print-directory all
	./$(OUTPUT)/cprwatchd --events $(RUN_ARGS)

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory test-unit
	$(Q)$(MAKE) --no-print-directory test-integration

# The layer rule of user/ (user/README.md) and the house style (.clang-format)
# are part of the unit tests.
test-unit: $(UNIT_BIN)
	$(Q)bash tests/layers.sh
	$(Q)$(MAKE) --no-print-directory format-check
	$(Q)cd tests && ../$(UNIT_BIN)

# Every C file we own (not vmlinux.h) in kernel style; `make format` rewrites them.
# tracked files and new ones not yet added (ignored ones, build/, left out)
FORMAT_SRCS = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null | grep -v '^vmlinux/')

format:
	$(Q)clang-format-14 -i $(FORMAT_SRCS)

format-check:
	$(Q)$(if $(FORMAT_SRCS),,true ||) clang-format-14 --dry-run -Werror $(FORMAT_SRCS) || \
		{ echo "format-check: run 'make format' (style: .clang-format)" >&2; exit 1; }

test-integration: $(BINS) $(TEST_HELPERS) $(TEST_SCAND)
	$(Q)OUTPUT=$(abspath $(OUTPUT)) bash tests/integration/run.sh

# Sanitizer build: everything in its own tree, then the unit suite and fuzz corpora.
# CFLAGS goes through the environment so the Makefile's own `CFLAGS +=` still applies.
asan:
	$(Q)CFLAGS='-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -Wno-unknown-warning-option' \
		CXXFLAGS='-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' \
		$(MAKE) --no-print-directory OUTPUT=build-asan CC=clang CXX=clang++ \
		LDLIBS='$(LIBS) -fsanitize=address,undefined' build-asan/test_unit
	$(Q)cd tests && ASAN_OPTIONS=detect_leaks=1 ../build-asan/test_unit

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_CFLAGS := -g -O1 -fsanitize=address,undefined -std=gnu11 -D_GNU_SOURCE $(CPPFLAGS_COMMON)

# Fuzz targets link an instrumented archive of the modules, so a target pulls in only
# the parsers it calls (never the BPF loader).
FUZZ_OBJS := $(patsubst user/%,$(OUTPUT)/fuzz/obj/%.o,\
	     $(basename $(filter-out user/agent/loader.c,$(LIB_SRCS))))

$(OUTPUT)/fuzz/obj/%.o: user/%.c
	$(Q)mkdir -p $(dir $@)
	$(call msg,FUZZCC,$@)
	$(Q)clang $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link -c $< -o $@

$(OUTPUT)/fuzz/obj/%.o: user/%.cc
	$(Q)mkdir -p $(dir $@)
	$(call msg,FUZZCXX,$@)
	$(Q)clang++ $(subst -std=gnu11,-std=gnu++17,$(FUZZ_CFLAGS)) $(POPPLER_CFLAGS) -MMD -MP \
		-fsanitize=fuzzer-no-link -c $< -o $@

$(OUTPUT)/fuzz/libfuzz.a: $(FUZZ_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/fuzz/%: tests/fuzz/%.c $(OUTPUT)/fuzz/libfuzz.a $(TESTLIB_SRCS) | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)clang $(FUZZ_CFLAGS) -Itests/lib -MMD -MP -fsanitize=fuzzer $< $(TESTLIB_SRCS) \
		$(OUTPUT)/fuzz/libfuzz.a $(LIBS) -o $@

fuzz: $(FUZZ_BINS)

# Every target for FUZZ_SECONDS each with the kept corpora (tests/fuzz/run.sh).
FUZZ_SECONDS ?= 60
fuzz-run: $(FUZZ_BINS) $(UNIT_BIN)
	$(Q)OUTPUT=$(abspath $(OUTPUT)) FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh \
		$(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUTPUT=$(abspath $(OUTPUT)) bash bench/run.sh

# a smoke run of every benchmark in a few minutes (bench/run.sh BENCH_QUICK)
bench-quick: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BENCH_QUICK=1 OUTPUT=$(abspath $(OUTPUT)) bash bench/run.sh

# Before/after in one run: make bench-ab BASE=<rev> (bench/ab.sh builds it in a temporary worktree).
bench-ab: deps
	$(Q)test -n "$(BASE)" || { echo 'usage: make bench-ab BASE=<rev>' >&2; exit 2; }
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUTPUT=$(abspath $(OUTPUT)) bash bench/ab.sh $(BASE)

# ---- install, uninstall, deb (owned by packaging; see packaging/README.md) ----
# The package installs with PREFIX=/usr; the config path is compiled in from SYSCONFDIR.
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
STATEDIR ?= /var/lib/cprwatch
LOGDIR ?= /var/log/cprwatch
DEB_VERSION ?= $(VERSION)

install: $(BINS)
	install -d -m 0755 $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/cprwatch
	install -m 0755 $(OUTPUT)/cprwatchd $(OUTPUT)/cprwatchctl $(DESTDIR)$(PREFIX)/sbin/
	install -d -m 0755 $(DESTDIR)$(PREFIX)/lib/cprwatch
	install -m 0755 $(OUTPUT)/cprwatch-scand $(DESTDIR)$(PREFIX)/lib/cprwatch/
	install -d -m 0755 $(DESTDIR)$(PREFIX)/lib/sysusers.d
	install -m 0644 packaging/sysusers.conf $(DESTDIR)$(PREFIX)/lib/sysusers.d/cprwatch.conf
	install -m 0644 man/cprwatchd.8 man/cprwatchctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/cprwatch.conf.5 $(DESTDIR)$(MANDIR)/man5/
	sed 's|/usr/sbin/cprwatchd|$(PREFIX)/sbin/cprwatchd|' packaging/cprwatchd.service \
		> $(DESTDIR)$(UNITDIR)/cprwatchd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/cprwatchd.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/cprwatch/cprwatch.conf ] || \
		install -m 0600 packaging/cprwatch.conf $(DESTDIR)$(SYSCONFDIR)/cprwatch/cprwatch.conf
	install -d -m 0700 $(DESTDIR)$(STATEDIR) $(DESTDIR)$(STATEDIR)/spool $(DESTDIR)$(LOGDIR)
	$(Q)[ -n "$(DESTDIR)" ] || [ ! -d /run/systemd/system ] || systemctl daemon-reload

# Keeps the config, the spool and the alert log, as `dpkg -r` does.
uninstall:
	$(Q)[ -n "$(DESTDIR)" ] || [ ! -d /run/systemd/system ] || \
		systemctl disable --now cprwatchd.service 2>/dev/null || true
	rm -f $(DESTDIR)$(PREFIX)/sbin/cprwatchd $(DESTDIR)$(PREFIX)/sbin/cprwatchctl \
		$(DESTDIR)$(PREFIX)/lib/cprwatch/cprwatch-scand \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d/cprwatch.conf \
		$(DESTDIR)$(MANDIR)/man8/cprwatchd.8 $(DESTDIR)$(MANDIR)/man8/cprwatchctl.8 \
		$(DESTDIR)$(MANDIR)/man5/cprwatch.conf.5 $(DESTDIR)$(UNITDIR)/cprwatchd.service
	@echo 'kept $(SYSCONFDIR)/cprwatch, $(STATEDIR) and $(LOGDIR); delete them to purge'

# Hardened release build in $(OUTPUT)/deb/obj, staged with `make install`, packed with dpkg-deb.
deb:
	$(Q)OUTPUT='$(OUTPUT)' DEB_VERSION='$(DEB_VERSION)' MAKE='$(MAKE)' bash packaging/build-deb.sh
# ---- end of packaging targets ----

clean:
	rm -rf $(OUTPUT) build-asan

# Generated header dependencies of every object and binary built so far.
-include $(shell find $(OUTPUT) -type f -name '*.d' 2>/dev/null)
