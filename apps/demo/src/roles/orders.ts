import type { Skyroad } from '@skyroad/sdk';
import { forwardedHeaders, type Handler } from '../http';

/** orders: places an order by charging it through payments, picked by the SDK under its policy. */
export function ordersHandler(sky: Skyroad): Handler {
  let orders = 0;
  return async (request, url) => {
    if (url.pathname !== '/orders') return undefined;
    orders += 1;
    const response = await sky.call('payments', '/charge', {
      method: 'POST',
      headers: forwardedHeaders(request),
    });
    const payment = (await response.json()) as unknown;
    return { status: response.ok ? 200 : 502, json: { service: 'orders', order: orders, payment } };
  };
}
