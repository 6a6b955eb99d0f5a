// The complete Authorization Code Flow through authgate, driven like a browser:
// GET <authgate>/auth/login -> provider /authorize -> login form -> (consent is
// automatic) -> authgate callback (query or form_post) -> return_to.
import { Browser } from './browser.mjs';

export const USERS = Object.freeze({
  alice: { user: 'alice@example.com', password: 'alice-password', sub: 'auth0|alice' },
  bob: { user: 'bob@example.com', password: 'bob-password', sub: 'auth0|bob' },
  carol: { user: 'carol@example.com', password: 'carol-password', sub: 'auth0|carol' }, // email not verified
  dave: { user: 'dave@other.example', password: 'dave-password', sub: 'auth0|dave' }, // other domain
  blocked: { user: 'blocked@example.com', password: 'blocked-password', sub: 'auth0|mallory' },
});

export function isProviderLoginPage(res) {
  return res.status < 500 && res.forms().some((f) => f.id === 'login-form');
}

/**
 * login(browser, authgateUrl, {user, password, returnTo, path, query})
 * `path` defaults to /auth/login; `query` adds parameters (e.g. {redirectUri} for the
 * OpenMetadata alias). Resolves to {response, chain, loginPage}: `response` is where
 * the chain ended (authgate's return_to target, an error page, or a non-loopback
 * redirect left in response.stoppedAt). Throws when the provider rejects the password.
 */
export async function login(browser, authgateUrl, {
  user = USERS.alice.user, password = USERS.alice.password, returnTo, path = '/auth/login', query = {},
} = {}) {
  const u = new URL(path, authgateUrl);
  if (returnTo !== undefined) u.searchParams.set('return_to', returnTo);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  const start = await browser.get(u.href);
  const chain = [...start.chain];
  if (!isProviderLoginPage(start)) {
    // Already signed in at the provider (silent SSO) or an error before the form.
    return { response: start, chain, loginPage: undefined };
  }
  const response = await browser.submit(start, 'login-form', { username: user, password });
  chain.push(...response.chain);
  if (isProviderLoginPage(response)) {
    const msg = /id="error"[^>]*>([^<]*)/.exec(response.text)?.[1] ?? 'login form shown again';
    throw new Error(`provider refused the login of ${user}: ${msg}`);
  }
  return { response, chain, loginPage: start };
}

export { Browser };
