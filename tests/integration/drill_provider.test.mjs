// Fault drills (issue 17): the provider hung (SIGSTOP) and the provider down (SIGKILL)
// at the moment authgate exchanges a login's code. A hung provider costs the callback
// at most provider.http_timeout, and while it hangs /healthz and signed-in requests
// keep answering at once (no worker or pool is held by the hung call). Either way the
// browser gets a clear page (never a redirect back to the provider, which is how
// login loops start), and logins work again once the provider is back, a restarted
// provider (new signing key) included: authgate fetches its new JWKS.
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  Browser, USERS, authgateAvailable, login, sleep, startAuthgate, startProvider,
} from '../tooling/lib/index.mjs';
import { api } from './lifecycle_helpers.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';

async function timed(url, cookie = '') {
  const start = Date.now();
  const res = await fetch(url, { headers: { cookie, accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(10000) });
  await res.arrayBuffer();
  return { status: res.status, ms: Date.now() - start };
}

// Runs a login up to the provider's redirect to authgate's callback; returns that URL.
async function codeForCallback(b, ag, user) {
  const start = await b.get(`${ag.url}/auth/login`);
  let res = await b.submit(start, 'login-form', { username: user.user, password: user.password }, { follow: false });
  for (let i = 0; i < 10 && res.location && !res.location.startsWith(`${ag.url}/auth/callback`); ++i) {
    res = await b.request(new URL(res.location, res.url).href, { follow: false });
  }
  assert.ok(res.location?.startsWith(`${ag.url}/auth/callback`), `provider redirected to the callback: ${res.location}`);
  return res.location;
}

// Provider calls time out after 2 s (connect 1 s), so a hung provider costs that.
const startGateway = (t, op) => startAuthgate({
  t,
  config: {
    server: { threads: 4 },
    provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret, http_timeout: '2s', connect_timeout: '1s' },
    session: { store: 'memory' },
  },
});

function assertClearPage(res, what) {
  assert.ok(res.status >= 400, `${what}: an error status, got ${res.status}`);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/, `${what}: a page`);
  const providerHops = res.chain.filter((s) => /\/authorize/.test(s.url ?? '')).length;
  assert.equal(providerHops, 0, `${what}: not sent back to the provider (a loop): ${JSON.stringify(res.chain.map((s) => s.url))}`);
}

