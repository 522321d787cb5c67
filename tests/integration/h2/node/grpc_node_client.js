// SPDX-License-Identifier: MIT
// gRPC calls from Node (@grpc/grpc-js, no generated code: raw bytes) to
// grpc_server.py over one channel, 8 in flight at once.
//
//   node grpc_node_client.js PORT N_OK N_FAIL N_MISSING OUT.json
//
// Call j sends a request of 1000 + j bytes, so the test tells every
// call's spans apart by http.request.body.size. Exits 1 if any call
// ended otherwise than planned.
'use strict';
const fs = require('fs');
const grpc = require('@grpc/grpc-js');

const [port, nOk, nFail, nMissing, out] = process.argv.slice(2);
const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const id = (b) => b;
const plan = [];
for (let i = 0; i < +nOk; i++) plan.push(['ok', 'hello', grpc.status.OK]);
for (let i = 0; i < +nFail; i++) plan.push(['fail', 'fail', grpc.status.INTERNAL]);
for (let i = 0; i < +nMissing; i++) plan.push(['missing', 'missing', grpc.status.NOT_FOUND]);
const got = { ok: 0, fail: 0, missing: 0, wrong: [] };

function call(j) {
  const [kind, word, want] = plan[j];
  const body = Buffer.from(word.padEnd(1000 + j, '.'));
  return new Promise((resolve) => {
    client.makeUnaryRequest('/zt.Echo/Say', id, id, body, { deadline: Date.now() + 10000 },
      (err, res) => {
        const code = err ? err.code : grpc.status.OK;
        const ok = code === want && (err || res.equals(Buffer.concat([Buffer.from('echo:'), body])));
        if (ok) got[kind]++;
        else got.wrong.push(`${kind} ${j}: ${err ? err.message : 'wrong answer'}`);
        resolve();
      });
  });
}

async function main() {
  let next = 0;
  const worker = async () => {
    while (next < plan.length) await call(next++);
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  client.close();
  fs.writeFileSync(out, JSON.stringify(got));
  process.exit(got.wrong.length ? 1 : 0);
}

main();
