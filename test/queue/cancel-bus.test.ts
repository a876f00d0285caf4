import { afterAll, describe, expect, it } from 'vitest';
import { CancelListener, requestCancel } from '../../src/queue/cancel-bus.ts';
import { createRedisConnection } from '../../src/queue/redis-connection.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

const prefix = newTestPrefix('cancel');
const client = createRedisConnection(testRedisUrl(), 'client');
const gateway = createRedisConnection(testRedisUrl(), 'client');

afterAll(async () => {
  client.disconnect();
  gateway.disconnect();
  await deleteKeys(prefix);
});

async function until(predicate: () => boolean) {
  const deadline = Date.now() + 5_000;
  while (!predicate() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('stop requests across processes', () => {
  it('reach the job in whichever process runs it', async () => {
    const listener = new CancelListener({ subscriber: createRedisConnection(testRedisUrl(), 'subscriber'), client, prefix });
    const watched = await listener.watch('job-a');
    const other = await listener.watch('job-b');
    await requestCancel(gateway, prefix, 'job-a');
    await until(() => watched.signal.aborted);
    expect(watched.signal.aborted).toBe(true);
    expect(other.signal.aborted).toBe(false);
    await listener.close();
  });

  it('stop a job that was stopped before it started', async () => {
    const listener = new CancelListener({ subscriber: createRedisConnection(testRedisUrl(), 'subscriber'), client, prefix });
    await requestCancel(gateway, prefix, 'job-early');
    expect((await listener.watch('job-early')).signal.aborted).toBe(true);
    await listener.close();
  });

  it('are not lost when the subscriber reconnects: the flag is checked again', async () => {
    const subscriber = createRedisConnection(testRedisUrl(), 'subscriber');
    const listener = new CancelListener({ subscriber, client, prefix });
    const watched = await listener.watch('job-reconnect');
    // The message went out while the subscription was down: only the flag remains.
    await gateway.set(`${prefix}:cancel:job-reconnect`, '1', 'EX', 60);
    subscriber.emit('ready');
    await until(() => watched.signal.aborted);
    expect(watched.signal.aborted).toBe(true);
    await listener.close();
  });
});
