// Routes (docs/PROTECT.md "Routes"): public paths, per-route rules, routing by host and
// path to several upstreams, the OpenMetadata aliases off unless asked for, and a cookie
// domain shared by several hosts (in a real browser, Chromium resolving every name to
// 127.0.0.1).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

import {
  Browser, USERS, authgateAvailable, freePort, login, startAuthgate, startProvider, startUpstream,
  tempDir,
} from '../tooling/lib/index.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (AUTHGATE_BIN)';
const CHROMIUM = '/usr/bin/chromium';

/** GET with an explicit Host header (fetch cannot set one); {status, headers, text, json}. */
function get(port, target, { host = '127.0.0.1', cookie, accept = 'application/json' } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { host, accept };
    if (cookie) headers.cookie = cookie;
    const req = http.request({ host: '127.0.0.1', port, path: target, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('routes: public paths, per-route rules, hosts, aliases', { skip }, () => {
  let op; let app; let ag; let port;
  before(async () => {
    op = await startProvider();
    app = await startUpstream();
    port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    ag = await startAuthgate({
      config: {
        server: { listen: `127.0.0.1:${port}`, public_url: base },
        provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
        session: { store: 'memory' },
        access: { admin_emails: ['bob@example.com'] },
        upstream: { url: `${app.url}/main` },
        routes: [
          { path: '/health', public: true, upstream: `${app.url}/public` },
          { path: '/admin', admins_only: true, upstream: `${app.url}/admin` },
          { path: '/team', allowed_emails: ['alice@example.com'], upstream: `${app.url}/team`, identity_headers: ['email'] },
          { path: '/tokens', upstream: `${app.url}/tokens`, pass_access_token: true },
          { host: 'static.example.test', path: '/', public: true, upstream: `${app.url}/static` },
        ],
      },
    });
  });
  after(async () => {
    await ag?.stop();
    await app?.stop();
    await op?.stop();
  });

  test('a public path reaches its upstream without sign-in and carries no identity', async () => {
    const res = await get(port, '/health/live', { cookie: 'x=1' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json().path, '/public/health/live');
    assert.deepEqual(Object.keys(res.json().identity).filter((k) => k.startsWith('x-auth-request-')), []);
    // /healthz is not under /health: a segment boundary, so it stays authgate's own.
    assert.equal((await get(port, '/healthz')).text.trim(), 'ok');
    // Anything else needs a session.
    assert.equal((await get(port, '/other')).status, 401);
  });

  test('a host route: static.example.test goes to its own upstream, public', async () => {
    const res = await get(port, '/logo.png', { host: 'Static.Example.Test:443' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json().path, '/static/logo.png');
    // The upstream learns the route's configured host (with public_url's port), not the
    // client's spelling of Host.
    assert.equal(res.json().headers['x-forwarded-host'], `static.example.test:${port}`);
    assert.match(res.json().headers.forwarded, new RegExp(`host="static\\.example\\.test:${port}"`));
    const main = await get(port, '/health/x');
    assert.equal(main.json().headers['x-forwarded-host'], `127.0.0.1:${port}`, 'public_url\'s host elsewhere');
    // The same path on the main host is protected and goes to the shorthand upstream.
    assert.equal((await get(port, '/logo.png')).status, 401);
  });

  test('per-route rules: /admin for admins only, /team for listed emails', async () => {
    const alice = new Browser();
    await login(alice, `http://127.0.0.1:${port}`, { returnTo: '/auth/me' });
    const bob = new Browser();
    await login(bob, `http://127.0.0.1:${port}`, { user: USERS.bob.user, password: USERS.bob.password, returnTo: '/auth/me' });
    const url = `http://127.0.0.1:${port}/`;
    const aliceCookie = alice.cookieHeader(url);
    const bobCookie = bob.cookieHeader(url);

    const aliceAdmin = await get(port, '/admin/users', { cookie: aliceCookie, accept: 'text/html' });
    assert.equal(aliceAdmin.status, 403, aliceAdmin.text);
    assert.match(aliceAdmin.text, /do not have access/);
    // An encoded path is matched decoded: /%61dmin is /admin.
    assert.equal((await get(port, '/%61dmin/users', { cookie: aliceCookie })).status, 403);
    // Dot segments could mean another path to the upstream: refused.
    assert.equal((await get(port, '/team/..%2Fadmin', { cookie: aliceCookie })).status, 400);
    const bobAdmin = await get(port, '/admin/users', { cookie: bobCookie });
    assert.equal(bobAdmin.status, 200, bobAdmin.text);
    assert.equal(bobAdmin.json().path, '/admin/admin/users');
    assert.equal(bobAdmin.json().identity['x-auth-request-email'], 'bob@example.com');

    const aliceTeam = await get(port, '/team/x', { cookie: aliceCookie });
    assert.equal(aliceTeam.status, 200, aliceTeam.text);
    // identity_headers: [email] only.
    assert.equal(aliceTeam.json().identity['x-auth-request-email'], 'alice@example.com');
    assert.equal(aliceTeam.json().identity['x-auth-request-user'], undefined);
    assert.equal((await get(port, '/team/x', { cookie: bobCookie })).status, 403);

    // pass_access_token is per route.
    const tokens = await get(port, '/tokens/a', { cookie: aliceCookie });
    assert.match(tokens.json().identity.authorization ?? '', /^Bearer \S{16,}$/);
    const main = await get(port, '/anything', { cookie: aliceCookie });
    assert.equal(main.json().path, '/main/anything');
    assert.equal(main.json().identity.authorization, undefined);
    assert.equal(main.json().identity['x-auth-request-user'], 'auth0|alice');
  });

  test('OpenMetadata aliases are off by default: /callback and /api/v1/auth/* belong to the app', async () => {
    const alice = new Browser();
    await login(alice, `http://127.0.0.1:${port}`, { returnTo: '/auth/me' });
    const cookie = alice.cookieHeader(`http://127.0.0.1:${port}/`);
    for (const p of ['/callback?code=x&state=y', '/api/v1/auth/login', '/api/v1/auth/logout']) {
      const res = await get(port, p, { cookie });
      assert.equal(res.status, 200, `${p}: ${res.text}`);
      assert.equal(res.json().path, `/main${p.split('?')[0]}`, `${p} reached the app`);
    }
  });
});

describe('routes: a cookie domain shared by two hosts, in a real browser', {
  skip: skip || (!fs.existsSync(CHROMIUM) && 'needs chromium'),
}, () => {
  test('sign in on app.example.test, then b.example.test is signed in too', async (t) => {
    const port = await freePort();
    const auth = `http://auth.example.test:${port}`;
    const op = await startProvider({ t, redirectUris: [`${auth}/auth/callback`] });
    const app = await startUpstream({ t });
    await startAuthgate({
      t,
      config: {
        server: { listen: `127.0.0.1:${port}`, public_url: auth, cookie_domain: 'example.test' },
        provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
        session: { store: 'memory' },
        upstream: { url: `${app.url}/main` },
        routes: [{ host: 'b.example.test', upstream: `${app.url}/b` }],
      },
    });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--host-resolver-rules=MAP *.example.test 127.0.0.1'],
    });
    t.after(() => browser.close());
    const context = await browser.newContext();
    const page = await context.newPage();

    // A visit to b.example.test signs in at the provider and comes back to b.
    const target = `http://b.example.test:${port}/report?x=1`;
    await page.goto(target);
    assert.ok(page.url().startsWith(op.issuer), `at the provider: ${page.url()}`);
    await page.fill('#username', 'alice@example.com');
    await page.fill('#password', 'alice-password');
    await Promise.all([page.waitForURL(target), page.click('#submit')]);
    const echo = async () => JSON.parse((await page.locator('script#echo').textContent())
      .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))));
    const onB = await echo();
    assert.equal(onB.path, '/b/report');
    assert.equal(onB.identity['x-auth-request-email'], 'alice@example.com');
    const shots = tempDir('authgate-routes-shot-');
    await page.screenshot({ path: path.join(shots, 'b.example.test.png') });

    // The one session cookie is for the whole domain.
    const cookies = await context.cookies(`http://auth.example.test:${port}`);
    const session = cookies.find((c) => c.name === 'authgate');
    assert.ok(session, `session cookie: ${JSON.stringify(cookies.map((c) => c.name))}`);
    assert.equal(session.domain, '.example.test');
    assert.equal(session.httpOnly, true);

    // The main host, routed to the shorthand upstream, is signed in with it.
    await page.goto(`http://auth.example.test:${port}/home`);
    const onMain = await echo();
    assert.equal(onMain.path, '/main/home');
    assert.equal(onMain.identity['x-auth-request-email'], 'alice@example.com');
  });
});

