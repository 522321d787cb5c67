// SPDX-License-Identifier: MIT
/*
 * MySQL and MariaDB (client/server protocol 4.1+) behind the protocol
 * interface. A span is one command and its response, paired in order: a
 * query, a prepare, an execute (carrying the text its statement's prepare
 * named, kept in a bounded per-connection cache), a ping... Commands the
 * server never answers (STMT_CLOSE, STMT_SEND_LONG_DATA, QUIT) have none.
 * The login gives the flavour, the capabilities and the first database.
 * Packets of 0xffffff bytes are joined with the ones after. Column
 * definitions and text rows come from the kernel as counted runs; the
 * column count is always copied, so a run's definitions are told from its
 * rows by number. Packet fields are read by mysql_packet.c.
 *
 * Credentials never reach a span: the handshake response's and
 * COM_CHANGE_USER's auth responses are skipped by length, the kernel copies
 * only the header of other auth packets, and the frame reader's copy of an
 * auth packet is wiped once read.
 */
#include <stdio.h>
#include <string.h>

#include "frames.h"
#include "mysql_packet.h"
#include "mysql_wire.h"
#include "proto.h"
#include "sql.h"

#define MY_PENDING 16
#define MY_DB_MAX 72 /* names are up to 64 characters; longer ones are unknown */
#define MY_MSG_MAX 96

enum my_phase {
	MY_START = 0,   /* nothing seen yet */
	MY_GREETED,     /* the server's greeting: the handshake response is next */
	MY_AUTH,        /* auth exchanges until the server's OK (or ERR) */
	MY_COMMAND,     /* commands and their responses */
};

/* Where a response is. */
enum my_step {
	MS_FIRST = 0,   /* its first packet: OK, ERR, a column count, ... */
	MS_DEFS,        /* definitions, defs_left more */
	MS_AFTER_DEFS,  /* what follows them: an EOF unless CLIENT_DEPRECATE_EOF */
	MS_ROWS,        /* rows until an EOF/OK (0xfe) or ERR */
	MS_FIELDS,      /* COM_FIELD_LIST: definitions until an EOF */
};

/* Which definitions MS_DEFS reads. */
enum my_group {
	MG_COLUMNS = 0, /* a result set's */
	MG_PARAMS,      /* a prepared statement's parameters */
	MG_PCOLUMNS,    /* then its columns */
};

/* Whether the server ends definitions with an EOF (CLIENT_DEPRECATE_EOF). */
enum my_eof {
	MY_EOF_UNKNOWN = 0, /* joined mid-stream: learnt from the first result */
	MY_EOF_SENT,
	MY_EOF_DEPRECATED,
};

struct my_req {
	uint32_t seq;
	uint8_t cmd;
	uint8_t step;             /* enum my_step */
	uint8_t group;            /* enum my_group */
	uint8_t has_text;
	uint8_t has_rs;           /* a result set came: rows are reported */
	uint8_t has_error;
	uint8_t unsure;           /* the response broke its own counts: no row count */
	uint8_t sets_db;          /* INIT_DB, USE, CHANGE_USER: db on success */
	uint16_t err;
	uint16_t pcols;           /* prepare: the column definitions after the parameters' */
	uint32_t defs_left;
	uint64_t start_tag;
	uint64_t end_tag;         /* the request's last byte */
	uint64_t resp_tag;        /* the response's last byte so far */
	uint64_t req_bytes;
	uint64_t resp_bytes;
	uint64_t rows;
	char db[MY_DB_MAX];
	char message[MY_MSG_MAX];
	char text[MY_TEXT_MAX];   /* as sent (redacted when the span is built) */
};

