// SPDX-License-Identifier: MIT
#include <math.h>
#include <string.h>

#include "sampler.h"
#include "text.h"

const char *const sample_reason_names[SAMPLE_REASONS] = {
	[SAMPLE_ALL] = "all",
	[SAMPLE_RATIO] = "ratio",
	[SAMPLE_PARENT] = "parent",
	[SAMPLE_ERROR] = "error",
	[SAMPLE_SLOW] = "slow",
};

#define TH_DIGITS 14 /* 56 bits */

void sampler_init(struct sampler *s, double ratio, int active, int ignore_parent)
{
	s->ratio = ratio > 0 && ratio <= 1 ? ratio : 1;
	s->threshold = sample_threshold(s->ratio, SAMPLE_PRECISION);
	s->active = active != 0;
	s->ignore_parent = ignore_parent != 0;
}

void sampler_set_ratio(struct sampler *s, double ratio)
{
	s->ratio = ratio > 0 && ratio <= 1 ? ratio : 1;
	s->threshold = sample_threshold(s->ratio, SAMPLE_PRECISION);
	if (s->ratio < 1)
		s->active = 1;
}

uint64_t sample_threshold(double p, int precision)
{
	uint64_t bits, digits;
	double rejection;
	int exp;

	if (!(p < 1))
		return 0;
	if (p < 1.0 / (double)SAMPLE_SPAN)
		p = 1.0 / (double)SAMPLE_SPAN;
	/* more digits for a probability near 0, where the leading ones are f */
	frexp(p, &exp);
	precision += -exp / 4;
	precision = precision < 1 ? 1 : precision > 12 ? 12 : precision;
	/* 1 + (1 - p), in [1, 2): its 52 fraction bits are the threshold's
	 * first 13 hex digits; half a last digit more rounds to nearest */
	rejection = 2 - p + ldexp(0.5, -4 * precision);
	if (rejection >= 2.0) {
		bits = (1ULL << 52) - 1;
	} else {
		memcpy(&bits, &rejection, sizeof(bits));
		bits &= (1ULL << 52) - 1;
	}
	digits = bits >> (52 - 4 * precision);
	return digits << (56 - 4 * precision);
}

size_t sample_th_format(uint64_t th, char out[SAMPLE_TH_TEXT_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = TH_DIGITS;

	if (th == 0) {
		out[0] = '0';
		out[1] = '\0';
		return 1;
	}
	th &= SAMPLE_SPAN - 1;
	for (int i = TH_DIGITS - 1; i >= 0; i--, th >>= 4)
		out[i] = hex[th & 0xf];
	while (n > 1 && out[n - 1] == '0')
		n--;
	out[n] = '\0';
	return n;
}

/* 1..14 lowercase hex digits (exactly 14 when exact), padded with trailing
 * zeros to 56 bits. */
static int hex56_parse(const char *v, size_t n, int exact, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > TH_DIGITS || (exact && n != TH_DIGITS))
		return 0;
	for (size_t i = 0; i < n; i++) {
		int d = v[i] >= 'A' && v[i] <= 'F' ? -1 : text_hex_value(v[i]);

		if (d < 0)
			return 0;
		x = x << 4 | (uint64_t)d;
	}
	*out = x << (4 * (TH_DIGITS - n));
	return 1;
}

/* The next list member of [p, end) split at sep, OWS trimmed. */
static const char *list_next(const char *p, const char *end, char sep, const char **m,
			     size_t *mn)
{
	const char *e = p;

	while (e < end && *e != sep)
		e++;
	*m = p;
	*mn = (size_t)(e - p);
	while (*mn && text_is_ows(**m)) {
		(*m)++;
		(*mn)--;
	}
	while (*mn && text_is_ows((*m)[*mn - 1]))
		(*mn)--;
	return e < end ? e + 1 : end;
}

/* The value of the member `ot=` in [p, end), or NULL. */
static const char *ot_member(const char *p, const char *end, size_t *vn)
{
	const char *m;
	size_t mn;

	while (p < end) {
		p = list_next(p, end, ',', &m, &mn);
		if (mn >= 3 && m[0] == 'o' && m[1] == 't' && m[2] == '=') {
			*vn = mn - 3;
			return m + 3;
		}
	}
	return NULL;
}

