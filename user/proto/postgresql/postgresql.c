// SPDX-License-Identifier: MIT
/*
 * PostgreSQL (frontend/backend protocol 3) behind the protocol interface.
 *
 * A span is one statement execution, as the server logs them: a simple
 * query ('Q', ended by ReadyForQuery) or an Execute of the extended
 * protocol ('E', ended by its CommandComplete, EmptyQueryResponse,
 * PortalSuspended or ErrorResponse). Parse, Bind and Describe prepare one;
 * an Execute's span carries the text its statement's Parse named, kept in
 * a bounded per-connection cache. Executes the server skipped after an
 * error (until Sync) were never run: no span. Frames come from the frame
 * reader; data rows and copy data are counted, not copied.
 *
 * Credentials never reach a span: password and SASL messages are not even
 * copied by the kernel past their header, and nothing of the startup
 * message but the database and user names is read.
 */
#include <stdio.h>
#include <string.h>

#include "frames.h"
#include "postgresql_wire.h"
#include "proto.h"
#include "sql.h"

#define PG_PENDING 16
#define PG_STMTS 16
#define PG_NAME_MAX 64
#define PG_TEXT_MAX 512
#define PG_TAG_MAX 32
#define PG_DB_MAX 64
#define PG_MSG_MAX 96

enum pg_kind {
	PG_SIMPLE = 1,  /* 'Q': ends at ReadyForQuery */
	PG_EXECUTE = 2, /* 'E': ends at its completion */
};

struct pg_stmt {
	uint32_t used;            /* LRU clock; 0: free */
	char name[PG_NAME_MAX];
	char text[PG_TEXT_MAX];
};

struct pg_req {
	uint32_t seq;
	uint8_t kind;             /* enum pg_kind */
	uint8_t has_tag;
	uint8_t has_error;
	uint8_t has_text;
	uint64_t start_tag;
	uint64_t end_tag;
	uint64_t req_bytes;
	uint64_t resp_bytes;
	uint64_t rows;            /* DataRows seen */
	char tag[PG_TAG_MAX];     /* the first CommandComplete's */
	char sqlstate[8];
	char message[PG_MSG_MAX];
	char text[PG_TEXT_MAX];   /* as sent (redacted when the span is built) */
};

struct pg_state {
	struct frame_reader fe;   /* frontend: the client's frames */
	struct frame_reader be;   /* backend */
	uint8_t fe_buf[FRAME_KEEP_MAX], be_buf[FRAME_KEEP_MAX];
	uint8_t wire;             /* framing state (postgresql_wire.h), both directions */
	uint8_t last_side;        /* of the previous chunk, + 1 (0: none yet) */
	uint8_t skipping;         /* an error: the server skips Executes until Sync */
	uint8_t bound_known;      /* the last Bind named a statement in the cache */
	uint32_t head;
	uint32_t count;
	uint32_t next_seq;
	uint32_t clock;
	uint64_t bind_tag;        /* when the last Bind came, for the Execute after it */
	char db[PG_DB_MAX];       /* db.namespace */
	char bound[PG_TEXT_MAX];  /* the text of the statement the last Bind named */
	struct pg_stmt unnamed;
	struct pg_stmt stmts[PG_STMTS];
	struct pg_req pending[PG_PENDING];
};

_Static_assert(sizeof(struct pg_state) <= PROTO_STATE_MAX, "postgresql state fits a slot");
_Static_assert(PG_PENDING <= PROTO_INFLIGHT_MAX, "pending statements have distinct keys");

struct pg_run {
	struct pg_state *s;
	const struct proto_sink *k;
	unsigned int misses;
};

/* ---- message fields ---- */

/* The C string at p[*at..n), advanced past its NUL; NULL when cut. */
static const char *pg_cstr(const uint8_t *p, uint32_t n, uint32_t *at, size_t *len)
{
	const uint8_t *z;

	if (*at >= n)
		return NULL;
	z = memchr(p + *at, 0, n - *at);
	if (!z)
		return NULL;
	*len = (size_t)(z - (p + *at));
	p += *at;
	*at += (uint32_t)*len + 1;
	return (const char *)p;
}

