import { RegistryErrorNotice } from '../../../../../components/registry-error';
import { ServiceHeader } from '../../../../../components/service-tabs';
import { serviceParams } from '../../../../../lib/params';
import { readRegistry } from '../../../../../lib/registry';
import type { Instance, PolicyRecord } from '@skyroad/governance';
import { PolicyEditor } from './policy-editor';

export const dynamic = 'force-dynamic';

export default async function PolicyPage({ params }: { params: Promise<{ ns: string; svc: string }> }) {
  const { ns, svc } = await serviceParams(params);
  const here = `/services/${ns}/${svc}/policy`;
  const [policy, instances] = await Promise.all([
    readRegistry<PolicyRecord>(`/v1/namespaces/${ns}/services/${svc}/policy`, here),
    readRegistry<{ instances: Instance[] }>(`/v1/namespaces/${ns}/services/${svc}/instances`, here),
  ]);
  // 404: the service has no policy yet; the editor starts from the empty document.
  const failed = !policy.ok && policy.status !== 404 ? policy.error : undefined;
  return (
    <>
      <ServiceHeader ns={ns} svc={svc} active="policy" />
      {failed ? (
        <RegistryErrorNotice error={failed} what="the policy" />
      ) : (
        <PolicyEditor
          ns={ns}
          svc={svc}
          initial={policy.ok ? policy.body : null}
          instances={instances.ok ? instances.body.instances : []}
        />
      )}
    </>
  );
}
