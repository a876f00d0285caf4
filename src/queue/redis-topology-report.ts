import { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { formatNodes, redisTopologyFromConfig, type RedisMode, type RedisNode, type RedisTopologyConfig } from './redis-topology.ts';

/**
 * What `doctor` says about Redis: the mode in use and whether it would survive losing a node right
 * now (who is master, replicas, sentinels in agreement, a failover under way, the cluster's state
 * and which node holds the bot's slot). It reads only administrative commands; it writes nothing.
 */

export interface RedisTopologyReport {
  mode: RedisMode;
  /** False when the bot cannot work against this topology right now. */
  healthy: boolean;
  /** One line per fact, safe to print (no passwords). */
  lines: string[];
}

export const REDIS_TOPOLOGY_REPORT_DEFAULTS = {
  /** Per node contacted. @defaultValue 2_000 */
  timeoutMs: 2_000,
} as const;

type ReportConfig = RedisTopologyConfig & Pick<Config, 'REDIS_KEY_PREFIX'>;

export async function describeRedisTopology(
  config: ReportConfig,
  options: { timeoutMs?: number } = {},
): Promise<RedisTopologyReport> {
  const timeoutMs = options.timeoutMs ?? REDIS_TOPOLOGY_REPORT_DEFAULTS.timeoutMs;
  const topology = redisTopologyFromConfig(config);
  switch (topology.mode) {
    case 'single':
      return describeSingle(topology.url, timeoutMs);
    case 'sentinel':
      return describeSentinel(topology.sentinels, topology.name, topology.sentinelPassword, timeoutMs);
    case 'cluster':
      return describeCluster(topology.nodes, config.REDIS_KEY_PREFIX, { username: topology.username, password: topology.password }, timeoutMs);
  }
}

/** A short-lived connection that fails at once instead of retrying: doctor must answer quickly. */
async function probe<T>(target: string | (RedisNode & { username?: string | undefined; password?: string | undefined }), timeoutMs: number, run: (redis: Redis) => Promise<T>): Promise<T> {
  const options = { lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false };
  const redis = typeof target === 'string' ? new Redis(target, options) : new Redis({ ...options, ...withoutUndefined(target) });
  // ioredis rejects with "Connection is closed."; the socket's own error says why (ECONNREFUSED, NOAUTH…).
  let cause: Error | undefined;
  redis.on('error', (error: Error) => (cause ??= error));
  try {
    await redis.connect();
    return await run(redis);
  } catch (error) {
    throw cause ?? error;
  } finally {
    redis.disconnect();
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `INFO replication` style text into fields. */
function infoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/** SENTINEL MASTER / REPLICAS replies: flat [field, value, …] arrays. */
function pairs(reply: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  const list = Array.isArray(reply) ? reply : [];
  for (let index = 0; index + 1 < list.length; index += 2) fields.set(String(list[index]), String(list[index + 1]));
  return fields;
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

async function describeSingle(url: string, timeoutMs: number): Promise<RedisTopologyReport> {
  const where = hostOf(url);
  try {
    const info = infoFields(await probe(url, timeoutMs, (redis) => redis.info('replication')));
    const role = info.get('role') ?? 'unknown';
    const replicas = Number(info.get('connected_slaves') ?? 0);
    const lines = [`mode: single Redis at ${where} (REDIS_URL)`, `role: ${role}, ${replicas} connected replica${replicas === 1 ? '' : 's'}`];
    if (role !== 'master') lines.push('this server is a replica: it refuses writes; point REDIS_URL at the master or use REDIS_SENTINELS');
    lines.push('failover: none (one server; if it stops, every role waits for it)');
    return { mode: 'single', healthy: role === 'master', lines };
  } catch (error) {
    return { mode: 'single', healthy: false, lines: [`mode: single Redis at ${where} (REDIS_URL)`, `unreachable: ${reason(error)}`] };
  }
}

async function describeSentinel(sentinels: RedisNode[], name: string, sentinelPassword: string | undefined, timeoutMs: number): Promise<RedisTopologyReport> {
  const lines = [`mode: Sentinel, master "${name}", sentinels ${formatNodes(sentinels)}`];
  const answers = await Promise.all(
    sentinels.map(async (node) => {
      try {
        return await probe({ ...node, password: sentinelPassword }, timeoutMs, async (redis) => ({
          node,
          master: pairs(await redis.call('SENTINEL', 'MASTER', name)),
          replicas: ((await redis.call('SENTINEL', 'REPLICAS', name)) as unknown[]).map(pairs),
        }));
      } catch (error) {
        return { node, error: reason(error) };
      }
    }),
  );
  const answered = answers.flatMap((answer) => ('master' in answer ? [answer] : []));
  for (const answer of answers) if ('error' in answer) lines.push(`sentinel ${formatNodes([answer.node])} did not answer: ${answer.error}`);
  const first = answered[0];
  if (!first) return { mode: 'sentinel', healthy: false, lines: [...lines, 'no sentinel answered: the master cannot be found'] };

  const addresses = new Set(answered.map((answer) => `${answer.master.get('ip')}:${answer.master.get('port')}`));
  const flags = first.master.get('flags') ?? '';
  const quorum = Number(first.master.get('quorum') ?? 0);
  const online = first.replicas.filter((replica) => !/s_down|o_down|disconnected/.test(replica.get('flags') ?? '')).length;
  lines.push(`master: ${[...addresses].join(' / ')} (flags ${flags})${addresses.size > 1 ? ' — the sentinels disagree' : ''}`);
  lines.push(`replicas: ${online} online of ${first.replicas.length}`);
  lines.push(`sentinels: ${answered.length} of ${sentinels.length} answer, quorum ${quorum}`);
  const failingOver = /failover_in_progress|promoted/.test(flags) || (first.master.get('failover-state') ?? 'none') !== 'none';
  const down = /s_down|o_down/.test(flags);
  lines.push(`failover: ${failingOver ? 'in progress' : down ? 'master is down, waiting for a quorum' : online > 0 ? 'ready (a replica can take over)' : 'not possible (no replica online)'}`);
  const healthy = !down && !failingOver && addresses.size === 1 && answered.length >= quorum;
  return { mode: 'sentinel', healthy, lines };
}

interface ClusterNodeLine {
  address: string;
  flags: string[];
  masterId: string;
  id: string;
  slots: Array<[number, number]>;
}

function parseClusterNodes(text: string): ClusterNodeLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '', , , , , ...slots] = line.trim().split(' ');
      return {
        id,
        address: address.split('@')[0] ?? address,
        flags: flags.split(','),
        masterId,
        slots: slots
          .filter((slot) => !slot.startsWith('['))
          .map((slot) => {
            const [from, to] = slot.split('-').map(Number);
            return [from ?? 0, to ?? from ?? 0] as [number, number];
          }),
      };
    });
}

