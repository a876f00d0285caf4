export { FeedbackStore, DEFAULTS as FEEDBACK_DEFAULTS, type AnsweredRecord, type FeedbackEvent, type FeedbackReader, type FeedbackTotalsRow, type FeedbackVotes, type Vote, type VoteInput, type VoteResult } from './feedback-store.ts';
export { feedbackSummary } from './feedback-summary.ts';
