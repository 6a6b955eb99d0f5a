// The login page and the automatic consent of the test provider.
// Element ids and names are stable: tests (the harness Browser and Playwright) fill
//   form#login-form  input#username[name=username]  input#password[name=password]
//   button#submit    (and form#deny-form button#deny to refuse: access_denied)
import { esc, page, parseForm, readBody } from './util.mjs';

const MATCH = /^\/interaction\/([A-Za-z0-9_-]+)(\/(login|abort))?$/;

function loginPage(details, { error, username } = {}) {
  const { uid, params } = details;
  const signup = params.screen_hint === 'signup';
  const heading = signup ? 'Sign up' : 'Log in';
  const lang = String(params.ui_locales ?? 'en').split(' ')[0] || 'en';
  const prefill = username ?? params.login_hint ?? '';
  // The authorize parameters are exposed for assertions (no secrets travel there).
  const shown = {};
  for (const k of ['client_id', 'scope', 'prompt', 'max_age', 'login_hint', 'screen_hint',
    'ui_locales', 'connection', 'organization', 'audience', 'response_mode']) {
    if (params[k] !== undefined) shown[k] = params[k];
  }
  return page(heading, `
<h1 id="heading">${heading}</h1>
<p>to continue to <b id="client">${esc(params.client_id)}</b></p>
${error ? `<p id="error" role="alert">${esc(error)}</p>` : ''}
<form id="login-form" method="post" action="/interaction/${esc(uid)}/login">
  <label for="username">Email</label>
  <input id="username" name="username" type="text" autocomplete="username" value="${esc(prefill)}" autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password">
  <button id="submit" type="submit" name="action" value="login">Continue</button>
</form>
<form id="deny-form" method="post" action="/interaction/${esc(uid)}/abort">
  <button id="deny" type="submit">Cancel</button>
</form>
<script type="application/json" id="authorize-params">${esc(JSON.stringify(shown))}</script>`, lang);
}

async function finish(ctx, provider, result) {
  const url = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.status = 303;
  ctx.redirect(url);
}

// Consent is implicit for the test clients (Auth0 skips it for first-party apps):
// grant whatever the authorization request asked for.
async function autoConsent(ctx, provider, state, details) {
  const { prompt: { details: missing }, params, session } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  if (params.organization) state.orgByGrant.set(grantId, params.organization);
  await finish(ctx, provider, { consent: { grantId } });
}

export function installInteractions(provider, state) {
  provider.use(async (ctx, next) => {
    const m = MATCH.exec(ctx.path);
    if (!m) return next();
    ctx.set('cache-control', 'no-store');
    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page('Error', `<h1 id="error">interaction expired or unknown</h1><p>${esc(err.message)}</p>`);
      return undefined;
    }
    if (details.uid !== m[1]) ctx.throw(400, 'interaction mismatch');
    const action = m[3];

    if (!action && ctx.method === 'GET') {
      if (details.prompt.name === 'consent') return autoConsent(ctx, provider, state, details);
      ctx.type = 'html';
      ctx.body = loginPage(details);
      return undefined;
    }
    if (ctx.method !== 'POST') ctx.throw(405);

    if (action === 'abort') {
      return finish(ctx, provider, {
        error: 'access_denied',
        error_description: 'End-User aborted interaction',
      });
    }

    const form = parseForm(await readBody(ctx));
    const username = String(form.username ?? '').trim();
    const user = state.users.byName.get(username.toLowerCase());
    if (!user || user.password !== form.password) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage(details, { error: 'Wrong email or password.', username });
      return undefined;
    }
    // Auth0 reports blocked users and failed Organization membership as
    // access_denied to the callback (shared/reference/auth0.md "Authorize request").
    if (user.blocked) {
      return finish(ctx, provider, { error: 'access_denied', error_description: 'user is blocked' });
    }
    const org = details.params.organization;
    if (org && !(user.organizations ?? []).includes(org)) {
      return finish(ctx, provider, {
        error: 'access_denied',
        error_description: `user is not a member of organization ${org}`,
      });
    }
    return finish(ctx, provider, {
      login: { accountId: user.sub, amr: ['pwd'], remember: true },
    });
  });
}
