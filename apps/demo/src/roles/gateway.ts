import type { Skyroad } from '@skyroad/sdk';
import { forwardedHeaders, type Handler } from '../http';

/** How many recent orders the split is computed over. */
export const STATS_WINDOW_ORDERS = 200;

interface OrderReply {
  payment?: { version?: string };
}

/**
 * gateway: the entry point. `/api/order` goes gateway -> orders -> payments; `/stats` shows which
 * payments version served the recent orders, so a policy change is visible within seconds.
 */
export class Gateway {
  private readonly recent: string[] = [];
  private total = 0;
  private failures = 0;

  constructor(private readonly sky: Skyroad) {}

  readonly handler: Handler = async (request, url) => {
    if (url.pathname === '/api/order') {
      const response = await this.sky.call('orders', '/orders', { headers: forwardedHeaders(request) });
      const body = (await response.json()) as OrderReply;
      this.record(response.ok ? (body.payment?.version ?? 'unknown') : undefined);
      return { status: response.status, json: body };
    }
    if (url.pathname === '/stats') return { json: this.stats() };
    if (url.pathname === '/') return { html: PAGE };
    return undefined;
  };

  record(version: string | undefined): void {
    this.total += 1;
    if (version === undefined) {
      this.failures += 1;
      return;
    }
    this.recent.push(version);
    if (this.recent.length > STATS_WINDOW_ORDERS) this.recent.shift();
  }

  stats(): { total: number; failures: number; window: number; byVersion: Record<string, number> } {
    const byVersion: Record<string, number> = {};
    for (const version of this.recent) byVersion[version] = (byVersion[version] ?? 0) + 1;
    return { total: this.total, failures: this.failures, window: this.recent.length, byVersion };
  }
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Skyroad demo gateway</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:40rem}.bar{display:flex;height:2rem;border-radius:4px;overflow:hidden}
.bar div{display:flex;align-items:center;justify-content:center;color:#fff}.v1{background:#3b82f6}.v2{background:#f59e0b}.other{background:#6b7280}</style>
</head><body><h1>Demo traffic: gateway → orders → payments</h1>
<p>Which payments version served the last orders. Change the <code>payments</code> policy in the console and watch it move.</p>
<div class="bar" id="bar"></div><p id="text"></p>
<script>
async function refresh(){const s=await (await fetch('/stats')).json();const bar=document.getElementById('bar');bar.innerHTML='';
for(const [v,n] of Object.entries(s.byVersion)){const d=document.createElement('div');d.className=(v==='v1'||v==='v2')?v:'other';
d.style.width=(100*n/s.window)+'%';d.textContent=v+' '+Math.round(100*n/s.window)+'%';bar.appendChild(d);}
document.getElementById('text').textContent=s.total+' orders, '+s.failures+' failed';}
refresh();setInterval(refresh,1000);
</script></body></html>`;
