#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * A scripted OTLP/HTTP trace and log receiver for zerotrace's integration
 * tests.
 *
 * Decodes every POST /v1/traces (ExportTraceServiceRequest) and POST
 * /v1/logs (ExportLogsServiceRequest) with the OFFICIAL OpenTelemetry
 * protobuf root (the generated protobufjs module shipped by
 * @opentelemetry/otlp-transformer 0.214.0, installed here as "otlp-proto"):
 *   - application/x-protobuf: Export{Trace,Logs}ServiceRequest.decode
 *   - application/json: JSON.parse, then protobufjs's fromObject of the same
 *     type (trace/span ids as hex per OTLP/JSON), and a strict round trip
 *     (toObject) that reports unknown keys, wrong JSON types, enums written
 *     as names and non-hex ids in "json_issues".
 * It never uses zerotrace's own encoder.
 *
 * POST /api/v2/spans is Zipkin's: a JSON array of spans, each checked
 * against Zipkin's v2 API description (zipkin2-api.yaml: the keys it
 * defines, their JSON types, 16/32-hex ids, the kind enum, integer
 * microseconds, endpoints, string tags), problems in "json_issues",
 * recorded with signal "zipkin" and body = the array as sent; answered 202
 * as Zipkin does. --fail-first counts these POSTs as trace POSTs.
 *
 * Every request (whatever its path or fate) is appended as ONE JSON line to
 * --out:
 *   {seq, t_ms, method, path, headers, content_type, content_encoding,
 *    body_bytes, wire_bytes, answer (HTTP status sent), format ("protobuf" |
 *    "json" | null), error (decode error or null), json_issues ([...]),
 *    body (decoded request as a plain object: every field with defaults,
 *    64-bit integers as decimal strings, enums as numbers,
 *    traceId/spanId/parentSpanId as lowercase hex, other bytes as base64),
 *    spans (number of spans in body), signal ("traces" | "logs" | null),
 *    log_records (number of log records in body)}
 *
 * Answers: 200 with an empty Export{Trace,Logs}ServiceResponse (same
 * content type); --fail-first N: the first N POST /v1/traces get --status
 * (default 503), --logs-fail-first N the same for POST /v1/logs, with
 * Retry-After: S when --retry-after S; --slow MS delays every answer;
 * a body that does not decode: 400. The line is written BEFORE the answer is
 * sent, so a client that saw the answer finds its request in --out.
 *
 * Usage: node receiver.js --port P --out FILE [--host 127.0.0.1]
 *          [--fail-first N] [--logs-fail-first N] [--status CODE]
 *          [--retry-after S] [--slow MS]
 *          [--max-seconds S (default 120)] [--max-body BYTES]
 * Prints "ready <pid> <port>" on stdout once listening; exits 0 on SIGTERM or
 * SIGINT, and by itself after --max-seconds.
 */
'use strict';

const http = require('http');
const fs = require('fs');
const zlib = require('zlib');
const path = require('path');

const root = require('otlp-proto/build/src/generated/root.js');
const v1 = root.opentelemetry.proto;
const ReqType = v1.collector.trace.v1.ExportTraceServiceRequest;
const RespType = v1.collector.trace.v1.ExportTraceServiceResponse;
const LogsReqType = v1.collector.logs.v1.ExportLogsServiceRequest;
const LogsRespType = v1.collector.logs.v1.ExportLogsServiceResponse;

const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);
const ID_LEN = { traceId: 16, spanId: 8, parentSpanId: 8 };

function parseArgs(argv) {
	const o = {
		host: '127.0.0.1', port: 0, out: '', failFirst: 0, logsFailFirst: 0, status: 503,
		retryAfter: null, slow: 0, maxSeconds: 120, maxBody: 64 << 20,
	};
	const need = (i) => {
		if (i + 1 >= argv.length) usage('missing value for ' + argv[i]);
		return argv[i + 1];
	};
	const num = (s, name) => {
		if (!/^[0-9]+$/.test(s)) usage('bad number for ' + name + ': ' + s);
		return Number(s);
	};
	for (let i = 0; i < argv.length; i += 2) {
		const a = argv[i];
		const v = need(i);
		switch (a) {
		case '--host': o.host = v; break;
		case '--port': o.port = num(v, a); break;
		case '--out': o.out = v; break;
		case '--fail-first': o.failFirst = num(v, a); break;
		case '--logs-fail-first': o.logsFailFirst = num(v, a); break;
		case '--status': o.status = num(v, a); break;
		case '--retry-after': o.retryAfter = num(v, a); break;
		case '--slow': o.slow = num(v, a); break;
		case '--max-seconds': o.maxSeconds = num(v, a); break;
		case '--max-body': o.maxBody = num(v, a); break;
		default: usage('unknown argument ' + a);
		}
	}
	if (!o.port || !o.out) usage('--port and --out are required');
	return o;
}

