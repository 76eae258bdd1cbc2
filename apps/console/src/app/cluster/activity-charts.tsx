'use client';

import { useEffect, useRef, useState } from 'react';
import { LineChart } from '../../components/line-chart';
import {
  DEFAULT_WINDOW_MS,
  appendPoint,
  parseScrape,
  seriesOf,
  type DashboardPoint,
  type Scrape,
} from '../../lib/metric-series';

/** How often the browser reads the registry's /metrics (through the console's proxy). */
export const POLL_INTERVAL_MS = 3_000;
/** The shortest time axis the charts draw. */
const MIN_SPAN_MS = 60_000;

/**
 * Instances (all and healthy), heartbeat and discovery rates over the last minutes, computed in
 * the browser from the registry's Prometheus text: gauges as read, counters differenced.
 */
export function ActivityCharts({ windowMs = DEFAULT_WINDOW_MS }: { windowMs?: number }) {
  const [history, setHistory] = useState<DashboardPoint[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [now, setNow] = useState(() => Date.now());
  const previous = useRef<Scrape | undefined>(undefined);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const response = await fetch('/api/registry/metrics', { cache: 'no-store' });
        if (!response.ok) throw new Error(`the registry answered ${response.status}`);
        const scrape = parseScrape(await response.text(), Date.now());
        if (stopped) return;
        const before = previous.current;
        previous.current = scrape;
        setHistory((h) => appendPoint(h, before, scrape, windowMs));
        setNow(scrape.at);
        setError(undefined);
      } catch (e) {
        if (!stopped) setError((e as Error).message);
      } finally {
        if (!stopped) timer = setTimeout(() => void poll(), POLL_INTERVAL_MS);
      }
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [windowMs]);

  // The time axis grows with the history, from one minute up to the whole window.
  const oldest = history[0]?.at ?? now;
  const from = now - Math.min(windowMs, Math.max(MIN_SPAN_MS, now - oldest));
  return (
    <section aria-label="Activity">
      <h2>
        Activity{' '}
        <span className="muted" style={{ fontSize: 13, fontWeight: 400 }}>
          last {Math.round(windowMs / 60_000)} min, every {POLL_INTERVAL_MS / 1000} s from /metrics
        </span>
      </h2>
      {error && (
        <p className="notice bad" role="alert">
          Metrics unavailable: {error}
        </p>
      )}
      <div className="charts">
        <LineChart
          title="Instances"
          from={from}
          to={now}
          series={[
            { label: 'total', color: '#2456c9', points: seriesOf(history, 'instances') },
            { label: 'healthy', color: '#1f8a4c', points: seriesOf(history, 'healthy') },
          ]}
        />
        <LineChart
          title="Heartbeats"
          unit="/s"
          from={from}
          to={now}
          series={[{ label: 'rate', color: '#b7791f', points: seriesOf(history, 'heartbeatRate') }]}
        />
        <LineChart
          title="Discovery"
          unit="/s"
          from={from}
          to={now}
          series={[{ label: 'rate', color: '#8e44ad', points: seriesOf(history, 'discoveryRate') }]}
        />
      </div>
    </section>
  );
}
