// Pushed Authorization Requests (RFC 9126) and request objects (RFC 9101) in the test
// provider: config (`par`, `parRequestUriTtl`, `requestObjects`), the /oauth/par
// endpoint's Auth0 shape (`audience` is RFC 8707's `resource`), what it saw, and
// injected failures. Installed by provider.mjs; test tooling only.
import { parseForm, readBody } from './util.mjs';

/** oidc-provider features for `config.par` and `config.requestObjects`. */
export function parFeatures(config) {
  return {
    pushedAuthorizationRequests: {
      enabled: !!config.par,
      requirePushedAuthorizationRequests: config.par === 'required',
    },
    requestObjects: {
      enabled: !!config.requestObjects,
      requireSignedRequestObject: config.requestObjects === 'required',
    },
  };
}

/** The main client's metadata for them. */
export function parClientMetadata(config) {
  return {
    ...(config.par === 'required' ? { require_pushed_authorization_requests: true } : {}),
    ...(config.requestObjects === 'required' ? { require_signed_request_object: true } : {}),
  };
}

const unb64 = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

export function installPar(provider, state) {
  const { config } = state;
  // Requests seen at /oauth/par: how many, the last one's parameter names (never the
  // values: they hold the state, nonce and credentials), the last request object's
  // decoded header and claims, and how many were failed on purpose.
  // The last DPoP proof's claims (RFC 9449 s10.1) are kept too: no credential in them.
  const stats = {
    total: 0, lastNames: [], lastRequestObject: null, lastDpop: null, failed: 0, requestUris: 0,
  };
  let failure = null; // {remaining, mode: 'status' | 'reset', status}

  // Auth0 gives a refresh token for offline_access without prompt=consent; oidc-provider
  // keeps the scope only when consent is prompted. The /authorize rewrite in control.mjs
  // adds the prompt to the query, which a pushed or signed request never shows, so the
  // same rule is applied where the prompts are read.
  const prompts = Object.getOwnPropertyDescriptor(provider.OIDCContext.prototype, 'prompts').get;
  Object.defineProperty(provider.OIDCContext.prototype, 'prompts', {
    get() {
      const set = prompts.call(this);
      const scopes = String(this.params?.scope ?? '').split(' ');
      if (scopes.includes('offline_access') && !set.has('none')) set.add('consent');
      return set;
    },
  });

  // Shorter request_uri lifetimes (oidc-provider's is 60 s) for the expiry tests.
  if (config.parRequestUriTtl) {
    const { save } = provider.PushedAuthorizationRequest.prototype;
    provider.PushedAuthorizationRequest.prototype.save = function saveShort(ttl) {
      return save.call(this, Math.min(ttl, config.parRequestUriTtl));
    };
  }

  const json = (ctx, status, body) => {
    ctx.status = status;
    ctx.type = 'json';
    ctx.body = body;
  };

  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/__test/par') return json(ctx, 200, stats);
    if (ctx.method === 'POST' && ctx.path === '/__test/fail-par') {
      const b = JSON.parse((await readBody(ctx)) || '{}');
      const count = b.count ?? 1;
      failure = count > 0 ? { remaining: count, mode: b.mode ?? 'status', status: b.status ?? 503 } : null;
      return json(ctx, 200, { ok: true });
    }
    if (ctx.path === '/authorize' && ctx.query.request_uri) stats.requestUris += 1;
    if (ctx.path !== '/oauth/par' || ctx.method !== 'POST') return next();

    stats.total += 1;
    if (failure && failure.remaining > 0) {
      failure.remaining -= 1;
      stats.failed += 1;
      if (failure.mode === 'reset') {
        ctx.respond = false;
        ctx.req.socket.resetAndDestroy?.() ?? ctx.req.socket.destroy();
        return undefined;
      }
      return json(ctx, failure.status, { error: 'temporarily_unavailable', error_description: 'injected PAR failure' });
    }
    const raw = ctx.is('application/x-www-form-urlencoded') ? await readBody(ctx) : '';
    const form = parseForm(raw);
    stats.lastNames = Object.keys(form);
    const dpop = ctx.get('dpop');
    stats.lastDpop = dpop ? unb64(String(dpop).split('.')[1] ?? '') : null;
    if (form.request) {
      const [h, p] = String(form.request).split('.');
      stats.lastRequestObject = { header: unb64(h), claims: unb64(p) };
    }
    if (form.audience && !form.resource) form.resource = form.audience;
    ctx.req.body = new URLSearchParams(form).toString();
    return next();
  });
}