describe('listeners: TLS with reload on SIGHUP, and the admin listener', { skip }, () => {
  /** A self-signed certificate for 127.0.0.1 in `dir`, named `name`. */
  function certificate(dir, name) {
    const cert = path.join(dir, `${name}.pem`);
    const key = path.join(dir, `${name}.key`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
      '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
    { stdio: 'ignore' });
    return { cert, key };
  }
  /** curl's exit code and body for url, trusting `ca`. */
  function curl(url, ca, extra = []) {
    try {
      return { code: 0, body: execFileSync('curl', ['-sS', '--max-time', '5', '--cacert', ca, ...extra, url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) };
    } catch (e) {
      return { code: e.status, body: '' };
    }
  }

  test('https on the main listener, TLS 1.1 refused, a renewed certificate read on SIGHUP, a bad one refused', async (t) => {
    const dir = tempDir('authgate-tls-');
    const first = certificate(dir, 'first');
    const second = certificate(dir, 'second');
    const live = { cert: path.join(dir, 'live.pem'), key: path.join(dir, 'live.key') };
    fs.copyFileSync(first.cert, live.cert);
    fs.copyFileSync(first.key, live.key);
    const op = await startProvider({ t });
    const port = await freePort();
    const adminPort = await freePort();
    const ag = await startAuthgate({
      t,
      config: {
        server: {
          listen: `127.0.0.1:${port}`, public_url: `https://127.0.0.1:${port}`,
          tls: { cert_file: live.cert, key_file: live.key }, admin_listen: `127.0.0.1:${adminPort}`,
        },
        provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
        session: { store: 'memory' },
      },
      readyWhen: { url: `http://127.0.0.1:${adminPort}/healthz` },
    });
    const main = `https://127.0.0.1:${port}`;
    // The operator endpoints are on the admin listener only.
    assert.equal(curl(`http://127.0.0.1:${adminPort}/healthz`, first.cert).body.trim(), 'ok');
    assert.match(curl(`http://127.0.0.1:${adminPort}/metrics`, first.cert).body, /authgate_http_requests_total/);
    assert.equal(curl(`http://127.0.0.1:${adminPort}/auth/login`, first.cert, ['-o', '/dev/null', '-w', '%{http_code}']).body, '404');
    assert.equal(curl(`${main}/healthz`, first.cert, ['-o', '/dev/null', '-w', '%{http_code}']).body, '404');
    assert.equal(curl(`${main}/metrics`, first.cert, ['-o', '/dev/null', '-w', '%{http_code}']).body, '404');
    // https with the first certificate; TLS 1.1 is refused; plain http gets no answer.
    const login = curl(`${main}/auth/login`, first.cert, ['-o', '/dev/null', '-w', '%{http_code}']);
    assert.equal(login.body, '302');
    assert.notEqual(curl(`${main}/auth/login`, first.cert, ['--tlsv1.1', '--tls-max', '1.1']).code, 0);
    assert.notEqual(curl(`${main}/auth/login`, second.cert).code, 0, 'the second certificate is not served yet');

    // Renewed files, SIGHUP: new connections get the second certificate.
    fs.copyFileSync(second.cert, live.cert);
    fs.copyFileSync(second.key, live.key);
    process.kill(ag.service.pid, 'SIGHUP');
    let served = false;
    for (let i = 0; i < 50 && !served; i += 1) {
      served = curl(`${main}/auth/login`, second.cert, ['-o', '/dev/null']).code === 0;
      if (!served) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(served, 'the renewed certificate is served after SIGHUP');

    // A broken file: refused and logged, the second certificate keeps serving.
    fs.writeFileSync(live.cert, 'not a certificate\n');
    process.kill(ag.service.pid, 'SIGHUP');
    for (let i = 0; i < 50 && !ag.service.output().includes('reload refused'); i += 1) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(ag.service.output(), /reload refused, the old certificate stays: server\.tls\.cert_file/);
    assert.equal(curl(`${main}/auth/login`, second.cert, ['-o', '/dev/null']).code, 0);
  });

  test('without admin_listen and on a public address, serve warns that /metrics is public', async (t) => {
    const op = await startProvider({ t });
    const port = await freePort();
    const ag = await startAuthgate({
      t,
      config: {
        server: { listen: `0.0.0.0:${port}`, public_url: `http://127.0.0.1:${port}` },
        provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
        session: { store: 'memory' },
      },
    });
    assert.match(ag.service.output(), /\/metrics, \/healthz and \/readyz are served on 0\.0\.0\.0/);
  });
});
