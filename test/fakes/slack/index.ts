export { FakeSlack, type FakeSlackOptions, type RateLimitRule, type RecordedCall } from './server.ts';
export { SlackEventSender, signSlackRequest, type EventSenderOptions, type MessageInput, type SendOptions, type SendResult } from './events.ts';
export { FakeWorkspace, buttonsOf, notificationsIn, visibleText, type FakeFile, type FakeMessage, type FakeTask } from './state.ts';
