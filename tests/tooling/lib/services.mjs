// The servers integration tests run against, each on a free 127.0.0.1 port and
// stopped by PID when the test ends (see process.mjs). Pass the node:test context
// as `t` so cleanup is registered with t.after().
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort, spawnService, tempDir } from './process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../../..');
const PROVIDER = path.join(REPO_ROOT, 'tests/tooling/provider/server.mjs');
const UPSTREAM = path.join(REPO_ROOT, 'tests/tooling/upstream.mjs');

async function postJson(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * The local Auth0-compatible provider. `opts` is the provider config (docs/TESTING.md):
 * clientId, clientSecret, redirectUris, postLogoutRedirectUris, backchannelLogoutUri,
 * accessTokenTtl, users, apis, rotateRefreshTokens, ...
 */
export async function startProvider(opts = {}) {
  const { t, timeoutMs, ...config } = opts;
  const svc = await spawnService({
    name: 'provider',
    cmd: process.execPath,
    args: [PROVIDER, '--port', String(config.port ?? 0), '--config', JSON.stringify(config)],
    readyWhen: /^\{"issuer":/,
    timeoutMs,
    t,
  });
  const info = JSON.parse(svc.match.input);
  const url = (p = '/') => new URL(p, info.issuer).href;
  const control = (p, body) => postJson(url(`/__test/${p}`), body);
  const getJson = async (p) => (await fetch(url(p))).json();
  return {
    issuer: info.issuer,
    port: info.port,
    clientId: config.clientId ?? 'authgate-test',
    clientSecret: config.clientSecret ?? 'authgate-test-secret',
    service: svc,
    stop: () => svc.stop(),
    url,
    control,
    stats: () => getJson('/__test/stats'),
    sessions: (sub) => getJson(`/__test/sessions${sub ? `?sub=${encodeURIComponent(sub)}` : ''}`),
    tokens: (sub) => getJson(`/__test/tokens${sub ? `?sub=${encodeURIComponent(sub)}` : ''}`),
    tokenExchanges: () => getJson('/__test/token-exchanges'),
    reset: () => control('reset'),
    failToken: (rule) => control('fail-token', rule),
    forgeIdToken: (rule) => control('forge-id-token', rule),
    failJwks: (rule) => control('fail-jwks', rule),
    sign: async (payload, { header, key } = {}) => (await control('sign', { payload, header, key })).jwt,
    backchannelLogout: (body) => control('backchannel-logout', body),
    endSession: (body) => control('end-session', body),
    setClient: (meta) => control('clients', meta),
  };
}

/**
 * redis-server on a free port (or `port`), without persistence unless `persist`:
 * then an append-only file in `dir` (a new temp dir by default), so stopping it and
 * starting it again with the same {port, dir, persist: true} reloads the data.
 */
export async function startRedis({
  t, timeoutMs, persist = false, port: wanted, dir: wantedDir,
} = {}) {
  const port = wanted ?? await freePort();
  const dir = wantedDir ?? tempDir('authgate-redis-');
  const svc = await spawnService({
    name: 'redis',
    cmd: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
      '--appendonly', persist ? 'yes' : 'no', ...(persist ? ['--appendfsync', 'always'] : []),
      '--dir', dir, '--daemonize', 'no', '--logfile', ''],
    readyWhen: /Ready to accept connections/,
    timeoutMs,
    t,
  });
  return {
    port, dir, url: `redis://127.0.0.1:${port}/0`, service: svc, stop: () => svc.stop(),
  };
}

/**
 * Debian's nginx with every path in a temp dir. `configText` is the body of the
 * `http {}` block (or a whole nginx.conf when it contains "events"); `__PORT__` in
 * it is replaced by the listen port chosen here (or opts.port).
 */
export async function startNginx(configText, { t, port: wanted, timeoutMs } = {}) {
  const port = wanted ?? await freePort();
  const dir = tempDir('authgate-nginx-');
  for (const sub of ['logs', 'client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    fs.mkdirSync(path.join(dir, sub));
  }
  const body = configText.replaceAll('__PORT__', String(port));
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((k) => `  ${k === 'client_body' ? 'client_body' : k}_temp_path ${dir}/${k};`).join('\n');
  const conf = body.includes('events') ? body : `${process.getuid?.() === 0 ? 'user root root;\n' : ''}worker_processes 1;
events { worker_connections 1024; }
http {
  access_log ${dir}/logs/access.log;
${temps}
${body}
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const svc = await spawnService({
    name: 'nginx',
    cmd: '/usr/sbin/nginx',
    args: ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', 'stderr',
      '-g', `daemon off; master_process on; pid ${dir}/nginx.pid; error_log stderr;`],
    readyWhen: { port },
    timeoutMs,
    t,
  });
  return { port, url: `http://127.0.0.1:${port}`, dir, service: svc, stop: () => svc.stop() };
}

/** The sample upstream (tests/tooling/upstream.mjs): echoes requests, /ws echoes frames. */
export async function startUpstream({ t, timeoutMs } = {}) {
  const svc = await spawnService({
    name: 'upstream',
    cmd: process.execPath,
    args: [UPSTREAM, '--port', '0'],
    readyWhen: /^\{"url":/,
    timeoutMs,
    t,
  });
  const info = JSON.parse(svc.match.input);
  return { ...info, service: svc, stop: () => svc.stop() };
}

export function authgateBin() {
  // Absolute, because authgate runs with its temp dir as the working directory.
  return path.resolve(process.env.AUTHGATE_BIN || path.join(REPO_ROOT, 'build/release/src/cli/authgate'));
}

export function authgateAvailable() {
  try {
    fs.accessSync(authgateBin(), fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * authgate serve -c <temp file>. `config` is the settings object (docs/CONFIGURATION.md
 * names its keys); it is written as JSON, which is YAML too. server.listen defaults to
 * a free port. Resolves once GET /healthz answers.
 * `shell`: sh commands run first in the process that then becomes authgate (exec, so
 * the PID is authgate's), e.g. 'ulimit -n 64' or 'umask 022'.
 * `readyWhen`: instead of polling /healthz (whose keep-alive connection the HTTP client
 * may hold for seconds), e.g. {port: true} for a TCP connect that is closed at once.
 */
export async function startAuthgate({
  config = {}, env = {}, t, timeoutMs, args = [], shell, readyWhen,
} = {}) {
  const cfg = structuredClone(config);
  cfg.server = cfg.server ?? {};
  let port;
  if (cfg.server.listen) {
    port = Number(String(cfg.server.listen).split(':').pop());
  } else {
    port = await freePort();
    cfg.server.listen = `127.0.0.1:${port}`;
  }
  const url = `http://127.0.0.1:${port}`;
  const dir = tempDir('authgate-gw-');
  const configFile = path.join(dir, 'authgate.yaml');
  fs.writeFileSync(configFile, `${JSON.stringify(cfg, null, 2)}\n`);
  const bin = authgateBin();
  if (!authgateAvailable()) throw new Error(`authgate binary not found at ${bin} (set AUTHGATE_BIN)`);
  const svc = await spawnService({
    name: 'authgate',
    cmd: shell ? '/bin/sh' : bin,
    args: shell ? ['-c', `${shell}; exec "$0" "$@"`, bin, 'serve', '-c', configFile, ...args]
      : ['serve', '-c', configFile, ...args],
    cwd: dir,
    env,
    readyWhen: readyWhen?.port ? { port } : readyWhen ?? { url: `${url}/healthz` },
    timeoutMs,
    t,
  });
  return {
    url, port, configFile, dir, service: svc, stop: () => svc.stop(),
  };
}
