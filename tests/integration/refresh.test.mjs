// Issue 6: refresh without accidents. The provider rotates refresh tokens (a reused one
// answers 403 invalid_grant and revokes the family), so a double redeem would log the
// user out: these tests count refresh_token grants at the provider.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';

import {
  Browser, USERS, authgateAvailable, login, sleep, startProvider, startRedis,
} from '../tooling/lib/index.mjs';
import {
  api, check, me, refreshCount, startGateway, waitForRefreshWindow,
} from './lifecycle_helpers.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';

// Access tokens live 30 s and are refreshed in their last 26 s: a fresh login is outside
// the window for 4 s, a fresh refresh too (so one burst of requests needs one refresh).
const TTL = 30;
const WINDOW = 26;

function bearerOf(res) {
  return res.headers.get('authorization');
}

async function burst(browser, urls) {
  return Promise.all(urls.map((u) => api(browser, u)));
}

test('50 concurrent requests on an expiring session cause one refresh and no logout', { skip }, async (t) => {
  const op = await startProvider({ t, accessTokenTtl: TTL });
  const ag = await startGateway(t, op, { session: { refresh_before_expiry: `${WINDOW}s` } });
  const browser = new Browser();
  await login(browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });

  const first = await check(browser, ag);
  assert.equal(first.status, 200);
  const before = bearerOf(first);
  assert.match(before, /^Bearer /);
  assert.equal(await refreshCount(op), 0, 'a fresh token is not refreshed');

  await waitForRefreshWindow(browser, ag, WINDOW);
  const results = await burst(browser, Array.from({ length: 50 }, () => `${ag.url}/auth/check`));
  const statuses = results.map((r) => r.status);
  assert.deepEqual([...new Set(statuses)], [200], `statuses: ${statuses.join(',')}`);
  assert.equal(await refreshCount(op), 1, 'exactly one refresh_token grant');
  const tokens = new Set(results.map(bearerOf));
  assert.equal(tokens.size, 1, 'every request used the one refreshed token');
  assert.notEqual([...tokens][0], before, 'the token was refreshed');

  const after = await me(browser, ag);
  assert.equal(after.status, 200, 'still signed in');
  const stats = await op.stats();
  assert.equal(stats.token.errors.invalid_grant ?? 0, 0, 'no refresh token was redeemed twice');
});

test('two instances sharing Redis refresh a session once between them', { skip }, async (t) => {
  const redis = await startRedis({ t });
  const op = await startProvider({ t, accessTokenTtl: TTL });
  const settings = { session: { store: redis.url, refresh_before_expiry: `${WINDOW}s` } };
  const a = await startGateway(t, op, settings);
  const b = await startGateway(t, op, settings);
  const browser = new Browser();
  await login(browser, a.url);
  // Cookies are per host, not per port: the same browser session reaches both.
  assert.equal((await me(browser, b)).status, 200, 'instance B sees the session of A');

  const results0 = [await check(browser, a)];
  await waitForRefreshWindow(browser, a, WINDOW);
  const urls = Array.from({ length: 50 }, (_, i) => `${(i % 2 ? a : b).url}/auth/check`);
  const before = bearerOf(results0[0]);
  const results = await burst(browser, urls);
  const statuses = results.map((r) => r.status);
  assert.deepEqual([...new Set(statuses)], [200], `statuses: ${statuses.join(',')}`);
  assert.equal(await refreshCount(op), 1, 'exactly one refresh_token grant across instances');
  // The instance that lost the race for the store lock does not wait while its token is
  // still usable: its requests go on with the current token (deferred, lock_held).
  const used = new Set(results.map(bearerOf));
  assert.ok(used.size <= 2, `the old token or the one new token: ${used.size}`);
  const after = bearerOf(await check(browser, a));
  assert.notEqual(after, before, 'refreshed');
  assert.equal(bearerOf(await check(browser, b)), after, 'both instances now use the same new token');
  for (const t of used) assert.ok(t === before || t === after, 'no third token');
  assert.equal((await me(browser, a)).status, 200);
  assert.equal((await me(browser, b)).status, 200);
});

