#!/usr/bin/env node
// The sample upstream app behind authgate in tests and the demo.
//   node tests/tooling/upstream.mjs [--port 0] [--host 127.0.0.1]
// Prints {"url":"http://127.0.0.1:PORT","port":PORT} on stdout when listening.
//   any path          echo of the request (method, path, query, headers, the
//                     X-Auth-Request-* identity headers, body size) as JSON, or as a
//                     small HTML page when the client prefers text/html
//   GET  /bytes?n=N   streams N bytes (downloads through the proxy)
//   POST /upload      reads the body as a stream; answers {bytes, sha256}
//   GET  /status/N    answers status N
//   /ws               WebSocket (RFC 6455) echo, written here without dependencies
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
});

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function wantsHtml(req) {
  const accept = req.headers.accept ?? '';
  return /text\/html/.test(accept) && !/^application\/json/.test(accept);
}

async function drain(req) {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  for await (const chunk of req) {
    bytes += chunk.length;
    hash.update(chunk);
  }
  return { bytes, sha256: hash.digest('hex') };
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://upstream.invalid');
  if (url.pathname === '/bytes') {
    let left = Math.max(0, Number(url.searchParams.get('n') ?? 0));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(left) });
    const block = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, block.length);
        left -= n;
        if (!res.write(n === block.length ? block : block.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
    return;
  }
  const body = await drain(req);
  if (url.pathname === '/upload') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
    return;
  }
  const status = /^\/status\/(\d{3})$/.exec(url.pathname);
  const identity = Object.fromEntries(Object.entries(req.headers)
    .filter(([k]) => k.startsWith('x-auth-request-') || k === 'authorization' || k.startsWith('x-forwarded-')));
  const echo = {
    method: req.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    url: req.url,
    headers: req.headers,
    identity,
    body: { bytes: body.bytes },
  };
  const code = status ? Number(status[1]) : 200;
  if (wantsHtml(req)) {
    res.writeHead(code, { 'content-type': 'text/html; charset=utf-8' });
    const rows = Object.entries(req.headers)
      .map(([k, v]) => `<tr><th>${esc(k)}</th><td id="h-${esc(k)}">${esc(v)}</td></tr>`).join('\n');
    res.end(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sample upstream</title></head>
<body><h1>Sample upstream</h1>
<p>Signed in as <b id="user">${esc(req.headers['x-auth-request-email'] ?? req.headers['x-auth-request-user'] ?? '(nobody)')}</b></p>
<p id="request">${esc(req.method)} ${esc(req.url)}</p>
<table>${rows}</table>
<script type="application/json" id="echo">${esc(JSON.stringify(echo))}</script>
</body></html>`);
    return;
  }
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(echo));
});

// --- WebSocket echo (RFC 6455) -------------------------------------------------
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'; // RFC 6455 s1.3

function frame(opcode, payload) {
  const len = payload.length;
  let head;
  if (len < 126) {
    head = Buffer.from([0x80 | opcode, len]);
  } else if (len < 65536) {
    head = Buffer.alloc(4);
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]); // server frames are not masked (s5.1)
}

const wsSockets = new Set();
server.on('upgrade', (req, socket, head) => {
  wsSockets.add(socket);
  socket.once('close', () => wsSockets.delete(socket));
  const key = req.headers['sec-websocket-key'];
  if (new URL(req.url, 'http://u.invalid').pathname !== '/ws' || !key
    || String(req.headers.upgrade).toLowerCase() !== 'websocket') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return;
  }
  const accept = crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${accept}`, '', ''].join('\r\n'));
  // The first message tells the client which identity the upstream saw.
  socket.write(frame(0x1, Buffer.from(JSON.stringify({
    hello: true, user: req.headers['x-auth-request-user'] ?? null,
  }))));
  let buf = head && head.length ? Buffer.from(head) : Buffer.alloc(0);
  const onData = () => {
    while (buf.length >= 2) {
      const opcode = buf[0] & 0x0f;
      const masked = (buf[1] & 0x80) !== 0;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      const maskOff = off;
      if (masked) off += 4;
      if (buf.length < off + len) return;
      const payload = Buffer.from(buf.subarray(off, off + len));
      if (masked) for (let i = 0; i < len; i += 1) payload[i] ^= buf[maskOff + (i % 4)];
      buf = buf.subarray(off + len);
      if (opcode === 0x8) { // close: answer and end (s5.5.1)
        socket.end(frame(0x8, payload.subarray(0, 2)));
        return;
      }
      if (opcode === 0x9) socket.write(frame(0xa, payload)); // ping -> pong
      else if (opcode === 0x1 || opcode === 0x2 || opcode === 0x0) socket.write(frame(opcode || 0x1, payload));
    }
  };
  socket.on('data', (chunk) => { buf = Buffer.concat([buf, chunk]); onData(); });
  socket.on('error', () => socket.destroy());
  if (buf.length) onData();
});

server.listen(Number(values.port), values.host, () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://${values.host}:${port}`, port, pid: process.pid })}\n`);
});
const stop = () => {
  for (const s of wsSockets) s.destroy(); // upgraded sockets are not "connections" any more
  server.closeAllConnections?.();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
