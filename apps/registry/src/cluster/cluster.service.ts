import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  InstanceRegistry,
  KeySpaceCache,
  REGISTRY_PREFIX,
  type RegistryConfig,
} from '@skyroad/registry-core';
import { Etcd3 } from 'etcd3';
import type { ClusterReport, EndpointStatus, StoreClusterReport, StoreMember } from '@skyroad/governance';
import { MetricsService } from '../metrics/metrics.service';
import { REGISTRY_CONFIG } from '../tokens';

/** How long one cluster report waits for a store before it calls it unreachable. */
export const CLUSTER_CALL_TIMEOUT_MS = 1_500;

export type { StoreMember, EndpointStatus, StoreClusterReport, ClusterReport };

const hexId = (id: string | undefined): string | undefined => {
  if (id === undefined || id === '') return undefined;
  try {
    return BigInt(id).toString(16);
  } catch {
    return id;
  }
};

const num = (value: string | number | undefined): number | undefined => {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
};

const message = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === 'string' ? error : 'no answer';

function newClient(hosts: readonly string[]): Etcd3 {
  return new Etcd3({
    hosts: [...hosts],
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: new Date(Date.now() + CLUSTER_CALL_TIMEOUT_MS) },
  });
}

/** A call that gives up after CLUSTER_CALL_TIMEOUT_MS, whatever the client's retries do. */
async function bounded<T>(call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${CLUSTER_CALL_TIMEOUT_MS} ms`)),
      CLUSTER_CALL_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([call(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One store cluster: a client over all its endpoints (member list) and one per endpoint (status). */
class StoreClusterProbe {
  private readonly cluster: Etcd3;
  private readonly perEndpoint: Map<string, Etcd3>;

  constructor(
    private readonly role: 'primary' | 'standby',
    private readonly endpoints: readonly string[],
  ) {
    this.cluster = newClient(endpoints);
    this.perEndpoint = new Map(endpoints.map((endpoint) => [endpoint, newClient([endpoint])]));
  }

  async report(): Promise<StoreClusterReport> {
    const [members, statuses] = await Promise.all([
      bounded(() => this.cluster.cluster.memberList({ linearizable: false })).then(
        (answer) => ({ ok: true as const, answer }),
        (error: unknown) => ({ ok: false as const, error: message(error) }),
      ),
      Promise.all(this.endpoints.map((endpoint) => this.status(endpoint))),
    ]);
    const answered = statuses.filter((s) => s.reachable);
    // The freshest view: the highest term, then the highest index.
    const best = [...answered].sort(
      (a, b) => (b.raftTerm ?? 0) - (a.raftTerm ?? 0) || (b.raftIndex ?? 0) - (a.raftIndex ?? 0),
    )[0];
    const leaderId = best?.leaderId;
    const reachable = members.ok || answered.length > 0;
    return {
      role: this.role,
      endpoints: [...this.endpoints],
      reachable,
      ...(reachable
        ? members.ok
          ? {}
          : { error: `member list: ${members.error}` }
        : { error: members.ok ? 'no endpoint answered' : members.error }),
      ...(members.ok ? { clusterId: hexId(members.answer.header.cluster_id) } : {}),
      leaderId,
      raftTerm: best?.raftTerm,
      raftIndex: best?.raftIndex,
      dbSize: best?.dbSize,
      revision: answered.reduce<number | undefined>(
        (max, s) => (s.revision === undefined ? max : Math.max(max ?? 0, s.revision)),
        undefined,
      ),
      version: best?.version,
      members: members.ok
        ? members.answer.members
            .map((m) => ({
              id: hexId(m.ID) ?? '',
              name: m.name,
              peerURLs: m.peerURLs ?? [],
              clientURLs: m.clientURLs ?? [],
              isLearner: m.isLearner === true,
              isLeader: leaderId !== undefined && hexId(m.ID) === leaderId,
            }))
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        : [],
      endpointStatus: statuses,
    };
  }

  private async status(endpoint: string): Promise<EndpointStatus> {
    const client = this.perEndpoint.get(endpoint);
    if (!client) return { endpoint, reachable: false, error: 'no client' };
    try {
      const s = await bounded(() => client.maintenance.status());
      return {
        endpoint,
        reachable: true,
        memberId: hexId(s.header.member_id),
        leaderId: hexId(s.leader),
        raftTerm: num(s.raftTerm),
        raftIndex: num(s.raftIndex),
        raftAppliedIndex: num(s.raftAppliedIndex),
        dbSize: num(s.dbSize),
        dbSizeInUse: num(s.dbSizeInUse),
        revision: num(s.header.revision),
        version: s.version,
        isLearner: s.isLearner === true,
      };
    } catch (error) {
      return { endpoint, reachable: false, error: message(error) };
    }
  }

  close(): void {
    this.cluster.close();
    for (const client of this.perEndpoint.values()) client.close();
  }
}

/** The store clusters the registry uses, as they describe themselves (etcd v3 Cluster and Maintenance). */
@Injectable()
export class ClusterService implements OnModuleDestroy {
  private readonly primary: StoreClusterProbe;
  private readonly standby?: StoreClusterProbe;

  constructor(
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
    @Inject(MetricsService) metrics: MetricsService,
    @Inject(KeySpaceCache) private readonly cache: KeySpaceCache,
    @Inject(InstanceRegistry) private readonly instances: InstanceRegistry,
  ) {
    this.primary = new StoreClusterProbe('primary', config.storeEndpoints);
    if (config.standbyStoreEndpoints.length > 0)
      this.standby = new StoreClusterProbe('standby', config.standbyStoreEndpoints);
    // The console charts healthy next to all instances.
    metrics.addCollectedGauge(
      'skyroad_registry_healthy_instances',
      'Registered instances that are healthy and enabled (all namespaces)',
      () => this.countHealthy(),
    );
  }

  async report(): Promise<ClusterReport> {
    const [primary, standby] = await Promise.all([this.primary.report(), this.standby?.report()]);
    return standby ? { primary, standby } : { primary };
  }

  private countHealthy(): number {
    let n = 0;
    for (const group of this.cache.groupsUnder(REGISTRY_PREFIX)) {
      for (const kv of this.cache.list(group)) {
        const instance = this.instances.decode(kv);
        if (instance?.healthy && instance.enabled) n += 1;
      }
    }
    return n;
  }

  onModuleDestroy(): void {
    this.primary.close();
    this.standby?.close();
  }
}
