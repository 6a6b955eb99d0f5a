// The trust boundary of the reverse proxy (issue 13, items 1, 2, 3, 7, 8), tried as an
// attacker would: a signed-in user or a bearer client writing raw bytes. The upstream
// is Node's own strict http server recording exactly what reached it (raw header pairs,
// trailers, body bytes, which pooled connection it came on), or Debian's nginx.
//
//   1  chunked request trailers are never forwarded
//   2  header names with underscores are dropped (server.underscores_in_headers)
//   3  an empty chunked body is one last-chunk both ways; two users on one pooled
//      upstream connection each get their own response
//   7  RFC 9112 s6.1 / s6.3 framing: 400 and the connection closed, nothing upstream
//   8  Forwarded, X-Real-IP, X-Forwarded-* are rewritten from what authgate saw
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import {
  Browser, USERS, authgateAvailable, freePort, login, rawConnect, sleep, startAuthgate,
  startNginxEcho, startProvider, startStrictUpstream,
} from '../tooling/lib/index.mjs';

const skip = !authgateAvailable() && 'authgate binary not built (AUTHGATE_BIN)';
const skipNginx = skip || (!fs.existsSync('/usr/sbin/nginx') && 'nginx not installed');
const API = 'https://api.authgate.test';

/**
 * authgate in front of `upstreamUrl`: one I/O thread (so the upstream pool is one pool
 * and reuse is deterministic), bearer tokens for API, public_url = its own address
 * unless given.
 */
async function startGateway(t, op, upstreamUrl, { server = {}, env, publicUrl } = {}) {
  const port = await freePort();
  return startAuthgate({
    t,
    env,
    config: {
      server: {
        listen: `127.0.0.1:${port}`,
        public_url: publicUrl ?? `http://127.0.0.1:${port}`,
        threads: 1,
        ...server,
      },
      provider: { issuer: op.issuer, client_id: op.clientId, client_secret: op.clientSecret },
      session: { store: 'memory' },
      upstream: { url: upstreamUrl },
      api: { audiences: [API] },
    },
  });
}

/** The session cookie header of `user` after a real login at `ag`. */
async function signIn(ag, user = USERS.alice) {
  const browser = new Browser();
  const { response } = await login(browser, ag.url, {
    user: user.user, password: user.password, returnTo: '/auth/me',
  });
  assert.equal(response.status, 200, `login of ${user.user}: ${response.text.slice(0, 200)}`);
  const cookie = browser.cookieHeader(`${ag.url}/`);
  assert.ok(cookie, 'session cookie set');
  return cookie;
}

/** A request head: `lines` are "Name: value" strings (or [name, value] pairs). */
function head(method, target, lines, { version = '1.1', host = 'gateway.test' } = {}) {
  const fields = lines.map((l) => (Array.isArray(l) ? `${l[0]}: ${l[1]}` : l));
  return `${method} ${target} HTTP/${version}\r\n${host === null ? '' : `Host: ${host}\r\n`}`
    + `${fields.map((f) => `${f}\r\n`).join('')}\r\n`;
}

/** One raw exchange on a new connection to `ag`: the parsed response (JSON body). */
async function exchange(ag, bytes, { pieces, gapMs = 50 } = {}) {
  const c = await rawConnect(ag.url);
  try {
    if (pieces) {
      for (const p of pieces) {
        c.send(p);
        await sleep(gapMs);
      }
    } else {
      c.send(bytes);
    }
    const res = await c.response();
    assert.ok(res, 'a response');
    return { ...res, json: () => JSON.parse(res.body.toString()) };
  } finally {
    c.close();
  }
}

/** The one request the upstream received since its reset(). */
async function onlyRequest(up) {
  await up.waitForRequests(1);
  await sleep(100); // anything that follows it (a stray request, a clientError) shows by now
  assert.equal(up.requests.length, 1, `upstream received ${up.requests.map((r) => `${r.method} ${r.url}`)}`);
  assert.deepEqual(up.clientErrors, [], 'the upstream parsed every byte it was sent');
  return up.requests[0];
}

