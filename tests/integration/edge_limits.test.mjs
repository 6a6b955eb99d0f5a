// Limits and edges around the proxy (issue 13, items 4, 5, 6, 9, 10), against the real
// binary, the local provider and real SQLite files:
//
//   4   server.max_connections (503), server.max_connections_per_ip (429), and EMFILE
//       under a small fd limit: no busy accept loop, no log flood, /healthz comes back
//   5   malformed cookie pairs and many cookies beside the session cookie are skipped,
//       not a reason to ignore the whole Cookie header
//   6   POST /auth/refresh and GET /api/v1/auth/refresh refuse cross-site requests
//   9   the SQLite database and its side files are created 0600 under umask 022
//   10  junk callbacks are counted, not audited; pending logins are capped per client
//       (session.max_pending_logins_per_ip) and in total (session.max_pending_logins)
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  Browser, USERS, authgateAvailable, freePort, isAlive, isProviderLoginPage, login, rawConnect, sleep,
  startAuthgate, startProvider, startStrictUpstream, tempDir,
} from '../tooling/lib/index.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (AUTHGATE_BIN)';

/** Settings for authgate against `op`, `overrides` merged section by section. */
function settings(op, port, overrides = {}) {
  const base = {
    server: { listen: `127.0.0.1:${port}`, public_url: `http://127.0.0.1:${port}` },
    provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
    session: { store: 'memory' },
  };
  for (const [section, values] of Object.entries(overrides)) {
    base[section] = { ...(base[section] ?? {}), ...values };
  }
  return base;
}

async function startGateway(t, op, overrides = {}, { env, shell, readyWhen } = {}) {
  const port = await freePort();
  return startAuthgate({ t, env, shell, readyWhen, config: settings(op, port, overrides) });
}

// Ready once it accepts a connection (closed at once), so no client keeps one open.
const listening = { readyWhen: { port: true } };

/** A request head; `fields` are "Name: value" strings. */
function head(method, target, fields = [], { host = '127.0.0.1' } = {}) {
  return `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\n${fields.map((f) => `${f}\r\n`).join('')}\r\n`;
}

/** One request on a new connection; the parsed response with text and json(). */
async function request(ag, method, target, fields = [], body = '') {
  const c = await rawConnect(ag.url);
  try {
    const withLength = body || method === 'POST' ? [...fields, `Content-Length: ${Buffer.byteLength(body)}`] : fields;
    c.send(head(method, target, withLength) + body);
    const res = await c.response({ method });
    assert.ok(res, `${method} ${target}: connection closed without a response`);
    const text = res.body.toString();
    return { ...res, text, json: () => JSON.parse(text) };
  } finally {
    c.close();
  }
}

/** The number of TCP connections authgate holds on its port (server side, /proc/net/tcp). */
function serverConnections(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).filter((line) => {
    const f = line.trim().split(/\s+/);
    // local_address 0100007F:PORT; state 01 ESTABLISHED or 08 CLOSE_WAIT (not yet closed)
    return f.length > 3 && f[1].endsWith(`:${hex}`) && (f[3] === '01' || f[3] === '08');
  }).length;
}

/** Waits until authgate holds at most `n` connections. */
async function waitForConnections(port, n, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (serverConnections(port) > n && Date.now() < deadline) await sleep(50);
  assert.ok(serverConnections(port) <= n, `authgate still holds ${serverConnections(port)} connections`);
}

/** A keep-alive connection that has been served one /healthz. */
async function servedConnection(ag, { localAddress } = {}) {
  const c = await rawConnect(ag.url, { localAddress });
  c.send(head('GET', '/healthz'));
  const res = await c.response();
  assert.ok(res, 'a response on a connection within the limits');
  assert.equal(res.status, 200);
  return c;
}

/**
 * A connection over the limit: the first bytes authgate sends, unasked (it may answer
 * at accept) or after a request (it may read one first). -> {response, closed}
 */
