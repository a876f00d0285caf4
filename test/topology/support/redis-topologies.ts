import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../helpers/free-port.ts';

/**
 * Real Redis topologies for the tests, started from the `redis-server` binary on free loopback
 * ports in a private directory: a three-master cluster, and a master with a replica watched by
 * three sentinels. Nothing here touches the shared Redis on 6379.
 */

function which(binary: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    if (dir && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return undefined;
}

export const redisServerBinary = which('redis-server');
/** Why the topology tests cannot run here, or undefined when they can. */
export const topologySkipReason = redisServerBinary
  ? undefined
  : 'redis-server was not found on PATH (install it with `apt-get install redis-server`): the Cluster and Sentinel tests need to start their own servers';

export interface RedisProcess {
  port: number;
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): void;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

/** One short command against one node, without retries. */
export async function nodeCommand(port: number, ...args: string[]): Promise<unknown> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await redis.call(args[0]!, ...args.slice(1));
  } finally {
    redis.disconnect();
  }
}

function startServer(dir: string, port: number, args: string[]): RedisProcess {
  if (!redisServerBinary) throw new Error(topologySkipReason);
  const child = spawn(redisServerBinary, args, { cwd: dir, stdio: 'ignore' });
  return { port, child, kill: (signal = 'SIGTERM') => void child.kill(signal) };
}

const DATA_NODE_ARGS = (port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];

export interface TestCluster {
  nodes: RedisProcess[];
  /** `REDIS_CLUSTER_NODES` for the bot. */
  nodesEnv: string;
  stop(): Promise<void>;
}

/** Three masters, no replicas, every slot assigned, `cluster_state:ok` on every node. */
export async function startCluster(masters = 3): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ofox-cluster-'));
  const nodes: RedisProcess[] = [];
  const stop = async () => {
    for (const node of nodes) node.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < masters; index += 1) {
      const port = await freePort();
      nodes.push(
        startServer(dir, port, [...DATA_NODE_ARGS(port), '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000']),
      );
    }
    for (const node of nodes) await waitFor(`redis-server on ${node.port}`, async () => (await nodeCommand(node.port, 'PING')) === 'PONG');
    // Slots split evenly, then MEET: the same thing `redis-cli --cluster create` does, without the CLI.
    const per = Math.ceil(16_384 / masters);
    for (const [index, node] of nodes.entries()) {
      const from = index * per;
      const to = Math.min(16_383, from + per - 1);
      await nodeCommand(node.port, 'CLUSTER', 'ADDSLOTSRANGE', String(from), String(to));
    }
    for (const node of nodes.slice(1)) await nodeCommand(nodes[0]!.port, 'CLUSTER', 'MEET', '127.0.0.1', String(node.port));
    for (const node of nodes) {
      await waitFor(`cluster state ok on ${node.port}`, async () => String(await nodeCommand(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
    }
    return { nodes, nodesEnv: nodes.map((node) => `127.0.0.1:${node.port}`).join(','), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface TestSentinelGroup {
  name: string;
  master: RedisProcess;
  replica: RedisProcess;
  sentinels: RedisProcess[];
  /** `REDIS_SENTINELS` for the bot. */
  sentinelsEnv: string;
  /** The master's port as the sentinels currently report it. */
  currentMasterPort(): Promise<number>;
  stop(): Promise<void>;
}

/** A master, one replica in sync with it, and three sentinels (quorum 2) that fail over within seconds. */
export async function startSentinelGroup(name = 'ofoxmaster'): Promise<TestSentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'ofox-sentinel-'));
  const all: RedisProcess[] = [];
  const stop = async () => {
    for (const process of all) process.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const masterPort = await freePort();
    const master = startServer(dir, masterPort, DATA_NODE_ARGS(masterPort));
    all.push(master);
    await waitFor('the master', async () => (await nodeCommand(masterPort, 'PING')) === 'PONG');
    const replicaPort = await freePort();
    const replica = startServer(dir, replicaPort, [...DATA_NODE_ARGS(replicaPort), '--replicaof', '127.0.0.1', String(masterPort)]);
    all.push(replica);
    await waitFor('the replica in sync', async () => String(await nodeCommand(replicaPort, 'INFO', 'replication')).includes('master_link_status:up'));

    const sentinels: RedisProcess[] = [];
    for (let index = 0; index < 3; index += 1) {
      const port = await freePort();
      // Sentinel rewrites its config file as it learns, so each gets its own writable copy.
      const file = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          'protected-mode no',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = startServer(dir, port, [file, '--sentinel']);
      sentinels.push(sentinel);
      all.push(sentinel);
    }
    const currentMasterPort = async () => Number(((await nodeCommand(sentinels[0]!.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[])[1]);
    // Each sentinel must know the replica and the other two before a failover can be agreed.
    for (const sentinel of sentinels) {
      await waitFor(`sentinel ${sentinel.port} sees the group`, async () => {
        const master = (await nodeCommand(sentinel.port, 'SENTINEL', 'MASTER', name)) as string[];
        const field = (key: string) => master[master.indexOf(key) + 1];
        return field('num-slaves') === '1' && field('num-other-sentinels') === '2';
      });
    }
    return { name, master, replica, sentinels, sentinelsEnv: sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(','), currentMasterPort, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `redis-cli`'s INFO commandstats as { command: calls }. */
export async function commandStats(port: number): Promise<Map<string, number>> {
  const text = String(await nodeCommand(port, 'INFO', 'commandstats'));
  const stats = new Map<string, number>();
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats.set(match[1]!, Number(match[2]));
  return stats;
}
