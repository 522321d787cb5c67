/* SPDX-License-Identifier: MIT */
/*
 * Workload identities: who is at each end of a span, in a form that
 * survives a rollout (service.name, Kubernetes namespace and workload,
 * executable; an address for a peer off the node), and the evidence that
 * names this instance (pid, container, pod). Pure functions.
 */
#ifndef ZT_IDENTITY_H
#define ZT_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "process.h"
#include "span.h"

/* The longest identity_key text: every field escaped, with its name. */
#define IDENTITY_KEY_MAX 1536

/* A process's identity and evidence from its resource. */
void identity_of_process(const struct procinfo *pi, const char *service_name, const char *exe,
			 struct alert_identity *id, struct alert_evidence *ev);
/* A peer known only by its address. */
void identity_of_address(const char *address, struct alert_identity *id);
/* The Deployment, StatefulSet, DaemonSet or Job that a pod name belongs to
 * ("users-7d9f8b6c5d-x2x7k" -> "users", "db-0" -> "db"); "" when the name
 * shows none. */
void identity_workload_of_pod(const char *pod, char *out, size_t cap);
/* One line of text that is equal for equal identities and parses back
 * (identity_from_key): "svc=users ns=shop wl=users exe=python3" or
 * "addr=10.0.0.9"; each value percent-encoded (space, '%', '=' and every
 * byte outside printable ASCII). Returns its length, 0 when cap is short. */
size_t identity_key(const struct alert_identity *id, char *out, size_t cap);
/* Parses identity_key's text (len bytes); 0, or -1 when it is not one. */
int identity_from_key(const char *text, size_t len, struct alert_identity *id);
/* 64-bit FNV-1a of the key fields, for tables. */
uint64_t identity_hash(const struct alert_identity *id, uint64_t h);
int identity_equal(const struct alert_identity *a, const struct alert_identity *b);
/* Loopback: 127.0.0.0/8, ::1, ::ffff:127.x (as text, as spans hold it). */
int identity_address_is_loopback(const char *address);

#endif /* ZT_IDENTITY_H */
