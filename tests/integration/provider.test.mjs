// Proves the test tooling without authgate: the local Auth0-compatible provider, the
// harness Browser and the process helpers, through real OAuth 2.0 / OIDC flows.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';

import {
  Browser, USERS, isProviderLoginPage, login, startProvider, startRecorder,
} from '../tooling/lib/index.mjs';

const API = 'https://api.authgate.test';
let op;
let rp; // the recorder playing the relying party
let jwks;

before(async () => {
  rp = await startRecorder();
  op = await startProvider({
    redirectUris: [`${rp.url}/cb`],
    postLogoutRedirectUris: [`${rp.url}/logged-out`],
    backchannelLogoutUri: `${rp.url}/bcl`,
    accessTokenTtl: 10,
  });
  jwks = jose.createRemoteJWKSet(new URL(op.url('/.well-known/jwks.json')));
});
after(async () => {
  await op?.stop();
  await rp?.close();
});

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** The front half of the code flow: returns the callback the RP received. */
async function authorize(browser, {
  user = USERS.alice, responseMode = 'query', scope = 'openid profile email offline_access',
  extra = {}, expectLoginForm = true,
} = {}) {
  const verifier = b64url(crypto.randomBytes(32));
  const state = b64url(crypto.randomBytes(16));
  const nonce = b64url(crypto.randomBytes(16));
  const q = new URLSearchParams({
    client_id: op.clientId,
    response_type: 'code',
    redirect_uri: `${rp.url}/cb`,
    scope,
    state,
    nonce,
    code_challenge: b64url(crypto.createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    response_mode: responseMode,
    ...extra,
  });
  let res = await browser.get(op.url(`/authorize?${q}`));
  if (expectLoginForm) {
    assert.ok(isProviderLoginPage(res), `expected the login form, got ${res.status} ${res.url}`);
    res = await browser.submit(res, 'login-form', { username: user.user, password: user.password });
  }
  assert.equal(res.status, 200, res.text);
  const cb = res.json();
  assert.equal(cb.path, '/cb');
  const params = responseMode === 'form_post' ? cb.form : cb.query;
  return {
    params, verifier, state, nonce, method: cb.method, chain: res.chain,
  };
}

async function tokenRequest(form, { auth = 'basic' } = {}) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(form);
  if (auth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(op.clientId)}:${encodeURIComponent(op.clientSecret)}`).toString('base64')}`;
  } else {
    body.set('client_id', op.clientId);
    body.set('client_secret', op.clientSecret);
  }
  const res = await fetch(op.url('/oauth/token'), { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

const exchange = (flow, auth) => tokenRequest({
  grant_type: 'authorization_code',
  code: flow.params.code,
  redirect_uri: `${rp.url}/cb`,
  code_verifier: flow.verifier,
}, { auth });

describe('discovery', () => {
  test('uses Auth0 paths and an issuer with a trailing slash', async () => {
    const d = await (await fetch(op.url('/.well-known/openid-configuration'))).json();
    const base = op.issuer;
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(d.issuer, base);
    assert.equal(d.authorization_endpoint, `${base}authorize`);
    assert.equal(d.token_endpoint, `${base}oauth/token`);
    assert.equal(d.userinfo_endpoint, `${base}userinfo`);
    assert.equal(d.jwks_uri, `${base}.well-known/jwks.json`);
    assert.equal(d.end_session_endpoint, `${base}oidc/logout`);
    assert.equal(d.revocation_endpoint, `${base}oauth/revoke`);
    assert.equal(d.authorization_response_iss_parameter_supported, true);
    assert.equal(d.backchannel_logout_supported, true);
    assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
    for (const m of ['query', 'form_post']) assert.ok(d.response_modes_supported.includes(m), m);
    for (const m of ['client_secret_basic', 'client_secret_post']) {
      assert.ok(d.token_endpoint_auth_methods_supported.includes(m), m);
    }
    assert.ok(d.id_token_signing_alg_values_supported.includes('RS256'));
  });
});

describe('authorization code flow', () => {
  test('query mode, client_secret_basic, PKCE: ID token verifies against the JWKS', async () => {
    const browser = new Browser();
    const flow = await authorize(browser);
    assert.equal(flow.method, 'GET');
    assert.equal(flow.params.state, flow.state);
    assert.equal(flow.params.iss, op.issuer, 'RFC 9207 iss in the authorization response');
    const tok = await exchange(flow, 'basic');
    assert.equal(tok.status, 200, JSON.stringify(tok.body));
    assert.equal(tok.body.token_type, 'Bearer');
    assert.ok(tok.body.expires_in > 0 && tok.body.expires_in <= 10, `expires_in ${tok.body.expires_in}`);
    assert.ok(tok.body.refresh_token, 'offline_access gives a refresh token');
    const { payload, protectedHeader } = await jose.jwtVerify(tok.body.id_token, jwks, {
      issuer: op.issuer, audience: op.clientId,
    });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload.sub, USERS.alice.sub);
    assert.equal(payload.nonce, flow.nonce);
    assert.equal(payload.email, 'alice@example.com');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.name, 'Alice Example');
    assert.equal(payload.preferred_username, 'alice');
    assert.deepEqual(payload['https://authgate.test/roles'], ['admin']);
    assert.equal(typeof payload.sid, 'string');
    assert.equal(typeof payload.at_hash, 'string');
  });

  test('the code cannot be replayed', async () => {
    const flow = await authorize(new Browser());
    assert.equal((await exchange(flow)).status, 200);
    const again = await exchange(flow);
    assert.equal(again.status, 403);
    assert.equal(again.body.error, 'invalid_grant');
  });

  test('form_post mode, client_secret_post, audience: JWT access token for the API', async () => {
    const browser = new Browser();
    const flow = await authorize(browser, {
      responseMode: 'form_post', scope: 'openid profile email read:data', extra: { audience: API },
    });
    assert.equal(flow.method, 'POST', 'the self-posting form was submitted');
    assert.equal(flow.params.iss, op.issuer);
    const tok = await exchange(flow, 'post');
    assert.equal(tok.status, 200, JSON.stringify(tok.body));
    const { payload, protectedHeader } = await jose.jwtVerify(tok.body.access_token, jwks, { issuer: op.issuer });
    assert.equal(protectedHeader.typ, 'JWT');
    assert.deepEqual(payload.aud, [API, `${op.issuer}userinfo`]);
    assert.equal(payload.azp, op.clientId);
    assert.match(payload.scope, /read:data/);
    assert.deepEqual(payload.permissions, ['read:data', 'write:data']);
    // Like Auth0, the JWT access token also works at /userinfo.
    const ui = await fetch(op.url('/userinfo'), { headers: { authorization: `Bearer ${tok.body.access_token}` } });
    assert.equal(ui.status, 200);
    const claims = await ui.json();
    assert.equal(claims.sub, USERS.alice.sub);
    assert.equal(claims.email, 'alice@example.com');
    assert.deepEqual(claims['https://authgate.test/roles'], ['admin']);
  });

  test('userinfo with the opaque access token carries the custom claims', async () => {
    const flow = await authorize(new Browser(), { user: USERS.carol });
    const tok = await exchange(flow);
    const ui = await fetch(op.url('/userinfo'), { headers: { authorization: `Bearer ${tok.body.access_token}` } });
    assert.equal(ui.status, 200);
    const claims = await ui.json();
    assert.equal(claims.sub, USERS.carol.sub);
    assert.equal(claims.email_verified, false);
    assert.deepEqual(claims['https://authgate.test/roles'], []);
  });

  test('max_age gives auth_time; a wrong password shows the form again', async () => {
    const browser = new Browser();
    const q = new URLSearchParams({
      client_id: op.clientId, response_type: 'code', redirect_uri: `${rp.url}/cb`, scope: 'openid', state: 's', nonce: 'n',
    });
    const form = await browser.get(op.url(`/authorize?${q}`));
    const wrong = await browser.submit(form, 'login-form', { username: USERS.bob.user, password: 'nope' });
    assert.equal(wrong.status, 401);
    assert.ok(isProviderLoginPage(wrong));
    assert.match(wrong.text, /id="error"/);
    const flow = await authorize(browser, { user: USERS.bob, extra: { max_age: '0' }, scope: 'openid' });
    const tok = await exchange(flow);
    const { payload } = await jose.jwtVerify(tok.body.id_token, jwks, { issuer: op.issuer, audience: op.clientId });
    assert.equal(typeof payload.auth_time, 'number');
  });

  test('cancel and blocked users come back as access_denied with iss', async () => {
    const browser = new Browser();
    const q = new URLSearchParams({
      client_id: op.clientId, response_type: 'code', redirect_uri: `${rp.url}/cb`, scope: 'openid', state: 'st',
    });
    const form = await browser.get(op.url(`/authorize?${q}`));
    const denied = (await browser.submit(form, 'deny-form')).json();
    assert.equal(denied.query.error, 'access_denied');
    assert.equal(denied.query.state, 'st');
    assert.equal(denied.query.iss, op.issuer);

    const form2 = await new Browser().get(op.url(`/authorize?${q}`));
    const blocked = await new Browser().submit(form2, 'login-form', {
      username: USERS.blocked.user, password: USERS.blocked.password,
    });
    // A fresh Browser lacks the interaction cookie: the provider must refuse.
    assert.notEqual(blocked.status, 200);
    const b = new Browser();
    const form3 = await b.get(op.url(`/authorize?${q}`));
    const res = (await b.submit(form3, 'login-form', {
      username: USERS.blocked.user, password: USERS.blocked.password,
    })).json();
    assert.equal(res.query.error, 'access_denied');
    assert.equal(res.query.error_description, 'user is blocked');
  });
});

