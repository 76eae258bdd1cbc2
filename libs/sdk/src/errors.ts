/** Base class of every error the SDK throws on purpose. */
export class SkyroadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No registry of the list answered (and no failover data could stand in). */
export class RegistryUnavailableError extends SkyroadError {
  constructor(
    readonly registries: readonly string[],
    cause?: unknown,
  ) {
    super(
      `no registry reachable (${registries.join(', ')})${cause instanceof Error ? `: ${cause.message}` : ''}`,
      { cause },
    );
  }
}

/** The registry refused a request (4xx); `reasons` are the registry's, one per problem. */
export class RegistryRequestError extends SkyroadError {
  constructor(
    readonly status: number,
    message: string,
    readonly reasons: readonly string[] = [],
  ) {
    super(`registry answered ${status}: ${message}${reasons.length ? ` (${reasons.join('; ')})` : ''}`);
  }
}

/** The service has no instance that the policy lets this request go to. */
export class NoInstanceError extends SkyroadError {
  constructor(
    readonly service: string,
    readonly reason: string,
  ) {
    super(`no instance of ${service}: ${reason}`);
  }
}

/** Every instance the request could go to has its circuit open. */
export class CircuitOpenError extends SkyroadError {
  constructor(
    readonly service: string,
    readonly instanceIds: readonly string[],
  ) {
    super(`circuit open for every candidate instance of ${service} (${instanceIds.join(', ')})`);
  }
}

/** The client-side rate limit of the service's policy refused the call. */
export class RateLimitedError extends SkyroadError {
  constructor(
    readonly service: string,
    readonly retryAfterMs: number,
  ) {
    super(`rate limit of ${service} reached; retry in ${retryAfterMs} ms`);
  }
}

/** The SDK client was closed. */
export class ClientClosedError extends SkyroadError {
  constructor() {
    super('the Skyroad client is closed');
  }
}
