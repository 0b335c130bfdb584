/*
 * listen_int.h: state shared by listen.c (sockets, batches), conn.c (one
 * TCP, TLS or unix stream peer) and listen_unix.c (unix sockets).  Private
 * to those files (and the unit test of listen_unix.c).
 */
#ifndef LISTEN_INT_H
#define LISTEN_INT_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "frame.h"

struct bufferevent;
struct evconnlistener;
struct multiline;
struct multiline_re;
struct event;
struct tls;
struct srcent;
struct srclimit;
struct ucred;
struct udpstate;
struct unixstate;

#define UDP_VLEN	64		/* datagrams per recvmmsg */
#define UDP_BUFLEN	65536		/* bytes of each, at most */

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	TAILQ_ENTRY(conn)	 lru;		/* by progress, oldest first */
	struct listener		*l;
	struct srcent		*se;		/* its count in l->srcs */
	uint64_t		 progress;	/* last complete event (ns) */
	int			 in_lru;
	struct bufferevent	*bev;
	struct framer		 fr;
	char			 source[112];	/* address, or unix path */
	size_t			 slen;
	uint64_t		 src_gen;	/* batch whose arena has source */
	struct lsslice		 src;
	char			 trusted[64];	/* unix: SO_PEERCRED as JSON */
	size_t			 tlen;		/* 0: none */
	struct lsslice		 tru;		/* in the batch of src_gen */
	int			 eof;		/* peer is gone; drain, free */
	int			 transport;	/* LRT_TCP, LRT_TLS, LRT_UNIX */
	struct event		*hs_ev;		/* TLS: handshake deadline */
	struct multiline	*ml;		/* multiline_start, or NULL */
};
TAILQ_HEAD(connlist, conn);

struct lsock {
	struct listener		*l;
	char			*text;		/* address as configured */
	int			 udp;		/* a datagram socket */
	int			 tls;		/* TCP with RFC 5425 on top */
	int			 local;		/* AF_UNIX (listen_unix.c) */
	unsigned		 mode;		/* local, ours: the file's */
	int			 fd;
	int			 inherited;
	int			 fresh;		/* bound, not yet serving */
	struct sockaddr_storage	 sa;		/* as bound (not inherited) */
	socklen_t		 salen;
	struct evconnlistener	*evl;
	struct event		*ev;
	uint64_t		 ovfl;		/* SO_RXQ_OVFL seen so far */
	uint64_t		 events;	/* UDP: received, drops too */
	uint64_t		 dropped[DROP__COUNT];
	struct udpstate		*us;
	struct unixstate	*ux;		/* local: its path, creds */
};

struct listener {
	struct event_base	*base;
	struct queue		*q;
	struct lsock		**socks;
	size_t			 nsocks;
	struct connlist		 conns;
	struct connlist		 lru;		/* open peers by progress */
	size_t			 nconns;
	uint64_t		 max_message;
	uint64_t		 max_connections;
	uint64_t		 max_per_source;
	int64_t			 idle_ms;
	struct srclimit		*srcs;		/* connections per source */
	struct event		*sweep_ev;	/* idle_timeout */
	uint64_t		 paused_at;	/* mono ns the pause began */
	uint64_t		 paused_ns;	/* paused in all, so far */
	struct conf_cidr	*allow;
	size_t			 nallow;
	struct tls		*tls;		/* for new TLS peers */
	struct multiline_re	*mlre;		/* multiline_start, or NULL */
	uint64_t		 ml_timeout;	/* ns */
	struct event		*ml_ev;		/* flushes joined events due */
	struct lsbatch		*batch;		/* being filled */
	uint32_t		 batch_max;
	uint64_t		 batch_gen;
	uint64_t		 batch_no;	/* of the last batch pushed */
	struct inputs		*inputs;	/* paused and resumed with us */
	int			 paused;	/* queue full: not reading */
	int			 stopping;
	int			 wake_fd;
	struct event		*wake_ev;
	_Atomic int		 wake_why;
	struct event		*retry_ev;	/* accept back-off */
	unsigned		 naccept;	/* since the last back-off */
	char			*udpbuf;
	int64_t			 now_us;	/* taken once per callback */
	uint64_t		 now_mono;
	int			 clock_stale;	/* an input takes it anew */
	uint64_t		 nrecv[LRT__COUNT];	/* not yet counted */
	struct diag_rate	 rate_refused;
	struct diag_rate	 rate_source;
	struct diag_rate	 rate_slow;
	struct diag_rate	 rate_evict;
	struct diag_rate	 rate_udp;
	struct diag_rate	 rate_accept;
};