int sample_ot_parse(const char *tracestate, size_t n, struct sample_ot *out)
{
	const char *end = tracestate + n, *v, *k;
	size_t vn, kn;

	memset(out, 0, sizeof(*out));
	v = ot_member(tracestate, end, &vn);
	if (!v)
		return 0;
	for (const char *p = v; p < v + vn;) {
		p = list_next(p, v + vn, ';', &k, &kn);
		if (kn > 3 && k[0] == 't' && k[1] == 'h' && k[2] == ':')
			out->has_th = (uint8_t)hex56_parse(k + 3, kn - 3, 0, &out->th);
		else if (kn > 3 && k[0] == 'r' && k[1] == 'v' && k[2] == ':')
			out->has_rv = (uint8_t)hex56_parse(k + 3, kn - 3, 1, &out->rv);
	}
	return 1;
}

uint64_t sample_randomness(const uint8_t trace_id[16], const struct sample_ot *ot)
{
	uint64_t r = 0;

	if (ot && ot->has_rv)
		return ot->rv;
	for (int i = 9; i < 16; i++)
		r = r << 8 | trace_id[i];
	return r;
}

void sampler_decide_root(const struct sampler *s, const uint8_t trace_id[16],
			 const struct sample_ot *ot, struct sample_decision *out)
{
	memset(out, 0, sizeof(*out));
	if (!s || !s->active) {
		out->sampled = 1;
		out->reason = SAMPLE_ALL;
		return;
	}
	out->th = s->threshold;
	out->has_th = 1;
	out->sampled = sample_randomness(trace_id, ot) >= s->threshold;
	out->reason = SAMPLE_RATIO;
}

void sampler_decide_wire(const struct sampler *s, const uint8_t trace_id[16], uint8_t sampled,
			 const struct sample_ot *ot, struct sample_decision *out)
{
	/* no sampling in force: every trace, as without the feature */
	if (!s || !s->active || sampled > 1 || s->ignore_parent) {
		sampler_decide_root(s, trace_id, ot, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->sampled = sampled;
	out->reason = SAMPLE_PARENT;
	/* the parent's threshold goes on, unless it contradicts its own flag */
	if (ot && ot->has_th && (!sampled || sample_randomness(trace_id, ot) >= ot->th)) {
		out->th = ot->th;
		out->has_th = 1;
	}
}

/* Appends [s, s + n) at *len when it fits in cap - 1; returns whether. */
static int put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + n >= cap)
		return 0;
	memcpy(out + *len, s, n);
	*len += n;
	return 1;
}

/* One sub-key of the ot member, "ot=" before the first and ";" between:
 * all of it, or nothing (returns 0) when it does not fit. */
static int ot_put(char *out, size_t cap, size_t *len, int *any, const char *a, size_t an,
		  const char *b, size_t bn)
{
	size_t before = *len;

	if (put(out, cap, len, *any ? ";" : "ot=", *any ? 1 : 3) && put(out, cap, len, a, an) &&
	    put(out, cap, len, b, bn)) {
		*any = 1;
		return 1;
	}
	*len = before;
	return 0;
}

size_t sample_tracestate_put(char *out, size_t cap, const char *in,
			     const struct sample_decision *d)
{
	const char *end = in + strlen(in), *v, *k, *m;
	char th[SAMPLE_TH_TEXT_MAX];
	size_t len = 0, vn = 0, kn, mn, before, members;
	int any = 0;

	if (cap == 0)
		return 0;
	v = ot_member(in, end, &vn);
	/* the ot member: th first, then its other sub-keys; none of it when
	 * even th does not fit (without it they would say "unknown") */
	if (d->has_th && !ot_put(out, cap, &len, &any, "th:", 3, th, sample_th_format(d->th, th)))
		v = NULL;
	for (const char *p = v; v && p < v + vn;) {
		p = list_next(p, v + vn, ';', &k, &kn);
		if (kn == 0 || (kn >= 3 && k[0] == 't' && k[1] == 'h' && k[2] == ':'))
			continue;
		if (!ot_put(out, cap, &len, &any, k, kn, "", 0))
			break;
	}
	/* the other members, in order, as many as fit, 32 in all (W3C: the
	 * right-most go when an added member would make more) */
	members = any;
	for (const char *p = in; p < end && members < SAMPLE_TRACESTATE_MEMBERS_MAX;) {
		p = list_next(p, end, ',', &m, &mn);
		if (mn == 0 || (mn >= 3 && m[0] == 'o' && m[1] == 't' && m[2] == '='))
			continue;
		members++;
		before = len;
		if ((len && !put(out, cap, &len, ",", 1)) || !put(out, cap, &len, m, mn)) {
			len = before;
			break;
		}
	}
	out[len] = '\0';
	return len;
}
