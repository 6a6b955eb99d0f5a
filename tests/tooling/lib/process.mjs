// Child processes for integration tests: started on free loopback ports, stopped by
// PID (SIGTERM, then SIGKILL) when the test ends, whether it passed or failed.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const LOG_LIMIT = 256 * 1024;
const live = new Set(); // services not yet stopped
const all = []; // every service of this test file, for the failure dump
const tmpDirs = [];

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix = 'authgate-test-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}

export const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Last resort: whatever is still running when this test process exits is killed,
// and if the file failed, every service's output is shown.
process.on('exit', (code) => {
  for (const svc of live) {
    try { process.kill(svc.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  if ((code || process.exitCode) && all.length && !process.env.AUTHGATE_TEST_QUIET) {
    for (const svc of all) process.stderr.write(svc.describe());
  }
  if (!process.env.AUTHGATE_TEST_KEEP_TMP) {
    for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    for (const svc of live) {
      try { process.kill(svc.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  });
}

async function waitForUrl(url, child, deadline) {
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status < 500) return true;
    } catch { /* not listening yet */ }
    await sleep(50);
  }
  return false;
}

/**
 * spawnService({name, cmd, args, env, cwd, readyWhen, timeoutMs, t, uid, gid, stopSignal})
 *   readyWhen: RegExp tested on each output line (stdout and stderr), or
 *              {url} polled until it answers below 500, or {port} (TCP connect).
 *   uid, gid:  run as this user (a server that refuses root, e.g. postgres).
 *   stopSignal: what stop() sends first (default SIGTERM), SIGKILL 3 s later.
 *   t:         node:test TestContext; stop() is registered with t.after(). Without
 *              it, register svc.stop yourself (after(() => svc.stop())).
 * Resolves to {pid, name, match, output(), stop(), exited}.
 */
export async function spawnService({
  name, cmd, args = [], env, cwd, readyWhen, timeoutMs = 15000, t, uid, gid, stopSignal = 'SIGTERM',
}) {
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(uid !== undefined ? { uid, gid } : {}),
  });
  let log = '';
  let match;
  let onLine;
  const append = (stream) => {
    let partial = '';
    child[stream].setEncoding('utf8');
    child[stream].on('data', (chunk) => {
      log += chunk;
      if (log.length > LOG_LIMIT) log = log.slice(-LOG_LIMIT);
      if (process.env.AUTHGATE_TEST_VERBOSE) process.stderr.write(`[${name}] ${chunk}`);
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop();
      for (const line of lines) onLine?.(line);
    });
  };
  append('stdout');
  append('stderr');
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const svc = {
    name,
    pid: child.pid,
    child,
    exited,
    output: () => log,
    describe: () => `\n----- ${name} (pid ${child.pid}) ${cmd} ${args.join(' ')}\n${log}\n----- end ${name}\n`,
    async stop() {
      if (!live.has(svc)) return;
      live.delete(svc);
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(child.pid, stopSignal); } catch { /* gone */ }
        const killer = setTimeout(() => {
          try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
        }, 3000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
  if (child.pid === undefined) {
    const err = await new Promise((resolve) => { child.once('error', resolve); });
    throw new Error(`${name}: cannot start ${cmd}: ${err.message}`);
  }
  live.add(svc);
  all.push(svc);
  t?.after(() => svc.stop());

  const deadline = Date.now() + timeoutMs;
  let ready;
  if (readyWhen instanceof RegExp) {
    ready = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const done = (v) => { clearTimeout(timer); onLine = undefined; resolve(v); };
      onLine = (line) => {
        const m = readyWhen.exec(line);
        if (m) { match = m; done(true); }
      };
      // Lines already seen before the listener was set.
      for (const line of log.split('\n')) onLine?.(line);
      exited.then(() => done(false));
    });
  } else if (readyWhen?.url) {
    ready = await waitForUrl(readyWhen.url, child, deadline);
  } else if (readyWhen?.port) {
    ready = false;
    while (!ready && Date.now() < deadline && child.exitCode === null) {
      ready = await new Promise((resolve) => {
        const sock = net.connect(readyWhen.port, '127.0.0.1', () => { sock.destroy(); resolve(true); });
        sock.once('error', () => resolve(false));
      });
      if (!ready) await sleep(50);
    }
  } else {
    ready = true;
  }
  if (!ready) {
    await svc.stop();
    throw new Error(`${name} did not become ready within ${timeoutMs} ms${svc.describe()}`);
  }
  svc.match = match;
  return svc;
}

export function liveServices() {
  return [...live].map((s) => ({ name: s.name, pid: s.pid }));
}

export async function stopAll() {
  await Promise.all([...live].map((s) => s.stop()));
}

export { isAlive };
