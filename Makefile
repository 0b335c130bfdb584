# logstreamd: see README.md.  `make run` and `make check` install what is
# missing (apt-get), build and then run the daemon or every test.

PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
CFLAGS	?= -O2 -g
PKGS	 = libevent libevent_pthreads jansson libsystemd libpcre2-8 inih zlib \
	   rdkafka
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
DEB_BUILD = build-essential pkg-config libevent-dev libjansson-dev \
	    libsystemd-dev libcmocka-dev libinih-dev libpcre2-dev zlib1g-dev \
	    librdkafka-dev
DEB_TEST  = netcat-openbsd bsdutils util-linux rsyslog jq curl python3 \
	    procps e2fsprogs psmisc systemd man-db kcat
VERSION	 = $(shell cat VERSION 2>/dev/null || echo 0.0.0)

all: logstreamd

logstreamd: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

build/%.o: daemon/%.c | build
	$(CC) $(ALL_CFLAGS) -DLOGSTREAMD_VERSION='"$(VERSION)"' -c -o $@ $<

# librdkafka's mock cluster, the Kafka broker of tests/integration/t_kafka.sh.
build/kafka-mock: tests/tools/kafka-mock.c | build
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS)

build/test_%: tests/unit/test_%.c $(LIBOBJS) | build
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS) -lcmocka

build:
	mkdir -p build

# Install what is missing, as root (apt-get) or through sudo.
deps:
	@./tests/deps.sh $(DEB_BUILD) $(DEB_TEST)

run:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory WERROR=-Werror logstreamd
	mkdir -p var
	./logstreamd -c conf/logstreamd.conf

unit: $(UNITS)
	@set -e; for t in $(UNITS); do echo "== $$t"; ./$$t; done

integration: logstreamd build/kafka-mock
	@./tests/integration/run-all.sh

check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory WERROR=-Werror logstreamd $(UNITS)
	@$(MAKE) --no-print-directory WERROR=-Werror unit
	@$(MAKE) --no-print-directory integration

# The live page in headless Chromium (not in check: needs chromium, ~10 s).
check-ui:
	@./tests/deps.sh chromium
	@$(MAKE) --no-print-directory WERROR=-Werror logstreamd
	@bash tests/ui/t_page.sh

build/lsflood: tests/tools/lsflood.c | build
	$(CC) $(CFLAGS) $(WARN) $(WERROR) -o $@ $<

bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory WERROR=-Werror logstreamd build/lsflood
	./tests/bench/bench.sh $(BENCH_ARGS)

BINDIR	 = $(PREFIX)/bin
UNITDIR	?= /lib/systemd/system
MANDIR	?= $(PREFIX)/share/man

systemd/logstreamd.service: systemd/logstreamd.service.in
	sed -e 's|@BINDIR@|$(BINDIR)|g' $< > $@

install: logstreamd systemd/logstreamd.service
	install -D -m 0755 logstreamd $(DESTDIR)$(BINDIR)/logstreamd
	install -d $(DESTDIR)/etc/logstreamd
	[ -e $(DESTDIR)/etc/logstreamd/logstreamd.conf ] || \
	    sed -e 's|\.\./var/|/var/log/logstreamd/|' conf/logstreamd.conf > \
	    $(DESTDIR)/etc/logstreamd/logstreamd.conf
	install -D -m 0644 systemd/logstreamd.service \
	    $(DESTDIR)$(UNITDIR)/logstreamd.service
	install -D -m 0644 systemd/logstreamd.socket \
	    $(DESTDIR)$(UNITDIR)/logstreamd.socket
	install -D -m 0644 man/logstreamd.8 $(DESTDIR)$(MANDIR)/man8/logstreamd.8
	install -D -m 0644 man/logstreamd.conf.5 \
	    $(DESTDIR)$(MANDIR)/man5/logstreamd.conf.5

# The config in /etc stays: it is the administrator's.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/logstreamd \
	    $(DESTDIR)$(UNITDIR)/logstreamd.service \
	    $(DESTDIR)$(UNITDIR)/logstreamd.socket \
	    $(DESTDIR)$(MANDIR)/man8/logstreamd.8 \
	    $(DESTDIR)$(MANDIR)/man5/logstreamd.conf.5

format:
	clang-format -i daemon/*.c include/*.h tests/unit/*.c

clean:
	rm -rf build logstreamd systemd/logstreamd.service

.PHONY: all deps run unit integration check check-ui bench install uninstall format clean

-include $(OBJS:.o=.d)
