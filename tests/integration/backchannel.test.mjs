// Issue 6: OpenID Connect Back-Channel Logout. The provider posts a logout_token to one
// instance; the sessions it names end on every instance sharing the store, and a bad
// token (forged, replayed, expired, with a nonce, for another audience) changes nothing.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';

import {
  Browser, USERS, authgateAvailable, freePort, login, startAuthgate, startProvider, startRedis,
} from '../tooling/lib/index.mjs';
import { lifecycleConfig, me } from './lifecycle_helpers.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Redis, two authgate instances on it, the provider posting to instance A. */
async function setup(t) {
  const redis = await startRedis({ t });
  const portA = await freePort();
  const op = await startProvider({
    t, backchannelLogoutUri: `http://127.0.0.1:${portA}/auth/backchannel-logout`,
  });
  const settings = { session: { store: redis.url } };
  const a = await startAuthgate({
    t, config: lifecycleConfig(op, { ...settings, server: { listen: `127.0.0.1:${portA}` } }),
  });
  const b = await startAuthgate({ t, config: lifecycleConfig(op, settings) });
  return { op, a, b };
}

async function postLogoutToken(ag, token, { contentType = 'application/x-www-form-urlencoded' } = {}) {
  const res = await fetch(`${ag.url}/auth/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: new URLSearchParams({ logout_token: token }).toString(),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

test('back-channel logout from the provider ends the right sessions on both instances', { skip }, async (t) => {
  const { op, a, b } = await setup(t);
  const aliceOnA = new Browser();
  await login(aliceOnA, a.url);
  const aliceOnB = new Browser();
  await login(aliceOnB, b.url);
  const bob = new Browser();
  await login(bob, b.url, { user: USERS.bob.user, password: USERS.bob.password });
  for (const [br, ag] of [[aliceOnA, a], [aliceOnB, b], [bob, a], [bob, b]]) {
    assert.equal((await me(br, ag)).status, 200);
  }

  const { sent } = await op.backchannelLogout({ sub: USERS.alice.sub });
  assert.equal(sent.length, 2, 'one logout token per provider session of alice');
  assert.ok(sent.every((s) => s.ok), `authgate accepted them: ${JSON.stringify(sent)}`);

  for (const ag of [a, b]) {
    assert.equal((await me(aliceOnA, ag)).status, 401, `alice (browser 1) signed out on ${ag.url}`);
    assert.equal((await me(aliceOnB, ag)).status, 401, `alice (browser 2) signed out on ${ag.url}`);
    assert.equal((await me(bob, ag)).status, 200, `bob untouched on ${ag.url}`);
  }
  // Audited by the instance that received the tokens, as a back-channel logout.
  const ended = a.service.output().split('\n').filter((l) => l.includes('"reason":"backchannel"'));
  assert.equal(ended.length, 2, ended.join('\n'));
  assert.ok(ended.every((l) => l.includes('"event":"session.backchannel_logout"') &&
    l.includes(`"sub":"${USERS.alice.sub}"`)), ended.join('\n'));
});

test('a logout token with sub only ends every session of that user', { skip }, async (t) => {
  const { op, a, b } = await setup(t);
  const alice = new Browser();
  await login(alice, a.url);
  const bob = new Browser();
  await login(bob, b.url, { user: USERS.bob.user, password: USERS.bob.password });
  const token = await op.sign({
    aud: op.clientId, sub: USERS.alice.sub, jti: `sub-only-${Date.now()}`, events: { [EVENT]: {} },
  }, { header: { typ: 'logout+jwt' } });
  const res = await postLogoutToken(b, token);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal((await me(alice, a)).status, 401);
  assert.equal((await me(bob, a)).status, 200);
});

test('bad logout tokens are refused with 400 and change nothing', { skip }, async (t) => {
  const { op, a, b } = await setup(t);
  const bob = new Browser();
  await login(bob, a.url, { user: USERS.bob.user, password: USERS.bob.password });
  const [provSession] = await op.sessions(USERS.bob.sub);
  const sid = provSession.clients[op.clientId].sid;
  const now = Math.floor(Date.now() / 1000);
  let n = 0;
  const claims = (extra = {}) => ({
    aud: op.clientId, sub: USERS.bob.sub, sid, jti: `jti-${now}-${n += 1}`, events: { [EVENT]: {} }, ...extra,
  });

  const cases = [
    ['forged (foreign key)', await op.sign(claims(), { key: 'foreign' })],
    ['unsigned (alg none)', await op.sign(claims(), { key: 'none' })],
    ['expired', await op.sign(claims({ iat: now - 600, exp: now - 300 }))],
    ['with a nonce', await op.sign(claims({ nonce: 'n-123' }))],
    ['wrong audience', await op.sign(claims({ aud: 'another-client' }))],
    ['wrong issuer', await op.sign(claims({ iss: 'https://evil.example/' }))],
    ['no events claim', await op.sign(claims({ events: null }))],
    ['neither sub nor sid', await op.sign(claims({ sub: null, sid: null }))],
    ['no jti', await op.sign(claims({ jti: null }))],
    ['an ID token typ', await op.sign(claims(), { header: { typ: 'at+jwt' } })],
    ['not a JWT', 'not-a-jwt'],
  ];
  for (const [name, token] of cases) {
    for (const ag of [a, b]) {
      const res = await postLogoutToken(ag, token);
      assert.equal(res.status, 400, `${name}: ${res.status} ${res.text}`);
      const body = res.json();
      assert.equal(typeof body.error, 'string', `${name}: error`);
      assert.equal(typeof body.error_description, 'string', `${name}: error_description`);
      assert.doesNotMatch(res.text, /eyJ/, `${name}: the token is not echoed`);
    }
  }
  const wrongType = await postLogoutToken(a, await op.sign(claims()), { contentType: 'application/json' });
  assert.equal(wrongType.status, 400, 'form body only');
  assert.equal((await me(bob, a)).status, 200, 'bob is still signed in');
  assert.equal((await me(bob, b)).status, 200);

  // Replay: a valid token for a user without sessions is accepted once, on any instance.
  const once = await op.sign(claims({ sub: 'auth0|nobody', sid: null }));
  assert.equal((await postLogoutToken(a, once)).status, 200);
  const replayA = await postLogoutToken(a, once);
  assert.equal(replayA.status, 400, replayA.text);
  assert.match(replayA.text, /replayed/);
  assert.equal((await postLogoutToken(b, once)).status, 400, 'the replay guard is shared');
  assert.equal((await me(bob, a)).status, 200, 'still nothing changed for bob');
});
