import { ConfChangeType } from '@skyroad/raft';
import { AlarmAction, executeTxn, isTxnReadOnly, type ApplyResponse } from '@skyroad/store-engine';
import { hashPassword } from '../auth/passwords';
import { memberIdFor } from '../cluster/ids';
import { Membership } from '../cluster/membership';
import { Errors } from '../grpc/errors';
import { ETCD_API_VERSION } from '../grpc/maintenance-service';
import type {
  Alarm,
  AuthView,
  Caller,
  LeaseGrant,
  LeaseTtl,
  StatusInfo,
  StoreApi,
  WireWatchStream,
} from '../grpc/store-api';
import type * as wire from '../wire/types';
import * as convert from './engine-convert';
import { toEtcdError } from './errors-map';
import { AUTH_EXTENSION, MEMBERS_EXTENSION, type Member } from './member';
import { messageType } from '../proto/load';

/** How long MoveLeader waits for the transferee to take over. */
export const MOVE_LEADER_TIMEOUT_MS = 5_000;
const MOVE_LEADER_POLL_MS = 50;
/** etcd's readyPercent: how much of the leader's log a learner must hold to be promoted. */
const LEARNER_READY_FRACTION = 0.9;

/** etcd serves a read-only txn without a read barrier only when all its ranges are serializable. */
function txnSerializable(req: wire.TxnRequest): boolean {
  const ops = [...(req.success ?? []), ...(req.failure ?? [])];
  return (
    ops.length > 0 &&
    ops.every((op) =>
      op.request_range
        ? op.request_range.serializable
        : op.request_txn
          ? txnSerializable(op.request_txn)
          : true,
    )
  );
}

function engineCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toEtcdError(error);
  }
}

/**
 * What a PutRequest's encoding adds to its key and value at most: two tags with 5-byte
 * lengths, an int64 lease (11 bytes) and three bools (2 bytes each) make 29.
 */
const PUT_FIELDS_MAX_BYTES = 64;

/** The etcd v3 API of one member, over its Raft node and engine (see StoreApi). */
export class EtcdApi implements StoreApi {
  constructor(
    private readonly member: Member,
    readonly maxRequestBytes: number,
    private readonly clusterToken: string,
  ) {}

  header(revision?: number): wire.ResponseHeader {
    return this.member.header(revision);
  }

  currentRevision(): number {
    return this.member.engine.store.currentRevision;
  }

  /** etcd refuses a request whose encoding is larger than --max-request-bytes. */
  private checkSize(typeName: string, req: unknown): void {
    const type = messageType(typeName);
    if (type.encode(type.fromObject(req as Record<string, unknown>)).len > this.maxRequestBytes) {
      throw Errors.requestTooLarge();
    }
  }

  // ---- KV ----

  async range(req: wire.RangeRequest): Promise<wire.RangeResponse> {
    if (!req.serializable) await this.member.linearizableBarrier();
    const response = engineCall(() => this.member.engine.range(convert.rangeIn(req)));
    return { header: this.header(response.header.revision), ...convert.rangeOut(response) };
  }

  async put(req: wire.PutRequest): Promise<wire.PutResponse> {
    // The exact size takes an encoding (~30 µs a put); only a put whose key and value come
    // close to the limit can be over it.
    const payload = (req.key?.length ?? 0) + (req.value?.length ?? 0);
    if (payload + PUT_FIELDS_MAX_BYTES > this.maxRequestBytes) this.checkSize('etcdserverpb.PutRequest', req);
    const r = (await this.member.propose({ kind: 'put', put: convert.putIn(req) })) as Extract<
      ApplyResponse,
      { kind: 'put' }
    >;
    return { header: this.header(r.put.header.revision), ...convert.putOut(r.put) };
  }

