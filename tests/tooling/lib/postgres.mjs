// A real PostgreSQL server for integration tests: initdb in a temp dir, then `postgres`
// on 127.0.0.1 and a free port, stopped by PID when the test ends (fast shutdown:
// SIGINT, then SIGKILL), through spawnService and `t`. PostgreSQL refuses to run as
// root, so under root initdb and postgres run as `nobody`. The programs are Debian's
// (/usr/lib/postgresql/<version>/bin, the newest) or those in $AUTHGATE_PG_BIN.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { freePort, spawnService, tempDir } from './process.mjs';

export function postgresBinDir() {
  if (process.env.AUTHGATE_PG_BIN) return process.env.AUTHGATE_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) {
    throw new Error('PostgreSQL is not installed (Debian: postgresql; scripts/setup), or set AUTHGATE_PG_BIN');
  }
  return path.join(root, versions[0], 'bin');
}

export function postgresAvailable() {
  try {
    postgresBinDir();
    return true;
  } catch {
    return false;
  }
}

/** Under root: nobody's uid and gid, else {} (run as ourselves). */
function runAs() {
  if (process.getuid?.() !== 0) return {};
  const id = (flag) => Number(execFileSync('id', [flag, 'nobody']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Resolves {port, password, url, psql(sql), service, stop()}: `url` is libpq's URI for
 * the superuser "authgate" on database "postgres" (sslmode=disable); psql(sql) runs one
 * statement and resolves its rows as arrays of strings.
 */
export async function startPostgres({ t, timeoutMs = 30000 } = {}) {
  const bin = postgresBinDir();
  const port = await freePort();
  const dir = tempDir('authgate-pg-');
  const ids = runAs();
  if (ids.uid !== undefined) fs.chownSync(dir, ids.uid, ids.gid);
  const password = randomBytes(12).toString('hex');
  const pwfile = path.join(dir, 'pwfile');
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (ids.uid !== undefined) fs.chownSync(pwfile, ids.uid, ids.gid);
  const data = path.join(dir, 'data');
  execFileSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'authgate', `--pwfile=${pwfile}`,
    '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync',
  '--no-instructions'], { cwd: dir, stdio: 'pipe', ...ids });
  fs.rmSync(pwfile);
  const service = await spawnService({
    name: 'postgres',
    cmd: path.join(bin, 'postgres'),
    args: ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off', '-c', 'full_page_writes=off'],
    cwd: dir,
    readyWhen: /database system is ready to accept connections/,
    stopSignal: 'SIGINT',
    timeoutMs,
    t,
    ...ids,
  });
  const url = `postgres://authgate:${password}@127.0.0.1:${port}/postgres?sslmode=disable`;
  const psql = (sql) => new Promise((resolve, reject) => {
    execFile('psql', [url, '-X', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
      { timeout: 10000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`psql: ${stderr || err.message}`));
        else resolve(stdout.split('\n').filter(Boolean).map((l) => l.split('\t')));
      });
  });
  return {
    port, password, url, psql, service, stop: () => service.stop(),
  };
}
