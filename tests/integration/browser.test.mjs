// A real browser (Debian's Chromium driven by playwright-core) signs in through authgate
// in front of the sample app, sees the app with its identity, lists its session, and
// signs out through the provider: the next visit shows the provider's login form again.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';

import {
  authgateAvailable, freePort, startAuthgate, startProvider, startUpstream, tempDir,
} from '../tooling/lib/index.mjs';

const CHROMIUM = '/usr/bin/chromium';
// Flags for a closed network: no background fetches, no component updates.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

test('a browser signs in, uses the app, lists its session and signs out', {
  skip: !authgateAvailable() || !fs.existsSync(CHROMIUM) ? 'needs authgate and chromium' : false,
}, async (t) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const op = await startProvider({
    t, redirectUris: [`${base}/auth/callback`], postLogoutRedirectUris: [`${base}/auth/logout`],
  });
  const app = await startUpstream({ t });
  await startAuthgate({
    t,
    config: {
      server: { listen: `127.0.0.1:${port}`, public_url: base },
      provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
      session: { store: `sqlite:${path.join(tempDir('authgate-e2e-'), 'authgate.db')}` },
      upstream: { url: app.url },
      logout: { post_logout_redirect_url: '/auth/logout' },
    },
  });

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  t.after(() => browser.close());
  const context = await browser.newContext();
  const page = await context.newPage();

  // An unauthenticated navigation to the app goes to the provider's login form.
  await page.goto(`${base}/dashboard?tab=2`);
  assert.ok(page.url().startsWith(op.issuer), `at the provider: ${page.url()}`);
  await page.fill('#username', 'alice@example.com');
  await page.fill('#password', 'alice-password');
  await Promise.all([page.waitForURL(`${base}/dashboard?tab=2`), page.click('#submit')]);

  // The app (behind the proxy) sees who signed in.
  // The sample app HTML-escapes its echo inside the script element.
  const raw = await page.locator('script#echo').textContent();
  const echo = JSON.parse(raw.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))));
  assert.equal(echo.identity['x-auth-request-user'], 'auth0|alice');
  assert.equal(echo.identity['x-auth-request-email'], 'alice@example.com');
  const shot = path.join(tempDir('authgate-e2e-shot-'), 'app.png');
  await page.screenshot({ path: shot });
  assert.ok(fs.statSync(shot).size > 1000, 'the page rendered');

  // The browser holds only an opaque, HttpOnly session cookie: no token reaches it.
  const cookies = await context.cookies(base);
  const session = cookies.find((c) => c.name === 'authgate');
  assert.ok(session, 'session cookie set');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  assert.match(session.value, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(await page.evaluate(() => document.cookie.includes('authgate=')), false,
    'scripts cannot read the session cookie');

  // /auth/me and the session list.
  const me = await (await page.request.get(`${base}/auth/me`)).json();
  assert.equal(me.email, 'alice@example.com');
  const list = await (await page.request.get(`${base}/auth/sessions`)).json();
  assert.equal(list.sessions.length, 1);
  assert.equal(list.sessions[0].current, true);

  // Sign out through the confirmation page; the provider session ends too.
  await page.goto(`${base}/auth/logout`);
  await page.click('#logout');
  // POST /auth/logout -> the provider's logout -> back to our signed-out page.
  // (A real browser sends Origin on this POST; it must be accepted as ours.)
  await page.getByText('You are signed out').waitFor({ timeout: 15000 });
  assert.equal((await page.request.get(`${base}/auth/me`)).status(), 401);
  await page.goto(`${base}/dashboard`);
  assert.ok(page.url().startsWith(op.issuer), 'signed out at the provider as well');
  assert.equal(await page.locator('#username').count(), 1, 'the login form asks again');
});