  async deleteRange(req: wire.DeleteRangeRequest): Promise<wire.DeleteRangeResponse> {
    const r = (await this.member.propose({
      kind: 'deleteRange',
      deleteRange: convert.deleteIn(req),
    })) as Extract<ApplyResponse, { kind: 'deleteRange' }>;
    return { header: this.header(r.deleteRange.header.revision), ...convert.deleteOut(r.deleteRange) };
  }

  async txn(req: wire.TxnRequest): Promise<wire.TxnResponse> {
    this.checkSize('etcdserverpb.TxnRequest', req);
    const txn = convert.txnIn(req);
    if (isTxnReadOnly(txn)) return this.readOnlyTxn(req, txn);
    const r = (await this.member.propose({ kind: 'txn', txn })) as Extract<ApplyResponse, { kind: 'txn' }>;
    return convert.txnOut(r.txn, this.header(r.txn.header.revision));
  }

  /**
   * A transaction that only reads is served like a range, as etcd does: after the read
   * barrier (unless every range in it is serializable), from this member's state, without
   * going through the log.
   */
  private async readOnlyTxn(
    req: wire.TxnRequest,
    txn: ReturnType<typeof convert.txnIn>,
  ): Promise<wire.TxnResponse> {
    if (!txnSerializable(req)) await this.member.linearizableBarrier();
    const store = this.member.engine.store;
    const view = {
      range: store.range.bind(store),
      get revision() {
        return store.currentRevision;
      },
      get compactRevision() {
        return store.compactRevision;
      },
    };
    // A write transaction that is never ended changes nothing: it only gives reads a revision.
    const response = engineCall(() => executeTxn(store.beginWrite(), view, txn, this.member.engine.lessor));
    return convert.txnOut(response, this.header(response.header.revision));
  }

  async compact(req: wire.CompactionRequest): Promise<wire.ResponseHeader> {
    const r = (await this.member.propose({
      kind: 'compaction',
      compaction: { revision: Number(req.revision), physical: req.physical },
    })) as Extract<ApplyResponse, { kind: 'compaction' }>;
    return this.header(r.compaction.header.revision);
  }

  // ---- Watch ----

  openWatchStream(): WireWatchStream {
    const stream = this.member.engine.watchHub.newStream();
    return {
      create: (req) => engineCall(() => stream.watch(convert.watchCreateIn(req))),
      cancel: (id) => stream.cancel(id),
      progress: () => {
        stream.requestProgressAll();
      },
      next: async () => {
        const r = await stream.next();
        return r && convert.watchOut(r, this.header(r.revision));
      },
      close: () => stream.close(),
    };
  }

  // ---- Lease ----

  async leaseGrant(ttlSeconds: number, id: string): Promise<LeaseGrant> {
    const leaseId = BigInt(id) !== 0n ? BigInt(id) : this.member.engine.lessor.generateId();
    const r = (await this.member.propose({
      kind: 'leaseGrant',
      leaseGrant: { id: leaseId, ttl: ttlSeconds },
    })) as Extract<ApplyResponse, { kind: 'leaseGrant' }>;
    return { ID: r.leaseGrant.id.toString(), TTL: r.leaseGrant.ttl };
  }

  async leaseRevoke(id: string): Promise<void> {
    await this.member.propose({ kind: 'leaseRevoke', leaseRevoke: { id: BigInt(id) } });
  }

  leaseRenew(id: string): Promise<number> {
    return this.member.onLeader('leaseRenew', { id }, () =>
      engineCall(() => this.member.engine.lessor.renew(BigInt(id))),
    );
  }

  async leaseTimeToLive(id: string, withKeys: boolean): Promise<LeaseTtl> {
    const r = await this.member.onLeader('leaseTimeToLive', { id, keys: withKeys }, () =>
      this.localTimeToLive(id, withKeys),
    );
    return { ...r, keys: r.keys.map((k) => Buffer.from(k, 'base64')) };
  }

