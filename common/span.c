// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "span.h"

int span_attrs_put_str(struct span_attrs *l, const char *key, size_t key_len, const char *s,
		       size_t n)
{
	struct span_attr *a;

	if (l->n >= SPAN_ATTRS_MAX || n > (size_t)SPAN_TEXT_MAX - l->text_len ||
	    key_len > SPAN_ATTR_KEY_MAX) {
		l->overflow = 1;
		return -1;
	}
	a = &l->a[l->n++];
	*a = (struct span_attr){ .key = key, .key_len = (uint8_t)key_len, .type = SPAN_ATTR_STR,
				 .off = l->text_len, .len = (uint16_t)n };
	if (n)
		memcpy(l->text + l->text_len, s, n);
	l->text_len = (uint16_t)(l->text_len + n);
	return 0;
}

int span_attrs_list(struct span_attrs *l, const char *key, const char *s, size_t n)
{
	if (span_attrs_str(l, key, s, n))
		return -1;
	l->a[l->n - 1].type = SPAN_ATTR_STRS;
	return 0;
}

int span_attrs_put_int(struct span_attrs *l, const char *key, size_t key_len, int64_t v)
{
	if (l->n >= SPAN_ATTRS_MAX || key_len > SPAN_ATTR_KEY_MAX) {
		l->overflow = 1;
		return -1;
	}
	l->a[l->n++] = (struct span_attr){ .key = key, .key_len = (uint8_t)key_len,
					   .type = SPAN_ATTR_INT, .num = v };
	return 0;
}

const char *span_attr_str(const struct span_attrs *l, const struct span_attr *a, size_t *n)
{
	*n = a->len;
	return l->text + a->off;
}

void span_metric_set(struct span_metric *m, uint8_t family, const char *const values[])
{
	const struct metric_family_desc *d;
	uint16_t off = 0;

	memset(m, 0, sizeof(*m));
	if (family == METRIC_NONE || family >= METRIC_FAMILY_COUNT)
		return;
	d = &metric_families[family];
	m->family = family;
	for (uint32_t i = 0; i < d->nlabels && i < METRIC_LABELS_MAX; i++) {
		const char *v = values[i] ? values[i] : "";
		size_t n = strnlen(v, d->label[i].width - 1);

		if (n > sizeof(m->text) - 1 - off)
			n = sizeof(m->text) - 1 - off;
		m->off[i] = off;
		memcpy(m->text + off, v, n);
		off = (uint16_t)(off + n);
		m->text[off] = '\0';
		if (off < sizeof(m->text) - 1)
			off++;
	}
}

const char *span_metric_label(const struct span_metric *m, uint32_t i)
{
	if (m->family == METRIC_NONE || m->family >= METRIC_FAMILY_COUNT ||
	    i >= metric_families[m->family].nlabels)
		return "";
	return m->text + m->off[i];
}

void span_format_addr(char *out, size_t out_len, uint16_t family, const uint8_t addr[16])
{
	static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (family == AF_INET6 && memcmp(addr, v4_mapped, sizeof(v4_mapped)) == 0) {
		family = AF_INET;
		addr += sizeof(v4_mapped);
	}
	if (!inet_ntop(family == AF_INET ? AF_INET : AF_INET6, addr, out, (socklen_t)out_len) &&
	    out_len)
		out[0] = '\0';
}

void span_attrs_endpoints(struct span_attrs *l, const struct span *s)
{
	span_attrs_str(l, "server.address", s->server.address,
		       strnlen(s->server.address, sizeof(s->server.address)));
	span_attrs_int(l, "server.port", s->server.port);
	span_attrs_str(l, "client.address", s->client.address,
		       strnlen(s->client.address, sizeof(s->client.address)));
	span_attrs_int(l, "client.port", s->client.port);
	span_attrs_str(l, "network.peer.address", s->peer.address,
		       strnlen(s->peer.address, sizeof(s->peer.address)));
	span_attrs_int(l, "network.peer.port", s->peer.port);
}

void span_copy(struct span *dst, const struct span *src)
{
	size_t used = src->attrs.text_len < SPAN_TEXT_MAX ? src->attrs.text_len : SPAN_TEXT_MAX;

	memcpy(dst, src, offsetof(struct span, attrs) + offsetof(struct span_attrs, text) + used);
}
