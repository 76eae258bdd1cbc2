import type { Etcd3, IKeyValue, IRequestOp, ITxnRequest } from 'etcd3';
import type {
  Compare,
  KeyOp,
  KeyValue,
  OpResult,
  Operation,
  Outcome,
  Request,
  Response,
} from '../history/types';

/*
 * Runs requests against one member and records each as an Operation: call time, return time,
 * response or error. Errors the store returns only for requests it refused without applying
 * them are "failed"; anything else (timeouts, lost connections, leader changes) is "unknown".
 */

const DEFINITE_FAILURES = [
  'database space exceeded',
  'requested lease not found',
  'lease not found',
  'required revision has been compacted',
  'duplicate key',
  'request is too large',
  'too many operations',
  'key is not provided',
  // gRPC never had a connection to send the request on.
  'no connection established',
];

export function classifyError(error: unknown): { outcome: Outcome; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  const definite = DEFINITE_FAILURES.some((m) => message.toLowerCase().includes(m));
  return { outcome: definite ? 'failed' : 'unknown', message };
}

export class HistoryRecorder {
  readonly operations: Operation[] = [];
  private nextId = 1;
  private readonly startedAt = performance.now();

  now(): number {
    return Math.round((performance.now() - this.startedAt) * 1000) / 1000;
  }

  async run(client: number, etcd: Etcd3, request: Request, timeoutMs: number): Promise<Operation> {
    const op: Operation = {
      id: this.nextId++,
      client,
      callMs: this.now(),
      returnMs: Infinity,
      request,
      outcome: 'unknown',
    };
    this.operations.push(op);
    try {
      const response = await execute(etcd, request, Date.now() + timeoutMs);
      op.returnMs = this.now();
      op.outcome = 'ok';
      op.response = response;
    } catch (error) {
      const { outcome, message } = classifyError(error);
      op.outcome = outcome;
      op.error = message;
      op.returnMs = outcome === 'failed' ? this.now() : Infinity;
    }
    return op;
  }
}

export function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString(),
    value: kv.value.toString(),
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
    version: Number(kv.version),
    lease: String(kv.lease ?? '0'),
  };
}

function requestOp(op: KeyOp): IRequestOp {
  if (op.type === 'get') return { request_range: { key: Buffer.from(op.key) } };
  if (op.type === 'put')
    return {
      request_put: {
        key: Buffer.from(op.key),
        value: Buffer.from(op.value),
        ...(op.lease ? { lease: op.lease } : {}),
      },
    };
  return { request_delete_range: { key: Buffer.from(op.key) } };
}

function compare(c: Compare): NonNullable<ITxnRequest['compare']>[number] {
  if (c.target === 'value')
    return { key: Buffer.from(c.key), target: 'Value', result: 'Equal', value: Buffer.from(c.value) };
  return { key: Buffer.from(c.key), target: 'Mod', result: 'Equal', mod_revision: String(c.modRevision) };
}

async function execute(etcd: Etcd3, request: Request, deadline: number): Promise<Response> {
  const options = { deadline };
  if (request.kind === 'list') {
    const end = Buffer.from(request.prefix);
    end[end.length - 1]++;
    const r = await etcd.kv.range(
      { key: Buffer.from(request.prefix), range_end: end, serializable: request.serializable },
      options,
    );
    return { kind: 'list', revision: Number(r.header.revision), kvs: r.kvs.map(toKeyValue) };
  }
  if (request.kind === 'leaseGrant') {
    const r = await etcd.leaseClient.leaseGrant({ TTL: request.ttlSeconds }, options);
    return { kind: 'leaseGrant', revision: Number(r.header.revision), lease: String(r.ID) };
  }
  if (request.kind === 'leaseRevoke') {
    const r = await etcd.leaseClient.leaseRevoke({ ID: request.lease }, options);
    return { kind: 'leaseRevoke', revision: Number(r.header.revision) };
  }
  // One-op requests use their own RPCs (the store serves them on different paths than Txn).
  if (request.compares.length === 0 && request.success.length === 1 && request.failure.length === 0) {
    const op = request.success[0];
    if (op.type === 'get') {
      const r = await etcd.kv.range(
        { key: Buffer.from(op.key), serializable: request.serializable },
        options,
      );
      return {
        kind: 'txn',
        revision: Number(r.header.revision),
        succeeded: true,
        results: [{ type: 'get', kv: r.kvs[0] ? toKeyValue(r.kvs[0]) : null }],
      };
    }
    if (op.type === 'put') {
      const r = await etcd.kv.put(
        { key: Buffer.from(op.key), value: Buffer.from(op.value), ...(op.lease ? { lease: op.lease } : {}) },
        options,
      );
      return {
        kind: 'txn',
        revision: Number(r.header.revision),
        succeeded: true,
        results: [{ type: 'put' }],
      };
    }
    const r = await etcd.kv.deleteRange({ key: Buffer.from(op.key) }, options);
    return {
      kind: 'txn',
      revision: Number(r.header.revision),
      succeeded: true,
      results: [{ type: 'delete', deleted: Number(r.deleted) }],
    };
  }
  const r = await etcd.kv.txn(
    {
      compare: request.compares.map(compare),
      success: request.success.map(requestOp),
      failure: request.failure.map(requestOp),
    },
    options,
  );
  const branch = r.succeeded ? request.success : request.failure;
  const results: OpResult[] = branch.map((op, i) => {
    const resp = r.responses[i] as unknown as Record<
      string,
      { kvs?: IKeyValue[]; deleted?: string } | undefined
    >;
    if (op.type === 'get') {
      const kvs = resp.response_range?.kvs ?? [];
      return { type: 'get', kv: kvs[0] ? toKeyValue(kvs[0]) : null };
    }
    if (op.type === 'put') return { type: 'put' };
    return { type: 'delete', deleted: Number(resp.response_delete_range?.deleted ?? 0) };
  });
  return { kind: 'txn', revision: Number(r.header.revision), succeeded: r.succeeded, results };
}
