// The .deb (docs/DEPLOY.md "Bare metal"): lintian clean, installed with dpkg -i, the
// unit verified and its exposure measured, the installed binary run with the installed
// settings exactly as the unit's ExecStartPre/ExecStart do (as the authgate user, with
// the EnvironmentFile, in the state directory, umask 0077), a sign-in through it, then
// dpkg --purge, after which nothing of the package is left.
// The package comes from AUTHGATE_DEB_DIR (scripts/test: cpack in build/release).
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  Browser, REPO_ROOT, USERS, freePort, login, spawnService, startProvider,
} from '../tooling/lib/index.mjs';

const DEB_DIR = path.resolve(process.env.AUTHGATE_DEB_DIR || path.join(REPO_ROOT, 'build/release'));
const debs = fs.existsSync(DEB_DIR) ? fs.readdirSync(DEB_DIR).filter((f) => f.endsWith('.deb')) : [];
const DEB = debs.find((f) => /^authgate_.*\.deb$/.test(f));
const DBGSYM = debs.find((f) => /^authgate-dbgsym_.*\.deb$/.test(f));
const UNIT = '/usr/lib/systemd/system/authgate.service';

const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', ...opts });
const installed = (pkg) => run('dpkg-query', ['-W', '-f=${Status}', pkg]).stdout.includes('install ok installed');
const userExists = (name) => run('getent', ['passwd', name]).status === 0;
const groupExists = (name) => run('getent', ['group', name]).status === 0;

/** The unit's Exec lines and EnvironmentFile, as systemd reads them (no quoting used). */
function unitSettings(text) {
  const get = (key) => text.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
  return {
    execStartPre: get('ExecStartPre').map((l) => l.split(/\s+/)),
    execStart: get('ExecStart')[0].split(/\s+/),
    environmentFile: get('EnvironmentFile')[0],
    user: get('User')[0],
    workingDirectory: get('WorkingDirectory')[0],
    umask: get('UMask')[0],
  };
}

/** KEY=value lines as systemd's EnvironmentFile= reads them (comments and blanks skipped). */
function readEnvironmentFile(file) {
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const l = line.trim();
    if (!l || l.startsWith('#') || l.startsWith(';')) continue;
    const eq = l.indexOf('=');
    env[l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
  }
  return env;
}