describe('provider faults at the callback', { skip }, () => {
  test('hung provider: bounded callback, other routes answer, recovery', async (t) => {
    const op = await startProvider({ t });
    const ag = await startGateway(t, op);
    const signedIn = new Browser();
    await login(signedIn, ag.url, { user: USERS.bob.user, password: USERS.bob.password });
    const bobCookie = signedIn.cookieHeader(`${ag.url}/`);

    // Three logins wait at the callback at once, on an instance with four worker
    // threads. Provider calls block their worker (RELIABILITY.md "Found": with as many
    // hung calls as threads, every route that needs a worker waits up to
    // http_timeout), so this shows the bound and that the free workers keep serving.
    const hung = [];
    for (let i = 0; i < 3; ++i) {
      const b = new Browser();
      hung.push({ b, callback: await codeForCallback(b, ag, USERS.alice) });
    }
    process.kill(op.service.pid, 'SIGSTOP');
    t.after(() => { try { process.kill(op.service.pid, 'SIGCONT'); } catch { /* gone */ } });

    const started = Date.now();
    const pending = hung.map(({ b, callback }) => b.get(callback).then((res) => ({ res, ms: Date.now() - started })));
    // While the code exchanges hang, other requests answer at once.
    await sleep(200);
    const others = [];
    for (let i = 0; i < 5; ++i) {
      others.push(await timed(`${ag.url}/healthz`));
      others.push(await timed(`${ag.url}/auth/me`, bobCookie));
      others.push(await timed(`${ag.url}/auth/login`));
    }
    const results = await Promise.all(pending);
    const ms = Math.max(...results.map((r) => r.ms));
    t.diagnostic(`hung provider: 3 callbacks answered ${[...new Set(results.map((r) => r.res.status))]} within ${ms} ms; other routes max ${Math.max(...others.map((o) => o.ms))} ms`);
    assert.ok(ms < 2000 + 1500, `bounded by http_timeout (2 s): ${ms} ms`);
    for (const { res } of results) assertClearPage(res, 'hung provider');
    for (const o of others) {
      assert.ok(o.status === 200 || o.status === 302 || o.status === 303, `answered: ${o.status}`);
      assert.ok(o.ms < 500, `answered while the provider hangs: ${o.ms} ms`);
    }

    process.kill(op.service.pid, 'SIGCONT');
    const again = new Browser();
    await login(again, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
    assert.equal((await timed(`${ag.url}/auth/me`, again.cookieHeader(`${ag.url}/`))).status, 200,
      'logins recover once the provider answers');
  });

  test('provider down: a clear page, no loop, recovery after a restart with a new key', async (t) => {
    let op = await startProvider({ t });
    const ag = await startGateway(t, op);
    const b = new Browser();
    const callback = await codeForCallback(b, ag, USERS.alice);
    process.kill(op.service.pid, 'SIGKILL');
    await op.service.exited;
    const started = Date.now();
    const res = await b.get(callback);
    assertClearPage(res, 'provider down');
    assert.ok(Date.now() - started < 2000, 'a refused connection fails at once');
    // A new login while it is down: authgate's redirect to the provider is all it can
    // do (the browser then fails to reach the provider); it is one hop, not a loop.
    const start = await new Browser().request(`${ag.url}/auth/login`, { follow: false });
    assert.ok([302, 303].includes(start.status) || start.status >= 500, `login start: ${start.status}`);

    op = await startProvider({ t, port: op.port });
    const again = new Browser();
    const deadline = Date.now() + 10000;
    const restarted = Date.now();
    let me;
    for (;;) {
      await login(again, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
      me = await timed(`${ag.url}/auth/me`, again.cookieHeader(`${ag.url}/`));
      if (me.status === 200 || Date.now() > deadline) break;
      await sleep(500);
    }
    t.diagnostic(`provider restarted: first good login ${Date.now() - restarted} ms after the restart`);
    assert.equal(me.status, 200, 'logins recover with the restarted provider (new JWKS)');
  });

  // A refresh whose request reached the provider before authgate gave up on it is
  // redeemed there: with rotation the retry then reuses a rotated token, the provider
  // revokes the family and the session ends (RELIABILITY.md "Found"). This drill runs
  // the hung case without rotation, and the provider-error case with it.
  for (const [name, rotate, fault] of [
    ['hung (no rotation)', false, 'hang'],
    ['answering 503 (rotation)', true, 'error'],
  ]) {
    test(`provider ${name} during a refresh: a bounded 503, the session kept, then refreshed`, async (t) => {
      const op = await startProvider({ t, rotateRefreshTokens: rotate });
      const ag = await startGateway(t, op);
      const b = new Browser();
      await login(b, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
      assert.equal((await api(b, `${ag.url}/auth/me`)).status, 200);

      if (fault === 'hang') {
        process.kill(op.service.pid, 'SIGSTOP');
        t.after(() => { try { process.kill(op.service.pid, 'SIGCONT'); } catch { /* gone */ } });
      } else {
        await op.failToken({ count: 1, status: 503, grant_type: 'refresh_token' });
      }
      const started = Date.now();
      const r = await api(b, `${ag.url}/auth/refresh`, { method: 'POST' });
      const ms = Date.now() - started;
      t.diagnostic(`provider ${name}: POST /auth/refresh answered ${r.status} in ${ms} ms`);
      assert.equal(r.status, 503, r.text);
      assert.equal(r.json?.error, 'provider_unavailable');
      assert.ok(r.headers.get('retry-after'));
      assert.ok(ms < 2000 + 1500, `bounded by http_timeout: ${ms} ms`);
      assert.equal((await api(b, `${ag.url}/auth/me`)).status, 200,
        'the session is kept (its access token is still valid)');

      if (fault === 'hang') process.kill(op.service.pid, 'SIGCONT');
      const deadline = Date.now() + 10000;
      let again;
      for (;;) {
        again = await api(b, `${ag.url}/auth/refresh`, { method: 'POST' });
        if (again.status === 200 || Date.now() > deadline) break;
        await sleep(500); // the per-session backoff (1 s, then 2 s)
      }
      assert.equal(again.status, 200, `refreshed once the provider answers: ${again.text}`);
    });
  }
});
