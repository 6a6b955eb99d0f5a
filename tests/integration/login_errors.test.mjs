// Failed logins through the real authgate binary (issue 4, Tests): provider errors,
// state mismatch and replay, code replay, missing/foreign/unknown transactions, forged
// ID tokens and a wrong issuer in the settings. Each ends with no session.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { authgateBin, startAuthgate, startProvider, tempDir } from '../tooling/lib/index.mjs';
import {
  Browser, SESSION_COOKIE, TXN_COOKIE, USERS, assertNoSession, deliverCallback, gatewayConfig,
  loginUntilCallback, me, sessionCount, setCookies, startLogin, withParams,
} from './login_helpers.mjs';

const run = promisify(execFile);

let op;
let ag;
before(async () => {
  op = await startProvider();
  ag = await startAuthgate({ config: gatewayConfig(op) });
});
after(async () => {
  await ag?.stop();
  await op?.stop();
});

// Every code the provider handed out in this file: none may reach authgate's log.
const seenCodes = [];
async function tracked(browser, gw, opts) {
  const cb = await loginUntilCallback(browser, gw, opts);
  const params = cb.method === 'POST' ? new URLSearchParams(cb.form) : new URL(cb.callbackUrl).searchParams;
  if (params.get('code')) seenCodes.push(params.get('code'));
  return cb;
}

/** A complete login in a new browser; returns it with the callback it used. */
async function signedIn(user = USERS.alice) {
  const browser = new Browser();
  const cb = await tracked(browser, ag, { user });
  const res = await deliverCallback(browser, cb);
  assert.equal(res.status, 302, res.text.slice(0, 300));
  const who = await me(browser, ag);
  assert.equal(who.status, 200);
  return { browser, cb, session: who.json().session };
}

describe('provider errors', () => {
  test('the deny button: access_denied page, no session', async () => {
    const browser = new Browser();
    const cb = await tracked(browser, ag, { deny: true });
    const params = new URL(cb.callbackUrl).searchParams;
    assert.equal(params.get('error'), 'access_denied');
    const res = await deliverCallback(browser, cb);
    await assertNoSession(browser, ag, res, { status: [400, 401] });
    assert.match(res.text, /Sign-in was not completed/);
    assert.match(res.text, /<code>access_denied<\/code>/);
  });

  test('a blocked user: the provider\'s description is shown', async () => {
    const browser = new Browser();
    const cb = await tracked(browser, ag, { user: USERS.blocked });
    assert.equal(new URL(cb.callbackUrl).searchParams.get('error'), 'access_denied');
    const res = await deliverCallback(browser, cb);
    await assertNoSession(browser, ag, res, { status: [400, 401] });
    assert.match(res.text, /user is blocked/);
  });

  test('error and error_description are HTML-escaped; the transaction is spent', async () => {
    const browser = new Browser();
    const { state } = await startLogin(browser, ag);
    const url = new URL('/auth/callback', ag.url);
    url.searchParams.set('error', 'access_denied<b>');
    url.searchParams.set('error_description', '<script>alert(1)</script> & "quotes"');
    url.searchParams.set('state', state);
    url.searchParams.set('iss', op.issuer);
    const res = await browser.request(url.href, { follow: false });
    await assertNoSession(browser, ag, res, { status: [400, 401] });
    assert.ok(!res.text.includes('<script>alert(1)'), 'no raw markup from the provider');
    assert.match(res.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot;/);
    assert.match(res.text, /access_denied&lt;b&gt;/);
    // JSON for API clients carries the same values unescaped.
    const json = await browser.request(url.href, { follow: false, accept: 'application/json' });
    assert.ok([400, 401].includes(json.status));
    assert.equal(json.json().error, 'access_denied<b>');
  });
});

