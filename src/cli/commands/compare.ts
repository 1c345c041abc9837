import { InputError, type SourceLoc } from '../../kernel/errors.js';
import { UnsupportedError, type Override } from '../../sim/config.js';
import type { Report } from '../../sim/report.js';
import { renderCompare, type CompareCell } from '../../report/compare.js';
import { plural } from '../../report/human.js';
import { renderCompareJson } from '../../report/json.js';
import type { Scenario } from '../../sim/scenario.js';
import { useColor, writeOutput, type Io } from '../context.js';
import { configFor, DEFAULT_PLATFORM, isBranchFile, loadBranches, readText, scenarioFromText, scenarioPath } from '../load.js';
import { parseJobs, runCost, runTasks, startWorkers, type CompareTask } from '../jobs.js';
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
  jobs?: string;
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
  const jobs = parseJobs(o.jobs);
  startWorkers(jobs);
  const scenarios = (o.scenario && o.scenario.length > 0 ? o.scenario : DEFAULT_COMPARE).map((arg) => {
    const file = scenarioPath(arg);
    const text = readText(file);
    return { file, text, scenario: scenarioFromText(text, file) };
  });
  const cfgOf = (op: Operand): CompareTask['cfg'] => ({ branch: op.branch, branchLoc: op.loc, set: o.set ?? [], overrides: op.overrides, ...(o.platform ? { platform: o.platform } : {}) });
  const configOf = (s: Scenario, op: Operand): ReturnType<typeof configFor> => configFor(s, cfgOf(op));
  // Every operand is checked before anything runs; what a branch cannot run is a skipped cell later.
  for (const op of operands) {
    loadBranches(op.branch);
    try {
      configOf(scenarios[0]!.scenario, op);
    } catch (e) {
      if (!(e instanceof UnsupportedError)) throw e;
    }
  }
  const seedArg = parseSeed(o.seed);
  const durationArg = parseDuration(o.duration);
  const stepOnly = scenarios.find((s) => s.scenario.steps);
  if (durationArg !== undefined && stepOnly && scenarios.every((s) => s.scenario.steps)) throw stepDurationError(stepOnly.scenario.name);
  const intervalNs = parseInterval(o.interval, Math.max(durationArg ?? 0, ...scenarios.map((s) => durationArg ?? s.scenario.durationNs)));
  const reports: Report[] = [];
  const jsonToStdout = o.json === '-';
  const human = jsonToStdout ? io.stderr : io.stdout;
  const color = useColor(io, o, jsonToStdout);
  const progress = new Progress(io, o);
  const total = scenarios.length * operands.length;
  const tasks: CompareTask[] = scenarios.flatMap((s) => operands.map((op): CompareTask => ({
    kind: 'compare', file: s.file, text: s.text, cfg: cfgOf(op), seed: seedArg, durationNs: durationArg, intervalNs,
  })));
  const cost = tasks.map((_, i) => {
    const s = scenarios[Math.floor(i / operands.length)]!.scenario;
    return runCost(s, durationArg ?? s.durationNs);
  });
  const order = tasks.map((_, i) => i).sort((a, b) => cost[b]! - cost[a]! || a - b);
  const labelOf = (i: number): string => {
    const s = scenarios[Math.floor(i / operands.length)]!.scenario;
    return `compare ${s.name} [${operands[i % operands.length]!.branch}]`;
  };
  let done = 0;
  const settled = runTasks(tasks, jobs, order, {
    onStart: (i) => { progress.update(labelOf(i), done / total); },
    onProgress: (i, t, n) => { progress.update(labelOf(i), (done + t / n) / total); },
    // with workers running the cases, this thread only sees them finish (with one thread, onStart names each)
    onDone: (n) => {
      done = n;
      if (jobs > 1) progress.update(`compare: ${String(n)} of ${String(total)} runs done`, n / total);
    },
  });
  let clean = 0;
  let skipped = 0;
  let next = 0;
  for (const { scenario: s0 } of scenarios) {
    const scenario = { ...s0, expect: undefined };
    const seed = seedArg ?? scenario.seed;
    const durationNs = durationArg ?? scenario.durationNs;
    const cells: CompareCell[] = [];
    for (const op of operands) {
      const r = settled[next++];
      if (!r) throw new Error(`compare ${scenario.name} [${op.branch}] has no result`);
      if (!r.ok) {
        progress.done();
        throw r.error;
      }
      if ('unsupported' in r.value) {
        skipped++;
        const knobs = op.overrides.map((x) => `${x.key}=${x.value}`);
        cells.push({ branch: op.branch, skipped: r.value.unsupported, setup: { ...(isBranchFile(op.branch) ? { branchFile: op.branch } : {}), knobs, facts: [] } });
        continue;
      }
      const { report } = r.value;
      reports.push(report);
      cells.push({ branch: report.branch, report });
      if (report.violations.length === 0 && report.leaks.length === 0) clean++;
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
