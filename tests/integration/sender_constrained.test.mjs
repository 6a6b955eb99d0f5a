// Issue 19: sender-constrained tokens and certificate client authentication against the
// local provider (oidc-provider checks the proofs and certificates itself).
// - DPoP (RFC 9449) with a nonce challenge: a login, a refresh and a logout; the
//   provider's tokens are bound to authgate's key (their jkt is its thumbprint); the
//   nonce is cached per endpoint; a provider that ignores DPoP is refused with a page.
// - mTLS client authentication (RFC 8705): an https front of the provider asks for a
//   client certificate; authgate takes the token and revocation endpoints from
//   mtls_endpoint_aliases and presents its certificate there, CA-issued
//   (tls_client_auth) or self-signed and registered as a JWK (self_signed_tls_client_auth).
//   A certificate from another CA, and no certificate at all, give a clear page. Certificates are made here with
//   openssl; nothing is committed.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

import {
  Browser, USERS, authgateAvailable, login, startAuthgate, startProvider, startRecorder, tempDir,
} from '../tooling/lib/index.mjs';
import { api, lifecycleConfig, me } from './lifecycle_helpers.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';
const BIN = process.env.AUTHGATE_BIN ?? 'build/release/src/cli/authgate';

const decodeJwt = (jwt) => {
  const [h, p] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
  };
};
const ecThumbprint = (jwk) => crypto.createHash('sha256')
  .update(JSON.stringify({ crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y }))
  .digest('base64url');

function dpopKey() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const file = path.join(tempDir(), 'dpop.pem');
  fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return { file, jkt: ecThumbprint(publicKey.export({ format: 'jwk' })) };
}

async function confirmLogout(browser, ag) {
  const page = await browser.get(`${ag.url}/auth/logout`);
  assert.equal(page.status, 200, page.text);
  const [form] = page.forms();
  return browser.request(form.action, {
    method: 'POST',
    form: Object.fromEntries(form.fields.map((f) => [f.name, f.value])),
    headers: { origin: new URL(ag.url).origin },
  });
}

function dpopConfig(op, key, extra = {}) {
  const base = lifecycleConfig(op);
  return {
    ...base,
    provider: { ...base.provider, dpop: true, dpop_key_file: key.file, ...extra },
    // The tests of the upstream model set their own.
    upstream: { pass_access_token: false },
  };
}

