// server.log_format: every line authgate writes (application log, access log, audit
// events) is in one format, JSON objects or text with one prefix.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';

import { Browser, authgateAvailable, login, startAuthgate, startProvider } from '../tooling/lib/index.mjs';
import { gatewayConfig } from './login_helpers.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (AUTHGATE_BIN)';

async function linesAfterALogin(t, format) {
  const op = await startProvider({ t });
  const ag = await startAuthgate({ t, config: gatewayConfig(op, { server: { log_format: format } }) });
  await login(new Browser(), ag.url);  // app log, access lines, a session.created audit event
  await fetch(`${ag.url}/nope`);
  await new Promise((r) => { setTimeout(r, 200); });
  return ag.service.output().split('\n').filter((l) => l.trim() !== '');
}

test('json: every line is one JSON object with ts, level and logger', { skip }, async (t) => {
  const lines = await linesAfterALogin(t, 'json');
  const loggers = new Set();
  for (const line of lines) {
    let o;
    assert.doesNotThrow(() => { o = JSON.parse(line); }, `not JSON: ${line}`);
    assert.ok(o.ts && o.level && o.logger, line);
    loggers.add(o.logger);
  }
  assert.ok(loggers.has('access'), [...loggers].join(','));
  assert.ok(lines.some((l) => JSON.parse(l).type === 'access'), 'access fields are merged');
  assert.ok(lines.some((l) => /authgate listening/.test(JSON.parse(l).msg ?? '')));
});

test('text: every line has the same prefix, none is bare JSON', { skip }, async (t) => {
  const lines = await linesAfterALogin(t, 'text');
  for (const line of lines) {
    assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[\w+\] \[[\w-]+\] /, line);
  }
  assert.ok(lines.some((l) => / \[access\] \{"type":"access"/.test(l)));
});
