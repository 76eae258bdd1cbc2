export {
  Skyroad,
  DEFAULT_DISCOVERY_TIMEOUT_MS,
  type ConnectOptions,
  type PickOptions,
  type WatchSubscription,
  type InstancesListener,
} from './skyroad.ts';
export {
  Registration,
  DEFAULT_TTL_S,
  type RegisterOptions,
  type RegistrationStats,
} from './registration/registration.ts';
export {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_RETRY,
  type CallOptions,
  type CallBody,
} from './call/service-caller.ts';
export {
  SkyroadError,
  RegistryUnavailableError,
  RegistryRequestError,
  NoInstanceError,
  CircuitOpenError,
  RateLimitedError,
  ClientClosedError,
} from './errors.ts';
export type { Instance, PolicyRecord, SkyroadLogger } from './types.ts';
export { SseParser, type SseEvent } from './registry/sse-parser.ts';
export type { Policy } from '@skyroad/governance';
