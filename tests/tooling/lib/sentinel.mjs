// A Redis Sentinel set for failover tests: one master, replicas and sentinels, each a
// real redis-server / redis-sentinel process on a free 127.0.0.1 port, stopped by PID
// when the test ends (through spawnService and `t`). Timings are short so a failover
// takes a few seconds: down-after 1000 ms, failover-timeout 3000 ms, and a replica's
// full resync starts at once (repl-diskless-sync-delay 0).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { freePort, sleep, spawnService, tempDir } from './process.mjs';

/** Runs redis-cli against a port; resolves its stdout lines (trimmed), '' on failure. */
export function redisCli(port, ...args) {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 },
      (err, stdout) => resolve(err ? [] : stdout.split('\n').map((l) => l.trim()).filter(Boolean)));
  });
}

/**
 * Whether a write on `port` is acknowledged by `replicas` replicas within `ms`: SET and
 * WAIT on one connection (WAIT counts the replicas that have this client's own last
 * write, so a WAIT on a connection that wrote nothing answers at once). Resolves a boolean.
 */
export function writeAcknowledged(port, { replicas = 1, ms = 300 } = {}) {
  return new Promise((resolve) => {
    const child = execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port)], { timeout: 5000 + ms },
      (err, stdout) => {
        const lines = err ? [] : stdout.split('\n').map((l) => l.trim()).filter(Boolean);
        resolve(lines[0] === 'OK' && Number(lines[1]) >= replicas);
      });
    child.stdin.end(`SET authgate-test:ack ${Date.now()}\nWAIT ${replicas} ${ms}\nDEL authgate-test:ack\n`);
  });
}

/** redis-cli with credentials ({user, password}; none: plain redisCli). */
function authedCli(auth) {
  if (!auth?.password) return redisCli;
  // REDISCLI_AUTH keeps the password off the command line (and out of `ps`).
  const flags = auth.user ? ['--user', auth.user] : [];
  return (port, ...args) => new Promise((resolve) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...flags, ...args], {
      timeout: 5000, env: { ...process.env, REDISCLI_AUTH: auth.password },
    }, (err, stdout) => resolve(err ? [] : stdout.split('\n').map((l) => l.trim()).filter(Boolean)));
  });
}

function sentinelCommand() {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && fs.existsSync(path.join(dir, 'redis-sentinel'))) return { cmd: 'redis-sentinel', args: [] };
  }
  // Debian's redis-sentinel is the same binary run in sentinel mode.
  return { cmd: 'redis-server', args: ['--sentinel'] };
}

async function startDataNode({ t, name, port, replicaOf, dir }) {
  return spawnService({
    name,
    cmd: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--daemonize', 'no', '--logfile', '',
      // A replica that must resync after a failover gets its copy at once, not after
      // the default 5 s wait for more replicas to share the transfer.
      '--repl-diskless-sync-delay', '0',
      ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf)] : [])],
    readyWhen: replicaOf ? /MASTER <-> REPLICA sync: Finished with success/ : /Ready to accept connections/,
    t,
  });
}

/**
 * Starts the set and waits until every sentinel sees the master, every replica and
 * the other sentinels (so a failover can be agreed at once). Returns
 * {masterName, masterPort, replicaPorts, sentinelPorts, nodes: {port: service},
 *  sentinels: [service], storeUri(query), master() (the port the sentinels name now),
 *  sentinelCli(port, ...args) (redis-cli with the sentinel credentials), restartNode(port)}.
 * `sentinelPassword`: every sentinel has `requirepass` (and uses it with the others);
 * `sentinelUser`: {user, password}, an ACL user added to every sentinel beside it.
 */
export async function startSentinelSet({
  t, replicas = 1, sentinels = 3, masterName = 'authgate-test', sentinelPassword, sentinelUser,
} = {}) {
  const dir = tempDir('authgate-sentinel-');
  const nodes = {};
  const masterPort = await freePort();
  nodes[masterPort] = await startDataNode({ t, name: 'redis-master', port: masterPort, dir: tempDir('authgate-redis-') });
  const replicaPorts = [];
  for (let i = 0; i < replicas; ++i) {
    const port = await freePort();
    nodes[port] = await startDataNode({ t, name: `redis-replica${i}`, port, replicaOf: masterPort, dir: tempDir('authgate-redis-') });
    replicaPorts.push(port);
  }
  const sentinelPorts = [];
  const sentinelServices = [];
  const { cmd, args } = sentinelCommand();
  const sentinelCli = authedCli(sentinelPassword ? { password: sentinelPassword } : undefined);
  for (let i = 0; i < sentinels; ++i) {
    const port = await freePort();
    const conf = path.join(dir, `sentinel${i}.conf`);
    fs.writeFileSync(conf, [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'daemonize no', 'logfile ""',
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${Math.floor(sentinels / 2) + 1}`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 3000`,
      `sentinel parallel-syncs ${masterName} 1`,
      ...(sentinelPassword ? [`requirepass ${sentinelPassword}`] : []),
      ...(sentinelUser ? [`user ${sentinelUser.user} on >${sentinelUser.password} ~* &* +@all`] : []),
      '',
    ].join('\n'), { mode: 0o600 });
    sentinelServices.push(await spawnService({
      name: `sentinel${i}`, cmd, args: [conf, ...args], readyWhen: /\+monitor master/, t,
    }));
    sentinelPorts.push(port);
  }
  // Sentinels find each other and the replicas through the master's hello channel
  // (every 2 s): wait until each knows all of them.
  const deadline = Date.now() + 20000;
  for (const sp of sentinelPorts) {
    for (;;) {
      const info = await sentinelCli(sp, 'SENTINEL', 'master', masterName);
      const field = (k) => Number(info[info.indexOf(k) + 1]);
      if (field('num-other-sentinels') === sentinels - 1 && field('num-slaves') === replicas) break;
      if (Date.now() > deadline) throw new Error(`sentinel ${sp} did not see the set: ${info.join(' ')}`);
      await sleep(200);
    }
  }
  return {
    masterName, masterPort, replicaPorts, sentinelPorts, nodes, sentinels: sentinelServices, sentinelCli,
    storeUri: (query = '') => `redis-sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${masterName}${query}`,
    master: async () => Number((await sentinelCli(sentinelPorts[0], 'SENTINEL', 'get-master-addr-by-name', masterName))[1]),
    // A data node started again on its port, as a plain server: the sentinels turn a
    // returning old master into a replica of the new one.
    restartNode: async (port) => {
      nodes[port] = await startDataNode({ t, name: `redis-${port}`, port, dir: tempDir('authgate-redis-') });
      return nodes[port];
    },
  };
}
