/*
 * fuzz_parser.c: parser_parse on a one-record batch, built once per format
 * (-DFUZZ_FMT=rfc5424|rfc3164|json|logfmt).  Inputs that do not open like
 * the format get its usual opening, so each harness spends its time in its
 * parser; the invariants of fuzz_common.c are checked after every parse.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "parser.h"

#define S(x)	#x
#define STR(x)	S(x)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The opening that steers an input into this harness's format. */
static const char *
prefix(const uint8_t *p, size_t len)
{
	const char	*fmt = STR(FUZZ_FMT);

	if (strcmp(fmt, "rfc5424") == 0)
		return len > 0 && p[0] == '<' ? "" : "<165>1 ";
	if (strcmp(fmt, "rfc3164") == 0)
		return len > 0 && p[0] == '<' ? "" : "<13>";
	if (strcmp(fmt, "json") == 0)
		return len > 0 && (p[0] == '{' || p[0] == '<') ? "" : "{";
	return "";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lsbatch	*b;
	const char	*pre = prefix(data, size);
	size_t		 plen = strlen(pre);
	uint8_t		*buf;

	if (size > 1 << 20 || (buf = malloc(plen + size + 1)) == NULL)
		return 0;
	memcpy(buf, pre, plen);
	if (size > 0)
		memcpy(buf + plen, data, size);
	b = fuzz_parse(buf, plen + size, "192.0.2.1:514");
	lsbatch_free(b);
	free(buf);
	return 0;
}
