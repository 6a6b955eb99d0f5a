// Shared by the login_*.test.mjs / login.test.mjs files: start the provider and authgate
// wired to each other, and the assertions every login test repeats (issue 4, Tests).
import * as assert from 'node:assert/strict';

import { Browser, USERS, isProviderLoginPage, startAuthgate, startProvider } from '../tooling/lib/index.mjs';

export { Browser, USERS };
export { sleep } from "../tooling/lib/index.mjs";

/** Settings for authgate against `op`, with `overrides` merged section by section. */
export function gatewayConfig(op, overrides = {}) {
  const base = {
    server: {},
    provider: {
      issuer: op.issuer,
      client_id: op.clientId,
      client_secret: op.clientSecret,
    },
    session: { store: 'memory' },
  };
  for (const [section, values] of Object.entries(overrides)) {
    base[section] = { ...(base[section] ?? {}), ...values };
  }
  return base;
}

/** The provider plus one authgate in front of it. */
export async function startPair({ t, provider = {}, config = {}, env } = {}) {
  const op = await startProvider({ t, ...provider });
  const ag = await startAuthgate({ t, config: gatewayConfig(op, config), env });
  return { op, ag };
}

/** The Set-Cookie headers of a raw fetch response, by cookie name. */
export function setCookies(headers) {
  const out = {};
  for (const line of headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = {
      value: pair.slice(eq + 1),
      attrs: attrs.map((a) => a.toLowerCase()),
      line,
    };
  }
  return out;
}

/** GET /auth/me as a fetch from the page (JSON). */
export function me(browser, ag) {
  return browser.request(`${ag.url}/auth/me`, { accept: 'application/json', follow: false });
}

/**
 * The front half of a login through authgate: GET login URL (no redirect following
 * past the provider's login form), submit the form, and stop BEFORE the callback.
 * Returns {callbackUrl, method, form} of the provider's response (query: the 302's
 * Location; form_post: the self-posting form's action and fields).
 */
export async function loginUntilCallback(browser, ag, {
  user = USERS.alice, returnTo, path = '/auth/login', query = {}, deny = false,
} = {}) {
  const u = new URL(path, ag.url);
  if (returnTo !== undefined) u.searchParams.set('return_to', returnTo);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  const start = await browser.get(u.href);
  assert.ok(isProviderLoginPage(start), `expected the provider's login form, got ${start.status} ${start.url}`);
  const saved = browser.autoSubmit;
  browser.autoSubmit = false;
  let res;
  try {
    res = deny
      ? await browser.submit(start, 'deny-form', {}, { follow: false })
      : await browser.submit(start, 'login-form', { username: user.user, password: user.password },
        { follow: false });
    // Follow the provider's own redirects (resume, consent) until one leaves it.
    const origin = new URL(start.url).origin;
    for (let i = 0; i < 10 && res.location && new URL(res.location).origin === origin; i += 1) {
      res = await browser.request(res.location, { follow: false });
    }
  } finally {
    browser.autoSubmit = saved;
  }
  if (res.location) return { callbackUrl: res.location, method: 'GET', start };
  const forms = res.forms();
  assert.equal(forms.length, 1, `expected a form_post page, got ${res.status}: ${res.text.slice(0, 300)}`);
  const fields = Object.fromEntries(forms[0].fields.map((f) => [f.name, f.value]));
  return { callbackUrl: forms[0].action, method: 'POST', form: fields, start };
}

/** Deliver the provider's response to authgate (one hop, no following). */
export function deliverCallback(browser, cb, { site } = {}) {
  const from = site ?? 'http://127.0.0.1';
  if (cb.method === 'POST') {
    return browser.request(cb.callbackUrl, {
      method: 'POST',
      body: new URLSearchParams(cb.form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      follow: false,
      site: from,
    });
  }
  return browser.request(cb.callbackUrl, { follow: false, site: from });
}

/** The session cookie name on http. */
export const SESSION_COOKIE = 'authgate';
export const TXN_COOKIE = 'authgate_txn';

/** Asserts a failed callback: status, no session cookie set, /auth/me 401. */
export async function assertNoSession(browser, ag, res, { status, code } = {}) {
  if (Array.isArray(status)) assert.ok(status.includes(res.status), `status ${res.status}: ${res.text.slice(0, 400)}`);
  else if (status !== undefined) assert.equal(res.status, status, res.text.slice(0, 400));
  const set = setCookies(res.headers);
  assert.equal(set[SESSION_COOKIE], undefined, 'no session cookie on a failed callback');
  assert.equal(res.location, undefined, 'a failed callback does not redirect');
  if (code) assert.match(res.text, new RegExp(`\\b${code}\\b`), `error code ${code} on the page`);
  const m = await me(browser, ag);
  assert.equal(m.status, 401, 'no session: /auth/me is 401');
}

/** Every Location header authgate sent in a browser's history. */
export function authgateLocations(browser, ag) {
  return browser.history.filter((h) => h.url.startsWith(ag.url) && h.location).map((h) => h.location);
}

/** No authorization code, token or JWT in the URLs authgate built, nor in its log. */
export function assertNoSecretsLeaked(browser, ag, { codes = [], tokens = [] } = {}) {
  const jwtLike = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\./;
  for (const loc of authgateLocations(browser, ag)) {
    const u = new URL(loc, ag.url);
    for (const k of ['code', 'id_token', 'access_token', 'refresh_token', 'token']) {
      assert.equal(u.searchParams.get(k), null, `authgate built a URL with ${k}: ${loc}`);
    }
    assert.doesNotMatch(loc, jwtLike, `a JWT in a Location authgate sent: ${loc}`);
    for (const c of codes) assert.ok(!loc.includes(c), `the code appears in ${loc}`);
  }
  const log = ag.service.output();
  assert.doesNotMatch(log, jwtLike, 'no JWT in authgate\'s log');
  for (const c of [...codes, ...tokens]) {
    assert.ok(!log.includes(c), 'no code or token value in authgate\'s log');
  }
}

/** GET the login URL without following: the provider authorize URL and its state. */
export async function startLogin(browser, ag, { returnTo } = {}) {
  const u = new URL('/auth/login', ag.url);
  if (returnTo !== undefined) u.searchParams.set('return_to', returnTo);
  const res = await browser.request(u.href, { follow: false });
  assert.equal(res.status, 302, res.text.slice(0, 300));
  const authorize = new URL(res.location);
  return { res, authorize, state: authorize.searchParams.get('state') };
}

/** The callback URL with some parameters replaced. */
export function withParams(url, changes) {
  const u = new URL(url);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) u.searchParams.delete(k);
    else u.searchParams.set(k, v);
  }
  return u.href;
}

/** The user's sessions as authgate lists them to that browser. */
export async function sessionCount(browser, ag) {
  const res = await browser.request(`${ag.url}/auth/sessions`, { accept: 'application/json', follow: false });
  assert.equal(res.status, 200, res.text);
  return res.json().sessions.filter((s) => s.state === undefined || s.state === 'active').length;
}