struct my_state {
	struct frame_reader fe;   /* the client's packets */
	struct frame_reader be;   /* the server's */
	uint8_t fe_buf[FRAME_KEEP_MAX], be_buf[FRAME_KEEP_MAX];
	uint8_t wire;             /* framing state (mysql_wire.h), both directions */
	uint8_t last_side;        /* of the previous chunk, + 1 (0: none yet) */
	uint8_t phase;            /* enum my_phase */
	uint8_t mariadb;
	uint8_t eof;              /* enum my_eof */
	uint8_t caps_known;
	uint8_t req_cont;         /* the last client packet was 0xffffff long */
	uint8_t resp_cont;        /* the last server packet was */
	uint8_t infile;           /* LOAD DATA LOCAL: the client sends a file */
	uint8_t server_caps_known;
	uint32_t server_caps;
	uint32_t caps;            /* both sides' (caps_known) */
	uint32_t last_stmt;       /* the statement prepared last (0: none; ids start at 1) */
	uint32_t open_key;        /* the request client packets after a command add to */
	uint32_t head;
	uint32_t count;
	uint32_t next_seq;
	char db[MY_DB_MAX];       /* db.namespace */
	struct my_stmts stmts;
	struct my_req pending[MY_PENDING];
};

_Static_assert(sizeof(struct my_state) <= PROTO_STATE_MAX, "mysql state fits a slot");
_Static_assert(MY_PENDING <= PROTO_INFLIGHT_MAX, "pending commands have distinct keys");

struct my_run {
	struct my_state *s;
	const struct proto_sink *k;
	unsigned int misses;
};

/* Auth data the frame reader copied (its last frame): gone once read. */
static void my_wipe(struct frame_reader *rd)
{
	memset(rd->buf, 0, rd->keep_max);
}

/* ---- the pending commands ---- */

static struct my_req *my_oldest(struct my_state *s)
{
	return s->count ? &s->pending[s->head] : NULL;
}

/* The request client packets after its command belong to (the rest of a
 * long one, a file, auth data), while it is pending. */
static struct my_req *my_open(struct my_state *s)
{
	struct my_req *q = s->count ? &s->pending[(s->head + s->count - 1) % MY_PENDING] : NULL;

	return q && s->open_key && q->seq == s->open_key ? q : NULL;
}

static void my_pop(struct my_state *s)
{
	if (s->open_key == s->pending[s->head].seq)
		s->open_key = 0;
	s->head = (s->head + 1) % MY_PENDING;
	s->count--;
}

/* The oldest is dropped: it will never be paired. */
static void my_abandon(struct my_run *r)
{
	r->k->abandon(r->k->ctx, my_oldest(r->s)->seq);
	my_pop(r->s);
	r->misses++;
}

static struct my_req *my_push(struct my_run *r, uint8_t cmd, const struct frame *f)
{
	struct my_state *s = r->s;
	struct my_req *q;
	struct proto_request pr;

	if (s->count == MY_PENDING)
		my_abandon(r);
	q = &s->pending[(s->head + s->count++) % MY_PENDING];
	memset(q, 0, offsetof(struct my_req, db));
	q->db[0] = q->message[0] = q->text[0] = '\0';
	q->seq = ++s->next_seq ? s->next_seq : ++s->next_seq;
	q->cmd = cmd;
	q->start_tag = f->start_tag;
	q->end_tag = q->resp_tag = f->end_tag;
	q->req_bytes = f->len;
	s->open_key = q->seq;
	pr = (struct proto_request){ .key = q->seq, .start_tag = q->start_tag };
	r->k->request(r->k->ctx, &pr);
	return q;
}

/* ---- the span ---- */