async function describeCluster(
  nodes: RedisNode[],
  prefix: string,
  auth: { username?: string | undefined; password?: string | undefined },
  timeoutMs: number,
): Promise<RedisTopologyReport> {
  const lines = [`mode: Cluster, seed nodes ${formatNodes(nodes)}`];
  const problems: string[] = [];
  for (const node of nodes) {
    try {
      const { info, table, slot } = await probe({ ...node, ...auth }, timeoutMs, async (redis) => ({
        info: infoFields(String(await redis.call('CLUSTER', 'INFO'))),
        table: parseClusterNodes(String(await redis.call('CLUSTER', 'NODES'))),
        slot: Number(await redis.call('CLUSTER', 'KEYSLOT', `${prefix}:chat`)),
      }));
      const failing = (entry: ClusterNodeLine) => entry.flags.some((flag) => flag === 'fail' || flag === 'fail?');
      const masters = table.filter((entry) => entry.flags.includes('master'));
      const replicas = table.filter((entry) => entry.flags.includes('slave'));
      const state = info.get('cluster_state') ?? 'unknown';
      lines.push(`cluster state: ${state}, ${masters.length} masters (${masters.filter(failing).length} failing), ${replicas.length} replicas`);
      const owner = masters.find((entry) => !failing(entry) && entry.slots.some(([from, to]) => slot >= from && slot <= to));
      const ownerReplicas = owner ? replicas.filter((entry) => entry.masterId === owner.id && !failing(entry)).length : 0;
      lines.push(`the bot's keys (${prefix}) live in slot ${slot}, on ${owner ? owner.address : 'no working master'}`);
      lines.push(`failover: ${owner === undefined ? 'the slot has no master: waiting for a failover' : ownerReplicas > 0 ? `ready (${ownerReplicas} replica${ownerReplicas === 1 ? '' : 's'} of that master)` : 'not possible (that master has no replica)'}`);
      return { mode: 'cluster', healthy: state === 'ok' && owner !== undefined, lines };
    } catch (error) {
      problems.push(`node ${formatNodes([node])} did not answer: ${reason(error)}`);
    }
  }
  return { mode: 'cluster', healthy: false, lines: [...lines, ...problems, 'no cluster node answered'] };
}
