/** Injection tokens for providers typed by interfaces or plain values. */
export const REGISTRY_CONFIG = Symbol('REGISTRY_CONFIG');
export const REGISTRY_STORE = Symbol('REGISTRY_STORE');