  /** The leader's view of a lease; keys as base64 so the answer can cross the peer wire. */
  localTimeToLive(
    id: string,
    withKeys: boolean,
  ): { ID: string; TTL: number; grantedTTL: number; keys: string[] } {
    const t = engineCall(() => this.member.engine.lessor.timeToLive(BigInt(id), withKeys));
    return {
      ID: t.id.toString(),
      TTL: t.ttl,
      grantedTTL: t.grantedTtl,
      keys: t.keys.map((k) => k.toString('base64')),
    };
  }

  async leaseLeases(): Promise<string[]> {
    return this.member.engine.lessor.leases().map((id) => id.toString());
  }

  // ---- Cluster ----

  async memberList(linearizable: boolean): Promise<wire.Member[]> {
    if (linearizable) await this.member.linearizableBarrier();
    return this.member.membership.list().map(Membership.toWire);
  }

  async memberAdd(
    peerUrls: string[],
    isLearner: boolean,
  ): Promise<{ member: wire.Member; members: wire.Member[] }> {
    const membership = this.member.membership;
    if (peerUrls.some((u) => membership.byPeerUrl(u))) throw Errors.peerURLExist();
    if (!isLearner && !membership.readyToAddVoter()) throw Errors.notEnoughStartedMembers();
    const record = {
      id: memberIdFor(peerUrls, this.clusterToken, Date.now()),
      name: '',
      peerUrls,
      clientUrls: [],
      isLearner,
    };
    await this.member.proposeConfChange(
      isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode,
      record,
    );
    return { member: Membership.toWire(record), members: membership.list().map(Membership.toWire) };
  }

  async memberRemove(id: number): Promise<wire.Member[]> {
    const record = this.member.membership.get(id);
    if (!record) throw Errors.memberNotFound();
    if (!record.isLearner && !this.member.membership.readyToRemoveVoter(id))
      throw Errors.notEnoughStartedMembers();
    await this.member.proposeConfChange(ConfChangeType.RemoveNode, record);
    return this.member.membership.list().map(Membership.toWire);
  }

  async memberUpdate(id: number, peerUrls: string[]): Promise<wire.Member[]> {
    if (!this.member.membership.has(id)) throw Errors.memberNotFound();
    await this.member.proposeExtension(MEMBERS_EXTENSION, { op: 'update', id, peerUrls });
    return this.member.membership.list().map(Membership.toWire);
  }

  async memberPromote(id: number): Promise<wire.Member[]> {
    const record = this.member.membership.get(id);
    if (!record) throw Errors.memberNotFound();
    if (!record.isLearner) throw Errors.memberNotLearner();
    // Only the leader knows how far the learner has replicated (etcd asks it too).
    const ready = await this.member.onLeader('learnerReady', { id }, () => this.localLearnerReady(id));
    if (!ready) throw Errors.learnerNotReady();
    await this.member.proposeConfChange(ConfChangeType.AddNode, { ...record, isLearner: false });
    return this.member.membership.list().map(Membership.toWire);
  }

  /**
   * etcd's isLearnerReady, on the leader: a learner may become a voter once it has replicated
   * at least 90 % of the leader's log, so promoting it cannot stall commits while it catches up.
   * A learner the leader has no progress for (just added) is judged by the same rule at match 0.
   */
  localLearnerReady(id: number): boolean {
    if (!this.member.raft.isLeader) throw Errors.notLeader();
    const status = this.member.raft.status();
    const leaderMatch = status.progress.get(status.id)?.match ?? status.lastIndex;
    const learnerMatch = status.progress.get(id)?.match ?? 0;
    return learnerMatch >= leaderMatch * LEARNER_READY_FRACTION;
  }

  // ---- Maintenance ----

