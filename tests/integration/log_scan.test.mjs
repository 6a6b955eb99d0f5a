// A log scan (issue 17): logins, refreshes, logouts, login errors and bearer requests
// with every line authgate writes captured (stdout and stderr, in text and in JSON
// format, at debug level), then no secret the test created or saw may appear in any
// line: session and transaction cookie values, authorization codes, state, nonce,
// PKCE verifiers, access, ID and refresh tokens (and a JWT's payload and signature
// parts), bearer tokens the test signed, and the client secret (as sent, Basic
// credentials included). The provider's /__test/token-exchanges shows what the
// test cannot see itself (verifiers, refresh and ID tokens).
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  Browser, USERS, authgateAvailable, login, startAuthgate, startProvider, startUpstream,
} from '../tooling/lib/index.mjs';
import { api } from './lifecycle_helpers.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (set AUTHGATE_BIN)';
const API = 'https://api.authgate.test';

// The parts of a value worth searching for: the value itself and, for a JWT, its
// payload and signature (a log that printed only one of them would leak too).
function needles(value) {
  if (!value || value.length < 8) return [];
  const parts = value.split('.');
  if (parts.length === 3) return [value, ...parts.slice(1).filter((p) => p.length >= 16)];
  return [value];
}

function cookieValues(browser, url) {
  return browser.cookieHeader(url).split('; ').filter(Boolean).map((c) => c.slice(c.indexOf('=') + 1));
}

for (const format of ['text', 'json']) {
  describe(`no secret in any log line (${format})`, { skip }, () => {
    test('logins, refresh, logout, errors, bearer requests', async (t) => {
      const op = await startProvider({ t, accessTokenTtl: 30 });
      const up = await startUpstream({ t });
      const ag = await startAuthgate({
        t,
        config: {
          server: { log_format: format, log_level: 'debug' },
          provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret, audience: API },
          session: { store: 'memory', refresh_before_expiry: '26s' },
          upstream: { url: up.url, pass_access_token: true },
          api: { audiences: [API] },
        },
      });
      const secrets = new Map(); // needle -> what it is
      const saw = (what, value) => { for (const n of needles(value)) secrets.set(n, what); };
      saw('client secret', op.clientSecret);

      const signedIn = [];
      for (const user of [USERS.alice, USERS.bob]) {
        const b = new Browser();
        const r = await login(b, ag.url, { user: user.user, password: user.password, returnTo: '/echo' });
        assert.equal(r.response.status, 200);
        for (const step of r.chain) {
          const u = new URL(step.url);
          for (const k of ['code', 'state', 'nonce', 'code_challenge']) saw(`${k} in ${u.pathname}`, u.searchParams.get(k));
          if (step.location) {
            const l = new URL(step.location, step.url);
            for (const k of ['code', 'state', 'nonce']) saw(`${k} in a redirect`, l.searchParams.get(k));
          }
        }
        for (const v of cookieValues(b, `${ag.url}/`)) saw('cookie value', v);
        const echo = await b.request(`${ag.url}/echo`, { accept: 'application/json' });
        saw('access token', echo.json().identity.authorization?.slice('Bearer '.length));
        signedIn.push(b);
      }
      for (const a of (await op.stats()).authorizeRequests ?? []) {
        saw('state', a.state);
        saw('nonce', a.nonce);
      }

      // A refresh, then the new access token.
      const [alice, bob] = signedIn;
      const refreshed = await api(alice, `${ag.url}/auth/refresh`, { method: 'POST' });
      assert.equal(refreshed.status, 200, refreshed.text);
      const echo2 = await alice.request(`${ag.url}/echo`, { accept: 'application/json' });
      saw('refreshed access token', echo2.json().identity.authorization?.slice('Bearer '.length));

      // Errors: a forged ID token, a replayed callback, a bad state.
      await op.forgeIdToken({ mode: 'tamper-signature' });
      const forged = new Browser();
      const bad = await login(forged, ag.url, { user: USERS.carol.user, password: USERS.carol.password });
      assert.ok(bad.response.status >= 400, 'a forged ID token is refused');
      for (const step of bad.chain) {
        const u = new URL(step.url);
        for (const k of ['code', 'state']) saw(`${k} (error login)`, u.searchParams.get(k));
        if (u.pathname === '/auth/callback') {
          const replay = await forged.get(u.href); // the same code and state again
          assert.ok(replay.status >= 400);
        }
      }
      for (const v of cookieValues(forged, `${ag.url}/`)) saw('cookie value (error login)', v);
      const bogus = 'bogus-state-0123456789abcdef';
      saw('bogus state', bogus);
      await new Browser().get(`${ag.url}/auth/callback?code=bogus-code-0123456789&state=${bogus}`);
      saw('bogus code', 'bogus-code-0123456789');

      // Bearer requests: valid, wrong audience, bad signature.
      for (const [claims, opts] of [[{}, {}], [{ aud: 'https://other' }, {}], [{}, { key: 'foreign' }]]) {
        const jwt = await op.sign({ sub: 'auth0|api-client', aud: API, scope: 'read:data', ...claims }, opts);
        saw('bearer token', jwt);
        await fetch(`${ag.url}/api/items`, { headers: { authorization: `Bearer ${jwt}`, accept: 'application/json' } }).then((r) => r.arrayBuffer());
      }
      const opaque = 'opaque-token-ABCDEFGHIJKLMNOP0123';
      saw('opaque bearer', opaque);
      await fetch(`${ag.url}/auth/check`, { headers: { authorization: `Bearer ${opaque}` } }).then((r) => r.arrayBuffer());

      // Logouts.
      for (const b of [alice, bob]) {
        const out = await api(b, `${ag.url}/auth/logout`, { method: 'POST' });
        assert.ok(out.status < 500, `logout: ${out.status}`);
      }

      // What the provider saw and answered: codes, PKCE verifiers, refresh tokens, the
      // client's credentials, ID and access tokens (the forged one included).
      const exchanges = await op.tokenExchanges();
      assert.ok(exchanges.some((e) => e.code_verifier), 'PKCE verifiers seen');
      assert.ok(exchanges.some((e) => e.grant_type === 'refresh_token' && e.refresh_token), 'a refresh seen');
      for (const e of exchanges) {
        saw('code (token request)', e.code);
        saw('PKCE verifier', e.code_verifier);
        saw('refresh token (sent)', e.refresh_token);
        saw('client secret (sent)', e.client_secret);
        saw('client credentials', e.authorization?.replace(/^Basic /, ''));
        saw('access token (issued)', e.response?.access_token);
        saw('ID token (issued)', e.response?.id_token);
        saw('refresh token (issued)', e.response?.refresh_token);
      }

      await ag.stop();
      const lines = ag.service.output().split('\n').filter(Boolean);
      assert.ok(lines.length > 20, `the log was captured (${lines.length} lines)`);
      if (format === 'json') {
        for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), l);
      }
      assert.ok(secrets.size > 20, `secrets collected: ${secrets.size}`);
      const leaks = [];
      for (const line of lines) {
        for (const [needle, what] of secrets) {
          if (line.includes(needle)) leaks.push(`${what}: ${line.slice(0, 300)}`);
        }
      }
      const kinds = {};
      for (const what of secrets.values()) kinds[what] = (kinds[what] ?? 0) + 1;
      t.diagnostic(`${lines.length} log lines scanned for ${secrets.size} secrets: ${JSON.stringify(kinds)}`);
      assert.deepEqual(leaks, [], 'no secret in the log');
    });
  });
}
