/*
 * The data the Raft core exchanges with the world, after etcd's raftpb: log entries, hard
 * state, snapshots, membership, and messages. Plain objects (no classes) so that they can be
 * encoded by the WAL and the peer transport and compared in tests.
 *
 * Node ids are non-zero 64-bit unsigned integers in etcd; here they are `bigint` where they
 * cross a wire (member ids) but the core works with `NodeId = number` (safe up to 2^53), which
 * the server maps to and from etcd's 64-bit member ids.
 */

export type NodeId = number;

/** No node: "no vote", "no leader". */
export const NONE: NodeId = 0;

export enum EntryType {
  Normal = 0,
  ConfChange = 1,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque to Raft; empty for the no-op entry a new leader appends. */
  data: Uint8Array;
}

/** What must be on disk before a node answers any message that depends on it. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  /** The outgoing voters while a joint configuration is in force (empty otherwise). */
  votersOutgoing: NodeId[];
  /** Learners that become voters when the joint configuration is left. */
  learnersNext: NodeId[];
  autoLeave: boolean;
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  /** The application's state machine at `metadata.index`, opaque to Raft. */
  data: Uint8Array;
}

export enum ConfChangeType {
  AddNode = 0,
  RemoveNode = 1,
  AddLearnerNode = 3,
}

export interface ConfChangeSingle {
  type: ConfChangeType;
  nodeId: NodeId;
}

/** A membership change: one change is applied simply, several through joint consensus. */
export interface ConfChange {
  changes: ConfChangeSingle[];
  /** Opaque application context carried with the change (e.g. the new member's peer URLs). */
  context?: Uint8Array;
}

export enum MessageType {
  Hup = 'MsgHup',
  Beat = 'MsgBeat',
  Prop = 'MsgProp',
  App = 'MsgApp',
  AppResp = 'MsgAppResp',
  Vote = 'MsgVote',
  VoteResp = 'MsgVoteResp',
  PreVote = 'MsgPreVote',
  PreVoteResp = 'MsgPreVoteResp',
  Snap = 'MsgSnap',
  Heartbeat = 'MsgHeartbeat',
  HeartbeatResp = 'MsgHeartbeatResp',
  Unreachable = 'MsgUnreachable',
  SnapStatus = 'MsgSnapStatus',
  CheckQuorum = 'MsgCheckQuorum',
  TransferLeader = 'MsgTransferLeader',
  TimeoutNow = 'MsgTimeoutNow',
  ReadIndex = 'MsgReadIndex',
  ReadIndexResp = 'MsgReadIndexResp',
}

export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** Term of the entry at `index` (the entry preceding `entries` in MsgApp). */
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  rejectHint: number;
  /** ReadIndex request context, and the campaign type of a vote caused by leader transfer. */
  context?: Uint8Array;
}

/**
 * The bytes of a ConfChange entry. Raft itself must read membership changes from its log (to
 * refuse a second pending change and to leave a joint configuration), so unlike normal entries
 * their encoding is fixed here: UTF-8 JSON, with the context as base64.
 */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const wire = {
    changes: cc.changes.map((c) => ({ type: c.type, nodeId: c.nodeId })),
    context: cc.context === undefined ? undefined : Buffer.from(cc.context).toString('base64'),
  };
  return new Uint8Array(Buffer.from(JSON.stringify(wire), 'utf8'));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const wire = JSON.parse(Buffer.from(data).toString('utf8')) as {
    changes: ConfChangeSingle[];
    context?: string;
  };
  return {
    changes: wire.changes.map((c) => ({ type: c.type, nodeId: c.nodeId })),
    context: wire.context === undefined ? undefined : new Uint8Array(Buffer.from(wire.context, 'base64')),
  };
}
