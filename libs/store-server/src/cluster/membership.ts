import type { Member } from '../wire/types';
import { hexId } from './ids';

export interface MemberRecord {
  id: number;
  /** Empty until the member has started and published its attributes. */
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export interface MembershipState {
  members: MemberRecord[];
  removed: number[];
}

/**
 * The cluster's members as the applied log says: added and removed through Raft conf
 * changes, names and client URLs published through Raft by each member once it runs.
 */
export class Membership {
  private readonly members = new Map<number, MemberRecord>();
  private readonly removed = new Set<number>();

  constructor(state?: MembershipState) {
    if (state) this.restore(state);
  }

  restore(state: MembershipState): void {
    this.members.clear();
    this.removed.clear();
    for (const m of state.members) this.members.set(m.id, { ...m });
    for (const id of state.removed) this.removed.add(id);
  }

  state(): MembershipState {
    return { members: this.list().map((m) => ({ ...m })), removed: [...this.removed] };
  }

  list(): MemberRecord[] {
    return [...this.members.values()].sort((a, b) => a.id - b.id);
  }

  get(id: number): MemberRecord | undefined {
    return this.members.get(id);
  }

  has(id: number): boolean {
    return this.members.has(id);
  }

  isRemoved(id: number): boolean {
    return this.removed.has(id);
  }

  byPeerUrl(url: string): MemberRecord | undefined {
    return this.list().find((m) => m.peerUrls.includes(url));
  }

  add(member: MemberRecord): void {
    this.members.set(member.id, { ...member });
  }

  remove(id: number): void {
    this.members.delete(id);
    this.removed.add(id);
  }

  promote(id: number): void {
    const m = this.members.get(id);
    if (m) m.isLearner = false;
  }

  updatePeerUrls(id: number, peerUrls: string[]): void {
    const m = this.members.get(id);
    if (m) m.peerUrls = [...peerUrls];
  }

  publish(id: number, name: string, clientUrls: string[]): void {
    const m = this.members.get(id);
    if (m) {
      m.name = name;
      m.clientUrls = [...clientUrls];
    }
  }

  peerMap(): Map<number, string[]> {
    return new Map(this.list().map((m) => [m.id, m.peerUrls]));
  }

  voters(): number[] {
    return this.list()
      .filter((m) => !m.isLearner)
      .map((m) => m.id);
  }

  /**
   * etcd's strict reconfiguration check for adding a voter: the started voters (those that
   * have published their name) must be a quorum of the voters after the change, so a member
   * added while another is still starting cannot leave the cluster without a quorum. A
   * one-member cluster may always grow to two.
   */
  readyToAddVoter(): boolean {
    const voters = this.list().filter((m) => !m.isLearner);
    const started = voters.filter((m) => m.name !== '').length;
    const after = voters.length + 1;
    if (started === 1 && after === 2) return true;
    return started >= quorumOf(after);
  }

  /** The same check for removing `id`: the started voters left must be a quorum of those left. */
  readyToRemoveVoter(id: number): boolean {
    const left = this.list().filter((m) => !m.isLearner && m.id !== id);
    const started = left.filter((m) => m.name !== '').length;
    return started >= quorumOf(left.length);
  }

  static toWire(m: MemberRecord): Member {
    return { ID: m.id, name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls, isLearner: m.isLearner };
  }

  describe(): string {
    return this.list()
      .map((m) => `${hexId(m.id)}=${m.peerUrls.join('|')}`)
      .join(',');
  }
}

function quorumOf(voters: number): number {
  return Math.floor(voters / 2) + 1;
}
