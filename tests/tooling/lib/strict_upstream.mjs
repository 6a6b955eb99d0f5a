// Upstreams that show exactly what authgate sent them (issue 13 "Tests"):
// - startStrictUpstream: Node's own http server with its default, strict parser
//   (llhttp, insecureHTTPParser off), in the test's process. It records every request
//   it receives (raw header pairs, trailers, body bytes, the connection it came on) and
//   every clientError (bytes Node refused to parse), so a stray last-chunk or a
//   desynchronised pooled connection is visible, not silently absorbed.
// - startNginxEcho: Debian's nginx answering the X-Auth-Request-User it saw, with an
//   access log of every request per connection ($connection, $connection_requests,
//   $status), including the 400s nginx gives to bytes that are not a request.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

import { sleep } from './process.mjs';
import { startNginx } from './services.mjs';

/** Raw header pairs [[name, value], ...] from Node's flat rawHeaders / rawTrailers. */
export function pairs(flat) {
  const out = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/** Every value of header `name` (case-insensitive) in raw pairs. */
export function valuesOf(rawPairs, name) {
  const lower = name.toLowerCase();
  return rawPairs.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/**
 * startStrictUpstream({t, respond}) -> {url, port, requests, clientErrors, connections,
 *   waitForRequests(n), reset(), close()}
 *
 * Each request is recorded once its body and trailers are in:
 *   {seq, socketId, method, url, httpVersion, rawHeaders: [[name, value]], headers
 *    (Node's lower-cased object), rawTrailers: [[name, value]], body: Buffer,
 *    values(name) (every value of a header, case-insensitive)}
 * `socketId` numbers the TCP connections in accept order, so a reused pooled
 * connection shows as two requests with one socketId.
 *
 * Answers (unless `respond(req, record, res)` handles it and returns true):
 *   /empty-chunked     200, Transfer-Encoding: chunked, no body (one last-chunk)
 *   anything else      200 JSON {seq, socket, method, url, user, email, body_bytes,
 *                      trailers} where user/email are the X-Auth-Request-User/-Email
 *                      the upstream saw (null when absent), with a Content-Length
 */
export async function startStrictUpstream({ t, respond } = {}) {
  const requests = [];
  const clientErrors = [];
  const connections = []; // {id, openedAt, closedAt}
  const socketIds = new WeakMap();
  const waiters = [];
  let seq = 0;

  const notify = () => {
    for (let i = waiters.length - 1; i >= 0; i -= 1) {
      if (requests.length >= waiters[i].n) waiters.splice(i, 1)[0].resolve();
    }
  };

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const rawHeaders = pairs(req.rawHeaders);
    const record = {
      seq: ++seq,
      socketId: socketIds.get(req.socket),
      method: req.method,
      url: req.url,
      httpVersion: req.httpVersion,
      rawHeaders,
      headers: req.headers,
      rawTrailers: pairs(req.rawTrailers),
      body: Buffer.concat(chunks),
      values: (name) => valuesOf(rawHeaders, name),
    };
    requests.push(record);
    notify();
    if (respond && await respond(req, record, res)) return;
    if (new URL(req.url, 'http://upstream.invalid').pathname === '/empty-chunked') {
      res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
      res.end();
      return;
    }
    const text = JSON.stringify({
      seq: record.seq,
      socket: record.socketId,
      method: record.method,
      url: record.url,
      user: req.headers['x-auth-request-user'] ?? null,
      email: req.headers['x-auth-request-email'] ?? null,
      body_bytes: record.body.length,
      trailers: record.rawTrailers,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  server.on('connection', (socket) => {
    const entry = { id: connections.length + 1, openedAt: Date.now(), closedAt: undefined };
    connections.push(entry);
    socketIds.set(socket, entry.id);
    socket.once('close', () => { entry.closedAt = Date.now(); });
  });
  // With a listener Node no longer answers by itself: do what it does by default
  // (400 and close), after recording what it refused.
  server.on('clientError', (err, socket) => {
    clientErrors.push({
      socketId: socketIds.get(socket),
      code: err.code,
      message: err.message,
      rawPacket: err.rawPacket ? Buffer.from(err.rawPacket).toString('latin1') : undefined,
    });
    if (socket.writable && !socket.destroyed) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    } else {
      socket.destroy();
    }
  });
  await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  const { port } = server.address();
  const close = () => new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
  t?.after(close);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    clientErrors,
    connections,
    close,
    /** Resolves once `n` requests in total have been recorded (rejects after timeoutMs). */
    waitForRequests(n, timeoutMs = 5000) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(
          `upstream saw ${requests.length} requests, expected ${n} within ${timeoutMs} ms`,
        )), timeoutMs);
        waiters.push({ n, resolve: () => { clearTimeout(timer); resolve(); } });
      });
    },
    /** Forget what was recorded (connections stay numbered). */
    reset() {
      requests.length = 0;
      clientErrors.length = 0;
    },
  };
}

/**
 * startNginxEcho({t}) -> {url, port, entries(), service, stop()}
 * nginx answering every request with `return 200 "<X-Auth-Request-User>\n"`, keep-alive
 * on, request bodies read and discarded. entries() parses its access log:
 *   [{connection, n (request number on that connection), status, request, user, bodyBytes}]
 */
export async function startNginxEcho({ t } = {}) {
  const conf = `
  log_format edge '$connection $connection_requests $status "$request" "$http_x_auth_request_user" $request_length';
  server {
    listen 127.0.0.1:__PORT__;
    access_log __LOG__ edge;
    keepalive_timeout 30s;
    keepalive_requests 1000;
    location / {
      default_type text/plain;
      return 200 "$http_x_auth_request_user\\n";
    }
  }`;
  // A relative log path is under nginx's prefix (-p), its own temp dir.
  const nginx = await startNginx(conf.replace('__LOG__', 'logs/edge.log'), { t });
  const logFile = path.join(nginx.dir, 'logs/edge.log');
  const entries = () => {
    let text = '';
    try { text = fs.readFileSync(logFile, 'utf8'); } catch { return []; }
    return text.split('\n').filter(Boolean).map((line) => {
      const m = /^(\d+) (\d+) (\d{3}) "([^"]*)" "([^"]*)" (\d+)$/.exec(line);
      if (!m) return { unparsed: line };
      return {
        connection: Number(m[1]), n: Number(m[2]), status: Number(m[3]), request: m[4], user: m[5],
      };
    });
  };
  return {
    ...nginx,
    entries,
    /** Waits until the access log has `n` lines (nginx logs after answering). */
    async waitForEntries(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (entries().length < n && Date.now() < deadline) await sleep(20);
      return entries();
    },
  };
}
