// The Authorization Code Flow through the real authgate binary and the local provider
// (issue 4, Tests): complete logins through response_mode query and form_post, the
// session cookie, /auth/me, the redirect to return_to, no secret in URLs or logs, many
// tabs at once, the access rules, and the SQLite transaction store.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import { tempDir } from '../tooling/lib/index.mjs';
import {
  Browser, SESSION_COOKIE, TXN_COOKIE, USERS, assertNoSecretsLeaked, assertNoSession,
  deliverCallback, loginUntilCallback, me, setCookies, startPair,
} from './login_helpers.mjs';

/** One complete login, asserting every step authgate owns. */
async function completeLogin(t, { op, ag }, { mode, user = USERS.alice, returnTo = '/after?tab=1#top' } = {}) {
  const browser = new Browser();
  const cb = await loginUntilCallback(browser, ag, { user, returnTo });
  assert.equal(cb.method, mode === 'form_post' ? 'POST' : 'GET', 'the provider answers in the configured response mode');
  const params = cb.method === 'POST' ? new URLSearchParams(cb.form) : new URL(cb.callbackUrl).searchParams;
  const code = params.get('code');
  assert.ok(code, 'the provider sent a code');
  assert.equal(params.get('iss'), op.issuer, 'RFC 9207 iss in the response');

  // The authorize redirect authgate built: PKCE S256, state, nonce, our callback.
  const authorize = new URL(cb.start.chain[0].location);
  assert.equal(authorize.origin + authorize.pathname, op.url('/authorize'));
  const q = authorize.searchParams;
  assert.equal(q.get('response_type'), 'code');
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.match(q.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  assert.ok(q.get('state').length >= 22, 'state carries at least 128 bits');
  assert.ok(q.get('nonce').length >= 22);
  assert.equal(q.get('redirect_uri'), `${ag.url}/auth/callback`);
  assert.equal(q.get('response_mode') ?? 'query', mode);

  const res = await deliverCallback(browser, cb);
  assert.equal(res.status, 302, res.text.slice(0, 300));
  assert.equal(res.headers.get('location'), returnTo, 'back to the validated return_to');
  const cookies = setCookies(res.headers);
  const session = cookies[SESSION_COOKIE];
  assert.ok(session, 'the callback sets the session cookie');
  assert.ok(session.attrs.includes('httponly'));
  assert.ok(session.attrs.includes('samesite=lax'));
  assert.ok(session.attrs.includes('path=/'));
  assert.ok(!session.attrs.includes('secure'), 'no Secure on http');
  assert.ok(!session.attrs.some((a) => a.startsWith('domain=')), 'host-only');
  assert.ok(session.value.length >= 32, 'an opaque value with enough entropy');
  assert.doesNotMatch(session.value, /^eyJ/, 'the cookie is not a token');

  const who = await me(browser, ag);
  assert.equal(who.status, 200, who.text);
  const body = who.json();
  assert.equal(body.sub, user.sub);
  assert.equal(body.email, user.user);
  assert.ok(body.name, 'name from the ID token');
  assert.match(String(body.session), /^[A-Za-z0-9_-]{8,}$/, 'the public session id');
  assert.ok(!session.value.includes(body.session), 'the public id is not the cookie value');
  const now = Date.now() / 1000;
  assert.ok(body.expires_at > now + 3600 && body.expires_at < now + 8 * 86400, `expires_at ${body.expires_at}`);

  assertNoSecretsLeaked(browser, ag, { codes: [code, session.value] });
  return { browser, body, session, code };
}

for (const mode of ['query', 'form_post']) {
  describe(`a complete login with response_mode ${mode}`, () => {
    test('sets the session cookie, /auth/me answers, 302 to return_to, no secret leaks', async (t) => {
      const pair = await startPair({ t, config: { provider: { response_mode: mode } } });
      const first = await completeLogin(t, pair, { mode });
      // A second login in another browser is another session with another id.
      const second = await completeLogin(t, pair, { mode, user: USERS.bob });
      assert.notEqual(second.body.session, first.body.session);
      assert.equal(second.body.sub, USERS.bob.sub);
      const stats = await pair.op.stats();
      assert.equal(stats.token.byGrant.authorization_code, 2, 'one code exchange per login');
    });

    test('the harness login() ends on the return_to page', async (t) => {
      const { ag } = await startPair({ t, config: { provider: { response_mode: mode } } });
      const browser = new Browser();
      const { login } = await import('../tooling/lib/index.mjs');
      const { chain } = await login(browser, ag.url, { returnTo: '/landing' });
      const back = chain.find((c) => c.url.startsWith(`${ag.url}/auth/callback`));
      assert.ok(back, 'the chain passed through the callback');
      assert.equal(back.method, mode === 'form_post' ? 'POST' : 'GET');
      assert.equal(back.location, `${ag.url}/landing`);
    });
  });
}

describe('session fixation and replacement', () => {
  test('a session cookie set before login is not adopted; a second login replaces the first session', async (t) => {
    const pair = await startPair({ t });
    const browser = new Browser();
    const planted = 'A'.repeat(43);
    browser.jar.setFromResponse(`${pair.ag.url}/`, [`${SESSION_COOKIE}=${planted}; Path=/; HttpOnly`]);
    const cb = await loginUntilCallback(browser, pair.ag);
    const res = await deliverCallback(browser, cb);
    assert.equal(res.status, 302);
    const first = setCookies(res.headers)[SESSION_COOKIE];
    assert.ok(first && first.value !== planted, 'a freshly generated session id');
    const firstId = (await me(browser, pair.ag)).json().session;

    // Logging in again in the same browser (the provider session makes it silent).
    const again = await browser.get(`${pair.ag.url}/auth/login?return_to=%2Fagain`);
    assert.equal(new URL(again.url).pathname, '/again');
    const secondId = (await me(browser, pair.ag)).json().session;
    assert.notEqual(secondId, firstId, 'a new session');
    const list = await browser.request(`${pair.ag.url}/auth/sessions`, { accept: 'application/json', follow: false });
    const old = list.json().sessions.find((x) => x.id === firstId);
    assert.ok(!old || old.state !== 'active', 'the replaced session is no longer active');
  });
});

describe('the transaction store', () => {
  test('login transactions work in a SQLite store', async (t) => {
    const dir = tempDir('authgate-login-sqlite-');
    const db = path.join(dir, 'sessions.db');
    const pair = await startPair({ t, config: { session: { store: `sqlite:${db}` } } });
    const { browser } = await completeLogin(t, pair, { mode: 'query' });
    assert.ok(fs.existsSync(db), 'the SQLite file exists');
    // The transaction was taken: replaying the callback is refused.
    const cbEntry = browser.history.find((h) => h.url.startsWith(`${pair.ag.url}/auth/callback`));
    const replay = await browser.request(cbEntry.url, { follow: false });
    assert.equal(replay.status, 400);
    assert.equal(setCookies(replay.headers)[SESSION_COOKIE], undefined);
  });
});

describe('20 tabs logging in at once', () => {
  for (const mode of ['query', 'form_post']) test(`all succeed and the cookie header stays small (${mode})`, async (t) => {
    const { ag } = await startPair({ t, config: { provider: { response_mode: mode } } });
    const browser = new Browser();
    const tabs = 20;
    // 20 concurrent /auth/login of one browser, none with a transaction cookie yet.
    const starts = await Promise.all(Array.from({ length: tabs }, (_, i) => browser.get(
      `${ag.url}/auth/login?return_to=${encodeURIComponent(`/tab/${i}`)}`,
    )));
    for (const s of starts) assert.ok(s.forms().some((f) => f.id === 'login-form'), `login form: ${s.status}`);
    // Complete each tab's login form, one after another like a user would.
    const ends = [];
    for (const [i, s] of starts.entries()) {
      const res = await browser.submit(s, 'login-form', { username: USERS.alice.user, password: USERS.alice.password });
      ends.push(res);
      assert.equal(res.status, 404, `tab ${i} ends on its return_to (no upstream: 404): ${res.status} ${res.url}`);
      assert.equal(new URL(res.url).pathname, `/tab/${i}`);
    }
    // The cookies authgate keeps in the browser: one session cookie + one txn cookie.
    const ours = browser.jar.matching(`${ag.url}/`).filter((c) => c.name === SESSION_COOKIE || c.name === TXN_COOKIE);
    assert.deepEqual(ours.map((c) => c.name).sort(), [SESSION_COOKIE, TXN_COOKIE]);
    const header = ours.map((c) => `${c.name}=${c.value}`).join('; ');
    assert.ok(header.length < 200, `Cookie header for authgate is ${header.length} bytes`);
    // No other authgate cookie piled up (one per tab would be 20 cookies).
    const all = browser.jar.cookies.filter((c) => c.name.includes('authgate'));
    assert.deepEqual(all.map((c) => c.name).sort(), [SESSION_COOKIE, TXN_COOKIE]);
    const who = await me(browser, ag);
    assert.equal(who.status, 200);
    assert.equal(who.json().sub, USERS.alice.sub);
  });
});

describe('access rules', () => {
  test('a user outside allowed_email_domains gets 403 and no session', async (t) => {
    const pair = await startPair({ t, config: { access: { allowed_email_domains: ['example.com'] } } });
    const browser = new Browser();
    const cb = await loginUntilCallback(browser, pair.ag, { user: USERS.dave });
    const res = await deliverCallback(browser, cb);
    await assertNoSession(browser, pair.ag, res, { status: 403, code: 'email_domain_not_allowed' });
    assert.match(res.text, /do not have access/);
    // alice (example.com) is let in by the same settings.
    await completeLogin(t, pair, { mode: 'query', user: USERS.alice });
  });

  test('require_email_verified rejects carol', async (t) => {
    const pair = await startPair({ t, config: { access: { require_email_verified: true } } });
    const browser = new Browser();
    const cb = await loginUntilCallback(browser, pair.ag, { user: USERS.carol });
    const res = await deliverCallback(browser, cb);
    await assertNoSession(browser, pair.ag, res, { status: 403, code: 'email_not_verified' });
    await completeLogin(t, pair, { mode: 'query', user: USERS.bob });
  });
});
