// The container image (docs/DEPLOY.md "Container image"): built from the unchanged
// deploy/docker/Dockerfile by scripts/image (podman, a debian:bookworm-slim made with
// mmdebstrap), run against the local provider, a sign-in through the container, then
// the container replaced by a new one on the same volume: the session survives.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { parse } from 'yaml';

import {
  Browser, REPO_ROOT, USERS, freePort, login, sleep, startProvider,
} from '../tooling/lib/index.mjs';

const TAG = process.env.AUTHGATE_IMAGE_TAG || 'authgate:test';
// The flags this machine needs (scripts/image says why); Docker elsewhere needs none.
const GLOBAL = ['--runtime', 'runc', '--cgroup-manager=cgroupfs'];
const RUN = ['--network=host', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
const podman = (args, opts = {}) => spawnSync('podman', [...GLOBAL, ...args], { encoding: 'utf8', ...opts });
const ok = (r, what) => { assert.equal(r.status, 0, `${what}: ${r.stdout}${r.stderr}`); return r.stdout.trim(); };

const id = `authgate-test-${process.pid}`;
const volume = `${id}-data`;

async function waitHealthy(url, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch { /* not yet */ }
    await sleep(100);
  }
  const logs = podman(['logs', id]);
  throw new Error(`${url} not healthy in ${timeoutMs} ms\n${logs.stdout}${logs.stderr}`);
}

describe('container image', () => {
  after(() => {
    // Only what this file made: its container and its volume, by name.
    podman(['rm', '-f', '-t', '2', id]);
    podman(['volume', 'rm', '-f', volume]);
  });

  test('compose.yaml runs authgate from this Dockerfile with Redis and a sample upstream', () => {
    const compose = parse(fs.readFileSync(path.join(REPO_ROOT, 'deploy/docker/compose.yaml'), 'utf8'));
    assert.deepEqual(Object.keys(compose.services).sort(), ['authgate', 'redis', 'upstream']);
    const ag = compose.services.authgate;
    const context = path.resolve(REPO_ROOT, 'deploy/docker', ag.build.context);
    assert.equal(context, REPO_ROOT, 'built from the repository root');
    assert.ok(fs.existsSync(path.join(context, ag.build.dockerfile)), 'the Dockerfile it names exists');
    assert.match(ag.environment.AUTHGATE_SESSION_STORE, /^redis:\/\/redis:6379\//, 'sessions in the redis service');
    assert.match(ag.environment.AUTHGATE_UPSTREAM_URL, /^http:\/\/upstream[:/]/, 'in front of the upstream service');
    assert.ok(ag.volumes.some((v) => v.endsWith(':/var/lib/authgate')), 'the state volume');
    assert.ok(compose.secrets[ag.secrets[0]], 'the shared session key is a secret');
  });

  test('builds, signs in through the container, the session survives a new container', { timeout: 1500_000 }, async (t) => {
    const started = Date.now();
    const build = spawnSync(path.join(REPO_ROOT, 'scripts/image'), [TAG], { encoding: 'utf8', cwd: REPO_ROOT, maxBuffer: 64 << 20 });
    assert.equal(build.status, 0, `scripts/image:\n${build.stdout.slice(-4000)}${build.stderr.slice(-4000)}`);
    t.diagnostic(`scripts/image took ${Math.round((Date.now() - started) / 1000)} s`);

    const inspect = JSON.parse(ok(podman(['image', 'inspect', TAG]), 'inspect'))[0];
    const cfg = inspect.Config;
    t.diagnostic(`image size ${(inspect.Size / 1e6).toFixed(1)} MB`);
    assert.ok(inspect.Size < 250e6, `a slim image (${inspect.Size} bytes)`);
    assert.equal(cfg.User, '10001:10001', 'runs as a non-root user');
    assert.deepEqual(cfg.Entrypoint, ['authgate']);
    assert.equal(cfg.Cmd[0], 'serve');
    assert.ok(Object.keys(cfg.Volumes ?? {}).includes('/var/lib/authgate'), 'the state volume');
    const hc = inspect.Healthcheck ?? cfg.Healthcheck;
    assert.deepEqual(hc?.Test?.slice(0, 3), ['CMD', 'authgate', 'healthcheck'], 'HEALTHCHECK uses authgate itself');
    const noCurl = podman(['run', '--rm', ...RUN, '--entrypoint', '/bin/sh', TAG, '-c', 'command -v curl wget || exit 3']);
    assert.equal(noCurl.status, 3, `no curl or wget in the image: ${noCurl.stdout}`);

    const op = await startProvider({ t });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const runContainer = () => ok(podman(['run', '-d', '--name', id, ...RUN, '-v', `${volume}:/var/lib/authgate`,
      '-e', `AUTH0_DOMAIN=${op.issuer}`, '-e', `AUTH0_CLIENT_ID=${op.clientId}`,
      '-e', `AUTH0_CLIENT_SECRET=${op.clientSecret}`, '-e', `AUTHGATE_SERVER_LISTEN=127.0.0.1:${port}`, TAG]), 'podman run');
    ok(podman(['volume', 'create', volume]), 'volume create');
    runContainer();
    await waitHealthy(`${url}/healthz`);
    ok(podman(['healthcheck', 'run', id]), 'the image HEALTHCHECK (authgate healthcheck)');
    assert.equal(ok(podman(['exec', id, 'id', '-u']), 'id'), '10001', 'the server runs as uid 10001');

    const browser = new Browser();
    const { response } = await login(browser, url, { returnTo: '/auth/me' });
    assert.equal(response.status, 200, response.text.slice(0, 300));
    const me1 = JSON.parse((await browser.request(`${url}/auth/me`, { accept: 'application/json', follow: false })).text);
    assert.equal(me1.email, USERS.alice.user);

    // A new container (an upgrade, a reschedule) on the same volume.
    ok(podman(['rm', '-f', '-t', '10', id]), 'podman rm');
    runContainer();
    await waitHealthy(`${url}/healthz`);
    const res = await browser.request(`${url}/auth/me`, { accept: 'application/json', follow: false });
    assert.equal(res.status, 200, `the session survives on the volume: ${res.status} ${res.text.slice(0, 200)}`);
    const me2 = JSON.parse(res.text);
    assert.equal(me2.email, USERS.alice.user);
    assert.ok(me1.session, 'a public session id');
    assert.equal(me2.session, me1.session, 'the same session');

    // The server stops cleanly on the runtime's SIGTERM.
    ok(podman(['stop', '-t', '20', id]), 'podman stop');
    const state = JSON.parse(ok(podman(['inspect', id]), 'inspect container'))[0].State;
    assert.equal(state.ExitCode, 0, 'authgate drains and exits 0 on SIGTERM');
  });
});
