// deploy/examples: the two example servers that embed libauthgate (examples/beast,
// examples/httplib; docs/LIBRARY.md "Examples"), built the way a user's project builds
// them: `cmake --install BUILD --component devel` into a temporary prefix, then each
// example configured with find_package(authgate CONFIG) against that prefix only. Each
// runs against the local provider (a client whose one redirect URI is the example's
// /callback): a full login, the protected page showing the user, a refresh with a new
// expiry, a logout after which the page sends the browser to /login again; and the
// refusals (a callback with a state it never issued, a POST from another origin, a
// provider on https whose certificate does not verify).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';

import {
  Browser, REPO_ROOT, USERS, freePort, isProviderLoginPage, login, sleep, spawnService,
  startProvider, tempDir,
} from '../tooling/lib/index.mjs';

import { CXX, installLibrary, run } from './library_helpers.mjs';

// caFileEnv: its HTTP client reads OpenSSL's default verify paths, which SSL_CERT_FILE
// overrides (libcurl reads the CA bundle it was built with instead).
const EXAMPLES = [
  { name: 'beast', target: 'example_beast' },
  { name: 'httplib', target: 'example_httplib', caFileEnv: 'SSL_CERT_FILE' },
];

/** Configures and builds examples/<name> against `prefix` only; its binary's path. */
function buildExample(prefix, work, { name, target }) {
  const build = path.join(work, name);
  run('cmake', ['-S', path.join(REPO_ROOT, 'examples', name), '-B', build, '-G', 'Ninja',
    `-DCMAKE_PREFIX_PATH=${prefix}`, `-DCMAKE_CXX_COMPILER=${CXX}`,
    '-DCMAKE_COMPILE_WARNING_AS_ERROR=ON', '-DCMAKE_EXPORT_COMPILE_COMMANDS=ON']);
  run('cmake', ['--build', build]);
  const commands = JSON.parse(fs.readFileSync(path.join(build, 'compile_commands.json'), 'utf8'));
  for (const { command } of commands) {
    assert.ok(command.includes(path.join(prefix, 'include')), `the prefix's headers: ${command}`);
    for (const tree of ['include', 'src']) {
      assert.ok(!command.includes(path.join(REPO_ROOT, tree)), `nothing of the source tree's ${tree}/: ${command}`);
    }
  }
  return path.join(build, target);
}

/** The text of the element with this id on one of the examples' pages. */
function field(html, id) {
  return new RegExp(`id="${id}">([^<]*)<`).exec(html)?.[1];
}

const refreshGrants = async (op) => (await op.stats()).token.byGrant.refresh_token ?? 0;

/** The provider (its client's one redirect URI is the example's /callback) and the example. */
async function startExample(t, binary) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const op = await startProvider({ t, redirectUris: [`${url}/callback`], postLogoutRedirectUris: [`${url}/`] });
  const server = await spawnService({
    name: path.basename(binary),
    cmd: binary,
    args: ['--issuer', op.issuer, '--client-id', op.clientId, '--listen', '127.0.0.1',
      '--port', String(port), '--public-url', url],
    env: { EXAMPLE_CLIENT_SECRET: op.clientSecret },
    readyWhen: /^listening on 127\.0\.0\.1:\d+/,
    t,
  });
  return { op, server, url };
}

/** An https server on 127.0.0.1 with a self-signed certificate for 127.0.0.1 that would
 *  answer a discovery document: a client that does not verify certificates gets one. */
async function startUntrustedProvider(t, dir) {
  const key = path.join(dir, 'untrusted.key');
  const cert = path.join(dir, 'untrusted.crt');
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1']);
  const seen = { connections: 0, requests: 0 };
  let issuer;
  const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
    seen.requests += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      issuer, authorization_endpoint: `${issuer}authorize`, token_endpoint: `${issuer}oauth/token`,
      jwks_uri: `${issuer}.well-known/jwks.json`, response_types_supported: ['code'],
    }));
  });
  server.on('connection', () => { seen.connections += 1; });
  await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  t.after(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
  issuer = `https://127.0.0.1:${server.address().port}/`;
  return { issuer, seen, cert };
}

