// A Redis Sentinel set for failover tests: one master, replicas and sentinels, each a
// real redis-server / redis-sentinel process on a free 127.0.0.1 port, stopped by PID
// when the test ends (through spawnService and `t`). Timings are short so a failover
// takes a few seconds: down-after 1000 ms, failover-timeout 3000 ms.
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
      ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf)] : [])],
    readyWhen: replicaOf ? /MASTER <-> REPLICA sync: Finished with success/ : /Ready to accept connections/,
    t,
  });
}

/**
 * Starts the set and waits until every sentinel sees the master, every replica and
 * the other sentinels (so a failover can be agreed at once). Returns
 * {masterName, masterPort, replicaPorts, sentinelPorts, nodes: {port: service},
 *  storeUri(query), master() (the port the sentinels name now), restartNode(port)}.
 */
export async function startSentinelSet({ t, replicas = 1, sentinels = 3, masterName = 'authgate-test' } = {}) {
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
  const { cmd, args } = sentinelCommand();
  for (let i = 0; i < sentinels; ++i) {
    const port = await freePort();
    const conf = path.join(dir, `sentinel${i}.conf`);
    fs.writeFileSync(conf, [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'daemonize no', 'logfile ""',
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${Math.floor(sentinels / 2) + 1}`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 3000`,
      `sentinel parallel-syncs ${masterName} 1`, '',
    ].join('\n'));
    await spawnService({ name: `sentinel${i}`, cmd, args: [conf, ...args], readyWhen: /\+monitor master/, t });
    sentinelPorts.push(port);
  }
  // Sentinels find each other and the replicas through the master's hello channel
  // (every 2 s): wait until each knows all of them.
  const deadline = Date.now() + 20000;
  for (const sp of sentinelPorts) {
    for (;;) {
      const info = await redisCli(sp, 'SENTINEL', 'master', masterName);
      const field = (k) => Number(info[info.indexOf(k) + 1]);
      if (field('num-other-sentinels') === sentinels - 1 && field('num-slaves') === replicas) break;
      if (Date.now() > deadline) throw new Error(`sentinel ${sp} did not see the set: ${info.join(' ')}`);
      await sleep(200);
    }
  }
  return {
    masterName, masterPort, replicaPorts, sentinelPorts, nodes,
    storeUri: (query = '') => `redis-sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${masterName}${query}`,
    master: async () => Number((await redisCli(sentinelPorts[0], 'SENTINEL', 'get-master-addr-by-name', masterName))[1]),
    // A data node started again on its port, as a plain server: the sentinels turn a
    // returning old master into a replica of the new one.
    restartNode: async (port) => {
      nodes[port] = await startDataNode({ t, name: `redis-${port}`, port, dir: tempDir('authgate-redis-') });
      return nodes[port];
    },
  };
}
