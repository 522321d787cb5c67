// SPDX-License-Identifier: MIT
// An https server for test_y3: GET /size/N answers N bytes, POST /echo
// answers "got N" for the N bytes it read. argv: port key cert.
'use strict';
const https = require('https');
const fs = require('fs');
const [port, key, cert] = process.argv.slice(2);
const srv = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
	let n = 0;
	req.on('data', (d) => { n += d.length; });
	req.on('end', () => {
		const m = /^\/size\/(\d+)$/.exec(req.url);
		const body = m ? Buffer.alloc(Number(m[1]), 'x') : Buffer.from('got ' + n);
		res.writeHead(m || req.method === 'POST' ? 200 : 404, { 'content-length': body.length });
		res.end(body);
	});
});
srv.keepAliveTimeout = 60000;
srv.listen(Number(port), '127.0.0.1');
