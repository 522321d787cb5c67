// SPDX-License-Identifier: MIT
/* user/security/identity.c: workload identities, their key text, the
 * workload a pod name shows, loopback addresses. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "identity.h"

#define EXPECT_WORKLOAD(pod, want)                                             \
	do {                                                                   \
		char got_[64];                                                 \
		memset(got_, 'X', sizeof(got_));                               \
		identity_workload_of_pod((pod), got_, sizeof(got_));           \
		cr_expect_str_eq(got_, (want), "pod %s", (pod));               \
	} while (0)

static struct alert_identity ident(const char *svc, const char *ns, const char *wl, const char *exe)
{
	struct alert_identity id;

	memset(&id, 0, sizeof(id));
	strcpy(id.service, svc);
	strcpy(id.k8s_namespace, ns);
	strcpy(id.k8s_workload, wl);
	strcpy(id.exe, exe);
	return id;
}

static struct alert_identity addr(const char *a)
{
	struct alert_identity id;

	memset(&id, 0, sizeof(id));
	strcpy(id.address, a);
	return id;
}

static void add_attr(struct procinfo *pi, const char *key, const char *value)
{
	strcpy(pi->attrs[pi->n_attrs].key, key);
	strcpy(pi->attrs[pi->n_attrs].value, value);
	pi->n_attrs++;
}

/* A pod of Deployment "users" in namespace "shop", as procinfo reads it. */
static struct procinfo users_pod(void)
{
	struct procinfo pi;

	memset(&pi, 0, sizeof(pi));
	pi.pid = 4242;
	strcpy(pi.exe_name, "python3.11");
	strcpy(pi.service_name, "users");
	strcpy(pi.container_id, "0123456789abcdef");
	strcpy(pi.k8s_pod_name, "users-7d9f8b6c5d-x2x7k");
	strcpy(pi.k8s_namespace, "shop");
	return pi;
}

/* identity_key then identity_from_key gives the identity back. */
static void expect_round_trip(const struct alert_identity *id)
{
	char key[IDENTITY_KEY_MAX];
	struct alert_identity back;
	size_t n = identity_key(id, key, sizeof(key));

	cr_assert_gt(n, 0);
	cr_assert_eq(strlen(key), n);
	cr_assert_eq(identity_from_key(key, n, &back), 0, "key %s", key);
	cr_expect(identity_equal(&back, id), "key %s", key);
	cr_expect_eq(memcmp(&back, id, sizeof(back)), 0, "key %s: padding bytes not zero", key);
}

#define EXPECT_BAD_KEY(text)                                                   \
	do {                                                                   \
		struct alert_identity id_;                                     \
		cr_expect_eq(identity_from_key((text), strlen(text), &id_), -1, \
			     "key \"%s\"", (text));                            \
	} while (0)

/* --- workload of a pod name --- */

Test(identity, workload_of_deployment_pod)
{
	EXPECT_WORKLOAD("users-7d9f8b6c5d-x2x7k", "users");
	EXPECT_WORKLOAD("api-v2-7d9f8b6c5d-x2x7k", "api-v2");
	EXPECT_WORKLOAD("users-5c9b4-x2x7k", "users-5c9b4"); /* a 5-letter "hash" is not one */
}

Test(identity, workload_of_statefulset_pod)
{
	EXPECT_WORKLOAD("db-0", "db");
	EXPECT_WORKLOAD("kafka-broker-12", "kafka-broker");
}

Test(identity, workload_of_daemonset_or_job_pod)
{
	EXPECT_WORKLOAD("agent-x2x7k", "agent");
	EXPECT_WORKLOAD("migrate-x2x7k", "migrate");
}

Test(identity, workload_of_cronjob_pod)
{
	/* <cronjob>-<scheduled minute>-<suffix>: every run is one workload */
	EXPECT_WORKLOAD("backup-28391022-x2x7k", "backup");
	EXPECT_WORKLOAD("backup-v2-28391022-x2x7k", "backup-v2");
	/* fewer digits are part of the name */
	EXPECT_WORKLOAD("web-2024-x2x7k", "web-2024");
}

Test(identity, workload_of_names_that_show_none)
{
	EXPECT_WORKLOAD("plain", "");
	EXPECT_WORKLOAD("a-b", "");
	EXPECT_WORKLOAD("", "");
	EXPECT_WORKLOAD("-0", "");
	EXPECT_WORKLOAD("web-", "");
	/* five letters with a vowel: Kubernetes' suffix alphabet has none */
	EXPECT_WORKLOAD("nginx-proxy", "");
	EXPECT_WORKLOAD("web-x2x7kk", "");
}

