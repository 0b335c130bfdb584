/*
 * hash.c: a random key and SipHash-1-3 (see hash.h).
 */
#include <sys/random.h>

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"

void
hash_seed(uint64_t k[2])
{
	if (getrandom(k, 2 * sizeof(*k), GRND_NONBLOCK) != 2 * sizeof(*k)) {
		k[0] = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
		k[1] = (uint64_t)getpid() ^ (uint64_t)(uintptr_t)k;
	}
}

#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

uint64_t
hash_sip(const uint64_t k[2], const void *p, size_t len)
{
	const unsigned char	*s = p;
	uint64_t		 v0, v1, v2, v3, m;
	size_t			 i;

	v0 = k[0] ^ 0x736f6d6570736575ULL;
	v1 = k[1] ^ 0x646f72616e646f6dULL;
	v2 = k[0] ^ 0x6c7967656e657261ULL;
	v3 = k[1] ^ 0x7465646279746573ULL;
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, s + i, 8);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	m = (uint64_t)len << 56;
	for (; i < len; i++)
		m |= (uint64_t)s[i] << (8 * (i % 8));
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
