import {
  ConfChangeType,
  EntryType,
  ProposalDroppedError,
  decodeConfChange,
  type ConfChange,
  type Entry,
  type Message,
  type ReadState,
  type Snapshot,
} from '@skyroad/raft';
import {
  BackendQuota,
  type ApplyResponse,
  type ApplyResult,
  type InternalRequest as EngineRequest,
  type StoreEngine,
} from '@skyroad/store-engine';
import { AuthStore, type AuthState } from '../auth/auth-store';
import { AUTH_KEY, MEMBERS_KEY, readJson, writeJson, type Identity } from '../cluster/identity';
import { Membership, type MemberRecord } from '../cluster/membership';
import { EtcdError, Errors } from '../grpc/errors';
import type { Logger } from '../log/logger';
import type { StoreMetrics } from '../metrics/metrics';
import { ReadIndexBarrier } from '../node/read-index';
import { RaftNode, type ApplyTarget } from '../node/raft-node';
import { ProposalWaits } from '../node/wait';
import type { DurableLog } from '../node/durable-log';
import type { PeerTransport } from '../peer/transport';
import type { ResponseHeader } from '../wire/types';
import { errorFromWire, errorToWire, toEtcdError, type WireError } from './errors-map';
import { decodeJson, encodeJson } from '../wire/json-bytes';

/** How long a member removed from the cluster keeps serving before it stops (etcd: 10 ticks). */
const REMOVED_STOP_DELAY_MS = 1_000;

/** Extensions of the engine's log records that the server applies itself. */
export const AUTH_EXTENSION = 'auth';
export const MEMBERS_EXTENSION = 'members';
/** A new leader serves lease renewals only after this grace, so followers' clients reconnect first. */
export const LEASE_EXPIRY_CHECK_MS = 500;
export const PUBLISH_RETRY_MS = 500;

/** The context of a membership change entry: who is changing and who waits for it. */
interface ConfChangeContext {
  requestId: string;
  member: MemberRecord;
}

type MembersOp =
  | { op: 'publish'; id: number; name: string; clientUrls: string[] }
  | { op: 'update'; id: number; peerUrls: string[] }
  | { op: 'confChange'; type: ConfChangeType; member: MemberRecord };

export interface MemberOptions {
  identity: Identity;
  engine: StoreEngine;
  log: DurableLog;
  membership: Membership;
  bootstrapVoters: number[];
  bootstrapLearners: number[];
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  snapshotCount: number;
  name: string;
  clientUrls: string[];
  logger: Logger;
  metrics: StoreMetrics;
  onRemoved(): void;
  onFatal(error: Error): void;
}

/**
 * One cluster member's core: the Raft node, the engine it applies to, membership and auth
 * state, and the plumbing between client requests and the log (propose, wait for apply,
 * linearizable read barrier, forwarding to the leader).
 */
export class Member implements ApplyTarget {
  readonly id: number;
  readonly clusterId: string;
  readonly raft: RaftNode;
  readonly auth = new AuthStore();
  readonly membership: Membership;
  readonly engine: StoreEngine;
  private readonly waits = new ProposalWaits();
  private readonly reads: ReadIndexBarrier;
  private transport: PeerTransport | undefined;
  private requestSeq = 0;
  private readonly requestPrefix = Math.random().toString(36).slice(2, 8);
  private leaseTimer: NodeJS.Timeout | undefined;
  private publishTimer: NodeJS.Timeout | undefined;
  private removedTimer: NodeJS.Timeout | undefined;
  private published = false;
  private readonly log: Logger;

