/**
 * Domain errors. The HTTP layer maps each to one status code in a single exception filter;
 * everything else that escapes is a bug or an unavailable dependency.
 */
export abstract class RegistryError extends Error {
  abstract readonly statusCode: number;
  constructor(
    message: string,
    readonly reasons: string[] = [message],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends RegistryError {
  readonly statusCode = 400;
  constructor(reasons: string[]) {
    super(reasons.length === 1 ? reasons[0] : `${reasons.length} problems: ${reasons.join('; ')}`, reasons);
  }
}

export class NotFoundError extends RegistryError {
  readonly statusCode = 404;
}

export class ConflictError extends RegistryError {
  readonly statusCode = 409;
}

/** Neither the store nor a degraded path can take the operation now. */
export class UnavailableError extends RegistryError {
  readonly statusCode = 503;
}

/** The store did not answer (down, no quorum, deadline passed): the caller may retry. */
export class StoreUnavailableError extends UnavailableError {
  constructor(operation: string, cause: unknown) {
    super(
      `the store is unavailable (${operation}: ${(cause as Error)?.message ?? String(cause)}); try again`,
      ['the store is unavailable; try again'],
    );
  }
}