  async status(): Promise<StatusInfo> {
    const raft = this.member.raft;
    const size = this.member.engine.backend.sizeBytes();
    const alarms = this.member.engine.alarms
      .list()
      .map((a) => `memberID:${a.memberId} alarm:${convert.ALARM_NAMES[a.alarm]} `);
    return {
      version: ETCD_API_VERSION,
      dbSize: size,
      dbSizeInUse: size,
      leader: raft.leader,
      raftIndex: raft.commitIndex,
      raftTerm: raft.term,
      raftAppliedIndex: raft.appliedIndex,
      errors: alarms,
      isLearner: this.member.membership.get(this.member.id)?.isLearner ?? false,
    };
  }

  async alarms(
    action: 'GET' | 'ACTIVATE' | 'DEACTIVATE',
    memberId: number,
    alarm: Alarm['alarm'],
  ): Promise<Alarm[]> {
    if (action === 'GET') return this.member.engine.alarms.list().map(convert.alarmOut);
    const r = (await this.member.propose({
      kind: 'alarm',
      alarm: { action: AlarmAction[action], memberId: BigInt(memberId), alarm: convert.alarmIn(alarm) },
    })) as Extract<ApplyResponse, { kind: 'alarm' }>;
    return r.alarm.alarms.map(convert.alarmOut);
  }

  async defragment(): Promise<void> {
    await this.member.engine.defragment();
  }

  async hash(): Promise<number> {
    return engineCall(() => this.member.engine.store.hash(0).hash);
  }

  async hashKV(revision: number): Promise<{ hash: number; compactRevision: number; hashRevision: number }> {
    const h = engineCall(() => this.member.engine.store.hash(revision));
    return { hash: h.hash, compactRevision: h.compactRevision, hashRevision: h.revision };
  }

  async snapshot(): Promise<{ revision: number; data: Buffer }> {
    const revision = this.currentRevision();
    return { revision, data: await this.member.engine.snapshot() };
  }

  async moveLeader(targetId: number): Promise<void> {
    const raft = this.member.raft;
    if (!raft.isLeader) throw Errors.notLeader();
    const target = this.member.membership.get(targetId);
    if (!target || target.isLearner) throw Errors.badLeaderTransferee();
    if (targetId === this.member.id) return;
    raft.transferLeader(targetId);
    const deadline = Date.now() + MOVE_LEADER_TIMEOUT_MS;
    while (raft.leader !== targetId) {
      if (Date.now() > deadline) throw Errors.timeoutLeaderTransfer();
      await new Promise((resolve) => setTimeout(resolve, MOVE_LEADER_POLL_MS));
    }
  }

  // ---- Auth ----

  async authOp(op: string, req: Record<string, unknown>): Promise<Record<string, unknown>> {
    const auth = this.member.auth;
    if (op === 'AuthStatus') return { enabled: auth.enabled, authRevision: auth.revision };
    let payload = req;
    if (op === 'Authenticate') {
      const token = auth.prepareAuthenticate(String(req.name ?? ''), String(req.password ?? ''));
      payload = { name: req.name, token };
    } else if (op === 'UserAdd' || op === 'UserChangePassword') {
      const noPassword = !!(req.options as { no_password?: boolean } | undefined)?.no_password;
      if (op === 'UserAdd' && !String(req.name ?? '')) throw Errors.userEmpty();
      payload = {
        ...req,
        password: '',
        hashedPassword: noPassword ? '' : hashPassword(String(req.password ?? '')),
      };
    }
    return (await this.member.proposeExtension(AUTH_EXTENSION, { method: op, req: payload })) as Record<
      string,
      unknown
    >;
  }

  authView(): AuthView {
    return { enabled: this.member.auth.enabled, revision: this.member.auth.revision };
  }

  checkToken(token: string): Caller | undefined {
    return this.member.auth.checkToken(token);
  }

  checkPermission(caller: Caller, write: boolean, key: Buffer, rangeEnd: Buffer): void {
    this.member.auth.checkPermission(caller, write, key, rangeEnd);
  }

  isAdmin(caller: Caller): boolean {
    return this.member.auth.isAdmin(caller);
  }
}
