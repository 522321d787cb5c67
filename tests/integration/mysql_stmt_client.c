// SPDX-License-Identifier: MIT
/*
 * Server-side prepared statements the way an application runs them, through
 * the client library (libmariadb: COM_STMT_PREPARE, COM_STMT_EXECUTE with
 * binary rows, COM_STMT_CLOSE). The test builds it with mariadb_config.
 *
 *   mysql_stmt_client PORT N   inserts ids 1..N with one prepared INSERT,
 *                              then runs one prepared SELECT for ids <= 5,
 *                              <= 10 and <= N; prints "rows A B C"
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, MYSQL *db, MYSQL_STMT *st)
{
	fprintf(stderr, "%s: %s\n", what, st ? mysql_stmt_error(st) : mysql_error(db));
	exit(1);
}

static MYSQL_STMT *prepare(MYSQL *db, const char *sql)
{
	MYSQL_STMT *st = mysql_stmt_init(db);

	if (!st || mysql_stmt_prepare(st, sql, strlen(sql)))
		die("prepare", db, st);
	return st;
}

int main(int argc, char **argv)
{
	MYSQL *db = mysql_init(NULL);
	MYSQL_STMT *ins, *sel;
	MYSQL_BIND in[2], out[2];
	char name[64], got_name[64];
	unsigned long name_len, got_len;
	int id, got_id, n, limits[3];

	if (argc != 3 || !db)
		return 2;
	n = atoi(argv[2]);
	if (!mysql_real_connect(db, "127.0.0.1", "zt", "zt-pw", "ztdb", (unsigned)atoi(argv[1]),
				NULL, 0))
		die("connect", db, NULL);
	if (mysql_query(db, "CREATE TABLE IF NOT EXISTS zt_items (id INT PRIMARY KEY, name VARCHAR(64))"))
		die("create", db, NULL);

	ins = prepare(db, "INSERT INTO zt_items (id, name) VALUES (?, ?)");
	memset(in, 0, sizeof(in));
	in[0].buffer_type = MYSQL_TYPE_LONG;
	in[0].buffer = &id;
	in[1].buffer_type = MYSQL_TYPE_STRING;
	in[1].buffer = name;
	in[1].length = &name_len;
	if (mysql_stmt_bind_param(ins, in))
		die("bind insert", db, ins);
	for (id = 1; id <= n; id++) {
		name_len = (unsigned long)snprintf(name, sizeof(name), "item-%d", id);
		if (mysql_stmt_execute(ins))
			die("execute insert", db, ins);
	}
	mysql_stmt_close(ins);

	sel = prepare(db, "SELECT id, name FROM zt_items WHERE id <= ? ORDER BY id");
	memset(out, 0, sizeof(out));
	out[0].buffer_type = MYSQL_TYPE_LONG;
	out[0].buffer = &got_id;
	out[1].buffer_type = MYSQL_TYPE_STRING;
	out[1].buffer = got_name;
	out[1].buffer_length = sizeof(got_name);
	out[1].length = &got_len;
	in[0].buffer = &id;
	if (mysql_stmt_bind_param(sel, in) || mysql_stmt_bind_result(sel, out))
		die("bind select", db, sel);
	limits[0] = 5;
	limits[1] = 10;
	limits[2] = n;
	printf("rows");
	for (int i = 0; i < 3; i++) {
		int rows = 0;

		id = limits[i];
		if (mysql_stmt_execute(sel) || mysql_stmt_store_result(sel))
			die("execute select", db, sel);
		while (mysql_stmt_fetch(sel) == 0)
			rows++;
		mysql_stmt_free_result(sel);
		printf(" %d", rows);
	}
	printf("\n");
	mysql_stmt_close(sel);
	mysql_close(db);
	return 0;
}
