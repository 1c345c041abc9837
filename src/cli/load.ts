import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, type SourceLoc } from '../kernel/errors.js';
import { KNOB_NAMES, PLATFORM_FACT_NAMES } from '../kernel/knobs.js';
import { factText, PLATFORMS, resolveConfig, type BranchDef, type Override, type ResolvedConfig, type Setup } from '../sim/config.js';
import type { Report } from '../sim/report.js';
import type { Scenario } from '../sim/scenario.js';
import { loadBranchDir, parseBranch } from '../workload/branches.js';
import { parseScenario } from '../workload/parse.js';
import { ROOT } from './context.js';

export const SCENARIO_DIR = join(ROOT, 'scenarios');
export const BRANCH_DIR = join(ROOT, 'branches');
export const DEFAULT_BRANCH = 'upstream-6.1';
export const DEFAULT_PLATFORM = 'espressobin';

export function readText(file: string): string {
  try {
    if (statSync(file).isDirectory()) throw new InputError('is a directory, not a scenario file', { file });
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`, { file });
  }
}

/** A built-in scenario name (scenarios/<name>.yaml or scenarios/steps/<name>.yaml) or a path. */
export function scenarioPath(arg: string): string {
  if (/^[a-z0-9-]+$/.test(arg)) {
    for (const p of [join(SCENARIO_DIR, `${arg}.yaml`), join(SCENARIO_DIR, 'steps', `${arg}.yaml`)]) if (existsSync(p)) return p;
    if (!existsSync(arg)) throw new InputError(`no built-in scenario '${arg}' and no such file (see pp-sim list scenarios)`, { file: arg });
  }
  return arg;
}

export function loadScenario(arg: string): Scenario {
  const file = scenarioPath(arg);
  return parseScenario(readText(file), file);
}

/** Built-in branches, plus a user branch file when --branch names a path. */
export function loadBranches(branchArg?: string): { branches: BranchDef[]; name: string | undefined } {
  const branches = loadBranchDir(BRANCH_DIR);
  if (branchArg && isBranchFile(branchArg)) {
    const b = parseBranch(readText(branchArg), branchArg);
    if (branches.some((x) => x.name === b.name || x.aliases.includes(b.name))) {
      throw new InputError(`branch '${b.name}' is already a built-in branch; give yours another name`, { file: branchArg, key: 'name' });
    }
    branches.push(b);
    return { branches, name: b.name };
  }
  return { branches, name: branchArg };
}

export interface ConfigOptions {
  branch?: string;
  platform?: string;
  set?: string[];
  /** Where errors about the branch point (default `--branch`). */
  branchLoc?: SourceLoc;
  /** Overrides applied after `--set` (a compare operand's `branch:knob=value`). */
  overrides?: Override[];
}

/** True when a --branch argument names a branch file rather than a branch. */
export function isBranchFile(arg: string): boolean {
  return arg.endsWith('.yaml') || arg.endsWith('.yml') || arg.includes('/');
}

/** Parses `--set knob=value` arguments. */
export function parseSetArgs(sets: readonly string[] | undefined): Override[] {
  return (sets ?? []).map((s) => {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(s);
    if (!m) throw new InputError(`--set takes knob=value, got '${s}'`, { file: '--set', key: s });
    return { key: m[1]!, value: m[2]!, loc: { file: '--set', key: m[1]! } };
  });
}

/** Knob precedence: --set over the scenario's set: over the branch; --branch replaces the scenario's branch. */
export function configFor(s: Scenario, o: ConfigOptions): ResolvedConfig {
  const { branches, name } = loadBranches(o.branch);
  const branch = name ?? s.branch ?? DEFAULT_BRANCH;
  const branchLoc = name ? (o.branchLoc ?? { file: '--branch' }) : s.keyLoc.branch;
  const platform = o.platform ?? s.platform ?? DEFAULT_PLATFORM;
  const platformLoc = o.platform ? { file: '--platform' } : s.keyLoc.platform;
  const overrides: Override[] = Object.entries(s.set).map(([key, value]) => ({ key, value, loc: s.setLoc[key] }));
  overrides.push(...parseSetArgs(o.set), ...(o.overrides ?? []));
  const config = resolveConfig(branches, branch, branchLoc, platform, platformLoc, overrides);
  if (o.branch !== undefined && isBranchFile(o.branch)) config.setup.branchFile = o.branch;
  return config;
}

/** The overrides of a report read back from JSON (merge), from its knobs and facts against its built-in branch and platform. */
export function setupOfReport(r: Report): Setup | undefined {
  const { branches } = loadBranches();
  const platform = PLATFORMS.find((p) => p.name === r.platform);
  if (!platform || !branches.some((b) => b.name === r.branch)) return undefined;
  const base = resolveConfig(branches, r.branch, undefined, r.platform, undefined, []).knobs as unknown as Record<string, string>;
  const f0 = platform.facts as unknown as Record<string, boolean | number>;
  return {
    knobs: KNOB_NAMES.flatMap((k) => {
      const v = r.knobs[k];
      return v !== undefined && v !== 'n/a' && v !== base[k] ? [`${k}=${v}`] : [];
    }),
    facts: PLATFORM_FACT_NAMES.flatMap((k) => {
      const v = r.platform_facts[k];
      return typeof v !== 'string' && v !== undefined && v !== f0[k] ? [`${k}=${factText(k, v)}`] : [];
    }),
  };
}

export { PLATFORMS };
