/** CSV of the pool samples (`--csv`): one row per interval and report, for spreadsheets and gnuplot. */
import type { IntervalSample, Report } from '../sim/report.js';

/** The sample columns, in IntervalSample order; flow throughput follows as one `bytes:<flow>` column per flow. */
export const SAMPLE_COLUMNS = [
  'start_ns', 'end_ns', 'pool_cache', 'pool_ring', 'rx_ring', 'in_stack', 'inflight', 'hold_cnt', 'release_cnt',
  'recycled', 'released', 'alloc_slow', 'dma_map', 'dma_unmap', 'dma_sync_for_cpu', 'dma_sync_for_device', 'drops',
] as const satisfies readonly (keyof IntervalSample)[];

/** RFC 4180 quoting where a field needs it. */
function field(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Every report's samples; the scenario and branch columns tell the reports apart (compare, ci). */
export function renderCsv(reports: readonly Report[]): string {
  const flowNames: string[] = [];
  for (const r of reports) for (const x of r.series ?? []) for (const f of x.flows) if (!flowNames.includes(f.flow)) flowNames.push(f.flow);
  const lines = [['scenario', 'branch', 'seed', ...SAMPLE_COLUMNS, ...flowNames.map((f) => `bytes:${f}`)].map(field).join(',')];
  for (const r of reports) {
    for (const x of r.series ?? []) {
      const bytes = flowNames.map((n) => {
        const f = x.flows.find((g) => g.flow === n);
        return f ? String(f.bytes) : '';
      });
      lines.push([field(r.scenario), field(r.branch), String(r.seed), ...SAMPLE_COLUMNS.map((c) => String(x[c])), ...bytes].join(','));
    }
  }
  return lines.join('\n') + '\n';
}
