/*
 * Wing–Gong–Lowe linearizability search, as porcupine implements it: walk the call/return
 * events in time order, try to linearize a pending call now, backtrack when a return is
 * reached whose call was not linearized yet, and memoise (linearized set, model state) so no
 * configuration is explored twice.
 *
 * The model is nondeterministic (an operation with an unknown outcome may or may not have
 * taken effect), so the search state is a set of model states, as in etcd's robustness
 * suite: a step maps every state of the set to its possible successors and fails when none
 * is left.
 */

export interface Model<S, O> {
  /** Successor states of `state` when `op` takes effect now; empty when it cannot. */
  step(state: S, op: O): S[];
  /** A canonical string of a state, for deduplication and memoisation. */
  key(state: S): string;
}

export interface TimedOp<O> {
  op: O;
  callMs: number;
  /** Infinity when the outcome is unknown. */
  returnMs: number;
}

export type LinearizabilityResult = 'ok' | 'illegal' | 'timeout';

interface Node {
  opIndex: number;
  isCall: boolean;
  time: number;
  prev: Node | undefined;
  next: Node | undefined;
  match: Node | undefined;
}

/** Default search budget (steps); beyond it the result is 'timeout', never a false verdict. */
export const DEFAULT_MAX_STEPS = 2_000_000;

export function checkLinearizable<S, O>(
  model: Model<S, O>,
  initial: S,
  ops: readonly TimedOp<O>[],
  maxSteps = DEFAULT_MAX_STEPS,
): LinearizabilityResult {
  if (ops.length === 0) return 'ok';
  // Events sorted by time; at equal times calls first, so touching operations count as concurrent.
  const events: Node[] = [];
  ops.forEach((o, i) => {
    const call: Node = {
      opIndex: i,
      isCall: true,
      time: o.callMs,
      prev: undefined,
      next: undefined,
      match: undefined,
    };
    const ret: Node = {
      opIndex: i,
      isCall: false,
      time: o.returnMs,
      prev: undefined,
      next: undefined,
      match: undefined,
    };
    call.match = ret;
    events.push(call, ret);
  });
  events.sort(
    (a, b) =>
      compareTime(a.time, b.time) || (a.isCall === b.isCall ? a.opIndex - b.opIndex : a.isCall ? -1 : 1),
  );
  const head: Node = {
    opIndex: -1,
    isCall: false,
    time: -Infinity,
    prev: undefined,
    next: undefined,
    match: undefined,
  };
  let last = head;
  for (const e of events) {
    last.next = e;
    e.prev = last;
    last = e;
  }

  const lift = (call: Node): void => {
    call.prev!.next = call.next;
    if (call.next) call.next.prev = call.prev;
    const ret = call.match!;
    ret.prev!.next = ret.next;
    if (ret.next) ret.next.prev = ret.prev;
  };
  const unlift = (call: Node): void => {
    const ret = call.match!;
    ret.prev!.next = ret;
    if (ret.next) ret.next.prev = ret;
    call.prev!.next = call;
    if (call.next) call.next.prev = call;
  };

  const linearized = new Uint8Array(ops.length);
  const linearizedKey = (): string => Buffer.from(linearized).toString('base64');
  const stateKey = (states: S[]): string => states.map((s) => model.key(s)).join('\n');
  const cache = new Set<string>();
  const stack: Array<{ call: Node; states: S[] }> = [];
  let states: S[] = [initial];
  let entry: Node | undefined = head.next;
  let steps = 0;

  while (head.next !== undefined) {
    if (++steps > maxSteps) return 'timeout';
    if (entry === undefined) return 'illegal';
    if (entry.isCall) {
      const next = successors(model, states, ops[entry.opIndex].op);
      let moved = false;
      if (next.length > 0) {
        linearized[entry.opIndex] = 1;
        const memo = `${linearizedKey()}|${stateKey(next)}`;
        if (!cache.has(memo)) {
          cache.add(memo);
          stack.push({ call: entry, states });
          states = next;
          lift(entry);
          entry = head.next;
          moved = true;
        } else {
          linearized[entry.opIndex] = 0;
        }
      }
      if (!moved) entry = entry.next;
    } else {
      // A return whose call is still pending: undo the last choice.
      const top = stack.pop();
      if (top === undefined) return 'illegal';
      states = top.states;
      linearized[top.call.opIndex] = 0;
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return 'ok';
}

function successors<S, O>(model: Model<S, O>, states: S[], op: O): S[] {
  const seen = new Map<string, S>();
  for (const s of states) for (const n of model.step(s, op)) seen.set(model.key(n), n);
  return [...seen.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, s]) => s);
}

/** Works for Infinity too (Infinity - Infinity is NaN). */
function compareTime(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}
