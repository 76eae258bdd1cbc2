/*
 * JSON for records that hold binary fields (membership and auth records in the log, conf
 * change contexts): Buffers travel as {"$b": base64}.
 */

function toJsonValue(value: unknown): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array)
    return { $b: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonValue(v);
    return out;
  }
  return value;
}

function fromJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (typeof obj.$b === 'string' && Object.keys(obj).length === 1) return Buffer.from(obj.$b, 'base64');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = fromJsonValue(v);
    return out;
  }
  return value;
}

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(toJsonValue(value)));
}

export function decodeJson<T>(bytes: Uint8Array): T {
  return fromJsonValue(JSON.parse(Buffer.from(bytes).toString('utf8'))) as T;
}