describe('refresh tokens', () => {
  test('rotate on every use; reusing a rotated one fails and revokes the family', async () => {
    const flow = await authorize(new Browser());
    const first = await exchange(flow);
    await op.reset();
    const rt0 = first.body.refresh_token;
    const r1 = await tokenRequest({ grant_type: 'refresh_token', refresh_token: rt0 });
    assert.equal(r1.status, 200, JSON.stringify(r1.body));
    const rt1 = r1.body.refresh_token;
    assert.ok(rt1 && rt1 !== rt0, 'a new refresh token');
    assert.ok(r1.body.id_token, 'a new ID token (openid in scope)');
    const r2 = await tokenRequest({ grant_type: 'refresh_token', refresh_token: rt1 }, { auth: 'post' });
    assert.equal(r2.status, 200);
    const reuse = await tokenRequest({ grant_type: 'refresh_token', refresh_token: rt0 });
    assert.equal(reuse.status, 403);
    assert.equal(reuse.body.error, 'invalid_grant');
    const family = await tokenRequest({ grant_type: 'refresh_token', refresh_token: r2.body.refresh_token });
    assert.equal(family.status, 403, 'reuse revoked the whole family, as at Auth0');
    const stats = await op.stats();
    assert.equal(stats.token.byGrant.refresh_token, 4);
    assert.equal(stats.token.byGrant.authorization_code, undefined);
    assert.equal(stats.token.errors.invalid_grant, 2);
  });

  test('revocation at /oauth/revoke ends the refresh token', async () => {
    const tok = await exchange(await authorize(new Browser()));
    const res = await fetch(op.url('/oauth/revoke'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: tok.body.refresh_token, client_id: op.clientId, client_secret: op.clientSecret,
      }),
    });
    assert.equal(res.status, 200);
    const r = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tok.body.refresh_token });
    assert.equal(r.body.error, 'invalid_grant');
  });
});