static void pg_copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n > cap - 1)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A text field that may go on past what was copied: what there is of it. */
static void pg_text(char *dst, size_t cap, const uint8_t *p, uint32_t n, uint32_t at)
{
	const uint8_t *z;
	size_t len;

	if (at >= n) {
		dst[0] = '\0';
		return;
	}
	z = memchr(p + at, 0, n - at);
	len = z ? (size_t)(z - (p + at)) : n - at;
	pg_copy(dst, cap, (const char *)p + at, len);
}

/* ---- prepared statements ---- */

static struct pg_stmt *pg_stmt_find(struct pg_state *s, const char *name, size_t n)
{
	if (!n)
		return s->unnamed.used ? &s->unnamed : NULL;
	for (uint32_t i = 0; i < PG_STMTS; i++)
		if (s->stmts[i].used && strlen(s->stmts[i].name) == n &&
		    !memcmp(s->stmts[i].name, name, n))
			return &s->stmts[i];
	return NULL;
}

/* A slot for a new named statement: a free one, else the least recently
 * used (counted: its Executes will have no text). */
static struct pg_stmt *pg_stmt_slot(struct pg_run *r, size_t n)
{
	struct pg_state *s = r->s;
	struct pg_stmt *victim = &s->stmts[0];

	if (!n)
		return &s->unnamed;
	for (uint32_t i = 0; i < PG_STMTS; i++) {
		if (!s->stmts[i].used)
			return &s->stmts[i];
		if (s->stmts[i].used < victim->used)
			victim = &s->stmts[i];
	}
	r->k->note(r->k->ctx, PROTO_NOTE_CACHE_FULL);
	return victim;
}

static void pg_on_parse(struct pg_run *r, const struct frame *f)
{
	uint32_t at = 5;
	size_t n;
	const char *name = pg_cstr(f->data, f->kept, &at, &n);
	struct pg_stmt *st;

	if (!name)
		return; /* a name longer than the copy: nothing to execute by */
	st = pg_stmt_find(r->s, name, n);
	if (!st)
		st = pg_stmt_slot(r, n);
	st->used = ++r->s->clock;
	pg_copy(st->name, sizeof(st->name), name, n);
	pg_text(st->text, sizeof(st->text), f->data, f->kept, at);
}

static void pg_on_bind(struct pg_run *r, const struct frame *f)
{
	struct pg_state *s = r->s;
	uint32_t at = 5;
	size_t n;
	const struct pg_stmt *st;

	const char *name;

	s->bind_tag = f->start_tag;
	s->bound_known = 0;
	if (!pg_cstr(f->data, f->kept, &at, &n)) /* the portal */
		return;
	name = pg_cstr(f->data, f->kept, &at, &n);
	if (!name)
		return;
	st = pg_stmt_find(s, name, n);
	if (!st)
		return; /* prepared before the agent came, or forgotten */
	memcpy(s->bound, st->text, sizeof(s->bound));
	s->bound_known = 1;
}

static void pg_on_close(struct pg_run *r, const struct frame *f)
{
	uint32_t at = 6;
	size_t n;
	const char *name;
	struct pg_stmt *st;

	if (f->kept < 6 || f->data[5] != 'S')
		return;
	name = pg_cstr(f->data, f->kept, &at, &n);
	st = name ? pg_stmt_find(r->s, name, n) : NULL;
	if (st)
		st->used = 0;
}

/* ---- the pending statements ---- */

static struct pg_req *pg_oldest(struct pg_state *s)
{
	return s->count ? &s->pending[s->head] : NULL;
}

static void pg_pop(struct pg_state *s)
{
	s->head = (s->head + 1) % PG_PENDING;
	s->count--;
}

static struct pg_req *pg_push(struct pg_run *r, uint8_t kind, const struct frame *f)
{
	struct pg_state *s = r->s;
	struct pg_req *q;
	struct proto_request pr;

