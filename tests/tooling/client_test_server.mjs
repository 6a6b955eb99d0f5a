// Test server for the outbound HTTP client tests (tests/unit/net/http_client_test.cc).
// Node built-ins only. Binds 127.0.0.1 port 0 and prints one JSON line {"port": N} on
// stdout. Exits when stdin closes, so it never outlives the test that started it.
//
//   node client_test_server.mjs [--cert cert.pem --key key.pem]
//
// Routes (query parameters in brackets):
//   /ok                      200 "hello"
//   /echo                    200 JSON {method, body, headers} of the request
//   /sleep[ms][key]          waits ms, then 200; counts hits per key
//   /big[bytes][announce]    body of `bytes` bytes; announce=0 sends it chunked
//                            (no Content-Length)
//   /flaky[key][fail][retry_after]
//                            the first `fail` hits per key get 503 (with Retry-After when
//                            given), later ones 200; X-Attempt says which hit this was
//   /hits[key]               200, body: how many times `key` was hit
//   /redirect                302 to /ok
// Every response carries X-Remote-Port (the client's source port) and X-Conn-Count
// (connections accepted so far), so tests can prove keep-alive reuse. A request in
// absolute-form (the client treats us as its HTTP proxy) gets X-Proxied: 1; CONNECT
// requests are tunnelled, counted, and reported by /stats as {"connects": N}.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import fs from 'node:fs';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

let connections = 0;
let connects = 0;
const hits = new Map();
const hit = (key) => {
  const n = (hits.get(key) ?? 0) + 1;
  hits.set(key, n);
  return n;
};

function handler(req, res) {
  const proxied = /^https?:\/\//.test(req.url);
  const url = new URL(req.url, 'http://placeholder');
  const q = url.searchParams;
  const common = {
    'X-Remote-Port': String(req.socket.remotePort),
    'X-Conn-Count': String(connections),
  };
  if (proxied) common['X-Proxied'] = '1';
  const send = (status, body, headers = {}) => {
    res.writeHead(status, { ...common, 'Content-Type': 'text/plain', ...headers });
    res.end(body);
  };
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    switch (url.pathname) {
      case '/ok':
        return send(200, 'hello', { 'X-Mixed-Case': 'Value', 'Set-Cookie': 'a=1' });
      case '/echo':
        return send(200, JSON.stringify({ method: req.method, body, headers: req.headers }), {
          'Content-Type': 'application/json',
        });
      case '/sleep': {
        hit(q.get('key') ?? '');
        const t = setTimeout(() => send(200, 'late'), Number(q.get('ms') ?? 1000));
        res.on('close', () => clearTimeout(t));
        return;
      }
      case '/big': {
        const n = Number(q.get('bytes') ?? 0);
        const data = Buffer.alloc(n, 'x');
        if (q.get('announce') === '0') {
          res.writeHead(200, { ...common, 'Content-Type': 'text/plain' });
          // Chunked, in pieces, so only the running byte count can catch it.
          for (let off = 0; off < n; off += 16384) res.write(data.subarray(off, off + 16384));
          return res.end();
        }
        return send(200, data, { 'Content-Length': String(n) });
      }
      case '/flaky': {
        const n = hit(q.get('key') ?? '');
        const fail = Number(q.get('fail') ?? 1);
        const extra = { 'X-Attempt': String(n) };
        if (n <= fail) {
          if (q.has('retry_after')) extra['Retry-After'] = q.get('retry_after');
          return send(503, 'unavailable', extra);
        }
        return send(200, 'recovered', extra);
      }
      case '/hits':
        return send(200, String(hits.get(q.get('key') ?? '') ?? 0));
      case '/stats':
        return send(200, JSON.stringify({ connects }), { 'Content-Type': 'application/json' });
      case '/redirect':
        return send(302, '', { Location: '/ok' });
      default:
        return send(404, 'not found');
    }
  });
}

const cert = opt('--cert');
const server = cert
  ? https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(opt('--key')) }, handler)
  : http.createServer(handler);
server.on(cert ? 'secureConnection' : 'connection', () => connections++);

// HTTP proxy CONNECT tunnel (what libcurl does for https:// URLs through HTTPS_PROXY).
server.on('connect', (req, socket, head) => {
  connects++;
  const [host, port] = req.url.split(':');
  const upstream = net.connect(Number(port), host, () => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  const close = () => {
    upstream.destroy();
    socket.destroy();
  };
  upstream.on('error', close);
  socket.on('error', close);
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
