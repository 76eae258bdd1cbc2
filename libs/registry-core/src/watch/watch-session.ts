import type { KeySpaceCache } from '../cache/key-space-cache';
import type { Instance } from '../instances/instance';
import type { InstanceRegistry } from '../instances/instance-registry';
import { parseKey } from '../keys';
import type { PolicyRecord } from '../policy/policy-record';
import { decodePolicy } from '../policy/policy-record';
import type { PolicyService } from '../policy/policy-service';
import type { KeyEvent } from '../store/registry-store';

/** One message of a watch stream (docs/registry-api.md, "Watch"); `id` is its store revision. */
export type WatchMessage =
  | {
      event: 'snapshot';
      id: number;
      data: { revision: number; instances: Instance[]; policy: PolicyRecord | null };
    }
  | { event: 'instance'; id: number; data: { revision: number; type: 'PUT' | 'DELETE'; instance: Instance } }
  | { event: 'policy'; id: number; data: { revision: number; policy: PolicyRecord | null } };

export interface WatchSink {
  send(message: WatchMessage): void;
  /** Ends the stream; the client resumes with Last-Event-ID (a snapshot when history is gone). */
  end(): void;
}

/**
 * One client's watch of one service: a snapshot (or the changes after `fromRevision`, when
 * the cache's backlog still has them), then every change, in store revision order. The
 * snapshot and the subscription are taken in the same synchronous step, so no change can
 * fall between them.
 */
export class WatchSession {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly cache: KeySpaceCache,
    private readonly instances: InstanceRegistry,
    private readonly policies: PolicyService,
    readonly namespace: string,
    readonly service: string,
  ) {}

  /** Sends the first messages and subscribes; answers whether the client got a snapshot. */
  open(sink: WatchSink, fromRevision?: number): { snapshot: boolean } {
    const replay = fromRevision !== undefined ? this.cache.eventsAfter(fromRevision) : undefined;
    if (replay) {
      for (const event of replay) this.forward(event, sink);
    } else {
      const { revision, instances } = this.instances.snapshot(this.namespace, this.service);
      const policy = this.policies.current(this.namespace, this.service);
      sink.send({ event: 'snapshot', id: revision, data: { revision, instances, policy } });
    }
    this.unsubscribe = this.cache.subscribe({
      // A re-list (compaction, store switch) arrives here as ordinary changes: streams go on.
      onEvents: (events) => {
        for (const event of events) this.forward(event, sink);
      },
    });
    return { snapshot: replay === undefined };
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private forward(event: KeyEvent, sink: WatchSink): void {
    const parsed = parseKey(event.key);
    if (parsed.kind !== 'instance' && parsed.kind !== 'policy') return;
    if (parsed.namespace !== this.namespace || parsed.service !== this.service) return;
    const revision = event.revision;
    if (parsed.kind === 'instance') {
      const kv = event.type === 'PUT' ? event.kv : event.prev;
      const instance = kv && this.instances.decode(kv);
      if (!instance) return;
      sink.send({ event: 'instance', id: revision, data: { revision, type: event.type, instance } });
      return;
    }
    const policy =
      event.type === 'PUT' && event.kv
        ? (decodePolicy(this.namespace, this.service, event.kv) ?? null)
        : null;
    sink.send({ event: 'policy', id: revision, data: { revision, policy } });
  }
}
