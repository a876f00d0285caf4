export { ApprovalBroker, summarizeToolInput, type ApprovalBrokerOptions, type ApprovalRecord } from './approval-broker.ts';
export * from './approval-types.ts';
