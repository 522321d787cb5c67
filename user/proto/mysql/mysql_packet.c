// SPDX-License-Identifier: MIT
/*
 * MySQL/MariaDB packet fields; the contract is in mysql_packet.h. Layouts
 * from the MySQL source documentation (Protocol::HandshakeV10,
 * HandshakeResponse41, COM_CHANGE_USER, COM_QUERY, OK/ERR/EOF_Packet).
 */
#include <string.h>

#include "mysql_packet.h"
#include "mysql_wire.h"

struct my_pkt my_pkt_of(const struct frame *f)
{
	struct my_pkt k = { .len = zt_wire_le24(f->data), .bytes = f->len, .tag = f->end_tag,
			    .seq = f->data[3] };

	k.p = f->data + MYSQL_WIRE_HDR;
	k.n = f->kept - MYSQL_WIRE_HDR < k.len ? f->kept - MYSQL_WIRE_HDR : k.len;
	return k;
}

uint16_t my_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

void my_copy(char *dst, size_t cap, const void *src, size_t n)
{
	if (n > cap - 1)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int my_name(char *dst, size_t cap, const void *src, size_t n)
{
	if (n >= cap) {
		dst[0] = '\0';
		return 0;
	}
	my_copy(dst, cap, src, n);
	return 1;
}

int my_lenenc(const uint8_t *p, uint32_t n, uint32_t *at, uint64_t *v)
{
	uint32_t i = *at, w;

	if (i >= n)
		return 0;
	switch (p[i]) {
	case 0xfb:
	case 0xff:
		return 0;
	case 0xfc:
		w = 2;
		break;
	case 0xfd:
		w = 3;
		break;
	case 0xfe:
		w = 8;
		break;
	default:
		*v = p[i];
		*at = i + 1;
		return 1;
	}
	if (n - i - 1 < w)
		return 0;
	*v = 0;
	for (uint32_t k = 0; k < w; k++)
		*v |= (uint64_t)p[i + 1 + k] << (8 * k);
	*at = i + 1 + w;
	return 1;
}

enum my_kind my_kind(const struct my_pkt *k)
{
	if (!k->p || !k->n)
		return MY_PK_OTHER;
	switch (k->p[0]) {
	case 0x00:
		return MY_PK_OK;
	case 0xff:
		return k->n >= 3 && my_le16(k->p + 1) == 0xffff ? MY_PK_PROGRESS : MY_PK_ERR;
	case 0xfe:
		/* a text row starting 0xfe (an 8-byte length) is a long packet */
		if (k->len < 7)
			return MY_PK_EOF;
		return k->len < MYSQL_WIRE_MAX ? MY_PK_TERM : MY_PK_OTHER;
	}
	return MY_PK_OTHER;
}

void my_stmts_clear(struct my_stmts *c)
{
	for (uint32_t i = 0; i < MY_STMTS; i++)
		c->e[i].used = 0;
}

static int my_stmts_find(const struct my_stmts *c, uint32_t id)
{
	for (int i = 0; i < MY_STMTS; i++)
		if (c->e[i].used && c->e[i].id == id)
			return i;
	return -1;
}

const char *my_stmts_get(struct my_stmts *c, uint32_t id)
{
	int i = my_stmts_find(c, id);

	if (i < 0)
		return NULL;
	c->e[i].used = ++c->clock;
	return c->e[i].text;
}

int my_stmts_put(struct my_stmts *c, uint32_t id, const char *text)
{
	int i = my_stmts_find(c, id), full = 0;

	for (int j = 0; i < 0 && j < MY_STMTS; j++)
		if (!c->e[j].used)
			i = j;
	if (i < 0) {
		i = 0;
		for (int j = 1; j < MY_STMTS; j++)
			if (c->e[j].used < c->e[i].used)
				i = j;
		full = 1;
	}
	c->e[i].used = ++c->clock;
	c->e[i].id = id;
	my_copy(c->e[i].text, sizeof(c->e[i].text), text, strlen(text));
	return full;
}

void my_stmts_forget(struct my_stmts *c, uint32_t id)
{
	int i = my_stmts_find(c, id);

	if (i >= 0)
		c->e[i].used = 0;
}

static const char *const my_com_names[] = {
	"SLEEP", "QUIT", "INIT_DB", "QUERY", "FIELD_LIST", "CREATE_DB", "DROP_DB", "REFRESH",
	"SHUTDOWN", "STATISTICS", "PROCESS_INFO", "CONNECT", "PROCESS_KILL", "DEBUG", "PING",
	"TIME", "DELAYED_INSERT", "CHANGE_USER", "BINLOG_DUMP", "TABLE_DUMP", "CONNECT_OUT",
	"REGISTER_SLAVE", "PREPARE", "EXECUTE", "STMT_SEND_LONG_DATA", "STMT_CLOSE",
	"STMT_RESET", "SET_OPTION", "STMT_FETCH", "DAEMON", "BINLOG_DUMP_GTID",
	"RESET_CONNECTION", "CLONE", "SUBSCRIBE_GROUP_REPLICATION_STREAM",
};

const char *my_com_name(uint8_t cmd)
{
	if (cmd < sizeof(my_com_names) / sizeof(my_com_names[0]))
		return my_com_names[cmd];
	return cmd == MY_COM_STMT_BULK_EXECUTE ? "BULK_EXECUTE" : "UNKNOWN";
}

static int my_has(const uint8_t *p, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	for (size_t i = 0; i + k <= n; i++)
		if (!memcmp(p + i, lit, k))
			return 1;
	return 0;
}

int my_greeting(const uint8_t *p, uint32_t n, struct my_greeting *g)
{
	const uint8_t *z;
	uint32_t at;

	memset(g, 0, sizeof(*g));
	if (n < 2 || p[0] != 0x0a)
		return 0;
	z = memchr(p + 1, 0, n - 1);
	g->mariadb = (uint8_t)my_has(p + 1, z ? (size_t)(z - p - 1) : n - 1, "MariaDB");
	if (!z)
		return 1;
	/* thread id, auth-plugin-data part 1, a filler */
	at = (uint32_t)(z - p) + 1 + 4 + 8 + 1;
	/* capabilities (low 16 bits), charset, status, capabilities (high) */
	if (at + 7 > n)
		return 1;
	g->caps = my_le16(p + at) | (uint32_t)my_le16(p + at + 5) << 16;
	g->caps_known = 1;
	return 1;
}

/* The NUL-terminated string at p[*at..n): its length, *at moved past the
 * NUL; -1 when no NUL is in view. */
static int64_t my_cstr(const uint8_t *p, uint32_t n, uint32_t *at)
{
	const uint8_t *z;
	int64_t len;

	if (*at >= n)
		return -1;
	z = memchr(p + *at, 0, n - *at);
	if (!z)
		return -1;
	len = z - (p + *at);
	*at += (uint32_t)len + 1;
	return len;
}

/* The database, at p[at..n) after an auth response of alen bytes. */
static int my_db_after(const uint8_t *p, uint32_t n, uint32_t at, uint64_t alen, char *db,
		       size_t cap)
{
	int64_t len;

	if (at > n || alen > n - at)
		return 0;
	at += (uint32_t)alen;
	len = my_cstr(p, n, &at);
	return len >= 0 && my_name(db, cap, p + at - len - 1, (size_t)len);
}

int my_handshake(const uint8_t *p, uint32_t n, uint32_t *caps, char *db, size_t cap)
{
	uint32_t at = 32;
	uint64_t alen = 0;

	db[0] = '\0';
	if (n < 4)
		return 0;
	*caps = mysql_wire_le32(p);
	if (!(*caps & MYSQL_CLIENT_PROTOCOL_41)) {
		*caps &= 0xffff; /* HandshakeResponse320: no database read */
		return 1;
	}
	if (my_cstr(p, n, &at) < 0) /* the user name */
		return 1;
	/* the auth response, skipped by its length */
	if (*caps & MYSQL_CLIENT_PLUGIN_AUTH_LENENC) {
		if (!my_lenenc(p, n, &at, &alen))
			return 1;
	} else if (*caps & MYSQL_CLIENT_SECURE_CONNECTION) {
		if (at >= n)
			return 1;
		alen = p[at++];
	} else if (my_cstr(p, n, &at) < 0) {
		return 1;
	}
	if (*caps & MYSQL_CLIENT_CONNECT_WITH_DB)
		my_db_after(p, n, at, alen, db, cap);
	return 1;
}

int my_change_user(const uint8_t *p, uint32_t n, char *db, size_t cap)
{
	uint32_t at = 1;

	db[0] = '\0';
	if (my_cstr(p, n, &at) < 0 || at >= n) /* the user */
		return 0;
	/* a 1-byte length, then the auth response (CLIENT_SECURE_CONNECTION,
	 * which every 4.1+ client sets) */
	return my_db_after(p, n, at + 1, p[at], db, cap);
}

uint32_t my_query_at(const uint8_t *p, uint32_t n, int attrs)
{
	uint32_t at = 1;
	uint64_t count, sets;

	/* unknown: text never starts with a control byte, a parameter count does */
	if (attrs < 0)
		attrs = n > 1 && p[1] < 0x20 && p[1] != '\t' && p[1] != '\n' && p[1] != '\r';
	if (!attrs)
		return 1;
	if (!my_lenenc(p, n, &at, &count) || count || !my_lenenc(p, n, &at, &sets))
		return 0;
	return at;
}

static int my_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int my_use(const char *t, size_t n, char *db, size_t cap)
{
	size_t i = 0, start, k = 0;

	db[0] = '\0';
	while (i < n && my_space(t[i]))
		i++;
	if (n - i < 4 || (t[i] | 0x20) != 'u' || (t[i + 1] | 0x20) != 's' ||
	    (t[i + 2] | 0x20) != 'e' || !my_space(t[i + 3]))
		return 0;
	for (i += 4; i < n && my_space(t[i]); i++)
		;
	if (i < n && t[i] == '`') {
		/* `name`, with `` for a backtick */
		for (i++; i < n; i++) {
			if (t[i] == '`' && (i + 1 >= n || t[i + 1] != '`'))
				break;
			i += t[i] == '`';
			if (k + 1 >= cap)
				return -1;
			db[k++] = t[i];
		}
		db[k] = '\0';
		if (i++ >= n || !k)
			return -1;
	} else {
		for (start = i; i < n && ((t[i] >= '0' && t[i] <= '9') || ((t[i] | 0x20) >= 'a' &&
			(t[i] | 0x20) <= 'z') || t[i] == '_' || t[i] == '$' || (t[i] & 0x80)); i++)
			;
		if (i == start || !my_name(db, cap, t + start, i - start))
			return -1;
	}
	while (i < n && my_space(t[i]))
		i++;
	i += i < n && t[i] == ';';
	while (i < n && my_space(t[i]))
		i++;
	if (i != n)
		db[0] = '\0';
	return i == n ? 1 : -1;
}

uint16_t my_err(const uint8_t *p, uint32_t n, uint32_t len, char *msg, size_t cap)
{
	uint32_t at = 3;

	msg[0] = '\0';
	if (n < 3)
		return 0;
	if (n > 3 && p[3] == '#') /* '#' and the SQLSTATE */
		at = 9;
	if (n > len)
		n = len;
	if (at < n)
		my_copy(msg, cap, p + at, n - at);
	return my_le16(p + 1);
}

uint16_t my_status(const uint8_t *p, uint32_t n, uint32_t len)
{
	uint32_t at = 1;
	uint64_t v;

	if (n > len)
		n = len;
	if (p[0] == 0xfe && len < 7) /* EOF: warnings, status */
		return n >= 5 ? my_le16(p + 3) : 0;
	/* OK: affected rows, last insert id, status */
	if (!my_lenenc(p, n, &at, &v) || !my_lenenc(p, n, &at, &v) || at + 2 > n)
		return 0;
	return my_le16(p + at);
}

int64_t my_columns(const struct my_pkt *k)
{
	uint32_t at = 0;
	uint64_t cols;

	/* over 65535 is a lying count (a table has at most 4096) */
	if (!my_lenenc(k->p, k->n, &at, &cols) || !cols || cols > 65535)
		return -1;
	/* metadata_follows 0: MariaDB's cached metadata, MySQL's optional one */
	if (k->len == at + 1 && k->n > at && k->p[at] == 0)
		return 0;
	return (int64_t)cols;
}

int my_prepare_ok(const struct my_pkt *k, uint32_t *id, uint16_t *params, uint16_t *cols)
{
	/* 0x00, id, columns, parameters, a filler, warnings[, metadata_follows] */
	if (k->n < 9)
		return 0;
	*id = mysql_wire_le32(k->p + 1);
	*cols = my_le16(k->p + 5);
	*params = my_le16(k->p + 7);
	if (k->len >= 13 && k->n >= 13 && k->p[12] == 0)
		*cols = *params = 0;
	return 1;
}
