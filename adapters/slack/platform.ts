import type { PlatformDescriptor } from '../../src/runtime/platform.ts';
import { RedisAnsweredThreads } from './answered-threads.ts';
import { slackConfigProblems, slackConfigShape, slackConfigured, SLACK_SECRET_KEYS } from './config.ts';
import { checkSlack } from './doctor.ts';
import { slackPlaceholderRequest } from './write-budgets.ts';
import { startSlackIngress } from './ingress.ts';
import { createSlackPorts } from './ports.ts';
import { RedisStreamStateStore } from './stream-state.ts';

/** Slack in the platform registry: a Bolt receiver (HTTP or Socket Mode) for events, Web API for writes. */
export const slackPlatform: PlatformDescriptor = {
  name: 'slack',
  configShape: slackConfigShape,
  secretKeys: SLACK_SECRET_KEYS,
  keyVariable: 'SLACK_BOT_TOKEN',
  roles: ['start', 'gateway', 'worker'],
  enabled: slackConfigured,
  configProblems: slackConfigProblems,
  // Several gateways and workers share these through Redis.
  startIngress: ({ config, ingress, log, redis }) =>
    startSlackIngress(config, ingress, log, { answeredThreads: new RedisAnsweredThreads(redis, { prefix: config.REDIS_KEY_PREFIX }) }),
  createPorts: ({ config, log, redis }) => createSlackPorts(config, log, { streamStates: new RedisStreamStateStore(redis, { prefix: config.REDIS_KEY_PREFIX }) }),
  doctorChecks: checkSlack,
  // The Slack adapter lists its own subcommands.
  chatHelpText: () => '',
  // chat.postMessage / chat.startStream: per channel, and the workspace's pool.
  placeholderRequest: (inbound) => slackPlaceholderRequest(inbound.workspaceId, inbound.channelId),
  commandHelp: [],
};
