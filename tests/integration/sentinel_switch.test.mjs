// Redis Sentinel (issue 17): a manual failover (`SENTINEL FAILOVER`) with the old master
// still up. The old master keeps answering as a master until the sentinels convert it
// to a replica, so no connection error or READONLY tells authgate anything; with both
// replicas gone from it, a write there would fail its WAIT (a 503). authgate follows the
// sentinels' `+switch-master` event instead: it logs that it did, drops its pooled
// connections, and the next login is written to the new master and acknowledged by the
// remaining replica, with no 503 after the event.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';

import {
  USERS, authgateAvailable, redisCli, sleep, startAuthgate, startProvider, startSentinelSet,
} from '../tooling/lib/index.mjs';
import { get, signIn, waitFor } from './fault_helpers.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';

const sessionKeys = async (port) => (await redisCli(port, '--scan', '--pattern', 'authgate:s:*')).length;

/** /auth/check for `who` every 50 ms; each answer with the time it came. */
function statusLog(ag, who, t) {
  const seen = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      try {
        const r = await get(`${ag.url}/auth/check`, { cookie: who.cookie });
        seen.push({ at: Date.now(), status: r.status });
      } catch (e) {
        seen.push({ at: Date.now(), status: `error: ${e.message}` });
      }
      await sleep(50);
    }
  })();
  const stop = async () => { on = false; await loop; };
  t.after(stop);
  return { seen, stop };
}

describe('Redis Sentinel: a manual failover is followed through +switch-master', { skip }, () => {
  test('SENTINEL FAILOVER: the next login goes to the new master, no 503', async (t) => {
    const op = await startProvider({ t });
    const set = await startSentinelSet({ t, replicas: 2, sentinels: 3 });
    const key = randomBytes(32).toString('base64url');
    const ag = await startAuthgate({
      t,
      config: {
        provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
        session: { store: set.storeUri(), encryption_keys: [key] },
      },
    });
    const log = () => ag.service.output();
    await waitFor('readiness', async () => (await get(`${ag.url}/readyz`)).status === 200);
    const following = /following \+switch-master for authgate-test through sentinel 127\.0\.0\.1:(\d+)/;
    await waitFor('the +switch-master subscription', async () => following.test(log()), 10000);
    // The failover is asked of the sentinel authgate listens to: as the leader it
    // announces the switch once the other replica replicates the new master, so the
    // login below has a replica to acknowledge it (WAIT). (Another sentinel announces it
    // as soon as it learns the new configuration, which can be a moment earlier.)
    const leader = Number(following.exec(log())[1]);
    assert.ok(set.sentinelPorts.includes(leader));

    const alice = await signIn(ag, USERS.alice);
    const oldMaster = set.masterPort;
    assert.equal(await sessionKeys(oldMaster), 1);
    const traffic = statusLog(ag, alice, t);
    await sleep(300);

    const answer = await redisCli(leader, 'SENTINEL', 'FAILOVER', set.masterName);
    assert.deepEqual(answer, ['OK'], 'the sentinels start the failover');
    const startedAt = Date.now();
    const followed = new RegExp(
      `followed \\+switch-master authgate-test 127\\.0\\.0\\.1:${oldMaster} -> 127\\.0\\.0\\.1:(\\d+); `
      + 'pooled connections dropped \\(from sentinel 127\\.0\\.0\\.1:\\d+\\)');
    await waitFor('authgate to follow +switch-master', async () => followed.test(log()), 20000);
    const followedAt = Date.now();
    const newMaster = Number(followed.exec(log())[1]);
    t.diagnostic(`SENTINEL FAILOVER to authgate following +switch-master: ${followedAt - startedAt} ms`);
    assert.ok(set.replicaPorts.includes(newMaster), `a replica was promoted: ${newMaster}`);
    assert.equal((await redisCli(leader, 'SENTINEL', 'get-master-addr-by-name', set.masterName))[1],
      String(newMaster), 'the sentinels name the same master');

    // The next login, at once: written to the new master and acknowledged by the other
    // replica (WAIT 1), while the old master may still be a master.
    const oldRole = (await redisCli(oldMaster, 'ROLE'))[0];
    t.diagnostic(`the old master's role when bob signs in: ${oldRole}`);
    const bob = await signIn(ag, USERS.bob);
    assert.ok(bob.id);
    assert.equal(await sessionKeys(newMaster), 2, 'alice (replicated) and bob on the new master');
    const me = await get(`${ag.url}/auth/me`, { cookie: alice.cookie });
    assert.equal(me.status, 200);
    assert.equal(JSON.parse(me.text).session, alice.id, 'the session from before the failover');

    // The sentinels turn the old master into a replica of the new one; it then holds
    // every session too.
    await waitFor('the old master to become a replica', async () =>
      (await redisCli(oldMaster, 'ROLE'))[0] === 'slave', 30000);
    const carol = await signIn(ag, USERS.carol);
    assert.ok(carol.id);
    await waitFor('the old master to hold every session', async () =>
      (await sessionKeys(oldMaster)) === 3, 10000);
    assert.equal(await sessionKeys(newMaster), 3);

    await traffic.stop();
    const after = traffic.seen.filter((s) => s.at > followedAt);
    const notOk = traffic.seen.filter((s) => s.status !== 200);
    t.diagnostic(`/auth/check: ${traffic.seen.length} answers, ${after.length} after the event, `
      + `not 200: ${JSON.stringify(notOk)}`);
    assert.ok(after.length > 10, 'traffic ran after the switch');
    assert.deepEqual(after.filter((s) => s.status !== 200), [], 'only 200 after +switch-master');
    assert.deepEqual(notOk, [], 'no 503 at all: the old master answered until the switch');

    // The log line names addresses only: no key, no cookie value.
    const line = log().split('\n').find((l) => followed.test(l));
    const cookieValues = [alice, bob, carol].flatMap((who) =>
      who.cookie.split(';').map((c) => c.trim().split('=').slice(1).join('=')).filter((v) => v.length > 8));
    assert.ok(cookieValues.length >= 3);
    for (const secret of [key, ...cookieValues]) {
      assert.ok(!line.includes(secret), 'no secret in the +switch-master line');
      assert.ok(!log().includes(secret), 'no secret anywhere in the log');
    }
  });
});
