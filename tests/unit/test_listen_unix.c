/*
 * test_listen_unix.c: the credentials of a unix datagram (SCM_CREDENTIALS)
 * found among its control messages (alone, after another, cut short,
 * absent, the kernel's "none"), the kernel's own from a real socketpair,
 * the trusted JSON they become (the widest numbers; a buffer too small),
 * and a socket address's name (path, abstract, unnamed).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../daemon/listen_int.h"

/* A msghdr whose control data holds the given cmsgs, one after another. */
struct ctl {
	struct msghdr	 mh;
	union {
		struct cmsghdr	 align;
		char		 buf[256];
	} u;
	size_t		 used;
};

static void
ctl_init(struct ctl *c)
{
	memset(c, 0, sizeof(*c));
	c->mh.msg_control = c->u.buf;
	c->mh.msg_controllen = sizeof(c->u.buf);
}

static void
ctl_add(struct ctl *c, int level, int type, const void *data, size_t len,
    size_t cmsg_len)
{
	struct cmsghdr	*cm = (struct cmsghdr *)(void *)(c->u.buf + c->used);

	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = cmsg_len ? cmsg_len : CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	c->used += CMSG_SPACE(len);
	c->mh.msg_controllen = c->used;
}

static void
test_creds_found(void **state)
{
	struct ctl	 c;
	struct ucred	 in = { 4242, 1000, 100 }, out;
	uint32_t	 ovfl = 7;

	ctl_init(&c);
	ctl_add(&c, SOL_SOCKET, SCM_CREDENTIALS, &in, sizeof(in), 0);
	memset(&out, 0, sizeof(out));
	assert_int_equal(listen_unix_creds(&c.mh, &out), 1);
	assert_int_equal(out.pid, 4242);
	assert_int_equal(out.uid, 1000);
	assert_int_equal(out.gid, 100);

	/* after another control message (SO_RXQ_OVFL's) */
	ctl_init(&c);
	ctl_add(&c, SOL_SOCKET, SO_RXQ_OVFL, &ovfl, sizeof(ovfl), 0);
	ctl_add(&c, SOL_SOCKET, SCM_CREDENTIALS, &in, sizeof(in), 0);
	memset(&out, 0, sizeof(out));
	assert_int_equal(listen_unix_creds(&c.mh, &out), 1);
	assert_int_equal(out.pid, 4242);
}

static void
test_creds_absent(void **state)
{
	struct ctl	 c;
	struct ucred	 in = { 1, 2, 3 }, out;
	struct msghdr	 none;

	memset(&none, 0, sizeof(none));
	assert_int_equal(listen_unix_creds(&none, &out), 0);

	/* an SCM_RIGHTS-typed message is no credential */
	ctl_init(&c);
	ctl_add(&c, SOL_SOCKET, SCM_RIGHTS, &in, sizeof(in), 0);
	assert_int_equal(listen_unix_creds(&c.mh, &out), 0);

	/* another level with the same type number */
	ctl_init(&c);
	ctl_add(&c, SOL_SOCKET + 1, SCM_CREDENTIALS, &in, sizeof(in), 0);
	assert_int_equal(listen_unix_creds(&c.mh, &out), 0);

	/* the kernel's "none": pid 0, the overflow uid and gid */
	in.pid = 0;
	in.uid = in.gid = 65534;
	ctl_init(&c);
	ctl_add(&c, SOL_SOCKET, SCM_CREDENTIALS, &in, sizeof(in), 0);
	assert_int_equal(listen_unix_creds(&c.mh, &out), 0);
	in.pid = 1;

	/* cut short: its length holds less than a struct ucred */
	ctl_init(&c);
	ctl_add(&c, SOL_SOCKET, SCM_CREDENTIALS, &in, sizeof(in),
	    CMSG_LEN(sizeof(in) - 4));
	assert_int_equal(listen_unix_creds(&c.mh, &out), 0);
}

/* The kernel's credentials through a real socket: our own pid and uid. */
static void
test_creds_kernel(void **state)
{
	int		 sv[2], one = 1;
	char		 data[16], cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec	 iov = { data, sizeof(data) };
	struct msghdr	 mh;
	struct ucred	 out;

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one,
	    sizeof(one)), 0);
	assert_int_equal(send(sv[1], "hello", 5, 0), 5);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	assert_int_equal(recvmsg(sv[0], &mh, 0), 5);
	assert_int_equal(listen_unix_creds(&mh, &out), 1);
	assert_int_equal(out.pid, getpid());
	assert_int_equal(out.uid, getuid());
	assert_int_equal(out.gid, getgid());
	close(sv[0]);
	close(sv[1]);
}

static void
test_trusted_json(void **state)
{
	struct ucred	 uc = { 123, 0, 0 };
	char		 buf[64];
	size_t		 n;

	n = listen_unix_trusted(&uc, buf, sizeof(buf));
	assert_string_equal(buf, "{\"pid\":123,\"uid\":0,\"gid\":0}");
	assert_int_equal(n, strlen(buf));

	uc.pid = 4194304;
	uc.uid = 4294967295U;
	uc.gid = 4294967294U;
	n = listen_unix_trusted(&uc, buf, sizeof(buf));
	assert_string_equal(buf, "{\"pid\":4194304,\"uid\":4294967295,"
	    "\"gid\":4294967294}");
	assert_int_equal(n, strlen(buf));

	/* too small: nothing written */
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(listen_unix_trusted(&uc, buf, 20), 0);
	assert_int_equal(buf[0], 'x');
}

static void
test_name(void **state)
{
	struct sockaddr_un	 sun;
	char			 buf[128];
	socklen_t		 len;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/run/systemd/journal/syslog");
	listen_unix_name((struct sockaddr *)&sun, sizeof(sun), buf,
	    sizeof(buf));
	assert_string_equal(buf, "/run/systemd/journal/syslog");

	memset(sun.sun_path, 0, sizeof(sun.sun_path));
	memcpy(sun.sun_path, "\0logs", 5);
	len = offsetof(struct sockaddr_un, sun_path) + 5;
	listen_unix_name((struct sockaddr *)&sun, len, buf, sizeof(buf));
	assert_string_equal(buf, "@logs");

	listen_unix_name((struct sockaddr *)&sun, sizeof(sa_family_t), buf,
	    sizeof(buf));
	assert_string_equal(buf, "unix");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_creds_found),
		cmocka_unit_test(test_creds_absent),
		cmocka_unit_test(test_creds_kernel),
		cmocka_unit_test(test_trusted_json),
		cmocka_unit_test(test_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