describe('DPoP (RFC 9449)', () => {
  test('login, refresh and logout with a nonce challenge; the tokens are bound to the key', { skip }, async (t) => {
    const key = dpopKey();
    const op = await startProvider({
      t, dpop: true, dpopNonce: true, mainClient: { dpop_bound_access_tokens: true },
    });
    // fetch_userinfo: UserInfo is called with the DPoP-bound token and a proof with ath.
    const ag = await startAuthgate({ t, config: dpopConfig(op, key, { fetch_userinfo: true }) });
    const probe = execFileSync(BIN, ['check-config', '-c', ag.configFile], { encoding: 'utf8' });
    assert.match(probe, /client credentials: accepted by \S+\/oauth\/token/, 'the probe sends a proof too');
    await op.reset();
    // What the provider saw from here on (the probe's exchanges stay in its record).
    const seen = (await op.tokenExchanges()).length;
    const exchangesSince = async () => (await op.tokenExchanges()).slice(seen);

    const browser = new Browser();
    const done = await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
    assert.ok(done.loginPage, 'the provider asked for the password');
    assert.equal((await me(browser, ag)).status, 200, 'signed in');

    let stats = await op.stats();
    // The first exchange has no nonce: the provider answers use_dpop_nonce with one,
    // and authgate sends the exchange once more (the code is still unused).
    assert.equal(stats.token.byGrant.authorization_code, 2);
    assert.equal(stats.token.errors.use_dpop_nonce, 1);
    assert.equal(stats.token.errors.invalid_client ?? 0, 0);
    // UserInfo is another endpoint: its own challenge, then the retry.
    assert.equal(stats.userinfo, 2, 'UserInfo challenged once, then answered');

    let exchanges = (await exchangesSince()).filter((e) => e.grant_type === 'authorization_code');
    assert.equal(exchanges.length, 2);
    const [first, second] = exchanges.map((e) => decodeJwt(e.dpop));
    for (const proof of [first, second]) {
      assert.equal(proof.header.typ, 'dpop+jwt');
      assert.equal(proof.header.alg, 'ES256');
      assert.deepEqual(Object.keys(proof.header.jwk).sort(), ['crv', 'kty', 'x', 'y'], 'the public key only');
      assert.equal(ecThumbprint(proof.header.jwk), key.jkt, 'the configured key');
      assert.equal(proof.payload.htm, 'POST');
      assert.equal(proof.payload.htu, `${op.issuer}oauth/token`);
      assert.equal(proof.payload.ath, undefined, 'no token is presented at the token endpoint');
      assert.ok(Math.abs(proof.payload.iat - Date.now() / 1000) < 30);
    }
    assert.equal(first.payload.nonce, undefined, 'no nonce known yet');
    assert.equal(typeof second.payload.nonce, 'string', 'the retry carries the nonce');
    assert.notEqual(first.payload.jti, second.payload.jti, 'a fresh jti');

    // What the provider stored: DPoP-bound access tokens with authgate's thumbprint.
    let access = (await op.tokens(USERS.alice.sub)).filter((k) => k.kind === 'AccessToken');
    assert.ok(access.length >= 1);
    for (const a of access) assert.equal(a.jkt, key.jkt, 'cnf.jkt is the key thumbprint');

    const refreshed = await api(browser, `${ag.url}/auth/refresh`, { method: 'POST' });
    assert.equal(refreshed.status, 200, refreshed.text);
    stats = await op.stats();
    assert.ok(stats.token.byGrant.refresh_token >= 1);
    exchanges = (await exchangesSince()).filter((e) => e.grant_type === 'refresh_token');
    const refreshProof = decodeJwt(exchanges[0].dpop);
    assert.equal(typeof refreshProof.payload.nonce, 'string', 'the cached nonce goes with the first try');
    assert.equal(refreshProof.payload.htu, `${op.issuer}oauth/token`);
    access = (await op.tokens(USERS.alice.sub)).filter((k) => k.kind === 'AccessToken');
    assert.ok(access.length >= 2, 'a new access token');
    for (const a of access) assert.equal(a.jkt, key.jkt);

    const out = await confirmLogout(browser, ag);
    assert.ok(out.chain.some((c) => new URL(c.url).pathname === '/oidc/logout'));
    stats = await op.stats();
    assert.equal(stats.revoke, 1, 'logout revoked the refresh token');
    const live = (await op.tokens(USERS.alice.sub)).filter((k) => k.kind === 'RefreshToken' && !k.consumed);
    assert.equal(live.length, 0, 'the provider accepted the revocation');
    assert.equal((await me(browser, ag)).status, 401, 'signed out');
    const log = ag.service.output();
    assert.ok(!/eyJ[\w-]+\.eyJ/.test(log), 'no proof or token in the log');
  });

  test('a provider that answers token_type Bearer: a clear page, no session', { skip }, async (t) => {
    const key = dpopKey();
    const op = await startProvider({ t, dpop: false }); // ignores the DPoP header
    const ag = await startAuthgate({ t, config: dpopConfig(op, key) });
    const browser = new Browser();
    const res = await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
    assert.equal(res.response.status, 502, res.response.text);
    assert.match(res.response.text, /Sign-in is not working on this site/);
    assert.match(res.response.text, /<code>dpop_not_bound<\/code>/);
    assert.equal((await me(browser, ag)).status, 401, 'no session');
    assert.match(ag.service.output(), /provider\.dpop is on but the provider issued a Bearer token/);
  });

  test('with PAR required: the push carries a proof too, nonce retry included', { skip }, async (t) => {
    const key = dpopKey();
    const op = await startProvider({
      t, dpop: true, dpopNonce: true, par: 'required', mainClient: { dpop_bound_access_tokens: true },
    });
    const ag = await startAuthgate({ t, config: dpopConfig(op, key) });
    const browser = new Browser();
    const done = await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
    assert.ok(done.loginPage, 'the provider asked for the password');
    assert.equal((await me(browser, ag)).status, 200, 'signed in');
    const par = await (await fetch(op.url('/__test/par'))).json();
    // The first push has no nonce and is refused with one; the second carries it.
    assert.equal(par.total, 2, 'pushed twice: the use_dpop_nonce answer, then the retry');
    assert.equal(par.lastDpop.htm, 'POST');
    assert.equal(par.lastDpop.htu, `${op.issuer}oauth/par`);
    assert.equal(typeof par.lastDpop.nonce, 'string');
    const access = (await op.tokens(USERS.alice.sub)).filter((k) => k.kind === 'AccessToken');
    assert.ok(access.length >= 1);
    for (const a of access) assert.equal(a.jkt, key.jkt);
  });

  // RFC 9449 s7: what a resource server behind authgate checks. The upstream here does
  // each check itself with node:crypto, as an API that accepts DPoP tokens would.
  const verifyResourceProof = (record, { method, url, token, jkt }) => {
    assert.equal(record.headers.authorization, `DPoP ${token}`, 'the token with the DPoP scheme');
    const proof = record.headers.dpop;
    assert.equal(typeof proof, 'string', 'a proof goes with it');
    const [h, p, sig] = proof.split('.');
    const { header, payload } = decodeJwt(proof);
    assert.equal(header.typ, 'dpop+jwt');
    assert.equal(header.alg, 'ES256');
    assert.equal(ecThumbprint(header.jwk), jkt, 'signed with the key the token is bound to');
    const key = crypto.createPublicKey({ key: header.jwk, format: 'jwk' });
    assert.ok(crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(sig, 'base64url')), 'the signature verifies');
    assert.equal(payload.htm, method);
    assert.equal(payload.htu, url, 'the public URL of this request, without its query');
    assert.equal(payload.ath, crypto.createHash('sha256').update(token).digest('base64url'));
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 30);
    return payload;
  };

  test('an upstream that asks for the token gets it as DPoP with a proof for its request', { skip }, async (t) => {
    const key = dpopKey();
    const app = await startRecorder({ t });
    const op = await startProvider({ t, dpop: true, mainClient: { dpop_bound_access_tokens: true } });
    const base = dpopConfig(op, key);
    const ag = await startAuthgate({
      t,
      config: {
        ...base,
        // upstream.url is the route for everything else; it does not ask for the token.
        upstream: { url: `${app.url}/main` },
        routes: [{ path: '/api', upstream: `${app.url}/api`, pass_access_token: true }],
      },
    });
    const browser = new Browser();
    await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
    const [issued] = (await op.tokens(USERS.alice.sub)).filter((k) => k.kind === 'AccessToken');
    assert.equal(issued.jkt, key.jkt, 'the provider bound the token to authgate\'s key');

    // The route that asks: two requests, two proofs, each for its own method and URL.
    // A proof the client sent is not the upstream's: it is replaced.
    app.skipReceived();
    const got = await api(browser, `${ag.url}/api/orders/7?page=2`, { headers: { dpop: 'client.made.proof' } });
    assert.equal(got.status, 200, got.text);
    const first = await app.next('/api/api/orders/7');
    const token = first.headers.authorization.slice('DPoP '.length);
    const p1 = verifyResourceProof(first, {
      method: 'GET', url: `${ag.url}/api/orders/7`, token, jkt: key.jkt,
    });
    const posted = await api(browser, `${ag.url}/api/orders`, { method: 'POST', body: '{}' });
    assert.equal(posted.status, 200, posted.text);
    const second = await app.next('/api/api/orders');
    const p2 = verifyResourceProof(second, { method: 'POST', url: `${ag.url}/api/orders`, token, jkt: key.jkt });
    assert.notEqual(p1.jti, p2.jti, 'a fresh jti per request');

    // A route that does not ask gets neither the token nor any proof, the client's
    // included.
    const plain = await api(browser, `${ag.url}/other`, {
      headers: { dpop: 'client.made.proof', authorization: 'DPoP stolen' },
    });
    assert.equal(plain.status, 200, plain.text);
    const other = await app.next('/main/other');
    assert.equal(other.headers.authorization, undefined);
    assert.equal(other.headers.dpop, undefined);

    // Forward auth cannot make a proof for a request it does not see: no token there.
    const check = await api(browser, `${ag.url}/auth/check`);
    assert.equal(check.status, 200, check.text);
    assert.equal(check.headers.get('authorization'), null);
    assert.equal(check.headers.get('dpop'), null);
    assert.equal(check.headers.get('x-auth-request-user'), USERS.alice.sub);
    assert.ok(!/eyJ[\w-]+\.eyJ/.test(ag.service.output()), 'no proof or token in the log');
  });

  test('check-config refuses forward-auth pass_access_token with DPoP, and a key that is not P-256', { skip }, async () => {
    const dir = tempDir();
    const cfg = path.join(dir, 'authgate.yaml');
    const write = (provider, upstream = {}) => fs.writeFileSync(cfg, JSON.stringify({
      provider: { issuer: 'https://tenant.auth0.com/', client_id: 'cid', client_secret: 's', ...provider },
      session: { store: 'memory' },
      upstream,
    }));
    const fails = () => {
      try {
        execFileSync(BIN, ['check-config', '--offline', '-c', cfg], { encoding: 'utf8', stdio: 'pipe' });
      } catch (e) { return e; }
      return undefined;
    };
    // Forward auth alone cannot pass a DPoP-bound token (no request to make a proof for).
    write({ dpop: true }, { pass_access_token: true });
    let err = fails();
    assert.ok(err, 'refused');
    assert.match(err.stderr, /upstream\.pass_access_token: cannot be used with provider\.dpop for forward auth/);
    // With a proxied upstream it is allowed: the proxy makes a proof per request.
    write({ dpop: true }, { url: 'http://127.0.0.1:9', pass_access_token: true });
    execFileSync(BIN, ['check-config', '--offline', '-c', cfg], { encoding: 'utf8' });

    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsa = path.join(dir, 'rsa.pem');
    fs.writeFileSync(rsa, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    write({ dpop: true, dpop_key_file: rsa });
    err = fails();
    assert.ok(err, 'refused');
    assert.match(err.stderr, /provider\.dpop_key_file: key_alg_mismatch/);

    write({ dpop: true, dpop_key_file: dpopKey().file });
    execFileSync(BIN, ['check-config', '--offline', '-c', cfg], { encoding: 'utf8' });
  });
});

