// Configuration reload on SIGHUP (docs/CONFIGURATION.md "Reload"): a changed file takes
// effect for new requests (a path made public, a route with its own rule, that rule
// changed), a broken one is refused with its problems logged while the running settings
// keep serving, and a restart-only setting keeps its value with a warning.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { after, before, describe, test } from 'node:test';

import {
  Browser, USERS, authgateAvailable, freePort, login, startAuthgate, startProvider, startUpstream,
} from '../tooling/lib/index.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (AUTHGATE_BIN)';

/** GET 127.0.0.1:port/target; {status, text, json}. */
function get(port, target, { cookie, accept = 'application/json' } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { accept };
    if (cookie) headers.cookie = cookie;
    const req = http.request({ host: '127.0.0.1', port, path: target, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** How often `re` occurs in the service's output. */
function count(service, re) {
  return (service.output().match(new RegExp(re.source, 'g')) || []).length;
}

describe('reload: SIGHUP reads the settings again', { skip }, () => {
  let op; let app; let ag; let port; let settings;
  const secret = 'reload-test-provider-secret-value';
  before(async () => {
    op = await startProvider();
    app = await startUpstream();
    port = await freePort();
    settings = {
      server: { listen: `127.0.0.1:${port}`, public_url: `http://127.0.0.1:${port}` },
      provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
      session: { store: 'memory' },
      routes: [{ path: '/', upstream: `${app.url}/main` }],
    };
    ag = await startAuthgate({ config: settings });
  });
  after(async () => {
    await ag?.stop();
    await app?.stop();
    await op?.stop();
  });

  /** Writes `config` as the settings file, sends SIGHUP, waits for the reload's last line. */
  async function reload(config) {
    fs.writeFileSync(ag.configFile, `${JSON.stringify(config, null, 2)}\n`);
    const done = /settings reloaded|still serving the running settings/;
    const before = count(ag.service, done);
    process.kill(ag.service.pid, 'SIGHUP');
    for (let i = 0; i < 100 && count(ag.service, done) === before; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(count(ag.service, done) > before, `no reload outcome logged:\n${ag.service.output()}`);
  }

  test('a good file applies, a restart-only change is kept with a warning, a bad file is refused', async () => {
    const base = `http://127.0.0.1:${port}`;
    const alice = new Browser();
    await login(alice, base, { returnTo: '/auth/me' });
    const bob = new Browser();
    await login(bob, base, { user: USERS.bob.user, password: USERS.bob.password, returnTo: '/auth/me' });
    const aliceCookie = alice.cookieHeader(`${base}/`);
    const bobCookie = bob.cookieHeader(`${base}/`);

    // Before: everything needs a session and goes to the one upstream.
    assert.equal((await get(port, '/open/x')).status, 401);
    const team = await get(port, '/team/x', { cookie: aliceCookie });
    assert.equal(team.status, 200, team.text);
    assert.equal(team.json().path, '/main/team/x');

    // A public path, a route for bob only, and a restart-only change (server.listen).
    const otherPort = await freePort();
    const good = structuredClone(settings);
    good.server.listen = `127.0.0.1:${otherPort}`;
    good.routes = [
      { path: '/open', public: true, upstream: `${app.url}/public` },
      { path: '/team', allowed_emails: ['bob@example.com'], upstream: `${app.url}/team` },
      ...settings.routes,
    ];
    await reload(good);
    assert.match(ag.service.output(), /settings reloaded/);
    assert.match(ag.service.output(), /server\.listen: needs a restart, still using the old value/);
    // Still on the old port; the new routes and rules apply.
    const open = await get(port, '/open/x');
    assert.equal(open.status, 200, open.text);
    assert.equal(open.json().path, '/public/open/x');
    assert.equal((await get(port, '/team/x', { cookie: aliceCookie })).status, 403);
    const bobTeam = await get(port, '/team/x', { cookie: bobCookie });
    assert.equal(bobTeam.status, 200, bobTeam.text);
    assert.equal(bobTeam.json().path, '/team/team/x');
    // Sessions live on: alice is still signed in elsewhere.
    assert.equal((await get(port, '/home', { cookie: aliceCookie })).status, 200);
    await assert.rejects(get(otherPort, '/healthz'), 'nothing listens on the new port');

    // A broken file: every problem logged by key, no secret, the running settings stay.
    const bad = structuredClone(good);
    bad.provider.client_secret = secret;
    bad.routes = [{ path: 'open', public: true, upstream: 'ftp://127.0.0.1/x' }];
    bad.session.idle_timeout = 'soon';
    await reload(bad);
    const out = ag.service.output();
    assert.match(out, /reload refused: routes\[0\]\.path: /);
    assert.match(out, /reload refused: routes\[0\]\.upstream: /);
    assert.match(out, /reload refused: session\.idle_timeout: /);
    assert.match(out, /still serving the running settings/);
    assert.ok(!out.includes(secret), 'the client secret is never logged');
    assert.equal((await get(port, '/open/x')).status, 200, 'the public path still serves');
    assert.equal((await get(port, '/team/x', { cookie: aliceCookie })).status, 403);

    // Fixed again, with alice let into /team: applies.
    const fixed = structuredClone(good);
    fixed.routes[1].allowed_emails = ['alice@example.com', 'bob@example.com'];
    await reload(fixed);
    const aliceTeam = await get(port, '/team/x', { cookie: aliceCookie });
    assert.equal(aliceTeam.status, 200, `the changed rule applies: ${aliceTeam.text}`);
    assert.equal(aliceTeam.json().path, '/team/team/x');
  });

  test('the pages are built again: a new brand and template apply, a broken template is refused', async () => {
    // A callback with an unknown state: the error page, as a browser sees it.
    const page = () => get(port, '/auth/callback?state=unknown&code=x', { accept: 'text/html' });
    const before = await page();
    assert.equal(before.status, 400, before.text);
    assert.ok(!before.text.includes('Reload Corp'), 'no brand yet');

    const dir = fs.mkdtempSync(`${ag.dir}/pages-`);
    fs.writeFileSync(`${dir}/error.html`,
      '<!doctype html><title>{{title}}</title><h1 id="custom">{{brand_name}}: {{title}}</h1>'
      + '<p>{{message}}</p><p>ref {{request_id}}</p>\n');
    const branded = structuredClone(settings);
    branded.pages = { brand: { name: 'Reload Corp', color: '#7b1f5e' }, templates_dir: dir };
    await reload(branded);
    assert.match(ag.service.output(), /settings reloaded/);
    const after = await page();
    assert.equal(after.status, 400, after.text);
    assert.match(after.text, /<h1 id="custom">Reload Corp: /, 'the new template and brand serve');
    assert.match(after.text, /ref [0-9a-f]{8,}/, 'with the request id');

    // A template with an unknown variable: the reload is refused, the running pages stay.
    fs.writeFileSync(`${dir}/error.html`, '<p>{{user_name}}</p>\n');
    const refusedBefore = count(ag.service, /still serving the running settings/);
    await reload(branded);
    assert.equal(count(ag.service, /still serving the running settings/), refusedBefore + 1);
    assert.match(ag.service.output(), /reload refused: pages\.templates_dir: .*error\.html.*unknown variable \{\{user_name\}\}/);
    const kept = await page();
    assert.match(kept.text, /<h1 id="custom">Reload Corp: /, 'the parsed template keeps serving');
    assert.ok(!kept.text.includes('user_name'));
  });

  test('a request under way finishes on the settings it started with', async () => {
    // A public catch-all to the upstream's root, where /upload answers with the body.
    const first = structuredClone(settings);
    first.routes = [{ path: '/', public: true, upstream: app.url }];
    await reload(first);
    assert.equal((await get(port, '/x')).json().path, '/x');

    // An upload whose head has gone out, body still to come...
    const answer = new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port, path: '/upload', method: 'POST', agent: false,
        headers: { 'content-type': 'application/octet-stream', 'content-length': '10' },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, text }));
      });
      req.on('error', reject);
      req.write('01234');
      setTimeout(() => req.end('56789'), 1500);
    });
    await new Promise((r) => setTimeout(r, 300));
    // ...while the route moves to another base path.
    const second = structuredClone(first);
    second.routes[0].upstream = `${app.url}/v2`;
    await reload(second);
    assert.equal((await get(port, '/x')).json().path, '/v2/x', 'new requests take the new route');
    const upload = await answer;
    assert.equal(upload.status, 200, upload.text);
    // The upload reached /upload (the old route, not /v2/upload) whole.
    assert.deepEqual(JSON.parse(upload.text), {
      bytes: 10, sha256: crypto.createHash('sha256').update('0123456789').digest('hex'),
    });
    // ...and nothing of the old settings was used after they went: still serving.
    assert.equal((await get(port, '/healthz')).status, 200, ag.service.output().slice(-4000));
  });
});
