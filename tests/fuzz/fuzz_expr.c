/*
 * fuzz_expr.c: the filter parser of query --where and the tap (expr_add).
 * Any text either parses, and then evaluates over a stored event without
 * fault, or is refused with a message that names a position inside the
 * text ("at N: ...", 1 <= N <= length + 1), and a refused text leaves the
 * filter as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "fuzz_common.h"

#define MAX_IN	4096

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *EV =
    "{\"received\":\"2026-11-23T20:14:14.906034Z\",\"transport\":\"tcp\","
    "\"severity\":\"warning\",\"facility\":\"auth\",\"host\":\"web01\","
    "\"message\":\"Failed password for root\",\"sd\":{\"m\":{\"s\":\"1\"}},"
    "\"fields\":{\"user\":\"root\",\"seq\":42,\"r\":1.5,\"n\":null,"
    "\"o\":{\"a\":1}},\"trusted\":{\"uid\":0},\"truncated\":true}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t	*ev;
	struct expr	*e;
	char		*s, err[256];
	unsigned long	 at;

	if (size > MAX_IN)
		return 0;
	if (ev == NULL && (ev = json_loads(EV, 0, NULL)) == NULL)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((e = expr_new()) == NULL) {
		free(s);
		return 0;
	}
	err[0] = '\0';
	if (expr_add(e, s, err, sizeof(err)) == 0) {
		FUZZ_CHECK(expr_count(e) > 0);
		(void)expr_match_json(e, ev);
		(void)expr_required(e, EXPR_K_HOST);
	} else {
		FUZZ_CHECK(expr_count(e) == 0);
		FUZZ_CHECK(strncmp(err, "at ", 3) == 0);
		at = strtoul(err + 3, NULL, 10);
		FUZZ_CHECK(at >= 1 && at <= strlen(s) + 1);
	}
	expr_free(e);
	free(s);
	return 0;
}
