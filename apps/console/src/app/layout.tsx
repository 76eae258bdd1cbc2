import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import Link from 'next/link';
import { callRegistry } from '../lib/registry';
import type { Me } from '../lib/registry-types';
import './globals.css';

export const metadata: Metadata = { title: 'Skyroad console' };
export const dynamic = 'force-dynamic';

async function whoAmI(): Promise<{ signedIn: boolean; label: string }> {
  const me = await callRegistry<Me>('/v1/auth/me');
  if (me.ok) {
    if (me.body.kind === 'anonymous') return { signedIn: false, label: 'anonymous (development)' };
    return { signedIn: true, label: `${me.body.name} · ${me.body.role}` };
  }
  // A registry without sign-in (404) lets everyone in on loopback.
  if (me.status === 404) return { signedIn: false, label: 'anonymous (development)' };
  return { signedIn: false, label: '' };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const who = await whoAmI();
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <Link href="/services" className="brand">
            Skyroad
          </Link>
          <nav aria-label="Main">
            <Link href="/services">Services</Link>
            <Link href="/cluster">Cluster</Link>
            <Link href="/access">Access</Link>
          </nav>
          <div className="who">
            {who.label && <span data-testid="who">{who.label}</span>}
            {who.signedIn ? (
              <form method="post" action="/api/session/logout">
                <button type="submit">Sign out</button>
              </form>
            ) : (
              <Link href="/login">Sign in</Link>
            )}
          </div>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
