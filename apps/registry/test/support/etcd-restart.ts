import { etcdBinary, httpOk, type EtcdMember, type ManagedProcess, type ProcessSet } from '@skyroad/testkit';

/**
 * Starts a killed one-member etcd cluster again from its data directory (etcd then ignores the
 * initial-cluster flags), on the same ports, so clients configured with it reconnect.
 */
export function restartEtcdMember(processes: ProcessSet, member: EtcdMember): Promise<ManagedProcess> {
  return processes.spawn({
    name: `${member.name}-restarted`,
    command: etcdBinary(),
    args: [
      '--name',
      member.name,
      '--data-dir',
      member.dataDir,
      '--listen-client-urls',
      member.clientUrl,
      '--advertise-client-urls',
      member.clientUrl,
      '--listen-peer-urls',
      member.peerUrl,
      '--initial-advertise-peer-urls',
      member.peerUrl,
      '--initial-cluster',
      `${member.name}=${member.peerUrl}`,
      '--log-level',
      'warn',
    ],
    ready: () => httpOk(`${member.clientUrl}/health`),
  });
}
