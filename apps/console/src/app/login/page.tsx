import { LoginForm } from './login-form';

export const dynamic = 'force-dynamic';

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  // Only paths of this console: never an absolute URL (open redirect).
  const returnTo = next && next.startsWith('/') && !next.startsWith('//') ? next : '/services';
  return (
    <div className="login panel">
      <h1>Sign in to Skyroad</h1>
      <LoginForm returnTo={returnTo} />
    </div>
  );
}
