// The "Your sessions" page and branded pages in a real browser (Debian's Chromium via
// playwright-core; docs/PAGES.md). Alice signs in on two browser contexts (one without
// JavaScript, one with another user agent); the page lists both and marks the current
// one; signing out the other sends that context's next request to login; an
// administrator finds and revokes a session of hers; "all other sessions" and
// "everywhere" end the rest. The brand and a template of pages.templates_dir are on
// the pages. Screenshots are kept in AUTHGATE_ARTEFACTS_DIR (build/<config>/artefacts).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';

import {
  USERS, authgateAvailable, freePort, startAuthgate, startProvider, startUpstream, tempDir,
} from '../tooling/lib/index.mjs';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const FIREFOX_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';

const shotsDir = process.env.AUTHGATE_ARTEFACTS_DIR || tempDir('authgate-sessions-page-');
fs.mkdirSync(shotsDir, { recursive: true });
async function shot(page, name) {
  const file = path.join(shotsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(fs.statSync(file).size > 1000, `${name}.png rendered`);
}

// The operator's template for the signed-out page: only variables, all escaped.
const SIGNED_OUT_TEMPLATE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{title}} | {{brand_name}}</title>
<style>body{font-family:sans-serif;margin:3rem}h1{color:{{brand_color}}}</style></head>
<body><p id="brand">{{brand_name}}</p><h1 id="custom-signed-out">{{title}}</h1>
<p><a id="continue" href="{{continue_url}}">Back to {{brand_name}}</a></p>
<p id="ref">Reference {{request_id}}</p></body></html>
`;

test('the sessions page: two devices, sign out one, admin revoke, others, everywhere, brand', {
  skip: !authgateAvailable() || !fs.existsSync(CHROMIUM) ? 'needs authgate and chromium' : false,
  timeout: 180000,
}, async (t) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const op = await startProvider({
    t, redirectUris: [`${base}/auth/callback`], postLogoutRedirectUris: [`${base}/auth/logout`],
  });
  const app = await startUpstream({ t });
  const templates = tempDir('authgate-templates-');
  fs.writeFileSync(path.join(templates, 'signed_out.html'), SIGNED_OUT_TEMPLATE);
  const ag = await startAuthgate({
    t,
    config: {
      server: { listen: `127.0.0.1:${port}`, public_url: base },
      provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
      session: { store: `sqlite:${path.join(tempDir('authgate-sp-'), 'authgate.db')}` },
      access: { admin_emails: [USERS.bob.user] },
      upstream: { url: app.url },
      logout: { post_logout_redirect_url: '/auth/logout' },
      pages: {
        templates_dir: templates,
        brand: { name: 'Acme Intranet', color: '#7a1f5c' },
      },
    },
  });

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  t.after(() => browser.close());
  // A: Chromium without JavaScript (every page of authgate must work so).
  const a = await browser.newContext({ javaScriptEnabled: false });
  // B: another device, as its user agent says.
  const b = await browser.newContext({ userAgent: FIREFOX_ON_WINDOWS });
  const pageA = await a.newPage();
  const pageB = await b.newPage();

  async function signIn(page, user) {
    await page.goto(`${base}/dashboard`);
    if (page.url().startsWith(op.issuer)) {
      await page.fill('#username', user.user);
      await page.fill('#password', user.password);
      await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('#submit')]);
    }
    assert.equal(page.url(), `${base}/dashboard`);
  }
  // The next request of a context whose session ended: a browser is sent to login.
  async function sentToLogin(context) {
    const res = await context.request.get(`${base}/dashboard`, {
      maxRedirects: 0, headers: { accept: 'text/html' },
    });
    return res.status() === 302 && res.headers().location.startsWith('/auth/login');
  }
  const sessionCards = (page) => page.locator('ul.sessions > li.session');

  // A callback whose state matches no login: the page shows none of the provider's
  // text (anyone can send a browser there with words of their own).
  await pageA.goto(`${base}/auth/callback?state=unknown&error=access_denied&error_description=${
    encodeURIComponent('Call 555-0100 to restore your account')}`);
  assert.doesNotMatch(await pageA.content(), /555-0100|access_denied/);
  assert.match(await pageA.locator('h1').textContent(), /Sign-in was not completed/);
  assert.equal((await pageA.locator('header').textContent()).trim(), 'Acme Intranet');

  await signIn(pageA, USERS.alice);
  await signIn(pageB, USERS.alice);

  // JSON stays for API clients.
  const json = await a.request.get(`${base}/auth/sessions`, { headers: { accept: 'application/json' } });
  assert.equal(json.status(), 200);
  assert.equal((await json.json()).sessions.length, 2);

  // The page lists both, this device first and marked; B named from its user agent.
  await pageA.goto(`${base}/auth/sessions`);
  assert.equal(await pageA.title(), 'Your sessions - Acme Intranet');
  assert.equal((await pageA.locator('header').textContent()).trim(), 'Acme Intranet');
  assert.match(await pageA.content(), /--brand:#7a1f5c;--on-brand:#ffffff/);
  assert.equal(await sessionCards(pageA).count(), 2);
  const current = pageA.locator('li.session.current');
  assert.equal(await current.count(), 1);
  assert.match(await current.locator('h2').textContent(), /^Chrome \d+ on Linux\s*This device$/);
  assert.equal(await current.locator('button').count(), 0, 'no "sign out" on the own card');
  const other = pageA.locator('li.session:not(.current)');
  assert.equal((await other.locator('h2').textContent()).trim(), 'Firefox 121 on Windows');
  assert.equal(await other.locator('dd').first().textContent(), '127.0.0.1');
  assert.match(await other.locator('time').first().getAttribute('datetime'),
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // Every form carries a token; nothing on the page is a script.
  const tokens = await pageA.locator('form[method="post"] input[name="csrf"]').all();
  assert.ok(tokens.length >= 3);
  for (const tk of tokens) assert.match(await tk.getAttribute('value'), /^[0-9a-f]{64}$/);
  assert.equal(await pageA.locator('script').count(), 0);
  const csp = (await pageA.request.get(`${base}/auth/sessions`, { headers: { accept: 'text/html' } }))
    .headers()['content-security-policy'];
  assert.match(csp, /default-src 'none'/);
  assert.doesNotMatch(csp, /script-src/);
  await shot(pageA, '1-two-sessions');

  // A form without its token is refused with plain words and a reference; the log
  // line with the details carries the same reference.
  const forged = await a.request.post(`${base}/auth/sessions`, {
    form: { action: 'others' }, headers: { accept: 'text/html', origin: base }, maxRedirects: 0,
  });
  assert.equal(forged.status(), 403);
  const forgedHtml = await forged.text();
  const ref = /<code id="request-id">([0-9a-f]{16})<\/code>/.exec(forgedHtml)?.[1];
  assert.ok(ref, forgedHtml);
  assert.equal(forged.headers()['x-request-id'], ref);
  assert.match(forgedHtml, /This form has expired/);
  assert.ok(ag.service.output().split('\n').some((l) => l.includes(ref) && l.includes('csrf_mismatch')),
    'the log names the reference the page shows');
  assert.equal(await sessionCards(pageA).count(), 2, 'nothing was signed out');

  // Sign out B, by keyboard: Tab to its button (every control on the way is reachable)
  // and press Enter.
  const revokeB = other.getByRole('button', { name: 'Sign out Firefox 121 on Windows' });
  let tabs = 0;
  while (!(await revokeB.evaluate((el) => el === document.activeElement)) && tabs < 10) {
    await pageA.keyboard.press('Tab');
    tabs += 1;
  }
  assert.ok(tabs < 10, 'the button is reached with Tab');
  await Promise.all([pageA.waitForURL(/\/auth\/sessions\?done=revoked$/), pageA.keyboard.press('Enter')]);
  assert.equal((await pageA.locator('p.notice').textContent()).trim(), 'The session was signed out.');
  assert.equal(await sessionCards(pageA).count(), 1);
  await shot(pageA, '2-other-signed-out');
  assert.ok(await sentToLogin(b), "B's next request goes to login");
  assert.equal(await sentToLogin(a), false, 'A is still signed in');
  await pageB.goto(`${base}/dashboard`);
  assert.ok(pageB.url().startsWith(op.issuer) || pageB.url() === `${base}/dashboard`);

  // B signs in again; an administrator (Bob, a third context) finds Alice's sessions
  // and revokes B's.
  await signIn(pageB, USERS.alice);
  const c = await browser.newContext();
  const pageC = await c.newPage();
  await signIn(pageC, USERS.bob);
  await pageC.goto(`${base}/auth/sessions`);
  await pageC.getByLabel('Email address or subject').fill(USERS.alice.user);
  await Promise.all([pageC.waitForURL(/user=/), pageC.getByRole('button', { name: 'Search' }).click()]);
  const rows = pageC.locator('#admin-results tbody tr');
  assert.equal(await rows.count(), 2);
  await shot(pageC, '3-admin-search');
  const rowB = rows.filter({ hasText: 'Firefox 121 on Windows' });
  await Promise.all([pageC.waitForURL(/done=revoked/), rowB.getByRole('button').click()]);
  assert.equal(await pageC.locator('#admin-results tbody tr').count(), 1);
  assert.ok(await sentToLogin(b), 'the admin revoked B');
  assert.equal(await sentToLogin(a), false);
  // Alice is no administrator: a search of hers shows nothing of anyone.
  await pageA.goto(`${base}/auth/sessions?user=${encodeURIComponent(USERS.bob.user)}`);
  assert.equal(await pageA.locator('#admin-user').count(), 0);
  assert.doesNotMatch(await pageA.content(), /bob@example\.com/);

  // "Sign out all other sessions" ends B again, and keeps A.
  await signIn(pageB, USERS.alice);
  await pageA.goto(`${base}/auth/sessions`);
  assert.equal(await sessionCards(pageA).count(), 2);
  await Promise.all([pageA.waitForURL(/done=others/),
    pageA.getByRole('button', { name: 'Sign out all other sessions' }).click()]);
  assert.equal(await sessionCards(pageA).count(), 1);
  assert.ok(await sentToLogin(b));
  assert.equal(await sentToLogin(a), false);

  // "Sign out everywhere": B signs in once more; A ends both, the provider's session
  // too, and lands on the operator's branded signed-out template.
  await signIn(pageB, USERS.alice);
  await pageA.goto(`${base}/auth/sessions`);
  await pageA.getByRole('button', { name: 'Sign out everywhere' }).click();
  // The provider's logout confirmation auto-submits with a script; A has none.
  if (pageA.url().startsWith(op.issuer)) {
    await pageA.getByRole('button', { name: 'Continue' }).click();
  }
  await pageA.locator('#custom-signed-out').waitFor({ timeout: 15000 });
  assert.equal((await pageA.locator('#brand').textContent()), 'Acme Intranet');
  assert.equal(await pageA.title(), 'You are signed out | Acme Intranet');
  assert.match(await pageA.locator('#ref').textContent(), /^Reference [0-9a-f]{16}$/);
  await shot(pageA, '4-signed-out-everywhere-branded');
  assert.ok(await sentToLogin(a));
  assert.ok(await sentToLogin(b));
  const left = await c.request.get(`${base}/auth/sessions?all=1`, { headers: { accept: 'application/json' } });
  const alices = (await left.json()).sessions.filter((s) => s.email === USERS.alice.user && s.state === 'active');
  assert.deepEqual(alices, [], 'no session of Alice is left');
});
