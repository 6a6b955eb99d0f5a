// Issue 16: PostgreSQL as the shared session store. Two authgate instances on one real
// postgres (started here, stopped by PID): a login on one, authenticated requests on
// both (the upstream sees the user), "Sign out everywhere" on one ends every session of
// the user on both at once (the revocation reaches the other instance's session cache
// by LISTEN/NOTIFY), the records and the audit trail are in PostgreSQL, and a store
// that cannot be reached stops the start with a reason that never shows the password.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';

import {
  Browser, USERS, authgateAvailable, authgateBin, freePort, login, parseForms, postgresAvailable,
  startPostgres, startProvider, startUpstream, tempDir,
} from '../tooling/lib/index.mjs';
import { api, me, startGateway } from './lifecycle_helpers.mjs';

const skip = (!authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)')
  || (!postgresAvailable() && 'PostgreSQL is not installed (scripts/setup)');

/**
 * A top-level navigation with `cookie`, through node:http: fetch() always sends
 * Sec-Fetch-Mode: cors, and the sessions page answers only navigations. Resolves
 * {status, text}.
 */
function navigate(url, cookie) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, {
      headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate', cookie },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
  });
}

/** GET / through authgate as a navigation: the upstream's page names the user. */
async function signedInAs(ag, cookie) {
  const res = await navigate(`${ag.url}/`, cookie);
  return { status: res.status, user: /<b id="user">([^<]*)<\/b>/.exec(res.text)?.[1] };
}

test('two instances on one PostgreSQL: login on A, requests on both, sign out everywhere ends it on both', { skip, timeout: 180000 }, async (t) => {
  const pg = await startPostgres({ t });
  const op = await startProvider({ t });
  const app = await startUpstream({ t });
  const overrides = { session: { store: pg.url }, upstream: { url: app.url } };
  const a = await startGateway(t, op, overrides);
  const b = await startGateway(t, op, overrides);

  // Alice signs in on A in one browser and on B in another.
  const laptop = new Browser();
  await login(laptop, a.url);
  const phone = new Browser();
  await login(phone, b.url);
  const laptopCookie = laptop.cookieHeader(`${a.url}/`);
  const phoneCookie = phone.cookieHeader(`${b.url}/`);

  // Both sessions work on both instances (cookies carried over by hand, as a load
  // balancer would), through to the upstream; each instance now holds both in its
  // session cache.
  for (const ag of [a, b]) {
    for (const cookie of [laptopCookie, phoneCookie]) {
      const m = await fetch(`${ag.url}/auth/me`, { headers: { cookie, accept: 'application/json' } });
      assert.equal(m.status, 200, `${ag.url}: a session of the shared store`);
      const page = await signedInAs(ag, cookie);
      assert.equal(page.status, 200);
      assert.equal(page.user, USERS.alice.user, 'the upstream sees the signed-in user');
    }
  }
  const laptopId = (await me(laptop, a)).json.session;
  const rows = await pg.psql("SELECT public_id, subject FROM authgate_sessions ORDER BY created_at");
  assert.equal(rows.length, 2, 'both sessions are rows in PostgreSQL');
  assert.ok(rows.every(([, sub]) => sub === USERS.alice.sub));
  assert.ok(rows.some(([id]) => id === laptopId));
  const tokens = await pg.psql("SELECT encode(data, 'escape') FROM authgate_sessions");
  assert.ok(tokens.every(([d]) => !d.includes('eyJ')), 'no token in the clear in the database');

  // "Sign out everywhere" from the laptop's sessions page on A.
  const page = await navigate(`${a.url}/auth/sessions`, laptopCookie);
  assert.equal(page.status, 200, page.text);
  const form = parseForms(page.text, `${a.url}/auth/sessions`)
    .find((f) => f.buttons.some((x) => x.id === 'sign-out-everywhere'));
  assert.ok(form, `the page has the sign-out-everywhere form: ${page.text.slice(0, 300)}`);
  for (const id of rows.map(([pub]) => pub)) {
    assert.ok(page.text.includes(`data-session="${id}"`), `the page lists session ${id}`);
  }
  const done = await laptop.request(form.action, {
    method: 'POST',
    form: { ...Object.fromEntries(form.fields.map((x) => [x.name, x.value])), action: 'everywhere' },
    headers: { origin: new URL(a.url).origin },
  });
  assert.ok(done.chain.some((c) => new URL(c.url).pathname === '/oidc/logout'),
    `went on to the provider's logout: ${done.chain.map((c) => c.url).join(' -> ')}`);

  // At once, on both instances, although each had both sessions cached.
  for (const ag of [a, b]) {
    for (const cookie of [laptopCookie, phoneCookie]) {
      const m = await fetch(`${ag.url}/auth/me`, { headers: { cookie, accept: 'application/json' } });
      assert.equal(m.status, 401, `${ag.url} still accepts an ended session`);
      const through = await signedInAs(ag, cookie);
      assert.equal(through.status, 302, 'the upstream is not reached: back to login');
    }
  }
  assert.equal((await api(phone, `${b.url}/auth/me`)).status, 401);

  // The audit trail is in PostgreSQL, shared: both ends, each with its reason.
  const audit = (await pg.psql('SELECT line FROM authgate_audit ORDER BY id')).map(([l]) => JSON.parse(l));
  const ends = audit.filter((e) => e.event !== 'session.login');
  assert.equal(audit.filter((e) => e.event === 'session.login').length, 2);
  assert.deepEqual(ends.map((e) => e.reason).sort(), ['logout', 'user'], JSON.stringify(ends));
  assert.ok(audit.every((e) => !JSON.stringify(e).includes('eyJ')), 'no token in the audit trail');
});

test('a PostgreSQL that cannot be reached stops the start; the password is never shown', { skip }, async (t) => {
  const op = await startProvider({ t });
  const dir = tempDir('authgate-pg-down-');
  const file = path.join(dir, 'authgate.yaml');
  const secret = 'pg-password-never-logged';
  const config = {
    server: { listen: `127.0.0.1:${await freePort()}` },
    provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
    session: {
      store: `postgres://authgate:${secret}@127.0.0.1:${await freePort()}/authgate?connect_timeout=2`,
      encryption_keys: ['AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'],
    },
  };
  fs.writeFileSync(file, JSON.stringify(config));
  const run = (args) => new Promise((resolve) => {
    execFile(authgateBin(), args, { timeout: 30000 }, (err, stdout, stderr) => resolve({
      code: err ? (err.code ?? 1) : 0, out: stdout + stderr,
    }));
  });
  const serve = await run(['serve', '-c', file]);
  assert.equal(serve.code, 1, serve.out);
  assert.match(serve.out, /cannot connect to PostgreSQL/);
  assert.ok(!serve.out.includes(secret), serve.out);

  const printed = await run(['check-config', '-c', file, '--print']);
  assert.ok(printed.out.includes('postgres://authgate:[redacted]@'), printed.out);
  assert.ok(!printed.out.includes(secret), printed.out);

  // A URI libpq refuses is a configuration problem, named without the password.
  config.session.store = `postgres://authgate:${secret}@db/authgate?no_such_setting=1`;
  fs.writeFileSync(file, JSON.stringify(config));
  const bad = await run(['check-config', '-c', file]);
  assert.notEqual(bad.code, 0, bad.out);
  assert.match(bad.out, /session\.store/);
  assert.match(bad.out, /no_such_setting/);
  assert.ok(!bad.out.includes(secret), bad.out);
});