  constructor(private readonly options: MemberOptions) {
    this.id = options.identity.memberId;
    this.clusterId = options.identity.clusterId;
    this.engine = options.engine;
    this.membership = options.membership;
    this.log = options.logger;
    const savedAuth = readJson<AuthState>(this.engine.backend.bucket('ext'), AUTH_KEY);
    if (savedAuth) this.auth.restore(savedAuth);
    this.registerExtensions();
    this.raft = new RaftNode(
      {
        id: this.id,
        bootstrapVoters: options.bootstrapVoters,
        bootstrapLearners: options.bootstrapLearners,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        electionTimeoutMs: options.electionTimeoutMs,
        snapshotCount: options.snapshotCount,
        log: options.log,
        logger: options.logger,
        metrics: options.metrics,
      },
      this,
    );
    this.reads = new ReadIndexBarrier(
      (ctx) => this.raft.readIndex(ctx),
      () => this.raft.appliedIndex,
    );
  }

  async start(transport: PeerTransport): Promise<void> {
    this.transport = transport;
    transport.setPeers(this.membership.peerMap());
    await this.raft.start();
    this.publishTimer = setInterval(() => this.publish(), PUBLISH_RETRY_MS);
  }

  /**
   * This member was removed (it applied its removal, or a peer refused it as removed): it
   * stops after a delay, as etcd's stopWithDelay, so the MemberRemove answer (this member may
   * be the one the client asked) and the leader's last appends still go out first.
   */
  leaveCluster(): void {
    if (this.removedTimer) return;
    this.log.warn('this member was removed from the cluster; shutting down');
    this.removedTimer = setTimeout(() => this.options.onRemoved(), REMOVED_STOP_DELAY_MS);
  }

  stop(): void {
    clearTimeout(this.removedTimer);
    clearInterval(this.leaseTimer);
    clearInterval(this.publishTimer);
    this.raft.stop();
    this.reads.close();
    this.waits.failAll(Errors.stopped());
  }

  header(revision?: number): ResponseHeader {
    return {
      cluster_id: this.clusterId,
      member_id: this.id,
      revision: revision ?? this.engine.store.currentRevision,
      raft_term: this.raft.term,
    };
  }

  nextRequestId(): string {
    return `${this.requestPrefix}-${++this.requestSeq}`;
  }

  // ---- proposals ----

  /** Proposes an engine request and answers its applied response (or throws its refusal). */
  async propose(request: EngineRequest): Promise<ApplyResponse> {
    const id = this.nextRequestId();
    let data: Buffer;
    try {
      data = this.engine.prepareProposal({ ...request, id } as EngineRequest);
    } catch (error) {
      if ((error as Error).message === Errors.noSpace().message) this.raiseNoSpace();
      throw toEtcdError(error);
    }
    const result = await this.proposeData<ApplyResult>(id, data);
    if (result.error) throw toEtcdError(result.error);
    return result.response!;
  }

  private proposeData<T>(id: string, data: Uint8Array): Promise<T> {
    const waiting = this.waits.register<T>(id);
    try {
      this.raft.propose(data);
    } catch (error) {
      this.waits.fail(id, error instanceof ProposalDroppedError ? Errors.noLeader() : (error as Error));
    }
    this.options.metrics.proposalsPending.set(this.waits.size);
    return waiting;
  }

  private raiseNoSpace(): void {
    const request: EngineRequest = { kind: 'alarm', alarm: BackendQuota.alarmRequest(BigInt(this.id)) };
    this.propose(request).catch(() => undefined);
  }

  /** A server-applied record (auth, membership) through the log; answers the handler's result. */
  async proposeExtension(name: string, payload: unknown): Promise<unknown> {
    const response = await this.propose({
      kind: 'extension',
      extension: { name, payload: encodeJson(payload) },
    });
    const result = (response as { extension: { ok: boolean; value?: unknown; error?: WireError } }).extension;
    if (!result.ok) throw errorFromWire(result.error!);
    return result.value;
  }

  async proposeConfChange(type: ConfChangeType, member: MemberRecord): Promise<void> {
    const requestId = this.nextRequestId();
    const context: ConfChangeContext = { requestId, member };
    const cc: ConfChange = { changes: [{ type, nodeId: member.id }], context: encodeJson(context) };
    const waiting = this.waits.register<void>(requestId);
    try {
      this.raft.proposeConfChange(cc);
    } catch (error) {
      this.waits.fail(
        requestId,
        error instanceof ProposalDroppedError ? Errors.noLeader() : (error as Error),
      );
    }
    return waiting;
  }

