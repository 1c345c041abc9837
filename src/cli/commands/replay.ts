import { basename, extname, resolve } from 'node:path';
import { InputError } from '../../kernel/errors.js';
import { closingLine, formatNs, renderRun } from '../../report/human.js';
import { renderReportJson } from '../../report/json.js';
import { renderJunit } from '../../report/junit.js';
import type { Report } from '../../sim/report.js';
import { defaultScenario, type Host, type Scenario } from '../../sim/scenario.js';
import { openCapture } from '../../workload/pcap.js';
import { HOST_TAG, runScenarioFull } from '../../workload/run.js';
import { useColor, VERSION, writeOutput, type Io } from '../context.js';
import { configFor } from '../load.js';
import { Progress } from '../progress.js';
import { parseInterval, writePictures } from '../pictures.js';
import { parseDuration, parseSeed, type RunCliOptions } from './run.js';

export interface ReplayCliOptions extends RunCliOptions {
  to?: string;
  timing?: string;
  udpSockets?: string;
  taps?: string;
  reader?: string;
  mtu?: string;
  pcapOut?: string;
}

function intFlag(name: string, v: string | undefined, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InputError(`takes an integer ${min}..${max}, got '${v}'`, { file: name });
  return Number(v);
}

function oneOf<T extends string>(name: string, v: string | undefined, values: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  const hit = values.find((x) => x === v);
  if (hit === undefined) throw new InputError(`takes one of ${values.join(' | ')}, got '${v}'`, { file: name });
  return hit;
}

/** The report's scenario name: the capture's file name in the contract's [a-z0-9-]+ form. */
function nameOf(file: string): string {
  const n = basename(file, extname(file)).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return n === '' ? 'replay' : n;
}

/** The board's setup a pp-sim export records in its section comment (`pp-sim-host: k=v ...`). */
function recordedHost(capture: string): Map<string, string> {
  const r = openCapture(capture);
  const c = r.sectionComment;
  r.close();
  const m = new Map<string, string>();
  const line = c?.split('\n').find((l) => l.startsWith(HOST_TAG));
  for (const kv of line?.slice(HOST_TAG.length).trim().split(/\s+/) ?? []) {
    const [k, v] = kv.split('=');
    if (k && v) m.set(k, v);
  }
  return m;
}

/** A traffic scenario whose only flow is the capture; host flags, else the setup a pp-sim export records, else defaults. */
export function replayScenario(capture: string, o: ReplayCliOptions, note: (line: string) => void = () => undefined): Scenario {
  const rec = recordedHost(capture);
  const used: string[] = [];
  const from = (flag: string | undefined, key: string): string | undefined => {
    if (flag !== undefined) return flag;
    const v = rec.get(key);
    if (v !== undefined) used.push(`${key} ${v}`);
    return v;
  };
  const host: Host = {
    udpSockets: intFlag('--udp-sockets', from(o.udpSockets, 'udp_sockets'), 0, 64, 1),
    taps: intFlag('--taps', from(o.taps, 'taps'), 0, 16, 0),
    tapMode: oneOf('tap_mode', from(undefined, 'tap_mode'), ['mmap', 'copy'] as const, 'mmap'),
    reader: oneOf('--reader', from(o.reader, 'reader'), ['fast', 'slow', 'stalled'] as const, 'fast'),
    readMode: oneOf('read_mode', from(undefined, 'read_mode'), ['copy', 'splice', 'zerocopy'] as const, 'copy'),
  };
  const timing = oneOf('--timing', o.timing, ['recorded', 'line'] as const, 'recorded');
  const mtu = intFlag('--mtu', from(o.mtu, 'mtu'), 68, 9676, 1500);
  if (used.length > 0) note(`${capture}: the board as the pp-sim run that wrote it: ${used.join(', ')} (flags override)`);
  return {
    ...defaultScenario(nameOf(capture), capture),
    description: `replay of ${capture}`,
    nic: { mtu, rxRing: 512 },
    // The flow's path is resolved against the scenario file's folder: give it absolute.
    traffic: [{ kind: 'pcap', file: resolve(capture), to: o.to, timing, loc: { file: '--to' } }],
    host,
  };
}

/** pp-sim replay <capture>: the capture's frames through the board; exit 0 clean, 1 findings. */
export function replayCommand(io: Io, capture: string, o: ReplayCliOptions): number {
  const scenario = replayScenario(capture, o, (l) => { io.stderr(`pp-sim: ${l}\n`); });
  const config = configFor(scenario, o);
  const seed = parseSeed(o.seed) ?? scenario.seed;
  const cut = parseDuration(o.duration);
  const progress = new Progress(io, o);
  const label = `replay ${scenario.name} [${config.branch}]`;
  let report: Report;
  try {
    report = runScenarioFull(
      {
        scenario, config, seed, durationNs: cut ?? 0, intervalNs: parseInterval(o.interval, cut), toolVersion: VERSION, holders: o.holders === true,
        onProgress: (t, total) => { progress.update(`${label} ${formatNs(t)}/${formatNs(total)}`, t / total); },
      },
      { durationExplicit: cut !== undefined, ...(o.pcapOut !== undefined ? { pcapOut: o.pcapOut } : {}), note: (l, kind) => { if (kind === 'choice' || !o.quiet) io.stderr(`pp-sim: ${l}\n`); } },
    );
  } finally {
    progress.done();
  }
  const jsonToStdout = o.json === '-';
  if (o.json !== undefined) writeOutput(io, o.json, renderReportJson(report));
  if (o.junit !== undefined) writeOutput(io, o.junit, renderJunit([{ scenario: scenario.name, branch: report.branch, file: capture, report }]));
  writePictures(io, o, [report], `pp-sim replay ${capture} --branch ${report.branch}`, false);
  const human = jsonToStdout ? io.stderr : io.stdout;
  const pass = report.result === 'pass';
  if (!o.quiet) human(renderRun(report, { color: useColor(io, o, jsonToStdout) }));
  human(`${closingLine(pass ? 1 : 0, pass ? 0 : 1)}\n`);
  return pass ? 0 : 1;
}
