#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * Checks OTLP log requests against the OFFICIAL schema (the generated
 * protobufjs root of @opentelemetry/otlp-transformer 0.214.0, "otlp-proto",
 * the same one receiver.js uses), never zerotrace's own encoder:
 *   - a protobuf file: ExportLogsServiceRequest.decode, then verify;
 *   - an OTLP/JSON file (name ends in .json): JSON.parse, fromObject, a
 *     protobuf round trip and the strict comparison of receiver.js (unknown
 *     keys, wrong JSON types, enums as names, non-hex or wrong-size ids,
 *     64-bit integers as JSON numbers are all reported).
 * Prints one JSON line per file: {file, format, error, json_issues,
 * log_records, records} where records is every LogRecord flattened for a
 * test to read: {timeUnixNano, observedTimeUnixNano, severityNumber,
 * severityText, body, eventName, flags, traceId, spanId, attributes: {key:
 * value}} (ints as decimal strings), plus resource (attributes) and scope.
 *
 * Usage: node logs_schema_check.js [--same] FILE...
 *   --same: every file must decode to the same request (the protobuf and
 *   the JSON encoding of one batch).
 * Exit 0 when every file decodes cleanly (and --same holds), 1 otherwise.
 */
'use strict';

const fs = require('fs');
const util = require('util');
const { LogsReqType, decodeJson, decodeProto, toPlain, countLogRecords } =
	require('./receiver.js');

function anyValue(v) {
	if (!v || typeof v !== 'object')
		return null;
	for (const k of ['stringValue', 'intValue', 'boolValue', 'doubleValue'])
		if (v[k] !== undefined && v[k] !== null)
			return v[k];
	return v;
}

function attrs(list) {
	const o = {};
	for (const kv of list || [])
		o[kv.key] = anyValue(kv.value);
	return o;
}

function flatten(plain) {
	const out = { resource: [], records: [] };
	for (const rl of plain.resourceLogs || []) {
		out.resource.push(attrs(rl.resource && rl.resource.attributes));
		for (const sl of rl.scopeLogs || []) {
			const scope = sl.scope ? { name: sl.scope.name, version: sl.scope.version } : null;
			for (const r of sl.logRecords || [])
				out.records.push({
					scope,
					timeUnixNano: r.timeUnixNano,
					observedTimeUnixNano: r.observedTimeUnixNano,
					severityNumber: r.severityNumber,
					severityText: r.severityText,
					body: anyValue(r.body),
					eventName: r.eventName,
					flags: r.flags,
					traceId: r.traceId,
					spanId: r.spanId,
					attributes: attrs(r.attributes),
				});
		}
	}
	return out;
}

function main() {
	const args = process.argv.slice(2);
	const same = args[0] === '--same';
	const files = same ? args.slice(1) : args;
	let ok = true;
	let first = null;

	if (!files.length) {
		process.stderr.write('usage: node logs_schema_check.js [--same] FILE...\n');
		process.exit(2);
	}
	for (const file of files) {
		const rec = { file, format: null, error: null, json_issues: [], log_records: 0 };
		try {
			const buf = fs.readFileSync(file);
			let d;
			if (file.endsWith('.json')) {
				rec.format = 'json';
				d = decodeJson(buf, LogsReqType);
			} else {
				rec.format = 'protobuf';
				d = decodeProto(buf, LogsReqType);
			}
			rec.json_issues = d.issues;
			const plain = toPlain(d.msg, LogsReqType);
			rec.log_records = countLogRecords(plain);
			Object.assign(rec, flatten(plain));
			if (same) {
				if (first === null)
					first = plain;
				else if (!util.isDeepStrictEqual(first, plain))
					rec.error = 'decodes to a different request than ' + files[0];
			}
		} catch (e) {
			rec.error = String(e && e.message || e);
		}
		if (rec.error || rec.json_issues.length)
			ok = false;
		process.stdout.write(JSON.stringify(rec) + '\n');
	}
	process.exit(ok ? 0 : 1);
}

main();
