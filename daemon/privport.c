/*
 * privport.c: whether this process may bind a privileged port: one below
 * net.ipv4.ip_unprivileged_port_start (1024 where /proc/sys cannot be read)
 * needs CAP_NET_BIND_SERVICE in the effective set, asked of capget(2).
 * -t warns about each address that would fail (issue 20: the service's -t
 * said ok, then the start died with EACCES and no pointer to a fix).
 */
#include <sys/syscall.h>
#include <linux/capability.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "privport.h"

#define PORT_START_FILE	"/proc/sys/net/ipv4/ip_unprivileged_port_start"

static int
unprivileged_start(void)
{
	FILE	*fp;
	int	 v = 1024;

	if ((fp = fopen(PORT_START_FILE, "re")) == NULL)
		return 1024;
	if (fscanf(fp, "%d", &v) != 1)
		v = 1024;
	fclose(fp);
	return v;
}

/* 1 when CAP_NET_BIND_SERVICE is effective; 1 also when capget fails (a
 * seccomp filter): no warning is better than a wrong one. */
static int
may_bind_low(void)
{
	struct __user_cap_header_struct	 h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	 d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d) == -1)
		return 1;
	return (d[CAP_TO_INDEX(CAP_NET_BIND_SERVICE)].effective &
	    CAP_TO_MASK(CAP_NET_BIND_SERVICE)) != 0;
}

/* The port of "HOST:PORT" if this process may not bind it, else 0. */
static int
denied_port(const char *text)
{
	char	 host[256], port[16];
	long	 p;

	if (conf_split_addr(text, host, sizeof(host), port, sizeof(port)) ==
	    -1)
		return 0;
	p = strtol(port, NULL, 10);
	if (p <= 0 || p >= unprivileged_start() || may_bind_low())
		return 0;
	return (int)p;
}

static void
warn_addr(const struct config *cf, const char *sect, const char *key,
    const char *text, int line)
{
	int	 p;

	if ((p = denied_port(text)) == 0)
		return;
	diag_warn("%s:%d: [%s] %s = %s: port %d is below "
	    "net.ipv4.ip_unprivileged_port_start (%d) and this process (uid "
	    "%u) lacks CAP_NET_BIND_SERVICE: the bind will fail with "
	    "'Permission denied'; run it as logstreamd.service (which grants "
	    "the capability) or take the port from a socket unit such as "
	    "logstreamd.socket", cf->file, line, sect, key, text, p,
	    unprivileged_start(), (unsigned)getuid());
}

void
privport_warn(const struct config *cf)
{
	size_t	 i;

	for (i = 0; i < cf->ntcp; i++)
		warn_addr(cf, "listen", "tcp", cf->tcp[i].text,
		    cf->tcp[i].line);
	for (i = 0; i < cf->nudp; i++)
		warn_addr(cf, "listen", "udp", cf->udp[i].text,
		    cf->udp[i].line);
	for (i = 0; i < cf->ntls; i++)
		warn_addr(cf, "listen", "tls", cf->tls[i].text,
		    cf->tls[i].line);
	if (cf->http_listen != NULL && cf->http_listen[0] != '\0')
		warn_addr(cf, "http", "listen", cf->http_listen,
		    config_line(cf, "http", "listen"));
}

const char *
privport_hint(int port)
{
	if (port <= 0 || port >= unprivileged_start() || may_bind_low())
		return "";
	return " (a port below net.ipv4.ip_unprivileged_port_start needs "
	    "CAP_NET_BIND_SERVICE: logstreamd.service grants it, or take the "
	    "port from a socket unit such as logstreamd.socket)";
}
