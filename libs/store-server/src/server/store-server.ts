import { mkdirSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { StoreEngine } from '@skyroad/store-engine';
import {
  MEMBERS_KEY,
  resolveBootstrap,
  writeJson,
  type ClusterInfo,
  type Identity,
} from '../cluster/identity';
import { hexId } from '../cluster/ids';
import { Membership } from '../cluster/membership';
import type { StoreConfig } from '../config/flags';
import { HttpGateway } from '../gateway/http-gateway';
import { authService } from '../grpc/auth-service';
import { clusterService } from '../grpc/cluster-service';
import { kvService } from '../grpc/kv-service';
import { leanMethods } from '../grpc/lean-methods';
import { leaseService } from '../grpc/lease-service';
import { maintenanceService } from '../grpc/maintenance-service';
import { watchService } from '../grpc/watch-service';
import type { Logger } from '../log/logger';
import { StoreMetrics } from '../metrics/metrics';
import { EngineRaftLog } from '../node/engine-raft-log';
import { PeerServer, REMOVED_REASON } from '../peer/peer-server';
import { loadTls } from '../config/tls';
import { PeerTransport } from '../peer/transport';
import { serviceDefinition } from '../proto/load';
import { ClientPort } from './client-port';
import { LeanUnary } from './lean-unary';
import { EtcdApi } from './etcd-api';
import { Member } from './member';
import { AutoCompactor } from './auto-compactor';

/** etcd lets gRPC messages exceed --max-request-bytes by this much, then checks the request itself. */
export const GRPC_OVERHEAD_BYTES = 512 * 1024;
/** Responses (a large range) may be much bigger than requests. */
export const MAX_GRPC_SEND_BYTES = 2 * 1024 * 1024 * 1024 - 1;
/** The engine's own size check sees our JSON encoding (base64 values), so it gets headroom. */
const ENGINE_SIZE_HEADROOM = 2;
/** On SIGTERM a leader hands over leadership, waiting at most this long. */
export const LEADER_HANDOVER_TIMEOUT_MS = 2_000;
const HANDOVER_POLL_MS = 20;
/** A /health probe fails if a linearizable read barrier takes longer than this. */
export const HEALTH_READ_TIMEOUT_MS = 1_000;
/** How long the answer to a joining member waits for the read barrier (below the joiner's 2 s). */
const JOIN_READ_TIMEOUT_MS = 1_000;

/** One skyroad-store member with all its ports open. */
export class StoreServer {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly compactor: AutoCompactor | undefined,
    readonly config: StoreConfig,
    readonly member: Member,
    readonly api: EtcdApi,
    private readonly engine: StoreEngine,
    private readonly log: EngineRaftLog,
    private readonly transport: PeerTransport,
    private readonly peerServer: PeerServer,
    private readonly grpcServer: grpc.Server,
    private readonly clientPort: ClientPort,
    private readonly logger: Logger,
  ) {}

  static async start(
    config: StoreConfig,
    logger: Logger,
    onExit: (code: number) => void,
  ): Promise<StoreServer> {
    mkdirSync(config.dataDir, { recursive: true });
    const metrics = new StoreMetrics();
    const peerTls = loadTls(config.peerTls);
    const clientTls = loadTls(config.clientTls);
    const engine = StoreEngine.open({
      dataDir: config.dataDir,
      quotaBackendBytes: config.quotaBackendBytes,
      maxRequestBytes: config.maxRequestBytes * ENGINE_SIZE_HEADROOM + GRPC_OVERHEAD_BYTES,
      minLeaseTtlSeconds: Math.ceil((3 * config.electionTimeoutMs) / 2 / 1000),
    });
    const ext = engine.backend.bucket('ext');
    const saved = EngineRaftLog.exists(config.dataDir) ? readIdentity(config.dataDir) : undefined;
    const boot = await resolveBootstrap(config, ext, peerTls, saved);
    if (!boot.restart) engine.backend.write(() => writeJson(ext, MEMBERS_KEY, boot.membership));
    const membership = new Membership(boot.membership);
    const log = new EngineRaftLog(config.dataDir, engine.backend, Buffer.from(JSON.stringify(boot.identity)));
    // The member may need to stop the server it belongs to (when it is removed).
    const started: { server?: StoreServer } = {};
    const member = new Member({
      identity: boot.identity,
      engine,
      log,
      membership,
      bootstrapVoters: boot.restart ? [] : membership.voters(),
      bootstrapLearners: boot.restart
        ? []
        : membership
            .list()
            .filter((m) => m.isLearner)
            .map((m) => m.id),
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      electionTimeoutMs: config.electionTimeoutMs,
      snapshotCount: config.snapshotCount,
      name: config.name,
      clientUrls: config.advertiseClientUrls,
      logger,
      metrics,
      onRemoved: () => void started.server?.stop(false).then(() => onExit(0)),
      onFatal: (error) => {
        logger.fatal({ err: error }, 'member failed');
        onExit(1);
      },
    });
    const api = new EtcdApi(member, config.maxRequestBytes, config.initialClusterToken);
    const transport = new PeerTransport(member.id, () => member.clusterId, peerTls, {
      unreachable: (id) => member.raft.reportUnreachable(id),
      snapshotStatus: (id, ok) => member.raft.reportSnapshot(id, ok),
      rejected: (id, reason) => {
        logger.warn({ peer: hexId(id), reason }, 'peer refused us');
        // The leader refuses us right after we applied our own removal (or while we missed
        // it): leave the same delayed way, or the MemberRemove answer we serve is cut off.
        if (reason.startsWith(REMOVED_REASON)) member.leaveCluster();
      },
    });
    const peerServer = new PeerServer(
      {
        clusterId: () => member.clusterId,
        localId: () => member.id,
        accepts: (id) => !membership.isRemoved(id),
        receive: (messages) => member.raft.step(messages),
        rpc: (method, body) => answerPeerCall(member, api, method, body),
        clusterInfo: () => clusterInfoForJoiner(member),
      },
      peerTls,
    );
    await peerServer.listen(config.listenPeerUrls);

    const grpcLimits = {
      maxReceiveBytes: config.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      maxSendBytes: MAX_GRPC_SEND_BYTES,
    };
    const grpcServer = new grpc.Server({
      'grpc.max_receive_message_length': grpcLimits.maxReceiveBytes,
      'grpc.max_send_message_length': grpcLimits.maxSendBytes,
      // Channelz (gRPC's introspection service, which we do not serve) counts and traces
      // every call: per-call work and allocations on the write path for nothing.
      'grpc.enable_channelz': 0,
    });
    grpcServer.addService(serviceDefinition('KV'), kvService(api));
    grpcServer.addService(serviceDefinition('Watch'), watchService(api));
    grpcServer.addService(serviceDefinition('Lease'), leaseService(api));
    grpcServer.addService(serviceDefinition('Cluster'), clusterService(api));
    grpcServer.addService(serviceDefinition('Maintenance'), maintenanceService(api));
    grpcServer.addService(serviceDefinition('Auth'), authService(api));
    const gateway = new HttpGateway(api, {
      health: () => health(member),
      metrics: () => {
        metrics.dbSize.set(engine.backend.sizeBytes());
        return metrics.render();
      },
    });
    // The hot unary calls skip grpc-js's call machinery and its second write per answer.
    const lean = new LeanUnary(leanMethods(api), grpcLimits);
    const clientPort = new ClientPort(grpcServer, gateway.handle, clientTls, lean.claim);
    if (!clientPort.streamsHooked) {
      logger.warn('cannot reach grpc-js streams (grpc-js changed?): every call goes through grpc-js');
    }
    await clientPort.listen(config.listenClientUrls);

    const compactor = config.autoCompactionRetention
      ? new AutoCompactor(
          config.autoCompactionMode,
          config.autoCompactionRetention,
          {
            isLeader: () => member.raft.isLeader,
            currentRevision: () => engine.store.currentRevision,
            compactedRevision: () => engine.store.compactRevision,
            compact: (revision) => member.propose({ kind: 'compaction', compaction: { revision } }),
          },
          logger,
        )
      : undefined;
    await member.start(transport);
    compactor?.start();
    const server = new StoreServer(
      compactor,
      config,
      member,
      api,
      engine,
      log,
      transport,
      peerServer,
      grpcServer,
      clientPort,
      logger,
    );
    started.server = server;
    logger.info(
      {
        memberId: hexId(member.id),
        clusterId: hexId(BigInt(member.clusterId)),
        restart: boot.restart,
        clientUrls: config.listenClientUrls,
        peerUrls: config.listenPeerUrls,
        members: membership.describe(),
      },
      'skyroad-store member started',
    );
    return server;
  }

  /** Stops serving; a leader first hands leadership to another voter so the cluster keeps going. */
  stop(handOver = true): Promise<void> {
    this.stopping ??= this.doStop(handOver);
    return this.stopping;
  }

  private async doStop(handOver: boolean): Promise<void> {
    this.compactor?.stop();
    if (handOver) await this.handOverLeadership();
    await this.clientPort.close();
    this.grpcServer.forceShutdown();
    this.member.stop();
    this.transport.close();
    await this.peerServer.close();
    await this.log.close();
    await this.engine.close();
    this.logger.info('skyroad-store member stopped');
  }

  private async handOverLeadership(): Promise<void> {
    const raft = this.member.raft;
    if (!raft.isLeader) return;
    const status = raft.status();
    const candidates = [...status.progress.entries()]
      .filter(([id, p]) => id !== this.member.id && !p.isLearner)
      .sort((a, b) => b[1].match - a[1].match);
    if (candidates.length === 0) return;
    const [target] = candidates[0];
    this.logger.info({ to: hexId(target) }, 'handing over leadership before stopping');
    raft.transferLeader(target);
    const deadline = Date.now() + LEADER_HANDOVER_TIMEOUT_MS;
    while (raft.isLeader && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, HANDOVER_POLL_MS));
    }
  }
}

