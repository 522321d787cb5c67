// SPDX-License-Identifier: MIT
/* Which exposition format an Accept header asks for (RFC 9110 12.5.1). */
#include <string.h>
#include <strings.h>

#include "metrics.h"

/* The q of one media range's parameters (";q=0.5"), 1 when absent. */
static double mt_accept_q(const char *p, const char *end)
{
	double q = 1;

	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));

		if (!semi)
			break;
		p = semi + 1;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			q = 0;
			p += 2;
			if (p < end && *p == '1')
				q = 1;
			else if (p < end && *p == '0') {
				double scale = 0.1;

				p++; /* "0", then ".ddd" */
				if (p < end && *p == '.')
					p++;
				for (; p < end && *p >= '0' && *p <= '9'; p++, scale /= 10)
					q += (*p - '0') * scale;
			}
		}
	}
	return q;
}

/* Whether the media range [p, end) names type/subtype: exactly, by
 * type/ *, or by * / *; returns how specifically (3, 2, 1), 0 if not. */
static int mt_accept_match(const char *p, const char *end, const char *type, const char *subtype)
{
	const char *semi = memchr(p, ';', (size_t)(end - p));
	size_t tl = strlen(type), sl = strlen(subtype), n;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	end = semi ? semi : end;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	n = (size_t)(end - p);
	if (n == 3 && memcmp(p, "*/*", 3) == 0)
		return 1;
	if (n < tl + 2 || strncasecmp(p, type, tl) != 0 || p[tl] != '/')
		return 0;
	if (n == tl + 2 && p[tl + 1] == '*')
		return 2;
	return n == tl + 1 + sl && strncasecmp(p + tl + 1, subtype, sl) == 0 ? 3 : 0;
}

/* The q the header gives type/subtype: its most specific range's (RFC 9110 12.5.1). */
static double mt_accept_q_of(const char *accept, const char *type, const char *subtype)
{
	const char *p = accept, *end;
	int best = 0, k;
	double q = 0;

	while (*p) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		k = mt_accept_match(p, end, type, subtype);
		/* equally specific ranges (two versions of one type): the best q */
		if (k > best || (k && k == best && mt_accept_q(p, end) > q)) {
			best = k;
			q = mt_accept_q(p, end);
		}
		p = *end ? end + 1 : end;
	}
	return q;
}

enum metrics_format metrics_format_of_accept(const char *accept)
{
	if (!accept)
		return METRICS_TEXT;
	return mt_accept_q_of(accept, "application", "openmetrics-text") >
			       mt_accept_q_of(accept, "text", "plain") ?
		       METRICS_OPENMETRICS :
		       METRICS_TEXT;
}
