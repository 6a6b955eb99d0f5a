// Proves the harness library itself: processes stopped by PID, the Browser's cookie
// jar and form parser, the sample upstream (HTTP + WebSocket), Redis and nginx.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { describe, test } from 'node:test';

import {
  Browser, CookieJar, isAlive, parseForms, sleep, spawnService, startNginx, startRedis,
  startUpstream, wsConnect,
} from '../tooling/lib/index.mjs';

describe('processes', () => {
  test('a service is stopped by PID when its test ends', async (t) => {
    let pid;
    await t.test('inner', async (t2) => {
      const svc = await spawnService({
        name: 'sleeper',
        cmd: process.execPath,
        args: ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'],
        readyWhen: /^ready$/,
        t: t2,
      });
      pid = svc.pid;
      assert.equal(isAlive(pid), true);
    });
    assert.equal(isAlive(pid), false, `pid ${pid} still running after its test ended`);
  });

  test('a process that ignores SIGTERM is killed with SIGKILL', async (t) => {
    const svc = await spawnService({
      name: 'stubborn',
      cmd: process.execPath,
      args: ['-e', 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)'],
      readyWhen: /^ready$/,
      t,
    });
    const started = Date.now();
    await svc.stop();
    assert.equal(isAlive(svc.pid), false);
    assert.ok(Date.now() - started >= 2500, 'waited for SIGTERM before SIGKILL');
  });

  test('a service that never gets ready is stopped and its output reported', async () => {
    let pid;
    await assert.rejects(spawnService({
      name: 'mute',
      cmd: process.execPath,
      args: ['-e', 'console.log("pid", process.pid, "starting"); setInterval(() => {}, 1000)'],
      readyWhen: /^never$/,
      timeoutMs: 500,
    }).catch((err) => {
      pid = Number(/pid (\d+) starting/.exec(err.message)?.[1]);
      throw err;
    }), /did not become ready[\s\S]*starting/);
    assert.ok(pid > 0);
    assert.equal(isAlive(pid), false);
  });
});