static void my_emit(struct my_run *r, const struct my_req *q, uint64_t end_tag, int closed)
{
	const struct proto_sink *k = r->k;
	const char *sys = r->s->mariadb ? "mariadb" : "mysql";
	const char *ns = q->sets_db ? q->db : r->s->db;
	const char *op, *coll = "", *labels[2];
	struct proto_exchange x;
	struct sql_info si = { "", "" };
	char redacted[MY_TEXT_MAX];

	memset(&x, 0, offsetof(struct proto_exchange, attrs));
	x.attrs.n = x.attrs.text_len = x.attrs.overflow = 0;
	x.key = q->seq;
	x.has_response = !closed;
	x.start_tag = q->start_tag;
	x.end_tag = end_tag;
	x.req_size = q->req_bytes;
	x.resp_size = q->resp_bytes;
	/* a statement's own words, else the command's name */
	if (q->cmd == MY_COM_STMT_PREPARE) {
		op = "PREPARE";
	} else {
		if (q->has_text)
			sql_summarize(SQL_DIALECT_MYSQL, q->text, strlen(q->text), &si);
		op = si.operation[0] ? si.operation : my_com_name(q->cmd);
		coll = si.collection;
	}
	if (coll[0])
		snprintf(x.name, sizeof(x.name), "%s %s", op, coll);
	else
		snprintf(x.name, sizeof(x.name), "%s", op);
	span_attrs_cstr(&x.attrs, "db.system.name", sys);
	if (ns[0])
		span_attrs_cstr(&x.attrs, "db.namespace", ns);
	span_attrs_cstr(&x.attrs, "db.operation.name", op);
	if (coll[0])
		span_attrs_cstr(&x.attrs, "db.collection.name", coll);
	if (q->has_text) {
		sql_redact(SQL_DIALECT_MYSQL, q->text, strlen(q->text), redacted, sizeof(redacted),
			   NULL);
		span_attrs_cstr(&x.attrs, "db.query.text", redacted);
	}
	x.endpoints_at = (uint8_t)x.attrs.n;
	if (q->has_error) {
		if (q->err) { /* 0: the packet was cut before it */
			snprintf(x.code, sizeof(x.code), "%u", q->err);
			span_attrs_cstr(&x.attrs, "db.response.status_code", x.code);
		}
		x.status = SPAN_STATUS_ERROR;
		snprintf(x.status_message, sizeof(x.status_message), "%s", q->message);
	} else if (closed) {
		x.status = SPAN_STATUS_ERROR;
		snprintf(x.status_message, sizeof(x.status_message),
			 "connection closed before a reply");
	}
	if (q->has_rs && !q->unsure)
		span_attrs_int(&x.attrs, "db.response.returned_rows", (int64_t)q->rows);
	labels[0] = sys;
	labels[1] = op;
	span_metric_set(&x.metric, k->kind == SPAN_KIND_SERVER ? METRIC_DB_SERVER : METRIC_DB_CLIENT,
			labels);
	k->exchange(k->ctx, &x);
}

/* The oldest command's response is complete. */
static void my_done(struct my_run *r, struct my_req *q)
{
	struct my_state *s = r->s;

	if (!q->has_error) {
		if (q->sets_db)
			memcpy(s->db, q->db, sizeof(s->db));
		/* a new session: its prepared statements are gone */
		if (q->cmd == MY_COM_CHANGE_USER || q->cmd == MY_COM_RESET_CONNECTION) {
			my_stmts_clear(&s->stmts);
			s->last_stmt = 0;
		}
	}
	my_emit(r, q, q->resp_tag, 0);
	my_pop(s);
}

/* The response's counts disagree with its packets: no row count. */
static void my_unsure(struct my_run *r, struct my_req *q)
{
	q->unsure = 1;
	r->misses++;
}

static void my_learn_eof(struct my_state *s, uint8_t eof)
{
	if (s->eof == MY_EOF_UNKNOWN)
		s->eof = eof;
}

/* ---- client packets ---- */

static void my_on_login_request(struct my_state *s, const struct frame *f)
{
	struct my_pkt k = my_pkt_of(f);
	uint32_t caps = 0;

	if (f->data[3] == 1 && s->phase < MY_AUTH &&
	    my_handshake(k.p, k.n, &caps, s->db, sizeof(s->db))) {
		s->caps = s->server_caps_known ? caps & s->server_caps : caps;
		s->caps_known = 1;
		s->eof = s->caps & MYSQL_CLIENT_DEPRECATE_EOF ? MY_EOF_DEPRECATED : MY_EOF_SENT;
		s->phase = MY_AUTH;
	}
	my_wipe(&s->fe);
}