	if (s->count == PG_PENDING) {
		r->k->abandon(r->k->ctx, pg_oldest(s)->seq);
		pg_pop(s);
		r->misses++;
	}
	q = &s->pending[(s->head + s->count++) % PG_PENDING];
	memset(q, 0, offsetof(struct pg_req, text));
	q->text[0] = '\0';
	q->seq = ++s->next_seq ? s->next_seq : ++s->next_seq;
	q->kind = kind;
	q->start_tag = f->start_tag;
	q->end_tag = f->end_tag;
	q->req_bytes = f->len;
	pr = (struct proto_request){ .key = q->seq, .start_tag = q->start_tag };
	r->k->request(r->k->ctx, &pr);
	return q;
}

/* "SELECT 5" -> 5; "INSERT 0 3" -> 3; -1 when the tag carries no count. */
static int64_t pg_tag_rows(const char *tag)
{
	const char *sp = strrchr(tag, ' ');
	int64_t v = 0;

	if (!sp || !sp[1])
		return -1;
	for (sp++; *sp; sp++) {
		if (*sp < '0' || *sp > '9' || v > INT64_MAX / 10 - 10)
			return -1;
		v = v * 10 + (*sp - '0');
	}
	return v;
}

static void pg_emit(struct pg_run *r, const struct pg_req *q, uint64_t end_tag, int closed)
{
	const struct proto_sink *k = r->k;
	struct proto_exchange x;
	struct sql_info si = { "", "" };
	char op[PG_TAG_MAX], redacted[PG_TEXT_MAX];
	const char *labels[2];
	int64_t rows;

	memset(&x, 0, offsetof(struct proto_exchange, attrs));
	x.attrs.n = x.attrs.text_len = x.attrs.overflow = 0;
	x.key = q->seq;
	x.has_response = !closed;
	x.start_tag = q->start_tag;
	x.end_tag = end_tag;
	x.req_size = q->req_bytes;
	x.resp_size = q->resp_bytes;
	if (q->has_text)
		sql_summarize(SQL_DIALECT_POSTGRESQL, q->text, strlen(q->text), &si);
	/* the server's own word for what ran, else the statement's first */
	if (q->has_tag)
		pg_copy(op, sizeof(op), q->tag, strcspn(q->tag, " "));
	else
		pg_copy(op, sizeof(op), si.operation, strlen(si.operation));
	if (op[0] && si.collection[0])
		snprintf(x.name, sizeof(x.name), "%s %s", op, si.collection);
	else
		snprintf(x.name, sizeof(x.name), "%s", op[0] ? op : "postgresql");
	span_attrs_cstr(&x.attrs, "db.system.name", "postgresql");
	if (r->s->db[0])
		span_attrs_cstr(&x.attrs, "db.namespace", r->s->db);
	if (op[0])
		span_attrs_cstr(&x.attrs, "db.operation.name", op);
	if (si.collection[0])
		span_attrs_cstr(&x.attrs, "db.collection.name", si.collection);
	if (q->has_text) {
		sql_redact(SQL_DIALECT_POSTGRESQL, q->text, strlen(q->text), redacted,
			   sizeof(redacted), NULL);
		span_attrs_cstr(&x.attrs, "db.query.text", redacted);
	}
	x.endpoints_at = (uint8_t)x.attrs.n;
	if (q->has_error) {
		span_attrs_cstr(&x.attrs, "db.response.status_code", q->sqlstate);
		snprintf(x.code, sizeof(x.code), "%s", q->sqlstate);
		x.status = SPAN_STATUS_ERROR;
		snprintf(x.status_message, sizeof(x.status_message), "%s", q->message);
	} else if (closed) {
		x.status = SPAN_STATUS_ERROR;
		snprintf(x.status_message, sizeof(x.status_message),
			 "connection closed before a reply");
	}
	rows = q->has_tag && (!strncmp(q->tag, "SELECT ", 7) || !strncmp(q->tag, "FETCH ", 6)) ?
		       pg_tag_rows(q->tag) : -1;
	if (rows < 0 && q->rows)
		rows = (int64_t)q->rows;
	if (rows >= 0)
		span_attrs_int(&x.attrs, "db.response.returned_rows", rows);
	labels[0] = "postgresql";
	labels[1] = op;
	span_metric_set(&x.metric, k->kind == SPAN_KIND_SERVER ? METRIC_DB_SERVER : METRIC_DB_CLIENT,
			labels);
	k->exchange(k->ctx, &x);
}