async function refusedConnection(ag, { localAddress } = {}) {
  const c = await rawConnect(ag.url, { localAddress });
  try {
    const deadline = Date.now() + 1000;
    while (!c.pending().length && !c.closed() && Date.now() < deadline) await sleep(20);
    if (!c.pending().length && !c.closed()) c.send(head('GET', '/healthz'));
    const response = await c.response({ timeout: 3000 });
    const closed = await c.waitForClose(2000);
    return { response, closed };
  } finally {
    c.close();
  }
}

function assertRefused({ response, closed }, status) {
  assert.ok(response, `a ${status} response before the close`);
  assert.match(response.statusLine, new RegExp(`^HTTP/1\\.1 ${status}\\b`));
  if (status === 503) assert.ok(response.header('retry-after'), 'Retry-After present');
  assert.match(response.header('connection') ?? '', /close/i, 'Connection: close');
  assert.equal(closed, true, 'authgate closed the refused connection');
}

// --- 4. Connection limits ----------------------------------------------------------

describe('edge: connection limits', { skip }, () => {
  let op;
  before(async () => { op = await startProvider(); });
  after(async () => { await op.stop(); });

  test('4: server.max_connections: connection N+1 gets 503 and is closed, the first N stay served', async (t) => {
    const N = 20;
    const ag = await startGateway(t, op, { server: { max_connections: N } }, listening);
    await waitForConnections(ag.port, 0);
    const open = [];
    try {
      for (let i = 0; i < N; i += 1) open.push(await servedConnection(ag));
      assertRefused(await refusedConnection(ag), 503);
      for (const c of open) {
        c.send(head('GET', '/healthz'));
        assert.equal((await c.response()).status, 200, 'the first N are still served');
      }
      // Closing some frees their places.
      for (const c of open.splice(0, 5)) c.close();
      await waitForConnections(ag.port, N - 5);
      for (let i = 0; i < 5; i += 1) open.push(await servedConnection(ag));
      assertRefused(await refusedConnection(ag), 503);
    } finally {
      for (const c of open) c.close();
    }
  });

  test('4: server.max_connections_per_ip: connection M+1 from one address gets 429 and is closed', async (t) => {
    const M = 5;
    const ag = await startGateway(t, op, {}, { ...listening, env: { AUTHGATE_SERVER_MAX_CONNECTIONS_PER_IP: String(M) } });
    await waitForConnections(ag.port, 0);
    const open = [];
    try {
      for (let i = 0; i < M; i += 1) open.push(await servedConnection(ag));
      assertRefused(await refusedConnection(ag), 429);
      // Another client address (all of 127.0.0.0/8 is loopback) has its own allowance.
      open.push(await servedConnection(ag, { localAddress: '127.0.0.2' }));
      for (const c of open) {
        c.send(head('GET', '/healthz'));
        assert.equal((await c.response()).status, 200, 'the first M are still served');
      }
      open.shift().close();
      await waitForConnections(ag.port, M);
      open.push(await servedConnection(ag));
    } finally {
      for (const c of open) c.close();
    }
  });

  test('4: out of file descriptors (EMFILE): no busy loop, no log flood, /healthz answers once they are back', async (t) => {
    const ag = await startGateway(t, op, { server: { max_connections: 1000 } }, { ...listening, shell: 'ulimit -n 64' });
    const pid = ag.service.pid;
    let acceptLines = 0;
    let partial = '';
    const count = (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const l of lines) if (/accept|too many open files|EMFILE/i.test(l)) acceptLines += 1;
    };
    ag.service.child.stdout.on('data', count);
    ag.service.child.stderr.on('data', count);
    const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
    const cpuSeconds = () => {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / ticks; // utime, stime (proc(5) fields 14, 15)
    };
    await waitForConnections(ag.port, 0);

    const sockets = [];
    let cpu;
    let wall;
    let aliveWhileExhausted;
    try {
      await Promise.all(Array.from({ length: 100 }, () => new Promise((resolve) => {
        const s = net.connect(ag.port, '127.0.0.1');
        sockets.push(s);
        s.on('error', () => {});
        s.once('connect', resolve);
        s.once('close', resolve);
      })));
      await sleep(300);
      const cpu0 = cpuSeconds();
      const wall0 = Date.now();
      await sleep(2000);
      cpu = cpuSeconds() - cpu0;
      wall = (Date.now() - wall0) / 1000;
      aliveWhileExhausted = isAlive(pid);
    } finally {
      for (const s of sockets) s.destroy();
    }
    // The descriptors come back: /healthz answers within a couple of seconds.
    const closedAt = Date.now();
    let healthy = 0;
    while (!healthy && Date.now() - closedAt < 3000) {
      const c = await rawConnect(ag.url);
      try {
        c.send(head('GET', '/healthz', ['Connection: close']));
        const res = await c.response({ timeout: Math.max(100, 3000 - (Date.now() - closedAt)) });
        if (res?.status === 200) healthy = Date.now() - closedAt;
      } catch {
        await sleep(100);
      } finally {
        c.close();
      }
    }
    const figures = `CPU ${cpu.toFixed(2)} s in ${wall.toFixed(2)} s with the fds exhausted; `
      + `${acceptLines} log lines about accept failures; /healthz ${healthy ? `after ${healthy} ms` : 'not within 3 s'}`;
    assert.ok(aliveWhileExhausted && isAlive(pid), `authgate is still running (${figures})`);
    assert.ok(cpu < wall / 2, `no busy accept loop (${figures})`);
    assert.ok(acceptLines <= 20, `at most 20 log lines about accept failures (${figures})`);
    assert.ok(healthy, `/healthz answers within 3 s of the connections closing (${figures})`);
  });
});