/** This member's id and cluster id, from the metadata its WAL was created with. */
function readIdentity(dataDir: string): Identity {
  const metadata = EngineRaftLog.readMetadata(dataDir);
  if (!metadata || metadata.length === 0) throw new Error(`${dataDir}: the WAL has no member identity`);
  return JSON.parse(metadata.toString('utf8')) as Identity;
}

async function health(member: Member): Promise<{ health: boolean; reason: string }> {
  if (member.raft.leader === 0) return { health: false, reason: 'RAFT NO LEADER' };
  const alarms = member.engine.alarms.list();
  if (alarms.length > 0) return { health: false, reason: 'ALARM ACTIVE' };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), HEALTH_READ_TIMEOUT_MS)),
  );
  try {
    const outcome = await Promise.race([member.linearizableBarrier().then(() => 'ok' as const), timeout]);
    return outcome === 'ok' ? { health: true, reason: '' } : { health: false, reason: 'RAFT READ TIMEOUT' };
  } catch (error) {
    return { health: false, reason: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Who the cluster is, for a member joining with --initial-cluster-state existing, read after a
 * linearizable barrier: a follower a little behind may still list the member the newcomer
 * replaces at the same peer URL, and the newcomer would take that removed member's id (and
 * stop when it applies that member's removal). Without a leader the local list is the best
 * answer there is, so the barrier is given a bounded time.
 */
async function clusterInfoForJoiner(member: Member): Promise<ClusterInfo> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, JOIN_READ_TIMEOUT_MS)));
  try {
    await Promise.race([member.linearizableBarrier().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return { clusterId: member.clusterId, members: member.membership.list() };
}

/** Calls peers forward to the leader (lease renewals and TTLs, and replication progress, live only there). */
function answerPeerCall(member: Member, api: EtcdApi, method: string, body: unknown): Promise<unknown> {
  const b = body as { id: string; keys?: boolean };
  switch (method) {
    case 'leaseRenew':
      return member.answerPeer(method, () => member.engine.lessor.renew(BigInt(b.id)));
    case 'leaseTimeToLive':
      return member.answerPeer(method, () => api.localTimeToLive(b.id, !!b.keys));
    case 'learnerReady':
      return member.answerPeer(method, () => api.localLearnerReady(Number(b.id)));
    default:
      return Promise.reject(new Error(`unknown peer call ${method}`));
  }
}
