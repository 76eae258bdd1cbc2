import Link from 'next/link';

export function ServiceHeader({
  ns,
  svc,
  active,
}: {
  ns: string;
  svc: string;
  active: 'instances' | 'policy' | 'history';
}) {
  const base = `/services/${ns}/${svc}`;
  const tabs = [
    { key: 'instances', href: base, label: 'Instances' },
    { key: 'policy', href: `${base}/policy`, label: 'Policy' },
    { key: 'history', href: `${base}/history`, label: 'History' },
  ];
  return (
    <>
      <div className="crumbs">
        <Link href={`/services?ns=${ns}`}>Services</Link> / {ns}
      </div>
      <h1>{svc}</h1>
      <nav className="tabs" aria-label="Service">
        {tabs.map((tab) => (
          <Link key={tab.key} href={tab.href} className={tab.key === active ? 'active' : undefined}>
            {tab.label}
          </Link>
        ))}
      </nav>
    </>
  );
}
