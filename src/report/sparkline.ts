/** The one-line sparkline of inflight pages that `run` prints on a terminal. */
import type { IntervalSample } from '../sim/report.js';

const BARS = '▁▂▃▄▅▆▇█';

/** Values scaled from 0 to the maximum into eight bar heights; at most `width` bars (later samples kept whole, earlier ones max-pooled). */
export function sparkline(values: readonly number[], width = 60): string {
  if (values.length === 0) return '';
  const per = Math.ceil(values.length / width);
  const pooled: number[] = [];
  for (let i = 0; i < values.length; i += per) pooled.push(Math.max(...values.slice(i, i + per)));
  const max = Math.max(...pooled);
  return pooled.map((v) => BARS[max > 0 ? Math.min(7, Math.floor((v / max) * 7.999)) : 0]).join('');
}

/** `inflight ▁▂▃▅▆█ 63394 → 629411 pages (per 1s)`. */
export function inflightLine(xs: readonly IntervalSample[]): string {
  const v = xs.map((x) => x.inflight);
  const step = xs.length > 0 ? (xs[0]!.end_ns - xs[0]!.start_ns) / 1e9 : 0;
  return `inflight ${sparkline(v)} ${String(v[0] ?? 0)} → ${String(v.at(-1) ?? 0)} pages (max ${String(Math.max(0, ...v))}, per ${String(step)}s)`;
}
