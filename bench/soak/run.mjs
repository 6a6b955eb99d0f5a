#!/usr/bin/env node
// Soak (issue 17; not in CI): authgate at half its capacity for a long run, memory
// sampled, to show it stays flat. See docs/RELIABILITY.md "Soak".
//
//   node bench/soak/run.mjs [--minutes 10] [--bin PATH] [--store sqlite|memory|redis]
//                           [--churn-ms 250 (0: no logins)] [--soak-connections 128]
//                           [--cache-size N (session.cache_size)]
//
// 1. Starts the local provider and `authgate serve` (default: build/release, or
//    AUTHGATE_BIN) with the given store (SQLite in a temp dir by default).
// 2. Capacity: wrk -c CONNECTIONS for 5 s on a signed-in GET /auth/check.
// 3. Soak: wrk on 128 connections with a per-request pause (delay.lua) sized for half
//    that rate (a 5 s trial measures the latency to subtract), on the same route, plus
//    a login, three /auth/me and a logout every 250 ms from Node (sessions created and
//    removed all along) for the whole run.
// 4. RSS (VmRSS of the authgate process) after a 20 s warm-up ("start"), every 30 s,
//    and at the end; prints one JSON summary line. Exit 1 when the end RSS exceeds the
//    start by more than --max-growth-mb (default 16) or anything but 200 was answered.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import {
  Browser, REPO_ROOT, USERS, login, sleep, startAuthgate, startProvider, startRedis, stopAll,
  tempDir,
} from '../../tests/tooling/lib/index.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    bin: { type: 'string' },
    store: { type: 'string', default: 'sqlite' },
    connections: { type: 'string', default: '32' },
    'soak-connections': { type: 'string', default: '128' },
    'churn-ms': { type: 'string', default: '250' },
    'cache-size': { type: 'string' }, // session.cache_size (default: authgate's)
    'max-growth-mb': { type: 'string', default: '16' },
  },
});
process.env.AUTHGATE_BIN = opts.bin ?? process.env.AUTHGATE_BIN
  ?? path.join(REPO_ROOT, 'build/release/src/cli/authgate');
const minutes = Number(opts.minutes);
const conns = Number(opts.connections);
const soakConns = Number(opts['soak-connections']);
const churnMs = Number(opts['churn-ms']);

function wrk(args, env = {}) {
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { env: { ...process.env, ...env }, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) reject(err); else resolve(stdout);
    });
  });
}
const rpsOf = (out) => Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
const non2xx = (out) => Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
const statusKb = (pid, field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const rssKb = (pid) => statusKb(pid, 'VmRSS');
// RssAnon is the heap (and SQLite's page cache); RssFile includes the SQLite file
// mapped by mmap_size, which grows with the database, not with a leak.
const sample = (pid, started) => ({
  s: Math.round((Date.now() - started) / 1000), rss_kb: rssKb(pid),
  anon_kb: statusKb(pid, 'RssAnon'), file_kb: statusKb(pid, 'RssFile'),
});

async function main() {
  const op = await startProvider({});
  let store = `sqlite:${path.join(tempDir('authgate-soak-'), 'sessions.db')}`;
  const session = {};
  if (opts['cache-size'] !== undefined) session.cache_size = Number(opts['cache-size']);
  if (opts.store === 'memory') store = 'memory';
  if (opts.store === 'redis') {
    store = (await startRedis({})).url;
    session.encryption_keys = ['AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'];
  }
  const ag = await startAuthgate({
    config: {
      server: { log_level: 'warn' },
      provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
      session: { store, ...session },
    },
  });
  const pid = ag.service.pid;
  const b = new Browser();
  await login(b, ag.url, { user: USERS.alice.user, password: USERS.alice.password });
  const cookie = b.cookieHeader(`${ag.url}/`);
  const url = `${ag.url}/auth/check`;
  const lua = path.join(here, 'delay.lua');

  const capOut = await wrk(['-t1', `-c${conns}`, '-d5s', '-s', lua, url], { SOAK_COOKIE: cookie, SOAK_DELAY_MS: '0' });
  const capacity = rpsOf(capOut);
  // Each of soakConns connections waits DELAY ms before each request, so the rate is
  // soakConns * 1000 / (DELAY + latency). A 5 s trial measures the latency part.
  const target = capacity / 2;
  const firstDelay = Math.max(1, Math.round((soakConns * 1000) / target));
  const trialOut = await wrk(['-t1', `-c${soakConns}`, '-d5s', '-s', lua, url], { SOAK_COOKIE: cookie, SOAK_DELAY_MS: String(firstDelay) });
  const latencyMs = Math.max(0, (soakConns * 1000) / rpsOf(trialOut) - firstDelay);
  const delayMs = Math.max(1, Math.round((soakConns * 1000) / target - latencyMs));

  let churn = churnMs > 0;
  let churned = 0;
  let churnErrors = 0;
  const churnLoop = (async () => {
    while (churn) {
      try {
        const c = new Browser();
        await login(c, ag.url, { user: USERS.bob.user, password: USERS.bob.password });
        for (let i = 0; i < 3; ++i) await c.request(`${ag.url}/auth/me`, { accept: 'application/json' });
        const out = await c.request(`${ag.url}/auth/logout`, { method: 'POST', headers: { origin: ag.url }, accept: 'application/json' });
        if (out.status >= 500) churnErrors += 1;
        churned += 1;
      } catch {
        churnErrors += 1;
      }
      await sleep(churnMs);
    }
  })();

  const soakMs = minutes * 60 * 1000;
  const soak = wrk(['-t1', `-c${soakConns}`, `-d${Math.round(soakMs / 1000)}s`, '-s', lua, url], { SOAK_COOKIE: cookie, SOAK_DELAY_MS: String(delayMs) });
  const started = Date.now();
  const samples = [];
  await sleep(Math.min(20000, soakMs / 4));
  samples.push(sample(pid, started));
  const startRss = samples[0].rss_kb;
  while (Date.now() - started < soakMs - 1000) {
    await sleep(Math.min(30000, soakMs - 1000 - (Date.now() - started)));
    samples.push(sample(pid, started));
  }
  const soakOut = await soak;
  churn = false;
  await churnLoop;
  samples.push(sample(pid, started));
  const endRss = samples.at(-1).rss_kb;

  const summary = {
    minutes, store: opts.store, cache_size: opts['cache-size'] ?? 'default', connections: conns, soak_connections: soakConns, churn_ms: churnMs,
    capacity_rps: Math.round(capacity), soak_rps: Math.round(rpsOf(soakOut)), delay_ms: delayMs,
    soak_non_2xx: non2xx(soakOut), logins_and_logouts: churned, churn_errors: churnErrors,
    rss_start_kb: startRss, rss_end_kb: endRss, rss_growth_kb: endRss - startRss,
    anon_growth_kb: samples.at(-1).anon_kb - samples[0].anon_kb,
    file_growth_kb: samples.at(-1).file_kb - samples[0].file_kb, samples,
  };
  console.log(JSON.stringify(summary));
  await stopAll();
  const growthMb = (endRss - startRss) / 1024;
  if (growthMb > Number(opts['max-growth-mb']) || summary.soak_non_2xx > 0 || churnErrors > 0) {
    console.error(`soak failed: RSS grew ${growthMb.toFixed(1)} MB, ${summary.soak_non_2xx} non-2xx, ${churnErrors} churn errors`);
    process.exit(1);
  }
}

main().catch(async (e) => {
  console.error(e);
  await stopAll();
  process.exit(1);
});