  /** Resolves once a read issued now may be served locally (etcd's linearizable read). */
  linearizableBarrier(): Promise<void> {
    return this.reads.wait();
  }

  // ---- leader forwarding ----

  /** Runs `local` on the leader: here when we are it, otherwise over the peer link. */
  async onLeader<T>(method: string, body: unknown, local: () => T): Promise<T> {
    if (this.raft.isLeader) return local();
    const leader = this.raft.leader;
    if (leader === 0 || !this.transport) throw Errors.noLeader();
    const answer = (await this.transport.rpc(leader, method, body).catch(() => {
      throw Errors.leaderChanged();
    })) as { ok: boolean; value?: T; error?: WireError };
    if (!answer.ok) throw errorFromWire(answer.error!);
    return answer.value as T;
  }

  // ---- ApplyTarget ----

  async applyEntries(entries: Entry[]): Promise<void> {
    // A defragment or snapshot restore swaps the backend file; applying meanwhile would be
    // refused (BackendBusyError) and stop the member, so the loop waits for it instead.
    while (!this.canApplyNow) await this.engine.writable();
    this.applyEntriesNow(entries);
  }

  get canApplyNow(): boolean {
    return !this.engine.busy;
  }

  applyEntriesNow(entries: Entry[]): void {
    let batchStart = 0;
    for (let i = 0; i < entries.length; i++) {
      if (entries[i].type !== EntryType.ConfChange) continue;
      this.applyBatch(entries.slice(batchStart, i));
      this.applyConfChange(entries[i]);
      batchStart = i + 1;
    }
    this.applyBatch(batchStart === 0 ? entries : entries.slice(batchStart));
    this.reads.onApplied();
    this.options.metrics.proposalsPending.set(this.waits.size);
  }

  /** Applies entries that hold no membership change and answers the proposals among them. */
  private applyBatch(batch: Entry[]): void {
    if (batch.length === 0) return;
    const results = this.engine.applier.applyEntries(batch);
    for (const r of results) if (r?.requestId) this.waits.trigger(r.requestId, r);
  }

  /**
   * A membership change, checked when it was proposed. Raft sees every change in log order
   * (also when replaying after a restart); our membership record changes only the first time,
   * through the engine's applier, which skips entries it already applied.
   */
  private applyConfChange(entry: Entry): void {
    const cc = decodeConfChange(entry.data);
    const change = cc.changes[0];
    const context =
      cc.context && cc.context.length > 0 ? decodeJson<ConfChangeContext>(cc.context) : undefined;
    this.raft.applyConfChange(cc);
    if (change && context) {
      const op: MembersOp = { op: 'confChange', type: change.type, member: context.member };
      const recorded = this.engine.applier.applyRequest(entry.index, entry.term, {
        kind: 'extension',
        extension: { name: MEMBERS_EXTENSION, payload: encodeJson(op) },
      });
      // Raft's configuration changed regardless; a member list left behind it is a bug to see.
      if (recorded?.error)
        this.log.error({ err: recorded.error, index: entry.index }, 'membership change not recorded');
      this.transport?.setPeers(this.membership.peerMap());
      if (change.type === ConfChangeType.RemoveNode && change.nodeId === this.id) this.leaveCluster();
      this.waits.trigger(context.requestId, undefined);
    }
  }

  async restoreSnapshot(snapshot: Snapshot): Promise<void> {
    await this.engine.restoreSnapshot(snapshot.data);
    const ext = this.engine.backend.bucket('ext');
    const members = readJson<{ members: MemberRecord[]; removed: number[] }>(ext, MEMBERS_KEY);
    if (members) this.membership.restore(members);
    const auth = readJson<AuthState>(ext, AUTH_KEY);
    if (auth) this.auth.restore(auth);
    this.transport?.setPeers(this.membership.peerMap());
    this.log.info({ index: snapshot.metadata.index }, 'restored snapshot from leader');
  }

