// Issue 6: logout everywhere. POST /auth/logout (GET shows a confirmation page) revokes
// the session in the store, the refresh token at the provider, and sends the browser to
// the provider's logout, so the next login asks for the password again.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';

import {
  Browser, USERS, authgateAvailable, freePort, isProviderLoginPage, login, startProvider, startRedis,
} from '../tooling/lib/index.mjs';
import { api, confirmLogout, me, startGateway } from './lifecycle_helpers.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';


test('logout reaches the provider: the next login shows the login form again', { skip }, async (t) => {
  const op = await startProvider({ t });
  const ag = await startGateway(t, op);
  const browser = new Browser();
  const first = await login(browser, ag.url);
  assert.ok(first.loginPage, 'the first login asked for the password');
  // Without a provider logout, a second login would be silent (provider SSO session).
  const done = await confirmLogout(browser, ag);
  const chain = done.chain.map((c) => new URL(c.url).pathname);
  assert.ok(chain.includes('/oidc/logout'), `went through the provider's end_session: ${chain.join(' -> ')}`);
  // This provider's ID tokens carry no sid: the ID token is the only way to name the
  // session, so it is the one case where it is sent (docs/LIFECYCLE.md "Tokens in URLs").
  const endSession = new URL(done.chain.find((c) => new URL(c.url).pathname === '/oidc/logout').url);
  assert.equal(endSession.searchParams.get('logout_hint'), null);
  assert.match(endSession.searchParams.get('id_token_hint'), /^eyJ/);
  assert.equal((await me(browser, ag)).status, 401, 'signed out of authgate');
  assert.match(ag.service.output(), /"event":"session\.logout"[^\n]*"reason":"logout"/,
    'audited as a logout, not as a revocation');

  const stats = await op.stats();
  assert.equal(stats.logout.oidc, 1, 'RP-initiated logout at end_session_endpoint');
  assert.equal(stats.revoke, 1, 'refresh token revoked at the revocation endpoint');
  const tokens = await op.tokens(USERS.alice.sub);
  assert.ok(!tokens.some((x) => x.kind === 'RefreshToken' && !x.consumed), 'no live refresh token left');

  const again = await login(browser, ag.url);
  assert.ok(again.loginPage, 'the provider asked for the password again');
  assert.ok(isProviderLoginPage(again.loginPage));
  assert.equal((await me(browser, ag)).status, 200);
});

test('with a sid, logout names the session by client_id + logout_hint: no token in a URL', { skip }, async (t) => {
  // A client with back-channel logout gets sid in its ID tokens, as every Auth0 client does.
  const port = await freePort();
  const op = await startProvider({ t, backchannelLogoutUri: `http://127.0.0.1:${port}/auth/backchannel-logout` });
  const ag = await startGateway(t, op, {
    server: { listen: `127.0.0.1:${port}` }, compat: { openmetadata_aliases: 'true' },
  });
  const browser = new Browser();
  await login(browser, ag.url);
  const json = await api(browser, `${ag.url}/api/v1/auth/logout`, { headers: { 'sec-fetch-site': 'same-origin' } });
  assert.equal(json.status, 200, json.text);
  const url = new URL(json.json.logout_url);
  assert.equal(url.pathname, '/oidc/logout');
  assert.equal(url.searchParams.get('client_id'), op.clientId);
  assert.ok(url.searchParams.get('logout_hint'), 'the session is named by its sid');
  assert.equal(url.searchParams.get('id_token_hint'), null, 'no ID token in the URL');
  assert.doesNotMatch(url.href, /eyJ/);
  assert.ok(url.searchParams.get('post_logout_redirect_uri'));
  assert.equal((await me(browser, ag)).status, 401, 'signed out of authgate');
});

test('logout ends the session on every instance sharing the store', { skip }, async (t) => {
  const redis = await startRedis({ t });
  const op = await startProvider({ t });
  const a = await startGateway(t, op, { session: { store: redis.url } });
  const b = await startGateway(t, op, { session: { store: redis.url } });
  const browser = new Browser();
  await login(browser, a.url);
  const cookie = browser.cookieHeader(`${a.url}/`);
  assert.equal((await me(browser, b)).status, 200);
  await confirmLogout(browser, a);
  // The old cookie value, replayed by hand, is dead on both instances.
  for (const ag of [a, b]) {
    const res = await fetch(`${ag.url}/auth/me`, { headers: { cookie, accept: 'application/json' } });
    assert.equal(res.status, 401, `${ag.url} still accepts the session`);
  }
});

