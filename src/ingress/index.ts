export * from './services.ts';
export * from './ingress-services.ts';
export * from './inbound.ts';
export * from './gate.ts';
