// `authgate token verify` and `authgate discover` against the local provider: the
// operator's view of a token, with each check's outcome and the exit code.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { authgateAvailable, authgateBin, startProvider, tempDir } from '../tooling/lib/index.mjs';

function run(args, { config, input, env = {} } = {}) {
  const r = spawnSync(authgateBin(), [...args, '-c', config], {
    input, encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 30000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('token verify and discover', { skip: !authgateAvailable() && 'needs authgate' }, async (t) => {
  const op = await startProvider({ t });
  const config = path.join(tempDir('authgate-cli-'), 'authgate.yaml');
  fs.writeFileSync(config, JSON.stringify({
    provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
    session: { store: 'memory' },
  }));

  await t.test('an ID token for our client is valid, and each check is listed', async () => {
    const jwt = await op.sign({ aud: op.clientId, sub: 'auth0|alice' });
    const r = run(['token', 'verify', jwt], { config });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /signature: passed/);
    assert.match(r.out, /iss: passed/);
    assert.match(r.out, /^valid$/m);
  });

  await t.test('the token can come from stdin, so it stays out of the process list', async () => {
    const jwt = await op.sign({ aud: op.clientId, sub: 'auth0|alice' });
    const r = run(['token', 'verify', '-'], { config, input: `${jwt}\n` });
    assert.equal(r.code, 0, r.out);
  });

  await t.test('a foreign signature, another audience and an expired token are invalid', async () => {
    const cases = [
      [await op.sign({ aud: op.clientId, sub: 'x' }, { key: 'foreign' }), /invalid: bad_signature/],
      [await op.sign({ aud: 'someone-else', sub: 'x' }), /invalid: audience_mismatch/],
      [await op.sign({ aud: op.clientId, sub: 'x', iat: 1000, exp: 2000 }), /invalid: expired/],
    ];
    for (const [jwt, reason] of cases) {
      const r = run(['token', 'verify', jwt], { config });
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, reason);
      assert.match(r.out, /UNVERIFIED|claims/);
    }
  });

  await t.test('--kind access checks an API access token; --audience alone is refused', async () => {
    const api = 'https://api.authgate.test';
    const jwt = await op.sign({ aud: api, sub: 'auth0|alice', scope: 'read:data' },
      { header: { typ: 'at+jwt' } });
    const ok = run(['token', 'verify', jwt, '--kind', 'access', '--audience', api], { config });
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /^kind: access token$/m);
    const wrong = run(['token', 'verify', jwt, '--kind', 'access', '--audience',
      'https://other.example'], { config });
    assert.equal(wrong.code, 1);
    assert.match(wrong.out, /audience_mismatch/);
    const implicit = run(['token', 'verify', jwt, '--audience', api], { config });
    assert.equal(implicit.code, 1, 'no silent switch to access-token rules');
    assert.match(implicit.out, /--audience applies to access tokens; add --kind access/);
    const asId = run(['token', 'verify', jwt, '--kind', 'id'], { config });
    assert.equal(asId.code, 1);
    assert.match(asId.out, /^kind: ID token$/m);
  });

  await t.test('a forged token of the wrong type reads as bad_signature, not typ_mismatch', async () => {
    const jwt = await op.sign({ aud: 'https://api.authgate.test', sub: 'x' }, { key: 'foreign' });
    const r = run(['token', 'verify', jwt, '--kind', 'access', '--audience',
      'https://api.authgate.test'], { config });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /invalid: bad_signature/);
    assert.ok(r.out.indexOf('signature:') < r.out.indexOf('typ:'), r.out);
  });

  await t.test('discover prints the metadata and what authgate will use', async () => {
    const r = run(['discover', op.issuer], { config });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`token_endpoint: ${op.issuer}oauth/token`));
    assert.match(r.out, /client authentication: client_secret_basic/);
    assert.match(r.out, /jwks: \d+ usable key/);
    const bad = run(['discover', op.issuer.replace(/\/$/, '')], { config });
    assert.equal(bad.code, 1, 'an issuer without its trailing slash does not match');
  });

  await t.test('check-config probes the client credentials at the token endpoint', async () => {
    const ok = run(['check-config'], { config });
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, new RegExp(`client credentials: accepted by ${op.issuer}oauth/token`));
    assert.match(ok.out, /configuration ok \(online: discovery, JWKS and the client credentials checked/);
    const wrong = run(['check-config'], { config, env: { AUTH0_CLIENT_SECRET: 'not-the-secret' } });
    assert.equal(wrong.code, 1, wrong.out);
    assert.match(wrong.out, /provider\.client_secret: the provider refused authgate's client credentials at \S+oauth\/token \(HTTP 401, invalid_client/);
    assert.match(wrong.out, /fix provider\.client_secret \(set by AUTH0_CLIENT_SECRET\) or provider\.client_id/);
    assert.ok(!wrong.out.includes('not-the-secret'), 'the secret is never printed');
    const before = (await op.stats()).token.total;
    const offline = run(['check-config', '--offline'], { config, env: { AUTH0_CLIENT_SECRET: 'not-the-secret' } });
    assert.equal(offline.code, 0, offline.out);
    assert.equal((await op.stats()).token.total, before, '--offline does not reach the provider');
  });

  await t.test('check-config names the provider\'s exact issuer on a mismatch', async () => {
    const noSlash = op.issuer.replace(/\/$/, '');
    const r = run(['check-config'], { config, env: { AUTHGATE_PROVIDER_ISSUER: noSlash } });
    assert.equal(r.code, 1, r.out);
    assert.ok(r.out.includes(`provider.issuer: issuer_mismatch: the provider's issuer is exactly "${op.issuer}", not "${noSlash}"`), r.out);
    assert.ok(r.out.includes(`set provider.issuer: ${op.issuer}`), r.out);
  });

  await t.test('discover -c FILE uses the configured issuer', async () => {
    const r = run(['discover'], { config });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`^issuer: ${op.issuer}$`, 'm'));
  });
});
