// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "identity.h"

static void id_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* What Kubernetes' name generator uses for a pod's suffix and for the
 * pod-template-hash (k8s.io/apimachinery rand.SafeEncodeString). */
static int id_k8s_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr("bcdfghjklmnpqrstvwxz2456789", s[i]))
			return 0;
	return 1;
}

static int id_digits(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

void identity_workload_of_pod(const char *pod, char *out, size_t cap)
{
	size_t n = strlen(pod);
	const char *dash = memrchr(pod, '-', n);
	size_t last;

	out[0] = '\0';
	if (!dash || dash == pod || !cap)
		return;
	last = n - (size_t)(dash - pod) - 1;
	if (id_digits(dash + 1, last)) {
		/* a StatefulSet's ordinal */
		n = (size_t)(dash - pod);
	} else if (last == 5 && id_k8s_safe(dash + 1, last)) {
		/* a ReplicaSet's, DaemonSet's or Job's random suffix; a
		 * Deployment's pods also carry the template hash before it */
		const char *d2;

		n = (size_t)(dash - pod);
		d2 = memrchr(pod, '-', n);
		if (d2 && d2 != pod && n - (size_t)(d2 - pod) - 1 >= 6 &&
		    n - (size_t)(d2 - pod) - 1 <= 10 && id_k8s_safe(d2 + 1, n - (size_t)(d2 - pod) - 1))
			n = (size_t)(d2 - pod);
		/* a CronJob's Job is named after the minute it was scheduled
		 * (8 digits and more): every run is the same workload */
		else if (d2 && d2 != pod && n - (size_t)(d2 - pod) - 1 >= 8 &&
			 id_digits(d2 + 1, n - (size_t)(d2 - pod) - 1))
			n = (size_t)(d2 - pod);
	} else {
		return;
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(out, pod, n);
	out[n] = '\0';
}

static const char *id_resource_attr(const struct procinfo *pi, const char *key)
{
	for (uint32_t i = 0; i < pi->n_attrs && i < PROCINFO_ATTRS_MAX; i++)
		if (strcmp(pi->attrs[i].key, key) == 0)
			return pi->attrs[i].value;
	return NULL;
}

void identity_of_process(const struct procinfo *pi, const char *service_name, const char *exe,
			 struct alert_identity *id, struct alert_evidence *ev)
{
	static const char *const workload_keys[] = {
		"k8s.deployment.name", "k8s.statefulset.name", "k8s.daemonset.name",
		"k8s.cronjob.name", "k8s.job.name",
	};
	const char *v;

	memset(id, 0, sizeof(*id));
	memset(ev, 0, sizeof(*ev));
	id_copy(id->service, sizeof(id->service), service_name);
	id_copy(id->exe, sizeof(id->exe), exe);
	if (!pi)
		return;
	if (pi->exe_name[0])
		id_copy(id->exe, sizeof(id->exe), pi->exe_name);
	id_copy(id->k8s_namespace, sizeof(id->k8s_namespace), pi->k8s_namespace);
	v = id_resource_attr(pi, "k8s.namespace.name");
	if (!id->k8s_namespace[0] && v)
		id_copy(id->k8s_namespace, sizeof(id->k8s_namespace), v);
	for (size_t i = 0; i < sizeof(workload_keys) / sizeof(workload_keys[0]); i++) {
		v = id_resource_attr(pi, workload_keys[i]);
		if (v && v[0]) {
			id_copy(id->k8s_workload, sizeof(id->k8s_workload), v);
			break;
		}
	}
	if (!id->k8s_workload[0] && pi->k8s_pod_name[0])
		identity_workload_of_pod(pi->k8s_pod_name, id->k8s_workload, sizeof(id->k8s_workload));
	ev->pid = pi->pid;
	id_copy(ev->container_id, sizeof(ev->container_id), pi->container_id);
	id_copy(ev->k8s_pod_name, sizeof(ev->k8s_pod_name), pi->k8s_pod_name);
}

void identity_of_address(const char *address, struct alert_identity *id)
{
	memset(id, 0, sizeof(*id));
	id_copy(id->address, sizeof(id->address), address[0] ? address : "-");
}

static int id_plain(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '%' && c != '=';
}

static size_t id_put(char *out, size_t cap, size_t o, const char *name, const char *v, int first)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(name);

	if (o + n + 2 >= cap)
		return 0;
	if (!first)
		out[o++] = ' ';
	memcpy(out + o, name, n);
	o += n;
	out[o++] = '=';
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (o + 4 >= cap)
			return 0;
		if (id_plain(*p)) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	return o;
}

size_t identity_key(const struct alert_identity *id, char *out, size_t cap)
{
	size_t o;

	if (!cap)
		return 0;
	if (id->address[0]) {
		o = id_put(out, cap, 0, "addr", id->address, 1);
	} else {
		o = id_put(out, cap, 0, "svc", id->service, 1);
		o = o ? id_put(out, cap, o, "ns", id->k8s_namespace, 0) : 0;
		o = o ? id_put(out, cap, o, "wl", id->k8s_workload, 0) : 0;
		o = o ? id_put(out, cap, o, "exe", id->exe, 0) : 0;
	}
	if (!o) {
		out[0] = '\0';
		return 0;
	}
	out[o] = '\0';
	return o;
}

static int id_unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* One "name=value" field into dst; returns the bytes consumed or 0. */
static size_t id_get(const char *p, size_t len, const char *name, char *dst, size_t cap)
{
	size_t n = strlen(name), i, o = 0;

	if (len < n + 1 || memcmp(p, name, n) != 0 || p[n] != '=')
		return 0;
	for (i = n + 1; i < len && p[i] != ' '; i++) {
		int c = (unsigned char)p[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len || (hi = id_unhex(p[i + 1])) < 0 ||
			    (lo = id_unhex(p[i + 2])) < 0)
				return 0;
			c = hi << 4 | lo;
			i += 2;
			if (!c)
				return 0;
		} else if (!id_plain((unsigned char)c)) {
			return 0;
		}
		if (o + 1 >= cap)
			return 0;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return i;
}

int identity_from_key(const char *text, size_t len, struct alert_identity *id)
{
	struct {
		const char *name;
		char *dst;
		size_t cap;
	} f[] = {
		{ "svc", id->service, sizeof(id->service) },
		{ "ns", id->k8s_namespace, sizeof(id->k8s_namespace) },
		{ "wl", id->k8s_workload, sizeof(id->k8s_workload) },
		{ "exe", id->exe, sizeof(id->exe) },
	};
	size_t o = 0, n;

	memset(id, 0, sizeof(*id));
	n = id_get(text, len, "addr", id->address, sizeof(id->address));
	if (n)
		return n == len && id->address[0] ? 0 : -1;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (i) {
			if (o >= len || text[o] != ' ')
				return -1;
			o++;
		}
		n = id_get(text + o, len - o, f[i].name, f[i].dst, f[i].cap);
		if (!n)
			return -1;
		o += n;
	}
	return o == len ? 0 : -1;
}

static uint64_t id_fnv(uint64_t h, const char *s)
{
	/* the NUL goes in too: "ab"+"c" and "a"+"bc" differ */
	do {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	} while (*s++);
	return h;
}

uint64_t identity_hash(const struct alert_identity *id, uint64_t h)
{
	h = id_fnv(h, id->service);
	h = id_fnv(h, id->k8s_namespace);
	h = id_fnv(h, id->k8s_workload);
	h = id_fnv(h, id->exe);
	return id_fnv(h, id->address);
}

int identity_equal(const struct alert_identity *a, const struct alert_identity *b)
{
	return !strcmp(a->service, b->service) && !strcmp(a->k8s_namespace, b->k8s_namespace) &&
	       !strcmp(a->k8s_workload, b->k8s_workload) && !strcmp(a->exe, b->exe) &&
	       !strcmp(a->address, b->address);
}

int identity_address_is_loopback(const char *address)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, address, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, address, &a6) != 1)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}
