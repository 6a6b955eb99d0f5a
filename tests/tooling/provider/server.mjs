#!/usr/bin/env node
// The local Auth0-compatible provider as a process:
//   node tests/tooling/provider/server.mjs --port 0 [--config JSON|@file] [flags]
// Prints one JSON line {"issuer":"http://127.0.0.1:PORT/","port":PORT,...} on stdout
// when it accepts connections; SIGTERM/SIGINT stop it. Options: docs/TESTING.md.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';

import { createProvider } from './provider.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    config: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    'backchannel-logout-uri': { type: 'string' },
    'access-token-ttl': { type: 'string' },
    'id-token-ttl': { type: 'string' },
    'refresh-token-ttl': { type: 'string' },
    'no-rotation': { type: 'boolean' },
    users: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(`usage: server.mjs [--port N] [--config JSON|@FILE] [--client-id ID] [--client-secret S]
  [--redirect-uri URI]... [--post-logout-redirect-uri URI]... [--backchannel-logout-uri URI]
  [--access-token-ttl SECONDS] [--id-token-ttl SECONDS] [--refresh-token-ttl SECONDS]
  [--no-rotation] [--users FILE]
`);
  process.exit(0);
}

let config = {};
if (values.config) {
  const text = values.config.startsWith('@') ? fs.readFileSync(values.config.slice(1), 'utf8') : values.config;
  config = JSON.parse(text);
}
const num = (v) => (v === undefined ? undefined : Number.parseInt(v, 10));
const flags = {
  port: num(values.port),
  clientId: values['client-id'],
  clientSecret: values['client-secret'],
  redirectUris: values['redirect-uri'],
  postLogoutRedirectUris: values['post-logout-redirect-uri'],
  backchannelLogoutUri: values['backchannel-logout-uri'],
  accessTokenTtl: num(values['access-token-ttl']),
  idTokenTtl: num(values['id-token-ttl']),
  refreshTokenTtl: num(values['refresh-token-ttl']),
  rotateRefreshTokens: values['no-rotation'] ? false : undefined,
  usersFile: values.users,
};
for (const [k, v] of Object.entries(flags)) if (v !== undefined) config[k] = v;

const op = await createProvider(config);
process.stdout.write(`${JSON.stringify({
  issuer: op.issuer,
  port: op.port,
  ...(op.mtlsPort ? { mtls_port: op.mtlsPort } : {}),
  client_id: op.state.config.clientId,
  pid: process.pid,
})}\n`);

const stop = () => op.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
