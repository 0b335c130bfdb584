/*
 * query.h: `logstreamd query`, the reader of the JSON store (see
 * daemon/query.c and SPEC "Reading back").
 */
#ifndef QUERY_H
#define QUERY_H

#ifndef QUERY_DEFAULT_CONFIG
#define QUERY_DEFAULT_CONFIG	"/etc/logstreamd/logstreamd.conf"
#endif

/* Run `logstreamd query` with argv[0] "query": prints to stdout, says
 * what it skipped on stderr.  The exit code: 0, 1 bad arguments or config
 * (or, with --strict, something skipped), 2 the store cannot be read. */
int	query_main(int argc, char *argv[]);

#endif
