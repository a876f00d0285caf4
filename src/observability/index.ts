export * from './logger.ts';
export * from './metrics.ts';
export * from './health-server.ts';
