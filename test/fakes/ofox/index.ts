export * from './scenario.ts';
export { DEFAULT_FAKE_MODELS, TINY_PNG, refusedImage, startFakeOfox } from './server.ts';
export type { FakeModel, FakeOfox, FakeOfoxOptions, FakeProtocol, FakeRequest, ImageAnswer, Responder } from './server.ts';
