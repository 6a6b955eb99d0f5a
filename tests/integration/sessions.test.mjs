// Login sessions at the binary level (issue 5): the session endpoints, the
// `authgate sessions` CLI against a SQLite file and against Redis while authgate runs,
// sessions surviving a restart, two instances sharing one Redis, and the per-user cap
// and idle timeout.
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

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';

function settings(op, { store, session = {}, access = {}, listen } = {}) {
  return {
    server: listen ? { listen } : {},
    provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
    session: { store, ...session },
    access,
  };
}

/** authgate sessions ... -c FILE: resolves {code, stdout, stderr}. */
function cli(configFile, args) {
  return new Promise((resolve) => {
    execFile(authgateBin(), ['sessions', ...args, '-c', configFile], { timeout: 30000 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

async function cliOk(configFile, args) {
  const r = await cli(configFile, args);
  assert.equal(r.code, 0, `authgate sessions ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r;
}

async function listJson(configFile, extra = []) {
  const r = await cliOk(configFile, ['list', '--json', ...extra]);
  return JSON.parse(r.stdout).sessions;
}

/** GET /auth/me with this browser's cookies for `url` (or an explicit cookie header). */
async function me(url, { browser, cookie }) {
  const headers = { accept: 'application/json' };
  if (cookie !== undefined) headers.cookie = cookie;
  const res = await fetch(`${url}/auth/me`, {
    headers: cookie !== undefined ? headers : { ...headers, cookie: browser.cookieHeader(`${url}/`) },
    redirect: 'manual',
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function signIn(ag, user) {
  const b = new Browser();
  const { response } = await login(b, ag.url, { user: user.user, password: user.password });
  const m = await me(ag.url, { browser: b });
  assert.equal(m.status, 200, `${user.user} signed in (login ended with ${response.status}: ${response.text.replace(/<style[\s\S]*?<\/style>|<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 400)})`);
  return { browser: b, id: m.body.session, cookie: b.cookieHeader(`${ag.url}/`) };
}

function api(ag, who, p, { method = 'GET', cookie } = {}) {
  return fetch(`${ag.url}${p}`, {
    method,
    headers: { accept: 'application/json', cookie: cookie ?? who.cookie },
    redirect: 'manual',
  });
}

const active = (list) => list.filter((s) => s.state === 'active');

/** The audit events authgate has logged so far, oldest first (JSON or text log lines). */
function auditEvents(ag) {
  const events = [];
  for (const line of ag.service.output().split('\n')) {
    const at = line.indexOf('{');
    if (at < 0) continue;
    let o;
    try {
      o = JSON.parse(line.slice(at));
    } catch {
      continue;
    }
    if (typeof o.event === 'string' && o.event.startsWith('session.')) events.push(o);
  }
  return events;
}

describe('session endpoints', { skip }, () => {
  test('users list their own sessions, admins all; revoking ends that browser only', async (t) => {
    const op = await startProvider({ t });
    const dir = tempDir('authgate-sessions-');
    const ag = await startAuthgate({
      t,
      config: settings(op, {
        store: `sqlite:${path.join(dir, 'sessions.db')}`,
        access: { admin_emails: ['alice@example.com'] },
      }),
    });
    const alice1 = await signIn(ag, USERS.alice);
    const alice2 = await signIn(ag, USERS.alice);
    const bob = await signIn(ag, USERS.bob);

    const mine = (await (await api(ag, alice1, '/auth/sessions')).json()).sessions;
    assert.deepEqual(mine.map((s) => s.id).sort(), [alice1.id, alice2.id].sort());
    assert.ok(mine.every((s) => s.sub === USERS.alice.sub && s.state === 'active'));
    assert.deepEqual(mine.filter((s) => s.current).map((s) => s.id), [alice1.id],
      'exactly the calling browser is flagged current');
    for (const s of mine) {
      assert.equal(s.user_agent, 'authgate-test-browser/1');
      assert.ok(s.created_at > 0 && s.expires_at > s.created_at);
      assert.equal(JSON.stringify(s).includes(alice1.cookie.split('=')[1]), false, 'no cookie value');
    }

    const bobs = (await (await api(ag, bob, '/auth/sessions')).json()).sessions;
    assert.deepEqual(bobs.map((s) => s.id), [bob.id], 'bob sees only his own');

    const all = await api(ag, alice1, '/auth/sessions?all=1');
    assert.equal(all.status, 200);
    assert.deepEqual((await all.json()).sessions.map((s) => s.id).sort(),
      [alice1.id, alice2.id, bob.id].sort(), 'an admin sees every session');
    assert.equal((await api(ag, bob, '/auth/sessions?all=1')).status, 403, 'not for non-admins');
    assert.equal((await api(ag, bob, '/auth/sessions', { cookie: '' })).status, 401);

    // Bob cannot revoke alice's session, and cannot tell it exists.
    const denied = await api(ag, bob, `/auth/sessions/${alice2.id}`, { method: 'DELETE' });
    assert.equal(denied.status, 404);
    assert.equal((await me(ag.url, alice2)).status, 200);
    const unknown = await api(ag, bob, '/auth/sessions/no-such-id', { method: 'DELETE' });
    assert.equal(unknown.status, 404);

    // Bob revokes his own; alice (admin) revokes her second browser.
    const own = await api(ag, bob, `/auth/sessions/${bob.id}`, { method: 'DELETE' });
    assert.equal(own.status, 200);
    assert.equal((await me(ag.url, bob)).status, 401);
    const gone = await api(ag, alice1, `/auth/sessions/${alice2.id}`, { method: 'DELETE' });
    assert.equal(gone.status, 200);
    assert.deepEqual(await gone.json(), { revoked: alice2.id });
    assert.equal((await me(ag.url, alice2)).status, 401, 'the revoked browser is signed out');
    assert.equal((await me(ag.url, alice1)).status, 200, 'the other browser is not');

    const after = (await (await api(ag, alice1, '/auth/sessions')).json()).sessions;
    const revoked = after.find((s) => s.id === alice2.id);
    assert.equal(revoked?.state, 'revoked', 'a revoked session stays listable for a while');
    assert.equal(revoked.revoked_reason, 'admin');

    // The audit trail tells the two apart: bob ended his own, alice ended one as admin.
    const events = auditEvents(ag);
    assert.deepEqual(events.filter((e) => e.session === bob.id).map((e) => e.event),
      ['session.login', 'session.revoked_by_user']);
    assert.deepEqual(events.filter((e) => e.session === alice2.id).map((e) => e.event),
      ['session.login', 'session.revoked_by_admin']);
    assert.equal(events.find((e) => e.event === 'session.revoked_by_admin').actor, 'alice@example.com');
  });

  test('auth_time is null, not 0, when the provider sent none', async (t) => {
    const op = await startProvider({ t });
    const ag = await startAuthgate({ t, config: settings(op, { store: 'memory' }) });
    const alice = await signIn(ag, USERS.alice);
    const m = await me(ag.url, alice);
    assert.ok('auth_time' in m.body && m.body.auth_time === null, JSON.stringify(m.body));
    const [listed] = (await (await api(ag, alice, '/auth/sessions')).json()).sessions;
    assert.ok('auth_time' in listed && listed.auth_time === null, JSON.stringify(listed));

    // Asked for (max_age), the provider sends it, and it is shown as it came.
    const fresh = await startAuthgate({
      t, config: { ...settings(op, { store: 'memory' }), provider: { ...settings(op).provider, max_age: 3600 } },
    });
    const bob = await signIn(fresh, USERS.bob);
    const withTime = await me(fresh.url, bob);
    assert.equal(typeof withTime.body.auth_time, 'number', JSON.stringify(withTime.body));
    assert.ok(withTime.body.auth_time > 1_600_000_000);
  });
});

describe('authgate sessions CLI and restarts', { skip }, () => {
  test('SQLite: list and revoke while authgate runs; a restart keeps sessions', async (t) => {
    const op = await startProvider({ t });
    const dir = tempDir('authgate-sessions-');
    const db = path.join(dir, 'sessions.db');
    const config = settings(op, { store: `sqlite:${db}` });
    let ag = await startAuthgate({ t, config });
    const keyFile = `${db}.key`;
    assert.ok(fs.existsSync(keyFile), 'a key file is generated beside the database');
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.match(ag.service.output(), /sessions\.db\.key/, 'and authgate says so');

    const alice1 = await signIn(ag, USERS.alice);
    const alice2 = await signIn(ag, USERS.alice);
    const alice3 = await signIn(ag, USERS.alice);
    const bob = await signIn(ag, USERS.bob);

    const table = await cliOk(ag.configFile, ['list']);
    for (const who of [alice1, alice2, alice3, bob]) assert.ok(table.stdout.includes(who.id), table.stdout);
    assert.match(table.stdout, /alice@example\.com/);
    assert.match(table.stdout, /4 sessions/);
    assert.equal(table.stdout.includes(alice1.cookie.split('=')[1]), false, 'no cookie value');

    const all = await listJson(ag.configFile);
    assert.equal(all.length, 4);
    const byEmail = await listJson(ag.configFile, ['--user', 'alice@example.com']);
    assert.deepEqual(byEmail.map((s) => s.id).sort(), [alice1.id, alice2.id, alice3.id].sort());
    const bySub = await listJson(ag.configFile, ['--user', USERS.bob.sub]);
    assert.deepEqual(bySub.map((s) => s.id), [bob.id]);
    assert.deepEqual(await listJson(ag.configFile, ['--user', 'nobody@example.com']), []);

    // A second instance on the same file (several processes on one host).
    const other = await startAuthgate({ t, config });
    assert.equal((await me(other.url, { cookie: alice1.cookie })).status, 200);

    // One session by id: that browser's next request is unauthenticated, everywhere.
    const one = await cliOk(ag.configFile, ['revoke', alice1.id]);
    assert.match(one.stdout, new RegExp(`revoked session ${alice1.id}`));
    assert.equal((await me(ag.url, alice1)).status, 401);
    assert.equal((await me(other.url, { cookie: alice1.cookie })).status, 401);
    await other.stop();
    assert.equal((await me(ag.url, alice2)).status, 200);
    const missing = await cli(ag.configFile, ['revoke', 'no-such-id']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no session no-such-id/);
    const elsewhere = path.join(dir, 'authgate-typo.yaml');
    fs.writeFileSync(elsewhere, JSON.stringify({ ...config, session: { store: `sqlite:${db}.typo` } }));
    const typo = await cli(elsewhere, ['list']);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /session\.store: no database at/);
    assert.equal(fs.existsSync(`${db}.typo`), false, 'the CLI does not create a database');
    const usage = await cli(ag.configFile, ['revoke']);
    assert.equal(usage.code, 1, 'revoke needs ID, --user or --all');

    // Restart: the same database and the generated key file are reused.
    const listen = `127.0.0.1:${ag.port}`;
    await ag.stop();
    ag = await startAuthgate({ t, config: { ...config, server: { listen } } });
    assert.equal((await me(ag.url, alice2)).status, 200, 'a session survives the restart');
    assert.equal((await me(ag.url, bob)).status, 200);
    assert.equal((await me(ag.url, alice1)).status, 401, 'a revocation survives it too');

    const byUser = await cliOk(ag.configFile, ['revoke', '--user', 'alice@example.com']);
    assert.match(byUser.stdout, /revoked 2 sessions/);
    assert.equal((await me(ag.url, alice2)).status, 401);
    assert.equal((await me(ag.url, alice3)).status, 401);
    assert.equal((await me(ag.url, bob)).status, 200);

    const everyone = await cliOk(ag.configFile, ['revoke', '--all']);
    assert.match(everyone.stdout, /revoked 1 session\b/);
    assert.equal((await me(ag.url, bob)).status, 401);
    assert.deepEqual(active(await listJson(ag.configFile)), []);
    assert.match(ag.service.output() + everyone.stderr, /"actor":"cli"/, 'audited with the CLI as actor');
  });

  test('Redis: two instances share sessions, the CLI revokes on both, a restart keeps them', async (t) => {
    const op = await startProvider({ t });
    const redis = await startRedis({ t });
    const key = randomBytes(32).toString('base64url');
    const config = settings(op, { store: redis.url, session: { encryption_keys: [key] } });
    const a = await startAuthgate({ t, config });
    const b = await startAuthgate({ t, config });

    // Log in on A, use the session on B. Cookies are per host:port in the jar, so
    // the cookie header is carried over by hand, as a load balancer would.
    const alice = await signIn(a, USERS.alice);
    const onB = await me(b.url, { cookie: alice.cookie });
    assert.equal(onB.status, 200, 'A\'s session works on B');
    assert.equal(onB.body.session, alice.id);

    // Revoke on B: the next request on A is rejected.
    const del = await api(b, alice, `/auth/sessions/${alice.id}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.equal((await me(a.url, alice)).status, 401, 'revoked on B, rejected on A');

    // The CLI against the same Redis while both run.
    const alice2 = await signIn(a, USERS.alice);
    const bob = await signIn(b, USERS.bob);
    const alice3 = await signIn(a, USERS.alice);
    const listed = active(await listJson(a.configFile));
    assert.deepEqual(listed.map((s) => s.id).sort(), [alice2.id, bob.id, alice3.id].sort());
    const table = await cliOk(b.configFile, ['list', '--user', 'alice@example.com']);
    assert.ok(table.stdout.includes(alice2.id) && table.stdout.includes(alice3.id), table.stdout);
    assert.ok(!table.stdout.includes(bob.id));

    await cliOk(a.configFile, ['revoke', alice2.id]);
    assert.equal((await me(a.url, alice2)).status, 401);
    assert.equal((await me(b.url, { cookie: alice2.cookie })).status, 401);
    await cliOk(a.configFile, ['revoke', '--user', USERS.bob.sub]);
    assert.equal((await me(b.url, bob)).status, 401);
    assert.equal((await me(a.url, { cookie: bob.cookie })).status, 401);
    assert.equal((await me(a.url, alice3)).status, 200, 'other sessions untouched');

    // Restart A with the same inline key: the session is still there.
    const listen = `127.0.0.1:${a.port}`;
    await a.stop();
    const a2 = await startAuthgate({ t, config: { ...config, server: { listen } } });
    assert.equal((await me(a2.url, alice3)).status, 200, 'a session survives the restart');
    assert.equal((await me(a2.url, alice2)).status, 401);

    await cliOk(b.configFile, ['revoke', '--all']);
    assert.equal((await me(a2.url, alice3)).status, 401);
    assert.equal((await me(b.url, { cookie: alice3.cookie })).status, 401);
  });

  test('the CLI on Redis without a configured key says why and exits 1', async (t) => {
    const op = await startProvider({ t });
    const redis = await startRedis({ t });
    const dir = tempDir('authgate-sessions-');
    const configFile = path.join(dir, 'authgate.yaml');
    fs.writeFileSync(configFile, JSON.stringify(settings(op, { store: redis.url })));
    const r = await cli(configFile, ['list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /session\.encryption_key/);
  });
});

describe('session limits at the binary level', { skip }, () => {
  test('max_per_user 1: the second login revokes the first', async (t) => {
    const op = await startProvider({ t });
    const ag = await startAuthgate({
      t, config: settings(op, { store: 'memory', session: { max_per_user: 1 } }),
    });
    const first = await signIn(ag, USERS.alice);
    const second = await signIn(ag, USERS.alice);
    assert.equal((await me(ag.url, first)).status, 401, 'the oldest session was revoked');
    assert.equal((await me(ag.url, second)).status, 200);
    const list = (await (await api(ag, second, '/auth/sessions')).json()).sessions;
    assert.equal(list.find((s) => s.id === first.id)?.revoked_reason, 'max_sessions');
    const ended = auditEvents(ag).filter((e) => e.session === first.id && e.event !== 'session.login');
    assert.deepEqual(ended.map((e) => [e.event, e.reason]), [['session.replaced', 'max_sessions']]);
  });

  test('the same browser signing in again replaces its session, audited as replaced', async (t) => {
    const op = await startProvider({ t });
    const ag = await startAuthgate({ t, config: settings(op, { store: 'memory' }) });
    const first = await signIn(ag, USERS.alice);
    await login(first.browser, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
    const again = await me(ag.url, { browser: first.browser });
    assert.equal(again.status, 200);
    assert.notEqual(again.body.session, first.id, 'a new session');
    assert.equal((await me(ag.url, { cookie: first.cookie })).status, 401, 'the old one ended');
    const list = (await (await api(ag, first, '/auth/sessions', {
      cookie: first.browser.cookieHeader(`${ag.url}/`),
    })).json()).sessions;
    assert.equal(list.find((s) => s.id === first.id)?.revoked_reason, 'replaced');
    const ended = auditEvents(ag).filter((e) => e.session === first.id && e.event !== 'session.login');
    assert.deepEqual(ended.map((e) => [e.event, e.reason]), [['session.replaced', 'replaced']],
      'not a logout: the user did not sign out');
  });

  test('idle timeout: a session unused for longer ends, a used one slides', async (t) => {
    const op = await startProvider({ t });
    const ag = await startAuthgate({
      t, config: settings(op, { store: 'memory', session: { idle_timeout: '3s' } }),
    });
    const idle = await signIn(ag, USERS.alice);
    const busy = await signIn(ag, USERS.bob);
    for (let i = 0; i < 5; i += 1) {
      await sleep(1000);
      assert.equal((await me(ag.url, busy)).status, 200, `busy session alive after ${i + 1} s`);
    }
    assert.equal((await me(ag.url, idle)).status, 401, 'idle for 5 s with a 3 s idle timeout');
  });
});
