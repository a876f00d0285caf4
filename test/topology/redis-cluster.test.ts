import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import type { ChatJobInput } from '../../src/queue/chat-job.ts';
import { describeRedisTopology } from '../../src/queue/redis-topology-report.ts';
import { createCore, type Core } from '../../src/runtime/core.ts';
import { finish, reply, text, toolCall, type FakeRequest } from '../fakes/ofox/index.ts';
import { RecordingPlatform } from '../fakes/recording-platform.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';
import { startCluster, topologySkipReason, type TestCluster } from './support/redis-topologies.ts';

/**
 * The whole pipeline on a real three-master Redis Cluster: the gateway's core and the worker's core
 * are separate clients, so the job, the cancel signal and the approval all cross the cluster.
 */

if (topologySkipReason) console.warn(`skipping the Redis Cluster tests: ${topologySkipReason}`);

describe.skipIf(topologySkipReason !== undefined)('on a three-master Redis Cluster', () => {
  let cluster: TestCluster;
  let pipeline: Pipeline;
  let gateway: Core;
  let platform: RecordingPlatform;
  let counter = 0;
  const prefix = `{ofox-test-${randomBytes(4).toString('hex')}}`;

  beforeAll(async () => {
    cluster = await startCluster(3);
    platform = new RecordingPlatform({ approvals: true });
    const configFile = join(mkdtempSync(join(tmpdir(), 'ofox-cluster-tools-')), 'ofox-bot.config.yaml');
    writeFileSync(configFile, ['tools:', '  calculator:', '    requiresApproval: true', ''].join('\n'));
    const env = { REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_KEY_PREFIX: prefix, OFOX_BOT_CONFIG: configFile, TOOL_APPROVAL_TIMEOUT_MS: '10000' };
    pipeline = await startPipeline({ ports: [platform], env });
    gateway = await createCore({ config: { ...pipeline.config }, log: silentLogger(), env: {}, startTools: false });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await pipeline?.stop();
    await cluster?.stop();
  });

  async function ask(prompt: string, userId = 'asker') {
    counter += 1;
    const channelId = `cluster-${counter}`;
    const placeholder = await platform.postPlaceholder(channelId);
    const job: ChatJobInput = { v: 1, eventId: `cluster-${counter}-${Date.now()}`, platform: 'recording', workspaceId: 'team', channelId, userId, prompt, placeholder, createdAt: Date.now() };
    const { jobId } = await gateway.ingress.enqueue(job);
    return { jobId, placeholder };
  }

  const shown = async (id: string) => (await platform.messages()).find((message) => message.id === id)?.text;
  const toolResults = (request: FakeRequest) =>
    ((request.body as { messages?: Array<{ role: string; content: string }> }).messages ?? []).filter((message) => message.role === 'tool');

  it('the bot refuses a prefix without a hash tag, saying why', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: cluster.nodesEnv, REDIS_KEY_PREFIX: 'ofox' }, '/nonexistent/.env')).toThrow(
      'REDIS_KEY_PREFIX: "ofox" has no hash tag; on a Redis Cluster every key must share one slot, so use braces, e.g. {ofox}',
    );
  });

  it('answers with a tool call: the model asks for the time, gets it, and its answer is shown once', async () => {
    pipeline.fakeOfox.reset();
    pipeline.fakeOfox.respond((request) => (toolResults(request).length > 0 ? reply('It is today.') : [toolCall('current_time', { timeZone: 'UTC' }), finish('tool-calls')]));
    const { jobId, placeholder } = await ask('what time is it?');
    const result = await pipeline.waitForJob(jobId);
    expect(result.outcome).toBe('complete');
    expect(toolResults(pipeline.fakeOfox.requests[1]!)[0]?.content).toContain(String(new Date().getUTCFullYear()));
    expect(await shown(placeholder.id)).toMatch(/^It is today\.\n\n✅ \*\*current_time\*\* `\{"timeZone":"UTC"\}` — done in \d+ ms$/);
    expect(pipeline.fakeOfox.requests).toHaveLength(2);
    expect((await platform.messages()).filter((message) => message.text.startsWith('It is today.'))).toHaveLength(1);
  });

  it('a stop request published by the gateway reaches the worker', async () => {
    pipeline.fakeOfox.reset();
    pipeline.fakeOfox.enqueue([text('word '.repeat(400), { tokensPerSecond: 40 }), finish('stop')]);
    const { jobId, placeholder } = await ask('talk for a long time');
    const deadline = Date.now() + 10_000;
    while (!(await shown(placeholder.id))?.includes('word') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await gateway.ingress.cancel(jobId, 'asker')).toBe(true);
    const result = await pipeline.waitForJob(jobId);
    expect(result.outcome).toBe('stopped');
    expect(await shown(placeholder.id)).toMatch(/stopped/);
  });

  it('an approval decided in the gateway releases the tool in the worker', async () => {
    pipeline.fakeOfox.reset();
    pipeline.fakeOfox.respond((request) => (toolResults(request).length > 0 ? reply('It is 9.') : [toolCall('calculator', { expression: '3*3' }), finish('tool-calls')]));
    const { jobId, placeholder } = await ask('what is 3*3?');
    const deadline = Date.now() + 10_000;
    while (platform.approvalPosts.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const approvalId = platform.approvalPosts[0]!.prompt.approvalId;
    expect(await gateway.ingress.decideApproval({ approvalId, userId: 'asker', isAdmin: false, decision: 'approve' })).toEqual({ status: 'accepted', toolName: 'calculator' });
    expect((await pipeline.waitForJob(jobId)).outcome).toBe('complete');
    expect(toolResults(pipeline.fakeOfox.requests[1]!)[0]?.content).toBe('3*3 = 9');
    expect(await shown(placeholder.id)).toMatch(/^It is 9\.\n\n✅ \*\*calculator\*\* `\{"expression":"3\*3"\}` — done in \d+ ms$/);
    expect(platform.approvalPosts[0]).toMatchObject({ outcome: 'approved', decidedBy: 'asker' });
  });

  it('doctor reports Cluster mode, its state and the node holding the bot’s slot', async () => {
    const report = await describeRedisTopology(pipeline.config);
    expect(report.mode).toBe('cluster');
    expect(report.healthy).toBe(true);
    expect(report.lines[1]).toBe('cluster state: ok, 3 masters (0 failing), 0 replicas');
    expect(report.lines[2]).toMatch(new RegExp(`^the bot's keys \\(\\{ofox-test-[0-9a-f]{8}\\}\\) live in slot \\d+, on 127\\.0\\.0\\.1:\\d+$`));
    expect(report.lines[3]).toBe('failover: not possible (that master has no replica)');
  });
});
