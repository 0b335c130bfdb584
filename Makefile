# logstreamd: see README.md.  `make run` and `make check` install what is
# missing (apt-get), build and then run the daemon or every test.

PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
CFLAGS	?= -O2 -g
PKGS	 = libevent libevent_pthreads libevent_openssl openssl jansson \
	   libsystemd libpcre2-8 inih zlib libdeflate rdkafka
WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-unused-parameter
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(CFLAGS) $(WARN) $(WERROR) -std=gnu11 -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) \
	     -pthread -MMD -MP
LDLIBS	+= $(PKG_LIBS) -pthread -lm

SRCS	 = $(wildcard daemon/*.c)
OBJS	 = $(SRCS:daemon/%.c=build/%.o)
LIBOBJS	 = $(filter-out build/main.o,$(OBJS))
UNITS	 = $(patsubst tests/unit/%.c,build/%,$(wildcard tests/unit/test_*.c))

# Debian packages for building and for the tests (real senders and tools).
# Every tool a test, tests/tools/systemd-ns or a test helper calls, by its
# package: nc netcat-openbsd; logger bsdutils; prlimit setpriv nsenter
# unshare setsid mountpoint flock util-linux; losetup mount umount mount;
# mkfs.ext4 e2fsprogs; ps pgrep procps; systemctl journalctl
# systemd-analyze systemd-socket-activate /lib/systemd/systemd systemd;
# rsyslogd rsyslog (+ its ossl driver rsyslog-openssl); jq; curl; kcat;
# openssl; strace; python3 (stdlib only: json, socket, ssl, gzip, ...);
# timeout split comm sha256sum install mkfifo stat df truncate coreutils;
# zcat gzip; ischroot debianutils; hostname; awk mawk; man man-db; nm
# binutils; the LD_PRELOAD shim build/clockshift.so build-essential.  No
# test may rely on the name localhost: a debootstrap root has no
# /etc/hosts, and a stock one resolves it to ::1 first.  The
# ones a minimal Debian root already has are listed too: deps.sh asks
# dpkg, so they cost nothing, and the list stays the whole truth.
DEB_BUILD = build-essential pkg-config libevent-dev libjansson-dev \
	    libsystemd-dev libcmocka-dev libinih-dev libpcre2-dev zlib1g-dev \
	    libdeflate-dev librdkafka-dev libssl-dev \
	    clang libclang-rt-14-dev
DEB_TEST  = netcat-openbsd bsdutils util-linux mount rsyslog jq curl \
	    python3 procps e2fsprogs psmisc systemd man-db strace kcat \
	    openssl rsyslog-openssl coreutils gzip debianutils hostname mawk \
	    binutils chromium
# make deb and tests/integration/t_deb.sh (dpkg-buildpackage, dh, lintian).
DEB_PKG	  = dpkg-dev debhelper lintian
VERSION	 = $(shell cat VERSION 2>/dev/null || echo 0.0.0)

all: logstreamd

logstreamd: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

build/%.o: daemon/%.c | build
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -DLOGSTREAMD_VERSION='"$(VERSION)"' -c -o $@ $<

# librdkafka's mock cluster, the Kafka broker of tests/integration/t_kafka.sh.
build/kafka-mock: tests/tools/kafka-mock.c | build
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS)

build/test_%: tests/unit/test_%.c $(LIBOBJS) | build
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS) -lcmocka

build:
	mkdir -p build

# Install what is missing, as root (apt-get) or through sudo.
deps:
	@./tests/deps.sh $(DEB_BUILD) $(DEB_TEST) $(DEB_PKG)

run:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory WERROR=-Werror logstreamd
	mkdir -p var
	./logstreamd -c conf/logstreamd.conf

unit: $(UNITS)
	@set -e; for t in $(UNITS); do echo "== $$t"; ./$$t; done

integration: logstreamd build/kafka-mock build/lsflood build/clockshift.so
	@./tests/integration/run-all.sh

# Everything: the -Werror build, unit tests, the integration suite, the
# live page in headless Chromium (tests/ui/t_page.sh), a short pass of every fuzz harness (seeds, fuzzing, malloc failure) and the
# hostile-input integration tests again under ASan+UBSan.
check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory WERROR=-Werror logstreamd $(UNITS)
	@$(MAKE) --no-print-directory WERROR=-Werror unit
	@$(MAKE) --no-print-directory integration
	@bash tests/ui/t_page.sh
	@$(MAKE) --no-print-directory WERROR=-Werror fuzz-smoke
	@$(MAKE) --no-print-directory WERROR=-Werror integration-asan

# The live page in headless Chromium alone (make check runs it too).
check-ui:
	@./tests/deps.sh chromium
	@$(MAKE) --no-print-directory WERROR=-Werror logstreamd
	@bash tests/ui/t_page.sh

# Per-stage CPU cost on one thread (parser, JSON encoder): make bench prints it.
build/stagebench: tests/bench/stagebench.c $(LIBOBJS) | build
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS)

build/lsflood: tests/tools/lsflood.c | build
	$(CC) $(CFLAGS) $(WARN) $(WERROR) -o $@ $<

# LD_PRELOAD shim that steps the wall clock (tests/integration/t_faults_time.sh).
build/clockshift.so: tests/tools/clockshift.c | build
	$(CC) $(CFLAGS) $(WARN) $(WERROR) -fPIC -shared -o $@ $< -ldl -pthread

# Sanitizers: the daemon with ASan+UBSan (./logstreamd-asan) and one
# libFuzzer harness per parser, the framer, the multiline joiner, the
# config reader, the classifier, the two escapers, the expression
# language, the stored-line scanner and decoder (tests/fuzz/).  fm_* are the same
# harnesses in the malloc-failure mode.
SAN	 = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	   -fno-omit-frame-pointer
SAN_CFLAGS = -O1 -g $(SAN) $(WARN) $(WERROR) -std=gnu11 -D_GNU_SOURCE \
	     -Iinclude -Idaemon -Itests/fuzz $(PKG_CFLAGS) -pthread
ASAN_OBJS = $(SRCS:daemon/%.c=build-asan/%.o)
FUZZ_OBJS = $(filter-out build-fuzz/main.o,$(SRCS:daemon/%.c=build-fuzz/%.o))
FUZZ_PARSERS = rfc5424 rfc3164 json logfmt
FUZZ_OTHERS = frame config classifier jsonenc alertesc multiline expr storeidx \
	      kdec
FUZZ_ALL = $(FUZZ_PARSERS) $(FUZZ_OTHERS)
FUZZ_BINS = $(FUZZ_ALL:%=build-fuzz/fuzz_%)
FM_BINS	 = $(FUZZ_ALL:%=build-fuzz/fm_%)
FUZZ_SECONDS ?= 60
FUZZ_SMOKE ?= 3
FM_WRAP	 = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc \
	   -Wl,--wrap=reallocarray,--wrap=strdup,--wrap=strndup
FUZZ_DEPS = tests/fuzz/fuzz_common.c tests/fuzz/fuzz_common.h $(FUZZ_OBJS) \
	    $(wildcard include/*.h daemon/*.h)

asan: logstreamd-asan

logstreamd-asan: $(ASAN_OBJS)
	clang $(SAN) -o $@ $(ASAN_OBJS) $(LDLIBS)

build-asan/%.o: daemon/%.c | build-asan
	clang $(SAN_CFLAGS) -MMD -MP -DLOGSTREAMD_VERSION='"$(VERSION)"' -c -o $@ $<

build-fuzz/%.o: daemon/%.c | build-fuzz
	clang $(SAN_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link \
	    -DLOGSTREAMD_VERSION='"$(VERSION)"' -c -o $@ $<

build-asan build-fuzz:
	mkdir -p $@

$(FUZZ_PARSERS:%=build-fuzz/fuzz_%): build-fuzz/fuzz_%: \
    tests/fuzz/fuzz_parser.c $(FUZZ_DEPS)
	clang $(SAN_CFLAGS) -fsanitize=fuzzer -DFUZZ_FMT=$* -o $@ $< \
	    tests/fuzz/fuzz_common.c $(FUZZ_OBJS) $(LDLIBS)

$(FUZZ_OTHERS:%=build-fuzz/fuzz_%): build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c \
    $(FUZZ_DEPS)
	clang $(SAN_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    tests/fuzz/fuzz_common.c $(FUZZ_OBJS) $(LDLIBS)

build-fuzz/failmalloc.o: tests/fuzz/failmalloc.c | build-fuzz
	clang $(SAN_CFLAGS) -c -o $@ $<

$(FUZZ_PARSERS:%=build-fuzz/fm_%): build-fuzz/fm_%: tests/fuzz/fuzz_parser.c \
    build-fuzz/failmalloc.o $(FUZZ_DEPS)
	clang $(SAN_CFLAGS) -fsanitize=fuzzer -DFUZZ_FMT=$* \
	    -DLLVMFuzzerTestOneInput=fuzz_one -o $@ $< \
	    tests/fuzz/fuzz_common.c build-fuzz/failmalloc.o $(FUZZ_OBJS) \
	    $(FM_WRAP) $(LDLIBS)

$(FUZZ_OTHERS:%=build-fuzz/fm_%): build-fuzz/fm_%: tests/fuzz/fuzz_%.c \
    build-fuzz/failmalloc.o $(FUZZ_DEPS)
	clang $(SAN_CFLAGS) -fsanitize=fuzzer \
	    -DLLVMFuzzerTestOneInput=fuzz_one -o $@ $< \
	    tests/fuzz/fuzz_common.c build-fuzz/failmalloc.o $(FUZZ_OBJS) \
	    $(FM_WRAP) $(LDLIBS)

fuzz-build: $(FUZZ_BINS) $(FM_BINS)

# Each harness for FUZZ_SECONDS on a work corpus seeded from the repo's.
fuzz: fuzz-build
	@./tests/fuzz/run.sh fuzz $(FUZZ_SECONDS) $(FUZZ_ALL)

# make check: the seeds, a short fuzz run and the malloc-failure mode.
fuzz-smoke: fuzz-build
	@./tests/fuzz/run.sh smoke $(FUZZ_SMOKE) $(FUZZ_ALL)

# The integration suite under ASan+UBSan, every test but ASAN_SKIP
# (`make integration-asan ASAN_SKIP=` runs them all).  Left out of make
# check: t_systemd and t_syslog_unit, which install and run the plain build
# under systemd, and t_deb, which builds and installs the Debian package.
# (t_durability runs its repair, symlink and signal parts under ASan, its
# SIGKILL rounds and strace fsync order in the plain pass only.)
ASAN_SKIP ?= t_systemd t_syslog_unit t_deb
ASAN_TESTS ?= $(filter-out $(ASAN_SKIP),$(patsubst \
	      tests/integration/%.sh,%,$(wildcard tests/integration/t_*.sh)))
integration-asan: logstreamd-asan build/kafka-mock build/lsflood build/clockshift.so
	@./tests/integration/run-asan.sh $(ASAN_TESTS)

bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory WERROR=-Werror logstreamd build/lsflood
	./tests/bench/bench.sh $(BENCH_ARGS)

# The KEYS section of logstreamd.conf(5), rewritten from the key table
# (logstreamd --keys) when it differs; t_keys_doc fails while the committed
# page is not what this makes.
man: logstreamd
	@./tests/tools/mankeys.sh ./logstreamd man/logstreamd.conf.5

# The Debian package (debian/, debhelper) in build/deb/, lintian-clean; see
# tests/tools/mkdeb.sh.  DEB_VERSION=V builds it as version V.
DEB_VERSION ?=
deb:
	@./tests/deps.sh $(DEB_BUILD) $(DEB_PKG)
	@./tests/tools/mkdeb.sh $(DEB_VERSION)

BINDIR	 = $(PREFIX)/bin
UNITDIR	?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
MANDIR	?= $(PREFIX)/share/man
# Every unit in systemd/, by rule (X.in is X with @BINDIR@ filled in).
SYSTEMD_UNITS = $(sort $(patsubst %.in,%,$(wildcard systemd/*.service \
		systemd/*.socket systemd/*.service.in systemd/*.socket.in)))

# As the Debian package does: the system user logstreamd and the setgid
# directory /var/log/logstreamd of group adm (sysusers.d, tmpfiles.d; made
# here unless DESTDIR stages a package, whose postinst makes them).
install: logstreamd man
	install -D -m 0755 logstreamd $(DESTDIR)$(BINDIR)/logstreamd
	install -d $(DESTDIR)/etc/logstreamd $(DESTDIR)$(UNITDIR)
	[ -e $(DESTDIR)/etc/logstreamd/logstreamd.conf ] || \
	    sed -e 's|\.\./var/|/var/log/logstreamd/|' conf/logstreamd.conf > \
	    $(DESTDIR)/etc/logstreamd/logstreamd.conf
	for u in $(SYSTEMD_UNITS); do \
	    s=$$u; [ -e $$u.in ] && s=$$u.in; \
	    f=$(DESTDIR)$(UNITDIR)/$${u#systemd/}; \
	    sed -e 's|@BINDIR@|$(BINDIR)|g' $$s > $$f && chmod 0644 $$f || exit 1; \
	done
	install -D -m 0644 systemd/logstreamd.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/logstreamd.conf
	install -D -m 0644 systemd/logstreamd.tmpfiles \
	    $(DESTDIR)$(TMPFILESDIR)/logstreamd.conf
	install -D -m 0644 man/logstreamd.8 $(DESTDIR)$(MANDIR)/man8/logstreamd.8
	install -D -m 0644 man/logstreamd.conf.5 \
	    $(DESTDIR)$(MANDIR)/man5/logstreamd.conf.5
	@if [ -n "$(DESTDIR)" ]; then :; \
	elif command -v systemd-sysusers >/dev/null; then \
	    systemd-sysusers $(SYSUSERSDIR)/logstreamd.conf && \
	    systemd-tmpfiles --create $(TMPFILESDIR)/logstreamd.conf; \
	else \
	    { getent passwd logstreamd >/dev/null || useradd --system \
	    --user-group --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin logstreamd; } && \
	    install -d -m 2750 -o logstreamd -g adm /var/log/logstreamd; \
	fi

# The config in /etc, the user and /var/log/logstreamd stay: the first is
# the administrator's, files the user owned may remain (a Debian purge also
# keeps the user; it removes the logs).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/logstreamd \
	    $(SYSTEMD_UNITS:systemd/%=$(DESTDIR)$(UNITDIR)/%) \
	    $(DESTDIR)$(SYSUSERSDIR)/logstreamd.conf \
	    $(DESTDIR)$(TMPFILESDIR)/logstreamd.conf \
	    $(DESTDIR)$(MANDIR)/man8/logstreamd.8 \
	    $(DESTDIR)$(MANDIR)/man5/logstreamd.conf.5

format:
	clang-format -i daemon/*.c include/*.h tests/unit/*.c

clean:
	rm -rf build build-asan build-fuzz logstreamd logstreamd-asan \
	    systemd/logstreamd.service systemd/logstreamd-syslog.service

.PHONY: all deps run unit integration check check-ui bench man deb install \
	uninstall format clean

-include $(OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
