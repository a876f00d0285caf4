/** Slack: the worker's ports and the gateway's ingress; `slackPlatform` is its registry entry. */
export { slackPlatform } from './platform.ts';
export { slackConfigShape, type SlackConfig } from './config.ts';
export { createSlackPorts, type SlackPorts, type SlackPortsOptions } from './ports.ts';
export { startSlackIngress, type SlackIngress, type SlackIngressConfig, type SlackIngressOptions } from './ingress.ts';
export { SlackSurface, DEFAULT_SLACK_LIMITS, type SlackSurfaceLimits } from './surface.ts';
export { StreamingSwitch } from './streaming.ts';
export { SlackConversationReader } from './context.ts';
export { SlackApprovals } from './approvals.ts';
export { MemoryAnsweredThreads, RedisAnsweredThreads, type AnsweredThreads } from './answered-threads.ts';
export { MemoryStreamStateStore, RedisStreamStateStore, type StreamState, type StreamStateStore } from './stream-state.ts';
export { createSlackWebClient, slackApiUrl } from './web-client.ts';
export { ACTION_IDS } from './blocks.ts';
export { markdownToMrkdwn, neutralizeMarkdown, neutralizeMentions } from './formatting.ts';
export { parseCommand, usageText } from './commands.ts';