/** Sum of `name`'s samples in an instance's /metrics whose labels include every `labels` pair. */
async function metric(ag, name, labels = {}) {
  const text = await (await fetch(`${ag.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (!Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) continue;
    sum += Number(m[3]);
  }
  return sum;
}

/** Until the provider has received `n` refresh_token grants (the holder has the lock). */
async function untilRefreshGrants(op, n) {
  for (let i = 0; i < 200; i++) {
    if (await refreshCount(op) >= n) return;
    await sleep(25);
  }
  assert.fail(`the provider never saw ${n} refresh grant(s)`);
}

test('an expired token on instance B waits for A\'s refresh and is answered with its new token', { skip }, async (t) => {
  // Issue 16: B's request is woken by A's session event (Redis PUBLISH), not by a poll.
  const redis = await startRedis({ t });
  const op = await startProvider({ t, accessTokenTtl: 2 });
  const settings = { session: { store: redis.url, refresh_before_expiry: '1s' } };
  const a = await startGateway(t, op, settings);
  const b = await startGateway(t, op, settings);
  const browser = new Browser();
  await login(browser, a.url);
  const first = await check(browser, a);
  assert.equal(first.status, 200);
  const before = bearerOf(first);
  const base = await refreshCount(op);
  const { json: who } = await me(browser, b);
  // Until the access token has expired: B may not use it, so B must wait.
  await sleep(Math.max(0, (who.access_token_expires_at + 1) * 1000 - Date.now()));

  // A's token request is slow: A holds the session's refresh lock meanwhile.
  await op.failToken({ delayMs: 1500, grant_type: 'refresh_token' });
  const fromA = check(browser, a);
  await untilRefreshGrants(op, base + 1);
  const fromB = await check(browser, b);
  const answerA = await fromA;

  assert.equal(answerA.status, 200, answerA.text);
  assert.equal(fromB.status, 200, `B waited for A rather than failing: ${fromB.text}`);
  assert.notEqual(bearerOf(answerA), before, 'A refreshed');
  assert.equal(bearerOf(fromB), bearerOf(answerA), 'B answered with the token A stored');
  assert.equal(await refreshCount(op), base + 1, 'one refresh_token grant between the instances');
  assert.equal(await metric(b, 'authgate_refresh_total', { result: 'refreshed', reason: 'waited' }), 1,
    'B reports that it waited for another holder');
  assert.ok(await metric(b, 'authgate_refresh_wait_wakeups_total', { by: 'event' }) >= 1,
    'A\'s session event woke B');
  assert.equal((await op.stats()).token.errors.invalid_grant ?? 0, 0, 'nothing redeemed twice');
});

test('a usable token on instance B does not wait for A\'s refresh', { skip }, async (t) => {
  const redis = await startRedis({ t });
  const op = await startProvider({ t, accessTokenTtl: TTL });
  const settings = { session: { store: redis.url, refresh_before_expiry: `${WINDOW}s` } };
  const a = await startGateway(t, op, settings);
  const b = await startGateway(t, op, settings);
  const browser = new Browser();
  await login(browser, a.url);
  const before = bearerOf(await check(browser, a));
  await waitForRefreshWindow(browser, a, WINDOW);

  await op.failToken({ delayMs: 1500, grant_type: 'refresh_token' });
  const fromA = check(browser, a);
  await untilRefreshGrants(op, 1);
  const fromB = await check(browser, b);
  assert.equal(fromB.status, 200, fromB.text);
  assert.equal(bearerOf(fromB), before, 'B went on with the token it has');
  assert.equal(await refreshCount(op), 1, 'A has not answered yet: still one grant');
  assert.equal(await metric(b, 'authgate_refresh_total', { result: 'deferred', reason: 'lock_held' }), 1);
  assert.equal(await metric(b, 'authgate_refresh_wait_wakeups_total'), 0, 'B never waited');

  const answerA = await fromA;
  assert.equal(answerA.status, 200);
  assert.notEqual(bearerOf(answerA), before);
  assert.equal(bearerOf(await check(browser, b)), bearerOf(answerA), 'B uses the new token next');
  assert.equal(await refreshCount(op), 1);
});

test('POST /auth/refresh answers the new expiry and never a token; the OpenMetadata alias too', { skip }, async (t) => {
  const op = await startProvider({ t, accessTokenTtl: TTL });
  const ag = await startGateway(t, op, {
    session: { refresh_before_expiry: `${WINDOW}s` }, compat: { openmetadata_aliases: 'true' },
  });
  const browser = new Browser();
  await login(browser, ag.url);
  const { json: before } = await me(browser, ag);

  await sleep(1100); // a new token must expire later than the first
  const res = await api(browser, `${ag.url}/auth/refresh`, { method: 'POST' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.ok(res.json.expires_at > before.access_token_expires_at, 'a new, later expiry');
  assert.deepEqual(Object.keys(res.json).sort(), ['expires_at', 'session_expires_at']);
  assert.equal(await refreshCount(op), 1);

  const om = await api(browser, `${ag.url}/api/v1/auth/refresh`);
  assert.equal(om.status, 200, om.text);
  assert.deepEqual(Object.keys(om.json).sort(), ['expires_at', 'expiryDuration']);
  assert.equal(om.json.expiryDuration, om.json.expires_at * 1000);
  assert.doesNotMatch(om.text, /accessToken|access_token|refresh_token|eyJ/);
  assert.equal(await refreshCount(op), 2);

  const anonymous = await api(new Browser(), `${ag.url}/auth/refresh`, { method: 'POST' });
  assert.equal(anonymous.status, 401);
});

test('invalid_grant ends the session: API 401, the reason is recorded', { skip }, async (t) => {
  const op = await startProvider({ t, accessTokenTtl: TTL });
  const ag = await startGateway(t, op, { session: { refresh_before_expiry: `${WINDOW}s` } });
  const browser = new Browser();
  await login(browser, ag.url);
  const other = new Browser();
  await login(other, ag.url, { user: USERS.bob.user, password: USERS.bob.password });

  await op.failToken({
    status: 403, error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.',
    grant_type: 'refresh_token',
  });
  await waitForRefreshWindow(browser, ag, WINDOW);
  const res = await check(browser, ag);
  assert.equal(res.status, 401, 'the refresh was refused: signed out');
  assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/);
  assert.equal((await me(browser, ag)).status, 401, 'the session is gone');
  assert.equal(await refreshCount(op), 1, 'no retry of a dead grant');
  const log = ag.service.output();
  assert.match(log, /refused \(invalid_grant\): session ended/, 'the reason is logged');
  assert.match(log, /session\.refresh_failure/, 'and audited');
  assert.match(log, /"event":"session\.refresh_ended"[^\n]*"reason":"refresh_failed"/,
    'the end of the session is its own event');
  assert.doesNotMatch(log, /eyJ[\w-]+\.eyJ/, 'no token in the log');

  // Bob's session is untouched (and refreshes normally).
  assert.equal((await check(other, ag)).status, 200);
  assert.equal((await me(other, ag)).status, 200);
});

test('a rotated refresh token used again ends the session (family revoked)', { skip }, async (t) => {
  // A genuine reuse: the provider rotates the token but its answer never reaches
  // authgate (slower than provider.http_timeout), so authgate still holds the old one.
  const op = await startProvider({ t, accessTokenTtl: TTL });
  const ag = await startGateway(t, op, {
    provider: { http_timeout: '1s' },
    session: { refresh_before_expiry: `${WINDOW}s` },
  });
  const browser = new Browser();
  await login(browser, ag.url);

  await op.failToken({ delayMs: 2000, grant_type: 'refresh_token' });
  const lost = await api(browser, `${ag.url}/auth/refresh`, { method: 'POST' });
  assert.equal(lost.status, 503, `timed out: kept, try later (${lost.text})`);
  assert.equal((await me(browser, ag)).status, 200, 'a timeout is not a logout');
  await sleep(2500); // the provider rotates meanwhile; authgate's backoff (1 s) passes

  const reused = await api(browser, `${ag.url}/auth/refresh`, { method: 'POST' });
  assert.equal(reused.status, 401, reused.text);
  const stats = await op.stats();
  assert.ok((stats.token.errors.invalid_grant ?? 0) >= 1, 'the provider saw the reuse');
  assert.equal((await me(browser, ag)).status, 401, 'the session ended');
  assert.doesNotMatch(reused.text, /refresh_token|eyJ/, 'no token in the answer');
});

test('a session revoked while its refresh is in flight leaves no live grant at the provider', { skip }, async (t) => {
  const op = await startProvider({ t, accessTokenTtl: TTL });
  const ag = await startGateway(t, op, { session: { refresh_before_expiry: `${WINDOW}s` } });
  const browser = new Browser();
  await login(browser, ag.url);
  const mine = await api(browser, `${ag.url}/auth/sessions`);
  assert.equal(mine.status, 200, mine.text);
  const [own] = mine.json.sessions;
  assert.ok(own?.id, mine.text);

  // The provider issues new tokens (rotating the refresh token) and answers 1.5 s late;
  // the user revokes the session meanwhile, so authgate cannot store what comes back.
  await op.failToken({ delayAfterMs: 1500, grant_type: 'refresh_token' });
  const refreshing = api(browser, `${ag.url}/auth/refresh`, { method: 'POST' });
  await sleep(500);
  const revoked = await api(browser, `${ag.url}/auth/sessions/${own.id}`, { method: 'DELETE' });
  assert.equal(revoked.status, 200, revoked.text);
  const refreshed = await refreshing;
  assert.equal(refreshed.status, 401, `the session ended: ${refreshed.text}`);
  assert.doesNotMatch(refreshed.text, /refresh_token|eyJ/, 'no token in the answer');
  assert.equal(await refreshCount(op), 1, 'the grant ran once');
  assert.equal((await me(browser, ag)).status, 401, 'still signed out');

  const tokens = await op.tokens(USERS.alice.sub);
  assert.ok(!tokens.some((x) => x.kind === 'RefreshToken' && !x.consumed),
    `no live refresh token left: ${JSON.stringify(tokens)}`);
});

test('revoking a session from the session list revokes its refresh token at the provider', { skip }, async (t) => {
  const op = await startProvider({ t });
  const ag = await startGateway(t, op);
  const browser = new Browser();
  await login(browser, ag.url);
  const live = (await op.tokens(USERS.alice.sub)).filter((x) => x.kind === 'RefreshToken' && !x.consumed);
  assert.equal(live.length, 1, 'the login holds one refresh token');
  const [own] = (await api(browser, `${ag.url}/auth/sessions`)).json.sessions;

  const revoked = await api(browser, `${ag.url}/auth/sessions/${own.id}`, { method: 'DELETE' });
  assert.equal(revoked.status, 200, revoked.text);
  assert.doesNotMatch(revoked.text, /refresh_token|eyJ/, 'no token in the answer');
  assert.equal((await me(browser, ag)).status, 401, 'signed out');
  assert.equal((await op.stats()).revoke, 1, 'one call to the revocation endpoint');
  const left = await op.tokens(USERS.alice.sub);
  assert.ok(!left.some((x) => x.kind === 'RefreshToken' && !x.consumed),
    `no live refresh token left: ${JSON.stringify(left)}`);
});

test('provider errors during refresh keep the session (503, 429 with Retry-After, down)', { skip }, async (t) => {
  const op = await startProvider({ t, accessTokenTtl: TTL });
  const ag = await startGateway(t, op, { session: { refresh_before_expiry: `${WINDOW}s` } });
  const browser = new Browser();
  await login(browser, ag.url);
  const first = bearerOf(await check(browser, ag));

  await waitForRefreshWindow(browser, ag, WINDOW);
  await op.failToken({ status: 503, grant_type: 'refresh_token' });
  const during = await check(browser, ag);
  assert.equal(during.status, 200, 'the current token is still valid: used');
  assert.equal(bearerOf(during), first);
  assert.equal((await me(browser, ag)).status, 200, 'still signed in');
  assert.equal(await refreshCount(op), 1);

  // Backoff: the very next request does not hammer the provider.
  assert.equal((await check(browser, ag)).status, 200);
  assert.equal(await refreshCount(op), 1, 'no retry inside the backoff');

  await sleep(1500);
  const later = await check(browser, ag);
  assert.equal(later.status, 200);
  assert.notEqual(bearerOf(later), first, 'refreshed once the provider is back');
  assert.equal(await refreshCount(op), 2);

  // 429: Retry-After and X-RateLimit-Reset are honoured.
  await waitForRefreshWindow(browser, ag, WINDOW);
  const beforeLimited = await refreshCount(op);
  await op.failToken({ status: 429, retryAfter: 3, grant_type: 'refresh_token' });
  assert.equal((await check(browser, ag)).status, 200);
  assert.equal(await refreshCount(op), beforeLimited + 1);
  await sleep(1500);
  assert.equal((await check(browser, ag)).status, 200);
  assert.equal(await refreshCount(op), beforeLimited + 1, 'waits for Retry-After (3 s), not 1 s backoff');
  await sleep(2000);
  assert.equal((await check(browser, ag)).status, 200);
  assert.equal(await refreshCount(op), beforeLimited + 2, 'retried after the reset');

  const stats = await op.stats();
  assert.equal(stats.token.errors.invalid_grant ?? 0, 0);
});

test('provider down with an expired access token: 503 with Retry-After, session kept', { skip }, async (t) => {
  const op = await startProvider({ t, accessTokenTtl: 3 });
  const ag = await startGateway(t, op, { session: { refresh_before_expiry: '1s' } });
  const browser = new Browser();
  await login(browser, ag.url);
  assert.equal((await check(browser, ag)).status, 200);

  await op.stop();
  await sleep(3500);
  const res = await check(browser, ag);
  assert.equal(res.status, 503, res.text);
  assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After set');
  const refresh = await api(browser, `${ag.url}/auth/refresh`, { method: 'POST' });
  assert.equal(refresh.status, 503, 'POST /auth/refresh: provider unavailable, not a logout');
  const who = await me(browser, ag);
  assert.equal(who.status, 200, 'the session is kept');
});
