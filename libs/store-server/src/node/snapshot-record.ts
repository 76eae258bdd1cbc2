import type { Message, Snapshot, SnapshotMetadata } from '@skyroad/raft';

/*
 * The two shapes a Raft snapshot takes here (etcd's design). The one that compacts the log,
 * kept in MemoryStorage and in the snap files, is metadata only: the backend on disk is the
 * state. The one sent to a follower that needs it is "merged": the whole backend at the
 * leader's applied index, with the metadata of that index (etcd's createMergedSnapshotMessage).
 */

const NO_DATA = new Uint8Array(0);

/** The snapshot without its data: what the log and its records keep. */
export function withoutData(snapshot: Snapshot): Snapshot {
  return snapshot.data.byteLength === 0 ? snapshot : { metadata: snapshot.metadata, data: NO_DATA };
}

/**
 * Raft's MsgSnap with its snapshot replaced by the state at `metadata.index`, which may be past
 * the index Raft asked for: the follower answers with its new last index and the leader's
 * progress for it moves on from there.
 */
export function mergedSnapshotMessage(m: Message, metadata: SnapshotMetadata, data: Uint8Array): Message {
  return { ...m, snapshot: { metadata, data } };
}
