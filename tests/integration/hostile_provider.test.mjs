// The last hostile-provider cases of issue 17, through the real authgate binary against
// the local provider (its control API forges tokens and breaks its JWKS endpoint):
// - an ID token whose iat is two days old (exp still ahead) does not sign anyone in;
// - a JWKS endpoint that resets the connection during one login does not outlive its
//   recovery: the next login a second later succeeds.
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { startAuthgate, startProvider } from '../tooling/lib/index.mjs';
import {
  Browser, assertNoSession, deliverCallback, gatewayConfig, loginUntilCallback, me, sleep,
} from './login_helpers.mjs';

async function signedIn(browser, ag) {
  const cb = await loginUntilCallback(browser, ag);
  const res = await deliverCallback(browser, cb);
  return res;
}

describe('a stale ID token (OIDC Core s3.1.3.7 item 10)', () => {
  test('iat two days old, exp ahead: 401 id_token_too_old, its own page, no session', async (t) => {
    const op = await startProvider({ t });
    const ag = await startAuthgate({ t, config: gatewayConfig(op) });
    const now = Math.floor(Date.now() / 1000);
    const browser = new Browser();
    const cb = await loginUntilCallback(browser, ag);
    await op.forgeIdToken({ mode: 'resign', claims: { iat: now - 2 * 86400, exp: now + 3600 } });
    const res = await deliverCallback(browser, cb);
    assert.equal((await op.stats()).token.forged, 1, 'the stale token was served');
    await assertNoSession(browser, ag, res, { status: 401, code: 'id_token_too_old' });
    assert.match(res.text, /This sign-in is out of date/);
    assert.doesNotMatch(res.text, /identity token from the provider is not valid/);
    const log = ag.service.output();
    assert.match(log, /callback refused: id_token_too_old/);
    assert.match(log, /provider\.max_id_token_age/, 'the log names the setting');
    const metrics = await (await fetch(`${ag.url}/metrics`)).text();
    assert.ok(metrics.split('\n').some((l) => l.startsWith('authgate_auth_failures_total')
      && l.includes('reason="id_token_too_old"')), 'counted under its own reason');

    // The same forgery within the limit signs in: the rule is the age, not the resigning.
    const fresh = new Browser();
    const cb2 = await loginUntilCallback(fresh, ag);
    await op.forgeIdToken({ mode: 'resign', claims: { iat: now - 60, exp: now + 3600 } });
    const ok = await deliverCallback(fresh, cb2);
    assert.equal(ok.status, 302, ok.text.slice(0, 300));
    assert.equal((await me(fresh, ag)).status, 200);
  });

  test('provider.max_id_token_age is the limit used', async (t) => {
    const op = await startProvider({ t });
    const ag = await startAuthgate({
      t, config: gatewayConfig(op, { provider: { max_id_token_age: '30s' } }),
    });
    const now = Math.floor(Date.now() / 1000);
    const browser = new Browser();
    const cb = await loginUntilCallback(browser, ag);
    await op.forgeIdToken({ mode: 'resign', claims: { iat: now - 120 } });
    const res = await deliverCallback(browser, cb);
    await assertNoSession(browser, ag, res, { status: 401, code: 'id_token_too_old' });
  });
});

describe('JWKS recovery', () => {
  test('the JWKS endpoint resets the connection during one login; a login a second later succeeds', async (t) => {
    const op = await startProvider({ t });
    // A fresh authgate has fetched no keys yet: the first callback fetches them.
    const ag = await startAuthgate({ t, config: gatewayConfig(op) });
    // Every JWKS request resets until cleared: the HTTP client's own retries fail too.
    await op.failJwks({ count: 1000, mode: 'reset' });
    const first = new Browser();
    const res1 = await signedIn(first, ag);
    const during = await op.stats();
    assert.ok(during.jwksFailed >= 1, 'the JWKS endpoint reset the connection');
    await assertNoSession(first, ag, res1, { status: [401, 502, 503] });

    await op.failJwks({ count: 0 });
    await sleep(1000);
    const second = new Browser();
    const t0 = Date.now();
    const res2 = await signedIn(second, ag);
    assert.equal(res2.status, 302, `the next login succeeds: ${res2.text.slice(0, 300)}`);
    assert.equal((await me(second, ag)).status, 200);
    const after = await op.stats();
    assert.ok(after.jwks > during.jwks, 'the keys were fetched again, not held back');
    assert.ok(Date.now() - t0 < 10000);
  });

  test('a JWKS endpoint answering 503 for three logins: a login succeeds within two seconds of its recovery', async (t) => {
    const op = await startProvider({ t });
    const ag = await startAuthgate({ t, config: gatewayConfig(op) });
    await op.failJwks({ count: 1000, mode: 'status', status: 503 });
    // Several failing logins in a row grow the back-off; it stays short.
    for (let i = 0; i < 3; i += 1) {
      const b = new Browser();
      const r = await signedIn(b, ag);
      await assertNoSession(b, ag, r, { status: [401, 502, 503] });
    }
    await op.failJwks({ count: 0 });
    const recovered = Date.now();
    let ok = null;
    while (Date.now() - recovered < 10000) {
      const b = new Browser();
      const r = await signedIn(b, ag);
      if (r.status === 302) { ok = Date.now() - recovered; break; }
      await sleep(200);
    }
    assert.ok(ok !== null, 'a login succeeded after the endpoint recovered');
    t.diagnostic(`first successful login ${ok} ms after the endpoint recovered`);
    assert.ok(ok < 2000, `recovered within two seconds (took ${ok} ms)`);
  });
});
