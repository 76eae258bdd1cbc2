/** Injection tokens for providers typed by interfaces or plain values. */
export const REGISTRY_CONFIG = Symbol('REGISTRY_CONFIG');
export const REGISTRY_STORE = Symbol('REGISTRY_STORE');
/** The Redis L2 cache, or undefined when --redis-url is not given. */
export const L2_CACHE = Symbol('L2_CACHE');
/** The standby failover switch, or undefined when --standby-store-endpoints is not given. */
export const FAILOVER_SWITCH = Symbol('FAILOVER_SWITCH');
