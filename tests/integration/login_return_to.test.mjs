// Where authgate sends the browser after login (issue 4, Tests): return_to attacks are
// refused before any redirect to the provider, OpenMetadata's redirectUri and /callback
// work, and an OpenMetadata Auth0 env file configures authgate unchanged.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  REPO_ROOT, authgateBin, freePort, spawnService, startAuthgate, startProvider, tempDir,
} from '../tooling/lib/index.mjs';
import {
  Browser, SESSION_COOKIE, TXN_COOKIE, USERS, assertNoSecretsLeaked, deliverCallback, gatewayConfig,
  loginUntilCallback, me, setCookies,
} from './login_helpers.mjs';

let op;
let ag;
before(async () => {
  op = await startProvider();
  const port = await freePort();
  // The OpenMetadata callback path is the registered redirect URI of this instance.
  ag = await startAuthgate({
    config: gatewayConfig(op, {
      server: { listen: `127.0.0.1:${port}` },
      provider: { callback_url: `http://127.0.0.1:${port}/callback` },
      compat: { openmetadata_aliases: 'true' },
    }),
  });
});
after(async () => {
  await ag?.stop();
  await op?.stop();
});

/** GET <path>?<rawQuery> exactly as written (no re-encoding by URLSearchParams). */
function rawLogin(browser, rawQuery, pathName = '/auth/login') {
  return browser.request(`${ag.url}${pathName}?${rawQuery}`, { follow: false });
}

async function assertRefused(browser, res, what) {
  assert.equal(res.status, 400, `${what}: ${res.status} ${res.location ?? ''} ${res.text.slice(0, 200)}`);
  assert.equal(res.location, undefined, `${what}: no redirect (to the provider or elsewhere)`);
  assert.equal(setCookies(res.headers)[TXN_COOKIE], undefined, `${what}: no transaction started`);
  assert.match(res.text, /unsafe_return_to|return_to_origin_not_allowed/, what);
}

describe('return_to attacks', () => {
  // Raw and percent-encoded forms: the server decodes the query parameter once.
  const attacks = [
    '//evil.example',
    '%2F%2Fevil.example',
    '%252F%252Fevil.example',
    '/\\evil.example',
    '%2F%5Cevil.example',
    '/%5Cevil.example',
    'https://evil.example',
    'https%3A%2F%2Fevil.example%2F',
    'javascript:alert(1)',
    'javascript%3Aalert(1)',
    'JaVaScRiPt%3Aalert(1)',
    '%0D%0ALocation:%20https://evil.example',
    '/ok%0D%0ASet-Cookie:%20x=1',
    '///evil.example',
    'http:evil.example',
    'data:text/html,x',
    '/..//evil.example',
  ];
  for (const raw of attacks) {
    test(`return_to=${raw} is refused`, async () => {
      const browser = new Browser();
      const before1 = await op.stats();
      const res = await rawLogin(browser, `return_to=${raw}`);
      await assertRefused(browser, res, raw);
      assert.equal((await op.stats()).authorize, before1.authorize);
    });
  }

  test('origin look-alikes of the public URL are refused', async () => {
    const browser = new Browser();
    for (const target of [
      `${ag.url}.evil.example/`,
      `${ag.url}@evil.example/`,
      `http://evil.example/${ag.url}`,
      `http://127.0.0.1:${ag.port + 1}/`,
    ]) {
      const res = await rawLogin(browser, `return_to=${encodeURIComponent(target)}`);
      await assertRefused(browser, res, target);
    }
  });

  test('a relative path and the public origin are accepted', async () => {
    const browser = new Browser();
    for (const target of ['/dashboard?x=1&y=%2F', `${ag.url}/abs/path`, '/']) {
      const res = await rawLogin(browser, `return_to=${encodeURIComponent(target)}`);
      assert.equal(res.status, 302, `${target}: ${res.text.slice(0, 200)}`);
      assert.equal(new URL(res.location).href.startsWith(op.url('/authorize')), true);
    }
    // Completing one lands exactly there.
    const cb = await loginUntilCallback(browser, ag, { returnTo: '/dashboard?x=1&y=%2F' });
    const res = await deliverCallback(browser, cb);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/dashboard?x=1&y=%2F');
  });
});

