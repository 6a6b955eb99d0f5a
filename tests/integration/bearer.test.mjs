// Bearer tokens for APIs (issue 7 "Bearer tokens"): access-token JWTs from the local
// provider, through the proxy and on /auth/check. Invalid tokens get 401 JSON with
// WWW-Authenticate: Bearer error="invalid_token" (RFC 6750 s3.1), never a redirect.
import * as assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  Browser, USERS, authgateAvailable, login, startAuthgate, startProvider, startUpstream,
} from '../tooling/lib/index.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (AUTHGATE_BIN)';
const API = 'https://api.authgate.test';
const OTHER_API = 'https://other-api.authgate.test';

describe('bearer tokens', { skip }, () => {
  let op;
  let up;
  let ag;
  const stops = [];

  before(async () => {
    op = await startProvider();
    stops.push(op);
    up = await startUpstream();
    stops.push(up);
    ag = await startAuthgate({
      config: {
        provider: {
          issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret, audience: API,
        },
        session: { store: 'memory' },
        upstream: { url: up.url, pass_access_token: true },
        api: { audiences: [API] },
      },
    });
    stops.push(ag);
  });
  after(async () => {
    for (const s of stops.reverse()) await s.stop();
  });

  const call = (token, { path = '/api/items?x=1', accept = 'application/json', headers = {} } = {}) => fetch(
    `${ag.url}${path}`,
    { headers: { authorization: `Bearer ${token}`, accept, ...headers }, redirect: 'manual' },
  );

  const sign = (claims, opts) => op.sign({ sub: 'auth0|api-client', aud: API, scope: 'read:data', ...claims }, opts);

  async function assertInvalid(res, reason) {
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type'), /application\/json/);
    const challenge = res.headers.get('www-authenticate');
    assert.match(challenge, /^Bearer /);
    assert.match(challenge, /error="invalid_token"/);
    const body = await res.json();
    assert.equal(body.error, 'invalid_token');
    assert.equal(body.error_description, reason);
  }

  test('an access token from a real login (provider audience) is accepted through the proxy', async () => {
    // pass_access_token shows the session's access token to the upstream: the
    // provider issued it as a JWT for API because provider.audience is set.
    const browser = new Browser();
    const { response } = await login(browser, ag.url, { returnTo: '/echo' });
    assert.equal(response.status, 200);
    const echo = await browser.request(`${ag.url}/echo`, { accept: 'application/json' });
    const authz = echo.json().identity.authorization;
    assert.match(authz, /^Bearer ey/);
    const token = authz.slice('Bearer '.length);
    const res = await call(token);
    assert.equal(res.status, 200);
    const seen = await res.json();
    assert.equal(seen.identity['x-auth-request-user'], USERS.alice.sub);
    assert.equal(seen.identity.authorization, `Bearer ${token}`, 'the validated token passes');
    assert.deepEqual(seen.query, { x: '1' });
    assert.equal(seen.identity['x-auth-request-session'], undefined);
  });

  test('a minted token with the right audience is accepted, repeatedly', async () => {
    const token = await sign({ email: 'svc@example.com' });
    for (let i = 0; i < 3; i += 1) {
      const res = await call(token);
      assert.equal(res.status, 200);
      const seen = await res.json();
      assert.equal(seen.identity['x-auth-request-user'], 'auth0|api-client');
      assert.equal(seen.identity['x-auth-request-email'], 'svc@example.com');
    }
    // at+jwt (RFC 9068) is accepted too.
    const at = await sign({}, { header: { typ: 'at+jwt' } });
    assert.equal((await call(at)).status, 200);
  });

  test('/auth/check accepts the bearer token and answers the identity headers', async () => {
    const token = await sign({});
    const res = await call(token, { path: '/auth/check' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-auth-request-user'), 'auth0|api-client');
    await assertInvalid(await call(await sign({ aud: OTHER_API }), { path: '/auth/check' }), 'audience_mismatch');
  });

  test('wrong audience is refused', async () => {
    await assertInvalid(await call(await sign({ aud: OTHER_API })), 'audience_mismatch');
  });

  test('an expired token is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    await assertInvalid(await call(await sign({ iat: now - 7200, exp: now - 3600 })), 'expired');
  });

  test('a token from another issuer is refused', async () => {
    await assertInvalid(await call(await sign({ iss: 'https://evil.example/' })), 'issuer_mismatch');
  });

  test('a bad signature is refused', async () => {
    await assertInvalid(await call(await sign({}, { key: 'foreign' })), 'bad_signature');
    const good = await sign({});
    const [h, p, s] = good.split('.');
    const flipped = `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const res = await call(flipped);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate'), /error="invalid_token"/);
  });

  test('an ID-token-like JWT (no typ) and garbage are refused', async () => {
    await assertInvalid(await call(await sign({}, { header: { typ: null } })), 'typ_mismatch');
    await assertInvalid(await call('not-a-jwt'), 'malformed_token');
  });

  test('a browser navigation with a bad token gets the 401, never a redirect', async () => {
    const res = await call(await sign({ aud: OTHER_API }), { accept: 'text/html,application/xhtml+xml' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('location'), null);
  });

  test('the token never appears in the error body', async () => {
    const token = await sign({ aud: OTHER_API });
    const res = await call(token);
    const text = await res.text();
    assert.ok(!text.includes(token.split('.')[1]));
  });
});
