/** What evaluation needs to know of an instance; the SDK's and registry's instances have more. */
export interface Endpoint {
  readonly id: string;
  /** Relative weight, 0..10000; used by weighted_round_robin and trafficSplit. */
  readonly weight: number;
  readonly metadata: Readonly<Record<string, string>>;
}

/** What a caller tells about one request, so routes and consistent hashing can look at it. */
export interface RequestContext {
  /** Request headers; names compare case-insensitively. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  /** Metadata of the calling service (its version, team, zone, ...). */
  readonly callerMetadata?: Readonly<Record<string, string>>;
  /** The explicit key for `hashOn: "key"`. */
  readonly hashKey?: string;
}

/** Returns a number in [0, 1), like Math.random; pass a seeded one for reproducible choices. */
export type RandomSource = () => number;

/** Milliseconds on some monotonic clock; injected so tests control time. */
export type Clock = () => number;

/** Looks up how many requests are in flight to an instance (least_request, p2c). */
export type InFlightLookup = (instanceId: string) => number;
