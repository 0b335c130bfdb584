/*
 * tls.c: RFC 5425 on the server side with OpenSSL through libevent's
 * bufferevent_openssl.  The context holds the certificate chain, its key,
 * the CA for client certificates and the policy (TLS 1.2 or later, no
 * renegotiation, no session state kept).  What a peer sends after the
 * handshake is framed exactly like TCP (conn.c).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "config.h"
#include "diag.h"
#include "tls.h"

struct tls {
	SSL_CTX		*ctx;
};

static struct diag_rate	 rate_fail;

const char *
tls_fail_name(int i)
{
	return diag_tls_fail_name(i);
}

void
tls_stats(uint64_t *done, uint64_t failed[TLSF__COUNT])
{
	int	 i;

	*done = COUNT_GET(counters.tls_handshakes);
	for (i = 0; i < TLSF__COUNT; i++)
		failed[i] = COUNT_GET(counters.tls_failed[i]);
}

/* A key with a passphrase cannot be read unattended: never prompt. */
static int
no_passphrase_cb(char *buf, int size, int rwflag, void *arg)
{
	return 0;
}

/* The text of one OpenSSL error; a system error is its errno's text. */
static const char *
ssl_reason(unsigned long e)
{
	if (e == 0)
		return NULL;
	if (ERR_SYSTEM_ERROR(e))
		return strerror(ERR_GET_REASON(e));
	return ERR_reason_error_string(e);
}

/* OpenSSL's queued errors as one short text: the last reason, and the
 * first where it differs (often the cause: "No such file or directory"). */
static void
ssl_errors(char *buf, size_t len)
{
	unsigned long	 e, first = 0, last = 0;
	const char	*a, *b;

	while ((e = ERR_get_error()) != 0) {
		if (first == 0)
			first = e;
		last = e;
	}
	a = ssl_reason(last);
	b = ssl_reason(first);
	if (first != 0 && ERR_SYSTEM_ERROR(first))
		a = b;
	if (a == NULL)
		a = "unknown OpenSSL error";
	if (b != NULL && strcmp(a, b) != 0)
		snprintf(buf, len, "%s (%s)", a, b);
	else
		snprintf(buf, len, "%s", a);
}

/* The client-certificate part of the context, from tls_ca. */
static int
ctx_verify(SSL_CTX *ctx, const struct config *cf, char *err, size_t len)
{
	STACK_OF(X509_NAME)	*names;
	char			 why[256];
	int			 mode = SSL_VERIFY_PEER;

	if (SSL_CTX_load_verify_locations(ctx, cf->tls_ca, NULL) != 1 ||
	    (names = SSL_load_client_CA_file(cf->tls_ca)) == NULL) {
		ssl_errors(why, sizeof(why));
		snprintf(err, len, "tls_ca %s: %s", cf->tls_ca, why);
		return -1;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	if (cf->tls_client_auth == TLS_AUTH_REQUIRE)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, NULL);
	return 0;
}

/*
 * Build the context of cf; NULL with err and *line (the config line to
 * blame) set.  The key defaults to the certificate file (one PEM with both).
 */
static SSL_CTX *
ctx_build(const struct config *cf, char *err, size_t len, int *line)
{
	SSL_CTX		*ctx = NULL;
	const char	*key = cf->tls_key != NULL ? cf->tls_key : cf->tls_cert;
	char		 why[256];

	*line = cf->ntls > 0 ? cf->tls[0].line : 0;
	if (cf->tls_cert == NULL) {
		snprintf(err, len, "%s%s: a TLS listener needs tls_cert "
		    "(and tls_key)", cf->ntls > 0 ? "tls = " : "",
		    cf->ntls > 0 ? cf->tls[0].text :
		    "socket from systemd named tls");
		return NULL;
	}
	*line = config_line(cf, "listen", "tls_client_auth");
	if (cf->tls_client_auth != TLS_AUTH_NONE && cf->tls_ca == NULL) {
		snprintf(err, len, "tls_client_auth = %s needs tls_ca (the CA "
		    "bundle client certificates are checked against)",
		    cf->tls_client_auth == TLS_AUTH_REQUIRE ? "require" :
		    "optional");
		return NULL;
	}
	*line = config_line(cf, "listen", "tls_ca");
	if (cf->tls_client_auth == TLS_AUTH_NONE && cf->tls_ca != NULL) {
		snprintf(err, len, "tls_ca is set but tls_client_auth = none: "
		    "set tls_client_auth = require (or optional), or remove "
		    "tls_ca");
		return NULL;
	}
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto sslerr;
	if (SSL_CTX_set_min_proto_version(ctx, cf->tls_min_version ==
	    TLS_MIN_13 ? TLS1_3_VERSION : TLS1_2_VERSION) != 1)
		goto sslerr;
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase_cb);
	*line = config_line(cf, "listen", "tls_cert");
	if (SSL_CTX_use_certificate_chain_file(ctx, cf->tls_cert) != 1) {
		ssl_errors(why, sizeof(why));
		snprintf(err, len, "tls_cert %s: %s", cf->tls_cert, why);
		goto fail;
	}
	if (cf->tls_key != NULL)
		*line = config_line(cf, "listen", "tls_key");
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_errors(why, sizeof(why));
		if (strstr(why, "mismatch") != NULL)
			snprintf(err, len, "tls_key %s does not match tls_cert "
			    "%s: %s", key, cf->tls_cert, why);
		else
			snprintf(err, len, "tls_key %s: %s", key, why);
		goto fail;
	}
	if (cf->tls_ca != NULL) {
		*line = config_line(cf, "listen", "tls_ca");
		if (ctx_verify(ctx, cf, err, len) == -1)
			goto fail;
	}
	return ctx;
