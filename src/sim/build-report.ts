import type { Counters, Kernel } from '../kernel/kernel.js';
import { COUNTER_NAMES } from '../kernel/names.js';
import type { ResolvedConfig } from './config.js';
import { evaluateExpect } from './expect.js';
import type { IntervalLine, PoolInterval, Report } from './report.js';
import type { Scenario } from './scenario.js';
import type { HoldersView } from './holders.js';

/** Counters as the report shows them: taken before teardown, with the at-the-end gauges filled in. */
export function snapshotCounters(k: Kernel): Counters {
  const c = { ...k.counters };
  let inflight = 0;
  for (const p of k.pools) if (p) inflight += p.inflight;
  c['page_pool.inflight'] = inflight;
  c['dma.mapped'] = c['dma.map'] - c['dma.unmap'];
  const sorted = {} as Counters;
  for (const n of [...COUNTER_NAMES].sort()) sorted[n] = c[n];
  return sorted;
}

export interface ReportInput {
  scenario: Scenario;
  config: ResolvedConfig;
  seed: number;
  toolVersion: string;
  kernel: Kernel;
  counters: Counters;
  sim: { duration_ns: number; frames: number; bytes: number };
  intervals?: IntervalLine[];
  holders?: HoldersView[];
  /** Draws from the seeded generator (0: the seed changed nothing). */
  randomChoices: number;
  poolIntervals?: PoolInterval[];
}

export function buildReport(r: ReportInput): Report {
  const k = r.kernel;
  const expect = evaluateExpect(r.scenario.expect, k, r.counters);
  const violations = k.findings.listViolations();
  const leaks = k.findings.listLeaks();
  const pass = r.scenario.expect ? expect.every((e) => e.ok) : violations.length === 0 && leaks.length === 0;
  const knobs: Record<string, string> = {};
  for (const key of Object.keys(r.config.knobs).sort()) knobs[key] = (r.config.knobs as unknown as Record<string, string>)[key]!;
  const facts: Record<string, string | number | boolean> = {};
  const f = r.config.facts as unknown as Record<string, string | number | boolean>;
  for (const key of Object.keys(f).sort()) facts[key] = f[key]!;
  const report: Report = {
    schema: 'pp-sim/report@1',
    tool: { name: 'pp-sim', version: r.toolVersion },
    scenario: r.scenario.name,
    branch: r.config.branch,
    platform: r.config.platform,
    knobs,
    seed: r.seed,
    platform_facts: facts,
    sim: r.sim,
    counters: r.counters,
    violations,
    leaks,
    expect,
    result: pass ? 'pass' : 'fail',
  };
  if (r.intervals) report.intervals = r.intervals;
  if (r.holders) report.holders = r.holders;
  if (k.log.length > 0) report.kernel_log = k.logSuppressed > 0 ? [...k.log, { t_ns: k.now, text: `(${k.logSuppressed} more lines not kept)` }] : [...k.log];
  report.randomChoices = r.randomChoices;
  if (r.poolIntervals) report.poolIntervals = r.poolIntervals;
  report.setup = r.config.setup;
  return report;
}