describe('logout', () => {
  test('/v2/logout ends the provider session and redirects to an allowed returnTo only', async () => {
    const browser = new Browser();
    await authorize(browser);
    // Signed in at the provider: the next authorize skips the form.
    await authorize(browser, { expectLoginForm: false });
    const bad = await browser.get(op.url(`/v2/logout?client_id=${op.clientId}&returnTo=${encodeURIComponent('http://127.0.0.1:1/elsewhere')}`));
    assert.equal(bad.status, 400);
    const out = await browser.get(
      op.url(`/v2/logout?client_id=${op.clientId}&returnTo=${encodeURIComponent(`${rp.url}/logged-out`)}`),
      { follow: false },
    );
    assert.equal(out.status, 302);
    assert.equal(out.location, `${rp.url}/logged-out`);
    await authorize(browser); // asserts the login form is shown again
  });

  test('/oidc/logout with id_token_hint lands on post_logout_redirect_uri', async () => {
    const browser = new Browser();
    const tok = await exchange(await authorize(browser));
    const q = new URLSearchParams({
      id_token_hint: tok.body.id_token, post_logout_redirect_uri: `${rp.url}/logged-out`, state: 'bye',
    });
    const res = await browser.get(op.url(`/oidc/logout?${q}`));
    assert.equal(res.status, 200);
    assert.equal(res.json().path, '/logged-out');
    assert.equal(res.json().query.state, 'bye');
    await authorize(browser);
  });

  test('back-channel logout reaches the client with a signed logout token', async () => {
    const browser = new Browser();
    const tok = await exchange(await authorize(browser, { user: USERS.dave }));
    const { payload: id } = await jose.jwtVerify(tok.body.id_token, jwks, { issuer: op.issuer, audience: op.clientId });
    rp.skipReceived(); // earlier logouts notified the client too
    const waiting = rp.next('/bcl');
    waiting.catch(() => {}); // awaited below; not an unhandled rejection if an assert fails first
    const sent = await op.backchannelLogout({ sub: USERS.dave.sub });
    assert.equal(sent.sent.length, 1);
    assert.equal(sent.sent[0].ok, true, JSON.stringify(sent));
    const received = await waiting;
    const { payload } = await jose.jwtVerify(received.form.logout_token, jwks, {
      issuer: op.issuer, audience: op.clientId,
    });
    assert.equal(payload.sub, USERS.dave.sub);
    assert.equal(payload.sid, id.sid);
    assert.ok(payload.events['http://schemas.openid.net/event/backchannel-logout']);
    assert.equal(payload.nonce, undefined);
    assert.equal(typeof payload.jti, 'string');
    assert.deepEqual(await op.sessions(USERS.dave.sub), [], 'the provider session ended too');
  });
});

