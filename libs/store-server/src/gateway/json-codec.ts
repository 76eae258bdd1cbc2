import type * as protobuf from 'protobufjs';
import { messageType } from '../proto/load';

/*
 * JSON as etcd's grpc-gateway speaks it: proto field names (camelCase accepted on input),
 * bytes as base64, 64-bit integers as strings, enums by name, zero values left out.
 */

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Renames camelCase keys to the proto's own names, recursively through message fields. */
function normalise(type: protobuf.Type, json: unknown): unknown {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return json;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    const field = type.fields[key] ?? type.fields[snake(key)];
    if (!field) continue;
    const resolved = field.resolve().resolvedType;
    const convert = (v: unknown) =>
      resolved && 'fields' in resolved ? normalise(resolved as protobuf.Type, v) : v;
    out[field.name] = Array.isArray(value) ? value.map(convert) : convert(value);
  }
  return out;
}

export function jsonToWire<T>(typeName: string, json: unknown): T {
  const type = messageType(typeName);
  const message = type.fromObject(normalise(type, json ?? {}) as Record<string, unknown>);
  return type.toObject(message, { longs: String, enums: String, defaults: true, oneofs: true }) as T;
}

export function wireToJson(typeName: string, wire: unknown): unknown {
  const type = messageType(typeName);
  const message = type.fromObject(wire as Record<string, unknown>);
  return type.toObject(message, { longs: String, enums: String, bytes: String, defaults: false });
}
