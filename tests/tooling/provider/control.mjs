// Auth0 emulation middleware and the /__test/ control API of the test provider.
// Everything here runs before oidc-provider's router (provider.use inserts there).
import * as crypto from 'node:crypto';

import * as jose from 'jose';

import { MemoryAdapter } from './adapter.mjs';
import { filterClaimsForScope, publicJwk } from './provider.mjs';
import { parseForm, readBody } from './util.mjs';

function freshStats() {
  return {
    discovery: 0,
    jwks: 0,
    jwksFailed: 0, // JWKS requests answered by a fail-jwks rule
    authorize: 0,
    authorizeRequests: [], // the last 50 /authorize query objects
    token: { total: 0, byGrant: {}, injectedFailures: 0, errors: {}, forged: 0 },
    // Client assertions seen at the token endpoint: how many, the last one's decoded
    // header and claims (never the JWT itself), and how many were tampered with.
    assertions: { total: 0, lastHeader: null, lastClaims: null, tampered: 0 },
    // Milliseconds the provider itself spent on each request (last 5000, oldest first),
    // from its first middleware until the response body is ready: lets a benchmark
    // subtract the provider's time from a relying party's (bench/callback).
    timings: { token: [], jwks: [] },
    userinfo: 0,
    revoke: 0,
    logout: { oidc: 0, v2: 0 },
    backchannel: { sent: 0, failed: 0, last: [] },
  };
}

const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
const unb64 = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

function json(ctx, status, body) {
  ctx.status = status;
  ctx.type = 'json';
  ctx.body = body;
}

async function readJson(ctx) {
  const text = await readBody(ctx);
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return ctx.throw(400, 'body must be JSON');
  }
}

