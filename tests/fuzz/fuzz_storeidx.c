/*
 * fuzz_storeidx.c: the reader of stored lines that skips decoding
 * (storeidx_scan, storeidx_received), against jansson.  Every span lies
 * inside the line; when the line is a JSON object that jansson reads and
 * the scan took it (0), each key the scan found has that string value in
 * jansson's reading too, unless the key appears twice in the line (RFC
 * 8259 leaves duplicate names to the reader: jansson keeps the last, the
 * scan the first; the writer never repeats one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "fuzz_common.h"
#include "storeidx.h"

#define MAX_IN	65536

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether "key": is in p[0..len) more than once. */
static int
twice(const char *p, size_t len, const char *key)
{
	char		 k[32];
	const char	*a;
	size_t		 kl;

	kl = (size_t)snprintf(k, sizeof(k), "\"%s\":", key);
	if ((a = memmem(p, len, k, kl)) == NULL)
		return 0;
	a += kl;
	return memmem(a, len - (size_t)(a - p), k, kl) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*keys[EXPR_K_MESSAGE + 1];
	struct storeidx_span	 sp[EXPR_K_MESSAGE + 1];
	const char		*p = (const char *)data, *v;
	json_t			*o, *j;
	int64_t			 us;
	size_t			 i;
	int			 rc;

	if (size > MAX_IN)
		return 0;
	(void)storeidx_received(p, size, &us);
	for (i = 0; i <= EXPR_K_MESSAGE; i++)
		keys[i] = expr_top_name((enum expr_top)i);
	rc = storeidx_scan(p, size, keys, EXPR_K_MESSAGE + 1, sp);
	for (i = 0; i <= EXPR_K_MESSAGE; i++)
		if (sp[i].v != NULL)
			FUZZ_CHECK(sp[i].v >= p && sp[i].v + sp[i].len <= p + size);
	if (rc != 0 || (o = json_loadb(p, size, JSON_ALLOW_NUL, NULL)) == NULL)
		return 0;
	for (i = 0; json_is_object(o) && i <= EXPR_K_MESSAGE; i++) {
		if (sp[i].v == NULL || twice(p, size, keys[i]))
			continue;
		j = json_object_get(o, keys[i]);
		FUZZ_CHECK(json_is_string(j));
		v = json_string_value(j);
		FUZZ_CHECK(json_string_length(j) == sp[i].len &&
		    memcmp(v, sp[i].v, sp[i].len) == 0);
	}
	json_decref(o);
	return 0;
}