/* COM_STMT_EXECUTE's statement: the text its prepare named. */
static void my_bind(struct my_state *s, struct my_req *q, uint32_t id)
{
	const char *text;

	if (id == MY_STMT_LAST) {
		/* MariaDB pipelines PREPARE + EXECUTE: a prepare still unanswered */
		for (uint32_t i = s->count - 1; i-- > 0;) {
			const struct my_req *p = &s->pending[(s->head + i) % MY_PENDING];

			if (p->cmd == MY_COM_STMT_PREPARE) {
				memcpy(q->text, p->text, sizeof(q->text));
				q->has_text = p->has_text;
				return;
			}
		}
		id = s->last_stmt;
	}
	text = my_stmts_get(&s->stmts, id);
	if (!text)
		return; /* prepared before the agent came, or forgotten */
	memcpy(q->text, text, sizeof(q->text));
	q->has_text = 1;
}

static void my_on_command(struct my_run *r, const struct frame *f)
{
	struct my_state *s = r->s;
	struct my_pkt k = my_pkt_of(f);
	struct my_req *q;
	uint32_t at;

	if (!k.n)
		return;
	s->phase = MY_COMMAND;
	switch (k.p[0]) {
	case MY_COM_QUIT:
		return;
	case MY_COM_STMT_CLOSE: /* no answer; the statement is gone */
		if (k.n >= 5)
			my_stmts_forget(&s->stmts, mysql_wire_le32(k.p + 1));
		s->open_key = 0;
		return;
	case MY_COM_STMT_SEND_LONG_DATA: /* no answer */
		s->open_key = 0;
		return;
	}
	q = my_push(r, k.p[0], f);
	switch (q->cmd) {
	case MY_COM_QUERY:
		at = my_query_at(k.p, k.n, s->caps_known ? !!(s->caps & MYSQL_CLIENT_QUERY_ATTRIBUTES) : -1);
		if (!at)
			break;
		my_copy(q->text, sizeof(q->text), k.p + at, k.n - at);
		q->has_text = 1;
		/* a USE it cannot read leaves the database unknown, not stale */
		q->sets_db = my_use(q->text, strlen(q->text), q->db, sizeof(q->db)) != 0;
		break;
	case MY_COM_STMT_PREPARE:
		my_copy(q->text, sizeof(q->text), k.p + 1, k.n - 1);
		q->has_text = 1;
		break;
	case MY_COM_STMT_EXECUTE:
	case MY_COM_STMT_BULK_EXECUTE:
		if (k.n >= 5)
			my_bind(s, q, mysql_wire_le32(k.p + 1));
		break;
	case MY_COM_INIT_DB: /* a name cut short: unknown */
		if (k.n == k.len)
			my_name(q->db, sizeof(q->db), k.p + 1, k.n - 1);
		q->sets_db = 1;
		break;
	case MY_COM_CHANGE_USER:
		/* the session's database is the one named, or none (unknown: none) */
		my_change_user(k.p, k.n, q->db, sizeof(q->db));
		q->sets_db = 1;
		my_wipe(&s->fe);
		break;
	case MY_COM_STMT_FETCH:
		q->step = MS_ROWS;
		q->has_rs = 1;
		break;
	case MY_COM_FIELD_LIST:
		q->step = MS_FIELDS;
		break;
	}
}

