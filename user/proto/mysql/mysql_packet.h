/* SPDX-License-Identifier: MIT */
/*
 * MySQL/MariaDB packet fields, for mysql.c: pure readers over the copied
 * bytes of one packet's payload, p[0..n) of a payload `len` long (n <= len;
 * fewer when the kernel copied fewer). A field cut short reads as absent,
 * never as a guess. Nothing here keeps a byte of an auth response: those
 * are skipped by their length.
 */
#ifndef ZT_MYSQL_PACKET_H
#define ZT_MYSQL_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "frames.h"

/* Command bytes (the first payload byte of a request's seq-0 packet). */
#define MY_COM_QUIT 0x01
#define MY_COM_INIT_DB 0x02
#define MY_COM_QUERY 0x03
#define MY_COM_FIELD_LIST 0x04
#define MY_COM_STATISTICS 0x09
#define MY_COM_CHANGE_USER 0x11
#define MY_COM_STMT_PREPARE 0x16
#define MY_COM_STMT_EXECUTE 0x17
#define MY_COM_STMT_SEND_LONG_DATA 0x18
#define MY_COM_STMT_CLOSE 0x19
#define MY_COM_STMT_FETCH 0x1c
#define MY_COM_RESET_CONNECTION 0x1f
#define MY_COM_STMT_BULK_EXECUTE 0xfa /* MariaDB */

/* Server status flags (OK and EOF packets). */
#define MY_SERVER_CURSOR_EXISTS 0x0040
#define MY_SERVER_MORE_RESULTS_EXISTS 0x0008

/* MariaDB's statement id for "the one prepared last". */
#define MY_STMT_LAST 0xffffffffu

/* What a server packet is, from its first byte and length. */
enum my_kind {
	MY_PK_OTHER = 0, /* a definition, a row, a column count, a string (or not copied) */
	MY_PK_OK,        /* 0x00: OK, OK-prepare; a binary row inside a result */
	MY_PK_ERR,       /* 0xff */
	MY_PK_PROGRESS,  /* 0xff with code 0xffff: MariaDB's progress report, not an error */
	MY_PK_EOF,       /* 0xfe, payload under 7: EOF */
	MY_PK_TERM,      /* 0xfe, payload 7 and more: OK ending a result (CLIENT_DEPRECATE_EOF) */
};

/* A server packet: its copied payload (p NULL: counted, not copied). */
struct my_pkt {
	const uint8_t *p;
	uint32_t n;               /* payload bytes copied */
	uint32_t len;             /* payload length */
	uint64_t bytes;           /* with its header */
	uint64_t tag;             /* when its last byte was seen */
	uint8_t seq;
};

/* A frame (of at least its header) as a packet. */
struct my_pkt my_pkt_of(const struct frame *f);

/* Prepared statements by id, bounded: the least recently used goes. */
#define MY_STMTS 16
#define MY_TEXT_MAX 512

struct my_stmts {
	uint32_t clock;
	struct {
		uint32_t used;    /* LRU clock; 0: free */
		uint32_t id;
		char text[MY_TEXT_MAX];
	} e[MY_STMTS];
};

void my_stmts_clear(struct my_stmts *c);
/* The text of statement id (now the most recently used), or NULL. */
const char *my_stmts_get(struct my_stmts *c, uint32_t id);
/* Keeps text for id; returns 1 when another statement was forgotten for it. */
int my_stmts_put(struct my_stmts *c, uint32_t id, const char *text);
void my_stmts_forget(struct my_stmts *c, uint32_t id);

uint16_t my_le16(const uint8_t *p);
/* dst gets min(n, cap - 1) bytes of src and a NUL. */
void my_copy(char *dst, size_t cap, const void *src, size_t n);
/* A name that must not be cut: copied when it fits, else "" and 0. */
int my_name(char *dst, size_t cap, const void *src, size_t n);
/* A length-encoded integer at p[*at..n): 1 with *at moved past it, 0 when
 * cut or not an integer (0xfb NULL, 0xff). */
int my_lenenc(const uint8_t *p, uint32_t n, uint32_t *at, uint64_t *v);
enum my_kind my_kind(const struct my_pkt *k);
/* The operation name of a command: "QUERY", "PING", "PREPARE", ... */
const char *my_com_name(uint8_t cmd);

struct my_greeting {
	uint32_t caps;
	uint8_t caps_known;
	uint8_t mariadb;      /* the version says so */
};

/* The server's greeting (protocol 10); 0 when it is not one. */
int my_greeting(const uint8_t *p, uint32_t n, struct my_greeting *g);
/* A HandshakeResponse41: its capabilities (0 when not in view), and in db
 * the database when it is wholly in view and fits ("" otherwise). */
int my_handshake(const uint8_t *p, uint32_t n, uint32_t *caps, char *db, size_t cap);
/* COM_CHANGE_USER's database; 0 when not wholly in view. */
int my_change_user(const uint8_t *p, uint32_t n, char *db, size_t cap);
/* Where a COM_QUERY's text starts (attrs: CLIENT_QUERY_ATTRIBUTES 1, 0,
 * or -1 unknown); 0 when behind query attributes. */
uint32_t my_query_at(const uint8_t *p, uint32_t n, int attrs);
/* "USE db" (a `quoted` name, a ';'): 1 with the name; -1 when a USE
 * statement's database cannot be told (a list of statements, a name too
 * long: db ""); 0 when the text is no USE. */
int my_use(const char *t, size_t n, char *db, size_t cap);
/* ERR: the error number (0 when cut) and its message, after any SQLSTATE. */
uint16_t my_err(const uint8_t *p, uint32_t n, uint32_t len, char *msg, size_t cap);
/* OK or EOF: the status flags (0 when not in view). */
uint16_t my_status(const uint8_t *p, uint32_t n, uint32_t len);
/* A result's column count (0: their definitions are not sent, the
 * metadata_follows byte says), or -1 when it is none (cut, absurd). */
int64_t my_columns(const struct my_pkt *k);
/* COM_STMT_PREPARE's OK: 1 with the statement's id and how many parameter
 * and column definitions follow; 0 when cut. */
int my_prepare_ok(const struct my_pkt *k, uint32_t *id, uint16_t *params, uint16_t *cols);

#endif /* ZT_MYSQL_PACKET_H */
