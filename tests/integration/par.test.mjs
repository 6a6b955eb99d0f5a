// Issue 19: Pushed Authorization Requests (RFC 9126) and signed request objects (JAR,
// RFC 9101) against the local provider (oidc-provider checks both itself), with Auth0's
// /oauth/par path. A full login, refresh and logout with PAR required by the provider
// (client_secret_basic and private_key_jwt), with a signed request object pushed by
// value and one sent in the URL; then the failures: a request_uri that expired before
// the browser used it, a PAR endpoint that is down or refuses, and
// pushed_authorization_requests: always against a provider without the endpoint.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

import {
  Browser, USERS, authgateAvailable, freePort, login, sleep, startAuthgate, startProvider, tempDir,
} from '../tooling/lib/index.mjs';
import { api, confirmLogout, lifecycleConfig, me } from './lifecycle_helpers.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';
const BIN = process.env.AUTHGATE_BIN ?? 'build/release/src/cli/authgate';

/** A key pair: the PKCS#8 PEM in a file, and the public JWK with `kid`. */
function keyPair(kind, kid) {
  const { privateKey, publicKey } = kind === 'ec'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const file = path.join(tempDir(), `${kid}.pem`);
  fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return { file, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' } };
}

const parStats = async (op) => (await fetch(op.url('/__test/par'))).json();
const lastAuthorize = async (op) => (await op.stats()).authorizeRequests.at(-1);


/** Login, refresh and logout; the provider saw every login through PAR. */
async function fullCycle(op, ag) {
  const browser = new Browser();
  const done = await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
  assert.ok(done.loginPage, 'the provider asked for the password');
  assert.equal((await me(browser, ag)).status, 200, 'signed in');
  const refreshed = await api(browser, `${ag.url}/auth/refresh`, { method: 'POST' });
  assert.equal(refreshed.status, 200, refreshed.text);
  assert.equal((await op.stats()).token.byGrant.refresh_token, 1, 'one refresh grant');
  const out = await confirmLogout(browser, ag);
  const chain = out.chain.map((c) => new URL(c.url).pathname);
  assert.ok(chain.includes('/oidc/logout'), `logout went through the provider: ${chain.join(' -> ')}`);
  assert.equal((await op.stats()).revoke, 1, 'logout revoked the refresh token');
  assert.equal((await me(browser, ag)).status, 401, 'signed out');
}

test('PAR required by the provider: login, refresh and logout; the browser carries only client_id and request_uri', { skip }, async (t) => {
  const op = await startProvider({ t, par: 'required' });
  const ag = await startAuthgate({ t, config: lifecycleConfig(op) });
  const probe = execFileSync(BIN, ['check-config', '-c', ag.configFile], { encoding: 'utf8' });
  assert.match(probe, /pushed authorization requests: used \(\S+\/oauth\/par\)/);
  const discovered = execFileSync(BIN, ['discover', '-c', ag.configFile], { encoding: 'utf8' });
  assert.match(discovered, /pushed_authorization_request_endpoint: \S+\/oauth\/par \(required\)/);
  assert.match(discovered, /pushed authorization requests: yes/);
  await fullCycle(op, ag);

  const par = await parStats(op);
  assert.equal(par.total, 1, 'one pushed request');
  for (const name of ['response_type', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method']) {
    assert.ok(par.lastNames.includes(name), `${name} was pushed: ${par.lastNames}`);
  }
  assert.ok(!par.lastNames.includes('client_secret'), 'client_secret_basic: the secret is in the header');
  const authorize = await lastAuthorize(op);
  assert.deepEqual(Object.keys(authorize).sort(), ['client_id', 'request_uri']);
  assert.match(authorize.request_uri, /^urn:ietf:params:oauth:request_uri:/);
  assert.equal(par.requestUris, 1);
  const log = ag.service.output();
  assert.ok(!log.includes(op.clientSecret), 'no secret in the log');
});

test("an Auth0 issuer (provider.type: auth0): custom parameters are pushed with Auth0's ext- prefix", { skip }, async (t) => {
  const op = await startProvider({ t, par: true });
  const ag = await startAuthgate({
    t,
    config: lifecycleConfig(op, {
      provider: {
        ...lifecycleConfig(op).provider, type: 'auth0',
        extra_authorize_params: { tenant_hint: 'blue', invitation: 'inv-1' },
      },
    }),
  });
  const res = await new Browser().request(`${ag.url}/auth/login`, { follow: false });
  assert.equal(res.status, 302, res.text);
  const { lastNames } = await parStats(op);
  assert.ok(lastNames.includes('ext-tenant_hint'), `${lastNames}`);
  assert.ok(!lastNames.includes('tenant_hint'));
  assert.ok(lastNames.includes('invitation'), 'a parameter Auth0 reads by name keeps it');
});

test('PAR with private_key_jwt: the push carries a client assertion, like the token endpoint', { skip }, async (t) => {
  const key = keyPair('rsa', 'client-1');
  const op = await startProvider({
    t, par: 'required', tokenEndpointAuthMethod: 'private_key_jwt', clientJwks: { keys: [key.jwk] },
  });
  const config = lifecycleConfig(op);
  const ag = await startAuthgate({
    t,
    config: {
      ...config,
      provider: {
        ...config.provider, client_auth_method: 'private_key_jwt', client_private_key_file: key.file,
        client_key_id: key.jwk.kid, client_secret: null, pushed_authorization_requests: 'always',
      },
    },
  });
  await fullCycle(op, ag);
  const par = await parStats(op);
  assert.equal(par.total, 1);
  assert.ok(par.lastNames.includes('client_assertion'), `pushed with an assertion: ${par.lastNames}`);
  assert.equal(par.lastNames.filter((n) => n === 'client_id').length, 1, 'one client_id');
  assert.ok(!par.lastNames.includes('client_secret'));
});

test('JAR: a signed request object pushed by value, with its own key; keys client-jwk --request-object', { skip }, async (t) => {
  const client = keyPair('rsa', 'client-1');
  const jar = keyPair('ec', 'jar-1');
  const op = await startProvider({
    t, par: 'required', requestObjects: 'required',
    tokenEndpointAuthMethod: 'private_key_jwt', clientJwks: { keys: [client.jwk, jar.jwk] },
  });
  const config = lifecycleConfig(op);
  const ag = await startAuthgate({
    t,
    config: {
      ...config,
      provider: {
        ...config.provider, client_auth_method: 'private_key_jwt', client_private_key_file: client.file,
        client_key_id: 'client-1', client_secret: null, signed_authorize_requests: true,
        request_object_signing_key_file: jar.file, request_object_signing_alg: 'ES256',
        request_object_key_id: 'jar-1',
      },
    },
  });
  const printed = JSON.parse(execFileSync(BIN, ['keys', 'client-jwk', '--request-object', '-c', ag.configFile], { encoding: 'utf8' }));
  assert.equal(printed.x, jar.jwk.x);
  assert.equal(printed.y, jar.jwk.y);
  assert.equal(printed.kid, 'jar-1');
  assert.equal(printed.alg, 'ES256');
  assert.ok(!('d' in printed), 'no private member');
  const clientJwk = JSON.parse(execFileSync(BIN, ['keys', 'client-jwk', '-c', ag.configFile], { encoding: 'utf8' }));
  assert.equal(clientJwk.kid, 'client-1', 'without the flag: the client key, as before');
  const offline = execFileSync(BIN, ['check-config', '--offline', '-c', ag.configFile], { encoding: 'utf8' });
  assert.match(offline, /request object key: ES256, kid jar-1/);

  await fullCycle(op, ag);
  const par = await parStats(op);
  assert.deepEqual(par.lastNames.filter((n) => !n.startsWith('client_assertion')).sort(), ['client_id', 'request']);
  const { header, claims } = par.lastRequestObject;
  assert.equal(header.alg, 'ES256');
  assert.equal(header.kid, 'jar-1', 'signed with the request-object key, not the client key');
  assert.equal(header.typ, 'oauth-authz-req+jwt');
  assert.equal(claims.iss, op.clientId);
  assert.equal(claims.aud, op.issuer);
  assert.equal(claims.client_id, op.clientId);
  assert.ok(claims.exp - claims.nbf <= 60 && claims.exp > claims.nbf, 'lives a minute');
  assert.match(claims.jti, /^[A-Za-z0-9_-]{32}$/);
  assert.ok(claims.state && claims.nonce && claims.code_challenge, 'the parameters are inside');
});

test('JAR without PAR: the request object goes by value in the URL', { skip }, async (t) => {
  const jar = keyPair('rsa', 'jar-rsa');
  const op = await startProvider({ t, requestObjects: 'required', clientJwks: { keys: [jar.jwk] } });
  const config = lifecycleConfig(op);
  const ag = await startAuthgate({
    t,
    config: {
      ...config,
      provider: {
        ...config.provider, signed_authorize_requests: true, request_object_signing_key_file: jar.file,
        request_object_signing_alg: 'PS256', request_object_key_id: 'jar-rsa',
      },
    },
  });
  const browser = new Browser();
  await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
  assert.equal((await me(browser, ag)).status, 200, 'signed in');
  assert.equal((await parStats(op)).total, 0, 'nothing pushed: the provider has no PAR endpoint');
  const authorize = await lastAuthorize(op);
  assert.deepEqual(Object.keys(authorize).sort(), ['client_id', 'request', 'response_type', 'scope']);
  const header = JSON.parse(Buffer.from(authorize.request.split('.')[0], 'base64url'));
  assert.equal(header.alg, 'PS256');
});

test('a request object the provider cannot verify: the provider-error page and a log line naming the key', { skip }, async (t) => {
  const port = await freePort();
  const jar = keyPair('rsa', 'jar-rsa');
  const registered = keyPair('rsa', 'jar-rsa'); // same kid, another key
  const op = await startProvider({
    t, requestObjects: 'required', clientJwks: { keys: [registered.jwk] },
    redirectUris: [`http://127.0.0.1:${port}/auth/callback`],
  });
  const config = lifecycleConfig(op, { server: { listen: `127.0.0.1:${port}` } });
  const ag = await startAuthgate({
    t,
    config: {
      ...config,
      provider: {
        ...config.provider, signed_authorize_requests: true, request_object_signing_key_file: jar.file,
        request_object_key_id: 'jar-rsa',
      },
    },
  });
  const browser = new Browser();
  const res = await browser.get(`${ag.url}/auth/login`);
  assert.equal(res.status, 400, res.text);
  assert.match(res.text, /invalid_request_object/);
  assert.equal((await me(browser, ag)).status, 401, 'no session');
  assert.match(ag.service.output(), /public key of provider\.request_object_signing_key_file \(authgate keys client-jwk --request-object\)/);
});

test('an expired request_uri: a clear page, and a fresh login works (no loop)', { skip }, async (t) => {
  const port = await freePort();
  const callback = `http://127.0.0.1:${port}/auth/callback`;
  // One registered redirect URI, so the provider can send its error back to authgate.
  const op = await startProvider({ t, par: 'required', parRequestUriTtl: 1, redirectUris: [callback] });
  const ag = await startAuthgate({ t, config: lifecycleConfig(op, { server: { listen: `127.0.0.1:${port}` } }) });
  const browser = new Browser();
  const start = await browser.request(`${ag.url}/auth/login`, { follow: false });
  assert.equal(start.status, 302);
  assert.match(start.headers.get('location'), /request_uri=urn/);
  await sleep(2500); // longer than the request_uri lives
  const late = await browser.get(start.headers.get('location'));
  const chain = late.chain.map((c) => new URL(c.url).pathname);
  assert.equal(late.status, 400, `${chain.join(' -> ')}\n${late.text}`);
  assert.match(late.text, /This sign-in request has expired/);
  assert.match(late.text, /href="\/auth\/login"/, 'a link to start again');
  assert.ok(chain.filter((p) => p === '/auth/login').length === 0, `nothing restarted by itself: ${chain.join(' -> ')}`);
  assert.match(ag.service.output(), /request_uri had expired or was already used/);

  const again = await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
  assert.ok(again.loginPage, 'a fresh login reaches the provider');
  assert.equal((await me(browser, ag)).status, 200, 'signed in after starting again');
});

test('the PAR endpoint down or refusing: a clear 503/502 page, nothing stored, the next login works', { skip }, async (t) => {
  const op = await startProvider({ t, par: true });
  const db = path.join(tempDir(), 'authgate.db');
  const ag = await startAuthgate({ t, config: lifecycleConfig(op, { session: { store: `sqlite:${db}` } }) });
  const transactions = () => Number(execFileSync('sqlite3', [db, "SELECT count(*) FROM kv WHERE key LIKE 'txn:%'"], { encoding: 'utf8' }).trim());
  const browser = new Browser();

  // A reset on a reused connection is tried once more on a new one (libcurl), so the
  // reset rule covers two attempts.
  for (const rule of [{ count: 1, status: 503 }, { count: 2, mode: 'reset' }]) {
    await op.control('fail-par', rule);
    const res = await browser.request(`${ag.url}/auth/login`, { follow: false });
    assert.equal(res.status, 503, `${JSON.stringify(rule)}: ${res.text}`);
    assert.equal(res.headers.get('retry-after'), '30');
    assert.match(res.text, /Sign-in is not available right now/);
    assert.ok(!res.headers.get('set-cookie'), 'no login cookie');
    assert.equal(transactions(), 0, 'no login transaction stored');
  }
  // A refusal is the site's problem, not the provider being down: 502, and the log says
  // what the provider said and what to check.
  await op.control('fail-par', { count: 1, status: 400 });
  const refused = await browser.request(`${ag.url}/auth/login`, { follow: false });
  assert.equal(refused.status, 502, refused.text);
  assert.match(refused.text, /Sign-in is not working on this site/);
  assert.equal(transactions(), 0);
  const log = ag.service.output();
  assert.match(log, /the PAR endpoint refused the pushed authorization request: HTTP 400 temporarily_unavailable/);
  assert.match(log, /pushed_authorization_requests: never/);
  assert.ok(!log.includes(op.clientSecret), 'no secret in the log');
  assert.ok((await parStats(op)).failed >= 3);

  const done = await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
  assert.ok(done.loginPage);
  assert.equal((await me(browser, ag)).status, 200, 'the next login works');
  assert.equal(transactions(), 0, 'the callback took its transaction');
});

test('pushed_authorization_requests: always without the endpoint: serve and check-config refuse', { skip }, async (t) => {
  const op = await startProvider({ t });
  const cfg = path.join(tempDir(), 'authgate.yaml');
  const config = lifecycleConfig(op, { server: { listen: `127.0.0.1:${await freePort()}` } });
  config.provider.pushed_authorization_requests = 'always';
  fs.writeFileSync(cfg, JSON.stringify(config));
  let checked;
  try { execFileSync(BIN, ['check-config', '-c', cfg], { encoding: 'utf8', stdio: 'pipe' }); } catch (e) { checked = e; }
  assert.ok(checked, 'check-config fails');
  assert.equal(checked.status, 1);
  assert.match(checked.stderr, /provider\.pushed_authorization_requests: always, but the provider's discovery .* has no pushed_authorization_request_endpoint/);
  let served;
  try {
    execFileSync(BIN, ['serve', '-c', cfg], { encoding: 'utf8', stdio: 'pipe', timeout: 20000 });
  } catch (e) { served = e; }
  assert.ok(served, 'serve exits with an error');
  assert.equal(served.signal, null, 'serve exited by itself (it did not start)');
  assert.notEqual(served.status, 0);
  assert.match(served.stderr + served.stdout, /provider\.pushed_authorization_requests: always, but/);
  // A value that is not one of the three is a settings problem.
  config.provider.pushed_authorization_requests = 'sometimes';
  fs.writeFileSync(cfg, JSON.stringify(config));
  let bad;
  try { execFileSync(BIN, ['check-config', '--offline', '-c', cfg], { encoding: 'utf8', stdio: 'pipe' }); } catch (e) { bad = e; }
  assert.match(bad.stderr, /provider\.pushed_authorization_requests: "sometimes" is not supported/);
});