sslerr:
	ssl_errors(why, sizeof(why));
	snprintf(err, len, "TLS context: %s", why);
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
tls_check(struct config *cf)
{
	SSL_CTX	*ctx;
	char	 err[1024];
	int	 line;

	/* tls_cert alone: for a socket from systemd named tls. */
	if (cf->ntls == 0 && cf->tls_cert == NULL)
		return 0;
	if ((ctx = ctx_build(cf, err, sizeof(err), &line)) == NULL) {
		config_error(cf, line, "%s", err);
		return -1;
	}
	SSL_CTX_free(ctx);
	return 0;
}

struct tls *
tls_new(const struct config *cf)
{
	struct tls	*t;
	char		 err[1024];
	int		 line = 0;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		diag_err("tls: %s", strerror(errno));
		return NULL;
	}
	if ((t->ctx = ctx_build(cf, err, sizeof(err), &line)) == NULL) {
		if (line > 0)
			diag_err("%s:%d: %s", cf->file, line, err);
		else
			diag_err("%s: %s", cf->file, err);
		free(t);
		return NULL;
	}
	return t;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

struct bufferevent *
tls_accept(struct tls *t, struct event_base *base, int fd)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if ((ssl = SSL_new(t->ctx)) == NULL)
		return NULL;
	/*
	 * libevent 2.1 fails here only when it cannot allocate its state, and
	 * then before it owns ssl or fd: both are still ours to free.
	 */
	if ((bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* rsyslog and most senders close without close_notify: that is the
	 * end of the stream, not an error (RFC 5425 4.4). */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

void
tls_handshake_done(struct bufferevent *bev, const char *peer)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(bev);
	X509	*x;
	char	 subj[256] = "no client certificate";

	COUNT_ADD(counters.tls_handshakes, 1);
	if ((x = SSL_get1_peer_certificate(ssl)) != NULL) {
		X509_NAME_oneline(X509_get_subject_name(x), subj,
		    sizeof(subj));
		X509_free(x);
	}
	diag_debug("tls from %s: %s, %s, %s", peer, SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), subj);
}

/* The kind of a failure from OpenSSL's reason code. */
static int
fail_kind(unsigned long e)
{
	int	 r = ERR_GET_REASON(e);

	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		return TLSF_PROTOCOL;
	switch (r) {
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
		return TLSF_VERSION;
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return TLSF_NO_CERT;
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
		return TLSF_BAD_CERT;
	}
	return r >= SSL_AD_REASON_OFFSET ? TLSF_PEER_ALERT : TLSF_PROTOCOL;
}

void
tls_handshake_failed(struct bufferevent *bev, short what, const char *peer)
{
	SSL		*ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long	 e, first = 0;
	const char	*why;
	char		 buf[512];
	int		 kind;

	/*
	 * libevent pops them newest first, so the last taken is the cause.
	 * It also keeps SSL_get_error()'s code (library 0) before OpenSSL's
	 * own errors: not a reason, skipped.
	 */
	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		if (ERR_GET_LIB(e) != 0)
			first = e;
	if (what & BEV_EVENT_TIMEOUT) {
		kind = TLSF_TIMEOUT;
		why = "no handshake in time";
	} else if (first == 0) {
		kind = TLSF_CLOSED;
		why = (what & BEV_EVENT_ERROR) && errno != 0 ?
		    strerror(errno) : "closed by the peer";
	} else {
		kind = fail_kind(first);
		if ((why = ssl_reason(first)) == NULL)
			why = "unknown OpenSSL error";
	}
	if (kind == TLSF_BAD_CERT && ssl != NULL) {
		snprintf(buf, sizeof(buf), "%s: %s", why,
		    X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
		why = buf;
	}
	COUNT_ADD(counters.tls_failed[kind], 1);
	diag_rate(&rate_fail, "tls from %s: handshake failed (%s): %s", peer,
	    tls_fail_name(kind), why);
}