static void pg_abandon_all(struct pg_run *r)
{
	while (r->s->count) {
		r->k->abandon(r->k->ctx, pg_oldest(r->s)->seq);
		pg_pop(r->s);
		r->misses++;
	}
}

/* ---- frames ---- */

static void pg_on_startup(struct pg_state *s, const struct frame *f)
{
	uint32_t at = 8;
	const char *key, *val;
	size_t kn, vn;
	char user[PG_DB_MAX] = "";

	if (f->kept < 8 || zt_wire_be32(f->data + 4) != PG_WIRE_V3)
		return;
	while ((key = pg_cstr(f->data, f->kept, &at, &kn)) && kn &&
	       (val = pg_cstr(f->data, f->kept, &at, &vn))) {
		if (kn == 8 && !memcmp(key, "database", 8))
			pg_copy(s->db, sizeof(s->db), val, vn);
		else if (kn == 4 && !memcmp(key, "user", 4))
			pg_copy(user, sizeof(user), val, vn);
	}
	if (!s->db[0]) /* the server's default: the user's name */
		memcpy(s->db, user, sizeof(s->db));
}

static void pg_on_frontend(void *ctx, const struct frame *f)
{
	struct pg_run *r = ctx;
	struct pg_state *s = r->s;
	struct pg_req *q;

	switch (f->data[0]) {
	case 0:
		pg_on_startup(s, f);
		break;
	case 'Q':
		q = pg_push(r, PG_SIMPLE, f);
		pg_text(q->text, sizeof(q->text), f->data, f->kept, 5);
		q->has_text = 1;
		break;
	case 'P':
		pg_on_parse(r, f);
		break;
	case 'B':
		pg_on_bind(r, f);
		break;
	case 'E':
		if (s->skipping)
			break;
		q = pg_push(r, PG_EXECUTE, f);
		if (s->bind_tag) {
			q->start_tag = s->bind_tag;
			s->bind_tag = 0;
		}
		if (s->bound_known) {
			memcpy(q->text, s->bound, sizeof(q->text));
			q->has_text = 1;
		}
		break;
	case 'C':
		pg_on_close(r, f);
		break;
	case 'S':
		s->skipping = 0;
		break;
	}
}

/* The error fields: SQLSTATE ('C') and the message ('M'). */
static void pg_on_error(struct pg_req *q, const struct frame *f)
{
	uint32_t at = 5;

	q->has_error = 1;
	snprintf(q->sqlstate, sizeof(q->sqlstate), "?????");
	while (at < f->kept && f->data[at]) {
		uint8_t field = f->data[at++];
		const char *v;
		size_t n;

		v = pg_cstr(f->data, f->kept, &at, &n);
		if (!v) {
			if (field == 'M')
				pg_text(q->message, sizeof(q->message), f->data, f->kept, at);
			break;
		}
		if (field == 'C')
			pg_copy(q->sqlstate, sizeof(q->sqlstate), v, n);
		else if (field == 'M')
			pg_copy(q->message, sizeof(q->message), v, n);
	}
}

