/*
 * listen_int.h: state shared by listen.c (sockets, batches) and conn.c (one
 * TCP or TLS peer).  Private to those two files.
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
struct event;
struct tls;
struct srcent;
struct srclimit;
struct udpstate;

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	TAILQ_ENTRY(conn)	 lru;		/* by progress, oldest first */
	struct listener		*l;
	struct srcent		*se;		/* its count in l->srcs */
	uint64_t		 progress;	/* last complete event (ns) */
	int			 in_lru;
	struct bufferevent	*bev;
	struct framer		 fr;
	char			 source[64];
	size_t			 slen;
	uint64_t		 src_gen;	/* batch whose arena has source */
	struct lsslice		 src;
	int			 eof;		/* peer is gone; drain, free */
	int			 transport;	/* LRT_TCP or LRT_TLS */
	struct event		*hs_ev;		/* TLS: handshake deadline */
};
TAILQ_HEAD(connlist, conn);

struct lsock {
	char			*text;		/* address as configured */
	int			 udp;
	int			 tls;		/* TCP with RFC 5425 on top */
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

/* conn.c */
void	 conn_accept(struct listener *, int fd, const struct sockaddr *,
	    int tls);
int	 conn_drain(struct conn *);
void	 conn_pause(struct conn *);
void	 conn_resume(struct conn *);
void	 conn_free(struct conn *);
void	 conn_limits(struct conn *);
void	 conn_sweep_arm(struct listener *, int again);

#endif
