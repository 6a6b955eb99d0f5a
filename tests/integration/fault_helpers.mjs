// Helpers shared by the store and fault-drill tests (store_failure, sentinel, drill_*).
import * as assert from 'node:assert/strict';

import { Browser, login, sleep } from '../tooling/lib/index.mjs';

/** A GET that never follows redirects: {status, headers, text}. */
export async function get(url, { cookie = '', accept = 'application/json' } = {}) {
  const res = await fetch(url, {
    headers: { cookie, accept }, redirect: 'manual', signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

/** Signs `user` in through authgate; {cookie, id} (the session's public id). */
export async function signIn(ag, user) {
  const b = new Browser();
  await login(b, ag.url, { user: user.user, password: user.password });
  const cookie = b.cookieHeader(`${ag.url}/`);
  const m = await get(`${ag.url}/auth/me`, { cookie });
  assert.equal(m.status, 200, `${user.user} signed in`);
  return { cookie, id: JSON.parse(m.text).session };
}

/** Polls `fn` every 100 ms until it resolves truthy; throws after `timeoutMs`. */
export async function waitFor(what, fn, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Background /auth/check requests for each of `sessions` ({cookie}) every 50 ms, counted
 * by status in `seen`. `stop()` ends them (also on t.after); `assertOnly200And503()`
 * checks that some were 503 and some 200, and that nothing else (a 401, a redirect,
 * a failed request) was ever answered.
 */
export function checkTraffic(ag, sessions, t) {
  const seen = new Map();
  let on = true;
  const loop = (async () => {
    while (on) {
      for (const who of sessions) {
        try {
          const r = await get(`${ag.url}/auth/check`, { cookie: who.cookie });
          seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
        } catch (e) {
          seen.set(`error: ${e.message}`, 1);
        }
      }
      await sleep(50);
    }
  })();
  const stop = async () => { on = false; await loop; };
  t.after(stop);
  return {
    seen,
    stop,
    assertOnly200And503() {
      const all = JSON.stringify([...seen]);
      assert.ok((seen.get(503) ?? 0) > 0, `traffic saw the outage: ${all}`);
      assert.ok((seen.get(200) ?? 0) > 0, all);
      assert.deepEqual([...seen.keys()].filter((s) => s !== 200 && s !== 503), [],
        `only 200 and 503 through the outage: ${all}`);
    },
  };
}
