/*
 * test_srclimit.c: connections per source for max_per_source: the limit per
 * IPv4 address, IPv6 counted per /64, IPv4-mapped IPv6 as its IPv4 address,
 * entries freed at zero, and many sources (the table grows) kept apart.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "srclimit.h"

static struct sockaddr_storage	 ss;

static const struct sockaddr *
addr(const char *text)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(40000);
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(40001);
	}
	return (const struct sockaddr *)&ss;
}

static void
test_limit_per_address(void **state)
{
	struct srclimit	*t = srclimit_new();
	struct srcent	*e[4], *x;
	int		 i;

	assert_non_null(t);
	for (i = 0; i < 3; i++)
		assert_int_equal(srclimit_take(t, addr("127.0.0.2"), 3, &e[i]),
		    SRC_TAKEN);
	assert_int_equal(srclimit_take(t, addr("127.0.0.2"), 3, &x),
	    SRC_OVER);
	/* another address is counted apart */
	assert_int_equal(srclimit_take(t, addr("127.0.0.3"), 3, &e[3]),
	    SRC_TAKEN);
	assert_int_equal(srclimit_count(t, addr("127.0.0.2")), 3);
	assert_int_equal(srclimit_sources(t), 2);
	srclimit_put(t, e[0]);
	assert_int_equal(srclimit_take(t, addr("127.0.0.2"), 3, &e[0]),
	    SRC_TAKEN);
	/* 0: no limit */
	assert_int_equal(srclimit_take(t, addr("127.0.0.2"), 0, &x),
	    SRC_TAKEN);
	assert_int_equal(srclimit_count(t, addr("127.0.0.2")), 4);
	srclimit_free(t);
}

static void
test_ipv6_per_64(void **state)
{
	struct srclimit	*t = srclimit_new();
	struct srcent	*e, *f;

	assert_int_equal(srclimit_take(t, addr("2001:db8:1:2::1"), 2, &e),
	    SRC_TAKEN);
	assert_int_equal(srclimit_take(t, addr("2001:db8:1:2:ffff::9"), 2, &e),
	    SRC_TAKEN);
	assert_int_equal(srclimit_take(t, addr("2001:db8:1:2:abcd::7"), 2, &f),
	    SRC_OVER);
	/* the next /64 is another source */
	assert_int_equal(srclimit_take(t, addr("2001:db8:1:3::1"), 2, &f),
	    SRC_TAKEN);
	assert_int_equal(srclimit_sources(t), 2);
	srclimit_free(t);
}

static void
test_v4_mapped(void **state)
{
	struct srclimit	*t = srclimit_new();
	struct srcent	*e;

	assert_int_equal(srclimit_take(t, addr("10.1.2.3"), 1, &e),
	    SRC_TAKEN);
	assert_int_equal(srclimit_take(t, addr("::ffff:10.1.2.3"), 1, &e),
	    SRC_OVER);
	assert_int_equal(srclimit_count(t, addr("::ffff:10.1.2.3")), 1);
	/* 10.1.2.4 shares no /64 with 10.1.2.3 */
	assert_int_equal(srclimit_take(t, addr("::ffff:10.1.2.4"), 1, &e),
	    SRC_TAKEN);
	srclimit_free(t);
}

static void
test_free_at_zero_and_grow(void **state)
{
	struct srclimit	*t = srclimit_new();
	static struct srcent *e[5000];
	char		 a[32];
	int		 i;

	for (i = 0; i < 5000; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.1", i / 256, i % 256);
		assert_int_equal(srclimit_take(t, addr(a), 1, &e[i]),
		    SRC_TAKEN);
	}
	assert_int_equal(srclimit_sources(t), 5000);
	for (i = 0; i < 5000; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.1", i / 256, i % 256);
		assert_int_equal(srclimit_count(t, addr(a)), 1);
		srclimit_put(t, e[i]);
		assert_int_equal(srclimit_count(t, addr(a)), 0);
	}
	assert_int_equal(srclimit_sources(t), 0);
	srclimit_put(t, NULL);
	srclimit_free(t);
	srclimit_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_per_address),
		cmocka_unit_test(test_ipv6_per_64),
		cmocka_unit_test(test_v4_mapped),
		cmocka_unit_test(test_free_at_zero_and_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
