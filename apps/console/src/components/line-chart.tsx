import { formatValue, niceMax, polylinePoints, toPixel, type Frame, type XY } from '../lib/chart-scale';

export interface ChartSeries {
  label: string;
  color: string;
  points: readonly XY[];
}

const WIDTH = 320;
const HEIGHT = 120;
const PAD = 8;

/**
 * A small inline SVG line chart over a time window: one polyline per series, a dot per point,
 * the y-axis top and each series' latest value in the legend. No library, no network.
 */
export function LineChart({
  title,
  series,
  from,
  to,
  unit = '',
}: {
  title: string;
  series: readonly ChartSeries[];
  from: number;
  to: number;
  unit?: string;
}) {
  const count = series.reduce((n, s) => n + s.points.length, 0);
  const yMax = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.value))));
  const frame: Frame = { width: WIDTH, height: HEIGHT, from, to, yMax, pad: PAD };
  const seconds = Math.round((to - from) / 1000);
  const span = seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
  return (
    <figure className="chart" aria-label={title} data-chart={title} data-points={count}>
      <figcaption>
        <span className="chart-title">{title}</span>
        {series.map((s) => {
          const last = s.points[s.points.length - 1];
          return (
            <span key={s.label} className="chart-legend">
              <span className="swatch" style={{ background: s.color }} />
              {s.label}{' '}
              <span className="mono" data-latest={s.label}>
                {last ? `${formatValue(last.value)}${unit}` : '–'}
              </span>
            </span>
          );
        })}
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        role="img"
        aria-label={`${title} over the last ${span}`}
      >
        <rect x="0" y="0" width={WIDTH} height={HEIGHT} fill="#f7f8fa" />
        {[0.25, 0.5, 0.75].map((f) => (
          <line
            key={f}
            x1={PAD}
            x2={WIDTH - PAD}
            y1={PAD + (HEIGHT - 2 * PAD) * f}
            y2={PAD + (HEIGHT - 2 * PAD) * f}
            stroke="#e2e6ec"
            strokeWidth="1"
            vectorEffect="non-scaling-stroke"
          />
        ))}
        {series.map((s) => (
          <g key={s.label} data-series={s.label}>
            {s.points.length > 1 && (
              <polyline
                points={polylinePoints(s.points, frame)}
                fill="none"
                stroke={s.color}
                strokeWidth="2"
                strokeLinejoin="round"
                vectorEffect="non-scaling-stroke"
              />
            )}
            {s.points.map((p) => {
              const { x, y } = toPixel(p, frame);
              return (
                <circle key={p.at} className="point" cx={x} cy={y} r="2" fill={s.color}>
                  <title>{`${new Date(p.at).toLocaleTimeString()}: ${formatValue(p.value)}${unit}`}</title>
                </circle>
              );
            })}
          </g>
        ))}
      </svg>
      <div className="chart-axis muted">
        <span>−{span}</span>
        <span>
          max {formatValue(yMax)}
          {unit}
        </span>
        <span>now</span>
      </div>
      {count === 0 && <p className="muted chart-empty">waiting for data…</p>}
    </figure>
  );
}
