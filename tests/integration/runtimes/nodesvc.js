// SPDX-License-Identifier: MIT
// The 3-service chain of tests/integration/services/svc.py on Node's event
// loop: the `http` module, keep-alive agents, no SDK, nothing that reads or
// writes a traceparent.
//
//   users    GET /users?rid=N   -> {"user": N}
//   orders   GET /orders?rid=N  -> GET rid:N from Redis (--redis PORT: one
//                                  shared connection, commands pipelined),
//                                  then calls users
//   gateway  GET /api?rid=N     -> calls users, awaits a setTimeout
//                                  (--sleep-ms, default 1), then calls orders
//
// Usage: node nodesvc.js --role R --listen HOST:PORT [--down NAME=HOST:PORT,...]
//                        [--redis PORT] [--sleep-ms MS]
'use strict';
const http = require('http');
const net = require('net');

const args = {};
for (let i = 2; i < process.argv.length; i += 2)
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const role = args.role;
const [host, port] = args.listen.split(':');
const downs = {};
for (const d of (args.down || '').split(',').filter(Boolean)) {
  const [name, hp] = d.split('=');
  const [h, p] = hp.split(':');
  downs[name] = { host: h, port: Number(p) };
}
const sleepMs = Number(args['sleep-ms'] || 1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function call(name, path) {
  return new Promise((resolve, reject) => {
    const d = downs[name];
    const req = http.get({ host: d.host, port: d.port, path, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
  });
}

// A minimal RESP client: one connection, replies in command order.
let redis = null;
const waiting = [];
let rbuf = Buffer.alloc(0);
function redisReplyLen(b) {
  const nl = b.indexOf('\r\n');
  if (nl < 0) return -1;
  if (b[0] !== 0x24) return nl + 2; // +OK, -ERR, :N
  const n = Number(b.slice(1, nl).toString());
  if (n < 0) return nl + 2;
  return b.length >= nl + 2 + n + 2 ? nl + 2 + n + 2 : -1;
}
function redisConnect(p) {
  redis = net.connect(p, '127.0.0.1');
  redis.setNoDelay(true);
  redis.on('data', (d) => {
    rbuf = Buffer.concat([rbuf, d]);
    for (let n; (n = redisReplyLen(rbuf)) > 0; rbuf = rbuf.slice(n))
      waiting.shift().resolve(rbuf.slice(0, n).toString());
  });
  redis.on('error', (e) => { for (const w of waiting.splice(0)) w.reject(e); });
}
function redisGet(key) {
  return new Promise((resolve, reject) => {
    waiting.push({ resolve, reject });
    redis.write(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`);
  });
}

function reply(res, status, obj) {
  const b = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(b) });
  res.end(b);
}

async function handle(req, res) {
  const u = new URL(req.url, 'http://x');
  const rid = u.searchParams.get('rid') || '';
  if (role === 'users' && u.pathname === '/users')
    return reply(res, 200, { user: rid });
  if (role === 'orders' && u.pathname === '/orders') {
    if (redis) await redisGet('rid:' + rid);
    const r = await call('users', '/users?rid=' + rid);
    return reply(res, r.status === 200 ? 200 : 502, { orders: [rid], user: r.body });
  }
  if (role === 'gateway' && u.pathname === '/api') {
    const a = await call('users', '/users?rid=' + rid);
    await new Promise((r) => setTimeout(r, sleepMs));
    const b = await call('orders', '/orders?rid=' + rid);
    const ok = a.status === 200 && b.status === 200;
    return reply(res, ok ? 200 : 502, { rid, user: a.body, orders: b.body });
  }
  reply(res, 404, { error: 'no such path' });
}

if (args.redis) redisConnect(Number(args.redis));
const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => reply(res, 502, { error: String(e) }));
});
server.keepAliveTimeout = 60000;
server.listen(Number(port), host, () => console.log('ready', port));
