#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * Self-test of receiver.js, independent of zerotrace: builds OTLP requests
 * with protobufjs and the official root itself (protobuf, protobuf+gzip,
 * OTLP/JSON, OTLP/JSON+gzip, bad ones), sends them to a receiver started
 * here and checks what it recorded and answered; then the scripted failure
 * (--fail-first/--status/--retry-after) and --slow modes.
 *
 * Usage: node selftest.js   (prints one line per check, exit 1 on a failure)
 */
'use strict';

const http = require('http');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const net = require('net');
const { spawn } = require('child_process');

const root = require('otlp-proto/build/src/generated/root.js');
const ReqType = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

let fails = 0;
let passes = 0;
function ok(cond, what) {
	if (cond) {
		passes++;
		console.log('ok   ' + what);
	} else {
		fails++;
		console.log('FAIL ' + what);
	}
}

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const PARENT = '00f067aa0ba902b7';
const START = '1700000000123456789';
const END = '1700000000223456789';

function sampleObject() {
	// the protobufjs fromObject form: bytes as arrays, longs as strings
	return {
		resourceSpans: [{
			resource: {
				attributes: [
					{ key: 'service.name', value: { stringValue: 'checkout' } },
					{ key: 'process.pid', value: { intValue: '4242' } },
				],
			},
			scopeSpans: [{
				scope: { name: 'zerotrace', version: '9.9.9' },
				spans: [{
					traceId: Array.from(Buffer.from(TRACE, 'hex')),
					spanId: Array.from(Buffer.from(SPAN, 'hex')),
					parentSpanId: Array.from(Buffer.from(PARENT, 'hex')),
					name: 'GET /items/{id}',
					kind: 2,
					startTimeUnixNano: START,
					endTimeUnixNano: END,
					attributes: [
						{ key: 'http.response.status_code', value: { intValue: '500' } },
						{ key: 'url.path', value: { stringValue: '/items/42' } },
					],
					status: { code: 2, message: 'HTTP 500' },
				}, {
					traceId: Array.from(Buffer.from(TRACE, 'hex')),
					spanId: Array.from(Buffer.from(PARENT, 'hex')),
					name: 'GET /items/{id}',
					kind: 3,
					startTimeUnixNano: START,
					endTimeUnixNano: END,
				}],
			}],
		}],
	};
}

function sampleJson() {
	// OTLP/JSON as the spec writes it: hex ids, int64 as strings, enums as ints
	return {
		resourceSpans: [{
			resource: {
				attributes: [
					{ key: 'service.name', value: { stringValue: 'checkout' } },
					{ key: 'process.pid', value: { intValue: '4242' } },
				],
			},
			scopeSpans: [{
				scope: { name: 'zerotrace', version: '9.9.9' },
				spans: [{
					traceId: TRACE, spanId: SPAN, parentSpanId: PARENT,
					name: 'GET /items/{id}', kind: 2,
					startTimeUnixNano: START, endTimeUnixNano: END,
					attributes: [
						{ key: 'http.response.status_code', value: { intValue: '500' } },
						{ key: 'url.path', value: { stringValue: '/items/42' } },
					],
					status: { code: 2, message: 'HTTP 500' },
				}, {
					traceId: TRACE, spanId: PARENT, parentSpanId: '',
					name: 'GET /items/{id}', kind: 3,
					startTimeUnixNano: START, endTimeUnixNano: END,
				}],
			}],
		}],
	};
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.listen(0, '127.0.0.1', () => {
			const p = s.address().port;
			s.close(() => resolve(p));
		});
		s.on('error', reject);
	});
}

const tmpDirs = [];

async function startReceiver(args) {
	const port = await freePort();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zt-otlp-selftest-'));
	tmpDirs.push(dir);
	const out = path.join(dir, 'rx.jsonl');
	const child = spawn(process.execPath, [path.join(__dirname, 'receiver.js'),
		'--port', String(port), '--out', out, '--max-seconds', '30', ...args],
	{ stdio: ['ignore', 'pipe', 'inherit'] });
	await new Promise((resolve, reject) => {
		let buf = '';
		child.stdout.on('data', (d) => {
			buf += d;
			if (buf.includes('ready '))
				resolve();
		});
		child.on('exit', (c) => reject(new Error('receiver exited ' + c)));
		setTimeout(() => reject(new Error('receiver not ready in 10 s')), 10000);
	});
	return { port, out, child };
}

