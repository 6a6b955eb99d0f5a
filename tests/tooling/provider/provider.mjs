// A local Auth0-compatible OpenID Provider for authgate's integration tests and demo.
// Built on oidc-provider (v9); what it adds is the Auth0 shape (paths, issuer with a
// trailing slash, `audience`, /v2/logout, 403 invalid_grant, namespaced claims) and a
// test-control API under /__test/ (see docs/TESTING.md). Test tooling only: never deploy.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as jose from 'jose';
import Provider, { errors as oidcErrors } from 'oidc-provider';

import { MemoryAdapter } from './adapter.mjs';
import { installControl } from './control.mjs';
import { installInteractions } from './interactions.mjs';
import { installPar, parClientMetadata, parFeatures } from './par.mjs';
import { autoSubmitPage, esc, page } from './util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export const DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  clientId: 'authgate-test',
  clientSecret: 'authgate-test-secret',
  // Empty lists mean "any http://127.0.0.1:<port>/... URL" (handy when the relying
  // party's port is not known yet); non-empty lists are matched exactly.
  redirectUris: [],
  postLogoutRedirectUris: [],
  backchannelLogoutUri: undefined,
  backchannelLogoutSessionRequired: true,
  clients: [], // further client metadata objects (oidc-provider / RFC 7591 names)
  usersFile: path.join(here, 'users.json'),
  users: undefined, // inline users override usersFile
  apis: [
    { identifier: 'https://api.authgate.test', scopes: ['read:data', 'write:data'] },
    { identifier: 'https://other-api.authgate.test', scopes: ['read:other'] },
  ],
  accessTokenTtl: 3600,
  idTokenTtl: 36000, // Auth0's default
  refreshTokenTtl: 30 * 24 * 3600,
  sessionTtl: 3 * 24 * 3600,
  rotateRefreshTokens: true,
  // Auth0 answers a bad/reused refresh token or code with 403 invalid_grant.
  invalidGrantStatus: 403,
  namespace: 'https://authgate.test/',
  // Add at_hash to ID tokens from the token endpoint (OIDC Core s3.1.3.6 makes it
  // optional in the code flow; Auth0 sends it), so relying parties exercise the check.
  atHash: true,
  // The `aud` a client assertion (private_key_jwt, client_secret_jwt) must carry:
  // 'issuer' (Auth0: the tenant URL with its trailing slash, nothing else),
  // 'token_endpoint' (as some providers demand), or 'any' (oidc-provider's default:
  // the issuer, the token endpoint or the endpoint's own URL).
  clientAssertionAudience: 'issuer',
  // The main client's token_endpoint_auth_method and, for private_key_jwt, its public
  // keys ({keys: [JWK]}).
  tokenEndpointAuthMethod: 'client_secret_basic',
  clientJwks: undefined,
  // PAR (par.mjs): false, true (the endpoint is advertised) or 'required' (discovery's
  // require_pushed_authorization_requests, and the client must push); parRequestUriTtl
  // shortens the request_uri lifetime (seconds). requestObjects: false, true or
  // 'required' (signed request objects only; the key goes in clientJwks).
  par: false,
  parRequestUriTtl: undefined,
  requestObjects: false,
  mainClient: {}, // more metadata for the main client (e.g. dpop_bound_access_tokens)
  // DPoP (RFC 9449): proofs are checked; `dpopNonce` makes the token and userinfo
  // endpoints demand the provider's DPoP-Nonce (use_dpop_nonce).
  dpop: false,
  dpopNonce: false,
  // mTLS (RFC 8705): {key, cert, ca} PEM texts. An https front on another loopback port
  // asks for a client certificate (verified against `ca`) and hands it to oidc-provider;
  // discovery names it in mtls_endpoint_aliases (token, revocation, userinfo, and PAR
  // when `par` is on).
  mtls: null,
});

// Auth0's paths (shared/reference/auth0.md "Endpoints").
const ROUTES = {
  authorization: '/authorize',
  token: '/oauth/token',
  userinfo: '/userinfo',
  jwks: '/.well-known/jwks.json',
  end_session: '/oidc/logout',
  revocation: '/oauth/revoke',
  introspection: '/oauth/introspect',
  pushed_authorization_request: '/oauth/par',
};

const PROFILE_CLAIMS = ['name', 'family_name', 'given_name', 'middle_name', 'nickname',
  'preferred_username', 'profile', 'picture', 'website', 'gender', 'birthdate',
  'zoneinfo', 'locale', 'updated_at'];

