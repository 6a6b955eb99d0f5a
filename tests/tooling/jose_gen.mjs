// Generates JOSE interop fixtures with npm `jose` (an implementation independent of
// authgate's): a JWKS, an HMAC secret, and tokens for every supported alg plus bad
// variants, each labelled with the error authgate must report ("ok" when valid).
// Usage: node tests/tooling/jose_gen.mjs OUT.json
import { writeFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes, sign as nodeSign, KeyObject } from 'node:crypto';
import { SignJWT, generateKeyPair, exportJWK, base64url } from 'jose';

const out = process.argv[2];
if (!out) {
  console.error('usage: jose_gen.mjs OUT.json');
  process.exit(2);
}

const now = 1700000000; // the C++ test sets its ManualClock to this
const issuer = 'https://tenant.eu.auth0.com/';
const audience = 'https://api.example/';

const asymmetric = [
  ['RS256', {}], ['RS384', {}], ['RS512', {}],
  ['PS256', {}], ['PS384', {}], ['PS512', {}],
  ['ES256', {}], ['ES384', {}], ['ES512', {}],
  ['EdDSA', { crv: 'Ed25519' }],
];

const keys = {};
const jwks = { keys: [] };
for (const [alg, opts] of asymmetric) {
  const pair = await generateKeyPair(alg, { ...opts, extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  jwk.kid = `${alg}-key`;
  jwk.alg = alg;
  jwk.use = 'sig';
  jwks.keys.push(jwk);
  keys[alg] = pair;
}
// An encryption key in the set must be ignored, not break the set.
const encPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
jwks.keys.push({ ...(await exportJWK(encPair.publicKey)), kid: 'enc-key', use: 'enc', alg: 'RSA-OAEP-256' });

const hmacSecret = randomBytes(64);

function claims(overrides = {}) {
  return { iss: issuer, aud: audience, sub: 'auth0|interop', iat: now - 5, exp: now + 600, ...overrides };
}

async function sign(alg, key, header, body, options = undefined) {
  return new SignJWT(body).setProtectedHeader({ alg, ...header }).sign(key, options);
}

const tokens = [];
const add = (name, token, expect) => tokens.push({ name, token, expect });

for (const [alg] of asymmetric) {
  add(`${alg} valid`, await sign(alg, keys[alg].privateKey, { kid: `${alg}-key`, typ: 'JWT' }, claims()), 'ok');
}
for (const alg of ['HS256', 'HS384', 'HS512']) {
  add(`${alg} valid`, await sign(alg, hmacSecret, { typ: 'JWT' }, claims()), 'ok');
}

const rs = keys.RS256.privateKey;
const hdr = { kid: 'RS256-key' };
add('expired', await sign('RS256', rs, hdr, claims({ iat: now - 7200, exp: now - 3600 })), 'expired');
add('nbf in the future', await sign('RS256', rs, hdr, claims({ nbf: now + 3600 })), 'not_yet_valid');
add('iat in the future', await sign('RS256', rs, hdr, claims({ iat: now + 3600, exp: now + 7200 })), 'iat_in_future');
add('wrong audience', await sign('RS256', rs, hdr, claims({ aud: 'https://other.example/' })), 'audience_mismatch');
add('audience array', await sign('RS256', rs, hdr, claims({ aud: ['https://other.example/', audience] })), 'ok');
add('issuer without trailing slash', await sign('RS256', rs, hdr, claims({ iss: issuer.slice(0, -1) })), 'issuer_mismatch');
add('unknown kid', await sign('RS256', rs, { kid: 'not-published' }, claims()), 'unknown_kid');
add('alg not fitting key', await sign('ES256', keys.ES256.privateKey, { kid: 'RS256-key' }, claims()), 'key_alg_mismatch');
add('crit header', await sign('RS256', rs, { ...hdr, crit: ['urn:example:ext'], 'urn:example:ext': 1 }, claims(),
  { crit: { 'urn:example:ext': true } }), 'crit_unsupported');

const valid = await sign('RS256', rs, hdr, claims());
const [h, p, s] = valid.split('.');
const flipped = (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
add('tampered signature', `${h}.${p}.${flipped}`, 'bad_signature');
add('tampered payload', `${h}.${base64url.encode(JSON.stringify(claims({ sub: 'auth0|admin' })))}.${s}`, 'bad_signature');
add('padded signature', `${h}.${p}.${s}=`, 'bad_base64url');
add('truncated', `${h}.${p}`, 'malformed_token');
add('alg none', `${base64url.encode('{"alg":"none"}')}.${p}.`, 'alg_none');

// Alg confusion: HS256 keyed with the RSA public key as published (PEM and DER).
const rsaPublic = KeyObject.from(keys.RS256.publicKey);
const pem = rsaPublic.export({ type: 'spki', format: 'pem' });
const der = rsaPublic.export({ type: 'spki', format: 'der' });
add('HS256 keyed with RSA PEM', await sign('HS256', new TextEncoder().encode(pem), hdr, claims()), 'bad_signature');
add('HS256 keyed with RSA DER', await sign('HS256', new Uint8Array(der), hdr, claims()), 'bad_signature');

// A 1024-bit RSA key (signed with node:crypto; jose itself refuses such keys).
const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
const weakJwk = { ...(await exportJWK(weak.publicKey)), kid: 'weak-key', use: 'sig' };
const weakInput = `${base64url.encode('{"alg":"RS256","kid":"weak-key"}')}.${base64url.encode(JSON.stringify(claims()))}`;
const weakSig = nodeSign('sha256', Buffer.from(weakInput), weak.privateKey);
jwks.keys.push(weakJwk);
add('signed by 1024-bit key', `${weakInput}.${base64url.encode(weakSig)}`, 'unknown_kid');

writeFileSync(out, JSON.stringify({
  now, issuer, audience,
  hmacSecret: base64url.encode(hmacSecret),
  jwks, tokens,
}, null, 1));
console.log(`wrote ${tokens.length} tokens and ${jwks.keys.length} keys to ${out}`);
