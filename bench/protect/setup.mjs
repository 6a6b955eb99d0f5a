// Benchmark setup (bench/protect/run.sh): signs in through authgate (and, when given,
// through Apache + mod_auth_openidc) with the local provider's login form, and mints
// bearer tokens. Writes into OUTDIR: cookie.authgate, cookie.apache, token.one,
// tokens.txt (N distinct tokens, one per line).
//   node bench/protect/setup.mjs OUTDIR ISSUER AUTHGATE_URL [APACHE_URL] [N]
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Browser, login } from '../../tests/tooling/lib/index.mjs';

const [outDir, issuer, authgateUrl, apacheUrl, n = '10000'] = process.argv.slice(2);
const API = 'https://api.authgate.test';

function cookieOnly(browser, url, name) {
  const header = browser.cookieHeader(url);
  const mine = header.split('; ').filter((c) => c.startsWith(`${name}=`));
  if (!mine.length) throw new Error(`no ${name} cookie after login at ${url}`);
  return mine.join('; ');
}

const ag = new Browser();
const r = await login(ag, authgateUrl, { returnTo: '/auth/me' });
if (r.response.status !== 200) throw new Error(`authgate login ended with ${r.response.status}`);
fs.writeFileSync(path.join(outDir, 'cookie.authgate'), cookieOnly(ag, `${authgateUrl}/`, 'authgate'));

if (apacheUrl && apacheUrl !== '-') {
  const ap = new Browser();
  const a = await login(ap, apacheUrl, { path: '/' });
  if (a.response.status !== 200) throw new Error(`apache login ended with ${a.response.status}`);
  fs.writeFileSync(path.join(outDir, 'cookie.apache'), cookieOnly(ap, `${apacheUrl}/`, 'mod_auth_openidc_session'));
}

async function sign(sub) {
  const res = await fetch(new URL('/__test/sign', issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ payload: { sub, aud: API, scope: 'read:data', exp: Math.floor(Date.now() / 1000) + 3600 } }),
  });
  if (!res.ok) throw new Error(`sign: ${res.status}`);
  return (await res.json()).jwt;
}

fs.writeFileSync(path.join(outDir, 'token.one'), await sign('auth0|bench'));
const count = Number(n);
const tokens = new Array(count);
let next = 0;
await Promise.all(Array.from({ length: 16 }, async () => {
  while (next < count) {
    const i = next;
    next += 1;
    tokens[i] = await sign(`auth0|bench-${i}`);
  }
}));
fs.writeFileSync(path.join(outDir, 'tokens.txt'), `${tokens.join('\n')}\n`);
console.log(JSON.stringify({ tokens: count }));