describe('test controls', () => {
  test('fail-token injects 503 and 429 (with rate-limit headers), then recovers', async () => {
    const tok = await exchange(await authorize(new Browser()));
    await op.failToken({ status: 503, grant_type: 'refresh_token' });
    await op.failToken({ status: 429, retryAfter: 2 });
    const a = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tok.body.refresh_token });
    assert.equal(a.status, 503);
    const b = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tok.body.refresh_token });
    assert.equal(b.status, 429);
    assert.equal(b.headers.get('retry-after'), '2');
    assert.match(b.headers.get('x-ratelimit-reset'), /^\d+$/);
    const c = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tok.body.refresh_token });
    assert.equal(c.status, 200, 'the refresh token survived the injected failures');
  });

  test('forge-id-token: tampered signatures fail, re-signed bad claims verify', async () => {
    await op.forgeIdToken({ mode: 'tamper-signature' });
    const t1 = await exchange(await authorize(new Browser()));
    await assert.rejects(jose.jwtVerify(t1.body.id_token, jwks), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });

    await op.forgeIdToken({ mode: 'foreign-key' });
    const t2 = await exchange(await authorize(new Browser()));
    await assert.rejects(jose.jwtVerify(t2.body.id_token, jwks), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });

    await op.forgeIdToken({ mode: 'tamper-payload' });
    const t3 = await exchange(await authorize(new Browser()));
    assert.equal(jose.decodeJwt(t3.body.id_token).sub, 'auth0|mallory');
    await assert.rejects(jose.jwtVerify(t3.body.id_token, jwks), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });

    await op.forgeIdToken({ mode: 'resign', claims: { nonce: 'not-yours' } });
    const t4 = await exchange(await authorize(new Browser()));
    const { payload } = await jose.jwtVerify(t4.body.id_token, jwks, { issuer: op.issuer, audience: op.clientId });
    assert.equal(payload.nonce, 'not-yours');

    const t5 = await exchange(await authorize(new Browser()));
    await jose.jwtVerify(t5.body.id_token, jwks, { issuer: op.issuer, audience: op.clientId });
    assert.equal((await op.stats()).token.forged >= 4, true);
  });

  test('sign mints tokens with the provider key or a foreign one', async () => {
    const good = await op.sign({ sub: 'x', aud: API });
    assert.equal((await jose.jwtVerify(good, jwks, { issuer: op.issuer, audience: API })).payload.sub, 'x');
    const foreign = await op.sign({ sub: 'x' }, { key: 'foreign' });
    await assert.rejects(jose.jwtVerify(foreign, jwks));
  });

  test('stats count authorize requests and their parameters', async () => {
    await op.reset();
    await authorize(new Browser(), { extra: { ui_locales: 'fr', login_hint: 'alice@example.com' } });
    const s = await op.stats();
    assert.equal(s.authorize, 1);
    assert.equal(s.authorizeRequests[0].ui_locales, 'fr');
    assert.equal(s.authorizeRequests[0].login_hint, 'alice@example.com');
  });
});

