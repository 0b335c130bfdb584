/*
 * test_diskbuf.c: the output disk buffer in a temp dir: records read back
 * in order, a torn tail cut at recovery (whole records kept), a damaged
 * record in the middle (payload, magic, length) skipped at recovery and
 * while reading, counted once, with every record after it kept; segments of
 * the older format still read; symlinks at the directory and its files
 * refused; wrap to a new segment, ack deleting finished segments and
 * persisting the cursor across a reopen, rewind, the size bound under both
 * overflow policies, and one appender and one reader thread seeing every
 * record.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "diskbuf.h"
#include "jsonenc.h"

static char	 dir[256];

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_diskbuf.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	char	 cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct diskbuf *
open_db(uint64_t max, uint64_t seg, int drop)
{
	struct diskbuf_conf	 c = { .dir = dir, .max_size = max,
				    .segment_size = seg, .sync_ms = -1,
				    .drop_oldest = drop };

	return diskbuf_open(&c);
}

/* Append records "rec-<i>" for i in [from, to), framed, in one write. */
static ssize_t
put(struct diskbuf *db, int from, int to)
{
	struct obuf	 o = { 0 };
	size_t		 st;
	ssize_t		 n;
	char		 s[64];
	int		 i;

	for (i = from; i < to; i++) {
		st = diskbuf_rec_begin(&o);
		obuf_add(&o, s, (size_t)snprintf(s, sizeof(s), "rec-%d", i));
		diskbuf_rec_end(&o, st);
	}
	n = diskbuf_write(db, o.p, o.len);
	obuf_free(&o);
	return n;
}

/* Read every record there is; check they are want_from.. in order.  The
 * last one read is left in *last; returns how many were read. */
static int
get_all(struct diskbuf *db, int want_from, struct dbrec *last)
{
	struct dbrec	 r;
	char		 s[64];
	int		 n = 0;

	while (diskbuf_next(db, &r, 0) == 1) {
		snprintf(s, sizeof(s), "rec-%d", want_from + n);
		assert_int_equal(r.len, strlen(s));
		assert_memory_equal(r.p, s, r.len);
		*last = r;
		n++;
	}
	return n;
}

static int
count_segs(void)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	int		 n = 0;

	while ((e = readdir(d)) != NULL)
		n += strstr(e->d_name, ".seg") != NULL;
	closedir(d);
	return n;
}

static char *
seg_file(int k)
{
	static char	 p[300];

	snprintf(p, sizeof(p), "%s/%016d.seg", dir, k);
	return p;
}

static void
test_roundtrip(void **state)
{
	struct diskbuf	*db = open_db(1 << 20, 1 << 16, 0);
	struct dbrec	 r;

	assert_non_null(db);
	assert_int_equal(diskbuf_next(db, &r, 0), 0);
	assert_true(put(db, 0, 100) > 0);
	assert_int_equal(get_all(db, 0, &r), 100);
	assert_int_equal(r.nth, 100);
	diskbuf_free(db);
}

static void
test_torn_tail(void **state)
{
	struct diskbuf	*db = open_db(1 << 20, 1 << 16, 0);
	struct diskbuf_stats st;
	struct dbrec	 r;
	struct stat	 sb;
	int		 fd;

	assert_true(put(db, 0, 10) > 0);
	diskbuf_free(db);
	/* A crash in the middle of a write: half a header and half a
	 * record after the ten whole ones. */
	assert_int_equal(stat(seg_file(1), &sb), 0);
	fd = open(seg_file(1), O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "\x20\0\0\0\xa7\xe5\x1b\xd9rec-1", 13), 13);
	close(fd);
	db = open_db(1 << 20, 1 << 16, 0);
	assert_non_null(db);
	diskbuf_stats(db, &st);
	assert_int_equal(st.recovered, 10);
	assert_int_equal(st.torn_bytes, 13);
	assert_int_equal(get_all(db, 0, &r), 10);
	assert_int_equal(stat(seg_file(1), &sb), 0);
	assert_int_equal(sb.st_size, 10 * 17);		/* the tail is cut */
	/* New records go on after the recovered ones. */
	assert_true(put(db, 10, 12) > 0);
	assert_int_equal(get_all(db, 10, &r), 2);
	diskbuf_free(db);
}