// --- 5. Cookies ----------------------------------------------------------------------

// Pairs another app on a sibling subdomain or port may set (RFC 6265 s4.1.1 says none of
// them is a cookie-pair; browsers send them anyway).
const MALFORMED = ['json={"a":1}', 'a b=c', 'noequals', '=novalue', 'na(me)=x', 'x@y=1'];
const MANY = Array.from({ length: 100 }, (_, i) => `other${i}=value${i}`);

describe('edge: cookies beside the session cookie', { skip }, () => {
  let op;
  let up;
  let ag;
  let session; // "authgate=<value>"
  const stops = [];

  before(async () => {
    op = await startProvider();
    stops.push(op);
    up = await startStrictUpstream();
    stops.push({ stop: up.close });
    const port = await freePort();
    ag = await startAuthgate({ config: settings(op, port, { upstream: { url: up.url } }) });
    stops.push(ag);
    const browser = new Browser();
    const { response } = await login(browser, ag.url, { returnTo: '/auth/me' });
    assert.equal(response.status, 200);
    session = browser.cookieHeader(`${ag.url}/`).split('; ').find((p) => p.startsWith('authgate='));
    assert.ok(session, 'session cookie set');
  });
  after(async () => {
    for (const s of stops.reverse()) await s.stop();
  });

  async function assertSignedIn(cookie, label) {
    const me = await request(ag, 'GET', '/auth/me', [`Cookie: ${cookie}`, 'Accept: application/json']);
    assert.equal(me.status, 200, `${label}: /auth/me ${me.status} ${me.text.slice(0, 200)}`);
    assert.equal(me.json().sub, USERS.alice.sub);
    const proxied = await request(ag, 'GET', '/whoami', [`Cookie: ${cookie}`, 'Accept: application/json']);
    assert.equal(proxied.status, 200, `${label}: proxied ${proxied.status}`);
    assert.equal(proxied.json().user, USERS.alice.sub, `${label}: the upstream got the identity`);
  }

  test('5: malformed cookie pairs beside the session cookie are skipped', async () => {
    await assertSignedIn([...MALFORMED, session].join('; '), 'malformed pairs first');
    await assertSignedIn([session, ...MALFORMED].join('; '), 'malformed pairs last');
    await assertSignedIn([MALFORMED[0], MALFORMED[1], session, ...MALFORMED.slice(2)].join('; '), 'session in the middle');
  });

  test('5: 100 other cookies beside the session cookie', async () => {
    await assertSignedIn([...MANY, session].join('; '), '100 cookies, session last');
    await assertSignedIn([session, ...MANY].join('; '), '100 cookies, session first');
    await assertSignedIn([...MANY.slice(0, 50), ...MALFORMED, session, ...MANY.slice(50)].join('; '), 'both');
  });

  test('5: a full login completes when the browser carries malformed and 100 extra cookies', async () => {
    const browser = new Browser();
    const jarHeader = browser.jar.header.bind(browser.jar);
    // Sent to authgate with every request, around the cookies it set itself.
    browser.jar.header = (url, context) => {
      const own = jarHeader(url, context);
      if (new URL(url).origin !== ag.url) return own;
      return [...MALFORMED, ...MANY.slice(0, 50), ...(own ? [own] : []), ...MANY.slice(50)].join('; ');
    };
    let result;
    try {
      result = await login(browser, ag.url, { returnTo: '/auth/me' });
    } catch (err) {
      assert.fail(`the login did not complete: ${err.message.slice(0, 300)}`);
    }
    const { response, chain } = result;
    const steps = chain.map((s) => `${s.status} ${s.url}`).join('\n');
    assert.doesNotMatch(`${response.text}\n${steps}`, /browser_binding_mismatch/);
    assert.equal(response.status, 200, `login ended with ${response.status}: ${response.text.slice(0, 200)}\n${steps}`);
    assert.equal(JSON.parse(response.text).sub, USERS.alice.sub);
    const me = await browser.request(`${ag.url}/auth/me`, { accept: 'application/json', follow: false });
    assert.equal(me.status, 200);
  });
});