describe('OpenMetadata compatibility', () => {
  test('/api/v1/auth/login?redirectUri= with the public origin and the /callback alias', async () => {
    const browser = new Browser();
    const target = `${ag.url}/auth/callback-ui?from=om`;
    const cb = await loginUntilCallback(browser, ag, { path: '/api/v1/auth/login', query: { redirectUri: target } });
    assert.equal(new URL(cb.callbackUrl).pathname, '/callback', 'the registered OpenMetadata callback');
    const authorize = new URL(cb.start.chain[0].location);
    assert.equal(authorize.searchParams.get('redirect_uri'), `${ag.url}/callback`);
    const res = await deliverCallback(browser, cb);
    assert.equal(res.status, 302, res.text.slice(0, 300));
    assert.equal(res.headers.get('location'), target);
    assert.ok(setCookies(res.headers)[SESSION_COOKIE]);
    assert.equal((await me(browser, ag)).json().sub, USERS.alice.sub);
    // OpenMetadata 1.x put the ID token in this redirect; authgate never does.
    assertNoSecretsLeaked(browser, ag, { codes: [new URL(cb.callbackUrl).searchParams.get('code')] });
  });

  test('a foreign redirectUri is refused', async () => {
    const browser = new Browser();
    for (const target of ['https://evil.example/auth/callback', '//evil.example/cb']) {
      const res = await rawLogin(browser, `redirectUri=${encodeURIComponent(target)}`, '/api/v1/auth/login');
      await assertRefused(browser, res, target);
    }
  });
});

describe('an OpenMetadata Auth0 env file', () => {
  test('configures authgate unchanged (--env-file only, no settings file)', async (t) => {
    const op2 = await startProvider({ t });
    const port = await freePort();
    const server = `http://127.0.0.1:${port}`;
    const authority = op2.issuer.replace(/\/$/, ''); // OpenMetadata writes it without '/'
    const text = fs.readFileSync(path.join(REPO_ROOT, 'examples/openmetadata.env'), 'utf8')
      .replaceAll('https://example-tenant.us.auth0.com', authority)
      .replaceAll('http://localhost:8585', server)
      .replaceAll('EXAMPLEclientIdReplaceMe123', op2.clientId)
      .replaceAll('example-client-secret-replace-me', op2.clientSecret);
    assert.match(text, /^OIDC_CLIENT_AUTH_METHOD=client_secret_post$/m);
    // The file as written, read by --env-file; only where to listen is added (the process
    // environment wins over the file), and the store is the default SQLite file in the cwd.
    const dir = tempDir('authgate-om-');
    const envFile = path.join(dir, 'openmetadata_auth0.env');
    fs.writeFileSync(envFile, text);
    const env = { AUTHGATE_SERVER_LISTEN: `127.0.0.1:${port}` };
    for (const k of Object.keys(process.env)) if (k.startsWith('AUTHGATE_') && !(k in env)) env[k] = '';
    const svc = await spawnService({
      name: 'authgate-om',
      cmd: authgateBin(),
      args: ['serve', '--env-file', envFile],
      cwd: dir,
      env,
      readyWhen: { url: `${server}/healthz` },
      t,
    });
    assert.ok(!fs.existsSync(path.join(dir, 'authgate.yaml')));
    const gw = { url: server, service: svc };
    const browser = new Browser();
    const target = `${server}/my-data`;
    const cb = await loginUntilCallback(browser, gw, { path: '/api/v1/auth/login', query: { redirectUri: target } });
    assert.equal(cb.callbackUrl.split('?')[0], `${server}/callback`);
    const authorize = new URL(cb.start.chain[0].location).searchParams;
    assert.equal(authorize.get('scope'), 'openid email profile offline_access');
    assert.equal(authorize.get('code_challenge_method'), 'S256', 'PKCE even with OIDC_DISABLE_PKCE=true');
    const res = await deliverCallback(browser, cb);
    assert.equal(res.status, 302, res.text.slice(0, 300));
    assert.equal(res.headers.get('location'), target);
    const who = await me(browser, gw);
    assert.equal(who.status, 200);
    assert.equal(who.json().email, USERS.alice.user);
    assert.equal((await op2.stats()).token.byGrant.authorization_code, 1);
  });
});