static void my_on_request(void *ctx, const struct frame *f)
{
	struct my_run *r = ctx;
	struct my_state *s = r->s;
	struct my_req *q;
	int cont = s->req_cont;

	if (f->kept < MYSQL_WIRE_HDR)
		return;
	s->req_cont = zt_wire_le24(f->data) == MYSQL_WIRE_MAX;
	if (!cont && !s->infile && f->data[3] == 0) {
		my_on_command(r, f);
		return;
	}
	if (s->phase != MY_COMMAND) {
		my_on_login_request(s, f);
		return;
	}
	/* the rest of a long packet, a file, auth data: its command's bytes */
	q = my_open(s);
	if (q) {
		q->req_bytes += f->len;
		q->end_tag = f->end_tag;
	}
	my_wipe(&s->fe);
}

/* ---- server packets ---- */

static void my_on_login_response(struct my_state *s, const struct my_pkt *k)
{
	struct my_greeting g;

	if (!k->n)
		return;
	if (s->phase == MY_START && k->seq == 0 && my_greeting(k->p, k->n, &g)) {
		s->mariadb = g.mariadb;
		s->server_caps = g.caps;
		s->server_caps_known = g.caps_known;
		s->phase = MY_GREETED;
	} else if (s->phase == MY_AUTH) {
		if (k->p[0] == 0x00)
			s->phase = MY_COMMAND;
		else if (k->p[0] == 0xff)
			s->phase = MY_START; /* refused: the server closes */
		my_wipe(&s->be); /* an auth switch's or more data's nonce */
	}
}

/* An OK, EOF or OK-as-EOF ending a result: another may follow. */
static void my_end_result(struct my_run *r, struct my_req *q, const struct my_pkt *k)
{
	if (my_status(k->p, k->n, k->len) & MY_SERVER_MORE_RESULTS_EXISTS)
		q->step = MS_FIRST;
	else
		my_done(r, q);
}

static void my_defs(struct my_req *q, uint8_t group, uint32_t n)
{
	q->group = group;
	q->defs_left = n;
	q->step = MS_DEFS;
}

/* Definitions with no EOF after them (CLIENT_DEPRECATE_EOF): rows come,
 * or the prepare's columns, or nothing. Returns 1 when q's response ended. */
static int my_no_eof(struct my_run *r, struct my_req *q)
{
	my_learn_eof(r->s, MY_EOF_DEPRECATED);
	if (q->group == MG_COLUMNS) {
		q->step = MS_ROWS;
	} else if (q->group == MG_PARAMS && q->pcols) {
		my_defs(q, MG_PCOLUMNS, q->pcols);
	} else {
		my_done(r, q);
		return 1;
	}
	return 0;
}

/* A group of definitions is over: an EOF follows unless deprecated (a
 * result's is told by its length, mysql_packet.h). 1: q's response ended. */
static int my_defs_end(struct my_run *r, struct my_req *q)
{
	if (q->group != MG_COLUMNS && r->s->eof == MY_EOF_DEPRECATED)
		return my_no_eof(r, q);
	q->step = MS_AFTER_DEFS;
	return 0;
}

/* COM_STMT_PREPARE's OK: the statement's id, its columns and parameters. */
static void my_on_prepared(struct my_run *r, struct my_req *q, const struct my_pkt *k)
{
	struct my_state *s = r->s;
	uint32_t id;
	uint16_t params;

	if (!my_prepare_ok(k, &id, &params, &q->pcols)) {
		my_done(r, q);
		return;
	}
	if (q->has_text && my_stmts_put(&s->stmts, id, q->text))
		r->k->note(r->k->ctx, PROTO_NOTE_CACHE_FULL); /* its executes lose their text */
	s->last_stmt = id;
	if (params)
		my_defs(q, MG_PARAMS, params);
	else if (q->pcols)
		my_defs(q, MG_PCOLUMNS, q->pcols);
	else
		my_done(r, q);
}

/* The first packet: OK, EOF, a column count, LOAD DATA's file name... */
static void my_first(struct my_run *r, struct my_req *q, const struct my_pkt *k,
		     enum my_kind kind)
{
	int64_t cols;