// --- 6. Refresh endpoints and cross-site requests -----------------------------------

describe('edge: refresh endpoints refuse cross-site requests', { skip }, () => {
  test('6: POST /auth/refresh and GET /api/v1/auth/refresh from another site get 403 and refresh nothing', async (t) => {
    const op = await startProvider({ t });
    const ag = await startGateway(t, op, { compat: { openmetadata_aliases: 'true' } });
    const browser = new Browser();
    const { response } = await login(browser, ag.url, { returnTo: '/auth/me' });
    assert.equal(response.status, 200);
    const cookie = `Cookie: ${browser.cookieHeader(`${ag.url}/`)}`;
    const providerRefreshes = async () => (await op.stats()).token.byGrant.refresh_token ?? 0;
    const sessionRefreshes = async () => {
      const res = await request(ag, 'GET', '/auth/sessions', [cookie, 'Accept: application/json']);
      assert.equal(res.status, 200, res.text);
      return res.json().sessions.find((s) => s.current).refresh_count;
    };
    const unchanged = async (label, before) => {
      assert.equal(await providerRefreshes(), before.provider, `${label}: no refresh grant at the provider`);
      assert.equal(await sessionRefreshes(), before.session, `${label}: the session's refresh_count is unchanged`);
    };
    const counts = async () => ({ provider: await providerRefreshes(), session: await sessionRefreshes() });
    const json = 'Accept: application/json';

    let before0 = await counts();
    const evil = await request(ag, 'POST', '/auth/refresh', [cookie, json, 'Origin: https://evil.example']);
    assert.equal(evil.status, 403, `Origin: https://evil.example: ${evil.status} ${evil.text}`);
    assert.equal(evil.json().error, 'cross_site_request');
    await unchanged('foreign Origin', before0);

    const fetchMeta = await request(ag, 'POST', '/auth/refresh', [cookie, json, 'Sec-Fetch-Site: cross-site']);
    assert.equal(fetchMeta.status, 403, `Sec-Fetch-Site: cross-site: ${fetchMeta.status} ${fetchMeta.text}`);
    await unchanged('Sec-Fetch-Site: cross-site', before0);

    const own = await request(ag, 'POST', '/auth/refresh', [cookie, json, `Origin: ${ag.url}`]);
    assert.equal(own.status, 200, `same-origin POST: ${own.status} ${own.text}`);
    assert.equal(await providerRefreshes(), before0.provider + 1, 'the same-origin POST refreshed');

    before0 = await counts();
    for (const extra of ['Origin: https://evil.example', 'Sec-Fetch-Site: cross-site']) {
      const res = await request(ag, 'GET', '/api/v1/auth/refresh', [cookie, json, extra]);
      assert.equal(res.status, 403, `GET /api/v1/auth/refresh with ${extra}: ${res.status} ${res.text}`);
      await unchanged(`GET /api/v1/auth/refresh with ${extra}`, before0);
    }
    const omOwn = await request(ag, 'GET', '/api/v1/auth/refresh', [cookie, json, 'Sec-Fetch-Site: same-origin']);
    assert.equal(omOwn.status, 200, `same-origin GET: ${omOwn.status} ${omOwn.text}`);
    assert.equal(await providerRefreshes(), before0.provider + 1);
  });
});