Test(identity, workload_cut_to_cap)
{
	char out[4];

	identity_workload_of_pod("users-7d9f8b6c5d-x2x7k", out, sizeof(out));
	cr_expect_str_eq(out, "use");
}

/* --- identity of a process, of an address --- */

Test(identity, of_process_from_pod_name)
{
	struct procinfo pi = users_pod();
	struct alert_identity id;
	struct alert_evidence ev;

	identity_of_process(&pi, "users", "python3", &id, &ev);
	cr_expect_str_eq(id.service, "users");
	cr_expect_str_eq(id.k8s_namespace, "shop");
	cr_expect_str_eq(id.k8s_workload, "users");
	cr_expect_str_eq(id.exe, "python3.11"); /* the resource's exe wins over the span's */
	cr_expect_str_eq(id.address, "");
	cr_expect_eq(ev.pid, 4242);
	cr_expect_str_eq(ev.container_id, "0123456789abcdef");
	cr_expect_str_eq(ev.k8s_pod_name, "users-7d9f8b6c5d-x2x7k");
}

Test(identity, of_process_deployment_attr_wins_over_pod_name)
{
	struct procinfo pi = users_pod();
	struct alert_identity id;
	struct alert_evidence ev;

	add_attr(&pi, "deployment.environment", "prod");
	add_attr(&pi, "k8s.deployment.name", "checkout");
	identity_of_process(&pi, "users", "python3", &id, &ev);
	cr_expect_str_eq(id.k8s_workload, "checkout");
}

Test(identity, of_process_statefulset_attr)
{
	struct procinfo pi = users_pod();
	struct alert_identity id;
	struct alert_evidence ev;

	add_attr(&pi, "k8s.statefulset.name", "db");
	identity_of_process(&pi, "users", "python3", &id, &ev);
	cr_expect_str_eq(id.k8s_workload, "db");
}

Test(identity, of_process_empty_workload_attr_ignored)
{
	struct procinfo pi = users_pod();
	struct alert_identity id;
	struct alert_evidence ev;

	add_attr(&pi, "k8s.deployment.name", "");
	identity_of_process(&pi, "users", "python3", &id, &ev);
	cr_expect_str_eq(id.k8s_workload, "users");
}

Test(identity, of_process_namespace_from_attr)
{
	struct procinfo pi = users_pod();
	struct alert_identity id;
	struct alert_evidence ev;

	pi.k8s_namespace[0] = '\0';
	add_attr(&pi, "k8s.namespace.name", "payments");
	identity_of_process(&pi, "users", "python3", &id, &ev);
	cr_expect_str_eq(id.k8s_namespace, "payments");

	/* the namespace procinfo read itself wins */
	strcpy(pi.k8s_namespace, "shop");
	identity_of_process(&pi, "users", "python3", &id, &ev);
	cr_expect_str_eq(id.k8s_namespace, "shop");
}

Test(identity, of_process_without_resource)
{
	struct alert_identity id;
	struct alert_evidence ev;

	memset(&ev, 0x5a, sizeof(ev));
	identity_of_process(NULL, "users", "python3", &id, &ev);
	cr_expect_str_eq(id.service, "users");
	cr_expect_str_eq(id.exe, "python3");
	cr_expect_str_eq(id.k8s_namespace, "");
	cr_expect_str_eq(id.k8s_workload, "");
	cr_expect_str_eq(id.address, "");
	cr_expect_eq(ev.pid, 0);
	cr_expect_str_eq(ev.container_id, "");
	cr_expect_str_eq(ev.k8s_pod_name, "");
}

Test(identity, of_process_service_cut_to_field)
{
	char svc[300];
	struct alert_identity id;
	struct alert_evidence ev;

	memset(svc, 's', sizeof(svc) - 1);
	svc[sizeof(svc) - 1] = '\0';
	identity_of_process(NULL, svc, "", &id, &ev);
	cr_expect_eq(strlen(id.service), ALERT_SERVICE_MAX - 1);
}

Test(identity, of_address)
{
	struct alert_identity id;

	identity_of_address("10.0.0.9", &id);
	cr_expect_str_eq(id.address, "10.0.0.9");
	cr_expect_str_eq(id.service, "");
	identity_of_address("", &id);
	cr_expect_str_eq(id.address, "-"); /* an end is never blank */
}

/* --- key text --- */

Test(identity, key_of_process_exact)
{
	struct alert_identity id = ident("users", "shop", "users", "python3");
	char key[IDENTITY_KEY_MAX];

	cr_expect_eq(identity_key(&id, key, sizeof(key)), 38);
	cr_expect_str_eq(key, "svc=users ns=shop wl=users exe=python3");
}

