// A tiny HTTP listener that records what it receives: a stand-in relying party for
// provider tests (redirect_uri, post-logout and back-channel logout targets).
import * as http from 'node:http';

/**
 * startRecorder({t, respond}) -> {url, port, requests, next(pathname), close()}
 * Each request is recorded as {method, path, query, form, headers}; the default
 * answer is 200 with that record as JSON (`respond(req, record, res)` overrides).
 */
export async function startRecorder({ t, respond } = {}) {
  const requests = [];
  const waiters = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString('utf8');
    const u = new URL(req.url, 'http://recorder.invalid');
    const record = {
      method: req.method,
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      form: /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')
        ? Object.fromEntries(new URLSearchParams(raw)) : undefined,
      body: raw,
      headers: req.headers,
    };
    requests.push(record);
    for (let i = waiters.length - 1; i >= 0; i -= 1) {
      if (waiters[i].path === record.path) waiters.splice(i, 1)[0].resolve(record);
    }
    if (respond && await respond(req, record, res)) return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(record));
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
    close,
    /** Forget what was received so far (next() then waits for new requests). */
    skipReceived() {
      for (const r of requests) r.taken = true;
    },
    /** The next request to `path` (or one already received and not yet taken). */
    next(path, timeoutMs = 5000) {
      const idx = requests.findIndex((r) => r.path === path && !r.taken);
      if (idx >= 0) {
        requests[idx].taken = true;
        return Promise.resolve(requests[idx]);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no request to ${path} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ path, resolve: (r) => { clearTimeout(timer); r.taken = true; resolve(r); } });
      });
    },
  };
}
