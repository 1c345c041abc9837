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

/** Findings and counters of a step scenario given as step lines (contract §2.1 syntax). */
export interface StepOutcome {
  violations: Record<string, number>;
  leaks: Record<string, number>;
  counters: Report['counters'];
}

/** Runs step lines under a branch, with knob overrides, an MTU and the scenario's xdp mode. */
export function runStepLines(
  branch: string,
  steps: readonly string[],
  o: { set?: Record<string, string> | undefined; mtu?: number | undefined; xdp?: string | undefined; platform?: string | undefined } = {},
): StepOutcome {
  const yaml = ['name: steps', `nic: { mtu: ${o.mtu ?? 1500} }`, ...(o.xdp ? [`xdp: ${o.xdp}`] : []), 'steps:', ...steps.map((s) => `  - ${s}`), ''].join('\n');
  const r = runYaml(yaml, { branch, ...(o.set ? { set: o.set } : {}), ...(o.platform ? { platform: o.platform } : {}) });
  return {
    violations: Object.fromEntries(r.violations.map((v) => [v.kind, v.count])),
    leaks: Object.fromEntries(r.leaks.map((l) => [l.kind, l.count])),
    counters: r.counters,
  };
}
