import { runScenarioFull as runScenario } from '../../workload/run.js';
import type { Report } from '../../sim/report.js';
import { closingLine, formatNs, renderRun } from '../../report/human.js';
import { renderReportJson } from '../../report/json.js';
import { renderJunit } from '../../report/junit.js';
import { inflightLine } from '../../report/sparkline.js';
import { parseTime } from '../../workload/units.js';
import { InputError } from '../../kernel/errors.js';
import { useColor, VERSION, writeOutput, type Io } from '../context.js';
import { configFor, loadScenario } from '../load.js';
import { Progress } from '../progress.js';
import { parseInterval, writePictures, type PictureOptions } from '../pictures.js';

export interface RunCliOptions extends PictureOptions {
  branch?: string;
  set?: string[];
  platform?: string;
  seed?: string;
  duration?: string;
  json?: string;
  junit?: string;
  quiet?: boolean;
  color?: boolean;
  progress?: boolean;
  /** Write the frames the NIC received as pcapng. */
  pcapOut?: string;
  /** Holders views per interval and at the end. */
  holders?: boolean;
}

export function parseSeed(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) > 0xffffffff) throw new InputError(`takes an integer 0..4294967295, got '${s}'`, { file: '--seed' });
  return Number(s);
}

export function parseDuration(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  try {
    return parseTime(s);
  } catch (e) {
    throw new InputError((e as Error).message, { file: '--duration' });
  }
}

/** --duration given for a step scenario, which has no clock: refused rather than ignored. */
export function stepDurationError(name: string): InputError {
  return new InputError(`${name} is a step scenario: it has no simulated time and ends where its steps end; drop --duration`, { file: '--duration' });
}

/** pp-sim run <scenario>: exit 0 when the report passes, 1 when it fails. */
export function runCommand(io: Io, arg: string, o: RunCliOptions): number {
  const scenario = loadScenario(arg);
  const config = configFor(scenario, o);
  const seed = parseSeed(o.seed) ?? scenario.seed;
  const durationArg = parseDuration(o.duration);
  if (durationArg !== undefined && scenario.steps) throw stepDurationError(scenario.name);
  const durationNs = durationArg ?? scenario.durationNs;
  const intervalNs = parseInterval(o.interval, durationNs);
  const progress = new Progress(io, o);
  const label = `run ${scenario.name} [${config.branch}]`;
  let report: Report;
  try {
    report = runScenario({
      scenario, config, seed, durationNs, intervalNs, toolVersion: VERSION, holders: o.holders === true,
      onProgress: (t, total) => { progress.update(`${label} ${formatNs(t)}/${formatNs(total)}`, t / total); },
    }, {
      // pcap flows: without a duration the replay lasts as long as its capture.
      durationExplicit: durationArg !== undefined || scenario.keyLoc.duration !== undefined,
      ...(o.pcapOut !== undefined ? { pcapOut: o.pcapOut } : {}),
      note: (l, kind) => { if (kind === 'choice' || !o.quiet) io.stderr(`pp-sim: ${l}\n`); },
    });
  } finally {
    progress.done();
  }
  const jsonToStdout = o.json === '-';
  if (o.json !== undefined) writeOutput(io, o.json, renderReportJson(report));
  if (o.junit !== undefined) writeOutput(io, o.junit, renderJunit([{ scenario: scenario.name, branch: report.branch, file: scenario.file, report }]));
  writePictures(io, o, [report], `pp-sim run ${scenario.name} --branch ${report.branch}`, false);
  const human = jsonToStdout ? io.stderr : io.stdout;
  const pass = report.result === 'pass';
  if (!o.quiet) human(renderRun(report, { color: useColor(io, o, jsonToStdout) }));
  if (!o.quiet && io.isTTY && !jsonToStdout && (report.series?.length ?? 0) > 1) human(`${inflightLine(report.series!)}\n`);
  human(`${closingLine(pass ? 1 : 0, pass ? 0 : 1)}\n`);
  return pass ? 0 : 1;
}