// --- 9. File modes -------------------------------------------------------------------

describe('edge: SQLite files are private', { skip }, () => {
  test('9: under umask 022 the database, -wal, -shm, .changes and .key are created 0600', async (t) => {
    const op = await startProvider({ t });
    const dir = tempDir('authgate-modes-');
    const db = path.join(dir, 'sessions.db');
    const ag = await startGateway(t, op, { session: { store: `sqlite:${db}` } }, { shell: 'umask 022' });
    const browser = new Browser();
    const { response } = await login(browser, ag.url, { returnTo: '/auth/me' });
    assert.equal(response.status, 200);
    const modes = {};
    for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}.changes`, `${db}.key`]) {
      modes[path.basename(f)] = fs.existsSync(f) ? (fs.statSync(f).mode & 0o777).toString(8).padStart(4, '0') : 'missing';
    }
    assert.deepEqual(modes, {
      'sessions.db': '0600', 'sessions.db-wal': '0600', 'sessions.db-shm': '0600',
      'sessions.db.changes': '0600', 'sessions.db.key': '0600',
    });
  });
});

// --- 10. Pre-authentication writes ----------------------------------------------------

const sqlite = (db, sql) => Number(execFileSync('sqlite3', [db, sql]).toString().trim());

/** Sum of the metric lines of `name` whose labels match `labels` (a RegExp or undefined). */
function metricSum(text, name, labels) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (labels && !labels.test(m[2] ?? '')) continue;
    sum += Number(m[3]);
  }
  return sum;
}

/** GET /auth/login from `localAddress` without following: {status, type, text}. */
function startLoginFrom(ag, { localAddress = '127.0.0.1', accept = 'text/html' } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${ag.url}/auth/login?return_to=%2Fauth%2Fme`, {
      agent: false, localAddress, headers: { accept },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({
        status: res.statusCode, type: res.headers['content-type'] ?? '', text, location: res.headers.location,
      }));
    });
    req.on('error', reject);
  });
}

