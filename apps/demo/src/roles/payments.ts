import type { Handler } from '../http';
import type { DemoOptions } from '../options';

/** payments: answers a charge with its own version, so callers can see where traffic went. */
export function paymentsHandler(options: DemoOptions): Handler {
  let charges = 0;
  return async (_request, url) => {
    if (url.pathname !== '/charge') return undefined;
    charges += 1;
    return {
      json: {
        service: 'payments',
        version: options.version,
        instance: `${options.advertiseHost}:${options.port}`,
        charge: charges,
      },
    };
  };
}