describe('Browser', () => {
  test('cookie jar honours path, Max-Age, Secure, __Host- and SameSite', () => {
    const jar = new CookieJar();
    const base = 'http://127.0.0.1:8080';
    jar.setFromResponse(`${base}/auth/login`, [
      'txn=1; Path=/auth; HttpOnly; SameSite=Lax',
      'gone=1; Max-Age=0',
      'sec=1; Secure', // not stored over http
      '__Host-s=1; Secure; Path=/', // needs https
      'strict=1; SameSite=Strict; Path=/',
      'later=1; Path=/; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT', // Max-Age wins
      'evil=1; Domain=example.com', // foreign domain rejected
    ]);
    assert.equal(jar.header(`${base}/auth/callback`), 'txn=1; strict=1; later=1');
    assert.equal(jar.header(`${base}/authz`), 'strict=1; later=1', '/auth does not match /authz');
    // A cross-site POST carries neither Lax nor Strict cookies.
    assert.equal(jar.header(`${base}/auth/callback`, { site: 'http://other.test', method: 'POST', topLevel: true }), '');
    // A cross-site top-level GET carries Lax ones.
    assert.equal(jar.header(`${base}/auth/callback`, { site: 'http://other.test', method: 'GET', topLevel: true }), 'txn=1; later=1');
    jar.setFromResponse(`${base}/auth/x`, ['txn=; Path=/auth; Max-Age=0']);
    assert.equal(jar.header(`${base}/auth/callback`), 'strict=1; later=1');
    const https = new CookieJar();
    https.setFromResponse('https://127.0.0.1/', ['__Host-s=1; Secure; Path=/', 'n=1; SameSite=None; Secure']);
    assert.equal(https.header('https://127.0.0.1/x'), '__Host-s=1; n=1');
    assert.equal(https.header('http://127.0.0.1/x'), '');
  });

  test('forms are parsed with entities, hidden fields, checked boxes and buttons', () => {
    const html = `<form id="f" method="POST" action="/a?x=1&amp;y=2">
      <input type="hidden" name="state" value="a&quot;b">
      <input name="user" value='v'>
      <input type="checkbox" name="remember" checked>
      <input type="checkbox" name="off">
      <textarea name="t">x &lt; y</textarea>
      <button id="go" name="action" value="login">Go</button>
    </form><form action="next"></form>`;
    const [f, g] = parseForms(html, 'http://127.0.0.1:1/dir/page');
    assert.equal(f.action, 'http://127.0.0.1:1/a?x=1&y=2');
    assert.equal(f.method, 'POST');
    assert.deepEqual(f.fields.map((x) => [x.name, x.value]),
      [['state', 'a"b'], ['user', 'v'], ['remember', 'on'], ['t', 'x < y']]);
    assert.deepEqual(f.buttons[0], { id: 'go', name: 'action', value: 'login', type: 'submit' });
    assert.equal(g.action, 'http://127.0.0.1:1/dir/next');
    assert.equal(g.method, 'GET');
  });

  test('never follows a redirect off loopback', async (t) => {
    const up = await startUpstream({ t });
    const b = new Browser();
    const res = await b.get(`${up.url}/status/200`);
    assert.equal(res.status, 200);
    // The upstream answers any status; craft a redirect through a tiny server.
    const srv = net.createServer((sock) => {
      sock.once('data', () => sock.end('HTTP/1.1 302 Found\r\nLocation: https://evil.example/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    });
    await new Promise((r) => { srv.listen(0, '127.0.0.1', r); });
    t.after(() => srv.close());
    const r2 = await b.get(`http://127.0.0.1:${srv.address().port}/`);
    assert.equal(r2.status, 302);
    assert.equal(r2.stoppedAt, 'https://evil.example/');
  });
});

describe('sample upstream', () => {
  test('echoes identity headers as JSON and HTML, streams bytes and uploads', async (t) => {
    const up = await startUpstream({ t });
    const headers = { 'x-auth-request-user': 'auth0|alice', 'x-auth-request-email': 'alice@example.com' };
    const j = await (await fetch(`${up.url}/app/x?q=1`, { headers: { ...headers, accept: 'application/json' } })).json();
    assert.equal(j.path, '/app/x');
    assert.deepEqual(j.query, { q: '1' });
    assert.equal(j.identity['x-auth-request-user'], 'auth0|alice');
    const html = await (await fetch(`${up.url}/`, { headers: { ...headers, accept: 'text/html' } })).text();
    assert.match(html, /<b id="user">alice@example.com<\/b>/);
    const bytes = await (await fetch(`${up.url}/bytes?n=200000`)).arrayBuffer();
    assert.equal(bytes.byteLength, 200000);
    const up2 = await (await fetch(`${up.url}/upload`, { method: 'POST', body: Buffer.alloc(123456, 1) })).json();
    assert.equal(up2.bytes, 123456);
  });

  test('WebSocket echo at /ws', async (t) => {
    const up = await startUpstream({ t });
    const ws = await wsConnect(`ws://127.0.0.1:${up.port}/ws`, { headers: { 'x-auth-request-user': 'auth0|bob' } });
    t.after(() => ws.close());
    assert.deepEqual(JSON.parse(await ws.next()), { hello: true, user: 'auth0|bob' });
    ws.send('ping-1');
    assert.equal(await ws.next(), 'ping-1');
    const big = 'x'.repeat(70000);
    ws.send(big);
    assert.equal(await ws.next(), big);
  });
});

describe('third-party servers', () => {
  test('Redis answers PING', async (t) => {
    const redis = await startRedis({ t });
    const reply = await new Promise((resolve, reject) => {
      const sock = net.connect(redis.port, '127.0.0.1', () => sock.write('PING\r\n'));
      sock.once('data', (d) => { resolve(d.toString()); sock.end(); });
      sock.once('error', reject);
    });
    assert.equal(reply, '+PONG\r\n');
  });

  test('nginx proxies to the upstream with auth_request', async (t) => {
    const up = await startUpstream({ t });
    const nginx = await startNginx(`
  server {
    listen 127.0.0.1:__PORT__;
    location = /_ok { internal; proxy_pass ${up.url}/status/200; proxy_pass_request_body off; proxy_set_header Content-Length ""; }
    location = /_deny { internal; proxy_pass ${up.url}/status/401; proxy_pass_request_body off; proxy_set_header Content-Length ""; }
    location /ok/ {
      auth_request /_ok;
      proxy_set_header X-Auth-Request-User nginx-checked;
      proxy_pass ${up.url};
    }
    location /deny/ { auth_request /_deny; proxy_pass ${up.url}; }
  }`, { t });
    const ok = await (await fetch(`${nginx.url}/ok/hello`, { headers: { accept: 'application/json' } })).json();
    assert.equal(ok.path, '/ok/hello');
    assert.equal(ok.identity['x-auth-request-user'], 'nginx-checked');
    const denied = await fetch(`${nginx.url}/deny/hello`);
    assert.equal(denied.status, 401);
    await nginx.stop();
    await sleep(100);
    assert.equal(isAlive(nginx.service.pid), false);
  });
});
