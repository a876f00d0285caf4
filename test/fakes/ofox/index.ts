export * from './scenario.ts';
export { DEFAULT_FAKE_MODELS, startFakeOfox } from './server.ts';
export type { FakeModel, FakeOfox, FakeOfoxOptions, FakeProtocol, FakeRequest, Responder } from './server.ts';