  snapshotData(): Promise<Uint8Array> {
    return this.engine.snapshot();
  }

  send(messages: Message[]): void {
    if (messages.length > 0) this.transport?.send(messages);
  }

  leaderChanged(lead: number, isLeader: boolean): void {
    clearInterval(this.leaseTimer);
    this.leaseTimer = undefined;
    if (isLeader) {
      // Leases get a fresh election timeout: their holders may have lost the old leader.
      this.engine.lessor.promote(this.options.electionTimeoutMs);
      this.leaseTimer = setInterval(() => this.expireLeases(), LEASE_EXPIRY_CHECK_MS);
    } else {
      this.engine.lessor.demote();
    }
    if (lead === 0) this.reads.failAll(Errors.noLeader());
  }

  readStates(states: ReadState[]): void {
    this.reads.onReadStates(states);
  }

  fatal(error: Error): void {
    this.options.onFatal(error);
  }

  // ---- leader duties ----

  private expireLeases(): void {
    if (!this.raft.isLeader) return;
    for (const id of this.engine.lessor.findExpired()) {
      this.propose({ kind: 'leaseRevoke', leaseRevoke: { id } }).catch((error: unknown) =>
        this.log.debug({ err: error, lease: id.toString(16) }, 'lease revoke failed; will retry'),
      );
    }
    const checkpoints = this.engine.lessor.dueCheckpoints();
    if (checkpoints.length > 0) {
      this.propose({ kind: 'leaseCheckpoint', leaseCheckpoint: { checkpoints } }).catch(() => undefined);
    }
  }

  /** Tells the cluster our name and client URLs (etcd's publish), once there is a leader. */
  private publish(): void {
    if (this.published || this.raft.leader === 0) return;
    this.published = true;
    const op: MembersOp = {
      op: 'publish',
      id: this.id,
      name: this.options.name,
      clientUrls: this.options.clientUrls,
    };
    this.proposeExtension(MEMBERS_EXTENSION, op).then(
      () => clearInterval(this.publishTimer),
      () => (this.published = false),
    );
  }

  // ---- extensions applied through the engine (persisted in its ext bucket) ----

  private registerExtensions(): void {
    const applier = this.engine.applier;
    applier.registerExtension(AUTH_EXTENSION, (payload, { bucket }) => {
      const { method, req } = decodeJson<{ method: string; req: Record<string, unknown> }>(payload);
      try {
        const value = this.auth.apply(method, req);
        writeJson(bucket, AUTH_KEY, this.auth.snapshot());
        return { ok: true, value };
      } catch (error) {
        if (error instanceof EtcdError) return { ok: false, error: errorToWire(error) };
        throw error;
      }
    });
    applier.registerExtension(MEMBERS_EXTENSION, (payload, { bucket }) => {
      const op = decodeJson<MembersOp>(payload);
      if (op.op === 'publish') this.membership.publish(op.id, op.name, op.clientUrls);
      else if (op.op === 'update') {
        if (!this.membership.has(op.id)) return { ok: false, error: errorToWire(Errors.memberNotFound()) };
        this.membership.updatePeerUrls(op.id, op.peerUrls);
        this.transport?.updatePeer(op.id, op.peerUrls);
      } else if (op.type === ConfChangeType.RemoveNode) this.membership.remove(op.member.id);
      else if (this.membership.has(op.member.id)) this.membership.promote(op.member.id);
      else this.membership.add(op.member);
      writeJson(bucket, MEMBERS_KEY, this.membership.state());
      return { ok: true };
    });
  }

  /** Answers a forwarded call from a peer. */
  async answerPeer(method: string, run: () => Promise<unknown> | unknown): Promise<unknown> {
    try {
      return { ok: true, value: await run() };
    } catch (error) {
      this.log.debug({ err: error, method }, 'forwarded call failed');
      return { ok: false, error: errorToWire(error) };
    }
  }
}
