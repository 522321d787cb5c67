// SPDX-License-Identifier: MIT
/*
 * GET /metrics over libmicrohttpd, on its own polling thread.
 *
 * The listening socket is made here rather than by libmicrohttpd: its
 * MHD_start_daemon returns NULL without saying why, and the user needs
 * "Address already in use" or "Cannot assign requested address" to fix the
 * flag. The socket is handed over with MHD_OPTION_LISTEN_SOCKET, and
 * MHD_stop_daemon closes it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics.h"

#define MH_CONN_LIMIT 16u    /* a scraper or two, and a curl */
#define MH_CONN_TIMEOUT 10u  /* seconds an idle connection is kept */
#define MH_BACKLOG 64
#define MH_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define MH_CONTENT_TYPE_OM "application/openmetrics-text; version=1.0.0; charset=utf-8"

struct metrics_http {
	struct MHD_Daemon *daemon;
	struct metrics *m;
};

/*
 * "a.b.c.d:port", "[v6]:port" or ":port" (all IPv4 interfaces) into sa.
 * Returns 0, or -1 with *why set.
 */
static int mh_parse_addr(const char *addr, struct sockaddr_storage *sa,
			 socklen_t *sa_len, const char **why)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *end;
	size_t hlen;
	unsigned long p;
	int v6 = addr[0] == '[';

	if (v6) {
		end = strchr(addr, ']');
		if (!end || end[1] != ':') {
			*why = "expected [IPv6]:PORT";
			return -1;
		}
		hlen = (size_t)(end - addr - 1);
		port = end + 2;
		addr++;
	} else {
		end = strchr(addr, ':');
		if (!end) {
			*why = "expected HOST:PORT, [IPv6]:PORT or :PORT";
			return -1;
		}
		if (strchr(end + 1, ':')) {
			*why = "an IPv6 address goes in brackets, as in [::1]:9464";
			return -1;
		}
		hlen = (size_t)(end - addr);
		port = end + 1;
	}
	if (hlen >= sizeof(host)) {
		*why = "address too long";
		return -1;
	}
	memcpy(host, addr, hlen);
	host[hlen] = '\0';

	p = 0;
	for (end = port; *end >= '0' && *end <= '9' && p <= 65535; end++)
		p = p * 10 + (unsigned long)(*end - '0');
	if (end == port || *end || p == 0 || p > 65535) {
		*why = "port must be a number from 1 to 65535";
		return -1;
	}

	memset(sa, 0, sizeof(*sa));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
			*why = "not an IPv6 address literal";
			return -1;
		}
		*sa_len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		if (hlen == 0)
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			*why = "not an IPv4 address literal (host names are not resolved)";
			return -1;
		}
		*sa_len = sizeof(*s4);
	}
	return 0;
}

/* A bound, listening, non-blocking socket, or -1 with errno set. */
static int mh_listen(const struct sockaddr_storage *sa, socklen_t sa_len)
{
	int fd, one = 1, err;

	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* Restarting the agent must not wait for TIME_WAIT of old scrapes. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (const struct sockaddr *)sa, sa_len) != 0 ||
	    listen(fd, MH_BACKLOG) != 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static enum MHD_Result mh_reply(struct MHD_Connection *c, unsigned int code,
				const char *body, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result mh_metrics(struct MHD_Connection *c, struct metrics *m)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *buf = NULL;
	size_t len = 0;
	enum metrics_format fmt;
	FILE *f;
	int bad;

	fmt = metrics_format_of_accept(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								   MHD_HTTP_HEADER_ACCEPT));
	f = open_memstream(&buf, &len);
	if (!f)
		return mh_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
	metrics_render(m, f, fmt);
	bad = ferror(f);
	if (fclose(f) != 0 || bad || !buf) {
		free(buf);
		return mh_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
	}
	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				fmt == METRICS_OPENMETRICS ? MH_CONTENT_TYPE_OM : MH_CONTENT_TYPE);
	/* The body depends on Accept: a cache between must not mix the two. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result mh_handler(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	static int mh_started;
	struct metrics_http *h = cls;

	(void)version;
	(void)upload_data;
	/* First call: headers only. Answer once any request body is read. */
	if (!*req_cls) {
		*req_cls = &mh_started;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* discarded */
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return mh_reply(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n", NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return mh_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
				MHD_HTTP_METHOD_GET);
	return mh_metrics(c, h->m);
}

struct metrics_http *metrics_http_start(const char *addr, struct metrics *m)
{
	struct sockaddr_storage sa;
	struct metrics_http *h;
	socklen_t sa_len = 0;
	const char *why = NULL;
	int fd;

	if (!addr || !m) {
		fprintf(stderr, "metrics: no address or registry to serve\n");
		return NULL;
	}
	if (mh_parse_addr(addr, &sa, &sa_len, &why) != 0) {
		fprintf(stderr, "metrics: bad listen address \"%s\": %s\n", addr, why);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		fprintf(stderr, "metrics: listen on %s: %s\n", addr, strerror(ENOMEM));
		return NULL;
	}
	h->m = m;
	fd = mh_listen(&sa, sa_len);
	if (fd < 0) {
		fprintf(stderr, "metrics: listen on %s: %s\n", addr, strerror(errno));
		free(h);
		return NULL;
	}
	errno = 0;
	h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
					     (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				     0, NULL, NULL, &mh_handler, h,
				     MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_CONNECTION_LIMIT, MH_CONN_LIMIT,
				     MHD_OPTION_CONNECTION_TIMEOUT, MH_CONN_TIMEOUT,
				     MHD_OPTION_END);
	if (!h->daemon) {
		/*
		 * Whether a failed start closed fd depends on where it failed
		 * (libmicrohttpd versions differ); a stray close could hit an
		 * fd another thread just opened, so fd is left open: the agent
		 * exits on this error.
		 */
		fprintf(stderr, "metrics: listen on %s: cannot start the HTTP server: %s\n",
			addr, strerror(errno ? errno : EIO));
		free(h);
		return NULL;
	}
	return h;
}

void metrics_http_stop(struct metrics_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon); /* joins its thread, closes the socket */
	free(h);
}
