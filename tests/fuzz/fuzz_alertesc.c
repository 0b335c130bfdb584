/*
 * fuzz_alertesc.c: the alert file's escaping.  A text and a JSON alert
 * line built from any host and message hold no raw control byte but the
 * final newline: no C0, no DEL, no C1 (U+0080-U+009F as UTF-8) and no bidi
 * override (U+202A-U+202E, U+2066-U+2069).
 */
#include <stdlib.h>
#include <string.h>

#include "alerter_int.h"
#include "fuzz_common.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_line(const struct abuf *b)
{
	const unsigned char	*p = (const unsigned char *)b->p;
	size_t			 i;

	if (b->oom)
		return;
	FUZZ_CHECK(b->len > 0 && p[b->len - 1] == '\n');
	for (i = 0; i + 1 < b->len; i++) {
		FUZZ_CHECK(p[i] >= 0x20 && p[i] != 0x7f);
		if (p[i] == 0xc2 && i + 1 < b->len)
			FUZZ_CHECK(p[i + 1] < 0x80 || p[i + 1] > 0x9f);
		if (p[i] == 0xe2 && i + 2 < b->len && p[i + 1] == 0x80)
			FUZZ_CHECK(p[i + 2] < 0xaa || p[i + 2] > 0xae);
		if (p[i] == 0xe2 && i + 2 < b->len && p[i + 1] == 0x81)
			FUZZ_CHECK(p[i + 2] < 0xa6 || p[i + 2] > 0xa9);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alerter_firing	 f;
	struct alerter_tcache	 tc;
	struct abuf		 b;
	size_t			 cut;

	if (size > 1 << 20)
		return 0;
	cut = size > 0 ? data[0] % (size + 1) : 0;
	memset(&f, 0, sizeof(f));
	memset(&tc, 0, sizeof(tc));
	tc.sec = -1;
	f.now_us = 1700000000123456LL;
	f.alert = "fz";
	f.cls = "c";
	f.host = (const char *)data;
	f.hostlen = cut;
	f.gkey = "field.user";
	f.gval = (const char *)data + cut;
	f.gvallen = size - cut;
	f.count = 3;
	f.window = "60s";
	f.first_us = 1700000000000000LL;
	f.msg = (const char *)data;
	f.msglen = size;
	memset(&b, 0, sizeof(b));
	alerter_line_text(&b, &tc, &f);
	check_line(&b);
	b.len = 0;
	alerter_line_json(&b, &tc, &f);
	check_line(&b);
	free(b.p);
	return 0;
}
