/** Every deliberate limit of the registry, with its unit in its name. */

/** A request body larger than this is refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const MIN_TTL_SECONDS = 1;
export const MAX_TTL_SECONDS = 3600;
export const DEFAULT_TTL_SECONDS = 10;

export const MIN_WEIGHT = 0;
export const MAX_WEIGHT = 10_000;
export const DEFAULT_WEIGHT = 100;

export const MIN_PORT = 1;
export const MAX_PORT = 65_535;

export const MAX_METADATA_KEYS = 64;
/** Size of the metadata object serialized as JSON. */
export const MAX_METADATA_BYTES = 4 * 1024;
export const MAX_HOST_CHARS = 253;

/** Events kept in memory so that a watch can resume from `?revision=` without a snapshot. */
export const WATCH_BACKLOG_MAX_EVENTS = 10_000;
/** SSE comment sent on idle streams so proxies and clients see the connection alive. */
export const WATCH_KEEPALIVE_INTERVAL_MS = 15_000;

/** Deadline of one unary call to the store. */
export const STORE_CALL_TIMEOUT_MS = 5_000;
/** How long a read waits for the cache to catch up with this node's own last write. */
export const READ_YOUR_WRITES_WAIT_MS = 2_000;
/** Attempts of an optimistic (compare-and-swap) write before answering 409. */
export const MAX_CAS_ATTEMPTS = 5;

/** How long graceful shutdown waits for in-flight work before the process exits anyway. */
export const SHUTDOWN_GRACE_MS = 15_000;

/** How long the registry keeps trying to reach its store at start before giving up. */
export const STORE_STARTUP_TIMEOUT_MS = 30_000;

/** Rows of the audit table one GET /v1/audit answers at most, and by default. */
export const MAX_AUDIT_PAGE_ROWS = 1_000;
export const DEFAULT_AUDIT_PAGE_ROWS = 100;

/** How long a graceful stop lets requests in flight finish before dropping their connections. */
export const SHUTDOWN_DRAIN_MS = 5_000;

/**
 * Bytes a watch stream may have queued for a client that does not read. Past it the stream
 * ends (the client resumes with Last-Event-ID), so a slow client cannot grow the heap.
 */
export const WATCH_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
