/*
 * privport.h: may this process bind a privileged port?  A port below
 * net.ipv4.ip_unprivileged_port_start needs CAP_NET_BIND_SERVICE in the
 * effective set; -t warns about each listen address that would fail, and a
 * bind refused with EACCES says how to grant the port.
 */
#ifndef PRIVPORT_H
#define PRIVPORT_H

struct config;

/* Warn (diag_warn, file:line) for every tcp, udp and tls address of
 * [listen] and the [http] listen address this process could not bind. */
void		 privport_warn(const struct config *);
/* For a bind that failed with EACCES on port: a static text to append to
 * the error ("" when the port is not privileged here). */
const char	*privport_hint(int port);

#endif
