import Link from 'next/link';
import { RegistryErrorNotice } from '../../components/registry-error';
import { callRegistry, readRegistry } from '../../lib/registry';
import { NAME_PATTERN, type ServiceSummary } from '@skyroad/governance';

export const dynamic = 'force-dynamic';

async function knownNamespaces(current: string): Promise<string[]> {
  // Not every registry lists namespaces; `default` always exists.
  const answer = await callRegistry<{ namespaces?: (string | { name: string })[] }>('/v1/namespaces');
  const names = new Set(['default', current]);
  if (answer.ok && Array.isArray(answer.body?.namespaces)) {
    for (const ns of answer.body.namespaces) names.add(typeof ns === 'string' ? ns : ns.name);
  }
  return [...names].sort();
}

export default async function ServicesPage({ searchParams }: { searchParams: Promise<{ ns?: string }> }) {
  const requested = (await searchParams).ns ?? 'default';
  const ns = NAME_PATTERN.test(requested) ? requested : 'default';
  const answer = await readRegistry<{ revision: number; services: ServiceSummary[] }>(
    `/v1/namespaces/${ns}/services`,
    `/services?ns=${ns}`,
  );
  const namespaces = await knownNamespaces(ns);
  return (
    <>
      <h1>Services</h1>
      <form className="row" method="get" action="/services" style={{ marginBottom: 16 }}>
        <div>
          <label htmlFor="ns">Namespace</label>
          <input id="ns" name="ns" list="namespaces" defaultValue={ns} pattern={NAME_PATTERN.source} />
          <datalist id="namespaces">
            {namespaces.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </div>
        <button type="submit">Show</button>
        <span className="muted">
          {namespaces.map((name, i) => (
            <span key={name}>
              {i > 0 && ' · '}
              <Link href={`/services?ns=${name}`}>{name}</Link>
            </span>
          ))}
        </span>
      </form>
      {!answer.ok ? (
        <RegistryErrorNotice error={answer.error} what="services" />
      ) : answer.body.services.length === 0 ? (
        <p className="muted">No service has registered in namespace {ns} yet.</p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Services">
            <thead>
              <tr>
                <th>Service</th>
                <th>Instances</th>
                <th>Healthy</th>
                <th>Health</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {answer.body.services.map((service) => {
                const state =
                  service.instances === 0
                    ? { cls: 'off', text: 'no instances' }
                    : service.healthy === service.instances
                      ? { cls: 'ok', text: 'healthy' }
                      : service.healthy === 0
                        ? { cls: 'bad', text: 'down' }
                        : { cls: 'warn', text: 'degraded' };
                return (
                  <tr key={service.name} data-service={service.name}>
                    <td>
                      <Link href={`/services/${ns}/${service.name}`}>{service.name}</Link>
                    </td>
                    <td>{service.instances}</td>
                    <td>{service.healthy}</td>
                    <td>
                      <span className={`badge ${state.cls}`}>{state.text}</span>
                    </td>
                    <td>
                      <Link href={`/services/${ns}/${service.name}/policy`}>Policy</Link>
                      {' · '}
                      <Link href={`/services/${ns}/${service.name}/history`}>History</Link>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {answer.ok && <p className="muted">Store revision {answer.body.revision}</p>}
    </>
  );
}