	if (q->cmd == MY_COM_CHANGE_USER && k->n && (k->p[0] == 0xfe || k->p[0] == 0x01)) {
		my_wipe(&r->s->be); /* auth switch, more data */
		return;
	}
	if (kind == MY_PK_OK && q->cmd == MY_COM_STMT_PREPARE) {
		my_on_prepared(r, q, k);
		return;
	}
	if (kind != MY_PK_OTHER) {
		my_end_result(r, q, k);
		return;
	}
	if (q->cmd == MY_COM_STATISTICS || !k->n) { /* a string */
		my_done(r, q);
		return;
	}
	if (k->p[0] == 0xfb) { /* LOAD DATA LOCAL: the file, then OK or ERR */
		r->s->infile = 1;
		r->s->open_key = q->seq;
		return;
	}
	cols = my_columns(k);
	if (cols < 0) {
		my_unsure(r, q);
		my_done(r, q);
		return;
	}
	q->has_rs = 1;
	my_defs(q, MG_COLUMNS, (uint32_t)cols);
	if (!cols)
		q->step = MS_AFTER_DEFS;
}

/* One packet of the oldest command's response; 0 when it ended that
 * response without being part of it (the next response's first). */
static int my_resp(struct my_run *r, struct my_req *q, const struct my_pkt *k)
{
	enum my_kind kind = my_kind(k);

	/* no EOF after a prepared statement's definitions: maybe the next's */
	if (q->step == MS_AFTER_DEFS && q->group != MG_COLUMNS && kind != MY_PK_EOF &&
	    my_no_eof(r, q))
		return 0;
	q->resp_bytes += k->bytes;
	q->resp_tag = k->tag;
	if (kind == MY_PK_PROGRESS)
		return 1;
	if (kind == MY_PK_ERR) { /* at any point: the end */
		q->has_error = 1;
		q->err = my_err(k->p, k->n, k->len, q->message, sizeof(q->message));
		my_done(r, q);
		return 1;
	}
	switch (q->step) {
	case MS_FIRST:
		my_first(r, q, k, kind);
		return 1;
	case MS_FIELDS:
		if (kind == MY_PK_EOF || kind == MY_PK_TERM)
			my_done(r, q);
		return 1;
	case MS_DEFS:
		if (kind == MY_PK_OTHER) {
			if (--q->defs_left == 0)
				my_defs_end(r, q);
			return 1;
		}
		my_unsure(r, q); /* definitions never start 0x00 or 0xfe: the count lied */
		break;
	case MS_AFTER_DEFS:
		if (kind == MY_PK_EOF) {
			my_learn_eof(r->s, MY_EOF_SENT);
			if (q->group == MG_PARAMS && q->pcols)
				my_defs(q, MG_PCOLUMNS, q->pcols);
			else if (q->group != MG_COLUMNS ||
				 (my_status(k->p, k->n, k->len) & MY_SERVER_CURSOR_EXISTS))
				my_done(r, q); /* a cursor's rows come by COM_STMT_FETCH */
			else
				q->step = MS_ROWS;
			return 1;
		}
		my_no_eof(r, q); /* rows, or the OK ending none */
		break;
	}
	q->step = MS_ROWS;
	if (kind == MY_PK_EOF || kind == MY_PK_TERM)
		my_end_result(r, q, k);
	else
		q->rows++; /* a text row, or a binary one (0x00) */
	return 1;
}

static void my_on_response(void *ctx, const struct frame *f)
{
	struct my_run *r = ctx;
	struct my_state *s = r->s;
	struct my_pkt k;
	struct my_req *q;
	int cont = s->resp_cont;

	if (f->kept < MYSQL_WIRE_HDR)
		return;
	k = my_pkt_of(f);
	s->resp_cont = k.len == MYSQL_WIRE_MAX;
	s->infile = 0;
	if (s->phase != MY_COMMAND) {
		my_on_login_response(s, &k);
		return;
	}
	q = my_oldest(s);
	if (cont) { /* the rest of a long packet */
		if (q) {
			q->resp_bytes += f->len;
			q->resp_tag = f->end_tag;
		}
		return;
	}
	while (q && !my_resp(r, q, &k))
		q = my_oldest(s);
}