function usage(msg) {
	process.stderr.write('receiver.js: ' + msg + '\n' +
		'usage: node receiver.js --port P --out FILE [--host H] [--fail-first N] ' +
		'[--logs-fail-first N] ' +
		'[--status CODE] [--retry-after S] [--slow MS] [--max-seconds S] [--max-body B]\n');
	process.exit(2);
}

const hex = (b) => Buffer.from(b).toString('hex');

/* A decoded message -> plain object; ids as lowercase hex, other bytes base64. */
function toPlain(msg, type) {
	const obj = (type || ReqType).toObject(msg, {
		longs: String, enums: Number, bytes: Array, defaults: true, arrays: true, objects: true,
	});
	return fixBytes(obj, null);
}

function fixBytes(v, key) {
	if (Array.isArray(v)) {
		// bytes with options.bytes = Array are arrays of numbers; repeated
		// fields are arrays of objects/strings
		if (key !== null && (ID_KEYS.has(key) || key === 'bytesValue') &&
		    v.every((x) => typeof x === 'number'))
			return ID_KEYS.has(key) ? hex(v) : Buffer.from(v).toString('base64');
		return v.map((x) => fixBytes(x, null));
	}
	if (v && typeof v === 'object') {
		const o = {};
		for (const k of Object.keys(v))
			o[k] = fixBytes(v[k], k);
		return o;
	}
	return v;
}

function countSpans(plain) {
	let n = 0;
	for (const rs of plain.resourceSpans || [])
		for (const ss of rs.scopeSpans || [])
			n += (ss.spans || []).length;
	return n;
}

function countLogRecords(plain) {
	let n = 0;
	for (const rl of plain.resourceLogs || [])
		for (const sl of rl.scopeLogs || [])
			n += (sl.logRecords || []).length;
	return n;
}

/* What each path decodes as. */
const SIGNALS = {
	'/v1/traces': { name: 'traces', Req: ReqType, Resp: RespType },
	'/v1/logs': { name: 'logs', Req: LogsReqType, Resp: LogsRespType },
	'/api/v2/spans': { name: 'zipkin' },
};

/* Zipkin v2 (zipkin2-api.yaml, definitions Span and Endpoint): every
 * problem of the array as a string. */
