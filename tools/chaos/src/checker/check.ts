import type { History, Operation, Violation } from '../history/types';
import { buildEventLog, type EventLog } from '../watch/event-log';
import { validateLogAgainstHistory, validateWatch } from '../watch/validators';
import { etcdModel, keysOf, type ModelOp, type PartitionState } from './etcd-model';
import { checkLinearizable, DEFAULT_MAX_STEPS, type TimedOp } from './linearizability';
import { patchHistory } from './patch';
import { checkRevisions } from './revisions';

export interface CheckOptions {
  /** First revision written after the cluster started (the witness watch starts here). */
  firstRevision: number;
  /** Revision of a read made after traffic stopped: the log must reach it to drop unseen writes. */
  lastRevision: number;
  maxSteps?: number;
}

export interface CheckReport {
  operations: number;
  partitions: number;
  /** Partitions whose search ran out of budget (neither verdict). */
  inconclusive: number;
  violations: Violation[];
  log: EventLog;
}

/** Splits operations into groups of keys no operation crosses (union-find over the keys of each operation). */
export function partitionByKey(operations: readonly Operation[]): Operation[][] {
  const leaseKeys = new Map<string, Set<string>>();
  for (const op of operations) {
    if (op.request.kind !== 'txn') continue;
    for (const o of [...op.request.success, ...op.request.failure]) {
      if (o.type === 'put' && o.lease && o.lease !== '0') {
        const set = leaseKeys.get(o.lease) ?? new Set<string>();
        set.add(o.key);
        leaseKeys.set(o.lease, set);
      }
    }
  }
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let root = k;
    while (parent.get(root) !== undefined && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(k, root);
    return root;
  };
  const keyed = operations.map((op) => ({ op, keys: keysOf(op, leaseKeys) }));
  for (const { keys } of keyed) {
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    for (let i = 1; i < keys.length; i++) parent.set(find(keys[i]), find(keys[0]));
  }
  const groups = new Map<string, Operation[]>();
  for (const { op, keys } of keyed) {
    if (keys.length === 0) continue;
    const root = find(keys[0]);
    const list = groups.get(root) ?? [];
    list.push(op);
    groups.set(root, list);
  }
  return [...groups.values()];
}

function toTimed(op: Operation): TimedOp<ModelOp> {
  return {
    op: { request: op.request, response: op.outcome === 'ok' || op.response ? op.response : undefined },
    callMs: op.callMs,
    returnMs: op.outcome === 'ok' ? op.returnMs : Infinity,
  };
}

/** Every check over one recorded history. */
export function checkHistory(history: History, options: CheckOptions): CheckReport {
  const violations: Violation[] = [];
  const log = buildEventLog(history.watches, options.firstRevision, violations);
  if (log.completeTo < options.lastRevision) {
    const missing: number[] = [];
    for (let r = log.completeTo + 1; r <= options.lastRevision && missing.length < 5; r++)
      if (!log.byRevision.has(r)) missing.push(r);
    violations.push({
      checker: 'watch-reliable',
      message: `no watch delivered revision(s) ${missing.join(', ')} (store at revision ${options.lastRevision})`,
    });
  }
  for (const watch of history.watches) violations.push(...validateWatch(watch, log));
  violations.push(...validateLogAgainstHistory(log, history.operations));
  violations.push(...checkRevisions(history.operations, log));

  const patched = patchHistory(history.operations, log, options.lastRevision);
  const partitions = partitionByKey(patched);
  let inconclusive = 0;
  for (const ops of partitions) {
    const initial: PartitionState = new Map();
    const result = checkLinearizable(
      etcdModel,
      initial,
      ops.map(toTimed),
      options.maxSteps ?? DEFAULT_MAX_STEPS,
    );
    if (result === 'timeout') inconclusive++;
    if (result === 'illegal') {
      const keys = [
        ...new Set(ops.flatMap((o) => (o.request.kind === 'txn' ? o.request.success.map((x) => x.key) : []))),
      ];
      violations.push({
        checker: 'linearizable',
        message: `no linearization of ${ops.length} operations on ${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', ...' : ''}: ${describeOps(ops)}`,
      });
    }
  }
  return {
    operations: history.operations.length,
    partitions: partitions.length,
    inconclusive,
    violations,
    log,
  };
}

const DESCRIBED_OPS_MAX = 12;

export function describeOp(op: Operation): string {
  const r = op.request;
  let what: string;
  if (r.kind === 'txn') {
    const ops = (list: typeof r.success): string =>
      list.map((o) => (o.type === 'put' ? `put ${o.key}=${o.value}` : `${o.type} ${o.key}`)).join(' ');
    const cmp = r.compares.map((c) =>
      c.target === 'value' ? `${c.key}==${c.value}` : `mod(${c.key})==${c.modRevision}`,
    );
    what = cmp.length
      ? `if ${cmp.join(' && ')} then ${ops(r.success)} else ${ops(r.failure)}`
      : ops(r.success);
    if (r.serializable) what += ' (serializable)';
  } else what = `${r.kind} ${JSON.stringify(r).slice(0, 60)}`;
  let result = op.outcome;
  if (op.response?.kind === 'txn') {
    const reads = op.response.results
      .map((x) => (x.type === 'get' ? (x.kv ? `${x.kv.value}@${x.kv.modRevision}` : 'absent') : ''))
      .filter(Boolean);
    result =
      `${op.outcome} rev ${op.response.revision}${reads.length ? ` -> ${reads.join(' ')}` : ''}` as typeof result;
  }
  const end = Number.isFinite(op.returnMs) && op.outcome === 'ok' ? op.returnMs : 'inf';
  return `#${op.id} [${op.callMs}..${end}] ${what}: ${result}`;
}

function describeOps(ops: Operation[]): string {
  const shown = ops.slice(0, DESCRIBED_OPS_MAX).map(describeOp).join('; ');
  return ops.length > DESCRIBED_OPS_MAX ? `${shown}; ...` : shown;
}
