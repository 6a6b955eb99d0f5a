// Forward-auth through Debian's nginx (issue 7 "Forward-auth"): deploy/nginx/authgate.conf
// runs unchanged except for the addresses. nginx asks /auth/check with auth_request;
// an unauthenticated navigation is sent to login through error_page 401; after a
// login made through nginx (authgate's public_url is nginx), the upstream sees the
// identity headers.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  Browser, REPO_ROOT, USERS, authgateAvailable, freePort, login, startAuthgate, startNginx, startProvider,
  startUpstream,
} from '../tooling/lib/index.mjs';

// node's fetch always sends Sec-Fetch-Mode: cors (not a navigation): plain http here.
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers }));
    }).on('error', reject);
  });
}

const skip = (!authgateAvailable() && 'authgate binary not built (AUTHGATE_BIN)')
  || (!fs.existsSync('/usr/sbin/nginx') && 'nginx not installed');

describe('nginx auth_request', { skip }, () => {
  let op;
  let up;
  let ag;
  let nginx;
  const stops = [];

  before(async () => {
    op = await startProvider();
    stops.push(op);
    up = await startUpstream();
    stops.push(up);
    const nginxPort = await freePort();
    ag = await startAuthgate({
      config: {
        server: { public_url: `http://127.0.0.1:${nginxPort}`, trusted_proxies: ['127.0.0.1'] },
        provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
        session: { store: 'memory' },
      },
    });
    stops.push(ag);
    const conf = fs.readFileSync(path.join(REPO_ROOT, 'deploy/nginx/authgate.conf'), 'utf8')
      .replaceAll('127.0.0.1:4180', `127.0.0.1:${ag.port}`)
      .replaceAll('127.0.0.1:8080', `127.0.0.1:${up.port}`)
      .replace('listen 80;', 'listen 127.0.0.1:__PORT__;');
    nginx = await startNginx(conf, { port: nginxPort });
    stops.push(nginx);
  });
  after(async () => {
    for (const s of stops.reverse()) await s.stop();
  });

  test('an unauthenticated navigation is sent to login through error_page 401', async () => {
    const res = await get(`${nginx.url}/reports/q3?view=full`, { accept: 'text/html,application/xhtml+xml' });
    assert.equal(res.status, 302);
    const loc = new URL(res.headers.location, nginx.url);
    assert.equal(loc.origin, nginx.url);
    assert.equal(loc.pathname, '/auth/login');
    assert.equal(loc.searchParams.get('return_to'), '/reports/q3?view=full');
  });

  test('fetch and API calls get 401, not a redirect', async () => {
    for (const headers of [{ accept: 'application/json' }, { accept: 'text/html', 'sec-fetch-mode': 'cors' }]) {
      const res = await fetch(`${nginx.url}/api/data`, { headers, redirect: 'manual' });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
  });

  test('after login through nginx the upstream sees the identity headers', async () => {
    const browser = new Browser();
    const { response, chain } = await login(browser, nginx.url, { returnTo: '/dashboard?tab=1' });
    assert.equal(response.status, 200);
    assert.equal(new URL(response.url).origin, nginx.url, 'the login ended on nginx');
    assert.match(response.text, /Signed in as <b id="user">alice@example.com<\/b>/);
    assert.ok(chain.some((step) => String(step.url ?? step).includes('/auth/callback')));

    const echo = await browser.request(`${nginx.url}/dashboard?tab=1`, {
      accept: 'application/json',
      headers: { 'X-Auth-Request-User': 'admin', 'X-Auth-Request-Id-Token': 'forged' },
    });
    assert.equal(echo.status, 200);
    const { identity, query } = echo.json();
    assert.deepEqual(query, { tab: '1' });
    assert.equal(identity['x-auth-request-user'], USERS.alice.sub);
    assert.equal(identity['x-auth-request-email'], USERS.alice.user);
    assert.ok(identity['x-auth-request-session']);
    assert.equal(identity['x-auth-request-id-token'], undefined);
  });

  test('the identity cannot be spoofed without a session', async () => {
    const res = await fetch(`${nginx.url}/dashboard`, {
      headers: { accept: 'application/json', 'X-Auth-Request-User': 'admin' }, redirect: 'manual',
    });
    assert.equal(res.status, 401);
  });
});

describe('forward-auth redirect mode (Traefik, Envoy)', { skip: !authgateAvailable() && 'no authgate' }, () => {
  test('/auth/check/redirect sends navigations to login with the original URI', async (t) => {
    const op = await startProvider({ t });
    const ag = await startAuthgate({
      t,
      config: {
        provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
        session: { store: 'memory' },
      },
    });
    const nav = { accept: 'text/html' };
    // Traefik: the original URI comes in X-Forwarded-Uri.
    let res = await get(`${ag.url}/auth/check/redirect`, { ...nav, 'x-forwarded-uri': '/app/page?a=1&b=2' });
    assert.equal(res.status, 302);
    assert.equal(new URL(res.headers.location, ag.url).searchParams.get('return_to'), '/app/page?a=1&b=2');
    // Envoy: path_prefix /auth/check/redirect + the original path and query.
    res = await get(`${ag.url}/auth/check/redirect/app/page?a=1`, nav);
    assert.equal(res.status, 302);
    assert.equal(new URL(res.headers.location, ag.url).searchParams.get('return_to'), '/app/page?a=1');
    // API callers still get 401.
    res = await get(`${ag.url}/auth/check/redirect/api`, { accept: 'application/json' });
    assert.equal(res.status, 401);
    // Signed in: 200 + identity headers.
    const browser = new Browser();
    await login(browser, ag.url, { returnTo: '/auth/me' });
    const ok = await browser.request(`${ag.url}/auth/check/redirect/app`, { follow: false });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('x-auth-request-user'), USERS.alice.sub);
  });
});
