// Issue 19: authgate authenticates to the provider with a client assertion
// (private_key_jwt, client_secret_jwt; OIDC Core s9, RFC 7523). For each method a full
// login, a refresh and a logout (revocation) against the local provider, which checks
// the assertions itself (oidc-provider), with Auth0's rule that `aud` is the issuer.
// Then the provider's refusals: a replayed and an expired assertion (rewritten by the
// provider's test-only control endpoint), a wrong `aud` and a wrong key, each shown to
// the user as a clear page and to the operator as a log line naming what to check.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

import {
  Browser, USERS, authgateAvailable, login, startAuthgate, startProvider, tempDir,
} from '../tooling/lib/index.mjs';
import { api, confirmLogout, lifecycleConfig, me } from './lifecycle_helpers.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';
const BIN = process.env.AUTHGATE_BIN ?? 'build/release/src/cli/authgate';
const LONG_SECRET = 'authgate-test-secret-for-hs256-0123456789abcdef';

/** A key pair: the PKCS#8 PEM in a file, and the public JWK with `kid`. */
function clientKey(kind = 'rsa', kid = 'authgate-client-1') {
  const { privateKey, publicKey } = kind === 'ec'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  const file = path.join(tempDir(), 'client.pem');
  fs.writeFileSync(file, pem, { mode: 0o600 });
  return { pem, file, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' } };
}

const thumbprint = (jwk) => crypto.createHash('sha256')
  .update(JSON.stringify({ crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y }))
  .digest('base64url');


const METHODS = [
  {
    name: 'private_key_jwt (RS256, configured kid)',
    alg: 'RS256',
    setup() {
      const key = clientKey('rsa');
      return {
        key,
        op: { tokenEndpointAuthMethod: 'private_key_jwt', clientJwks: { keys: [key.jwk] } },
        provider: {
          client_auth_method: 'private_key_jwt', client_private_key_file: key.file,
          client_key_id: key.jwk.kid, client_secret: null,
        },
      };
    },
  },
  {
    name: 'private_key_jwt (ES256, thumbprint kid)',
    alg: 'ES256',
    setup() {
      const key = clientKey('ec');
      // authgate is given no kid: it sends the RFC 7638 thumbprint, under which the
      // provider holds the key.
      key.jwk.kid = thumbprint(key.jwk);
      key.thumbprintKid = true;
      return {
        key,
        op: { tokenEndpointAuthMethod: 'private_key_jwt', clientJwks: { keys: [key.jwk] } },
        provider: {
          client_auth_method: 'private_key_jwt', client_private_key_file: key.file,
          client_signing_alg: 'ES256', client_secret: null,
        },
      };
    },
  },
  {
    name: 'client_secret_jwt (HS256)',
    alg: 'HS256',
    setup() {
      return {
        op: { tokenEndpointAuthMethod: 'client_secret_jwt', clientSecret: LONG_SECRET },
        provider: { client_auth_method: 'client_secret_jwt', client_secret: LONG_SECRET },
      };
    },
  },
];

for (const m of METHODS) {
  test(`${m.name}: login, refresh and logout, each authenticated by a fresh assertion`, { skip }, async (t) => {
    const s = m.setup();
    const op = await startProvider({ t, ...s.op });
    const ag = await startAuthgate({ t, config: lifecycleConfig(op, { provider: { ...lifecycleConfig(op).provider, ...s.provider } }) });
    // check-config's online probe authenticates the same way, and is accepted.
    const probe = execFileSync(BIN, ['check-config', '-c', ag.configFile], { encoding: 'utf8' });
    assert.match(probe, /client credentials: accepted by \S+\/oauth\/token/);
    await op.reset();
    const browser = new Browser();
    const done = await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
    assert.ok(done.loginPage, 'the provider asked for the password');
    assert.equal((await me(browser, ag)).status, 200, 'signed in');

    let stats = await op.stats();
    assert.equal(stats.token.byGrant.authorization_code, 1);
    assert.equal(stats.token.errors.invalid_client ?? 0, 0);
    const a = stats.assertions;
    assert.equal(a.total, 1, 'the code exchange carried a client assertion');
    assert.equal(a.lastHeader.alg, m.alg);
    assert.equal(a.lastClaims.iss, op.clientId);
    assert.equal(a.lastClaims.sub, op.clientId);
    assert.equal(a.lastClaims.aud, op.issuer, 'aud is the issuer, with its trailing slash');
    assert.ok(a.lastClaims.exp - a.lastClaims.iat <= 300, 'lives 5 minutes or less');
    assert.match(a.lastClaims.jti, /^[A-Za-z0-9_-]{32}$/);
    if (s.key?.thumbprintKid) {
      assert.equal(a.lastHeader.kid, thumbprint(s.key.jwk), 'the kid is the RFC 7638 thumbprint');
    } else if (s.key) {
      assert.equal(a.lastHeader.kid, s.key.jwk.kid, 'the configured kid');
    }
    const firstJti = a.lastClaims.jti;

    const refreshed = await api(browser, `${ag.url}/auth/refresh`, { method: 'POST' });
    assert.equal(refreshed.status, 200, refreshed.text);
    stats = await op.stats();
    assert.equal(stats.token.byGrant.refresh_token, 1, 'one refresh grant');
    assert.equal(stats.token.errors.invalid_client ?? 0, 0, 'the refresh assertion was accepted');
    assert.notEqual(stats.assertions.lastClaims.jti, firstJti, 'a fresh jti for the refresh');

    const tokensBefore = (await op.tokens(USERS.alice.sub)).filter((k) => k.kind === 'RefreshToken' && !k.consumed);
    assert.ok(tokensBefore.length >= 1, 'a live refresh token before logout');
    const out = await confirmLogout(browser, ag);
    const chain = out.chain.map((c) => new URL(c.url).pathname);
    assert.ok(chain.includes('/oidc/logout'), `logout went through the provider: ${chain.join(' -> ')}`);
    stats = await op.stats();
    assert.equal(stats.revoke, 1, 'logout revoked the refresh token');
    const tokensAfter = (await op.tokens(USERS.alice.sub)).filter((k) => k.kind === 'RefreshToken' && !k.consumed);
    assert.equal(tokensAfter.length, 0, 'the provider accepted the revocation (its assertion too)');
    assert.equal((await me(browser, ag)).status, 401, 'signed out');
    assert.ok(!ag.service.output().includes('revocation at the provider answered'), ag.service.output());
  });
}

test('authgate keys client-jwk prints the public JWK the provider verifies with', { skip }, async () => {
  const key = clientKey('rsa');
  const dir = tempDir();
  const cfg = path.join(dir, 'authgate.yaml');
  fs.writeFileSync(cfg, JSON.stringify({
    provider: {
      issuer: 'https://tenant.auth0.com/', client_id: 'cid', client_auth_method: 'private_key_jwt',
      client_private_key_file: key.file, client_signing_alg: 'PS256',
    },
    session: { store: 'memory' },
  }));
  const out = JSON.parse(execFileSync(BIN, ['keys', 'client-jwk', '-c', cfg], { encoding: 'utf8' }));
  assert.equal(out.n, key.jwk.n);
  assert.equal(out.e, key.jwk.e);
  assert.equal(out.alg, 'PS256');
  assert.equal(out.use, 'sig');
  assert.equal(out.kid.length, 43, 'no client_key_id: the RFC 7638 thumbprint');
  assert.ok(!('d' in out) && !('p' in out), 'no private member');
  const offline = execFileSync(BIN, ['check-config', '--offline', '-c', cfg], { encoding: 'utf8' });
  assert.match(offline, new RegExp(`client key: PS256, kid ${out.kid}`));

  // A P-256 key configured for RS256 is refused by check-config, with the setting named.
  const ec = clientKey('ec');
  fs.writeFileSync(cfg, JSON.stringify({
    provider: {
      issuer: 'https://tenant.auth0.com/', client_id: 'cid', client_auth_method: 'private_key_jwt',
      client_private_key_file: ec.file,
    },
    session: { store: 'memory' },
  }));
  let err;
  try { execFileSync(BIN, ['check-config', '--offline', '-c', cfg], { encoding: 'utf8', stdio: 'pipe' }); } catch (e) { err = e; }
  assert.ok(err, 'check-config fails');
  assert.equal(err.status, 1);
  assert.match(err.stderr, /provider\.client_private_key_file: .*key_alg_mismatch.* for provider\.client_signing_alg RS256/);

  // serve refuses to start with it.
  let served;
  try {
    execFileSync(BIN, ['serve', '-c', cfg], { encoding: 'utf8', stdio: 'pipe', timeout: 20000 });
  } catch (e) { served = e; }
  assert.ok(served, 'serve exits with an error');
  assert.equal(served.signal, null, 'serve exited by itself (it did not start)');
  assert.notEqual(served.status, 0);
  assert.match(served.stderr + served.stdout, /provider\.client_private_key_file: key_alg_mismatch/);
});

describe('the provider refuses an assertion: a clear page and log line', () => {
  const refusal = async (t, { op: opExtra = {}, provider: agExtra = {}, before } = {}) => {
    const key = clientKey('rsa');
    const op = await startProvider({
      t, tokenEndpointAuthMethod: 'private_key_jwt', clientJwks: { keys: [key.jwk] }, ...opExtra,
    });
    const config = lifecycleConfig(op);
    const ag = await startAuthgate({
      t,
      config: {
        ...config,
        provider: {
          ...config.provider, client_auth_method: 'private_key_jwt', client_private_key_file: key.file,
          client_key_id: key.jwk.kid, client_secret: null, ...agExtra,
        },
      },
    });
    const browser = new Browser();
    if (before) await before({ op, ag, browser, key });
    const res = await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
    assert.equal(res.response.status, 502, res.response.text);
    assert.match(res.response.text, /Sign-in is not working on this site/);
    assert.match(res.response.text, /<code>invalid_client<\/code>/);
    assert.equal((await me(browser, ag)).status, 401, 'no session');
    const log = ag.service.output();
    assert.match(log, /token endpoint refused the code exchange: HTTP 401 invalid_client/);
    assert.match(log, /client assertion \(private_key_jwt\): check provider\.client_id/);
    assert.ok(!log.includes('eyJ'), 'no JWT in the log');
    return { log, op };
  };

  test('a replayed assertion (its jti was used)', { skip }, async (t) => {
    const { op } = await refusal(t, {
      before: async ({ op: p, ag, browser }) => {
        await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
        await confirmLogout(browser, ag);
        await p.control('tamper-assertion', { mode: 'replay' });
      },
    });
    assert.equal((await op.stats()).assertions.tampered, 1);
  });

  test('an expired assertion', { skip }, async (t) => {
    let pem;
    await refusal(t, {
      before: async ({ op, key }) => {
        pem = key.pem;
        await op.control('tamper-assertion', { mode: 'expired', key: pem });
      },
    });
  });

  test('a wrong aud: the provider wants its token endpoint, authgate sends the issuer', { skip }, async (t) => {
    await refusal(t, { op: { clientAssertionAudience: 'token_endpoint' } });
  });

  test('a wrong key: the registered public key is another', { skip }, async (t) => {
    const other = clientKey('rsa');
    let configFile;
    await refusal(t, {
      op: { clientJwks: { keys: [other.jwk] } },
      before: ({ ag }) => { configFile = ag.configFile; },
    });
    // check-config's probe says the same, naming the key setting, not the secret.
    let err;
    try { execFileSync(BIN, ['check-config', '-c', configFile], { encoding: 'utf8', stdio: 'pipe' }); } catch (e) { err = e; }
    assert.ok(err, 'check-config fails');
    assert.match(err.stderr, /provider\.client_private_key_file: the provider refused authgate's client assertion at \S+\/oauth\/token \(HTTP 401, invalid_client/);
    assert.match(err.stderr, /provider\.client_key_id \(authgate-client-1\)/);
  });
});
