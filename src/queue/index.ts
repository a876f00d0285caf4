export * from './chat-job.ts';
export * from './queue-names.ts';
export * from './redis-connection.ts';
export * from './redis-topology.ts';
export * from './redis-topology-report.ts';
export * from './event-claims.ts';
export * from './producer.ts';
export * from './cancel-bus.ts';
