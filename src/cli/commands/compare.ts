import { InputError } from '../../kernel/errors.js';
import { UnsupportedError } from '../../sim/config.js';
import type { Report } from '../../sim/report.js';
import { renderCompare, type CompareCell } from '../../report/compare.js';
import { renderCompareJson } from '../../report/json.js';
import { runScenarioFull } from '../../workload/run.js';
import { useColor, VERSION, writeOutput, type Io } from '../context.js';
import { configFor, loadBranches, loadScenario } from '../load.js';
import { Progress } from '../progress.js';
import { parseInterval, writePictures, type PictureOptions } from '../pictures.js';
import { parseDuration, parseSeed } from './run.js';

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

/** pp-sim compare <branch>...: same traffic and seed per branch, side by side; findings are data (exit 0). */
export function compareCommand(io: Io, branchArgs: string[], o: CompareOptions): number {
  if (branchArgs.length === 0) throw new InputError('compare needs at least one branch', { file: 'compare' });
  for (const b of branchArgs) loadBranches(b);
  const scenarios = (o.scenario && o.scenario.length > 0 ? o.scenario : DEFAULT_COMPARE).map(loadScenario);
  const seedArg = parseSeed(o.seed);
  const durationArg = parseDuration(o.duration);
  const intervalNs = parseInterval(o.interval, Math.max(durationArg ?? 0, ...scenarios.map((s) => durationArg ?? s.durationNs)));
  const reports: Report[] = [];
  const jsonToStdout = o.json === '-';
  const human = jsonToStdout ? io.stderr : io.stdout;
  const color = useColor(io, o, jsonToStdout);
  const progress = new Progress(io, o);
  const total = scenarios.length * branchArgs.length;
  let done = 0;
  for (const s0 of scenarios) {
    const scenario = { ...s0, expect: undefined };
    const cells: CompareCell[] = [];
    for (const b of branchArgs) {
      let config;
      try {
        config = configFor(scenario, { branch: b, set: o.set ?? [], ...(o.platform ? { platform: o.platform } : {}) });
        const label = `compare ${scenario.name} [${config.branch}]`;
        const at = done;
        const report = runScenarioFull({
          scenario, config, seed: seedArg ?? scenario.seed, durationNs: durationArg ?? scenario.durationNs, intervalNs, toolVersion: VERSION,
          onProgress: (t, n) => { progress.update(label, (at + t / n) / total); },
        });
        reports.push(report);
        cells.push({ branch: report.branch, report });
      } catch (e) {
        if (e instanceof UnsupportedError) cells.push({ branch: b, skipped: e.message });
        else {
          progress.done();
          throw e;
        }
      }
      done++;
    }
    progress.done();
    if (!o.quiet) human(`${renderCompare(scenario.name, cells, { color })}\n`);
  }
  if (o.json !== undefined) writeOutput(io, o.json, renderCompareJson(reports));
  writePictures(io, o, reports, `pp-sim compare ${branchArgs.join(' ')}`, true);
  return 0;
}
