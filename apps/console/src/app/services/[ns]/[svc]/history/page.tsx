import { RegistryErrorNotice } from '../../../../../components/registry-error';
import { ServiceHeader } from '../../../../../components/service-tabs';
import { serviceParams } from '../../../../../lib/params';
import { readRegistry } from '../../../../../lib/registry';
import type { PolicyVersion } from '@skyroad/governance';
import { PolicyHistory } from './policy-history';

export const dynamic = 'force-dynamic';

export default async function HistoryPage({ params }: { params: Promise<{ ns: string; svc: string }> }) {
  const { ns, svc } = await serviceParams(params);
  const answer = await readRegistry<{ versions: PolicyVersion[] }>(
    `/v1/namespaces/${ns}/services/${svc}/policy/history`,
    `/services/${ns}/${svc}/history`,
  );
  return (
    <>
      <ServiceHeader ns={ns} svc={svc} active="history" />
      {answer.ok ? (
        <PolicyHistory ns={ns} svc={svc} versions={answer.body.versions} />
      ) : answer.status === 404 ? (
        <p className="muted">No policy has been saved for this service yet.</p>
      ) : (
        <RegistryErrorNotice error={answer.error} what="the policy history" />
      )}
    </>
  );
}