export function loadUsers(config) {
  const users = config.users ?? JSON.parse(fs.readFileSync(config.usersFile, 'utf8'));
  const bySub = new Map();
  const byName = new Map();
  for (const u of users) {
    if (!u.sub || !u.username || typeof u.password !== 'string') {
      throw new Error(`user needs sub, username and password: ${JSON.stringify(u.sub)}`);
    }
    bySub.set(u.sub, u);
    byName.set(u.username.toLowerCase(), u);
  }
  return { list: users, bySub, byName };
}

function isLoopbackHttp(uri) {
  const u = URL.parse(uri);
  return !!u && (u.protocol === 'http:' || u.protocol === 'https:')
    && (u.hostname === '127.0.0.1' || u.hostname === '[::1]' || u.hostname === 'localhost');
}

export function clientMetadata(config) {
  const main = {
    client_id: config.clientId,
    client_secret: config.clientSecret,
    client_name: 'authgate (test client)',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    // client_secret_post is accepted as well: oidc-provider treats basic and post
    // as one family for secret-based authentication.
    token_endpoint_auth_method: config.tokenEndpointAuthMethod,
    ...(config.clientJwks ? { jwks: config.clientJwks } : {}),
    ...parClientMetadata(config),
    redirect_uris: config.redirectUris.length ? config.redirectUris : ['http://127.0.0.1/callback'],
    post_logout_redirect_uris: config.postLogoutRedirectUris,
    id_token_signed_response_alg: 'RS256',
    ...config.mainClient,
  };
  if (config.backchannelLogoutUri) {
    main.backchannel_logout_uri = config.backchannelLogoutUri;
    main.backchannel_logout_session_required = config.backchannelLogoutSessionRequired;
  }
  return [main, ...config.clients];
}

export async function generateKeys() {
  const make = async (kid) => {
    const { privateKey } = await jose.generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const jwk = await jose.exportJWK(privateKey);
    return { ...jwk, kid, alg: 'RS256', use: 'sig' };
  };
  const kid = crypto.randomBytes(8).toString('hex');
  // The foreign key deliberately shares the real key's kid: a relying party that
  // picks the key by kid must still reject the signature.
  return { signing: await make(kid), foreign: await make(kid) };
}

export function publicJwk(jwk) {
  const { d, p, q, dp, dq, qi, ...pub } = jwk;
  return pub;
}

// Claims grouped the way Auth0 releases them: custom (namespaced) claims and
// org_id/org_name ride on `openid` so they appear whenever the user is released.
function claimsConfig(users, namespace) {
  const custom = new Set(['org_id', 'org_name']);
  for (const u of users.list) {
    for (const k of Object.keys(u.claims ?? {})) {
      if (k.startsWith('http://') || k.startsWith('https://') || k.startsWith(namespace)) custom.add(k);
    }
  }
  return {
    acr: null,
    sid: null,
    auth_time: null,
    iss: null,
    openid: ['sub', ...custom],
    email: ['email', 'email_verified'],
    profile: PROFILE_CLAIMS,
    address: ['address'],
    phone: ['phone_number', 'phone_number_verified'],
  };
}

export function filterClaimsForScope(user, scope, claimsCfg) {
  const scopes = new Set(String(scope ?? '').split(' ').filter(Boolean));
  const out = { sub: user.sub };
  for (const [s, names] of Object.entries(claimsCfg)) {
    if (!Array.isArray(names) || !scopes.has(s)) continue;
    for (const n of names) {
      if (user.claims?.[n] !== undefined) out[n] = user.claims[n];
    }
  }
  return out;
}

