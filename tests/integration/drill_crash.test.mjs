// Fault drill (issue 17): authgate killed with SIGKILL under login and request load,
// with SQLite and with Redis. Every login that completed (the client got its session
// cookie) must still be valid after a restart on the same store: a session is written
// (SQLite: committed; Redis: acknowledged) before the callback answers with the cookie,
// so a crash can lose only logins still in flight, which never got a cookie.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import {
  Browser, USERS, authgateAvailable, login, sleep, startAuthgate, startProvider, startRedis,
  tempDir,
} from '../tooling/lib/index.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';

async function status(url, cookie) {
  const res = await fetch(url, { headers: { cookie, accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

const who = [USERS.alice, USERS.bob, USERS.carol, USERS.dave];

for (const backend of ['sqlite', 'redis']) {
  describe(`kill -9 of authgate under load (${backend})`, { skip }, () => {
    test('every login that got its cookie is valid after the restart', async (t) => {
      const op = await startProvider({ t });
      let store;
      const session = {};
      if (backend === 'sqlite') {
        store = `sqlite:${path.join(tempDir('authgate-crash-'), 'sessions.db')}`;
      } else {
        store = (await startRedis({ t, persist: true })).url;
        session.encryption_keys = [randomBytes(32).toString('base64url')];
      }
      const config = {
        provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
        session: { store, ...session },
      };
      let ag = await startAuthgate({ t, config });
      config.server = { listen: `127.0.0.1:${ag.port}` };

      const completed = []; // cookies the clients got
      let inFlightFailures = 0;
      let running = true;
      // Four login loops and one request loop over the completed sessions.
      const loginLoop = async (user) => {
        while (running) {
          const b = new Browser();
          try {
            await login(b, ag.url, { user: user.user, password: user.password });
          } catch {
            inFlightFailures += 1; // the crash cut it off
          }
          // The session cookie is what the callback's answer promised, whether or not
          // the redirect after it was followed before the kill.
          const cookie = b.cookieHeader(`${ag.url}/`);
          if (/(^|; )authgate=/.test(cookie)) completed.push({ user: user.user, cookie });
        }
      };
      const requestLoop = async () => {
        while (running) {
          const c = completed[Math.floor(Math.random() * completed.length)];
          if (c) { try { await status(`${ag.url}/auth/check`, c.cookie); } catch { /* crash */ } }
          await sleep(5);
        }
      };
      const loops = [...who.map(loginLoop), requestLoop()];
      await new Promise((resolve) => {
        const check = setInterval(() => { if (completed.length >= 30) { clearInterval(check); resolve(); } }, 20);
      });
      process.kill(ag.service.pid, 'SIGKILL');
      const killed = await ag.service.exited;
      assert.equal(killed.signal, 'SIGKILL');
      running = false;
      await Promise.all(loops);
      const promised = [...completed];
      t.diagnostic(`${promised.length} logins completed before the kill, ${inFlightFailures} cut off`);

      ag = await startAuthgate({ t, config });
      let lost = 0;
      for (const c of promised) {
        if ((await status(`${ag.url}/auth/me`, c.cookie)) !== 200) lost += 1;
      }
      assert.equal(lost, 0, `${lost} of ${promised.length} completed logins lost`);
      // And the restarted instance takes new logins.
      const b = new Browser();
      await login(b, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
      assert.equal(await status(`${ag.url}/auth/me`, b.cookieHeader(`${ag.url}/`)), 200);
    });
  });
}
