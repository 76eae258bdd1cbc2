import type { Message } from '@skyroad/raft';
import { PeerLink, type LinkEvents } from './peer-link';
import type { TlsMaterial } from '../config/tls';

/** One outbound link per remote member, created and dropped as the membership changes. */
export class PeerTransport {
  private readonly links = new Map<number, PeerLink>();

  constructor(
    private readonly localId: number,
    private readonly clusterId: () => string,
    private readonly tls: TlsMaterial | undefined,
    private readonly events: LinkEvents,
  ) {}

  /** Makes the links match `peers` (id -> peer URLs), leaving out this member. */
  setPeers(peers: Map<number, string[]>): void {
    for (const [id, urls] of peers) {
      if (id === this.localId || urls.length === 0) continue;
      const link = this.links.get(id);
      if (!link) {
        this.links.set(
          id,
          new PeerLink(
            id,
            urls,
            () => ({ clusterId: this.clusterId(), from: this.localId, to: id }),
            this.tls,
            this.events,
          ),
        );
      }
    }
    for (const [id, link] of this.links) {
      if (!peers.has(id)) {
        link.close();
        this.links.delete(id);
      }
    }
  }

  updatePeer(id: number, urls: string[]): void {
    this.links.get(id)?.updateUrls(urls);
  }

  /** Sends at once: each peer's messages go out together, in one write. */
  send(messages: Message[]): void {
    const touched = new Set<PeerLink>();
    for (const m of messages) {
      const link = this.links.get(m.to);
      if (link) {
        link.enqueue(m);
        touched.add(link);
      } else this.events.unreachable(m.to);
    }
    for (const link of touched) link.flush();
  }

  rpc(peerId: number, method: string, body: unknown): Promise<unknown> {
    const link = this.links.get(peerId);
    if (!link) return Promise.reject(new Error(`no link to member ${peerId.toString(16)}`));
    return link.rpc(method, body);
  }

  close(): void {
    for (const link of this.links.values()) link.close();
    this.links.clear();
  }
}