/* Counted packets: column definitions and text rows (never a packet's
 * rest but right after a long one, nor a column count: mysql_wire.h). */
static void my_on_run(void *ctx, uint8_t cls, uint32_t frames, uint64_t bytes, uint64_t tag)
{
	struct my_run *r = ctx;
	struct my_state *s = r->s;
	struct my_req *q = my_oldest(s);
	uint32_t take;

	if (cls != 1 || !frames)
		return;
	s->infile = 0;
	if (s->resp_cont) {
		s->resp_cont = 0;
		frames--;
	}
	if (!q || s->phase != MY_COMMAND)
		return;
	q->resp_bytes += bytes;
	q->resp_tag = tag;
	while (frames) {
		switch (q->step) {
		case MS_DEFS:
			take = frames < q->defs_left ? frames : q->defs_left;
			q->defs_left -= take;
			frames -= take;
			if (!q->defs_left && my_defs_end(r, q))
				return;
			break;
		case MS_AFTER_DEFS: /* no EOF after the definitions */
			if (my_no_eof(r, q))
				return;
			break;
		case MS_ROWS:
			q->rows += frames;
			frames = 0;
			break;
		default: /* CHANGE_USER's auth data, FIELD_LIST's definitions */
			frames = 0;
		}
	}
}

static unsigned int my_feed(void *state, const struct proto_chunk *c, const struct proto_sink *k)
{
	struct my_state *s = state;
	struct my_run r = { .s = s, .k = k };
	int request = c->side == PROTO_SIDE_REQUEST;
	struct frame_reader *rd = request ? &s->fe : &s->be;
	struct frame_sink fs = { .frame = request ? my_on_request : my_on_response,
				 .run = my_on_run, .ctx = &r };

	/* TLS or compression: nothing to read, and not a parse miss */
	if (s->wire & (MYSQL_WIRE_TLS | MYSQL_WIRE_ZIP))
		return 0;
	/* the peer spoke: a side that lost its frames starts over, as the
	 * kernel's walk does */
	if (s->last_side != c->side + 1 && rd->lost && !c->cont) {
		frame_reader_restart(rd);
		if (request)
			s->req_cont = 0;
		else
			s->resp_cont = 0;
	}
	s->last_side = (uint8_t)(c->side + 1);
	if (rd->lost)
		return 0;
	r.misses += frame_reader_feed(rd, c, &fs);
	while (rd->lost && s->count && !(s->wire & (MYSQL_WIRE_TLS | MYSQL_WIRE_ZIP)))
		my_abandon(&r);
	return r.misses;
}

static void my_init(void *state)
{
	struct my_state *s = state;

	memset(s, 0, offsetof(struct my_state, stmts));
	my_stmts_clear(&s->stmts);
	frame_reader_init(&s->fe, mysql_frame_len, 1, &s->wire, s->fe_buf, FRAME_KEEP_MAX);
	frame_reader_init(&s->be, mysql_frame_len, 0, &s->wire, s->be_buf, FRAME_KEEP_MAX);
}

static void my_close(void *state, const struct proto_sink *k)
{
	struct my_run r = { .s = state, .k = k };
	struct my_req *q;

	while ((q = my_oldest(r.s))) {
		my_emit(&r, q, q->end_tag, 1);
		my_pop(r.s);
	}
}

const struct proto proto_mysql = {
	.name = "mysql",
	.id = ZT_PROTO_MYSQL,
	.state_size = sizeof(struct my_state),
	.init = my_init,
	.feed = my_feed,
	.close = my_close,
};
