#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * The reference for zerotrace's Zipkin spans: OpenTelemetry's own Zipkin
 * exporter (@opentelemetry/exporter-zipkin, version pinned in
 * package.json), driven through its exporter, with spans rebuilt from the
 * agent's JSON lines: the same ids, name, kind, times (nanoseconds taken
 * from the line's digits, not through a double), status, attributes (the
 * line's, less process.pid and process.executable.name, which OTLP and the
 * Zipkin exporter carry as resource attributes) and resource.
 *
 * Usage: node zipkin_reference.js SPANS.jsonl URL
 * Posts every span of SPANS.jsonl to URL (a receiver) in one export, exits
 * 0 when the exporter reports success, 1 otherwise.
 */
'use strict';

const fs = require('fs');
const { SpanKind, SpanStatusCode, TraceFlags } = require('@opentelemetry/api');
const { ZipkinExporter } = require('@opentelemetry/exporter-zipkin');

const RESOURCE_FROM_SPAN = new Set(['process.pid', 'process.executable.name']);

/* "1796520254025831108" -> [1796520254, 25831108], exactly. */
function hrtime(digits) {
	const ns = BigInt(digits);
	return [Number(ns / 1000000000n), Number(ns % 1000000000n)];
}

function readableSpan(line) {
	const s = JSON.parse(line);
	const start = line.match(/"start_time_unix_nano":([0-9]+)/)[1];
	const end = line.match(/"end_time_unix_nano":([0-9]+)/)[1];
	const attributes = {};
	for (const [k, v] of Object.entries(s.attributes || {}))
		if (!RESOURCE_FROM_SPAN.has(k))
			attributes[k] = v;
	const ctx = { traceId: s.trace_id, spanId: s.span_id, traceFlags: TraceFlags.SAMPLED };
	const status = s.status && s.status.code === 'ERROR' ?
		{ code: SpanStatusCode.ERROR, message: s.status.message } :
		{ code: SpanStatusCode.UNSET };
	return {
		name: s.name,
		kind: s.kind === 'SERVER' ? SpanKind.SERVER : SpanKind.CLIENT,
		spanContext: () => ctx,
		parentSpanContext: s.parent_span_id ?
			{ traceId: s.trace_id, spanId: s.parent_span_id, traceFlags: TraceFlags.SAMPLED } :
			undefined,
		startTime: hrtime(start),
		endTime: hrtime(end),
		duration: hrtime((BigInt(end) - BigInt(start)).toString()),
		status,
		attributes,
		links: [],
		events: [],
		resource: { attributes: s.resource || {} },
		instrumentationScope: { name: 'zerotrace' },
		ended: true,
		droppedAttributesCount: 0,
		droppedEventsCount: 0,
		droppedLinksCount: 0,
	};
}

function main() {
	const [file, url] = process.argv.slice(2);
	if (!file || !url) {
		process.stderr.write('usage: node zipkin_reference.js SPANS.jsonl URL\n');
		process.exit(2);
	}
	const spans = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim())
		.map(readableSpan);
	const exporter = new ZipkinExporter({ url });
	exporter.export(spans, (r) => {
		if (r.code !== 0) {
			process.stderr.write('zipkin_reference.js: export failed: ' + (r.error && r.error.message) + '\n');
			process.exit(1);
		}
		process.stdout.write('exported ' + spans.length + '\n');
		exporter.shutdown().then(() => process.exit(0));
	});
}

main();