export async function createProvider(userConfig = {}) {
  const config = { ...DEFAULTS, ...userConfig };
  const users = loadUsers(config);
  const keys = userConfig.keys ?? await generateKeys();
  const claims = claimsConfig(users, config.namespace);
  const apis = new Map(config.apis.map((a) => [a.identifier, a]));
  const orgByGrant = new Map(); // grantId -> organization id (Auth0 Organizations)

  const server = http.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address();
  const issuer = `http://${config.host}:${port}/`;
  const mtls = config.mtls ? await startMtlsFront(config) : null;

  const ttlOf = (v) => (typeof v === 'function' ? v : () => v);
  const configuration = {
    adapter: MemoryAdapter,
    clients: [], // registered through the adapter so /__test/clients can change them
    jwks: { keys: [keys.signing] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    routes: ROUTES,
    claims,
    // Auth0 puts the profile and email claims in the ID token itself, not only in
    // userinfo, so do not "conform" them away (OIDC Core s5.4 allows either).
    conformIdTokenClaims: false,
    scopes: ['openid', 'offline_access', 'profile', 'email', 'address', 'phone'],
    extraParams: ['audience', 'organization', 'connection', 'screen_hint', 'invitation'],
    responseTypes: ['code'],
    pkce: { required: () => false },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      id_token_signed_response_alg: 'RS256',
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt',
      'private_key_jwt', ...(mtls ? ['tls_client_auth', 'self_signed_tls_client_auth'] : [])],
    ...(mtls ? { discovery: { mtls_endpoint_aliases: mtls.aliases } } : {}),
    clockTolerance: 5,
    // oidc-provider refuses special-use addresses (SSRF protection); here the
    // back-channel logout receivers are the tests' own loopback servers, and
    // nothing else may be reached.
    fetch: (url, { dispatcher, ...options }) => {
      if (!isLoopbackHttp(String(url))) return Promise.reject(new Error(`test provider only calls loopback URLs: ${url}`));
      return globalThis.fetch(url, options);
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // Auth0's /oidc/logout does not ask for confirmation: auto-submit the
        // oidc-provider confirmation form (a browser runs the script; the
        // harness Browser auto-submits such forms).
        logoutSource: async (ctx, form) => {
          ctx.body = autoSubmitPage('Signing out',
            form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>'));
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Signed out', '<h1 id="signed-out">You are signed out.</h1>');
        },
      },
      backchannelLogout: { enabled: true },
      revocation: { enabled: true, allowedPolicy: async () => true },
      introspection: { enabled: false },
      claimsParameter: { enabled: false },
      userinfo: { enabled: true },
      dPoP: config.dpop
        ? { enabled: true, nonceSecret: crypto.randomBytes(32), requireNonce: () => !!config.dpopNonce }
        : { enabled: false },
      ...(mtls ? { mTLS: mtls.feature } : {}),
      ...parFeatures(config),
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        // Auth0 sends `audience` only on /authorize; the token request must then
        // mint for that API without repeating it.
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, identifier) => {
          const api = apis.get(identifier);
          if (!api) throw new oidcErrors.InvalidTarget(`unknown audience ${identifier}`);
          return {
            scope: (api.scopes ?? []).join(' '),
            audience: identifier,
            accessTokenTTL: api.accessTokenTtl ?? config.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    formats: {
      customizers: {
        // Auth0's JWT access tokens: aud is [api, issuer/userinfo] when openid was
        // requested, azp names the client, permissions carry RBAC grants, and the
        // default profile's typ is "JWT" (RFC 9068 profile: "at+jwt").
        jwt: async (ctx, token, jwt) => {
          const api = apis.get(jwt.payload.aud);
          // The token's own scope holds only the API's scopes; Auth0's scope claim
          // also lists the OIDC scopes of the grant.
          const source = ctx?.oidc?.entities?.AuthorizationCode ?? ctx?.oidc?.entities?.RefreshToken;
          const scopes = new Set([...String(source?.scope ?? '').split(' '), ...String(token.scope ?? '').split(' ')]
            .filter((s) => s && s !== 'offline_access'));
          jwt.payload.scope = [...scopes].join(' ');
          if (scopes.has('openid')) jwt.payload.aud = [jwt.payload.aud, `${issuer}userinfo`];
          jwt.payload.azp = token.clientId;
          const user = users.bySub.get(token.accountId);
          if (user && api) jwt.payload.permissions = user.permissions?.[api.identifier] ?? [];
          if (api?.dialect !== 'rfc9068') jwt.header = { ...jwt.header, typ: 'JWT' };
          const org = orgByGrant.get(token.grantId);
          if (org) jwt.payload.org_id = org;
        },
      },
    },
    ttl: {
      AccessToken: ttlOf((_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.accessTokenTtl),
      AuthorizationCode: 60,
      IdToken: config.idTokenTtl,
      RefreshToken: config.refreshTokenTtl,
      Interaction: 600,
      Session: config.sessionTtl,
      Grant: config.refreshTokenTtl,
    },
    // Auth0 rotation (when enabled) issues a new refresh token on every use; the
    // old one is consumed, and a second use revokes the whole grant (family).
    rotateRefreshToken: () => config.rotateRefreshTokens,
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token')
      && code.scopes.has('offline_access'),
    // Refresh tokens outlive the provider session, as at Auth0.
    expiresWithSession: async () => false,
    findAccount: async (ctx, sub, token) => {
      const user = users.bySub.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          const grantId = token?.grantId ?? ctx?.oidc?.entities?.Grant?.jti;
          const org = grantId ? orgByGrant.get(grantId) : undefined;
          return {
            sub,
            ...user.claims,
            ...(org ? { org_id: org, org_name: org.replace(/^org_/, '') } : {}),
          };
        },
      };
    },
    interactions: {
      url: async (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Error', `<h1 id="error">${esc(out.error)}</h1><p id="error_description">${esc(out.error_description ?? '')}</p>`);
    },
  };

  const provider = new Provider(issuer, configuration);
  provider.proxy = false;

  // Registered clients live in the adapter (Client.find consults it after the
  // static list, which is empty), so tests may replace them while running.
  const upsertClient = async (meta) => {
    await new MemoryAdapter('Client').upsert(meta.client_id, meta);
  };
  for (const meta of clientMetadata(config)) await upsertClient(meta);

  // Exact matching unless the lists are empty (see DEFAULTS.redirectUris).
  const registered = { redirect: new Map(), postLogout: new Map() };
  const rememberLists = (meta) => {
    registered.redirect.set(meta.client_id, meta.redirect_uris ?? []);
    registered.postLogout.set(meta.client_id, meta.post_logout_redirect_uris ?? []);
  };
  for (const meta of clientMetadata(config)) rememberLists(meta);
  const originalRedirectAllowed = provider.Client.prototype.redirectUriAllowed;
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
    if (this.clientId === config.clientId && config.redirectUris.length === 0) return isLoopbackHttp(value);
    return originalRedirectAllowed.call(this, value);
  };
  provider.Client.prototype.postLogoutRedirectUriAllowed = function postLogoutAllowed(value) {
    const list = this.postLogoutRedirectUris ?? [];
    if (this.clientId === config.clientId && config.postLogoutRedirectUris.length === 0) return isLoopbackHttp(value);
    return list.includes(value);
  };

  const state = {
    config, users, keys, issuer, port, apis, claims, orgByGrant, server, provider,
    upsertClient: async (meta) => { rememberLists(meta); await upsertClient(meta); },
  };

  // Order matters: provider.use() inserts before oidc-provider's own router.
  installControl(provider, state);
  const expected = provider.OIDCContext.prototype.clientJwtAuthExpectedAudience;
  provider.OIDCContext.prototype.clientJwtAuthExpectedAudience = function audiences() {
    if (config.clientAssertionAudience === 'issuer') return new Set([this.issuer]);
    if (config.clientAssertionAudience === 'token_endpoint') return new Set([this.urlFor('token')]);
    return expected.call(this);
  };
  installPar(provider, state);
  installInteractions(provider, state);

  server.on('request', provider.callback());
  mtls?.server.on('request', provider.callback());
  return {
    issuer,
    port,
    provider,
    state,
    mtlsPort: mtls?.port,
    close: () => new Promise((resolve) => {
      mtls?.server.closeAllConnections?.();
      mtls?.server.close();
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

// The https front of config.mtls: the TLS layer verifies the client certificate against
// the CA but lets every handshake through, so oidc-provider decides (invalid_client for
// a missing or unknown certificate). The certificate reaches it through the socket, never
// through a header a client could send.
async function startMtlsFront(config) {
  const server = https.createServer({
    key: config.mtls.key, cert: config.mtls.cert, ca: config.mtls.ca,
    requestCert: true, rejectUnauthorized: false,
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, config.host, resolve);
  });
  const { port } = server.address();
  const base = `https://${config.host}:${port}`;
  const peer = (ctx) => {
    const socket = ctx.req.socket;
    if (typeof socket.getPeerX509Certificate !== 'function') return undefined;
    return socket.getPeerX509Certificate();
  };
  const subjectDn = (x509) => x509.subject.split('\n').join(',');
  return {
    server,
    port,
    aliases: {
      token_endpoint: `${base}/oauth/token`,
      revocation_endpoint: `${base}/oauth/revoke`,
      userinfo_endpoint: `${base}/userinfo`,
      ...(config.par ? { pushed_authorization_request_endpoint: `${base}/oauth/par` } : {}),
    },
    feature: {
      enabled: true,
      certificateBoundAccessTokens: true,
      tlsClientAuth: true,
      selfSignedTlsClientAuth: true,
      getCertificate: (ctx) => peer(ctx)?.toString(),
      certificateAuthorized: (ctx) => !!ctx.req.socket.authorized,
      certificateSubjectMatches: (ctx, property, expected) => {
        const x509 = peer(ctx);
        if (!x509) return false;
        if (property === 'tls_client_auth_subject_dn') return subjectDn(x509) === expected;
        return false;
      },
    },
  };
}
