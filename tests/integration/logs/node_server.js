#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * The Node server of test_sd_logs: an `http` server whose handler holds
 * every request HOLD_MS (a setTimeout, so that at concurrency 8 several are
 * really in flight on the one event-loop thread), then writes three lines,
 * each ONE write(2), and answers:
 *   stdout  console.log          "INFO rid=N stdout line"
 *   --log   fs.appendFileSync    {"level":30,"rid":N,"msg":"file line"} (pino's
 *                                level numbers; opened O_APPEND per call)
 *   stderr  console.error        "ERROR rid=N stderr line"
 * GET /work?rid=N only; anything else 404 with no line.
 * A timer (setInterval, every 20 ms, under no request) writes
 *   "INFO timer line n=K inflight=M cur=R"
 * to stdout: M the requests in flight at that moment (read, not yet
 * answered), R the rid of the one in flight when M is 1, else "-".
 *
 * Usage: node node_server.js --port P --log FILE [--host H] [--hold-ms MS]
 * Prints "ready <pid> <port>" on stdout once listening; exits on SIGTERM.
 */
'use strict';

const http = require('http');
const fs = require('fs');

function args(argv) {
	const o = { host: '127.0.0.1', port: 0, log: '', holdMs: 3 };
	for (let i = 0; i + 1 < argv.length; i += 2) {
		const v = argv[i + 1];
		switch (argv[i]) {
		case '--host': o.host = v; break;
		case '--port': o.port = Number(v); break;
		case '--log': o.log = v; break;
		case '--hold-ms': o.holdMs = Number(v); break;
		default:
			process.stderr.write('node_server.js: unknown argument ' + argv[i] + '\n');
			process.exit(2);
		}
	}
	if (!o.port || !o.log) {
		process.stderr.write('usage: node node_server.js --port P --log FILE [--host H] [--hold-ms MS]\n');
		process.exit(2);
	}
	return o;
}

const o = args(process.argv.slice(2));
const inflight = new Map(); // request -> rid

const server = http.createServer((req, res) => {
	const u = new URL(req.url, 'http://x');
	if (u.pathname !== '/work') {
		res.writeHead(404, { 'Content-Type': 'text/plain' });
		res.end('not found\n');
		return;
	}
	const rid = Number(u.searchParams.get('rid')) || 0;
	inflight.set(req, rid);
	setTimeout(() => {
		console.log(`INFO rid=${rid} stdout line`);
		fs.appendFileSync(o.log, JSON.stringify({ level: 30, rid, msg: 'file line' }) + '\n');
		console.error(`ERROR rid=${rid} stderr line`);
		const body = `ok rid=${rid}\n`;
		res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
		res.end(body);
		inflight.delete(req);
	}, o.holdMs);
});
server.keepAliveTimeout = 30000;

let n = 0;
setInterval(() => {
	const m = inflight.size;
	const cur = m === 1 ? inflight.values().next().value : '-';
	console.log(`INFO timer line n=${++n} inflight=${m} cur=${cur}`);
}, 20);

process.on('SIGTERM', () => process.exit(0));
server.listen(o.port, o.host, () => {
	console.log(`ready ${process.pid} ${server.address().port}`);
});