describe('harness login() through a stand-in gateway', () => {
  test('follows /auth/login -> provider form -> callback -> return_to, in both response modes', async (t) => {
    // Redirect URIs left empty: the provider then accepts any loopback URI.
    const idp = await startProvider({ t });
    let mode = 'query';
    const gw = await startRecorder({
      t,
      respond: async (req, rec, res) => {
        if (rec.path === '/auth/login') {
          const q = new URLSearchParams({
            client_id: idp.clientId, response_type: 'code', scope: 'openid email', state: 'st',
            redirect_uri: `${gw.url}/auth/callback`, response_mode: mode,
          });
          res.writeHead(302, { location: idp.url(`/authorize?${q}`), 'set-cookie': 'txn=1; Path=/auth; HttpOnly' });
          res.end();
          return true;
        }
        if (rec.path === '/auth/callback') {
          const params = rec.method === 'POST' ? rec.form : rec.query;
          const ok = params.code && params.state === 'st' && params.iss === idp.issuer
            && /txn=1/.test(req.headers.cookie ?? '');
          res.writeHead(ok ? 302 : 400, { location: '/done', 'set-cookie': 'sess=abc; Path=/; HttpOnly' });
          res.end();
          return true;
        }
        return false;
      },
    });
    for (mode of ['query', 'form_post']) {
      const browser = new Browser();
      const { response, chain, loginPage } = await login(browser, gw.url, { returnTo: '/done' });
      assert.ok(loginPage, 'the provider login form was shown');
      assert.equal(response.status, 200);
      assert.equal(response.json().path, '/done');
      assert.equal(browser.jar.get('sess').value, 'abc');
      assert.ok(chain.some((c) => c.url.startsWith(`${gw.url}/auth/callback`)
        && c.method === (mode === 'form_post' ? 'POST' : 'GET')), JSON.stringify(chain));
      // Signed in at the provider: the second login is silent.
      const again = await login(browser, gw.url);
      assert.equal(again.loginPage, undefined);
      assert.equal(again.response.json().path, '/done');
      // After /__test/end-session the form is back.
      await idp.endSession({ sub: USERS.alice.sub });
      assert.ok((await login(browser, gw.url)).loginPage);
    }
    await assert.rejects(login(new Browser(), gw.url, { password: 'wrong' }), /refused the login/);
  });

  test('organization: members get org_id, others access_denied', async () => {
    const a = await authorize(new Browser(), { scope: 'openid', extra: { organization: 'org_acme' } });
    const tok = await exchange(a);
    const { payload } = await jose.jwtVerify(tok.body.id_token, jwks, { issuer: op.issuer, audience: op.clientId });
    assert.equal(payload.org_id, 'org_acme');
    const browser = new Browser();
    const q = new URLSearchParams({
      client_id: op.clientId, response_type: 'code', redirect_uri: `${rp.url}/cb`, scope: 'openid', organization: 'org_acme',
    });
    const form = await browser.get(op.url(`/authorize?${q}`));
    const res = await browser.submit(form, 'login-form', { username: USERS.bob.user, password: USERS.bob.password });
    assert.equal(res.json().query.error, 'access_denied');
  });
});
