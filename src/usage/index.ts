export * from './types.ts';
export * from './usage-store.ts';
