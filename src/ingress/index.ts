export * from './services.ts';
export * from './ingress-services.ts';
export * from './inbound.ts';
export * from './gate.ts';
export * from './ingress-ports.ts';
export * from './ingress-pipeline.ts';
export * from './placeholder-pacer.ts';
export * from './job-types.ts';
