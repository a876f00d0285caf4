import { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { assertRoleConfig, ConfigError, configSchema, loadConfig, redactConfig, redactUrl } from '../config.ts';
import { createLlmClient, describeLlmError, llmClientOptionsFromConfig } from '../llm/index.ts';
import { selectProtocol } from '../llm/protocols/protocol.ts';
import { describeConnectionError } from '../observability/dependency-state.ts';
import { silentLogger } from '../observability/logger.ts';
import { findOnPath } from '../runtime/embedded-redis.ts';
import { createTools } from '../tools/index.ts';
import type { McpServerConfig } from '../tools/tools-config.ts';
import { describeRedisTopology } from '../queue/redis-topology-report.ts';
import { redisTopologyFromConfig } from '../queue/redis-topology.ts';
import { describeFetchError, type DoctorCheck } from './doctor-check.ts';
import { platformsFor, PLATFORMS } from './platforms.ts';
import { DEFAULT_REDIS_URL } from './redis-choice.ts';

export type { DoctorCheck } from './doctor-check.ts';

export interface DoctorReport {
  checks: DoctorCheck[];
  /** Redacted; printed only with --verbose. */
  config: Record<string, unknown>;
}

export const DOCTOR_DEFAULTS = {
  timeoutMs: 10_000,
} as const;

/**
 * The configuration as far as it is valid: a variable that does not parse is reported and left at
 * its default, so one typo does not stop every other check.
 */
export function loadDoctorConfig(env: Record<string, string | undefined>): { config: Config; problems: string[] } {
  try {
    return { config: loadConfig(env as NodeJS.ProcessEnv), problems: [] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const bad = new Set(configSchema.safeParse(env).error?.issues.map((issue) => String(issue.path[0])) ?? []);
    const usable = Object.fromEntries(Object.entries(env).filter(([key]) => !bad.has(key)));
    return { config: loadConfig(usable, '/nonexistent/.env'), problems: error.problems };
  }
}

/** `ofox-bot doctor`: every dependency, checked in one run whatever is missing; none of it secret. */
export async function runDoctor(config: Config, env: Record<string, string | undefined>, problems: readonly string[] = []): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  checks.push(checkConfig(config, problems));
  checks.push(await checkRedis(config, env));
  checks.push(...(await checkOfox(config)));
  const platforms = platformsFor(config, 'gateway');
  for (const platform of platforms) checks.push(...(await platform.doctorChecks(config, describeFetchError)));
  if (platforms.length === 0) {
    const ways = PLATFORMS.flatMap((platform) => (platform.roles.includes('gateway') && platform.keyVariable ? [platform.keyVariable] : []));
    checks.push({ name: 'platforms', ok: false, detail: 'no chat platform is configured', fix: `Set ${ways.join(' or ')} (see .env.example: Slack's Socket Mode is quickest). \`ofox-bot ask\` works without any.` });
  }
  checks.push(...(await checkMcp(config, env)));
  return { checks, config: redactConfig(config) };
}

function checkConfig(config: Config, problems: readonly string[]): DoctorCheck {
  const all = [...problems];
  try {
    assertRoleConfig(config, 'start');
  } catch (error) {
    if (error instanceof ConfigError) all.push(...error.problems);
  }
  return all.length === 0
    ? { name: 'config', ok: true, detail: 'every variable parses; `start` has what it needs' }
    : { name: 'config', ok: false, detail: all.join('; '), fix: 'Set these in .env (see .env.example) or the environment.' };
}

async function checkRedis(config: Config, env: Record<string, string | undefined>): Promise<DoctorCheck> {
  if (redisTopologyFromConfig(config).mode !== 'single') return checkRedisTopology(config);
  const explicit = Boolean(env.REDIS_URL?.trim()) && env.REDIS_URL?.trim() !== 'embedded';
  const url = explicit ? config.REDIS_URL : DEFAULT_REDIS_URL;
  const tried = redactUrl(url);
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let cause: unknown;
  redis.on('error', (error: unknown) => (cause ??= error));
  try {
    await redis.connect();
    const info = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    const [, aof] = ((await redis.config('GET', 'appendonly').catch(() => [])) as string[]);
    const [, policy] = ((await redis.config('GET', 'maxmemory-policy').catch(() => [])) as string[]);
    const detail = `Redis ${version}; appendonly ${aof ?? '?'}; maxmemory-policy ${policy ?? '?'}`;
    const warning = aof === 'no' ? 'the append-only file is off: queued answers are lost when Redis restarts (redis-server --appendonly yes)' : undefined;
    if (policy && policy !== 'noeviction') {
      return { name: 'redis', ok: false, detail: `${detail}: BullMQ needs noeviction, or queued answers can be evicted`, tried, fix: 'redis-server --maxmemory-policy noeviction (or CONFIG SET maxmemory-policy noeviction and CONFIG REWRITE).', ...(warning ? { warning } : {}) };
    }
    return { name: 'redis', ok: true, detail, tried, ...(warning ? { warning } : {}) };
  } catch (error) {
    if (!explicit) {
      const binary = findOnPath('redis-server', env.PATH);
      return binary
        ? { name: 'redis', ok: true, detail: `nothing answers on 127.0.0.1:6379; \`start\` and \`ask\` will run a private Redis (${binary}); \`gateway\` and \`worker\` need REDIS_URL`, tried }
        : { name: 'redis', ok: false, detail: `nothing answers (${describeConnectionError(cause ?? error)}) and there is no redis-server on PATH`, tried, fix: 'Install redis-server (apt install redis-server · brew install redis) or run docker run -d -p 6379:6379 redis:7, or set REDIS_URL.' };
    }
    return { name: 'redis', ok: false, detail: `cannot connect (${describeConnectionError(cause ?? error)})`, tried: `REDIS_URL=${tried}`, fix: 'Start Redis there or fix REDIS_URL.' };
  } finally {
    redis.disconnect();
  }
}

/** Sentinel or Cluster: the mode, who is master, and whether a failover could happen now. */
async function checkRedisTopology(config: Config): Promise<DoctorCheck> {
  const report = await describeRedisTopology(config);
  const tried = report.mode === 'sentinel' ? 'REDIS_SENTINELS' : 'REDIS_CLUSTER_NODES';
  return report.healthy
    ? { name: 'redis', ok: true, detail: report.lines.join('; '), tried }
    : { name: 'redis', ok: false, detail: report.lines.join('; '), tried, fix: `Check that the nodes in ${tried} answer and agree on a master.` };
}

async function checkOfox(config: Config): Promise<DoctorCheck[]> {
  const modelsUrl = `${config.OFOX_BASE_URL}/models`;
  if (!config.OFOX_API_KEY) return [{ name: 'ofoxai', ok: false, detail: 'OFOX_API_KEY is not set', fix: 'Create a key in the OfoxAI console and set OFOX_API_KEY.' }];
  const llm = createLlmClient(llmClientOptionsFromConfig(config));
  const checks: DoctorCheck[] = [];
  try {
    const models = await llm.listModels({ signal: AbortSignal.timeout(DOCTOR_DEFAULTS.timeoutMs) });
    checks.push({ name: 'ofoxai key', ok: true, detail: `key works; ${models.length} models`, tried: modelsUrl });
    checks.push(
      models.some((model) => model.id === config.OFOX_MODEL)
        ? { name: 'ofoxai model', ok: true, detail: `${config.OFOX_MODEL} is offered` }
        : { name: 'ofoxai model', ok: false, detail: `OFOX_MODEL ${config.OFOX_MODEL} is not among the ${models.length} models offered`, tried: modelsUrl, fix: 'Pick a model id from the OfoxAI model list for OFOX_MODEL.' },
    );
  } catch (error) {
    return [{ name: 'ofoxai key', ok: false, detail: describeLlmError(error), tried: modelsUrl, fix: 'Check OFOX_API_KEY (and OFOX_BASE_URL if you set it).' }];
  }
  const protocol = selectProtocol(config.OFOX_MODEL, config.OFOX_PROTOCOL);
  if (protocol === 'anthropic') {
    // The model list came over the OpenAI-protocol endpoint; this model streams over the other one.
    const url = `${config.OFOX_ANTHROPIC_BASE_URL}/v1/models`;
    try {
      const response = await fetch(url, { headers: { 'x-api-key': config.OFOX_API_KEY, 'anthropic-version': '2023-06-01' }, signal: AbortSignal.timeout(DOCTOR_DEFAULTS.timeoutMs) });
      await response.body?.cancel();
      checks.push(
        response.status < 500 && response.status !== 401 && response.status !== 403
          ? { name: 'ofoxai protocol', ok: true, detail: `Anthropic protocol endpoint answers (${response.status})`, tried: url }
          : { name: 'ofoxai protocol', ok: false, detail: `Anthropic protocol endpoint answered ${response.status}`, tried: url, fix: 'Check OFOX_ANTHROPIC_BASE_URL, or set OFOX_PROTOCOL=openai.' },
      );
    } catch (error) {
      checks.push({ name: 'ofoxai protocol', ok: false, detail: `Anthropic protocol endpoint unreachable (${describeFetchError(error)})`, tried: url, fix: 'Check OFOX_ANTHROPIC_BASE_URL, or set OFOX_PROTOCOL=openai.' });
    }
  } else {
    checks.push({ name: 'ofoxai protocol', ok: true, detail: 'OpenAI protocol endpoint answers', tried: modelsUrl });
  }
  return checks;
}

async function checkMcp(config: Config, env: Record<string, string | undefined>): Promise<DoctorCheck[]> {
  let tools;
  try {
    tools = await createTools({ config, env, log: silentLogger() });
  } catch (error) {
    return [{ name: 'tools config', ok: false, detail: error instanceof Error ? error.message : String(error), tried: config.OFOX_BOT_CONFIG ?? 'ofox-bot.config.yaml', fix: 'Fix the file (see ofox-bot.config.example.yaml) or unset OFOX_BOT_CONFIG.' }];
  }
  try {
    const servers = tools.toolsConfig.mcpServers;
    if (servers.length === 0) return [{ name: 'mcp', ok: true, detail: 'no MCP servers configured (built-in tools only)' }];
    await tools.start();
    return tools.mcp.status().map((status) =>
      status.state === 'ready'
        ? { name: `mcp ${status.server}`, ok: true, detail: `connected; ${status.tools} tools` }
        : { name: `mcp ${status.server}`, ok: false, detail: `${status.state}${status.lastError ? `: ${status.lastError}` : ''}`, tried: describeServer(servers.find((server) => server.name === status.server)), fix: 'Check the server\'s command or URL in the tools config.' },
    );
  } finally {
    await tools.close().catch(() => {});
  }
}

function describeServer(server: McpServerConfig | undefined): string | undefined {
  if (!server) return undefined;
  return server.transport === 'http' ? server.url : [server.command, ...server.args].join(' ');
}
