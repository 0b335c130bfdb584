/*
 * fuzz_config.c: the config reader.  The input is written to a temp file,
 * read by config_load and, when it has no error, built into the stages the
 * way -t and SIGHUP do (stageset_new: classifier and alerter).  Nothing may
 * crash or leak, whatever the file holds.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_common.h"
#include "pipeline.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 path[64];
	struct config	*cf;
	struct stageset	*ss;
	int		 fd;

	if (size > 1 << 16)
		return 0;
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/fuzz_config.%d.conf",
		    (int)getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if ((cf = config_load(path)) == NULL)
		return 0;
	if (cf->nerrors > 0 || (ss = stageset_new(cf)) == NULL) {
		FUZZ_CHECK(cf->nerrors > 0 || 1);
		config_free(cf);
		return 0;
	}
	stageset_free(ss);
	return 0;
}
