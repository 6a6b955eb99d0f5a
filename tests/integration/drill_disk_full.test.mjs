// Fault drill (issue 17): the SQLite store's filesystem fills up under a running
// authgate. A real small filesystem: a 4 MiB tmpfs mounted for the test (needs root,
// CAP_SYS_ADMIN; skipped otherwise, saying so). Expected: writes fail with a clear log
// line and a 503 (never a redirect), a signed-in session keeps being read, nothing is
// corrupted (PRAGMA integrity_check), and everything works again once space is back.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import {
  Browser, USERS, authgateAvailable, login, startAuthgate, startProvider, tempDir,
} from '../tooling/lib/index.mjs';
import { get, signIn } from './fault_helpers.mjs';

function canMountTmpfs() {
  if (process.getuid?.() !== 0) return false;
  const probe = tempDir('authgate-tmpfs-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const skip = (!authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)')
  || (!canMountTmpfs() && 'cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)');

// Fills the filesystem of `dir` until ENOSPC; returns the filler's path.
function fill(dir) {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    if (e.code !== 'ENOSPC') throw e;
  }
  // Fill the last partial block too.
  try { for (;;) fs.writeSync(fd, Buffer.alloc(512, 1)); } catch (e) { if (e.code !== 'ENOSPC') throw e; }
  fs.closeSync(fd);
  return filler;
}

describe('SQLite on a full disk', { skip }, () => {
  test('a clear error and 503, no corruption, recovery once space is back', async (t) => {
    const dir = tempDir('authgate-full-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    // Lazy: unmounts even if a process still had a file open when hooks ran.
    t.after(() => { try { execFileSync('umount', ['-l', dir]); } catch { /* gone */ } });
    const db = path.join(dir, 'sessions.db');

    const op = await startProvider({ t });
    const ag = await startAuthgate({
      t,
      config: {
        provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
        session: { store: `sqlite:${db}` },
      },
    });
    const alice = await signIn(ag, USERS.alice);

    const filler = fill(dir);
    // A new login needs a write (its transaction): refused at once, with a page.
    const start = await get(`${ag.url}/auth/login`, { accept: 'text/html' });
    assert.equal(start.status, 503, 'a login cannot start without space to store it');
    assert.equal(start.headers.get('location'), null, 'no redirect');
    assert.match(start.text, /temporarily unavailable/i);
    const api = await get(`${ag.url}/auth/login`);
    assert.equal(api.status, 503);
    assert.equal(JSON.parse(api.text).error, 'session_store_unavailable');
    // The log says why, in words an operator can act on.
    const why = ag.service.output().split('\n').find((l) => /sqlite: .*(database or disk is full)/i.test(l));
    assert.ok(why, 'the log names the full disk');
    t.diagnostic(`log: ${why}`);
    // A signed-in user is still read from the database.
    const me = await get(`${ag.url}/auth/me`, { cookie: alice.cookie });
    assert.ok(me.status === 200 || me.status === 503, `reads: ${me.status}`);
    assert.equal(me.headers.get('location'), null);

    fs.rmSync(filler);
    const b = new Browser();
    await login(b, ag.url, { user: USERS.bob.user, password: USERS.bob.password });
    assert.equal((await get(`${ag.url}/auth/me`, { cookie: b.cookieHeader(`${ag.url}/`) })).status, 200,
      'logins work again once space is back');
    assert.equal((await get(`${ag.url}/auth/me`, { cookie: alice.cookie })).status, 200,
      'the session from before is intact');
    const check = execFileSync('sqlite3', [db, 'PRAGMA integrity_check;'], { encoding: 'utf8' }).trim();
    assert.equal(check, 'ok', 'no corruption');
  });
});