describe('debian package', { skip: !DEB && `no authgate_*.deb in ${DEB_DIR} (scripts/test builds it)` }, () => {
  const deb = path.join(DEB_DIR, DEB ?? 'none');
  const before_ = {};

  before(() => {
    assert.equal(process.getuid(), 0, 'dpkg -i needs root');
    // Leave the machine as found: refuse to run over an operator's install.
    before_.installed = installed('authgate');
    before_.user = userExists('authgate');
    before_.etc = fs.existsSync('/etc/authgate');
    before_.state = fs.existsSync('/var/lib/authgate');
    assert.deepEqual(before_, { installed: false, user: false, etc: false, state: false },
      'authgate is not installed on this machine before the test');
  });

  after(() => {
    // Whatever happened, the package goes again.
    if (installed('authgate') || fs.existsSync('/var/lib/dpkg/info/authgate.list')) {
      run('dpkg', ['--purge', 'authgate']);
    }
  });

  test('lintian finds no error or warning (overrides are explained in the package)', () => {
    const r = run('lintian', ['--fail-on', 'error,warning', '--display-info', deb, path.join(DEB_DIR, DBGSYM)]);
    assert.equal(r.status, 0, `lintian:\n${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout, /^[EW]: /m, r.stdout);
  });

  test('the binary is stripped and its debug symbols are in authgate-dbgsym', () => {
    const dir = fs.mkdtempSync('/tmp/authgate-deb-');
    try {
      execFileSync('dpkg-deb', ['-x', deb, dir]);
      execFileSync('dpkg-deb', ['-x', path.join(DEB_DIR, DBGSYM), dir]);
      const sections = execFileSync('readelf', ['-S', '-W', path.join(dir, 'usr/bin/authgate')], { encoding: 'utf8' });
      assert.doesNotMatch(sections, /\.debug_info/, 'no DWARF in the shipped binary');
      assert.match(sections, /\.gnu_debuglink/, 'it names its debug file');
      const dbg = path.join(dir, 'usr/lib/debug/usr/bin/authgate.debug');
      assert.match(execFileSync('readelf', ['-S', '-W', dbg], { encoding: 'utf8' }), /\.debug_info/);
      const link = execFileSync('readelf', ['--string-dump=.gnu_debuglink', path.join(dir, 'usr/bin/authgate')], { encoding: 'utf8' });
      assert.match(link, /authgate\.debug/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('dpkg -i, the unit, a sign-in as ExecStart runs it, dpkg --purge', async (t) => {
    const r = run('dpkg', ['-i', deb]);
    assert.equal(r.status, 0, `dpkg -i: ${r.stdout}${r.stderr}`);

    // What the package put in place.
    const conffiles = fs.readFileSync('/var/lib/dpkg/info/authgate.conffiles', 'utf8').split('\n');
    assert.ok(conffiles.includes('/etc/authgate/authgate.yaml'), 'the settings are a conffile');
    assert.ok(conffiles.includes('/etc/authgate/authgate.env'), 'the env file is a conffile');
    const pw = run('getent', ['passwd', 'authgate']).stdout.split(':');
    assert.ok(Number(pw[2]) < 1000, 'authgate is a system user');
    assert.match(pw[6], /nologin|false/, 'with no login shell');
    const envStat = fs.statSync('/etc/authgate/authgate.env');
    assert.equal(envStat.mode & 0o777, 0o640, 'the env file is 0640');
    assert.equal(envStat.uid, 0);
    assert.equal(envStat.gid, Number(pw[3]), 'group authgate');

    // The unit: systemd-analyze verify, and the exposure score.
    const verify = run('systemd-analyze', ['verify', UNIT]);
    assert.equal(verify.status, 0, `systemd-analyze verify: ${verify.stdout}${verify.stderr}`);
    const sec = run('systemd-analyze', ['security', '--offline=true', UNIT]);
    const score = Number(/Overall exposure level for authgate\.service: ([\d.]+)/.exec(sec.stdout)?.[1]);
    t.diagnostic(`systemd-analyze security --offline=true exposure ${score}`);
    assert.ok(score <= 2.0, `exposure ${score} is at most 2.0`);

    // Run what the unit runs. A provider to sign in with, its values in the env file.
    const op = await startProvider({ t });
    const port = await freePort();
    fs.appendFileSync('/etc/authgate/authgate.env', [
      `AUTH0_DOMAIN=${op.issuer}`, `AUTH0_CLIENT_ID=${op.clientId}`,
      `AUTH0_CLIENT_SECRET=${op.clientSecret}`, `AUTHGATE_SERVER_LISTEN=127.0.0.1:${port}`, ''].join('\n'));
    const unit = unitSettings(fs.readFileSync(UNIT, 'utf8'));
    assert.deepEqual(unit.execStart.slice(0, 2), ['/usr/bin/authgate', 'serve']);
    const env = { PATH: '/usr/bin:/bin', ...readEnvironmentFile(unit.environmentFile) };
    // StateDirectory=authgate: systemd makes it, owned by the unit's user, mode 0700.
    fs.mkdirSync(unit.workingDirectory, { mode: 0o700 });
    fs.chownSync(unit.workingDirectory, Number(pw[2]), Number(pw[3]));
    const asUnit = (argv) => ['-c', `umask ${unit.umask}; exec setpriv --reuid=${unit.user} --regid=${unit.user} --init-groups --no-new-privs --inh-caps=-all --bounding-set=-all -- "$@"`, 'sh', ...argv];
    for (const pre of unit.execStartPre) {
      const p = run('/bin/sh', asUnit(pre), { cwd: unit.workingDirectory, env });
      assert.equal(p.status, 0, `ExecStartPre ${pre.join(' ')}: ${p.stdout}${p.stderr}`);
    }
    const svc = await spawnService({
      name: 'authgate-deb',
      cmd: '/bin/sh',
      args: asUnit(unit.execStart),
      cwd: unit.workingDirectory,
      env,
      readyWhen: { url: `http://127.0.0.1:${port}/healthz` },
      t,
    });
    const health = run('/bin/sh', asUnit(['/usr/bin/authgate', 'healthcheck', '-c', '/etc/authgate/authgate.yaml']), { env });
    assert.equal(health.status, 0, `authgate healthcheck: ${health.stderr}`);

    const browser = new Browser();
    const { response } = await login(browser, `http://127.0.0.1:${port}`, { returnTo: '/auth/me' });
    assert.equal(response.status, 200, response.text.slice(0, 300));
    const meRes = await browser.request(`http://127.0.0.1:${port}/auth/me`, { accept: 'application/json', follow: false });
    assert.equal(meRes.status, 200);
    assert.equal(JSON.parse(meRes.text).email, USERS.alice.user, 'signed in through the installed gateway');
    const db = fs.statSync('/var/lib/authgate/authgate.db');
    assert.equal(db.uid, Number(pw[2]), 'the session database belongs to authgate');
    assert.equal(db.mode & 0o077, 0, 'and is private to it');
    assert.ok(fs.existsSync('/var/lib/authgate/authgate.db.key'), 'the generated session key is in the state directory');

    // systemctl reload: ExecReload sends SIGHUP to the main process, which re-reads its
    // settings and keeps serving the signed-in browser.
    assert.match(fs.readFileSync(UNIT, 'utf8'), /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    process.kill(svc.pid, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 500));
    const afterReload = await browser.request(`http://127.0.0.1:${port}/auth/me`, { accept: 'application/json', follow: false });
    assert.equal(afterReload.status, 200, 'still serving, still signed in after SIGHUP');
    await svc.stop();

    const purge = run('dpkg', ['--purge', 'authgate']);
    assert.equal(purge.status, 0, `dpkg --purge: ${purge.stdout}${purge.stderr}`);
    assert.equal(installed('authgate'), false);
    for (const p of ['/usr/bin/authgate', UNIT, '/etc/authgate', '/var/lib/authgate']) {
      assert.equal(fs.existsSync(p), false, `${p} is gone after purge`);
    }
    assert.equal(userExists('authgate'), false, 'the system user is gone');
    assert.equal(groupExists('authgate'), false, 'the group is gone');
  });
});
