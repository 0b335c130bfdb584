/*
 * replay.h: `logstreamd replay`, the candidate config's classes and alerts
 * over stored events or raw log files (see daemon/replay.c and SPEC
 * "Reading back").
 */
#ifndef REPLAY_H
#define REPLAY_H

/* Run `logstreamd replay` with argv[0] "replay": the alert lines and a
 * summary on stdout.  The exit code: 0, 1 bad arguments or config, 2 the
 * store or a FILE cannot be read (what could be read is replayed). */
int	replay_main(int argc, char *argv[]);

#endif
