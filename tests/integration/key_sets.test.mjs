// provider.jwks_urls (OpenMetadata's AUTHENTICATION_PUBLIC_KEYS): bearer tokens signed by
// a key set the operator lists, here a local server that serves its keys at
// OpenMetadata's path (/api/v1/system/config/jwks) and signs JWTs shaped like
// OpenMetadata's bot tokens (iss open-metadata.org, no aud, no typ).
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';

import { authgateAvailable, startAuthgate, startProvider, startUpstream } from '../tooling/lib/index.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (AUTHGATE_BIN)';
const JWKS_PATH = '/api/v1/system/config/jwks';

/** A key server: its current keys at JWKS_PATH; counts fetches; rotate() adds a new key. */
async function startKeyServer() {
  const keys = [];
  let fetches = 0;
  const addKey = async (kid) => {
    const { publicKey, privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
    keys.unshift({ kid, privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } });
  };
  await addKey('om-1');
  const server = http.createServer((req, res) => {
    if (req.url !== JWKS_PATH) {
      res.writeHead(404).end();
      return;
    }
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  });
  await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  const url = `http://127.0.0.1:${server.address().port}${JWKS_PATH}`;
  return {
    url,
    fetches: () => fetches,
    rotate: (kid) => addKey(kid),
    async sign(claims, { kid = keys[0].kid, ttl = 3600 } = {}) {
      const key = keys.find((k) => k.kid === kid);
      const now = Math.floor(Date.now() / 1000);
      return new jose.SignJWT({ iss: 'open-metadata.org', iat: now, exp: now + ttl, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid })
        .sign(key.privateKey);
    },
    stop: () => new Promise((resolve) => { server.close(resolve); }),
  };
}

describe('bearer tokens from provider.jwks_urls', { skip }, () => {
  let op;
  let om;
  let other;
  let up;
  let ag;
  const stops = [];

  before(async () => {
    op = await startProvider();
    stops.push(op);
    om = await startKeyServer();
    stops.push(om);
    other = await startKeyServer();
    stops.push(other);
    up = await startUpstream();
    stops.push(up);
    ag = await startAuthgate({
      config: {
        provider: {
          issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret,
          // As OpenMetadata's guide lists them: the provider's own set, then OpenMetadata's.
          jwks_urls: [`${op.issuer}.well-known/jwks.json`, om.url, other.url],
        },
        session: { store: 'memory' },
        upstream: { url: up.url },
      },
    });
    stops.push(ag);
  });
  after(async () => {
    for (const s of stops.reverse()) await s.stop();
  });

  const call = (token) => fetch(`${ag.url}/api/v1/tables`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, redirect: 'manual',
  });
  const bot = { sub: 'ingestion-bot', email: 'ingestion-bot@openmetadata.org', isBot: true, tokenType: 'BOT' };

  async function reason(res) {
    assert.equal(res.status, 401);
    return (await res.json()).error_description;
  }

  test('a bot JWT signed by the OpenMetadata key set reaches the upstream as its subject', async () => {
    const res = await call(await om.sign(bot));
    assert.equal(res.status, 200);
    const seen = await res.json();
    assert.equal(seen.identity['x-auth-request-user'], 'ingestion-bot');
    assert.equal(seen.identity['x-auth-request-email'], 'ingestion-bot@openmetadata.org');
  });

  test('keys come from every URL', async () => {
    const res = await call(await other.sign({ sub: 'other-bot' }));
    assert.equal(res.status, 200);
    assert.equal((await res.json()).identity['x-auth-request-user'], 'other-bot');
  });

  test('a tampered, expired or subject-less token is refused with its reason', async () => {
    const good = await om.sign(bot);
    const [h, p, sig] = good.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...bot, sub: 'admin', iss: 'open-metadata.org', exp: 9999999999 })).toString('base64url')}.${sig}`;
    assert.equal(await reason(await call(forged)), 'bad_signature');
    assert.equal(await reason(await call(await om.sign(bot, { ttl: -600 }))), 'expired');
    assert.equal(await reason(await call(await om.sign({ sub: undefined, email: 'x@y' }))), 'missing_claim');
    assert.ok(p);
  });

  test('a token claiming the provider as issuer is judged by the provider\'s rules only', async () => {
    const res = await call(await om.sign({ ...bot, iss: op.issuer }));
    assert.equal(await reason(res), 'issuer_mismatch');
    // The provider's own keys listed in jwks_urls do not relax its rules: an ID token for
    // this client is not an access token.
    const idToken = await op.sign({ aud: op.clientId, sub: 'auth0|alice' });
    assert.equal((await call(idToken)).status, 401);
  });

  test('a rotated key is fetched once; invented kids cannot make authgate flood the set', async () => {
    await om.rotate('om-2');
    const before = om.fetches();
    const res = await call(await om.sign(bot, { kid: 'om-2' }));
    assert.equal(res.status, 200, 'the new key is fetched on its first token');
    assert.equal(om.fetches(), before + 1);
    for (let i = 0; i < 5; i += 1) {
      const token = await om.sign({ ...bot, n: i }, { kid: 'om-2' });
      const [h, p, s] = token.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: `invented-${i}` })).toString('base64url');
      assert.equal(await reason(await call(`${header}.${p}.${s}`)), 'unknown_kid');
      assert.ok(h);
    }
    assert.equal(om.fetches(), before + 1, 'no refetch within 30 s of the last');
  });
});
