# hookpipe: small Unix filters for webhooks, queues, object storage and chat.
# Plain make: `make`, `make check`, `make demo`, `make install`.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
COMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
LDFLAGS ?=
CPPFLAGS ?=
VERSION = 0.1.0

PKGS = libcurl jansson yaml-0.1 libcrypto libssl libh2o-evloop expat sqlite3
# kept apart from CFLAGS so a user's CFLAGS cannot drop them
HP_CFLAGS = -std=c11 -Wall -Wextra -D_GNU_SOURCE -Ilib \
	-DHOOKPIPE_VERSION='"$(VERSION)"' -DH2O_USE_LIBUV=0 $(WERROR) \
	$$(pkg-config --cflags $(PKGS) 2>/dev/null)
HP_LIBS = -Wl,--as-needed $$(pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

# what each tool links (mblaze-style lines): a tool takes only the
# packages its code uses; a new tool adds its line here
LIBS_job-fetch = libcurl jansson libcrypto
LIBS_pubsub-ack = libcurl jansson libcrypto
LIBS_pubsub-publish = libcurl jansson libcrypto
LIBS_pubsub-pull = libcurl jansson libcrypto
LIBS_s3-get = libcurl jansson libcrypto expat
LIBS_s3-put = libcurl jansson libcrypto expat
LIBS_s3-done = libcurl jansson libcrypto expat sqlite3
LIBS_s3-scan = libcurl jansson libcrypto expat sqlite3
LIBS_s3-sign = libcurl jansson libcrypto expat
LIBS_slack-post = libcurl jansson libcrypto
LIBS_sns-publish = libcurl jansson libcrypto expat
LIBS_sqs-delete = libcurl jansson libcrypto expat
LIBS_sqs-poll = libcurl jansson libcrypto expat
LIBS_sqs-send = libcurl jansson libcrypto expat
LIBS_wh-listen = libcurl jansson yaml-0.1 libcrypto libssl libh2o-evloop sqlite3
LIBS_wh-route = libcurl jansson yaml-0.1 libcrypto expat sqlite3
LIBS_wh-send = libcurl jansson libcrypto
tool_libs = -Wl,--as-needed \
	$$(pkg-config --libs $(or $(LIBS_$(1)),$(error no LIBS_$(1) line in the Makefile))) \
	-lpthread -lm

ifeq ($(SANITIZE),1)
B = build-san
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
else
B = build
SAN =
endif

LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(B)/%.o)
LIB_HDR = $(wildcard lib/*.h)
# a tool is cmd/NAME.c, or a folder cmd/NAME/ of .c files and a private
# header when one file would pass the budget (ARCHITECTURE in README)
FILE_TOOLS = $(notdir $(basename $(wildcard cmd/*.c)))
DIR_TOOLS = $(notdir $(patsubst %/,%,$(wildcard cmd/*/)))
TOOLS = $(FILE_TOOLS) $(DIR_TOOLS)
BINS = $(TOOLS:%=$(B)/bin/%)
UNIT = $(notdir $(basename $(wildcard tests/unit/*.c)))
UNIT_BINS = $(UNIT:%=$(B)/unit/%)
FUZZ = $(notdir $(basename $(wildcard tests/fuzz/*.c)))
MANS = $(wildcard man/*.1 man/*.5 man/*.7)

all: $(BINS) $(B)/completion/hookpipe

# bash completion, from the tools' own usage strings
$(B)/completion/hookpipe: $(BINS) scripts/gen-completion
	@mkdir -p $(@D)
	sh scripts/gen-completion $(B) $(TOOLS) > $@.tmp && mv $@.tmp $@

# every package pkg-config must know, checked once: a missing one stops
# the build with its name, not with a compiler error about a header
$(B)/.pkgs:
	@mkdir -p $(@D)
	@for p in $(PKGS); do pkg-config --exists $$p || { \
		echo "make: pkg-config does not know $$p (run: make deps)" >&2; \
		miss=1; }; done; [ -z "$$miss" ]
	@touch $@

$(B)/lib/%.o: lib/%.c $(LIB_HDR) | $(B)/.pkgs
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(HP_CFLAGS) -c -o $@ $<

$(B)/lib/libhookpipe.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(B)/bin/%: cmd/%.c $(B)/lib/libhookpipe.a $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(HP_CFLAGS) -o $@ $< $(B)/lib/libhookpipe.a \
		$(LDFLAGS) $(call tool_libs,$*)

$(B)/cmd/%.o: cmd/%.c $(LIB_HDR) $(wildcard cmd/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(HP_CFLAGS) -Icmd/$(notdir $(@D)) -c -o $@ $<

define DIR_TOOL
$(B)/bin/$(1): $(patsubst %.c,$(B)/%.o,$(wildcard cmd/$(1)/*.c)) \
    $(B)/lib/libhookpipe.a
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(SAN) -o $$@ $$(filter %.o,$$^) \
		$(B)/lib/libhookpipe.a $$(LDFLAGS) $$(call tool_libs,$(1))
endef
$(foreach t,$(DIR_TOOLS),$(eval $(call DIR_TOOL,$(t))))

$(B)/unit/%: tests/unit/%.c tests/unit/tap.h tests/hdrs.h $(B)/lib/libhookpipe.a \
    $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(HP_CFLAGS) -o $@ $< $(B)/lib/libhookpipe.a \
		$(LDFLAGS) $(HP_LIBS)

# libFuzzer targets, built with clang apart from the normal objects: lib/
# once into $(B)/fuzz/lib, each target links it.  Without clang they are
# not built and fuzz.t says it skipped them.
HAVE_CLANG := $(shell command -v clang >/dev/null 2>&1 && echo yes)
FUZZ_CC = clang -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined $(HP_CFLAGS)
FUZZ_OBJ = $(LIB_SRC:lib/%.c=$(B)/fuzz/lib/%.o)

$(B)/fuzz/lib/%.o: lib/%.c $(LIB_HDR) | $(B)/.pkgs
	@mkdir -p $(@D)
	$(FUZZ_CC) -c -o $@ $<

$(B)/fuzz/libfuzzlib.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $(FUZZ_OBJ)

$(B)/fuzz/%: tests/fuzz/%.c tests/hdrs.h $(B)/fuzz/libfuzzlib.a $(LIB_HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) -fsanitize=fuzzer -o $@ $< $(B)/fuzz/libfuzzlib.a $(HP_LIBS)

ifeq ($(HAVE_CLANG),yes)
fuzz-build: $(FUZZ:%=$(B)/fuzz/%)
else
fuzz-build:
	@echo "make: no clang: the fuzz targets are not built (fuzz.t skips them)"
endif

# long fuzzing runs by hand: make fuzz FUZZ_SECONDS=600; an input that
# takes more memory than FUZZ_MEM says is a finding (a blow-up), as a crash
FUZZ_SECONDS ?= 60
FUZZ_MEM ?= -rss_limit_mb=2048 -malloc_limit_mb=512
fuzz: fuzz-build
	for f in $(FUZZ); do \
		mkdir -p $(B)/corpus/$$f; \
		$(B)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) $(FUZZ_MEM) \
			-timeout=10 \
			$(B)/corpus/$$f tests/fuzz/corpus/$$f || exit 1; \
	done

deps:
	sh scripts/deps

check:
	@sh scripts/deps --check >/dev/null 2>&1 || sh scripts/deps
	$(MAKE) WERROR=-Werror all-tests
	@sh scripts/runtests $(B)

all-tests: all $(UNIT_BINS) fuzz-build

lint:
	@sh scripts/deps --check >/dev/null 2>&1 || sh scripts/deps
	mandoc -Tlint -W warning $(MANS)
	$(MAKE) clean
	$(MAKE) WERROR=-Werror all

demo:
	@sh scripts/deps --check >/dev/null 2>&1 || sh scripts/deps
	$(MAKE) all
	@sh scripts/demo $(B)

BENCHES ?= route listen s3 sqs http pubsub scan state

# each tool against the tool a user would otherwise pick; not a test
bench:
	$(MAKE) all
	@for b in $(BENCHES); do sh scripts/bench/$$b $(B) || exit 1; done

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	for t in $(TOOLS); do cp $(B)/bin/$$t $(DESTDIR)$(BINDIR)/; done
	for m in $(MANS); do \
		s=$${m##*.}; cp $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	mkdir -p $(DESTDIR)$(COMPDIR)
	for t in $(TOOLS); do \
		cp $(B)/completion/hookpipe $(DESTDIR)$(COMPDIR)/$$t; done

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MANS); do \
		s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m#man/}; done
	for t in $(TOOLS); do rm -f $(DESTDIR)$(COMPDIR)/$$t; done

clean:
	rm -rf build build-san

.PHONY: all check lint demo bench install uninstall clean deps fuzz \
	fuzz-build all-tests
.SECONDARY:
