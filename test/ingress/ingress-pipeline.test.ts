import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIngressPipeline, createIngressServices, type GateDecision, type Inbound, type IngressPorts, type IngressServices, type MessageRef, type PlaceholderOutcome } from '../../src/ingress/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { ChatProducer, jobIdFor } from '../../src/queue/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

/**
 * The ingress sequence once, for every platform: real Redis claims and a real BullMQ producer
 * behind the core's services; the platform's side is a set of in-memory ports that record calls.
 */

let redis: Redis;
let producer: ChatProducer;
let prefix: string;
let services: IngressServices;

beforeEach(() => {
  prefix = newTestPrefix('ingress-pipeline');
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 2 });
  producer = new ChatProducer({ connection: new Redis(testRedisUrl(), { maxRetriesPerRequest: null }), prefix });
  services = servicesWith({});
});

afterEach(async () => {
  await producer.close();
  redis.disconnect();
  await deleteKeys(prefix);
});

function servicesWith(extra: Partial<Pick<IngressServices, 'gate' | 'placeholderPacer' | 'enqueue'>>): IngressServices {
  const base = createIngressServices({
    redis,
    prefix,
    producer,
    runCommand: async () => ({ text: '', ephemeral: true }),
    decideApproval: async () => ({ status: 'accepted', toolName: 'none' }),
    log: silentLogger(),
    ...(extra.gate ? { gate: extra.gate } : {}),
    ...(extra.placeholderPacer ? { placeholderPacer: extra.placeholderPacer } : {}),
  });
  return extra.enqueue ? { ...base, enqueue: extra.enqueue } : base;
}

function inbound(overrides: Partial<Inbound> = {}): Inbound {
  return {
    platform: 'chat',
    eventId: `event-${Math.random().toString(36).slice(2)}`,
    workspaceId: 'W1',
    channelId: 'C1',
    threadId: 'T1',
    messageId: 'M1',
    user: { id: 'U1', name: 'alice', groups: [], isAdmin: false },
    isDirect: false,
    prompt: 'what is a monad?',
    attachments: [{ kind: 'text', name: 'notes.md', url: 'https://files.example/notes.md' }],
    trigger: 'mention',
    ...overrides,
  };
}

/** In-memory ports recording every call, in order. */
class RecordingPorts implements IngressPorts {
  readonly calls: string[] = [];
  readonly notices: string[] = [];
  readonly failures: Array<MessageRef | undefined> = [];
  readonly discarded: MessageRef[] = [];
  private posted = 0;
  placeholderResult: () => Promise<PlaceholderOutcome> = async () => ({ id: `P${++this.posted}`, channelId: 'C1' });
  readonly placeholder: NonNullable<IngressPorts['placeholder']>;

  constructor(options: { placeholder?: boolean } = {}) {
    this.placeholder = {
      channelKey: (received) => `chat:${received.channelId}`,
      post: async (_received, jobId) => {
        this.calls.push(`placeholder ${jobId}`);
        return this.placeholderResult();
      },
      discard: async (ref) => {
        this.calls.push('discard');
        this.discarded.push(ref);
      },
    };
    if (options.placeholder === false) Object.defineProperty(this, 'placeholder', { value: undefined });
  }

  async acknowledge(_received: Inbound, placeholderComing: boolean): Promise<void> {
    this.calls.push(`acknowledge ${placeholderComing ? 'with' : 'without'} placeholder`);
  }

  async showFailure(_received: Inbound, placeholder: MessageRef | undefined): Promise<void> {
    this.calls.push('failure');
    this.failures.push(placeholder);
  }

  async notifyPrivately(_received: Inbound, text: string): Promise<void> {
    this.calls.push('notice');
    this.notices.push(text);
  }
}

