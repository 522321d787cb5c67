#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * A Node client under the OpenTelemetry SDK (@opentelemetry/sdk-trace-base,
 * pinned in package.json) whose sampler decides: ParentBased with a
 * TraceIdRatioBased root. For each of N requests it starts a span, injects
 * its context with the W3C propagator (traceparent, flags 01 when the SDK
 * sampled it, 00 when not) and GETs URL with it, one after the other.
 *
 * Usage: node sdk_client.js URL N RATIO OUT
 * OUT gets one JSON line per request: {"trace_id", "sampled", "status"}.
 */
'use strict';

const fs = require('fs');
const http = require('http');
const { context, trace, defaultTextMapSetter } = require('@opentelemetry/api');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const { BasicTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler } =
	require('@opentelemetry/sdk-trace-base');

function get(url, headers) {
	return new Promise((resolve, reject) => {
		const req = http.get(url, { headers, agent: false }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode));
		});
		req.on('error', reject);
		req.setTimeout(10000, () => req.destroy(new Error('timeout')));
	});
}

async function main() {
	const [url, nText, ratioText, out] = process.argv.slice(2);
	const n = Number(nText), ratio = Number(ratioText);
	if (!url || !(n > 0) || !(ratio >= 0 && ratio <= 1) || !out) {
		process.stderr.write('usage: node sdk_client.js URL N RATIO OUT\n');
		process.exit(2);
	}
	const provider = new BasicTracerProvider({
		sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
	});
	const tracer = provider.getTracer('zerotrace-sdk-client');
	const propagator = new W3CTraceContextPropagator();
	const fd = fs.openSync(out, 'w');
	for (let i = 0; i < n; i++) {
		const span = tracer.startSpan('GET /items');
		const carrier = {};
		propagator.inject(trace.setSpan(context.active(), span), carrier, defaultTextMapSetter);
		const status = await get(url + '/items/' + i, carrier);
		span.end();
		const sc = span.spanContext();
		fs.writeSync(fd, JSON.stringify({ trace_id: sc.traceId, sampled: (sc.traceFlags & 1) === 1,
			traceparent: carrier.traceparent, status }) + '\n');
	}
	fs.closeSync(fd);
	await provider.shutdown();
}

main().catch((e) => {
	process.stderr.write('sdk_client.js: ' + (e && e.stack || e) + '\n');
	process.exit(1);
});
