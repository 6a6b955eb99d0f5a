#!/usr/bin/env node
// The time authgate itself spends in a login callback, excluding the provider's time
// (issue 4, Measure). See docs/BENCHMARKS.md "Login callback".
//
//   node bench/callback/run.mjs [--logins 1000] [--warmup 20] [--bin PATH] [--store memory]
//
// Starts the local provider and `authgate serve` (default binary: the RelWithDebInfo
// build in build/h-flow-rel, or AUTHGATE_BIN) on free loopback ports. One client keeps
// its provider session, so after the first login /authorize answers without a form;
// before each login it drops authgate's session cookie, so every callback creates a new
// session (no previous one to revoke). For each login the client times the callback
// request alone (send until the 302 is read); the provider reports how long it spent
// on that login's token request (and on a JWKS fetch, only on the first callback) in
// /__test/stats `timings`, and authgate's share is the difference. That share includes
// authgate's HTTP client work and both loopback hops to the provider.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import * as os from 'node:os';

import {
  Browser, REPO_ROOT, startAuthgate, startProvider, stopAll,
} from '../../tests/tooling/lib/index.mjs';

const { values: opts } = parseArgs({
  options: {
    logins: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '20' },
    bin: { type: 'string' },
    store: { type: 'string', default: 'memory' },
  },
});
const LOGINS = Number(opts.logins);
const WARMUP = Number(opts.warmup);
process.env.AUTHGATE_BIN = opts.bin ?? process.env.AUTHGATE_BIN
  ?? path.join(REPO_ROOT, 'build/h-flow-rel/src/cli/authgate');

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const fmt = (x) => x.toFixed(3);

function summary(name, values) {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return {
    name, n: s.length, p50: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), max: s[s.length - 1], mean,
  };
}

/**
 * The server-side duration of the callback just made, from authgate's access log (request
 * read until response written): it leaves out the client's side of the loopback hop.
 * The line may be written just after the response, so wait for a new request id.
 */
async function lastCallbackDuration(ag, seen) {
  for (let tries = 0; tries < 500; tries += 1) {
    const lines = ag.service.output().slice(-16384).split('\n')
      .filter((l) => l.startsWith('{') && l.includes('"type":"access"') && l.includes('"path":"/auth/callback"'));
    const last = lines.length ? JSON.parse(lines[lines.length - 1]) : undefined;
    if (last && !seen.has(last.id)) {
      seen.add(last.id);
      return last.duration_ms;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error('no access-log line for the callback');
}

/** Up to (not including) the callback: the URL and method the provider sends back. */
async function toCallback(browser, agUrl, i) {
  let res = await browser.request(`${agUrl}/auth/login?return_to=${encodeURIComponent(`/r/${i}`)}`, { follow: false });
  for (let hop = 0; hop < 12; hop += 1) {
    if (res.location) {
      if (res.location.startsWith(`${agUrl}/`)) return res.location;
      res = await browser.request(res.location, { follow: false });
      continue;
    }
    const form = res.forms().find((f) => f.id === 'login-form');
    if (!form) throw new Error(`unexpected provider page ${res.status} ${res.url}: ${res.text.slice(0, 200)}`);
    res = await browser.submit(res, 'login-form', { username: 'alice@example.com', password: 'alice-password' }, { follow: false });
  }
  throw new Error('the provider never redirected back');
}

async function main() {
  const op = await startProvider();
  const ag = await startAuthgate({
    config: {
      provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
      session: { store: opts.store },
    },
  });
  const browser = new Browser();
  const wall = [];
  const served = [];
  const seen = new Set();
  try {
    for (let i = 0; i < WARMUP + LOGINS; i += 1) {
      if (i === WARMUP) await op.reset(); // timings of measured logins only
      browser.jar.delete('authgate');
      const cb = await toCallback(browser, ag.url, i);
      const t0 = performance.now();
      const res = await browser.fetchOnce(cb);
      const ms = performance.now() - t0;
      if (res.status !== 302 || !res.location?.endsWith(`/r/${i}`)) {
        throw new Error(`login ${i}: callback answered ${res.status} ${res.text.slice(0, 200)}`);
      }
      if (i >= WARMUP) {
        wall.push(ms);
        served.push(await lastCallbackDuration(ag, seen));
      }
    }
    const stats = await op.stats();
    const token = stats.timings.token;
    if (token.length !== LOGINS) throw new Error(`provider saw ${token.length} token requests, expected ${LOGINS}`);
    if (stats.timings.jwks.length !== 0) throw new Error('JWKS refetched during the measured logins');
    const own = wall.map((w, i) => w - token[i]);
    const rows = [summary('callback at the client', wall), summary('provider token endpoint', token),
      summary('authgate (client - provider)', own),
      summary('callback in authgate\'s access log', served),
      summary('authgate (access log - provider)', served.map((d, i) => d - token[i]))];
    const cpu = os.cpus()[0]?.model ?? 'unknown';
    console.log(`logins ${LOGINS} (after ${WARMUP} warm-up), store ${opts.store}, ${os.cpus().length} cores ${cpu}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log(`binary ${process.env.AUTHGATE_BIN}`);
    console.log('| measure | p50 ms | p90 ms | p99 ms | max ms | mean ms |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.name} | ${fmt(r.p50)} | ${fmt(r.p90)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${fmt(r.mean)} |`);
    const first = summary('first 100', own.slice(0, 100));
    const last = summary('last 100', own.slice(-100));
    console.log(`authgate p50 first 100 logins ${fmt(first.p50)} ms, last 100 ${fmt(last.p50)} ms`);
  } finally {
    await stopAll();
  }
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