function post(port, body, headers, urlPath) {
	return new Promise((resolve, reject) => {
		const t0 = Date.now();
		const req = http.request({
			host: '127.0.0.1', port, method: 'POST', path: urlPath || '/v1/traces',
			headers: Object.assign({ 'Content-Length': body.length }, headers),
		}, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({
				status: res.statusCode, headers: res.headers,
				body: Buffer.concat(chunks), ms: Date.now() - t0,
			}));
		});
		req.on('error', reject);
		req.end(body);
	});
}

function records(out) {
	return fs.readFileSync(out, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l));
}

function checkDecoded(rec, what) {
	const b = rec.body;
	ok(rec.answer === 200 && rec.error === null, what + ': answered 200, no error (' +
		rec.answer + ' ' + rec.error + ')');
	ok(rec.spans === 2, what + ': 2 spans recorded');
	if (!b || rec.spans !== 2)
		return;
	const rs = b.resourceSpans[0];
	const s = rs.scopeSpans[0].spans;
	ok(rs.resource.attributes[0].value.stringValue === 'checkout', what + ': service.name');
	ok(rs.resource.attributes[1].value.intValue === '4242', what + ': process.pid as decimal string');
	ok(rs.scopeSpans[0].scope.name === 'zerotrace' && rs.scopeSpans[0].scope.version === '9.9.9',
		what + ': scope');
	ok(s[0].traceId === TRACE && s[0].spanId === SPAN && s[0].parentSpanId === PARENT,
		what + ': ids in lowercase hex');
	ok(s[1].parentSpanId === '', what + ': root parentSpanId is ""');
	ok(s[0].kind === 2 && s[1].kind === 3, what + ': kinds 2, 3');
	ok(s[0].startTimeUnixNano === START && s[0].endTimeUnixNano === END, what + ': times exact');
	ok(s[0].status.code === 2 && s[0].status.message === 'HTTP 500', what + ': status');
	ok(s[1].status === null || s[1].status.code === 0 || s[1].status === undefined,
		what + ': absent status reads as UNSET');
	ok(s[0].attributes[0].value.intValue === '500', what + ': int attribute');
	ok(rec.json_issues.length === 0, what + ': no json issues ' + JSON.stringify(rec.json_issues));
}

