// authgate healthcheck (the image's HEALTHCHECK): 0 while the server answers /healthz
// with 200, 1 otherwise; it finds the server through the same settings as serve, and a
// wildcard listen address is asked over loopback.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

import {
  authgateAvailable, authgateBin, freePort, startAuthgate, startProvider,
} from '../tooling/lib/index.mjs';

const check = (args, env = {}) => spawnSync(authgateBin(), ['healthcheck', ...args], {
  encoding: 'utf8', env: { ...process.env, ...env },
});

describe('authgate healthcheck', { skip: !authgateAvailable() && 'no authgate binary (AUTHGATE_BIN)' }, () => {
  test('0 while serving (wildcard listen asked over loopback), 1 once stopped, 1 on a non-200', async (t) => {
    const op = await startProvider({ t });
    const port = await freePort();
    const ag = await startAuthgate({
      t,
      config: {
        server: { listen: `0.0.0.0:${port}` },
        provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
        session: { store: 'memory' },
      },
    });
    // A proxy in the environment is not asked for a local health check.
    const up = check(['-c', ag.configFile], { http_proxy: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' });
    assert.equal(up.status, 0, up.stderr);
    assert.equal(up.stdout.trim(), 'ok');
    const notFound = check(['--url', `http://127.0.0.1:${port}/no-such-path`]);
    assert.equal(notFound.status, 1, 'a 404 is not healthy');
    assert.match(notFound.stderr, /HTTP 404/);
    await ag.stop();
    const down = check(['-c', ag.configFile]);
    assert.equal(down.status, 1, 'nothing listening: unhealthy');
    assert.match(down.stderr, new RegExp(`127\\.0\\.0\\.1:${port}/healthz`), 'it names what it asked');
  });

  test('with server.admin_listen it asks the admin listener, where /healthz lives', async (t) => {
    const op = await startProvider({ t });
    const port = await freePort();
    const admin = await freePort();
    const ag = await startAuthgate({
      t,
      config: {
        server: { listen: `127.0.0.1:${port}`, admin_listen: `127.0.0.1:${admin}` },
        provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
        session: { store: 'memory' },
      },
    });
    const up = check(['-c', ag.configFile]);
    assert.equal(up.status, 0, up.stderr);
    // The main listener no longer serves /healthz, so asking it is not healthy.
    const main = check(['--url', `http://127.0.0.1:${port}/healthz`]);
    assert.equal(main.status, 1, 'the main listener does not answer /healthz when admin_listen is set');
    await ag.stop();
    const down = check(['-c', ag.configFile]);
    assert.equal(down.status, 1);
    assert.match(down.stderr, new RegExp(`127\\.0\\.0\\.1:${admin}/healthz`), 'it asked the admin address');
  });
});
