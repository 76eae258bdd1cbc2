import { Entry, HardState, Message, Snapshot } from './raftpb';
import { SoftState } from './raft';
import { ReadState } from './read-only';

/**
 * One batch of work for the application, to be handled in this order:
 *
 * 1. Send `messages` now (in parallel with step 2 if you like): they are a leader's
 *    MsgApp/MsgHeartbeat/MsgSnap and proposals or read requests forwarded to the leader,
 *    which never depend on this node's own disk.
 * 2. Persist, atomically enough that a crash leaves a prefix: `snapshot` (if any), then
 *    `entries` (replacing any stored entries at the same indexes and after), then `hardState`.
 *    fsync when `mustSync`.
 * 3. Only then send `messagesAfterPersist` (votes, acknowledgements, answers):
 *    they promise that what step 2 wrote is durable.
 * 4. Apply `snapshot` and then `committedEntries` to the state machine, in order; call
 *    RawNode.applyConfChange for every ConfChange entry. Serve `readStates` once applied
 *    reaches their index.
 * 5. Call RawNode.advance(ready). Only then may ready() be called again.
 *
 * Sending every message after step 2 is always correct, only slower.
 */
export interface Ready {
  /** Present when leader or role changed since the last Ready. */
  softState?: SoftState;
  /** Present when term, vote or commit changed since the last Ready. */
  hardState?: HardState;
  readStates: ReadState[];
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  messagesAfterPersist: Message[];
  /** Whether step 2 must fsync (new entries, or a new term or vote). */
  mustSync: boolean;
}
