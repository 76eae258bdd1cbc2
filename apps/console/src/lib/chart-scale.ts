/** Scaling for the small inline SVG line charts: data → pixel coordinates. */

export interface XY {
  at: number;
  value: number;
}

/** A round upper bound for the y axis (1, 2, 5 × 10^n), never below `floor`. */
export function niceMax(max: number, floor = 1): number {
  const top = Math.max(max, floor);
  if (!Number.isFinite(top) || top <= 0) return floor;
  const magnitude = 10 ** Math.floor(Math.log10(top));
  for (const step of [1, 2, 5, 10]) {
    if (top <= step * magnitude) return step * magnitude;
  }
  return 10 * magnitude;
}

export interface Frame {
  width: number;
  height: number;
  /** Time range shown, ms since the epoch. */
  from: number;
  to: number;
  /** Value range shown (bottom is 0). */
  yMax: number;
  /** Inner padding in pixels. */
  pad: number;
}

/** Pixel coordinates of a point: time runs left to right, values bottom to top. */
export function toPixel(point: XY, frame: Frame): { x: number; y: number } {
  const span = Math.max(1, frame.to - frame.from);
  const innerW = frame.width - 2 * frame.pad;
  const innerH = frame.height - 2 * frame.pad;
  const x = frame.pad + ((point.at - frame.from) / span) * innerW;
  const y = frame.pad + innerH - (Math.min(Math.max(point.value, 0), frame.yMax) / frame.yMax) * innerH;
  return { x: Math.round(x * 10) / 10, y: Math.round(y * 10) / 10 };
}

/** The `points` attribute of an SVG polyline through the series. */
export function polylinePoints(series: readonly XY[], frame: Frame): string {
  return series
    .map((p) => toPixel(p, frame))
    .map(({ x, y }) => `${x},${y}`)
    .join(' ');
}

/** A short display of a value: integers as they are, rates with a sensible precision. */
export function formatValue(value: number): string {
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