export function installControl(provider, state) {
  const { config, keys, issuer, users } = state;
  let stats = freshStats();
  let failRules = []; // [{remaining, status, error, errorDescription, grantType, headers, delayMs, delayAfterMs}]
  let forgeRules = []; // [{remaining, mode, claims, header, grantType}]
  let assertionRules = []; // [{remaining, mode, key, grantType}]
  let previousAssertion; // the last client_assertion seen, for 'replay'

  // A test-only rewrite of the client's assertion, so the provider's own checks refuse
  // it: 'replay' sends the previous one again (its jti was used), 'expired' re-signs it
  // with the client's key (`key`, PKCS#8 PEM) and an exp in the past.
  async function tamperAssertion(form, grantType) {
    const seen = form.client_assertion;
    if (!seen) return;
    const [h, p] = String(seen).split('.');
    stats.assertions.total += 1;
    stats.assertions.lastHeader = unb64(h);
    stats.assertions.lastClaims = unb64(p);
    const rule = takeRule(assertionRules, grantType);
    if (rule?.mode === 'replay' && previousAssertion) {
      form.client_assertion = previousAssertion;
      stats.assertions.tampered += 1;
    } else if (rule?.mode === 'expired') {
      const header = unb64(h);
      const key = await jose.importPKCS8(rule.key, header.alg);
      const now = Math.floor(Date.now() / 1000);
      const claims = { ...unb64(p), iat: now - 600, exp: now - 300 };
      form.client_assertion = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
        .setProtectedHeader(header).sign(key);
      stats.assertions.tampered += 1;
    }
    previousAssertion = seen;
  }
  let jwksFailure = null; // {remaining, mode: 'reset' | 'status', status}
  const signingKey = jose.importJWK(keys.signing, 'RS256');
  const foreignKey = jose.importJWK(keys.foreign, 'RS256');
  const verifyKey = jose.importJWK(publicJwk(keys.signing), 'RS256');

  async function sign(header, payload, which = 'provider') {
    if (which === 'none') return `${b64({ ...header, alg: 'none' })}.${b64(payload)}.`;
    if (which === 'hs256') {
      const secret = new TextEncoder().encode(config.clientSecret);
      return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ ...header, alg: 'HS256' }).sign(secret);
    }
    const key = which === 'foreign' ? await foreignKey : await signingKey;
    return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'RS256', ...header }).sign(key);
  }

  // Mutations of a real ID token for the "tampered ID token" tests.
  async function forge(idToken, rule) {
    const [h, p, s] = idToken.split('.');
    const header = { ...unb64(h), ...(rule.header ?? {}) };
    const payload = { ...unb64(p), ...(rule.claims ?? {}) };
    switch (rule.mode) {
      case 'tamper-payload': // changed claims, original signature kept
        return `${b64(header)}.${b64(rule.claims ? payload : { ...payload, sub: 'auth0|mallory' })}.${s}`;
      case 'tamper-signature': {
        const sig = Buffer.from(s, 'base64url');
        sig[sig.length - 1] ^= 0x01;
        return `${h}.${p}.${sig.toString('base64url')}`;
      }
      case 'foreign-key': // same kid, another key
        return sign(header, payload, 'foreign');
      case 'unknown-kid':
        return sign({ ...header, kid: `unknown-${header.kid}` }, payload, 'foreign');
      case 'alg-none':
        return sign(header, payload, 'none');
      case 'hs256': // signed with the client secret: an alg the client did not register
        return sign(header, payload, 'hs256');
      case 'resign': // valid signature, mutated claims (wrong nonce, aud, iss, exp ...)
        return sign(header, dropNulls(payload), 'provider');
      default:
        throw new Error(`unknown forge mode ${rule.mode}`);
    }
  }

  // at_hash: left half of SHA-256 of the access token (OIDC Core s3.1.3.6).
  async function withAtHash(idToken, accessToken) {
    const [h, p] = idToken.split('.');
    const payload = unb64(p);
    if (payload.at_hash) return idToken;
    const digest = crypto.createHash('sha256').update(accessToken).digest();
    payload.at_hash = digest.subarray(0, digest.length / 2).toString('base64url');
    return sign(unb64(h), payload, 'provider');
  }

  const recordTiming = (kind, t0) => {
    const list = stats.timings[kind];
    list.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (list.length > 5000) list.splice(0, list.length - 5000);
  };

  const exchanges = [];

  const takeRule = (rules, grantType) => {
    const rule = rules.find((r) => r.remaining > 0 && (!r.grantType || r.grantType === grantType));
    if (rule) rule.remaining -= 1;
    return rule;
  };

  async function tokenEndpoint(ctx, next) {
    // Read the form ourselves (to count and rewrite it) and hand the text on:
    // oidc-provider falls back to req.body once the stream is consumed.
    const raw = ctx.is('application/x-www-form-urlencoded') ? await readBody(ctx) : '';
    const form = parseForm(raw);
    if (form.audience && !form.resource) form.resource = form.audience;
    delete form.audience;
    const grantType = String(form.grant_type ?? '');
    await tamperAssertion(form, grantType);
    ctx.req.body = new URLSearchParams(form).toString();
    // Every secret of the exchange, for tests that look for them where they must not
    // be (the log scan): what the client sent and, below, what it got.
    const exchange = {
      grant_type: grantType, code: form.code, code_verifier: form.code_verifier,
      refresh_token: form.refresh_token, client_secret: form.client_secret, client_assertion: form.client_assertion,
      authorization: ctx.get('authorization') || undefined, dpop: ctx.get('dpop') || undefined,
    };
    exchanges.push(exchange);
    if (exchanges.length > 200) exchanges.splice(0, exchanges.length - 200);
    stats.token.total += 1;
    stats.token.byGrant[grantType] = (stats.token.byGrant[grantType] ?? 0) + 1;

    const fail = takeRule(failRules, grantType);
    if (fail?.delayMs) await new Promise((r) => setTimeout(r, fail.delayMs));
    if (fail?.status) {
      stats.token.injectedFailures += 1;
      for (const [k, v] of Object.entries(fail.headers ?? {})) ctx.set(k, String(v));
      if (fail.status === 429) {
        // Auth0's rate-limit headers (epoch seconds) plus Retry-After.
        const reset = Math.floor(Date.now() / 1000) + (fail.retryAfter ?? 1);
        if (!fail.headers?.['x-ratelimit-limit']) ctx.set('x-ratelimit-limit', '30');
        ctx.set('x-ratelimit-remaining', '0');
        ctx.set('x-ratelimit-reset', String(reset));
        ctx.set('retry-after', String(fail.retryAfter ?? 1));
      }
      const error = fail.error ?? (fail.status === 429 ? 'too_many_requests'
        : fail.status >= 500 ? 'server_error' : 'invalid_request');
      json(ctx, fail.status, {
        error,
        error_description: fail.errorDescription ?? `injected failure (${fail.status})`,
      });
      stats.token.errors[error] = (stats.token.errors[error] ?? 0) + 1;
      return;
    }

    await next();
    if (fail?.delayAfterMs) await new Promise((r) => setTimeout(r, fail.delayAfterMs));

    const error = ctx.body?.error;
    if (error) {
      stats.token.errors[error] = (stats.token.errors[error] ?? 0) + 1;
      if (error === 'invalid_grant' && ctx.status === 400) ctx.status = config.invalidGrantStatus;
      return;
    }
    if (ctx.status === 200 && ctx.body?.id_token && ctx.body.access_token && config.atHash) {
      ctx.body = { ...ctx.body, id_token: await withAtHash(ctx.body.id_token, ctx.body.access_token) };
    }
    if (ctx.status === 200 && ctx.body?.id_token) {
      const rule = takeRule(forgeRules, grantType || 'authorization_code');
      if (rule) {
        ctx.body = { ...ctx.body, id_token: await forge(ctx.body.id_token, rule) };
        stats.token.forged += 1;
      }
    }
    if (ctx.status === 200 && ctx.body) {
      exchange.response = {
        access_token: ctx.body.access_token, id_token: ctx.body.id_token,
        refresh_token: ctx.body.refresh_token,
      };
    }
  }

  // Auth0's JWT access tokens (audience=...) also work at /userinfo because their
  // aud lists `${issuer}userinfo`; oidc-provider would refuse them, so answer here.
  async function userinfoForJwt(ctx, next) {
    const auth = ctx.get('authorization');
    const m = /^Bearer\s+([^.\s]+\.[^.\s]+\.[^.\s]*)$/i.exec(auth);
    if (!m) return next();
    try {
      const { payload } = await jose.jwtVerify(m[1], await verifyKey, {
        issuer,
        audience: `${issuer}userinfo`,
      });
      const user = users.bySub.get(payload.sub);
      if (!user) throw new Error('unknown subject');
      json(ctx, 200, filterClaimsForScope(user, payload.scope, state.claims));
    } catch (err) {
      ctx.set('www-authenticate', `Bearer realm="${issuer}", error="invalid_token", error_description="${err.code ?? 'invalid token'}"`);
      json(ctx, 401, { error: 'invalid_token', error_description: 'invalid token provided' });
    }
    return undefined;
  }

  // Sessions as stored by the adapter, with the sid each client saw.
  function sessionsMatching({ sub, sid } = {}) {
    return MemoryAdapter.entries('Session').filter(([, s]) => {
      if (!s.accountId) return false;
      if (sub && s.accountId !== sub) return false;
      if (sid && !Object.values(s.authorizations ?? {}).some((a) => a.sid === sid)) return false;
      return true;
    });
  }

  async function sendBackchannel(client, sub, sid) {
    const entry = { client_id: client.clientId, sub, sid, ok: false };
    try {
      await client.backchannelLogout(sub, sid);
      entry.ok = true;
      stats.backchannel.sent += 1;
    } catch (err) {
      entry.error = err.message;
      stats.backchannel.failed += 1;
    }
    stats.backchannel.last = [...stats.backchannel.last, entry].slice(-20);
    return entry;
  }

  // Ends provider sessions and, like Auth0, notifies each client of the session
  // that has a back-channel logout URI.
  async function endSessions(list, { notify = true } = {}) {
    const sent = [];
    for (const [id, s] of list) {
      if (notify) {
        for (const [clientId, auth] of Object.entries(s.authorizations ?? {})) {
          const client = await provider.Client.find(clientId);
          if (client?.backchannelLogoutUri) sent.push(await sendBackchannel(client, s.accountId, auth.sid));
        }
      }
      MemoryAdapter.remove('Session', id);
    }
    return sent;
  }

  // Auth0's own logout: /v2/logout?client_id=&returnTo= (refresh tokens survive it).
  async function v2Logout(ctx) {
    stats.logout.v2 += 1;
    const { client_id: clientId, returnTo } = ctx.query;
    let client;
    if (clientId) {
      client = await provider.Client.find(String(clientId));
      if (!client) return json(ctx, 400, { error: 'invalid_request', error_description: 'unknown client_id' });
    }
    if (returnTo !== undefined) {
      const ok = client
        ? client.postLogoutRedirectUriAllowed(String(returnTo))
        : false;
      if (!ok) {
        ctx.status = 400;
        ctx.type = 'html';
        ctx.body = 'Oops!, something went wrong: returnTo is not in the Allowed Logout URLs';
        return undefined;
      }
    }
    const session = await provider.Session.get(ctx);
    if (session.accountId) {
      await endSessions([[session.id, session]]);
    } else if (!session.new) {
      MemoryAdapter.remove('Session', session.id);
    }
    ctx.cookies.set(provider.cookieName('session'), null, { httpOnly: true, sameSite: 'lax', path: '/' });
    if (returnTo !== undefined) {
      ctx.status = 302;
      ctx.redirect(String(returnTo));
    } else {
      ctx.type = 'html';
      ctx.body = '<!DOCTYPE html><html><body><h1 id="signed-out">You are signed out.</h1></body></html>';
    }
    return undefined;
  }

  const control = {
    'GET /__test/stats': (ctx) => json(ctx, 200, stats),
    'POST /__test/reset': (ctx) => {
      stats = freshStats();
      failRules = [];
      forgeRules = [];
      assertionRules = [];
      jwksFailure = null;
      json(ctx, 200, { ok: true });
    },
    // The next `count` JWKS requests fail: `reset` destroys the connection before any
    // response byte (a TCP reset as the client sees it), `status` answers `status`.
    // count 0 clears the rule.
    'POST /__test/fail-jwks': async (ctx) => {
      const b = await readJson(ctx);
      const count = b.count ?? 1;
      jwksFailure = count > 0
        ? { remaining: count, mode: b.mode ?? 'reset', status: b.status ?? 503 } : null;
      json(ctx, 200, { ok: true });
    },
    'POST /__test/tamper-assertion': async (ctx) => {
      const b = await readJson(ctx);
      if (!['replay', 'expired'].includes(b.mode)) return json(ctx, 400, { error: 'mode: replay or expired' });
      if (b.mode === 'expired' && !b.key) return json(ctx, 400, { error: 'expired needs key (PKCS#8 PEM)' });
      assertionRules.push({ remaining: b.count ?? 1, mode: b.mode, key: b.key, grantType: b.grant_type });
      return json(ctx, 200, { ok: true });
    },
    'POST /__test/fail-token': async (ctx) => {
      const b = await readJson(ctx);
      const rule = {
        remaining: b.count ?? 1,
        status: b.status ?? (b.delayMs || b.delayAfterMs ? undefined : 503),
        error: b.error,
        errorDescription: b.error_description ?? b.errorDescription,
        grantType: b.grant_type ?? b.grantType,
        headers: b.headers,
        retryAfter: b.retryAfter,
        delayMs: b.delayMs ?? 0,
        // Answers late after the grant ran (tokens issued, the old refresh token
        // rotated): a response that is slow on the way back.
        delayAfterMs: b.delayAfterMs ?? 0,
      };
      failRules.push(rule);
      json(ctx, 200, { queued: failRules.filter((r) => r.remaining > 0).length });
    },
    'POST /__test/forge-id-token': async (ctx) => {
      const b = await readJson(ctx);
      forgeRules.push({
        remaining: b.count ?? 1,
        mode: b.mode ?? 'tamper-signature',
        claims: b.claims,
        header: b.header,
        grantType: b.grant_type ?? b.grantType ?? 'authorization_code',
      });
      json(ctx, 200, { ok: true });
    },
    'POST /__test/sign': async (ctx) => {
      const b = await readJson(ctx);
      const now = Math.floor(Date.now() / 1000);
      const header = { kid: keys.signing.kid, typ: 'JWT', ...(b.header ?? {}) };
      const payload = dropNulls({ iss: issuer, iat: now, exp: now + 300, ...(b.payload ?? {}) });
      json(ctx, 200, { jwt: await sign(header, payload, b.key ?? 'provider') });
    },
    'POST /__test/backchannel-logout': async (ctx) => {
      const b = await readJson(ctx);
      const client = await provider.Client.find(b.client_id ?? config.clientId);
      if (!client?.backchannelLogoutUri) {
        return json(ctx, 400, { error: 'client has no backchannel_logout_uri' });
      }
      if (!b.sub && !b.sid) return json(ctx, 400, { error: 'sub or sid required' });
      const list = sessionsMatching({ sub: b.sub, sid: b.sid });
      let sent;
      if (list.length && b.endSession !== false) {
        sent = await endSessions(list);
      } else if (list.length) {
        sent = [];
        for (const [, s] of list) {
          const auth = s.authorizations?.[client.clientId];
          sent.push(await sendBackchannel(client, s.accountId, b.sid ?? auth?.sid));
        }
      } else {
        // No provider session (e.g. already ended): send what the caller gave.
        sent = [await sendBackchannel(client, b.sub, b.sid)];
      }
      return json(ctx, 200, { sent });
    },
    'POST /__test/end-session': async (ctx) => {
      const b = await readJson(ctx);
      const list = sessionsMatching({ sub: b.sub, sid: b.sid });
      const sent = await endSessions(list, { notify: !!b.backchannel });
      json(ctx, 200, { ended: list.length, backchannel: sent });
    },
    'GET /__test/sessions': (ctx) => {
      json(ctx, 200, sessionsMatching({ sub: ctx.query.sub }).map(([, s]) => ({
        sub: s.accountId,
        loginTs: s.loginTs,
        clients: Object.fromEntries(Object.entries(s.authorizations ?? {})
          .map(([c, a]) => [c, { sid: a.sid }])),
      })));
    },
    // The last 200 token requests with their secrets (code, code_verifier,
    // refresh_token, client credentials) and the tokens answered: test tooling only.
    'GET /__test/token-exchanges': (ctx) => {
      json(ctx, 200, exchanges);
    },
    // Token records without their values: lets tests see that a revocation or a
    // rotation reached the provider.
    'GET /__test/tokens': (ctx) => {
      const out = [];
      for (const kind of ['RefreshToken', 'AccessToken', 'AuthorizationCode']) {
        for (const [, t] of MemoryAdapter.entries(kind)) {
          if (ctx.query.sub && t.accountId !== ctx.query.sub) continue;
          out.push({
            kind, sub: t.accountId, grantId: t.grantId, consumed: !!t.consumed, exp: t.exp,
            // sender constraints (RFC 9449 cnf.jkt, RFC 8705 cnf.x5t#S256)
            jkt: t.jkt, x5t: t['x5t#S256'],
          });
        }
      }
      json(ctx, 200, out);
    },
    'POST /__test/clients': async (ctx) => {
      const meta = await readJson(ctx);
      if (!meta.client_id) return json(ctx, 400, { error: 'client_id required' });
      await state.upsertClient(meta);
      return json(ctx, 200, { ok: true });
    },
    'GET /__test/keys': (ctx) => json(ctx, 200, {
      signing: publicJwk(keys.signing), foreign: publicJwk(keys.foreign),
    }),
  };

  provider.on('backchannel.success', () => { stats.backchannel.sent += 1; });
  provider.on('backchannel.error', () => { stats.backchannel.failed += 1; });
  provider.on('end_session.success', () => { stats.logout.oidc += 1; });

  provider.use(async (ctx, next) => {
    const route = `${ctx.method} ${ctx.path}`;
    if (control[route]) return control[route](ctx);
    switch (ctx.path) {
      case '/.well-known/openid-configuration':
        stats.discovery += 1;
        return next();
      case '/.well-known/jwks.json': {
        stats.jwks += 1;
        if (jwksFailure && jwksFailure.remaining > 0) {
          jwksFailure.remaining -= 1;
          stats.jwksFailed += 1;
          if (jwksFailure.mode === 'status') {
            return json(ctx, jwksFailure.status, { error: 'temporarily_unavailable' });
          }
          ctx.respond = false;
          ctx.req.socket.resetAndDestroy?.() ?? ctx.req.socket.destroy();
          return undefined;
        }
        const t0 = process.hrtime.bigint();
        await next();
        recordTiming('jwks', t0);
        return undefined;
      }
      case '/authorize': {
        stats.authorize += 1;
        stats.authorizeRequests = [...stats.authorizeRequests, { ...ctx.query }].slice(-50);
        // Auth0's `audience` is RFC 8707's `resource`.
        const q = { ...ctx.query };
        if (q.audience && !q.resource) q.resource = q.audience;
        // Auth0 issues a refresh token for offline_access without prompt=consent;
        // oidc-provider follows OIDC Core s11 and drops the scope unless consent is
        // prompted. Consent is automatic here, so ask for it (not with prompt=none,
        // which must stand alone).
        const prompts = String(q.prompt ?? '').split(' ').filter(Boolean);
        if (String(q.scope ?? '').split(' ').includes('offline_access')
          && !prompts.includes('none') && !prompts.includes('consent')) {
          q.prompt = [...prompts, 'consent'].join(' ');
        }
        ctx.query = q;
        return next();
      }
      case '/oauth/token': {
        if (ctx.method !== 'POST') return next();
        const t0 = process.hrtime.bigint();
        await tokenEndpoint(ctx, next);
        recordTiming('token', t0);
        return undefined;
      }
      case '/userinfo':
        stats.userinfo += 1;
        return userinfoForJwt(ctx, next);
      case '/oauth/revoke':
        stats.revoke += 1;
        return next();
      case '/v2/logout':
        if (ctx.method === 'GET') return v2Logout(ctx);
        return next();
      default:
        return next();
    }
  });

  state.randomId = () => crypto.randomBytes(8).toString('hex');
}

function dropNulls(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null));
}