static void pg_on_backend(void *ctx, const struct frame *f)
{
	struct pg_run *r = ctx;
	struct pg_state *s = r->s;
	struct pg_req *q = pg_oldest(s);

	if (f->data[0] == 'A' || f->data[0] == 'N' || f->data[0] == 'S') {
		/* notifications, notices, parameter changes answer nothing */
		if (f->data[0] == 'A')
			r->k->note(r->k->ctx, PROTO_NOTE_PUSH);
		return;
	}
	if (!q)
		return; /* startup, authentication: no statement */
	if (f->data[0] != 'Z')
		q->resp_bytes += f->len;
	switch (f->data[0]) {
	case 'C':
	case 'I':
	case 's':
		if (f->data[0] == 'C' && !q->has_tag) {
			pg_text(q->tag, sizeof(q->tag), f->data, f->kept, 5);
			q->has_tag = 1;
		}
		if (q->kind == PG_EXECUTE) {
			pg_emit(r, q, f->end_tag, 0);
			pg_pop(s);
		}
		break;
	case 'E':
		if (!q->has_error)
			pg_on_error(q, f);
		if (q->kind == PG_EXECUTE) {
			s->skipping = 1;
			pg_emit(r, q, f->end_tag, 0);
			pg_pop(s);
		}
		break;
	case 'Z':
		/* Executes an error made the server skip never ran */
		while ((q = pg_oldest(s)) && q->kind == PG_EXECUTE) {
			r->k->abandon(r->k->ctx, q->seq);
			pg_pop(s);
		}
		if (q) {
			q->resp_bytes += f->len;
			pg_emit(r, q, f->end_tag, 0);
			pg_pop(s);
		}
		s->skipping = 0;
		break;
	}
}

static void pg_on_rows(void *ctx, uint8_t cls, uint32_t frames, uint64_t bytes, uint64_t tag)
{
	struct pg_run *r = ctx;
	struct pg_req *q = pg_oldest(r->s);

	(void)tag;
	if (q && cls == 1) {
		q->rows += frames;
		q->resp_bytes += bytes;
	}
}

static void pg_on_backend_frame(void *ctx, const struct frame *f)
{
	struct pg_run *r = ctx;
	struct pg_req *q;

	if (f->data[0] == 'D' && (q = pg_oldest(r->s)) != NULL) {
		q->rows++;
		q->resp_bytes += f->len;
		return;
	}
	pg_on_backend(ctx, f);
}

static unsigned int pg_feed(void *state, const struct proto_chunk *c, const struct proto_sink *k)
{
	struct pg_state *s = state;
	struct pg_run r = { .s = s, .k = k };
	int request = c->side == PROTO_SIDE_REQUEST;
	struct frame_reader *rd = request ? &s->fe : &s->be;
	struct frame_sink fs = { .frame = request ? pg_on_frontend : pg_on_backend_frame,
				 .run = pg_on_rows, .ctx = &r };

	/* the peer spoke: a side that lost its frames starts over, as the
	 * kernel's walk does */
	if (s->last_side != c->side + 1 && rd->lost && !c->cont)
		frame_reader_restart(rd);
	s->last_side = (uint8_t)(c->side + 1);
	if (rd->lost)
		return 0;
	r.misses += frame_reader_feed(rd, c, &fs);
	if (rd->lost)
		pg_abandon_all(&r);
	/* encrypted from here (SSLRequest answered 'S'): nothing to read, no miss */
	if (rd->opaque)
		r.misses = 0;
	return r.misses;
}

static void pg_init(void *state)
{
	struct pg_state *s = state;

	memset(s, 0, offsetof(struct pg_state, stmts));
	for (uint32_t i = 0; i < PG_STMTS; i++)
		s->stmts[i].used = 0;
	frame_reader_init(&s->fe, postgresql_frame_len, 1, &s->wire, s->fe_buf, FRAME_KEEP_MAX);
	frame_reader_init(&s->be, postgresql_frame_len, 0, &s->wire, s->be_buf, FRAME_KEEP_MAX);
}

static void pg_close(void *state, const struct proto_sink *k)
{
	struct pg_state *s = state;
	struct pg_run r = { .s = s, .k = k };
	struct pg_req *q;

	while ((q = pg_oldest(s))) {
		pg_emit(&r, q, q->end_tag, 1);
		pg_pop(s);
	}
}

const struct proto proto_postgresql = {
	.name = "postgresql",
	.id = ZT_PROTO_POSTGRESQL,
	.state_size = sizeof(struct pg_state),
	.init = pg_init,
	.feed = pg_feed,
	.close = pg_close,
};
