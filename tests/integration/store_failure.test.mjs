// The session store failing under a running authgate (issue 5, "Store failures"):
// Redis killed in the middle of traffic gives clear 503s (never a redirect to log in
// again, which is how redirect loops start), readiness names the store, and
// everything recovers by itself with no session lost once Redis is back. A database
// that cannot be opened at start is a clear error and exit 1.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import {
  Browser, USERS, authgateAvailable, authgateBin, login, sleep, startAuthgate, startProvider,
  startRedis, tempDir,
} from '../tooling/lib/index.mjs';
import { checkTraffic, get, signIn, waitFor } from './fault_helpers.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';

function settings(op, store, session = {}) {
  return {
    provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
    session: { store, ...session },
  };
}

function run(args, { timeout = 30000 } = {}) {
  return new Promise((resolve) => {
    execFile(authgateBin(), args, { timeout }, (err, stdout, stderr) => resolve({
      code: err ? (err.code ?? 1) : 0, signal: err?.signal, stdout, stderr,
    }));
  });
}

describe('Redis killed and restarted in the middle of traffic', { skip }, () => {
  test('clear 503s during the outage, then recovery with no session lost', async (t) => {
    const op = await startProvider({ t });
    // Persistence on (append-only, fsync always), so a restart reloads what was written.
    let redis = await startRedis({ t, persist: true });
    const key = randomBytes(32).toString('base64url');
    const config = settings(op, redis.url, { encryption_keys: [key] });
    const ag = await startAuthgate({ t, config });
    assert.equal((await get(`${ag.url}/readyz`)).status, 200);

    const alice = await signIn(ag, USERS.alice);
    const bob = await signIn(ag, USERS.bob);

    // Background traffic through the whole outage: only 200 or 503, never 401 or 3xx.
    const traffic = checkTraffic(ag, [alice, bob], t);
    await sleep(300);

    // Kill, not a clean shutdown.
    process.kill(redis.service.pid, 'SIGKILL');
    await redis.service.exited;
    // The session cache answers until the instance sees its revocation channel drop
    // (milliseconds; SESSIONS.md "Session cache"); from then on nothing is answered
    // from memory. Wait for that moment, bounded, then check every answer.
    await waitFor('the instance to notice Redis is gone', async () =>
      (await get(`${ag.url}/auth/me`, { cookie: alice.cookie })).status === 503, 3000);

    const me = await get(`${ag.url}/auth/me`, { cookie: alice.cookie });
    assert.equal(me.status, 503, 'fail closed: not 401, which would send the app to log in');
    assert.equal(JSON.parse(me.text).error, 'session_store_unavailable');
    assert.ok(me.headers.get('retry-after'));

    const page = await get(`${ag.url}/auth/me`, { cookie: alice.cookie, accept: 'text/html' });
    assert.equal(page.status, 503);
    assert.match(page.headers.get('content-type'), /text\/html/);
    assert.match(page.text, /temporarily unavailable/i);
    assert.equal(page.headers.get('location'), null, 'no redirect: no loop');

    const check = await get(`${ag.url}/auth/check`, { cookie: bob.cookie });
    assert.equal(check.status, 503);
    const loginStart = await get(`${ag.url}/auth/login`, { accept: 'text/html' });
    assert.equal(loginStart.status, 503, 'a new login cannot start without the store either');
    assert.equal(loginStart.headers.get('location'), null);

    const ready = await get(`${ag.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(JSON.parse(ready.text).failing, 'store', 'readiness names the store');
    assert.equal((await get(`${ag.url}/healthz`)).status, 200, 'liveness does not depend on it');

    // The CLI reports the outage and exits 1.
    const cli = await run(['sessions', 'list', '-c', ag.configFile]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /session\.store: .*unavailable \(session_store_unavailable\)/);

    await sleep(500); // some traffic during the outage

    // Redis back on the same port with the same data directory.
    redis = await startRedis({ t, persist: true, port: redis.port, dir: redis.dir });
    await waitFor('readiness to recover', async () => (await get(`${ag.url}/readyz`)).status === 200);
    assert.equal((await get(`${ag.url}/auth/me`, { cookie: alice.cookie })).status, 200,
      'alice\'s session survived the outage');
    assert.equal((await get(`${ag.url}/auth/me`, { cookie: bob.cookie })).status, 200,
      'bob\'s too');
    await signIn(ag, USERS.alice); // and new logins work again
    await sleep(300);

    await traffic.stop();
    traffic.assertOnly200And503();
  });
});

describe('a session store that cannot be opened at start', { skip }, () => {
  for (const [name, store] of [
    ['a database in a missing directory', 'sqlite:/nonexistent-authgate-dir/sessions.db'],
    ['a directory instead of a file', 'DIR'],
  ]) {
    test(`${name}: a clear session.store error and exit 1`, async () => {
      const dir = tempDir('authgate-badstore-');
      const configFile = path.join(dir, 'authgate.yaml');
      fs.writeFileSync(configFile, JSON.stringify({
        server: { listen: '127.0.0.1:0' },
        provider: { issuer: 'http://127.0.0.1:9/', client_id: 'x', client_secret: 'y' },
        session: { store: store === 'DIR' ? `sqlite:${dir}` : store },
      }));
      const r = await run(['serve', '-c', configFile], { timeout: 20000 });
      assert.equal(r.signal ?? null, null, 'exits by itself, does not hang');
      assert.equal(r.code, 1);
      const out = r.stdout + r.stderr;
      assert.match(out, /session\.store: /);
      assert.match(out, store === 'DIR' ? new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        : /nonexistent-authgate-dir/, 'names the path');
      assert.doesNotMatch(out, /listening/);
    });
  }
});
