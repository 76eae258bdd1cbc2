import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The member's Prometheus metrics, named after etcd's where etcd has one. */
export class StoreMetrics {
  readonly registry = new Registry();
  readonly hasLeader = new Gauge({
    name: 'etcd_server_has_leader',
    help: '1 if a leader exists',
    registers: [this.registry],
  });
  readonly isLeader = new Gauge({
    name: 'etcd_server_is_leader',
    help: '1 if this member is leader',
    registers: [this.registry],
  });
  readonly leaderChanges = new Counter({
    name: 'etcd_server_leader_changes_seen_total',
    help: 'leader changes seen',
    registers: [this.registry],
  });
  readonly proposalsCommitted = new Gauge({
    name: 'etcd_server_proposals_committed_total',
    help: 'consensus proposals committed',
    registers: [this.registry],
  });
  readonly proposalsApplied = new Gauge({
    name: 'etcd_server_proposals_applied_total',
    help: 'consensus proposals applied',
    registers: [this.registry],
  });
  readonly proposalsPending = new Gauge({
    name: 'etcd_server_proposals_pending',
    help: 'proposals waiting to commit',
    registers: [this.registry],
  });
  readonly proposalsFailed = new Counter({
    name: 'etcd_server_proposals_failed_total',
    help: 'failed proposals',
    registers: [this.registry],
  });
  readonly walFsync = new Histogram({
    name: 'etcd_disk_wal_fsync_duration_seconds',
    help: 'WAL fsync latency',
    buckets: [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024],
    registers: [this.registry],
  });
  readonly dbSize = new Gauge({
    name: 'etcd_mvcc_db_total_size_in_bytes',
    help: 'backend size',
    registers: [this.registry],
  });
  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