/* listen.c */
void	 listener_clock(struct listener *);
int	 listener_room(struct listener *);
struct logrec *listener_add(struct listener *, const char *, size_t,
	    int truncated, int transport, const struct lsslice *src);
void	 listener_handoff(struct listener *);
void	 listener_pause(struct listener *);
int	 listener_allowed(const struct listener *, const struct sockaddr *);
void	 listener_format_addr(const struct sockaddr *, char *, size_t);
uint64_t listener_progress_clock(const struct listener *);
void	 listener_dropped(struct lsock *, int transport, int reason,
	    uint64_t n);

/* One datagram, one event (RFC 5426): its length without a trailing LF or
 * CRLF, then without one NUL (Python's SysLogHandler ends each datagram
 * with one; rsyslog drops it too). */
static inline size_t
listener_dgram_len(const char *p, size_t len)
{
	if (len > 0 && p[len - 1] == '\n')
		len--;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len > 0 && p[len - 1] == '\0')
		len--;
	return len;
}

/* conn.c */
void	 conn_accept(struct listener *, int fd, const struct sockaddr *,
	    const struct lsock *);
int	 conn_drain(struct conn *);
int	 conn_flush(struct conn *);
void	 conn_pause(struct conn *);
void	 conn_resume(struct conn *);
void	 conn_free(struct conn *);
void	 conn_limits(struct conn *);
void	 conn_sweep_arm(struct listener *, int again);

/* listen_unix.c */
/* A unix socket bound at path (a stale socket there is replaced; anything
 * else, or a socket in use, is refused), mode set; NULL (logged). */
struct lsock *listen_unix_open(const char *path, int stream, unsigned mode);
/* fd from systemd is AF_UNIX: mark s local with its path; 1, 0 if not a
 * unix socket, -1 ENOMEM. */
int	 listen_unix_inherit(struct lsock *);
/* The socket of v[0..n) with this path and kind (own or inherited). */
struct lsock *listen_unix_find(struct lsock **v, size_t n, const char *path,
	    int stream);
/* Ready to serve: a datagram socket gets SO_PASSCRED and its read event
 * (not added).  0, or -1 (errno). */
int	 listen_unix_start(struct listener *, struct lsock *);
/* Serve (add the read event of) a datagram socket; 0 or -1. */
int	 listen_unix_serve(struct lsock *);
/* Apply unix_mode to a socket we bound (a reload may change it). */
void	 listen_unix_chmod(struct lsock *, unsigned mode);
/* The queue is full (on) or has room again: stop or go on reading every
 * unix datagram socket (senders wait, nothing is dropped). */
void	 listen_unix_pause(struct listener *, int on);
/* Read a datagram socket dry before it is closed. */
void	 listen_unix_drain(struct lsock *);
/* Free s's unix state; remove the socket file if we bound it and it is
 * still ours. */
void	 listen_unix_free(struct lsock *);
/* A stream peer accepted on s: source is s's path, transport unix, and
 * its SO_PEERCRED under trusted. */
void	 listen_unix_accepted(struct conn *, const struct lsock *, int fd);
/* The sender's credentials among a received message's control data:
 * 1 (*uc filled), or 0 if it carries none, or the kernel's "none" (pid
 * 0: sent before SO_PASSCRED was set).  Pure; unit-tested. */
int	 listen_unix_creds(const struct msghdr *, struct ucred *uc);
/* uc as {"pid":N,"uid":N,"gid":N} into buf (64 bytes do); its length,
 * 0 if it does not fit (pure; unit-tested). */
size_t	 listen_unix_trusted(const struct ucred *uc, char *buf, size_t len);
/* The text of a unix socket address: its path, "@name" for an abstract
 * one, "unix" for none; into buf (108 bytes and more). */
void	 listen_unix_name(const struct sockaddr *, socklen_t, char *buf,
	    size_t len);

#endif