Test(identity, key_of_process_empty_fields)
{
	struct alert_identity id = ident("users", "", "", "python3");
	char key[IDENTITY_KEY_MAX];

	identity_key(&id, key, sizeof(key));
	cr_expect_str_eq(key, "svc=users ns= wl= exe=python3");
}

Test(identity, key_of_address_exact)
{
	struct alert_identity id = addr("10.0.0.9");
	char key[IDENTITY_KEY_MAX];

	/* the address alone, whatever else is set */
	strcpy(id.service, "ignored");
	cr_expect_eq(identity_key(&id, key, sizeof(key)), 13);
	cr_expect_str_eq(key, "addr=10.0.0.9");
}

Test(identity, key_percent_encodes)
{
	struct alert_identity id = ident("my svc=1%", "a\tb", "caf\xc3\xa9", "x\x7f~");
	char key[IDENTITY_KEY_MAX];

	identity_key(&id, key, sizeof(key));
	cr_expect_str_eq(key, "svc=my%20svc%3D1%25 ns=a%09b wl=caf%C3%A9 exe=x%7F~");
}

Test(identity, key_ipv6_address_kept)
{
	struct alert_identity id = addr("fe80::1%eth0");
	char key[IDENTITY_KEY_MAX];

	identity_key(&id, key, sizeof(key));
	cr_expect_str_eq(key, "addr=fe80::1%25eth0");
}

Test(identity, key_short_buffer)
{
	struct alert_identity id = ident("users", "shop", "users", "python3");
	char key[8];

	memset(key, 'X', sizeof(key));
	cr_expect_eq(identity_key(&id, key, sizeof(key)), 0);
	cr_expect_str_eq(key, "");
	cr_expect_eq(identity_key(&id, key, 0), 0);
	cr_expect_eq(key[0], '\0');
}

Test(identity, key_max_holds_the_fullest_identity)
{
	struct alert_identity id;
	char key[IDENTITY_KEY_MAX];

	memset(&id, 0, sizeof(id));
	memset(id.service, 0xff, sizeof(id.service) - 1);
	memset(id.k8s_namespace, '%', sizeof(id.k8s_namespace) - 1);
	memset(id.k8s_workload, ' ', sizeof(id.k8s_workload) - 1);
	memset(id.exe, '=', sizeof(id.exe) - 1);
	cr_expect_eq(identity_key(&id, key, sizeof(key)),
		     4 + 3 * 127 + 4 + 3 * 63 + 4 + 3 * 127 + 5 + 3 * 63);
	expect_round_trip(&id);
}

Test(identity, key_round_trip)
{
	struct alert_identity a = ident("users", "shop", "users", "python3");
	struct alert_identity b = ident("my svc=1%", "a\tb", "caf\xc3\xa9", "x\x7f~");
	struct alert_identity c = ident("", "", "", "");
	struct alert_identity d = addr("::ffff:10.0.0.9");
	struct alert_identity e = addr("-");

	expect_round_trip(&a);
	expect_round_trip(&b);
	expect_round_trip(&c);
	expect_round_trip(&d);
	expect_round_trip(&e);
}

Test(identity, from_key_lower_case_hex)
{
	struct alert_identity id;
	const char *k = "svc=caf%c3%a9 ns= wl= exe=";

	cr_assert_eq(identity_from_key(k, strlen(k), &id), 0);
	cr_expect_str_eq(id.service, "caf\xc3\xa9");
}

Test(identity, from_key_reads_len_bytes_only)
{
	struct alert_identity id;
	const char *k = "addr=10.0.0.9 trailing";

	cr_assert_eq(identity_from_key(k, 13, &id), 0);
	cr_expect_str_eq(id.address, "10.0.0.9");
}

Test(identity, from_key_rejects_missing_or_extra_fields)
{
	EXPECT_BAD_KEY("");
	EXPECT_BAD_KEY("svc=a");
	EXPECT_BAD_KEY("svc=a ns=b wl=c");
	EXPECT_BAD_KEY("svc=a ns=b wl=c exe=d ");
	EXPECT_BAD_KEY("svc=a ns=b wl=c exe=d addr=e");
	EXPECT_BAD_KEY("addr=10.0.0.9 svc=a");
	EXPECT_BAD_KEY("addr=");
}

