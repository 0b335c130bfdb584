/*
 * statefile.c: atomic save and checked load of an input's state file
 * (statefile.h), and the journal input's state text.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "statefile.h"

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory of path, so the rename is durable. */
static int
sync_dir(const char *path)
{
	char		 dir[PATH_MAX];
	const char	*sl = strrchr(path, '/');
	int		 fd, rc;

	if (sl == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (sl == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(sl - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(sl - path), path);
	else {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
statefile_save(const char *path, const void *p, size_t len)
{
	char	 tmp[PATH_MAX];
	int	 fd = -1, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0640)) == -1)
		return -1;
	if (write_all(fd, p, len) == -1 || fdatasync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return sync_dir(path);
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

ssize_t
statefile_load(const char *path, char *buf, size_t cap)
{
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd, saved;

	if (cap == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	for (;;) {
		if ((n = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
jcursor_seqnum(const char *c, char id[33], uint64_t *seq)
{
	const char	*s = NULL, *i = NULL, *p;
	char		*end;
	size_t		 k;

	for (p = c; *p != '\0'; p += strcspn(p, ";"), p += *p == ';') {
		if (strncmp(p, "s=", 2) == 0)
			s = p + 2;
		else if (strncmp(p, "i=", 2) == 0)
			i = p + 2;
	}
	if (s == NULL || i == NULL || strcspn(s, ";") != 32)
		return -1;
	for (k = 0; k < 32; k++)
		if (strchr("0123456789abcdef", s[k]) == NULL)
			return -1;
	if (strchr("0123456789abcdef", *i) == NULL)
		return -1;
	errno = 0;
	*seq = strtoull(i, &end, 16);
	if (errno != 0 || (*end != ';' && *end != '\0'))
		return -1;
	memcpy(id, s, 32);
	id[32] = '\0';
	return 0;
}

#define JSTATE_TAG	"journal-cursor "

int
jstate_parse(const char *buf, size_t len, char *cur, size_t cap,
    char id[33], uint64_t *seq, const char **why)
{
	size_t	 tl = sizeof(JSTATE_TAG) - 1, cl, k;

	if (len == 0) {
		*why = "empty";
		return -1;
	}
	if (len < tl || memcmp(buf, JSTATE_TAG, tl) != 0) {
		*why = "not a journal cursor file";
		return -1;
	}
	if (buf[len - 1] != '\n') {
		*why = "cut short (no line end)";
		return -1;
	}
	cl = len - tl - 1;
	if (cl == 0 || cl >= cap) {
		*why = cl == 0 ? "empty cursor" : "cursor too long";
		return -1;
	}
	for (k = tl; k < len - 1; k++)
		if ((unsigned char)buf[k] <= ' ' ||
		    (unsigned char)buf[k] >= 0x7f) {
			*why = "bad bytes in the cursor";
			return -1;
		}
	memcpy(cur, buf + tl, cl);
	cur[cl] = '\0';
	if (jcursor_seqnum(cur, id, seq) == -1) {
		*why = "not a journal cursor (no s= and i=)";
		return -1;
	}
	return 0;
}