/* Read every record there is into seen[] (by number); returns the count. */
static int
get_seen(struct diskbuf *db, char *seen, int max)
{
	struct dbrec	 r;
	char		 s[64];
	int		 n = 0, k;

	while (diskbuf_next(db, &r, 0) == 1) {
		assert_true(r.len < sizeof(s));
		memcpy(s, r.p, r.len);
		s[r.len] = '\0';
		assert_int_equal(sscanf(s, "rec-%d", &k), 1);
		assert_true(k >= 0 && k < max);
		assert_int_equal(seen[k], 0);	/* no duplicate */
		seen[k] = 1;
		n++;
	}
	return n;
}

/* Overwrite one byte at off of segment 1. */
static void
poke(off_t off, char c)
{
	int	 fd = open(seg_file(1), O_WRONLY);

	assert_true(fd != -1);
	assert_int_equal(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

/* Ten records of 17 bytes ("rec-0".."rec-9" after a 12-byte header),
 * one byte of the 6th changed at hdr_off within it: that one record is
 * skipped (counted once) and the other nine are read, at open. */
static void
bad_byte(int hdr_off, char c)
{
	struct diskbuf	*db = open_db(1 << 20, 1 << 16, 0);
	struct diskbuf_stats st;
	char		 seen[10] = { 0 };

	assert_true(put(db, 0, 10) > 0);
	diskbuf_free(db);
	poke(5 * 17 + hdr_off, c);
	db = open_db(1 << 20, 1 << 16, 0);
	assert_non_null(db);
	diskbuf_stats(db, &st);
	assert_int_equal(st.recovered, 9);
	assert_int_equal(st.torn_bytes, 0);
	assert_int_equal(st.corrupt, 1);
	assert_int_equal(st.corrupt_bytes, 17);
	assert_int_equal(get_seen(db, seen, 10), 9);
	assert_int_equal(seen[5], 0);
	diskbuf_rewind(db);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(get_seen(db, seen, 10), 9);
	diskbuf_stats(db, &st);
	assert_int_equal(st.corrupt, 1);	/* not counted again */
	diskbuf_free(db);
}

static void
test_bad_crc(void **state)
{
	bad_byte(12 + 2, 'X');			/* payload */
}

static void
test_bad_magic(void **state)
{
	bad_byte(5, 0x00);			/* magic */
}

static void
test_bad_len(void **state)
{
	bad_byte(3, 0x7f);			/* length: far too long */
	teardown(state);
	setup(state);
	bad_byte(0, 4);				/* length: too short */
}

/* Damage that appears while the buffer is open is skipped by the reader. */
static void
test_resync_reading(void **state)
{
	struct diskbuf	*db = open_db(1 << 20, 1 << 16, 0);
	struct diskbuf_stats st;
	char		 seen[1000] = { 0 };
	int		 fd;

	assert_true(put(db, 0, 1000) > 0);
	/* Record 500 ("rec-500", 19 bytes) and 10 more bytes of garbage
	 * over the start of record 501. */
	fd = open(seg_file(1), O_WRONLY);
	assert_int_equal(pwrite(fd, "garbage!garbage!garbage!garbage", 29,
	    10 * 17 + 90 * 18 + 400 * 19), 29);
	close(fd);
	assert_int_equal(get_seen(db, seen, 1000), 998);
	assert_int_equal(seen[500] + seen[501], 0);
	diskbuf_stats(db, &st);
	assert_int_equal(st.corrupt, 1);
	assert_int_equal(st.corrupt_bytes, 38);
	diskbuf_free(db);
}

/* A segment of the older format ([len][crc][payload]) is read, and new
 * records go to a new segment. */
static void
test_v1_segment(void **state)
{
	struct diskbuf	*db;
	struct diskbuf_stats st;
	struct dbrec	 r;
	char		 b[64];
	uint32_t	 len, crc;
	int		 fd, i;

	fd = open(seg_file(1), O_WRONLY | O_CREAT, 0640);
	for (i = 0; i < 10; i++) {
		len = (uint32_t)snprintf(b + 8, sizeof(b) - 8, "rec-%d", i);
		memcpy(b, &len, 4);
		crc = (uint32_t)crc32(crc32(0L, (const Bytef *)b, 4),
		    (const Bytef *)b + 8, len);
		memcpy(b + 4, &crc, 4);
		assert_int_equal(write(fd, b, 8 + len), 8 + len);
	}
	close(fd);
	db = open_db(1 << 20, 1 << 16, 0);
	assert_non_null(db);
	diskbuf_stats(db, &st);
	assert_int_equal(st.recovered, 10);
	assert_int_equal(st.torn_bytes + st.corrupt, 0);
	assert_true(put(db, 10, 20) > 0);
	assert_int_equal(get_all(db, 0, &r), 20);
	diskbuf_free(db);
}

/* A symlink at the directory, a segment or the ack file is refused; its
 * target is untouched. */
static void
test_symlinks(void **state)
{
	struct diskbuf_conf c = { .max_size = 1 << 20, .segment_size = 1 << 16,
			    .sync_ms = -1 };
	struct diskbuf	*db;
	char		 tgt[300], path[400], bdir[300], ldir[300], b[16];
	struct stat	 sb;
	int		 fd;

	snprintf(tgt, sizeof(tgt), "%s/target", dir);
	fd = open(tgt, O_WRONLY | O_CREAT, 0640);
	assert_int_equal(write(fd, "precious data\n", 14), 14);
	close(fd);
	snprintf(bdir, sizeof(bdir), "%s/b", dir);
	snprintf(ldir, sizeof(ldir), "%s/l", dir);
	assert_int_equal(mkdir(bdir, 0750), 0);
	c.dir = bdir;
	/* At a segment. */
	snprintf(path, sizeof(path), "%s/%016d.seg", bdir, 1);
	assert_int_equal(symlink(tgt, path), 0);
	assert_null(diskbuf_open(&c));
	unlink(path);
	/* At the ack file (a regular one was made by the first try). */
	snprintf(path, sizeof(path), "%s/ack", bdir);
	unlink(path);
	assert_int_equal(symlink(tgt, path), 0);
	assert_null(diskbuf_open(&c));
	unlink(path);
	/* The directory itself a symlink (to a real directory). */
	assert_int_equal(symlink(bdir, ldir), 0);
	c.dir = ldir;
	assert_null(diskbuf_open(&c));
	c.dir = bdir;
	assert_non_null(db = diskbuf_open(&c));
	diskbuf_free(db);
	assert_int_equal(stat(tgt, &sb), 0);
	assert_int_equal(sb.st_size, 14);
	fd = open(tgt, O_RDONLY);
	assert_int_equal(read(fd, b, 14), 14);
	close(fd);
	assert_memory_equal(b, "precious data\n", 14);
}

static void
test_wrap_and_ack(void **state)
{
	struct diskbuf	*db = open_db(1 << 20, 1000, 0);
	struct diskbuf_stats st;
	struct dbrec	 r;
	int		 n;

	/* 1,000 records of 18-19 bytes do not fit one 1,000-byte segment. */
	assert_int_equal(put(db, 0, 1000) > 0, 1);
	assert_true(count_segs() >= 14);
	n = get_all(db, 0, &r);
	assert_int_equal(n, 1000);
	diskbuf_stats(db, &st);
	assert_int_equal(st.records, 1000);
	diskbuf_ack(db, &r.end, r.nth);
	diskbuf_stats(db, &st);
	assert_int_equal(st.records, 0);
	assert_int_equal(count_segs(), 1);	/* only the one written */
	diskbuf_free(db);
}

static void
test_ack_persisted(void **state)
{
	struct diskbuf	*db = open_db(1 << 20, 1000, 0);
	struct diskbuf_stats st;
	struct dbrec	 r;
	int		 i;

	assert_true(put(db, 0, 500) > 0);
	for (i = 0; i < 300; i++)
		assert_int_equal(diskbuf_next(db, &r, 0), 1);
	diskbuf_ack(db, &r.end, r.nth);
	diskbuf_free(db);
	/* Reopened: 200 left, from rec-300 on, then new ones. */
	db = open_db(1 << 20, 1000, 0);
	diskbuf_stats(db, &st);
	assert_int_equal(st.recovered, 200);
	assert_true(put(db, 500, 510) > 0);
	assert_int_equal(get_all(db, 300, &r), 210);
	/* Rewind: everything since the cursor again. */
	diskbuf_rewind(db);
	assert_int_equal(get_all(db, 300, &r), 210);
	diskbuf_free(db);
}

static void
test_block_when_full(void **state)
{
	struct diskbuf	*db = open_db(2000, 1000, 0);
	struct diskbuf_stats st;
	struct dbrec	 r;
	ssize_t		 n;
	int		 k;

	n = put(db, 0, 200);		/* ~2,800 bytes: does not all fit */
	assert_true(n > 0 && n <= 2000);
	diskbuf_stats(db, &st);
	assert_int_equal(st.full, 1);
	assert_true(st.bytes <= 2000);
	/* Fill what room is left one record at a time, until refused. */
	for (k = (int)st.records; put(db, k, k + 1) > 0; k++)
		;
	diskbuf_stats(db, &st);
	assert_int_equal(st.full, 2);
	assert_int_equal(put(db, k, k + 1), 0);		/* still full */
	/* Reading and acking makes room again. */
	assert_int_equal(get_all(db, 0, &r), k);
	diskbuf_ack(db, &r.end, r.nth);
	assert_true(put(db, k, k + 1) > 0);
	diskbuf_free(db);
}

static void
test_drop_oldest(void **state)
{
	struct diskbuf	*db = open_db(2000, 1000, 1);
	struct diskbuf_stats st;
	struct dbrec	 r;
	int		 n, first;

	assert_int_equal(put(db, 0, 400), 10 * 17 + 90 * 18 + 300 * 19);
	diskbuf_stats(db, &st);
	assert_true(st.bytes <= 2000);
	assert_true(st.dropped > 0);
	assert_int_equal(st.dropped + st.records, 400);
	/* What is left is the newest records, in order. */
	first = 400 - (int)st.records;
	n = get_all(db, first, &r);
	assert_int_equal(n, (int)st.records);
	diskbuf_free(db);
}

struct flow {
	struct diskbuf	*db;
	int		 n;
};

static void *
reader_main(void *arg)
{
	struct flow	*f = arg;
	struct dbrec	 r;
	char		 s[64];
	int		 got = 0;

	while (got < f->n) {
		if (diskbuf_next(f->db, &r, 100) != 1)
			continue;
		snprintf(s, sizeof(s), "rec-%d", got);
		if (r.len != strlen(s) || memcmp(r.p, s, r.len) != 0)
			return NULL;
		if (++got % 97 == 0)
			diskbuf_ack(f->db, &r.end, r.nth);
	}
	return f;
}

static void
test_threads(void **state)
{
	struct flow	 f = { .n = 100000 };
	pthread_t	 t;
	void		*res;
	int		 i;

	f.db = open_db(64 << 20, 64 << 10, 0);
	assert_int_equal(pthread_create(&t, NULL, reader_main, &f), 0);
	for (i = 0; i < f.n; i += 500)
		assert_true(put(f.db, i, i + 500) > 0);
	assert_int_equal(pthread_join(t, &res), 0);
	assert_ptr_equal(res, &f);
	diskbuf_free(f.db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_crc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_magic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resync_reading, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_v1_segment, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symlinks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wrap_and_ack, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ack_persisted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_block_when_full, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_drop_oldest, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