/** Header names the upstream received that contain an underscore. */
const underscored = (rec) => rec.rawHeaders.map(([n]) => n).filter((n) => n.includes('_'));

/** RFC 7239 s4: one forwarded-element's pairs, quoted-strings unquoted. */
function parseForwarded(value) {
  const out = {};
  for (const part of value.split(';')) {
    const i = part.indexOf('=');
    const k = part.slice(0, i).trim().toLowerCase();
    let v = part.slice(i + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    out[k] = v;
  }
  return out;
}

/**
 * Item 3's scenario: user A (an empty chunked body) and user B (no body) take turns,
 * each on a new client connection, so that B's request goes out on the pooled upstream
 * connection A's just used. -> {seen, want}: [who, status, the user the upstream saw]
 * per request, as received and as it must be; `userOf(res)` reads the upstream's answer.
 */
async function takeTurns(ag, alice, bob, userOf, rounds = 3) {
  const seen = [];
  const want = [];
  for (let i = 0; i < rounds; i += 1) {
    const a = await exchange(ag, `${head('POST', `/whoami/a${i}`, [
      `Cookie: ${alice}`, 'Accept: application/json', 'Transfer-Encoding: chunked',
    ])}0\r\n\r\n`);
    seen.push(['A', a.status, a.status === 200 ? userOf(a) : a.body.toString()]);
    await sleep(100); // the upstream connection is back in the pool
    const b = await exchange(ag, head('GET', `/whoami/b${i}`, [`Cookie: ${bob}`, 'Accept: application/json']));
    seen.push(['B', b.status, b.status === 200 ? userOf(b) : b.body.toString()]);
    await sleep(100);
    want.push(['A', 200, USERS.alice.sub], ['B', 200, USERS.bob.sub]);
  }
  return { seen, want };
}

/** What the upstream must have seen for takeTurns(): "METHOD /path user" per request. */
const turnsSeen = (want) => want.map(([who], k) => `${who === 'A' ? 'POST' : 'GET'} /whoami/${who.toLowerCase()}${k >> 1} ${
  who === 'A' ? USERS.alice.sub : USERS.bob.sub}`);

// Forwarding and identity-like headers a client may send (item 8).
const clientForwarding = [
  'Forwarded: for=6.6.6.6;proto=https;host=evil.example', 'X-Real-IP: 6.6.6.6',
  'X-Forwarded-User: admin', 'X-Forwarded-Email: admin@example.com',
  'X-Forwarded-Preferred-Username: admin', 'X-Forwarded-Groups: admins',
  'X-Forwarded-Access-Token: forged', 'X-Forwarded-For: 6.6.6.6', 'X-Forwarded-Proto: https',
  'X-Forwarded-Host: evil.example',
];
const identityLike = ['x-forwarded-user', 'x-forwarded-email', 'x-forwarded-preferred-username',
  'x-forwarded-groups', 'x-forwarded-access-token'];

describe('edge: the reverse proxy at the trust boundary', { skip }, () => {
  let op;
  let up;
  let ag;
  let alice;
  let bob;
  const stops = [];

  before(async () => {
    op = await startProvider();
    stops.push(op);
    up = await startStrictUpstream();
    stops.push({ stop: up.close });
    ag = await startGateway(undefined, op, up.url);
    stops.push(ag);
    alice = await signIn(ag, USERS.alice);
    bob = await signIn(ag, USERS.bob);
  });
  after(async () => {
    for (const s of stops.reverse()) await s.stop();
  });

  // --- 1. Trailers ------------------------------------------------------------------

  const forgedTrailers = 'X-Auth-Request-User: someone-else\r\n'
    + 'X-Auth-Request-Email: admin@example.com\r\nAuthorization: Bearer forged\r\n';

  function assertNoForgery(rec) {
    for (const [n, v] of [...rec.rawHeaders, ...rec.rawTrailers]) {
      assert.ok(!/someone-else|admin@example\.com|Bearer forged/.test(v), `forged value reached the upstream: ${n}: ${v}`);
    }
    assert.deepEqual(rec.rawTrailers, [], 'no trailer fields reach the upstream');
  }

  test('1: chunked request trailers do not become upstream headers (one write)', async () => {
    up.reset();
    const res = await exchange(ag, head('POST', '/trailers', [
      `Cookie: ${alice}`, 'Accept: application/json', 'Content-Type: text/plain',
      'Transfer-Encoding: chunked', 'Trailer: X-Auth-Request-User, X-Auth-Request-Email, Authorization',
    ]) + `5\r\nhello\r\n6\r\n world\r\n0\r\n${forgedTrailers}\r\n`);
    assert.equal(res.status, 200, res.body.toString());
    const rec = await onlyRequest(up);
    assert.deepEqual(rec.values('x-auth-request-user'), [USERS.alice.sub]);
    assert.deepEqual(rec.values('x-auth-request-email'), [USERS.alice.user]);
    assert.deepEqual(rec.values('authorization'), [], 'no Authorization: the session does not pass tokens');
    assertNoForgery(rec);
    assert.equal(rec.body.toString(), 'hello world', 'the body bytes arrive intact');
  });

  test('1: chunked request trailers do not become upstream headers (streamed pieces)', async () => {
    up.reset();
    const res = await exchange(ag, undefined, {
      pieces: [
        head('POST', '/trailers', [`Cookie: ${alice}`, 'Accept: application/json', 'Transfer-Encoding: chunked']),
        '5\r\nhello\r\n', '6\r\n world\r\n', '0\r\n', `${forgedTrailers}\r\n`,
      ],
    });
    assert.equal(res.status, 200, res.body.toString());
    const rec = await onlyRequest(up);
    assert.deepEqual(rec.values('x-auth-request-user'), [USERS.alice.sub]);
    assert.deepEqual(rec.values('x-auth-request-email'), [USERS.alice.user]);
    assert.deepEqual(rec.values('authorization'), []);
    assertNoForgery(rec);
    assert.equal(rec.body.toString(), 'hello world');
  });

  test('1: a trailer never supplies the email of a bearer token without one', async () => {
    const token = await op.sign({ sub: 'auth0|api-client', aud: API, scope: 'read:data' });
    up.reset();
    const res = await exchange(ag, head('POST', '/api/items', [
      `Authorization: Bearer ${token}`, 'Accept: application/json', 'Transfer-Encoding: chunked',
    ]) + `4\r\ndata\r\n0\r\n${forgedTrailers}\r\n`);
    assert.equal(res.status, 200, res.body.toString());
    const rec = await onlyRequest(up);
    assert.deepEqual(rec.values('x-auth-request-user'), ['auth0|api-client']);
    assert.deepEqual(rec.values('x-auth-request-email'), [], 'the token has no email: no X-Auth-Request-Email at all');
    assert.deepEqual(rec.values('authorization'), [`Bearer ${token}`], 'only the validated token');
    assertNoForgery(rec);
    assert.equal(rec.body.toString(), 'data');
  });

  // --- 2. Underscores -------------------------------------------------------------

  test('2: header names with underscores are dropped by default', async () => {
    up.reset();
    const res = await exchange(ag, head('GET', '/underscores', [
      `Cookie: ${alice}`, 'Accept: application/json',
      'X_Auth_Request_Email: admin@example.com', 'X_Auth_Request_User: x', 'X_Custom: 1', 'X-Custom-Dash: 1',
    ]));
    assert.equal(res.status, 200, res.body.toString());
    const rec = await onlyRequest(up);
    assert.deepEqual(underscored(rec), [], 'no header name with an underscore reaches the upstream');
    assert.deepEqual(rec.values('x-custom-dash'), ['1'], 'a dashed name passes');
    assert.deepEqual(rec.values('x-auth-request-user'), [USERS.alice.sub]);
    assert.deepEqual(rec.values('x-auth-request-email'), [USERS.alice.user]);
  });

  // --- 3. Empty chunked bodies and the pooled connection ----------------------------

  test('3: an empty chunked request body reaches a strict upstream as one valid request', async () => {
    up.reset();
    const res = await exchange(ag, `${head('POST', '/empty-body', [
      `Cookie: ${alice}`, 'Accept: application/json', 'Transfer-Encoding: chunked',
    ])}0\r\n\r\n`);
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.json().body_bytes, 0);
    // A second request on the same pooled connection: whatever authgate sent after the
    // first one would be parsed before it.
    const next = await exchange(ag, head('GET', '/after-empty-body', [`Cookie: ${alice}`, 'Accept: application/json']));
    assert.equal(next.status, 200, next.body.toString());
    assert.equal(next.json().url, '/after-empty-body');
    await sleep(100);
    assert.deepEqual(up.clientErrors, [], 'Node\'s parser accepted every byte (no stray last-chunk)');
    assert.deepEqual(up.requests.map((r) => `${r.method} ${r.url} ${r.body.length}`),
      ['POST /empty-body 0', 'GET /after-empty-body 0']);
  });

  test('3: an empty chunked response body reaches the client as exactly one last-chunk', async () => {
    const c = await rawConnect(ag.url);
    try {
      c.send(head('GET', '/empty-chunked', [`Cookie: ${alice}`]));
      const res = await c.response();
      assert.equal(res.status, 200);
      assert.equal(res.body.length, 0);
      if (res.chunked) assert.equal(res.lastChunks, 1);
      await sleep(300);
      assert.equal(c.pending().toString('latin1'), '', 'nothing follows the response');
      if (!c.closed()) {
        // The connection is still in step: the next response starts with a status line.
        c.send(head('GET', '/after-empty-chunked', [`Cookie: ${alice}`, 'Accept: application/json']));
        const next = await c.response();
        assert.equal(next.status, 200);
        assert.equal(JSON.parse(next.body.toString()).url, '/after-empty-chunked');
        await sleep(100);
        assert.equal(c.pending().toString('latin1'), '');
      }
    } finally {
      c.close();
    }
  });

  test('3: two users in turn on one pooled upstream connection each get their own response (Node)', async () => {
    up.reset();
    const { seen, want } = await takeTurns(ag, alice, bob, (res) => res.json().user);
    assert.deepEqual(seen, want, 'each user received their own response');
    await sleep(100);
    assert.deepEqual(up.clientErrors, [], 'no malformed bytes reached the upstream');
    assert.deepEqual(up.requests.map((r) => `${r.method} ${r.url} ${r.values('x-auth-request-user')}`),
      turnsSeen(want), 'the upstream saw exactly the requests sent');
    for (let k = 1; k < up.requests.length; k += 2) {
      assert.equal(up.requests[k].socketId, up.requests[k - 1].socketId,
        `B's request ${k} reused the upstream connection of A's request (sockets ${up.requests.map((r) => r.socketId)})`);
    }
  });

  // --- 7. Strict framing (RFC 9112 s6.1, s6.3) --------------------------------------

  const badFraming = [
    ['Transfer-Encoding: chunked, identity', ['Transfer-Encoding: chunked, identity'], '5\r\nhello\r\n0\r\n\r\n'],
    ['Transfer-Encoding: gzip', ['Transfer-Encoding: gzip'], '5\r\nhello\r\n0\r\n\r\n'],
    ['Transfer-Encoding: identity', ['Transfer-Encoding: identity'], 'hello'],
    ['two Transfer-Encoding lines', ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], '5\r\nhello\r\n0\r\n\r\n'],
    ['obs-folded Transfer-Encoding', ['Transfer-Encoding:\r\n chunked'], '5\r\nhello\r\n0\r\n\r\n'],
    ['Transfer-Encoding with Content-Length', ['Transfer-Encoding: chunked', 'Content-Length: 5'], '5\r\nhello\r\n0\r\n\r\n'],
    ['two differing Content-Length values', ['Content-Length: 5', 'Content-Length: 6'], 'hello!'],
    ['chunked on HTTP/1.0', ['Transfer-Encoding: chunked'], '5\r\nhello\r\n0\r\n\r\n', '1.0'],
  ];

  async function framingProblems(method, target, cookie) {
    const problems = [];
    for (const [name, fields, body, version] of badFraming) {
      up.reset();
      const c = await rawConnect(ag.url);
      try {
        c.send(head(method, target, [`Cookie: ${cookie}`, 'Accept: application/json', ...fields], { version })
          + body);
        let res;
        try {
          res = await c.response({ timeout: 2000 });
        } catch (err) {
          problems.push(`${name}: no whole response (${err.message.slice(0, 120)})`);
          continue;
        }
        if (!res) {
          problems.push(`${name}: closed without a response`);
          continue;
        }
        if (res.status !== 400) problems.push(`${name}: status ${res.status}, not 400`);
        if (!await c.waitForClose(1000)) problems.push(`${name}: connection left open`);
        await sleep(50);
        if (up.requests.length || up.clientErrors.length) {
          problems.push(`${name}: upstream received ${up.requests.length} request(s), ${up.clientErrors.length} unparsable`);
        }
      } finally {
        c.close();
      }
    }
    return problems;
  }

  test('7: malformed request framing on a proxied path gets 400, a closed connection, nothing upstream', async () => {
    assert.deepEqual(await framingProblems('POST', '/framing', alice), []);
  });

  test('7: malformed request framing on an authgate route (/auth/check) gets 400 and a closed connection', async () => {
    assert.deepEqual(await framingProblems('GET', '/auth/check', alice), []);
  });

  // --- 8. Forwarding headers --------------------------------------------------------

  test('8: client-sent Forwarded, X-Real-IP and X-Forwarded-* are rewritten from what authgate saw', async () => {
    up.reset();
    const res = await exchange(ag, head('GET', '/forwarding', [
      `Cookie: ${alice}`, 'Accept: application/json', ...clientForwarding,
    ], { host: 'evil.example:8443' }));
    assert.equal(res.status, 200, res.body.toString());
    const rec = await onlyRequest(up);
    for (const name of identityLike) assert.deepEqual(rec.values(name), [], `${name} removed`);
    assert.deepEqual(rec.values('x-real-ip'), ['127.0.0.1']);
    assert.deepEqual(rec.values('x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(rec.values('x-forwarded-proto'), ['http']);
    assert.deepEqual(rec.values('x-forwarded-host'), [`127.0.0.1:${ag.port}`], 'the host of server.public_url, not the client\'s Host');
    const fwd = rec.values('forwarded');
    assert.equal(fwd.length, 1, `one Forwarded header: ${JSON.stringify(fwd)}`);
    assert.doesNotMatch(fwd[0], /6\.6\.6\.6|evil|,/, 'nothing of the client\'s Forwarded is left');
    assert.deepEqual(parseForwarded(fwd[0]), { for: '127.0.0.1', proto: 'http', host: `127.0.0.1:${ag.port}` });
    assert.deepEqual(rec.values('x-auth-request-user'), [USERS.alice.sub]);
  });
});

describe('edge: underscores allowed by server.underscores_in_headers', { skip }, () => {
  test('2: X_Custom passes, X_Auth_Request_* (an identity header after normalising) is still stripped', async (t) => {
    const op = await startProvider({ t });
    const up = await startStrictUpstream({ t });
    const ag = await startGateway(t, op, up.url, { env: { AUTHGATE_SERVER_UNDERSCORES_IN_HEADERS: 'true' } });
    const cookie = await signIn(ag);
    up.reset();
    const res = await exchange(ag, head('GET', '/underscores', [
      `Cookie: ${cookie}`, 'Accept: application/json',
      'X_Auth_Request_Email: admin@example.com', 'X_Auth_Request_User: x', 'x_auth_request_session: x',
      'X_Custom: 1', 'X-Custom-Dash: 1',
    ]));
    assert.equal(res.status, 200, res.body.toString());
    const rec = await onlyRequest(up);
    assert.deepEqual(underscored(rec).map((n) => n.toLowerCase()), ['x_custom'], 'only X_Custom has an underscore');
    assert.deepEqual(rec.values('x_custom'), ['1']);
    assert.deepEqual(rec.values('x-custom-dash'), ['1']);
    assert.deepEqual(rec.values('x-auth-request-user'), [USERS.alice.sub]);
    assert.deepEqual(rec.values('x-auth-request-email'), [USERS.alice.user]);
  });
});

describe('edge: two users on one pooled connection to nginx', { skip: skipNginx }, () => {
  test('3: each user gets their own response; nginx sees exactly the requests sent', async (t) => {
    const op = await startProvider({ t });
    const nginx = await startNginxEcho({ t });
    const ag = await startGateway(t, op, nginx.url);
    const alice = await signIn(ag, USERS.alice);
    const bob = await signIn(ag, USERS.bob);
    const { seen, want } = await takeTurns(ag, alice, bob, (res) => res.body.toString().trim());
    assert.deepEqual(seen, want, 'each user received their own response');
    await nginx.waitForEntries(want.length);
    await sleep(200); // a stray request would be logged by now
    const log = nginx.entries();
    assert.deepEqual(log.map((e) => `${e.status} ${e.request?.replace(/ HTTP\/1\.1$/, '')} ${e.user}`),
      turnsSeen(want).map((line) => `200 ${line}`), 'nginx logged exactly the requests sent, none malformed');
    for (let k = 1; k < log.length; k += 2) {
      assert.equal(log[k].connection, log[k - 1].connection,
        `B's request reused A's upstream connection (connections ${log.map((e) => e.connection)})`);
    }
  });
});

describe('edge: forwarding headers with other settings', { skip }, () => {
  test('8: X-Forwarded-Host and -Proto come from an https public_url', async (t) => {
    const op = await startProvider({ t });
    const up = await startStrictUpstream({ t });
    const ag = await startGateway(t, op, up.url, { publicUrl: 'https://app.example.test' });
    const token = await op.sign({ sub: 'auth0|api-client', aud: API, scope: 'read:data' });
    const res = await exchange(ag, head('GET', '/forwarding', [
      `Authorization: Bearer ${token}`, 'Accept: application/json', ...clientForwarding,
    ], { host: 'evil.example' }));
    assert.equal(res.status, 200, res.body.toString());
    const rec = await onlyRequest(up);
    for (const name of identityLike) assert.deepEqual(rec.values(name), [], `${name} removed`);
    assert.deepEqual(rec.values('x-forwarded-host'), ['app.example.test']);
    assert.deepEqual(rec.values('x-forwarded-proto'), ['https']);
    assert.deepEqual(rec.values('x-real-ip'), ['127.0.0.1']);
    const fwd = rec.values('forwarded');
    assert.equal(fwd.length, 1, `one Forwarded header: ${JSON.stringify(fwd)}`);
    const parsed = parseForwarded(fwd[0]);
    assert.equal(parsed.for, '127.0.0.1');
    assert.equal(parsed.host, 'app.example.test');
  });

  test('8: from a trusted proxy the X-Forwarded-For chain is kept and extended; identity-like headers still go', async (t) => {
    const op = await startProvider({ t });
    const up = await startStrictUpstream({ t });
    const ag = await startGateway(t, op, up.url, { server: { trusted_proxies: ['127.0.0.0/8'] } });
    const token = await op.sign({ sub: 'auth0|api-client', aud: API, scope: 'read:data' });
    const res = await exchange(ag, head('GET', '/forwarding', [
      `Authorization: Bearer ${token}`, 'Accept: application/json', 'X-Forwarded-For: 203.0.113.7',
      'X-Forwarded-User: admin', 'X-Forwarded-Email: admin@example.com',
      'X-Forwarded-Preferred-Username: admin', 'X-Forwarded-Groups: admins', 'X-Forwarded-Access-Token: forged',
    ]));
    assert.equal(res.status, 200, res.body.toString());
    const rec = await onlyRequest(up);
    assert.deepEqual(rec.values('x-forwarded-for'), ['203.0.113.7, 127.0.0.1']);
    for (const name of identityLike) assert.deepEqual(rec.values(name), [], `${name} removed`);
    assert.deepEqual(rec.values('x-auth-request-user'), ['auth0|api-client']);
  });
});
