// SPDX-License-Identifier: MIT
/*
 * A Node service whose one pooled upstream socket carries two kinds of
 * calls: each request's (GET /items/req<its path>, awaited before it
 * answers) and
 * a timer's, every INTERVAL ms (one at a time), under no request
 * (GET /items/timer<N>).
 * With an http.Agent of one keep-alive socket, both kinds go out on the
 * same fd, so the helper's link of that fd must follow who writes.
 *
 * Usage: node node_timer.js PORT UPSTREAM_PORT INTERVAL_MS
 * Prints "ready" once it listens.
 */
'use strict';

const http = require('http');

const [port, upstream, interval] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let n = 0;

function call(path) {
	return new Promise((resolve, reject) => {
		const req = http.get({ host: '127.0.0.1', port: upstream, path, agent }, (res) => {
			res.resume();
			res.on('end', resolve);
		});
		req.on('error', reject);
	});
}

// one timer call at a time: a slow upstream must not grow a backlog
let timerBusy = false;
setInterval(() => {
	if (timerBusy)
		return;
	timerBusy = true;
	call('/items/timer' + n++).catch(() => {}).finally(() => { timerBusy = false; });
}, interval);
http.createServer(async (req, res) => {
	try {
		await call('/items/req' + req.url);
		res.end('ok\n');
	} catch (e) {
		res.statusCode = 502;
		res.end('upstream: ' + e.message + '\n');
	}
}).listen(port, '127.0.0.1', () => console.log('ready'));
