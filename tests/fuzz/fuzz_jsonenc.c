/*
 * fuzz_jsonenc.c: the escaping contract of the JSON writer.  jsonenc_str
 * of any bytes must be a JSON string with no raw byte below 0x20 nor DEL,
 * and decoding it with the PEP 383 rule (\udcXX is byte XX) must give the
 * original bytes back, exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "jsonenc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static unsigned
hex4(const char *p)
{
	unsigned	 v = 0;
	int		 i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= p[i] - 'A' + 10;
		else
			abort();
	}
	return v;
}

static size_t
put_utf8(unsigned char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | cp >> 6;
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	o[0] = 0xe0 | cp >> 12;
	o[1] = 0x80 | (cp >> 6 & 0x3f);
	o[2] = 0x80 | (cp & 0x3f);
	return 3;
}

/* Decode the quoted string s[0..len) into out; its length. */
static size_t
decode(const char *s, size_t len, unsigned char *out)
{
	size_t		 i, n = 0;
	unsigned	 cp, lo;

	FUZZ_CHECK(len >= 2 && s[0] == '"' && s[len - 1] == '"');
	for (i = 1; i < len - 1; i++) {
		unsigned char c = s[i];

		FUZZ_CHECK(c >= 0x20 && c != 0x7f && c != '"');
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		FUZZ_CHECK(i + 1 < len - 1);
		switch (s[++i]) {
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case '/': out[n++] = '/'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u':
			FUZZ_CHECK(i + 4 < len - 1);
			cp = hex4(s + i + 1);
			i += 4;
			if (cp >= 0xdc80 && cp <= 0xdcff) {	/* PEP 383 */
				out[n++] = cp & 0xff;
				break;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {	/* pair */
				FUZZ_CHECK(i + 6 < len - 1 && s[i + 1] ==
				    '\\' && s[i + 2] == 'u');
				lo = hex4(s + i + 3);
				FUZZ_CHECK(lo >= 0xdc00 && lo <= 0xdfff);
				i += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				out[n++] = 0xf0 | cp >> 18;
				out[n++] = 0x80 | (cp >> 12 & 0x3f);
				out[n++] = 0x80 | (cp >> 6 & 0x3f);
				out[n++] = 0x80 | (cp & 0x3f);
				break;
			}
			FUZZ_CHECK(cp < 0xd800 || cp > 0xdfff);
			n += put_utf8(out + n, cp);
			break;
		default:
			FUZZ_CHECK(!"unknown escape");
		}
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obuf	 o = { 0 };
	unsigned char	*back;
	size_t		 n;

	if (size > 1 << 20)
		return 0;
	if (jsonenc_str(&o, (const char *)data, size) == -1) {
		obuf_free(&o);
		return 0;
	}
	if ((back = malloc(o.len + 1)) == NULL) {
		obuf_free(&o);
		return 0;
	}
	n = decode(o.p, o.len, back);
	if (n != size || (size > 0 && memcmp(back, data, size) != 0)) {
		fprintf(stderr, "round trip: %zu bytes in, %zu back\n", size,
		    n);
		abort();
	}
	free(back);
	obuf_free(&o);
	return 0;
}
