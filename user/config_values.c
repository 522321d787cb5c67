// SPDX-License-Identifier: MIT
/*
 * Value checks for the options: numbers, sizes, seconds, durations,
 * addresses. Shared by the command line and the --config file through
 * config_apply.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>

#include "config_internal.h"
#include "errmsg.h"
#include "syslog_sink.h"

enum config_result
config_fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errmsg_vset(err, err_len, fmt, ap);
	va_end(ap);
	return CONFIG_ERROR;
}

/* Copies a string value that must fit and be non-empty. */
enum config_result config_copy(char *dst, size_t cap, const char *val, char *why,
				      size_t why_len)
{
	size_t n = strlen(val);

	if (n == 0 || n >= cap)
		return config_fail(why, why_len, "must be 1 to %zu characters (got '%s')", cap - 1,
				   val);
	memcpy(dst, val, n + 1);
	return CONFIG_OK;
}

/* Plain decimal, at least one digit; 0 on syntax error or overflow. */
int config_parse_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (p == s)
		return 0;
	*end = p;
	*out = v;
	return 1;
}

/* An integer in [min, max] with nothing after it. */
int config_parse_range(const char *s, uint64_t min, uint64_t max,
			      uint64_t *out)
{
	const char *end;

	return config_parse_u64(s, &end, out) && *end == '\0' && *out >= min &&
	       *out <= max;
}

/* N, NK, NM or NG (powers of 1024, either case), in [min, max]. */
int config_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;
	unsigned shift = 0;

	if (!config_parse_u64(s, &end, &v))
		return 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default: return 0;
	}
	if (shift && end[1] != '\0')
		return 0;
	if (v > (max >> shift))
		return 0;
	v <<= shift;
	if (v < min)
		return 0;
	*out = v;
	return 1;
}

/* A power of two in range. */
int config_parse_ringbuf(const char *s, uint64_t *out)
{
	uint64_t v;

	/* Powers of two >= 64K are multiples of the 4K page, as libbpf needs. */
	if (!config_parse_size(s, CONFIG_RINGBUF_MIN, CONFIG_RINGBUF_MAX, &v) || (v & (v - 1)) != 0)
		return 0;
	*out = v;
	return 1;
}

/* "N", "N.F" or ".F" into whole and fractional nanoseconds (the first nine
 * fraction digits; later ones are checked, then ignored). The whole part
 * saturates past `cap`. Returns the end, or NULL without a digit. */
static const char *config_parse_decimal(const char *s, uint64_t cap, uint64_t *ip,
					uint64_t *frac_ns)
{
	uint64_t frac = 0, scale = 1;
	const char *p = s;
	int digits = 0, nfrac = 0;

	*ip = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (*ip <= cap)
			*ip = *ip * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (nfrac++ < CONFIG_FRAC_DIGITS) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
		}
	}
	if (digits == 0)
		return NULL;
	*frac_ns = frac * (CONFIG_FRAC_SCALE / scale);
	return p;
}

/* Seconds: "N", "N.F" or ".F"; > 0 and <= one day. Own parser rather than
 * strtod, which also takes signs, spaces, hex, inf, nan and the locale's
 * decimal point. */
int config_parse_seconds(const char *s, double *out)
{
	uint64_t ip, frac;
	const char *p = config_parse_decimal(s, CONFIG_SECONDS_MAX, &ip, &frac);

	if (!p || *p != '\0' || ip > CONFIG_SECONDS_MAX)
		return 0;
	if (ip == 0 && frac == 0)
		return 0;
	if (ip == CONFIG_SECONDS_MAX && frac != 0)
		return 0;
	/* One correctly rounded division of an exact integer (< 2^53). */
	*out = (double)(ip * CONFIG_FRAC_SCALE + frac) / (double)CONFIG_FRAC_SCALE;
	return 1;
}

/* A ratio: "1", "0.25", ".5", "1.0"; > 0 and <= 1, nine digits after the
 * point at most mattering (a ratio of 1e-9 is the smallest). */
int config_parse_ratio(const char *s, double *out)
{
	uint64_t ip, frac;
	const char *p = config_parse_decimal(s, 1, &ip, &frac);

	if (!p || *p != '\0' || ip > 1 || (ip == 1 && frac != 0) || (ip == 0 && frac == 0))
		return 0;
	*out = (double)(ip * CONFIG_FRAC_SCALE + frac) / (double)CONFIG_FRAC_SCALE;
	return 1;
}