async function main() {
	const pb = Buffer.from(ReqType.encode(ReqType.fromObject(sampleObject())).finish());
	const js = Buffer.from(JSON.stringify(sampleJson()));

	// 1. normal mode
	let r = await startReceiver([]);
	try {
		let a = await post(r.port, pb, { 'Content-Type': 'application/x-protobuf', 'X-Zt-Test': 'one' });
		ok(a.status === 200 && a.headers['content-type'] === 'application/x-protobuf',
			'protobuf answered 200 application/x-protobuf');
		a = await post(r.port, zlib.gzipSync(pb),
			{ 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' });
		ok(a.status === 200, 'protobuf+gzip answered 200');
		a = await post(r.port, js, { 'Content-Type': 'application/json' });
		ok(a.status === 200 && a.headers['content-type'] === 'application/json',
			'json answered 200 application/json');
		a = await post(r.port, zlib.gzipSync(js),
			{ 'Content-Type': 'application/json; charset=utf-8', 'Content-Encoding': 'gzip' });
		ok(a.status === 200, 'json+gzip answered 200');
		// bad ones
		const bad = sampleJson();
		bad.resourceSpans[0].scopeSpans[0].spans[0].kind = 'SPAN_KIND_SERVER';
		bad.resourceSpans[0].scopeSpans[0].spans[0].bogusField = 1;
		bad.resourceSpans[0].scopeSpans[0].spans[1].traceId =
			Buffer.from(TRACE, 'hex').toString('base64');
		bad.resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano = 5;
		a = await post(r.port, Buffer.from(JSON.stringify(bad)), { 'Content-Type': 'application/json' });
		ok(a.status === 200, 'json with issues still answered 200 (issues recorded)');
		a = await post(r.port, Buffer.from('\x0a\xff\xff\xff'), { 'Content-Type': 'application/x-protobuf' });
		ok(a.status === 400, 'garbage protobuf answered 400');
		a = await post(r.port, Buffer.from('{"resourceSpans": ['), { 'Content-Type': 'application/json' });
		ok(a.status === 400, 'truncated JSON answered 400');
		a = await post(r.port, pb, { 'Content-Type': 'application/x-protobuf' }, '/v1/metrics');
		ok(a.status === 404, 'POST /v1/metrics answered 404');

		const recs = records(r.out);
		ok(recs.length === 8, '8 requests recorded (' + recs.length + ')');
		checkDecoded(recs[0], 'protobuf');
		ok(recs[0].headers['x-zt-test'] === 'one', 'protobuf: custom header recorded');
		ok(recs[0].format === 'protobuf' && recs[0].content_encoding === null, 'protobuf: format');
		checkDecoded(recs[1], 'protobuf+gzip');
		ok(recs[1].content_encoding === 'gzip' && recs[1].body_bytes === pb.length &&
			recs[1].wire_bytes < recs[1].body_bytes + 40, 'protobuf+gzip: gunzipped');
		checkDecoded(recs[2], 'json');
		ok(recs[2].format === 'json', 'json: format');
		checkDecoded(recs[3], 'json+gzip');
		const iss = recs[4].json_issues.join('\n');
		ok(/kind.*SPAN_KIND_SERVER.*became 2/.test(iss), 'json issues: enum as name flagged');
		ok(/bogusField: unknown field/.test(iss), 'json issues: unknown field flagged');
		ok(/traceId: id is not hex/.test(iss), 'json issues: base64 id flagged');
		ok(/startTimeUnixNano: 64-bit integer written as a JSON number/.test(iss),
			'json issues: int64 as a number flagged');
		ok(recs[5].answer === 400 && /./.test(recs[5].error), 'garbage protobuf recorded with its error');
		ok(recs[6].answer === 400 && /not JSON/.test(recs[6].error), 'truncated JSON recorded');
		ok(recs[7].answer === 404, 'wrong path recorded');
	} finally {
		r.child.kill('SIGTERM');
	}

	// 2. scripted failures
	r = await startReceiver(['--fail-first', '2', '--status', '503', '--retry-after', '1']);
	try {
		const answers = [];
		for (let i = 0; i < 3; i++)
			answers.push(await post(r.port, pb, { 'Content-Type': 'application/x-protobuf' }));
		ok(answers[0].status === 503 && answers[1].status === 503 && answers[2].status === 200,
			'--fail-first 2: 503, 503, 200 (' + answers.map((a) => a.status) + ')');
		ok(answers[0].headers['retry-after'] === '1', '--retry-after 1: Retry-After: 1');
		ok(answers[2].headers['retry-after'] === undefined, 'no Retry-After on the 200');
		const recs = records(r.out);
		ok(recs.map((x) => x.answer).join() === '503,503,200', 'answers recorded');
		ok(recs.every((x) => x.spans === 2), 'failed requests are decoded and recorded too');
	} finally {
		r.child.kill('SIGTERM');
	}

	// 3. slow
	r = await startReceiver(['--slow', '700']);
	try {
		const a = await post(r.port, pb, { 'Content-Type': 'application/x-protobuf' });
		ok(a.status === 200 && a.ms >= 650, '--slow 700: answered after ' + a.ms + ' ms');
	} finally {
		r.child.kill('SIGTERM');
	}

	// 4. bounded lifetime
	r = await startReceiver(['--max-seconds', '1']);
	const t0 = Date.now();
	const code = await new Promise((resolve) => r.child.on('exit', resolve));
	ok(code === 0 && Date.now() - t0 < 3000, '--max-seconds 1: exited 0 by itself');

	console.log(passes + ' passed, ' + fails + ' failed');
	if (!fails)
		for (const d of tmpDirs)
			fs.rmSync(d, { recursive: true, force: true });
	process.exit(fails ? 1 : 0);
}

main().catch((e) => {
	console.log('FAIL selftest crashed: ' + (e && e.stack || e));
	process.exit(1);
});
