export * from './logger.ts';
export * from './metrics.ts';
export * from './metrics-recorder.ts';
export * from './observe-llm.ts';
export * from './observe-platform.ts';
export * from './observe-answer.ts';
export * from './answer-summary.ts';
export * from './health-server.ts';