/* A duration: a decimal number of seconds ("90", "1.5"), or followed by
 * s, m, h or d ("90s", "15m", "24h", "7d", "1.5h"); in [min_ns, max_ns]. */
int config_parse_duration(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *out)
{
	uint64_t ip, frac, unit = 1, ns;
	const char *p = config_parse_decimal(s, max_ns / CONFIG_NS + 1, &ip, &frac);

	if (!p)
		return 0;
	switch (*p) {
	case '\0': break;
	case 's': p++; break;
	case 'm': unit = 60; p++; break;
	case 'h': unit = 3600; p++; break;
	case 'd': unit = CONFIG_DAY_S; p++; break;
	default: return 0;
	}
	if (*p != '\0' || ip > max_ns / (unit * CONFIG_NS))
		return 0;
	/* ip * unit s <= max_ns; frac * unit < 1 s * one day: no overflow */
	ns = ip * unit * CONFIG_NS + frac * unit;
	if (ns < min_ns || ns > max_ns)
		return 0;
	*out = ns;
	return 1;
}

/* An IPv4 literal: what inet_pton takes, dotted quad only. */
static int config_is_ipv4(const char *host)
{
	struct in_addr a;

	return inet_pton(AF_INET, host, &a) == 1;
}

/* A DNS name: labels of letters, digits, '-' and '_' (Docker and Compose
 * names), 1..63 each, not starting or ending with '-', 253 in all; the
 * last label not all digits (that is a mistyped IPv4 address). */
static int config_is_hostname(const char *h, size_t len)
{
	size_t i, label = 0;
	int all_digits = 1;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i <= len; i++) {
		char c = i < len ? h[i] : '.';

		if (c == '.') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return 0;
			if (i == len && all_digits)
				return 0;
			label = 0;
			all_digits = 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
		if (label == 0 && c == '-')
			return 0;
		if (c < '0' || c > '9')
			all_digits = 0;
		label++;
	}
	return 1;
}

/* "HOST:PORT" or "[IPV6]:PORT", port 1..65535. The literal rules are
 * exporters/metrics_http.c's mh_parse_addr, so an address accepted here
 * is one it binds. */
int config_parse_hostport(const char *s, unsigned allow)
{
	char host[256];
	struct in6_addr a6;
	const char *end, *port;
	size_t hlen;
	uint64_t u;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return 0;
		hlen = (size_t)(end - s - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return 0;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return 0;
		port = end + 2;
	} else {
		end = strchr(s, ':');
		/* an IPv6 address without brackets, or a second port */
		if (!end || strchr(end + 1, ':'))
			return 0;
		hlen = (size_t)(end - s);
		if (hlen >= sizeof(host))
			return 0;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (hlen == 0) {
			if (!(allow & CONFIG_HOST_EMPTY))
				return 0;
		} else if (!config_is_ipv4(host) &&
			   !((allow & CONFIG_HOST_NAMES) && config_is_hostname(host, hlen))) {
			return 0;
		}
		port = end + 1;
	}
	return config_parse_range(port, 1, 65535, &u);
}

/* unix:/PATH or unix:@NAME (abstract; either fits sun_path), udp:HOST:PORT,
 * tcp:HOST:PORT. Stricter than the sink's own syslog_parse_addr (absolute
 * paths, IP literals and DNS names only), and never looser: both must
 * accept, so an address that passes here is one the sink opens. */
int config_parse_syslog(const char *s)
{
	struct syslog_addr a;
	size_t n;
	int ok = 0;

	if (strncmp(s, "unix:", 5) == 0) {
		n = strlen(s + 5);
		ok = (s[5] == '/' || (s[5] == '@' && n > 1)) && n <= CONFIG_SUN_PATH_MAX;
	} else if (strncmp(s, "udp:", 4) == 0 || strncmp(s, "tcp:", 4) == 0) {
		ok = config_parse_hostport(s + 4, CONFIG_HOST_NAMES);
	}
	return ok && syslog_parse_addr(s, &a, NULL, 0) == 0;
}