async function queuedJobs(): Promise<number> {
  const counts = await producer.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

describe('the ingress pipeline', () => {
  it('turns one request into one job built from the Inbound, with the placeholder it posted', async () => {
    const ports = new RecordingPorts();
    const request = inbound();
    const outcome = await createIngressPipeline({ services, now: () => 1_700_000_000_000 }).accept(request, ports);

    const jobId = jobIdFor('chat', request.eventId);
    expect(outcome).toEqual({ status: 'queued', jobId, placeholder: { id: 'P1', channelId: 'C1' } });
    expect(ports.calls).toEqual(['acknowledge with placeholder', `placeholder ${jobId}`]);
    expect(await producer.getJobData(jobId)).toEqual({
      v: 1,
      eventId: request.eventId,
      platform: 'chat',
      workspaceId: 'W1',
      channelId: 'C1',
      threadId: 'T1',
      messageId: 'M1',
      userId: 'U1',
      userName: 'alice',
      prompt: 'what is a monad?',
      attachments: [{ kind: 'text', name: 'notes.md', url: 'https://files.example/notes.md' }],
      placeholder: { id: 'P1', channelId: 'C1' },
      continuations: [],
      private: false,
      fromCommand: false,
      createdAt: 1_700_000_000_000,
    });
  });

  it('a redelivered event makes one job, one placeholder and one acknowledgment', async () => {
    const request = inbound();
    const first = new RecordingPorts();
    const second = new RecordingPorts();
    // Two gateways receive the same event at once.
    const outcomes = await Promise.all([createIngressPipeline({ services }).accept(request, first), createIngressPipeline({ services }).accept(request, second)]);

    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['duplicate', 'queued']);
    expect(await queuedJobs()).toBe(1);
    expect(first.calls.length + second.calls.length).toBe(2);
  });

  it('a gate refusal sends exactly one private notice, posts nothing and enqueues nothing', async () => {
    const checked: string[] = [];
    const gate = {
      async check(received: Inbound): Promise<GateDecision> {
        checked.push(received.user.id);
        return { allowed: false, reason: 'budget', notice: 'You have used this month’s budget.' };
      },
    };
    const ports = new RecordingPorts();
    const outcome = await createIngressPipeline({ services: servicesWith({ gate }) }).accept(inbound(), ports);

    expect(outcome).toEqual({ status: 'refused', reason: 'budget' });
    expect(checked).toEqual(['U1']);
    expect(ports.calls).toEqual(['notice']);
    expect(ports.notices).toEqual(['You have used this month’s budget.']);
    expect(await queuedJobs()).toBe(0);
  });

  it('a refusal without a notice (already explained) says nothing at all', async () => {
    const gate = { check: async (): Promise<GateDecision> => ({ allowed: false, reason: 'rate' }) };
    const ports = new RecordingPorts();
    expect(await createIngressPipeline({ services: servicesWith({ gate }) }).accept(inbound(), ports)).toEqual({ status: 'refused', reason: 'rate' });
    expect(ports.calls).toEqual([]);
  });

  it('an enqueue failure replaces the placeholder with the failure', async () => {
    const enqueue = async (): Promise<never> => {
      throw new Error('redis is down');
    };
    const ports = new RecordingPorts();
    const request = inbound();
    const outcome = await createIngressPipeline({ services: servicesWith({ enqueue }) }).accept(request, ports);

    expect(outcome).toEqual({ status: 'failed', jobId: jobIdFor('chat', request.eventId) });
    expect(ports.failures).toEqual([{ id: 'P1', channelId: 'C1' }]);
    expect(ports.calls.at(-1)).toBe('failure');
  });

  it('without a placeholder, the failure is shown as a new message', async () => {
    const enqueue = async (): Promise<never> => {
      throw new Error('redis is down');
    };
    const ports = new RecordingPorts({ placeholder: false });
    const outcome = await createIngressPipeline({ services: servicesWith({ enqueue }) }).accept(inbound(), ports);

    expect(outcome.status).toBe('failed');
    expect(ports.calls).toEqual(['acknowledge without placeholder', 'failure']);
    expect(ports.failures).toEqual([undefined]);
  });

  it('when the pacer has no room, no placeholder is posted but the request is acknowledged and queued', async () => {
    const asked: string[] = [];
    const placeholderPacer = {
      async mayPostNow(_received: Inbound, channelKey: string): Promise<boolean> {
        asked.push(channelKey);
        return false;
      },
    };
    const ports = new RecordingPorts();
    const request = inbound();
    const outcome = await createIngressPipeline({ services: servicesWith({ placeholderPacer }) }).accept(request, ports);

    const jobId = jobIdFor('chat', request.eventId);
    expect(outcome).toEqual({ status: 'queued', jobId });
    expect(asked).toEqual(['chat:C1']);
    expect(ports.calls).toEqual(['acknowledge without placeholder']);
    expect((await producer.getJobData(jobId))?.placeholder).toBeUndefined();
  });

  it('a placeholder that spends no channel budget is posted without asking the pacer', async () => {
    const placeholderPacer = { mayPostNow: async (): Promise<boolean> => false };
    const ports = new RecordingPorts();
    const placeholder = { ...ports.placeholder, channelKey: () => undefined };
    const outcome = await createIngressPipeline({ services: servicesWith({ placeholderPacer }) }).accept(inbound(), { ...ports, acknowledge: ports.acknowledge.bind(ports), showFailure: ports.showFailure.bind(ports), notifyPrivately: ports.notifyPrivately.bind(ports), placeholder });
    expect(outcome.status).toBe('queued');
    expect(ports.calls).toEqual(['acknowledge with placeholder', expect.stringMatching(/^placeholder /)]);
  });

  it('a job queued before (the claim had expired) keeps its placeholder; the extra one is discarded', async () => {
    const request = inbound();
    await createIngressPipeline({ services }).accept(request, new RecordingPorts());
    await redis.del(`${prefix}:event:chat:${request.eventId}`);

    const again = new RecordingPorts();
    again.placeholderResult = async () => ({ id: 'P-extra', channelId: 'C1' });
    const outcome = await createIngressPipeline({ services }).accept(request, again);

    expect(outcome).toEqual({ status: 'duplicate', jobId: jobIdFor('chat', request.eventId) });
    expect(again.discarded).toEqual([{ id: 'P-extra', channelId: 'C1' }]);
    expect(await queuedJobs()).toBe(1);
    expect((await producer.getJobData(jobIdFor('chat', request.eventId)))?.placeholder).toEqual({ id: 'P1', channelId: 'C1' });
  });

  it('a platform that forbids the placeholder drops the request without a job', async () => {
    const ports = new RecordingPorts();
    ports.placeholderResult = async () => 'forbidden';
    expect(await createIngressPipeline({ services }).accept(inbound(), ports)).toEqual({ status: 'forbidden' });
    expect(await queuedJobs()).toBe(0);
    expect(ports.failures).toEqual([]);
  });

  it('a failed optional placeholder still queues the job; a failed required one fails the request', async () => {
    const optional = new RecordingPorts();
    optional.placeholderResult = async () => {
      throw new Error('timeout');
    };
    const request = inbound();
    expect(await createIngressPipeline({ services }).accept(request, optional)).toEqual({ status: 'queued', jobId: jobIdFor('chat', request.eventId) });

    const required = new RecordingPorts();
    required.placeholderResult = async () => {
      throw new Error('interaction expired');
    };
    const ports: IngressPorts = { showFailure: required.showFailure.bind(required), notifyPrivately: required.notifyPrivately.bind(required), placeholder: { ...required.placeholder, required: true } };
    expect((await createIngressPipeline({ services }).accept(inbound(), ports)).status).toBe('failed');
    expect(required.failures).toEqual([undefined]);
    expect(await queuedJobs()).toBe(1);
  });

  it('a failing step before enqueue shows the failure in the placeholder and enqueues nothing', async () => {
    const ports = new RecordingPorts();
    const outcome = await createIngressPipeline({ services }).accept(inbound(), {
      placeholder: ports.placeholder,
      showFailure: ports.showFailure.bind(ports),
      notifyPrivately: ports.notifyPrivately.bind(ports),
      beforeEnqueue: async () => {
        throw new Error('token store unavailable');
      },
    });
    expect(outcome.status).toBe('failed');
    expect(ports.failures).toEqual([{ id: 'P1', channelId: 'C1' }]);
    expect(await queuedJobs()).toBe(0);
  });
});

describe('queue state questions', () => {
  it('a job is running until it finishes; an unknown job is unknown', async () => {
    const request = inbound();
    await createIngressPipeline({ services }).accept(request, new RecordingPorts());
    const jobId = jobIdFor('chat', request.eventId);
    expect(await producer.stateOf(jobId)).toBe('running');
    expect(await producer.isFinished(jobId)).toBe(false);
    expect(await producer.stateOf('chat-nothing')).toBe('unknown');
    expect(await services.cancel(jobId, 'U1')).toBe(true);
    expect(await services.cancel('chat-nothing', 'U1')).toBe(false);
  });
});
