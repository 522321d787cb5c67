// SPDX-License-Identifier: MIT
// An https client for test_y3: one keep-alive connection (maxSockets 1),
// requests in order, each "METHOD:PATH[:BODYBYTES]". Prints JSON: its pid,
// the connection's local port, and [method, path, status, body bytes].
'use strict';
const https = require('https');
const [port, ...specs] = process.argv.slice(2);
const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
const out = { pid: process.pid, local_port: null, results: [] };

function request(spec) {
	const [method, path, len] = spec.split(':');
	const body = len ? Buffer.alloc(Number(len), 'y') : null;
	return new Promise((resolve, reject) => {
		const req = https.request({ host: '127.0.0.1', port: Number(port), method, path, agent,
			rejectUnauthorized: false, headers: body ? { 'content-length': body.length } : {} }, (res) => {
			let n = 0;
			out.local_port = res.socket.localPort;
			res.on('data', (d) => { n += d.length; });
			res.on('end', () => { out.results.push([method, path, res.statusCode, n]); resolve(); });
		});
		req.on('error', reject);
		req.end(body);
	});
}

(async () => {
	for (const s of specs)
		await request(s);
	agent.destroy();
	process.stdout.write(JSON.stringify(out) + '\n');
})().catch((e) => { console.error(e); process.exit(1); });
