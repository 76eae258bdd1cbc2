import type { Bytes } from '../bytes';
import type { Event } from '../mvcc/types';

export enum WatchFilterType {
  /** Leave out put events. */
  NOPUT = 0,
  /** Leave out delete events. */
  NODELETE = 1,
}

/** etcd's WatchCreateRequest. */
export interface WatchCreateRequest {
  key: Bytes;
  rangeEnd?: Bytes;
  /** First revision to deliver; 0 or absent: changes after the current revision. */
  startRevision?: number;
  progressNotify?: boolean;
  filters?: WatchFilterType[];
  prevKv?: boolean;
  /** Chosen by the client; 0 or absent: the stream picks one. */
  watchId?: number;
  /** Split responses larger than the stream's fragment size (the client reassembles them). */
  fragment?: boolean;
}

/** etcd's WatchResponse, minus the header fields the server adds (cluster, member, term). */
export interface WatchResponse {
  watchId: number;
  /** Every event up to this revision has been delivered to this watcher. */
  revision: number;
  events: Event[];
  created?: boolean;
  canceled?: boolean;
  /** Set when a watcher was cancelled because its start revision has been compacted. */
  compactRevision?: number;
  cancelReason?: string;
  /** More fragments of this response follow. */
  fragment?: boolean;
}

/** The watch id of a progress notification for the whole stream (clientv3's InvalidWatchID). */
export const STREAM_PROGRESS_WATCH_ID = -1;
