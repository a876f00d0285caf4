export * from './services.ts';
export * from './ingress-services.ts';
