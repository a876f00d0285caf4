import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatJobInput } from '../../src/queue/chat-job.ts';
import { describeRedisTopology } from '../../src/queue/redis-topology-report.ts';
import type { ChatAnswerResult } from '../../src/worker/processor.ts';
import { finish, text } from '../fakes/ofox/index.ts';
import { RecordingPlatform } from '../fakes/recording-platform.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';
import { startSentinelGroup, topologySkipReason, type TestSentinelGroup } from './support/redis-topologies.ts';

/**
 * A master, its replica and three sentinels: the master dies (SIGKILL) while an answer streams, the
 * sentinels promote the replica, every connection finds the new master, and the answer finishes
 * once — one model request, one message, the whole text.
 */

if (topologySkipReason) console.warn(`skipping the Redis Sentinel tests: ${topologySkipReason}`);

describe.skipIf(topologySkipReason !== undefined)('with Redis Sentinel', () => {
  let group: TestSentinelGroup;
  let pipeline: Pipeline;
  let platform: RecordingPlatform;

  beforeAll(async () => {
    group = await startSentinelGroup();
    platform = new RecordingPlatform();
    pipeline = await startPipeline({
      ports: [platform],
      env: { REDIS_SENTINELS: group.sentinelsEnv, REDIS_SENTINEL_NAME: group.name },
      // Longer than any failover here: the answer must survive on its own, not by a stalled-job rerun.
      workers: { lockDurationMs: 30_000 },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
    await group?.stop();
  });

  /** The job's end as any client sees it, polling through the outage (commands fail while there is no master). */
  async function settled(jobId: string, timeoutMs: number): Promise<{ state: string; result: ChatAnswerResult; attemptsMade: number }> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const job = await pipeline.core.producer.queue.getJob(jobId);
        const state = job ? await job.getState() : 'missing';
        if (job && (state === 'completed' || state === 'failed')) {
          const fresh = (await pipeline.core.producer.queue.getJob(jobId))!;
          return { state, result: fresh.returnvalue as ChatAnswerResult, attemptsMade: fresh.attemptsMade };
        }
      } catch {
        // no master yet: keep asking
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`job ${jobId} did not finish within ${timeoutMs} ms`);
  }

  it('doctor reports Sentinel mode with a replica ready to take over', async () => {
    const report = await describeRedisTopology(pipeline.config);
    expect(report).toEqual({
      mode: 'sentinel',
      healthy: true,
      lines: [
        `mode: Sentinel, master "${group.name}", sentinels ${group.sentinelsEnv.split(',').join(', ')}`,
        `master: 127.0.0.1:${group.master.port} (flags master)`,
        'replicas: 1 online of 1',
        'sentinels: 3 of 3 answer, quorum 2',
        'failover: ready (a replica can take over)',
      ],
    });
  });

  it('the master is killed mid-answer; after the failover the answer completes exactly once', async () => {
    const words = Array.from({ length: 90 }, (_, index) => `w${index}`).join(' ');
    pipeline.fakeOfox.enqueue([text(words, { tokensPerSecond: 10 }), finish('stop')]);
    const placeholder = await platform.postPlaceholder('failover-channel');
    const job: ChatJobInput = { v: 1, eventId: `failover-${Date.now()}`, platform: 'recording', workspaceId: 'team', channelId: 'failover-channel', userId: 'u', prompt: 'talk', placeholder, createdAt: Date.now() };
    const { jobId } = await pipeline.services.enqueue(job);

    const shown = async () => (await platform.messages()).find((message) => message.id === placeholder.id)?.text ?? '';
    const deadline = Date.now() + 10_000;
    while (!(await shown()).includes('w5') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await shown()).toContain('w5');
    group.master.kill('SIGKILL');

    const end = await settled(jobId, 45_000);
    expect(await group.currentMasterPort()).toBe(group.replica.port);
    expect(end.state).toBe('completed');
    expect(end.result.outcome).toBe('complete');
    expect(end.attemptsMade).toBe(1);
    expect(pipeline.fakeOfox.requests).toHaveLength(1);
    const messages = await platform.messages();
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toBe(words);

    // doctor now sees the promoted replica as master, and no replica left to fail over to.
    const report = await describeRedisTopology(pipeline.config);
    expect(report.lines.slice(1)).toEqual([
      `master: 127.0.0.1:${group.replica.port} (flags master)`,
      'replicas: 0 online of 1',
      'sentinels: 3 of 3 answer, quorum 2',
      'failover: not possible (no replica online)',
    ]);
  }, 60_000);
});