function zipkinIssues(spans) {
	const issues = [];
	const SPAN_KEYS = new Set(['traceId', 'name', 'parentId', 'id', 'kind', 'timestamp',
		'duration', 'debug', 'shared', 'localEndpoint', 'remoteEndpoint', 'annotations',
		'tags']);
	const EP_KEYS = new Set(['serviceName', 'ipv4', 'ipv6', 'port']);
	const uint = (v) => Number.isSafeInteger(v) && v >= 0;
	const endpoint = (e, w) => {
		if (!e || typeof e !== 'object' || Array.isArray(e))
			return issues.push(w + ': not an object');
		for (const k of Object.keys(e))
			if (!EP_KEYS.has(k))
				issues.push(w + '.' + k + ': not an Endpoint key');
		if ('serviceName' in e && typeof e.serviceName !== 'string')
			issues.push(w + '.serviceName: not a string');
		if ('ipv4' in e && !/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(e.ipv4))
			issues.push(w + '.ipv4: not dotted IPv4: ' + JSON.stringify(e.ipv4));
		if ('ipv6' in e && (typeof e.ipv6 !== 'string' || !e.ipv6.includes(':')))
			issues.push(w + '.ipv6: not IPv6: ' + JSON.stringify(e.ipv6));
		if ('port' in e && !(uint(e.port) && e.port <= 65535))
			issues.push(w + '.port: not a port: ' + JSON.stringify(e.port));
	};
	if (!Array.isArray(spans))
		return ['$: not an array'];
	spans.forEach((s, i) => {
		const w = '$[' + i + ']';
		if (!s || typeof s !== 'object' || Array.isArray(s))
			return issues.push(w + ': not an object');
		for (const k of Object.keys(s))
			if (!SPAN_KEYS.has(k))
				issues.push(w + '.' + k + ': not a Span key');
		if (!/^([0-9a-f]{16}|[0-9a-f]{32})$/.test(s.traceId))
			issues.push(w + '.traceId: not 16 or 32 lowercase hex: ' + JSON.stringify(s.traceId));
		if (!/^[0-9a-f]{16}$/.test(s.id))
			issues.push(w + '.id: not 16 lowercase hex: ' + JSON.stringify(s.id));
		if ('parentId' in s && !/^[0-9a-f]{16}$/.test(s.parentId))
			issues.push(w + '.parentId: not 16 lowercase hex: ' + JSON.stringify(s.parentId));
		if ('kind' in s && !['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'].includes(s.kind))
			issues.push(w + '.kind: ' + JSON.stringify(s.kind));
		if ('name' in s && typeof s.name !== 'string')
			issues.push(w + '.name: not a string');
		for (const k of ['timestamp', 'duration'])
			if (k in s && !(uint(s[k]) && s[k] >= 1))
				issues.push(w + '.' + k + ': not microseconds >= 1: ' + JSON.stringify(s[k]));
		for (const k of ['debug', 'shared'])
			if (k in s && typeof s[k] !== 'boolean')
				issues.push(w + '.' + k + ': not a boolean');
		for (const k of ['localEndpoint', 'remoteEndpoint'])
			if (k in s)
				endpoint(s[k], w + '.' + k);
		if ('tags' in s) {
			if (!s.tags || typeof s.tags !== 'object' || Array.isArray(s.tags))
				issues.push(w + '.tags: not an object');
			else
				for (const [k, v] of Object.entries(s.tags))
					if (typeof v !== 'string')
						issues.push(w + '.tags.' + k + ': not a string: ' + JSON.stringify(v));
		}
	});
	return issues;
}

/*
 * OTLP/JSON -> the object fromObject expects: ids are hex in OTLP/JSON but
 * base64 for protobufjs, so they become byte arrays here (checked: even
 * length, lowercase or uppercase hex, 16/8 bytes or empty).
 */
function hexIdsToBytes(v, where, issues) {
	if (Array.isArray(v))
		return v.map((x, i) => hexIdsToBytes(x, where + '[' + i + ']', issues));
	if (v && typeof v === 'object') {
		const o = {};
		for (const k of Object.keys(v)) {
			const w = where + '.' + k;
			if (ID_KEYS.has(k)) {
				const s = v[k];
				if (typeof s !== 'string') {
					issues.push(w + ': id is not a string (' + JSON.stringify(s) + ')');
					o[k] = s;
				} else if (!/^([0-9a-fA-F]{2})*$/.test(s)) {
					issues.push(w + ': id is not hex: ' + JSON.stringify(s));
					o[k] = [];
				} else {
					if (s.length && s.length !== 2 * ID_LEN[k])
						issues.push(w + ': id has ' + s.length / 2 + ' bytes, expected ' + ID_LEN[k]);
					if (s !== s.toLowerCase())
						issues.push(w + ': id is not lowercase hex: ' + s);
					o[k] = Array.from(Buffer.from(s, 'hex'));
				}
			} else {
				o[k] = hexIdsToBytes(v[k], w, issues);
			}
		}
		return o;
	}
	return v;
}

/*
 * Strict comparison of the JSON as sent with what protobufjs made of it
 * (toObject with defaults, longs as strings, enums as numbers): a key the
 * type does not have is gone after the round trip, a value of the wrong JSON
 * type comes back different.
 */
