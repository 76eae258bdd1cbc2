import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';

/*
 * The .proto files live in the package's proto/ folder (not copied into dist), found from
 * here by walking up, so the same code works from src/ under jest and from dist/ when built.
 */
const RPC_PROTO = 'etcdserverpb/rpc.proto';

export function protoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, RPC_PROTO))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find proto/${RPC_PROTO} above ${__dirname}`);
    dir = parent;
  }
}

/**
 * How messages look to our handlers: proto field names as written (snake_case), 64-bit
 * integers as decimal strings, bytes as Buffers, enums as names, oneofs named.
 */
export const WIRE_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

let grpcObject: grpc.GrpcObject | undefined;
let root: protobuf.Root | undefined;

export function etcdGrpc(): grpc.GrpcObject {
  if (!grpcObject) {
    const definition = protoLoader.loadSync(RPC_PROTO, { ...WIRE_OPTIONS, includeDirs: [protoRoot()] });
    grpcObject = grpc.loadPackageDefinition(definition);
  }
  return grpcObject;
}

/** The same definitions through protobufjs, for the JSON gateway and for encoding proposals. */
export function etcdProtoRoot(): protobuf.Root {
  if (!root) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin, target) =>
      join(protoRoot(), target.replace(/^.*?(etcdserverpb|mvccpb|authpb)\//, '$1/'));
    r.loadSync(RPC_PROTO, { keepCase: true });
    r.resolveAll();
    root = r;
  }
  return root;
}

export function messageType(name: string): protobuf.Type {
  return etcdProtoRoot().lookupType(name);
}

export function serviceDefinition(name: string): grpc.ServiceDefinition {
  const pkg = etcdGrpc().etcdserverpb as grpc.GrpcObject;
  return (pkg[name] as grpc.ServiceClientConstructor).service;
}