describe('state and transactions', () => {
  test('state mismatch: a tampered state is refused', async () => {
    const browser = new Browser();
    const cb = await tracked(browser, ag);
    const state = new URL(cb.callbackUrl).searchParams.get('state');
    const tampered = (state[0] === 'A' ? 'B' : 'A') + state.slice(1);
    const res = await browser.request(withParams(cb.callbackUrl, { state: tampered }), { follow: false });
    await assertNoSession(browser, ag, res, { status: 400, code: 'state_mismatch' });
    assert.match(res.text, /unknown or was already used/);
    const missing = await browser.request(withParams(cb.callbackUrl, { state: null }), { follow: false });
    await assertNoSession(browser, ag, missing, { status: 400 });
  });

  test('state replay: the same callback again fails and creates no second session', async () => {
    const { browser, cb, session } = await signedIn();
    const sessions = await sessionCount(browser, ag);
    const stats = await op.stats();
    const res = await browser.request(cb.callbackUrl, { follow: false });
    assert.equal(res.status, 400, res.text.slice(0, 300));
    assert.match(res.text, /state_mismatch/);
    assert.equal(setCookies(res.headers)[SESSION_COOKIE], undefined);
    assert.equal((await me(browser, ag)).json().session, session, 'still the first session');
    assert.equal(await sessionCount(browser, ag), sessions, 'no second session');
    const later = await op.stats();
    assert.equal(later.token.total, stats.token.total, 'the code was not sent to the provider again');
  });

  test('code replay: a new transaction with a used code is refused by the provider', async () => {
    const { browser, cb, session } = await signedIn();
    const sessions = await sessionCount(browser, ag);
    const used = new URL(cb.callbackUrl).searchParams.get('code');
    const { state } = await startLogin(browser, ag);
    const forged = withParams(cb.callbackUrl, { state, code: used });
    const before1 = await op.stats();
    const res = await browser.request(forged, { follow: false });
    assert.equal(res.status, 400, res.text.slice(0, 300));
    assert.match(res.text, /invalid_grant|token_endpoint_rejected/);
    assert.equal(setCookies(res.headers)[SESSION_COOKIE], undefined);
    const after1 = await op.stats();
    assert.equal(after1.token.errors.invalid_grant ?? 0, (before1.token.errors.invalid_grant ?? 0) + 1);
    assert.equal((await me(browser, ag)).json().session, session);
    assert.equal(await sessionCount(browser, ag), sessions, 'no second session');
  });

  test('missing transaction cookie: refused', async () => {
    const browser = new Browser();
    const cb = await tracked(browser, ag);
    browser.jar.delete(TXN_COOKIE);
    const res = await deliverCallback(browser, cb);
    await assertNoSession(browser, ag, res, { status: 400, code: 'browser_binding_mismatch' });
  });

  test('foreign transaction cookie: the callback in another browser creates nothing', async () => {
    const victim = new Browser();
    const cb = await tracked(victim, ag);
    // A browser that never logged in has no binding: a clear 400.
    const other = new Browser();
    const res = await deliverCallback(other, cb);
    await assertNoSession(other, ag, res, { status: 400, code: 'browser_binding_mismatch' });
    assert.match(res.text, /another browser/);

    // A browser with its own binding (it started a login of its own) is sent to a new
    // login of its own: the foreign code is never exchanged.
    const cb2 = await tracked(new Browser(), ag);
    const third = new Browser();
    await startLogin(third, ag);
    const stats = await op.stats();
    const res2 = await deliverCallback(third, cb2);
    assert.equal(res2.status, 302);
    assert.equal(new URL(res2.location).pathname, '/auth/login');
    assert.equal(setCookies(res2.headers)[SESSION_COOKIE], undefined);
    assert.equal((await op.stats()).token.total, stats.token.total, 'the foreign code was not exchanged');
    assert.equal((await me(third, ag)).status, 401);
    // Following it lands on the provider's login form (this browser is not signed in there).
    const follow = await third.get(res2.location);
    assert.ok(follow.forms().some((f) => f.id === 'login-form'));
    assert.equal((await me(third, ag)).status, 401);
  });

  test('a transaction unknown to the store (authgate restarted, memory store) gives a clear 400', async (t) => {
    const op2 = await startProvider({ t });
    const first = await startAuthgate({ t, config: gatewayConfig(op2) });
    const browser = new Browser();
    const cb = await tracked(browser, first);
    await first.stop();
    const cfg = gatewayConfig(op2, { server: { listen: `127.0.0.1:${first.port}` } });
    const second = await startAuthgate({ t, config: cfg });
    const res = await deliverCallback(browser, cb);
    await assertNoSession(browser, second, res, { status: 400, code: 'state_mismatch' });
    assert.match(res.text, /unknown or was already used/);
  });
});