describe('the example servers, built against the installed library', () => {
  let prefix;
  let work;
  before(() => {
    ({ prefix } = installLibrary());
    work = tempDir('authgate-examples-');
  });

  for (const example of EXAMPLES) {
    describe(`examples/${example.name}`, () => {
      let binary;

      test('configures with find_package(authgate CONFIG) against the prefix only and builds', () => {
        binary = buildExample(prefix, work, example);
        assert.ok(fs.statSync(binary).isFile());
      });

      test('a login through the provider, the protected page, a refresh and a logout', async (t) => {
        assert.ok(binary, 'the example was built');
        const { op, server, url } = await startExample(t, binary);
        const browser = new Browser();
        const signedOut = await browser.fetchOnce(`${url}/`);
        assert.equal(signedOut.status, 302);
        assert.equal(signedOut.location, `${url}/login`, 'signed out: to /login');

        const { response, chain } = await login(browser, url, { path: '/login' });
        assert.ok(chain.some((c) => c.url.startsWith(`${url}/callback?code=`) && c.status === 302),
          `the provider sent the browser to /callback: ${chain.map((c) => c.url).join(' -> ')}`);
        assert.equal(response.url, `${url}/`);
        assert.equal(response.status, 200, response.text);
        assert.equal(field(response.text, 'email'), USERS.alice.user, 'the page shows who signed in');
        assert.equal(field(response.text, 'subject'), USERS.alice.sub);
        const cookie = browser.jar.get('session');
        assert.ok(cookie?.httpOnly && cookie.sameSite === 'lax', 'an HttpOnly, SameSite=Lax session cookie');
        const forms = response.forms();
        for (const [id, action] of [['refresh-form', '/refresh'], ['logout-form', '/logout']]) {
          const form = forms.find((f) => f.id === id);
          assert.equal(form?.method, 'POST', `${id} posts`);
          assert.equal(form.action, `${url}${action}`);
        }

        const before = Number(field(response.text, 'expires-at'));
        assert.ok(before > Date.now() / 1000, `the access token's expiry is shown: ${before}`);
        await sleep(1100); // expiries are in seconds: the new one is later
        const refreshed = await browser.fetchOnce(`${url}/refresh`,
          { method: 'POST', headers: { origin: url }, accept: 'application/json' });
        assert.equal(refreshed.status, 200, refreshed.text);
        const body = refreshed.json();
        assert.deepEqual(Object.keys(body).sort(), ['expires_at', 'status'], 'no token leaves the server');
        assert.equal(body.status, 'refreshed');
        assert.ok(body.expires_at > before, `a new expiry: ${body.expires_at} after ${before}`);
        assert.equal(await refreshGrants(op), 1, 'one refresh_token grant at the provider');
        const again = await browser.get(`${url}/`);
        assert.equal(Number(field(again.text, 'expires-at')), body.expires_at, 'the session keeps the new tokens');

        const out = await browser.post(`${url}/logout`, {}, { headers: { origin: url } });
        assert.equal(out.chain[0].status, 302);
        assert.ok(out.chain.some((c) => c.url.startsWith(`${op.issuer}oidc/logout?`)),
          `to the provider's logout: ${out.chain.map((c) => c.url).join(' -> ')}`);
        assert.ok(isProviderLoginPage(out), 'back from the provider, the page asks for a login again');
        assert.equal(browser.jar.get('session'), undefined, 'the session cookie is cleared');
        const old = await browser.fetchOnce(`${url}/`, { headers: { cookie: `session=${cookie.value}` } });
        assert.equal(old.status, 302, 'the old cookie names no session');
        assert.equal(old.location, `${url}/login`);
        assert.match(server.output(), /"event":"session\.logout"/, 'the logout is audited');
        assert.doesNotMatch(server.output(), new RegExp(cookie.value), 'no cookie value in the log');
      });

      test('refuses a callback with a state it never issued, and POSTs from other origins', async (t) => {
        assert.ok(binary, 'the example was built');
        const { op, url } = await startExample(t, binary);
        const browser = new Browser();
        const start = await browser.fetchOnce(`${url}/login`);
        assert.equal(start.status, 302);
        assert.ok(start.location.startsWith(`${op.issuer}authorize?`), start.location);
        const forged = await browser.fetchOnce(`${url}/callback?code=forged&state=not-the-state`);
        assert.equal(forged.status, 400, forged.text);
        assert.equal(field(forged.text, 'error'), 'state_mismatch');
        assert.equal(browser.jar.get('session'), undefined, 'no session cookie');
        assert.equal((await browser.fetchOnce(`${url}/`)).status, 302, 'still signed out');
        assert.equal((await op.tokenExchanges()).length, 0, 'no code was exchanged');

        await login(browser, url, { path: '/login' });
        for (const [route, headers] of [['/logout', { origin: 'http://evil.example' }], ['/refresh', {}]]) {
          const refused = await browser.fetchOnce(`${url}${route}`, { method: 'POST', headers });
          assert.equal(refused.status, 403, `POST ${route} with ${JSON.stringify(headers)}`);
        }
        assert.equal((await browser.fetchOnce(`${url}/`)).status, 200, 'still signed in');
        assert.equal(await refreshGrants(op), 0, 'nothing was refreshed');
      });

      test('refuses a provider on https whose certificate does not verify (httplib: accepts it trusted)', async (t) => {
        assert.ok(binary, 'the example was built');
        const untrusted = await startUntrustedProvider(t, work);
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const start = (p, env = {}) => spawnService({
          name: path.basename(binary),
          cmd: binary,
          args: ['--issuer', untrusted.issuer, '--client-id', 'c', '--port', String(p),
            '--public-url', `http://127.0.0.1:${p}`],
          env: { EXAMPLE_CLIENT_SECRET: 's', ...env },
          readyWhen: /^listening on 127\.0\.0\.1:\d+/,
          t,
        });
        await start(port);
        const res = await new Browser().fetchOnce(`${url}/login`);
        assert.equal(res.status, 502, res.text);
        assert.equal(field(res.text, 'error'), 'provider_unavailable');
        // libcurl refuses the certificate during the handshake; httplib completes it and
        // checks the result before sending: either way, no request.
        assert.ok(untrusted.seen.connections >= 1, 'the example connected to the provider');
        assert.equal(untrusted.seen.requests, 0, 'no request went over an unverified connection');
        if (example.caFileEnv) {
          // The same provider with its certificate trusted: https works, host name and all.
          const trusting = await freePort();
          await start(trusting, { [example.caFileEnv]: untrusted.cert });
          const ok = await new Browser().fetchOnce(`http://127.0.0.1:${trusting}/login`);
          assert.equal(ok.status, 302, ok.text);
          assert.ok(ok.location.startsWith(`${untrusted.issuer}authorize?`), ok.location);
          assert.equal(untrusted.seen.requests, 1, 'discovery was read over the verified connection');
        }
      });
    });
  }
});