test('logout is CSRF-safe: a foreign Origin or a wrong form token changes nothing', { skip }, async (t) => {
  const op = await startProvider({ t });
  const ag = await startGateway(t, op);
  const browser = new Browser();
  await login(browser, ag.url);

  const foreign = await api(browser, `${ag.url}/auth/logout`, {
    method: 'POST', headers: { origin: 'https://evil.example' },
  });
  assert.equal(foreign.status, 403);
  const forged = await api(browser, `${ag.url}/auth/logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'csrf=0000',
  });
  assert.equal(forged.status, 403);
  // Neither a form token nor an Origin (e.g. a text/plain form from an old browser).
  const bare = await api(browser, `${ag.url}/auth/logout`, {
    method: 'POST', headers: { 'content-type': 'text/plain', origin: '' }, body: 'x',
  });
  assert.equal(bare.status, 403);
  // A GET never logs out.
  const page = await browser.get(`${ag.url}/auth/logout`);
  assert.equal(page.status, 200);
  assert.equal((await me(browser, ag)).status, 200, 'still signed in');
  assert.equal((await op.stats()).revoke, 0);
});

test('idp_logout none: local logout only (the provider session stays)', { skip }, async (t) => {
  const op = await startProvider({ t });
  const ag = await startGateway(t, op, { logout: { idp_logout: 'none' } });
  const browser = new Browser();
  await login(browser, ag.url);
  await confirmLogout(browser, ag);
  assert.equal((await me(browser, ag)).status, 401);
  const stats = await op.stats();
  assert.equal(stats.logout.oidc + stats.logout.v2, 0, 'the provider logout was not visited');
  const again = await login(browser, ag.url);
  assert.equal(again.loginPage, undefined, 'silent sign-in: the provider session is alive');
  assert.equal((await me(browser, ag)).status, 200);
});

test('idp_logout auth0: /v2/logout with client_id and returnTo', { skip }, async (t) => {
  const op = await startProvider({ t });
  const ag = await startGateway(t, op, { logout: { idp_logout: 'auth0' } });
  const browser = new Browser();
  await login(browser, ag.url);
  const done = await confirmLogout(browser, ag);
  const v2 = done.chain.find((c) => new URL(c.url).pathname === '/v2/logout');
  assert.ok(v2, 'went through /v2/logout');
  const u = new URL(v2.url);
  assert.equal(u.searchParams.get('client_id'), op.clientId);
  assert.ok(u.searchParams.get('returnTo').startsWith(ag.url));
  assert.equal((await op.stats()).logout.v2, 1);
  const again = await login(browser, ag.url);
  assert.ok(again.loginPage, 'the provider asked for the password again');
});

test('OpenMetadata GET /api/v1/auth/logout acts only for our own origin', { skip }, async (t) => {
  const op = await startProvider({ t });
  const ag = await startGateway(t, op, { compat: { openmetadata_aliases: 'true' } });
  const browser = new Browser();
  await login(browser, ag.url);

  for (const site of ['cross-site', 'same-site', undefined]) {
    const headers = site ? { 'sec-fetch-site': site, 'sec-fetch-mode': 'navigate' } : {};
    const res = await browser.request(`${ag.url}/api/v1/auth/logout`, { headers, follow: false });
    assert.equal(res.status, 200, `${site}: the confirmation page`);
    assert.ok(res.forms().length === 1, `${site}: a form to confirm`);
    assert.equal((await me(browser, ag)).status, 200, `${site}: still signed in`);
  }
  const res = await api(browser, `${ag.url}/api/v1/auth/logout`, {
    headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' },
  });
  assert.equal(res.status, 200, res.text);
  assert.ok(res.json.logout_url.includes('/oidc/logout'), 'JSON names the provider logout URL');
  assert.equal((await me(browser, ag)).status, 401, 'signed out');
  assert.equal((await op.stats()).revoke, 1);
});