function compareJson(sent, back, where, issues) {
	if (issues.length > 50)
		return;
	if (Array.isArray(sent)) {
		if (!Array.isArray(back)) {
			issues.push(where + ': array where the schema has ' + typeof back);
			return;
		}
		if (sent.length !== back.length)
			issues.push(where + ': ' + sent.length + ' elements became ' + back.length);
		for (let i = 0; i < Math.min(sent.length, back.length); i++)
			compareJson(sent[i], back[i], where + '[' + i + ']', issues);
		return;
	}
	if (sent !== null && typeof sent === 'object') {
		if (back === null || typeof back !== 'object' || Array.isArray(back)) {
			issues.push(where + ': object where the schema has ' + JSON.stringify(back));
			return;
		}
		for (const k of Object.keys(sent)) {
			if (!(k in back)) {
				issues.push(where + '.' + k + ': unknown field (not in the OTLP schema)');
				continue;
			}
			compareJson(sent[k], back[k], where + '.' + k, issues);
		}
		return;
	}
	if (sent === null) {
		return; // null is "absent" in proto3 JSON
	}
	if (typeof back === 'string' && /^-?[0-9]+$/.test(back) && typeof sent !== 'string') {
		// 64-bit integer: OTLP/JSON writes decimal strings; numbers are
		// accepted by the proto3 JSON mapping but worth flagging
		if (typeof sent !== 'number' || String(sent) !== back)
			issues.push(where + ': ' + JSON.stringify(sent) + ' is not the integer ' + back);
		else
			issues.push(where + ': 64-bit integer written as a JSON number (' + sent +
				'), OTLP/JSON uses a decimal string');
		return;
	}
	if (typeof sent !== typeof back) {
		issues.push(where + ': ' + JSON.stringify(sent) + ' (' + typeof sent + ') became ' +
			JSON.stringify(back) + ' (' + typeof back + ')');
		return;
	}
	if (sent !== back)
		issues.push(where + ': ' + JSON.stringify(sent) + ' became ' + JSON.stringify(back));
}

function decodeJson(buf, type) {
	const T = type || ReqType;
	const issues = [];
	let sent;
	try {
		sent = JSON.parse(buf.toString('utf8'));
	} catch (e) {
		throw new Error('not JSON: ' + e.message);
	}
	if (sent === null || typeof sent !== 'object' || Array.isArray(sent))
		throw new Error('JSON body is not an object');
	const forPb = hexIdsToBytes(sent, '$', issues);
	const msg = T.fromObject(forPb);
	// the message must survive protobuf encode/decode unchanged
	const again = T.decode(T.encode(msg).finish());
	const back = T.toObject(again, {
		longs: String, enums: Number, bytes: Array, defaults: true, arrays: true, objects: true,
	});
	compareJson(forPb, back, '$', issues);
	return { msg: again, issues };
}

function decodeProto(buf, type) {
	const T = type || ReqType;
	const msg = T.decode(buf);
	const err = T.verify(msg);
	if (err)
		throw new Error('verify: ' + err);
	return { msg, issues: [] };
}

