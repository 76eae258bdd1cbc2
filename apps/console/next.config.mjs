/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-Sent Events are proxied through route handlers: compression would buffer them.
  compress: false,
  poweredByHeader: false,
  reactStrictMode: true,
  // @skyroad/governance is compiled from its TypeScript sources (tsconfig paths).
  experimental: { externalDir: true },
  eslint: { ignoreDuringBuilds: true },
};

export default nextConfig;
