/*
 * control.h: what `logstreamd reload` needs to find the instance of one
 * config and learn how its reload went, and whether the config file on disk
 * is still the one running.  The daemon keeps, in its runtime directory, a
 * pid file it holds locked while it runs and a state file it replaces after
 * every reload (generation, result, reasons); the reload command signals
 * that pid and waits for the next generation.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <stdint.h>

struct control;

/* Daemon: take the pid file of config (the path as given) and write the
 * first state; never NULL but on ENOMEM (no runtime dir: only a warning,
 * and `logstreamd reload` cannot reach it).  hash: config_hash of the file
 * loaded.  Call once the signal handlers are in place. */
struct control	*control_new(const char *config, uint64_t hash);
/* Daemon: remove the files it wrote; NULL is a no-op. */
void		 control_free(struct control *);
/* Daemon: a reload that began at mono_us (CLOCK_MONOTONIC) ended: why is
 * NULL if it took (hash: the new config's), else the reason, and errors
 * the lines that say more (or NULL).  Writes the next state. */
void		 control_reloaded(struct control *, uint64_t mono_us,
		    const char *why, const char *errors, uint64_t hash);
/* Daemon, every tick: 1 if the config file on disk is not the bytes the
 * running config was read from (changed, or gone), else 0.  A stat each
 * call; the file is read again only when its stat changed. */
int		 control_file_changed(struct control *);
/* The config's absolute path (for messages); lives as long as ctl. */
const char	*control_config(const struct control *);

/* `logstreamd reload`: signal the instance running config, wait up to
 * wait_s for its answer, print it.  0 it took, 1 refused, 2 no instance
 * or no answer. */
int		 control_reload(const char *config, int wait_s);

#endif