function main() {
	const o = parseArgs(process.argv.slice(2));
	fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
	const outFd = fs.openSync(o.out, 'a');
	let seq = 0;
	let tracesPosts = 0;
	let logsPosts = 0;
	const t0 = Date.now();

	const server = http.createServer((req, res) => {
		const chunks = [];
		let size = 0;
		let tooBig = false;
		req.on('data', (c) => {
			size += c.length;
			if (size > o.maxBody)
				tooBig = true;
			else
				chunks.push(c);
		});
		req.on('error', () => {});
		req.on('end', () => {
			const rec = {
				seq: seq++,
				t_ms: Date.now() - t0,
				method: req.method,
				path: req.url,
				headers: req.headers,
				content_type: req.headers['content-type'] || null,
				content_encoding: req.headers['content-encoding'] || null,
				wire_bytes: size,
				body_bytes: null,
				answer: 200,
				format: null,
				error: null,
				json_issues: [],
				body: null,
				spans: 0,
				signal: null,
				log_records: 0,
			};
			const sig = SIGNALS[req.url.split('?')[0]];
			let respCt = 'application/x-protobuf';
			let respBody = Buffer.from(RespType.encode(RespType.create({})).finish());
			const ctype = (rec.content_type || '').split(';')[0].trim().toLowerCase();
			if (req.method !== 'POST' || !sig) {
				rec.answer = 404;
				rec.error = 'not POST /v1/traces or /v1/logs';
			} else if (tooBig) {
				rec.signal = sig.name;
				rec.answer = 413;
				rec.error = 'body larger than ' + o.maxBody;
			} else {
				rec.signal = sig.name;
				if (sig.Resp)
					respBody = Buffer.from(sig.Resp.encode(sig.Resp.create({})).finish());
				const posts = sig.name === 'logs' ? ++logsPosts : ++tracesPosts;
				const failFirst = sig.name === 'logs' ? o.logsFailFirst : o.failFirst;
				let body = Buffer.concat(chunks);
				const enc = (rec.content_encoding || 'identity').toLowerCase();
				try {
					if (enc === 'gzip')
						body = zlib.gunzipSync(body, { maxOutputLength: o.maxBody });
					else if (enc !== 'identity')
						throw new Error('unsupported Content-Encoding ' + enc);
					rec.body_bytes = body.length;
					let d;
					if (sig.name === 'zipkin') {
						if (ctype !== 'application/json')
							throw new Error('Zipkin wants application/json, got ' +
								JSON.stringify(rec.content_type));
						rec.format = 'json';
						respCt = 'text/plain';
						respBody = Buffer.alloc(0);
						rec.body = JSON.parse(body.toString('utf8'));
						rec.json_issues = zipkinIssues(rec.body);
						rec.spans = Array.isArray(rec.body) ? rec.body.length : 0;
						rec.answer = 202;
					} else if (ctype === 'application/x-protobuf') {
						rec.format = 'protobuf';
						d = decodeProto(body, sig.Req);
					} else if (ctype === 'application/json') {
						rec.format = 'json';
						respCt = 'application/json';
						respBody = Buffer.from('{}');
						d = decodeJson(body, sig.Req);
					} else {
						throw new Error('unsupported Content-Type ' + JSON.stringify(rec.content_type));
					}
					if (d) {
						rec.json_issues = d.issues;
						rec.body = toPlain(d.msg, sig.Req);
						if (sig.name === 'logs')
							rec.log_records = countLogRecords(rec.body);
						else
							rec.spans = countSpans(rec.body);
					}
				} catch (e) {
					rec.answer = 400;
					rec.error = String(e && e.message || e);
				}
				if ((rec.answer === 200 || rec.answer === 202) && posts <= failFirst)
					rec.answer = o.status;
			}
			const headers = { 'Content-Type': respCt };
			const ok = rec.answer === 200 || rec.answer === 202;
			if (!ok && o.retryAfter !== null && rec.answer !== 400)
				headers['Retry-After'] = String(o.retryAfter);
			if (rec.answer === 400 || rec.answer === 404 || rec.answer === 413) {
				headers['Content-Type'] = 'text/plain';
				respBody = Buffer.from(rec.error + '\n');
			} else if (!ok) {
				headers['Content-Type'] = 'text/plain';
				respBody = Buffer.from('scripted failure ' + rec.answer + '\n');
			}
			headers['Content-Length'] = String(respBody.length);
			fs.writeSync(outFd, JSON.stringify(rec) + '\n');
			const answer = () => {
				if (res.destroyed)
					return;
				res.writeHead(rec.answer, headers);
				res.end(respBody);
			};
			if (o.slow)
				setTimeout(answer, o.slow);
			else
				answer();
		});
	});
	server.keepAliveTimeout = 30000;
	server.requestTimeout = 0;
	server.on('clientError', (err, sock) => {
		try {
			sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
		} catch (e) { /* gone */ }
	});
	server.on('error', (e) => {
		process.stderr.write('receiver.js: ' + e.message + '\n');
		process.exit(1);
	});
	const stop = () => {
		try { fs.closeSync(outFd); } catch (e) { /* closed */ }
		process.exit(0);
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
	setTimeout(() => {
		process.stderr.write('receiver.js: --max-seconds ' + o.maxSeconds + ' reached, exiting\n');
		stop();
	}, o.maxSeconds * 1000).unref();
	server.listen(o.port, o.host, () => {
		process.stdout.write('ready ' + process.pid + ' ' + server.address().port + '\n');
	});
}

if (require.main === module)
	main();

module.exports = { ReqType, LogsReqType, SIGNALS, decodeJson, decodeProto, toPlain,
	countSpans, countLogRecords };