describe('RFC 9207 iss, the token endpoint, JSON errors and metrics', () => {
  test('a tampered or missing iss is refused (the provider advertises it)', async () => {
    const browser = new Browser();
    const cb = await tracked(browser, ag);
    const res = await browser.request(withParams(cb.callbackUrl, { iss: 'https://evil.example/' }), { follow: false });
    await assertNoSession(browser, ag, res, { status: 400, code: 'issuer_param_mismatch' });
    const b2 = new Browser();
    const cb3 = await tracked(b2, ag);
    const res2 = await b2.request(withParams(cb3.callbackUrl, { iss: null }), { follow: false });
    await assertNoSession(b2, ag, res2, { status: 400, code: 'missing_issuer_param' });
  });

  test('the token endpoint failing: 502 page, no session; a 400 invalid_grant: 400', async () => {
    const browser = new Browser();
    const cb = await tracked(browser, ag);
    await op.failToken({ status: 503 });
    const res = await deliverCallback(browser, cb);
    await assertNoSession(browser, ag, res, { status: 502, code: 'token_endpoint_unavailable' });

    const b2 = new Browser();
    const cb2 = await tracked(b2, ag);
    await op.failToken({ status: 400, error: 'invalid_grant' });
    const res2 = await deliverCallback(b2, cb2);
    await assertNoSession(b2, ag, res2, { status: 400 });
    assert.match(res2.text, /did not accept this sign-in/);
  });

  test('API clients get JSON errors; failures are counted by reason', async () => {
    const browser = new Browser();
    const cb = await tracked(browser, ag);
    const res = await browser.request(withParams(cb.callbackUrl, { state: 'x'.repeat(43) }), {
      follow: false, accept: 'application/json',
    });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type'), /application\/json/);
    assert.equal(res.json().error, 'state_mismatch');
    const metrics = await (await fetch(`${ag.url}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('authgate_auth_failures_total')
      && l.includes('step="callback"') && l.includes('reason="state_mismatch"'));
    assert.ok(line, 'authgate_auth_failures_total{step="callback",reason="state_mismatch"}');
    assert.ok(Number(line.split(' ').pop()) >= 1);
  });
});

describe('forged ID tokens', () => {
  const cases = [
    { mode: 'tamper-signature', code: 'bad_signature' },
    { mode: 'tamper-payload', code: 'bad_signature' },
    { mode: 'foreign-key', code: 'bad_signature' },
    { mode: 'unknown-kid', code: 'unknown_kid' },
    { mode: 'alg-none', code: 'alg_none' },
    { mode: 'hs256', code: 'alg_not_allowed' },
    { mode: 'resign', claims: { nonce: 'not-the-nonce' }, name: 'resign wrong nonce', code: 'nonce_mismatch' },
    { mode: 'resign', claims: { aud: 'someone-else' }, name: 'resign wrong aud', code: 'audience_mismatch' },
    { mode: 'resign', claims: { exp: 1 }, name: 'resign expired', code: 'expired' },
    { mode: 'resign', claims: { iss: 'https://evil.example/' }, name: 'resign wrong iss', code: 'issuer_mismatch' },
    { mode: 'resign', claims: { nonce: null }, name: 'resign without nonce', code: 'missing_nonce' },
    { mode: 'resign', claims: { sub: 'auth0|mallory' }, header: { kid: 'nope' }, name: 'resign with an unknown kid', code: 'unknown_kid' },
  ];
  for (const c of cases) {
    test(`${c.name ?? c.mode}: 401 and no session`, async () => {
      const browser = new Browser();
      const cb = await tracked(browser, ag);
      const before1 = await op.stats();
      await op.forgeIdToken({ mode: c.mode, claims: c.claims, header: c.header });
      const res = await deliverCallback(browser, cb);
      const after1 = await op.stats();
      assert.equal(after1.token.forged, before1.token.forged + 1, 'the forged token was served');
      await assertNoSession(browser, ag, res, { status: 401, code: c.code });
      assert.match(res.text, /identity token from the provider is not valid/);
    });
  }
});

describe('a wrong client secret in the settings', () => {
  test('invalid_client: its own page for the user, the provider\'s code and description in the log', async (t) => {
    const gw = await startAuthgate({ t, config: { ...gatewayConfig(op), provider: { ...gatewayConfig(op).provider, client_secret: 'not-the-secret-value' } } });
    const browser = new Browser();
    const cb = await tracked(browser, gw, {});
    const res = await deliverCallback(browser, cb);
    await assertNoSession(browser, gw, res, { status: [502] });
    // Plain words for the user; the details in the log, under the reference the page shows.
    assert.match(res.text, /Sign-in is not working on this site/);
    assert.match(res.text, /<code>invalid_client<\/code>/);
    const ref = /<code id="request-id">([0-9a-f]{16})<\/code>/.exec(res.text)?.[1];
    assert.ok(ref, res.text);
    assert.doesNotMatch(res.text, /rejected or already used/);
    const log = gw.service.output();
    assert.match(log, /token endpoint refused the code exchange: HTTP 401 invalid_client/);
    assert.ok(log.split('\n').some((l) => l.includes(ref) && l.includes('provider.client_secret')),
      'the log line with the reference names the setting to check');
    assert.ok(!log.includes('not-the-secret-value'), 'the secret is not logged');
    assert.ok(!log.includes(new URL(cb.callbackUrl).searchParams.get('code')), 'the code is not logged');
  });
});

describe('a wrong issuer in the settings', () => {
  test('issuer without the trailing slash: login fails with a clear 502, discover reports it', async (t) => {
    const op2 = await startProvider({ t });
    const wrong = op2.issuer.replace(/\/$/, '');
    const gw = await startAuthgate({ t, config: { ...gatewayConfig(op2), provider: { ...gatewayConfig(op2).provider, issuer: wrong } } });
    const browser = new Browser();
    const res = await browser.request(`${gw.url}/auth/login`, { follow: false });
    assert.equal(res.status, 502);
    assert.equal(res.location, undefined);
    assert.match(res.text, /provider_unavailable/);
    // The user reads plain words; the operator finds why in the log, by the reference.
    assert.doesNotMatch(res.text, /issuer_mismatch|provider\.issuer/);
    const ref = /<code id="request-id">([0-9a-f]{16})<\/code>/.exec(res.text)?.[1];
    assert.ok(ref, res.text);
    assert.ok(gw.service.output().split('\n').some((l) => l.includes(ref) && l.includes('issuer_mismatch')
      && l.includes('provider.issuer')), gw.service.output());
    assert.equal(setCookies(res.headers)[TXN_COOKIE], undefined, 'no transaction started');
    assert.equal((await op2.stats()).authorize, 0);

    // `authgate discover` probes the provider and says why.
    let failed;
    try {
      await run(authgateBin(), ['discover', wrong], { timeout: 30000, cwd: gw.dir });
    } catch (e) {
      failed = e;
    }
    assert.ok(failed, 'discover exits non-zero');
    assert.equal(failed.code, 1);
    assert.match(`${failed.stdout}${failed.stderr}`, /issuer_mismatch/);
    const ok = await run(authgateBin(), ['discover', op2.issuer], { timeout: 30000, cwd: gw.dir });
    assert.match(ok.stdout, /authorization_endpoint|authorize/);
  });
});

describe('check-config', () => {
  test('probes discovery and reports the wrong issuer as provider.issuer: issuer_mismatch', async (t) => {
    const op2 = await startProvider({ t });
    const dir = tempDir('authgate-check-');
    const file = path.join(dir, 'authgate.yaml');
    const cfg = gatewayConfig(op2);
    cfg.provider.issuer = op2.issuer.replace(/\/$/, '');
    fs.writeFileSync(file, JSON.stringify(cfg));
    let failed;
    try {
      await run(authgateBin(), ['check-config', '-c', file], { timeout: 30000, cwd: dir });
    } catch (e) {
      failed = e;
    }
    assert.ok(failed, 'check-config exits non-zero');
    assert.equal(failed.code, 1);
    assert.match(`${failed.stderr}`, /provider\.issuer: .*issuer_mismatch/);
    // The right issuer passes the same probe.
    cfg.provider.issuer = op2.issuer;
    fs.writeFileSync(file, JSON.stringify(cfg));
    const ok = await run(authgateBin(), ['check-config', '-c', file], { timeout: 30000, cwd: dir });
    assert.match(ok.stdout, /ok/);
  });
});

describe('after every failure above', () => {
  test('authgate\'s log holds no code, state, JWT or cookie value', () => {
    const log = ag.service.output();
    assert.ok(seenCodes.length >= 20, `codes seen: ${seenCodes.length}`);
    for (const code of seenCodes) assert.ok(!log.includes(code), 'an authorization code in the log');
    assert.doesNotMatch(log, /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\./, 'a JWT in the log');
    assert.doesNotMatch(log, /state=|code=|authgate_txn=|authgate=/, 'a protocol parameter or cookie in the log');
  });
});
