// Redis Sentinel (issue 17): sentinels that require a password (`requirepass` in
// sentinel.conf, and an ACL user beside it). authgate sends `sentinel_password` (with
// `sentinel_user`) from the store URI to every sentinel: with the right one it finds the
// master and follows +switch-master; with a wrong one, or none, `check-config` and
// `serve` stop with a clear error naming the sentinels' answer, and no password is
// printed anywhere (nor in `check-config --print`).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import {
  USERS, authgateAvailable, authgateBin, freePort, startAuthgate, startProvider, startSentinelSet,
  tempDir,
} from '../tooling/lib/index.mjs';
import { get, signIn, waitFor } from './fault_helpers.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';

function run(args, config) {
  const file = path.join(tempDir('authgate-sentinel-auth-'), 'authgate.yaml');
  fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  const r = spawnSync(authgateBin(), [...args, '-c', file], {
    encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 30000,
  });
  return { code: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}` };
}

describe('Redis Sentinel with requirepass', { skip }, () => {
  test('the right sentinel password works; a wrong or missing one is a clear error', async (t) => {
    const op = await startProvider({ t });
    const sentinelPassword = `sentinel-${randomBytes(12).toString('hex')}`;
    const acl = { user: 'authgate-watch', password: `acl-${randomBytes(12).toString('hex')}` };
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    const secrets = [sentinelPassword, acl.password, wrong];
    const set = await startSentinelSet({ t, replicas: 1, sentinels: 3, sentinelPassword, sentinelUser: acl });
    const key = randomBytes(32).toString('base64url');
    const config = (query) => ({
      server: { listen: '127.0.0.1:0' },
      provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
      session: { store: set.storeUri(query), encryption_keys: [key] },
    });
    const right = `?sentinel_password=${sentinelPassword}`;
    const aclQuery = `?sentinel_user=${acl.user}&sentinel_password=${acl.password}`;
    const noSecret = (out) => {
      for (const s of secrets) assert.ok(!out.includes(s), 'no password in the output');
    };
    const named = new RegExp(`session store: the sentinels name authgate-test at 127\\.0\\.0\\.1:${set.masterPort}`);

    await t.test('check-config asks the sentinels with the password, or the ACL user', async () => {
      for (const query of [right, aclQuery]) {
        const ok = run(['check-config'], config(query));
        assert.equal(ok.code, 0, ok.out);
        assert.match(ok.out, named);
        noSecret(ok.out);
      }
      const printed = run(['check-config', '--print'], config(aclQuery));
      assert.equal(printed.code, 0, printed.out);
      assert.match(printed.out, /sentinel_user=authgate-watch&sentinel_password=\[redacted\]/);
      noSecret(printed.out);
    });

    await t.test('check-config: a wrong password, or none, names what the sentinels said', async () => {
      const bad = run(['check-config'], config(`?sentinel_password=${wrong}`));
      assert.equal(bad.code, 1, bad.out);
      t.diagnostic(bad.out.split('\n').find((l) => l.includes('session.store')));
      assert.match(bad.out, /session\.store: the sentinels refused authentication \(127\.0\.0\.1:\d+: WRONGPASS/);
      assert.match(bad.out, /sentinel_password \(and sentinel_user\) in session\.store must match the sentinels' requirepass or ACL user/);
      noSecret(bad.out);
      const badUser = run(['check-config'], config(`?sentinel_user=${acl.user}&sentinel_password=${wrong}`));
      assert.equal(badUser.code, 1, badUser.out);
      assert.match(badUser.out, /WRONGPASS/);
      noSecret(badUser.out);
      const none = run(['check-config'], config(''));
      assert.equal(none.code, 1, none.out);
      assert.match(none.out, /session\.store: the sentinels refused authentication \(127\.0\.0\.1:\d+: NOAUTH/);
      assert.match(none.out, /they require a password; add sentinel_password=\.\.\./);
      const offline = run(['check-config', '--offline'], config(`?sentinel_password=${wrong}`));
      assert.equal(offline.code, 0, `--offline does not contact the sentinels: ${offline.out}`);
    });

    await t.test('serve refuses to start with a wrong password, saying why', async () => {
      const cfg = config(`?sentinel_password=${wrong}`);
      cfg.server.listen = `127.0.0.1:${await freePort()}`;
      const r = run(['serve'], cfg);
      t.diagnostic(r.out.split('\n').find((l) => l.includes('session.store')));
      assert.equal(r.signal, null, `serve exited by itself: ${r.out}`);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /session\.store: session store: the sentinels refused authentication \(127\.0\.0\.1:\d+: WRONGPASS/);
      noSecret(r.out);
    });

    await t.test('serve with the password: readiness, logins, the +switch-master subscription', async () => {
      const ag = await startAuthgate({ t, config: { ...config(right), server: {} } });
      await waitFor('readiness', async () => (await get(`${ag.url}/readyz`)).status === 200);
      const alice = await signIn(ag, USERS.alice);
      assert.ok(alice.id);
      await waitFor('the +switch-master subscription', async () =>
        /following \+switch-master for authgate-test through sentinel 127\.0\.0\.1:\d+/.test(ag.service.output()), 10000);
      noSecret(ag.service.output());
    });
  });
});
