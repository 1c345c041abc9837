import { InputError, type SourceLoc } from '../../kernel/errors.js';
import { UnsupportedError, type Override } from '../../sim/config.js';
import type { Report } from '../../sim/report.js';
import { renderCompare, type CompareCell } from '../../report/compare.js';
import { plural } from '../../report/human.js';
import { renderCompareJson } from '../../report/json.js';
import { runScenarioFull } from '../../workload/run.js';
import { useColor, VERSION, writeOutput, type Io } from '../context.js';
import { configFor, DEFAULT_PLATFORM, isBranchFile, loadBranches, loadScenario } from '../load.js';
import { Progress } from '../progress.js';
import { parseInterval, writePictures, type PictureOptions } from '../pictures.js';
import { parseDuration, parseSeed, stepDurationError } from './run.js';

/** The workloads of the original test notes, plus the tap run and XDP_DROP (contract §1). */
export const DEFAULT_COMPARE = ['multicast', 'tcp', 'jumbo', 'multicast-tap', 'xdp-drop'];

export interface CompareOptions extends PictureOptions {
  scenario?: string[];
  set?: string[];
  platform?: string;
  seed?: string;
  duration?: string;
  json?: string;
  quiet?: boolean;
  color?: boolean;
  progress?: boolean;
}

/** One column of compare: `branch`, `branch.yaml`, or either with `:knob=value[,knob=value]`. */
interface Operand {
  arg: string;
  branch: string;
  overrides: Override[];
  loc: SourceLoc;
}

export function parseOperand(arg: string): Operand {
  const loc = { file: `compare ${arg}` };
  const m = /^(.+?):([A-Za-z0-9_.-]+=.*)$/.exec(arg);
  if (!m) return { arg, branch: arg, overrides: [], loc };
  const overrides = m[2]!.split(',').map((kv): Override => {
    const p = /^([A-Za-z0-9_.-]+)=([^=]+)$/.exec(kv);
    if (!p) throw new InputError(`takes branch:knob=value[,knob=value...], got '${kv}'`, loc);
    return { key: p[1]!, value: p[2]!, loc: { ...loc, key: p[1]! } };
  });
  return { arg, branch: m[1]!, overrides, loc };
}

/** pp-sim compare <branch>...: same traffic and seed per branch, side by side; findings are data (exit 0). */
export function compareCommand(io: Io, branchArgs: string[], o: CompareOptions): number {
  if (branchArgs.length === 0) throw new InputError('compare needs at least one branch', { file: 'compare' });
  const operands = branchArgs.map(parseOperand);
  const scenarios = (o.scenario && o.scenario.length > 0 ? o.scenario : DEFAULT_COMPARE).map(loadScenario);
  const configOf = (s: (typeof scenarios)[number], op: Operand): ReturnType<typeof configFor> =>
    configFor(s, { branch: op.branch, branchLoc: op.loc, set: o.set ?? [], overrides: op.overrides, ...(o.platform ? { platform: o.platform } : {}) });
  // Every operand is checked before anything runs; what a branch cannot run is a skipped cell later.
  for (const op of operands) {
    loadBranches(op.branch);
    try {
      configOf(scenarios[0]!, op);
    } catch (e) {
      if (!(e instanceof UnsupportedError)) throw e;
    }
  }
  const seedArg = parseSeed(o.seed);
  const durationArg = parseDuration(o.duration);
  const stepOnly = scenarios.find((s) => s.steps);
  if (durationArg !== undefined && stepOnly && scenarios.every((s) => s.steps)) throw stepDurationError(stepOnly.name);
  const intervalNs = parseInterval(o.interval, Math.max(durationArg ?? 0, ...scenarios.map((s) => durationArg ?? s.durationNs)));
  const reports: Report[] = [];
  const jsonToStdout = o.json === '-';
  const human = jsonToStdout ? io.stderr : io.stdout;
  const color = useColor(io, o, jsonToStdout);
  const progress = new Progress(io, o);
  const total = scenarios.length * operands.length;
  let done = 0;
  let clean = 0;
  let skipped = 0;
  for (const s0 of scenarios) {
    const scenario = { ...s0, expect: undefined };
    const seed = seedArg ?? scenario.seed;
    const durationNs = durationArg ?? scenario.durationNs;
    const cells: CompareCell[] = [];
    for (const op of operands) {
      try {
        const config = configOf(scenario, op);
        const label = `compare ${scenario.name} [${config.branch}]`;
        const at = done;
        const report = runScenarioFull({
          scenario, config, seed, durationNs, intervalNs, toolVersion: VERSION,
          onProgress: (t, n) => { progress.update(label, (at + t / n) / total); },
        });
        reports.push(report);
        cells.push({ branch: report.branch, report });
        if (report.violations.length === 0 && report.leaks.length === 0) clean++;
      } catch (e) {
        if (!(e instanceof UnsupportedError)) {
          progress.done();
          throw e;
        }
        skipped++;
        const knobs = op.overrides.map((x) => `${x.key}=${x.value}`);
        cells.push({ branch: op.branch, skipped: e.message, setup: { ...(isBranchFile(op.branch) ? { branchFile: op.branch } : {}), knobs, facts: [] } });
      }
      done++;
    }
    progress.done();
    if (!o.quiet) human(`${renderCompare({ scenario: scenario.name, seed, durationNs, steps: scenario.steps !== undefined, platform: o.platform ?? scenario.platform ?? DEFAULT_PLATFORM }, cells, { color })}\n`);
  }
  if (o.json !== undefined) writeOutput(io, o.json, renderCompareJson(reports));
  writePictures(io, o, reports, `pp-sim compare ${branchArgs.join(' ')}`, true);
  const findings = reports.length - clean;
  human(`pp-sim: ${plural(total, 'run')} (${plural(operands.length, 'branch')} × ${plural(scenarios.length, 'scenario')}): ${String(clean)} clean, ${String(findings)} with findings, ${String(skipped)} skipped\n`);
  return 0;
}
