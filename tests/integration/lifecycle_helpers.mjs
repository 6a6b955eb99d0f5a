// Shared by refresh/logout/backchannel tests (issue 6): authgate wired to the local
// provider, optionally several instances on one Redis, and small request helpers.
import * as assert from 'node:assert/strict';

import { startAuthgate, sleep } from '../tooling/lib/index.mjs';

// One base64url 32-byte key: instances sharing a store must decrypt each other's tokens.
export const SHARED_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';

/** Settings for authgate against `op`, `overrides` merged section by section. */
export function lifecycleConfig(op, overrides = {}) {
  const base = {
    server: {},
    provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
    session: { store: 'memory', encryption_keys: [SHARED_KEY] },
    upstream: { pass_access_token: true },
  };
  for (const [section, values] of Object.entries(overrides)) {
    base[section] = { ...(base[section] ?? {}), ...values };
  }
  return base;
}

export function startGateway(t, op, overrides = {}) {
  return startAuthgate({ t, config: lifecycleConfig(op, overrides) });
}

/** A fetch with the browser's cookies, as a script of the page would send it. */
export async function api(browser, url, { method = 'GET', headers = {}, body } = {}) {
  const h = new Headers({ accept: 'application/json', ...headers });
  // As a browser's fetch() from the app's own page: every POST (any method but GET and
  // HEAD) carries the page's Origin. Pass `origin: ''` in headers to leave it out.
  if (method !== 'GET' && method !== 'HEAD' && !('origin' in headers)) {
    h.set('origin', new URL(url).origin);
  }
  if (h.get('origin') === '') h.delete('origin');
  const cookie = browser.cookieHeader(url);
  if (cookie) h.set('cookie', cookie);
  const res = await fetch(url, { method, headers: h, body, redirect: 'manual' });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * Signs out as a browser does: GET the logout page, then submit its form with the
 * page's full origin (the harness's submit() sends the site without the port as
 * Origin, which authgate rightly refuses).
 */
export async function confirmLogout(browser, ag) {
  const page = await browser.get(`${ag.url}/auth/logout`);
  assert.equal(page.status, 200, page.text);
  assert.match(page.text, /Sign out/);
  const [form] = page.forms();
  return browser.request(form.action, {
    method: 'POST',
    form: Object.fromEntries(form.fields.map((f) => [f.name, f.value])),
    headers: { origin: new URL(ag.url).origin },
  });
}

export const me = (browser, ag) => api(browser, `${ag.url}/auth/me`);
export const check = (browser, ag) => api(browser, `${ag.url}/auth/check`);

/** Waits until the session's access token is within `windowSeconds` of expiry. */
export async function waitForRefreshWindow(browser, ag, windowSeconds) {
  const res = await me(browser, ag);
  assert.equal(res.status, 200, res.text);
  const exp = res.json.access_token_expires_at;
  assert.ok(exp > 0, 'the session has an access token expiry');
  const waitMs = (exp - windowSeconds) * 1000 - Date.now() + 300;
  if (waitMs > 0) await sleep(waitMs);
  return exp;
}

export const refreshCount = async (op) => (await op.stats()).token.byGrant.refresh_token ?? 0;