Test(identity, from_key_rejects_wrong_order_or_spacing)
{
	EXPECT_BAD_KEY("ns=b svc=a wl=c exe=d");
	EXPECT_BAD_KEY("svc=a  ns=b wl=c exe=d");
	EXPECT_BAD_KEY("svc=a\tns=b wl=c exe=d");
	EXPECT_BAD_KEY(" addr=1.2.3.4");
	EXPECT_BAD_KEY("svc a ns=b wl=c exe=d");
	EXPECT_BAD_KEY("service=a ns=b wl=c exe=d");
}

Test(identity, from_key_rejects_bad_escapes)
{
	EXPECT_BAD_KEY("addr=%4");
	EXPECT_BAD_KEY("addr=%");
	EXPECT_BAD_KEY("addr=%zz");
	EXPECT_BAD_KEY("addr=%00");
	EXPECT_BAD_KEY("addr=a%4g");
}

Test(identity, from_key_rejects_raw_bytes_that_need_escaping)
{
	EXPECT_BAD_KEY("addr=caf\xc3\xa9");
	EXPECT_BAD_KEY("addr=a=b");
	EXPECT_BAD_KEY("addr=a%b");
	EXPECT_BAD_KEY("addr=a\x7f");
}

Test(identity, from_key_rejects_values_too_long)
{
	char k[128];
	struct alert_identity id;

	/* exe holds 63 bytes */
	snprintf(k, sizeof(k), "svc=a ns=b wl=c exe=%064d", 0);
	cr_expect_eq(identity_from_key(k, strlen(k), &id), -1);
	snprintf(k, sizeof(k), "svc=a ns=b wl=c exe=%063d", 0);
	cr_expect_eq(identity_from_key(k, strlen(k), &id), 0);
	/* address holds 47 */
	snprintf(k, sizeof(k), "addr=%048d", 0);
	cr_expect_eq(identity_from_key(k, strlen(k), &id), -1);
	snprintf(k, sizeof(k), "addr=%047d", 0);
	cr_expect_eq(identity_from_key(k, strlen(k), &id), 0);
}

/* --- hash and equality --- */

Test(identity, hash_and_equal_follow_every_field)
{
	struct alert_identity a = ident("users", "shop", "users", "python3"), b = a;

	cr_expect(identity_equal(&a, &b));
	cr_expect_eq(identity_hash(&a, 1), identity_hash(&b, 1));
	strcpy(b.exe, "python");
	cr_expect_not(identity_equal(&a, &b));
	cr_expect_neq(identity_hash(&a, 1), identity_hash(&b, 1));
	b = a;
	strcpy(b.address, "10.0.0.9");
	cr_expect_not(identity_equal(&a, &b));
	cr_expect_neq(identity_hash(&a, 1), identity_hash(&b, 1));
}

Test(identity, hash_separates_fields)
{
	struct alert_identity a = ident("ab", "c", "", ""), b = ident("a", "bc", "", "");

	cr_expect_not(identity_equal(&a, &b));
	cr_expect_neq(identity_hash(&a, 1), identity_hash(&b, 1));
}

Test(identity, hash_seeded)
{
	struct alert_identity a = ident("users", "shop", "users", "python3");

	cr_expect_neq(identity_hash(&a, 1), identity_hash(&a, 2));
}

/* --- loopback --- */

Test(identity, loopback_yes)
{
	cr_expect(identity_address_is_loopback("127.0.0.1"));
	cr_expect(identity_address_is_loopback("127.0.0.5"));
	cr_expect(identity_address_is_loopback("127.255.255.254"));
	cr_expect(identity_address_is_loopback("::1"));
	cr_expect(identity_address_is_loopback("::ffff:127.0.0.1"));
	cr_expect(identity_address_is_loopback("::ffff:127.1.2.3"));
}

Test(identity, loopback_no)
{
	cr_expect_not(identity_address_is_loopback("10.0.0.1"));
	cr_expect_not(identity_address_is_loopback("128.0.0.1"));
	cr_expect_not(identity_address_is_loopback("0.0.0.0"));
	cr_expect_not(identity_address_is_loopback("::ffff:10.0.0.1"));
	cr_expect_not(identity_address_is_loopback("::"));
	cr_expect_not(identity_address_is_loopback("fe80::1"));
	cr_expect_not(identity_address_is_loopback("::2"));
}

Test(identity, loopback_garbage_no)
{
	cr_expect_not(identity_address_is_loopback(""));
	cr_expect_not(identity_address_is_loopback("-"));
	cr_expect_not(identity_address_is_loopback("localhost"));
	cr_expect_not(identity_address_is_loopback("127.0.0.1 "));
	cr_expect_not(identity_address_is_loopback("127.0.0.1:80"));
	cr_expect_not(identity_address_is_loopback("127.1"));
}