/** A CA, a server certificate for 127.0.0.1 and client certificates, made with openssl. */
function makePki() {
  const dir = tempDir('authgate-pki-');
  const f = (n) => path.join(dir, n);
  const ossl = (...args) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ca = (name) => {
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', f(`${name}.key`), '-out', f(`${name}.crt`), '-subj', `/CN=${name}`, '-days', '1');
  };
  const leaf = (name, cn, caName, ext) => {
    fs.writeFileSync(f(`${name}.ext`), ext);
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    ossl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${caName}.crt`), '-CAkey', f(`${caName}.key`),
      '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`));
    fs.chmodSync(f(`${name}.key`), 0o600);
  };
  ca('test-ca');
  ca('other-ca');
  leaf('server', '127.0.0.1', 'test-ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'authgate-test-client', 'test-ca', 'extendedKeyUsage=clientAuth\n');
  leaf('stranger', 'authgate-test-client', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  const read = (n) => fs.readFileSync(f(n), 'utf8');
  return { f, read };
}

describe('mTLS client authentication (RFC 8705)', () => {
  const SUBJECT = 'CN=authgate-test-client';
  const start = async (t, pki, agProvider, opOverrides = {}) => {
    const op = await startProvider({
      t,
      mtls: { key: pki.read('server.key'), cert: pki.read('server.crt'), ca: pki.read('test-ca.crt') },
      tokenEndpointAuthMethod: 'tls_client_auth',
      mainClient: { tls_client_auth_subject_dn: SUBJECT, tls_client_certificate_bound_access_tokens: true },
      ...opOverrides,
    });
    const base = lifecycleConfig(op);
    const ag = await startAuthgate({
      t,
      config: {
        ...base,
        provider: { ...base.provider, ca_file: pki.f('test-ca.crt'), ...agProvider },
        upstream: { pass_access_token: false },
      },
    });
    return { op, ag };
  };

  test('tls_client_auth: login, refresh and logout at the mtls_endpoint_aliases', { skip }, async (t) => {
    const pki = makePki();
    const { op, ag } = await start(t, pki, {
      client_auth_method: 'tls_client_auth', client_secret: null,
      tls_client_certificate_file: pki.f('client.crt'), tls_client_key_file: pki.f('client.key'),
    });
    const doc = await (await fetch(op.url('/.well-known/openid-configuration'))).json();
    const alias = doc.mtls_endpoint_aliases.token_endpoint;
    assert.match(alias, /^https:\/\/127\.0\.0\.1:\d+\/oauth\/token$/);
    const probe = execFileSync(BIN, ['check-config', '-c', ag.configFile], { encoding: 'utf8' });
    assert.ok(probe.includes(`client credentials: accepted by ${alias}`), probe);
    await op.reset();

    const browser = new Browser();
    await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
    assert.equal((await me(browser, ag)).status, 200, 'signed in');
    let stats = await op.stats();
    assert.equal(stats.token.byGrant.authorization_code, 1);
    assert.equal(stats.token.errors.invalid_client ?? 0, 0);
    const [exchange] = (await op.tokenExchanges()).filter((e) => e.grant_type === 'authorization_code');
    assert.equal(exchange.authorization, undefined, 'no Basic credentials');
    assert.equal(exchange.client_secret, undefined, 'no secret');
    assert.equal(exchange.client_assertion, undefined, 'no assertion');
    const access = (await op.tokens(USERS.alice.sub)).filter((k) => k.kind === 'AccessToken');
    assert.ok(access.length >= 1);
    for (const a of access) assert.match(a.x5t ?? '', /^[\w-]{43}$/, 'certificate-bound (cnf.x5t#S256)');

    const refreshed = await api(browser, `${ag.url}/auth/refresh`, { method: 'POST' });
    assert.equal(refreshed.status, 200, refreshed.text);
    stats = await op.stats();
    assert.equal(stats.token.byGrant.refresh_token, 1);
    assert.equal(stats.token.errors.invalid_client ?? 0, 0);

    await confirmLogout(browser, ag);
    stats = await op.stats();
    assert.equal(stats.revoke, 1, 'revoked at the alias, authenticated by the certificate');
    const live = (await op.tokens(USERS.alice.sub)).filter((k) => k.kind === 'RefreshToken' && !k.consumed);
    assert.equal(live.length, 0, 'the provider accepted the revocation');
    assert.equal((await me(browser, ag)).status, 401, 'signed out');
  });

  test('self_signed_tls_client_auth: a certificate registered as a JWK, login, refresh and logout', { skip }, async (t) => {
    const pki = makePki();
    // RFC 8705 s2.2: no CA; the provider knows the certificate itself, as an x5c in the
    // client's registered JWK Set.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', pki.f('self.key'), '-out', pki.f('self.crt'), '-subj', '/CN=authgate-self-signed', '-days', '1'],
    { stdio: 'pipe' });
    fs.chmodSync(pki.f('self.key'), 0o600);
    const cert = new crypto.X509Certificate(pki.read('self.crt'));
    const jwk = { ...cert.publicKey.export({ format: 'jwk' }), x5c: [cert.raw.toString('base64')] };
    const { op, ag } = await start(t, pki, {
      client_auth_method: 'self_signed_tls_client_auth', client_secret: null,
      tls_client_certificate_file: pki.f('self.crt'), tls_client_key_file: pki.f('self.key'),
    }, {
      tokenEndpointAuthMethod: 'self_signed_tls_client_auth',
      clientJwks: { keys: [jwk] },
      mainClient: { tls_client_certificate_bound_access_tokens: true },
    });
    const browser = new Browser();
    await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
    assert.equal((await me(browser, ag)).status, 200, 'signed in');
    let stats = await op.stats();
    assert.equal(stats.token.byGrant.authorization_code, 1);
    assert.equal(stats.token.errors.invalid_client ?? 0, 0);
    const thumb = crypto.createHash('sha256').update(cert.raw).digest('base64url');
    const access = (await op.tokens(USERS.alice.sub)).filter((k) => k.kind === 'AccessToken');
    assert.ok(access.length >= 1);
    for (const a of access) assert.equal(a.x5t, thumb, 'bound to this certificate (cnf.x5t#S256)');
    const refreshed = await api(browser, `${ag.url}/auth/refresh`, { method: 'POST' });
    assert.equal(refreshed.status, 200, refreshed.text);
    stats = await op.stats();
    assert.equal(stats.token.byGrant.refresh_token, 1);
    await confirmLogout(browser, ag);
    stats = await op.stats();
    assert.equal(stats.revoke, 1, 'revoked, authenticated by the certificate');
    assert.equal((await me(browser, ag)).status, 401, 'signed out');
  });

  const refused = async (t, agProvider, hint) => {
    const pki = makePki();
    const { ag } = await start(t, pki, agProvider(pki));
    const browser = new Browser();
    const res = await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
    assert.equal(res.response.status, 502, res.response.text);
    assert.match(res.response.text, /Sign-in is not working on this site/);
    assert.match(res.response.text, /<code>invalid_client<\/code>/);
    assert.equal((await me(browser, ag)).status, 401, 'no session');
    const log = ag.service.output();
    assert.match(log, /token endpoint refused the code exchange: HTTP 401 invalid_client/);
    assert.match(log, hint);
  };

  test('a certificate from another CA: invalid_client, a clear page and what to check', { skip }, async (t) => {
    await refused(t, (pki) => ({
      client_auth_method: 'tls_client_auth', client_secret: null,
      tls_client_certificate_file: pki.f('stranger.crt'), tls_client_key_file: pki.f('stranger.key'),
    }), /refused authgate's TLS client certificate: check provider\.client_id, that provider\.tls_client_certificate_file/);
  });

  test('no client certificate (a secret instead): invalid_client, a clear page', { skip }, async (t) => {
    await refused(t, () => ({ client_auth_method: 'client_secret_basic' }),
      /refused authgate's client credentials/);
  });
});
