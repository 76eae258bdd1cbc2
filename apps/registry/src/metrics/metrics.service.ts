import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const HTTP_LATENCY_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const STORE_LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** The registry's Prometheus metrics, in a registry of its own (several apps may share a process in tests). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'skyroad_registry_http_requests_total',
    help: 'HTTP requests answered, by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'skyroad_registry_http_request_duration_seconds',
    help: 'HTTP request latency by method and route (watch streams: until the headers are sent)',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly storeDuration = new Histogram({
    name: 'skyroad_registry_store_request_duration_seconds',
    help: 'Latency of calls to the store (etcd v3 API) by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: STORE_LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly watchers = new Gauge({
    name: 'skyroad_registry_watchers',
    help: 'Open watch (SSE) streams',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'skyroad_registry_' });
  }

  /** Gauges whose value is read when scraped. */
  addCollectedGauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** Counters kept by the registry's logic (plain numbers) and read when scraped. */
  addCollectedCounter(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  observeStoreCall = (operation: string, seconds: number, ok: boolean): void => {
    this.storeDuration.observe({ operation, outcome: ok ? 'ok' : 'error' }, seconds);
  };
}
