import { fileURLToPath } from 'node:url';
import { resolveConfig, type Override } from '../src/sim/config.js';
import type { Report } from '../src/sim/report.js';
import { loadBranchDir } from '../src/workload/branches.js';
import { parseScenario } from '../src/workload/parse.js';
import { runScenarioFull } from '../src/workload/run.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const BRANCHES = loadBranchDir(`${ROOT}branches`);

/** Runs a scenario given as YAML text under a branch (default: the file's, else upstream-6.1). */
export function runYaml(yaml: string, o: { branch?: string; set?: Record<string, string>; platform?: string; duration?: number; interval?: number } = {}): Report {
  const s = parseScenario(yaml, 'test.yaml');
  const overrides: Override[] = Object.entries({ ...s.set, ...(o.set ?? {}) }).map(([key, value]) => ({ key, value, loc: undefined }));
  const config = resolveConfig(BRANCHES, o.branch ?? s.branch ?? 'upstream-6.1', undefined, o.platform ?? s.platform ?? 'espressobin', undefined, overrides);
  return runScenarioFull({ scenario: s, config, seed: s.seed, durationNs: o.duration ?? s.durationNs, intervalNs: o.interval, toolVersion: 'test' });
}

export function kinds(r: Report): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of r.violations) out[v.kind] = v.count;
  for (const l of r.leaks) out[`leak:${l.kind}`] = l.count;
  return out;
}
