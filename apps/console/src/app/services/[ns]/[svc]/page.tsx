import { RegistryErrorNotice } from '../../../../components/registry-error';
import { ServiceHeader } from '../../../../components/service-tabs';
import { serviceParams } from '../../../../lib/params';
import { readRegistry } from '../../../../lib/registry';
import type { Instance } from '@skyroad/governance';
import { InstanceTable } from './instance-table';

export const dynamic = 'force-dynamic';

export default async function ServicePage({ params }: { params: Promise<{ ns: string; svc: string }> }) {
  const { ns, svc } = await serviceParams(params);
  const answer = await readRegistry<{ revision: number; instances: Instance[] }>(
    `/v1/namespaces/${ns}/services/${svc}/instances`,
    `/services/${ns}/${svc}`,
  );
  return (
    <>
      <ServiceHeader ns={ns} svc={svc} active="instances" />
      {answer.ok ? (
        <InstanceTable
          ns={ns}
          svc={svc}
          initial={answer.body.instances}
          initialRevision={answer.body.revision}
        />
      ) : (
        <RegistryErrorNotice error={answer.error} what="instances" />
      )}
    </>
  );
}
