// SPDX-License-Identifier: MIT
/*
 * Syslog addresses: "unix:PATH", "udp:HOST:PORT", "tcp:HOST:PORT" (pure;
 * fuzzed).
 */
#include "syslog_sink.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "syslog_internal.h"

/* ---------------------------------------------------------------------- */
/* Addresses                                                              */
/* ---------------------------------------------------------------------- */

static int sl_host_char_ok(char c)
{
	return c > 32 && c < 127 && c != '[' && c != ']' && c != '/' && c != '@';
}

/* Inside [...]: hex digits, ':', '.', and a zone ("%eth0"). */
static int sl_v6_char_ok(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == ':' || c == '.' || c == '%' || c == '-' || c == '_';
}

int syslog_parse_addr(const char *text, struct syslog_addr *out, char *err, size_t err_len)
{
	const char *rest, *host, *colon, *port;
	size_t host_len, port_len, n;
	unsigned long v = 0;

	memset(out, 0, sizeof(*out));
	if (!text)
		text = "";
	if (strncmp(text, "unix:", 5) == 0) {
		out->transport = SYSLOG_UNIX;
		n = strlen(text + 5);
		if (n == 0 || (n == 1 && text[5] == '@'))
			return errmsg_set(err, err_len, "syslog address %s: no socket path", text);
		if (n >= sizeof(out->path))
			return errmsg_set(err, err_len,
				       "syslog address: the socket path is longer than %zu bytes",
				       sizeof(out->path) - 1);
		memcpy(out->path, text + 5, n);
		return 0;
	}
	if (strncmp(text, "udp:", 4) == 0)
		out->transport = SYSLOG_UDP;
	else if (strncmp(text, "tcp:", 4) == 0)
		out->transport = SYSLOG_TCP;
	else
		return errmsg_set(err, err_len,
			       "syslog address must be unix:PATH, udp:HOST:PORT or tcp:HOST:PORT");
	rest = text + 4;
	if (rest[0] == '[') {
		host = rest + 1;
		colon = strchr(host, ']');
		if (!colon || colon[1] != ':')
			return errmsg_set(err, err_len, "syslog address %s: want [IPV6]:PORT", text);
		host_len = (size_t)(colon - host);
		port = colon + 2;
		for (size_t i = 0; i < host_len; i++)
			if (!sl_v6_char_ok(host[i]))
				return errmsg_set(err, err_len, "syslog address %s: bad IPv6 address",
					       text);
	} else {
		host = rest;
		colon = strchr(host, ':');
		if (!colon)
			return errmsg_set(err, err_len, "syslog address %s: no port (HOST:PORT)",
				       text);
		if (strchr(colon + 1, ':'))
			return errmsg_set(err, err_len,
				       "syslog address %s: write an IPv6 address as [ADDR]:PORT",
				       text);
		host_len = (size_t)(colon - host);
		port = colon + 1;
		for (size_t i = 0; i < host_len; i++)
			if (!sl_host_char_ok(host[i]))
				return errmsg_set(err, err_len, "syslog address %s: bad host name",
					       text);
	}
	if (host_len == 0)
		return errmsg_set(err, err_len, "syslog address %s: no host", text);
	if (host_len >= sizeof(out->host))
		return errmsg_set(err, err_len, "syslog address: the host is longer than %zu bytes",
			       sizeof(out->host) - 1);
	port_len = strlen(port);
	if (port_len == 0 || port_len > 5 || port[0] == '0')
		return errmsg_set(err, err_len, "syslog address %s: the port must be 1..65535", text);
	for (size_t i = 0; i < port_len; i++) {
		if (port[i] < '0' || port[i] > '9')
			return errmsg_set(err, err_len, "syslog address %s: the port must be 1..65535",
				       text);
		v = v * 10 + (unsigned long)(port[i] - '0');
	}
	if (v < 1 || v > 65535)
		return errmsg_set(err, err_len, "syslog address %s: the port must be 1..65535", text);
	memcpy(out->host, host, host_len);
	snprintf(out->port, sizeof(out->port), "%lu", v);
	return 0;
}