describe('edge: pre-authentication writes are bounded', { skip }, () => {
  test('10: 200 callbacks with unknown state add no audit rows and are counted in /metrics', async (t) => {
    const op = await startProvider({ t });
    const db = path.join(tempDir('authgate-audit-'), 'sessions.db');
    const ag = await startGateway(t, op, { session: { store: `sqlite:${db}` } });
    const metrics = async () => (await request(ag, 'GET', '/metrics')).text;
    const before0 = await metrics();
    const rows0 = sqlite(db, 'SELECT count(*) FROM audit');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const statuses = new Set();
      for (let i = 0; i < 200; i += 1) {
        const state = crypto.randomBytes(32).toString('base64url');
        const status = await new Promise((resolve, reject) => {
          http.get(`${ag.url}/auth/callback?code=junk${i}&state=${state}`, { agent, headers: { accept: 'text/html' } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          }).on('error', reject);
        });
        statuses.add(status);
      }
      assert.ok([...statuses].every((s) => s >= 400 && s < 500), `each junk callback is refused (${[...statuses]})`);
    } finally {
      agent.destroy();
    }
    assert.equal(sqlite(db, 'SELECT count(*) FROM audit') - rows0, 0, 'no audit rows for junk callbacks');
    const after0 = await metrics();
    const callbackFailures = (text) => metricSum(text, 'authgate_auth_failures_total', /step="callback"/);
    const loginFailures = (text) => metricSum(text, 'authgate_login_failures_total');
    const counted = [callbackFailures(after0) - callbackFailures(before0), loginFailures(after0) - loginFailures(before0)];
    assert.ok(counted.includes(200), `the 200 junk callbacks are counted (auth_failures{step="callback"} +${counted[0]}, login_failures +${counted[1]})`);
  });

  test('10: session.max_pending_logins_per_ip: the (K+1)th login gets 429, writes nothing; a completed login frees its slot', async (t) => {
    const K = 5;
    const op = await startProvider({ t });
    const db = path.join(tempDir('authgate-pending-'), 'sessions.db');
    const ag = await startGateway(t, op, { session: { store: `sqlite:${db}`, max_pending_logins_per_ip: K } });
    const kv = () => sqlite(db, 'SELECT count(*) FROM kv');
    const rows0 = kv();
    const browsers = [];
    for (let i = 0; i < K; i += 1) {
      const b = new Browser();
      const res = await b.request(`${ag.url}/auth/login?return_to=%2Fauth%2Fme`, { follow: false });
      assert.equal(res.status, 302, `login ${i + 1} of ${K} starts`);
      browsers.push({ browser: b, authorize: res.location });
    }
    assert.ok(kv() - rows0 >= K, 'each pending login is a stored transaction');
    const rowsWhenFull = kv();

    const page = await startLoginFrom(ag, { accept: 'text/html,application/xhtml+xml' });
    assert.equal(page.status, 429, `login ${K + 1}: ${page.status}`);
    assert.match(page.type, /text\/html/, 'a page for a browser navigation');
    assert.match(page.text, /too_many_pending_logins/);
    assert.equal(page.location, undefined);
    const api = await startLoginFrom(ag, { accept: 'application/json' });
    assert.equal(api.status, 429);
    assert.match(api.type, /application\/json/);
    assert.equal(JSON.parse(api.text).error, 'too_many_pending_logins');
    assert.equal(kv(), rowsWhenFull, 'a refused login writes no row');

    // Completing the first login frees its slot.
    const { browser, authorize } = browsers[0];
    const form = await browser.get(authorize);
    assert.ok(isProviderLoginPage(form));
    const done = await browser.submit(form, 'login-form', { username: USERS.alice.user, password: USERS.alice.password });
    assert.equal(done.status, 200, `the pending login completes: ${done.text.slice(0, 200)}`);
    assert.equal(JSON.parse(done.text).sub, USERS.alice.sub);
    const again = await startLoginFrom(ag);
    assert.equal(again.status, 302, 'a slot is free again');
    assert.equal((await startLoginFrom(ag)).status, 429, 'and then the cap holds again');
  });

  test('10: session.max_pending_logins caps the total across client addresses', async (t) => {
    const T = 4;
    const op = await startProvider({ t });
    const db = path.join(tempDir('authgate-pending-'), 'sessions.db');
    const ag = await startGateway(t, op, {
      session: { store: `sqlite:${db}`, max_pending_logins: T, max_pending_logins_per_ip: 100 },
    });
    const kv = () => sqlite(db, 'SELECT count(*) FROM kv');
    for (const addr of ['127.0.0.1', '127.0.0.1', '127.0.0.2', '127.0.0.3']) {
      assert.equal((await startLoginFrom(ag, { localAddress: addr })).status, 302, `a login from ${addr}`);
    }
    const rowsWhenFull = kv();
    const full = await startLoginFrom(ag, { localAddress: '127.0.0.4', accept: 'application/json' });
    assert.equal(full.status, 429, `login ${T + 1}: ${full.status}`);
    assert.equal(JSON.parse(full.text).error, 'too_many_pending_logins');
    const page = await startLoginFrom(ag, { localAddress: '127.0.0.5' });
    assert.equal(page.status, 429);
    assert.match(page.type, /text\/html/);
    assert.equal(kv(), rowsWhenFull, 'refused logins write no row');
  });
});
