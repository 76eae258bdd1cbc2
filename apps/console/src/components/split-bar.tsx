/** Colours for the segments of a traffic-split bar, repeated when there are more segments. */
const PALETTE = ['#2456c9', '#1f8a4c', '#b7791f', '#8e44ad', '#c53030', '#138a8a', '#6b7280', '#d35400'];

export interface Segment {
  label: string;
  /** Any non-negative number; the bar shows each segment's share of the sum. */
  value: number;
}

/** A horizontal SVG bar: one coloured segment per destination or instance, with a legend. */
export function SplitBar({ title, segments }: { title: string; segments: Segment[] }) {
  const total = segments.reduce((sum, s) => sum + Math.max(0, s.value), 0);
  let x = 0;
  return (
    <figure style={{ margin: '0 0 12px' }} aria-label={title}>
      <figcaption style={{ fontWeight: 600, marginBottom: 4 }}>{title}</figcaption>
      {/* Percent units keep the bar fluid without stretching the labels. */}
      <svg width="100%" height="36" role="img" aria-label={`${title} traffic split`}>
        <rect x="0" y="0" width="100%" height="36" fill="#eceff3" rx="4" />
        {total > 0 &&
          segments.map((segment, i) => {
            const share = (Math.max(0, segment.value) / total) * 100;
            const segmentRect = (
              <g key={`${segment.label}-${i}`}>
                <rect x={`${x}%`} y="0" width={`${share}%`} height="36" fill={PALETTE[i % PALETTE.length]}>
                  <title>{`${segment.label}: ${share.toFixed(1)}%`}</title>
                </rect>
                {share >= 8 && (
                  <text
                    x={`${x + share / 2}%`}
                    y="23"
                    textAnchor="middle"
                    fill="#fff"
                    fontSize="13"
                    fontFamily="system-ui, sans-serif"
                  >
                    {share.toFixed(0)}%
                  </text>
                )}
              </g>
            );
            x += share;
            return segmentRect;
          })}
      </svg>
      <div className="muted" style={{ display: 'flex', flexWrap: 'wrap', gap: '4px 14px', marginTop: 4 }}>
        {total === 0 ? (
          <span>no traffic</span>
        ) : (
          segments.map((segment, i) => (
            <span key={`${segment.label}-${i}`} data-testid="split-legend">
              <span
                style={{
                  display: 'inline-block',
                  width: 10,
                  height: 10,
                  background: PALETTE[i % PALETTE.length],
                  marginRight: 4,
                }}
              />
              {segment.label} {((segment.value / total) * 100).toFixed(1)}%
            </span>
          ))
        )}
      </div>
    </figure>
  );
}
