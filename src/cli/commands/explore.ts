import { join } from 'node:path';
import { InputError } from '../../kernel/errors.js';
import { Explorer, stepScenario, type ExploreFinding, type ExploreResult, type ExploreStats, type FirstSeen } from '../../explore/explore.js';
import { exploreArgs, findingYaml } from '../../explore/emit.js';
import type { Board } from '../../explore/ops.js';
import type { ResolvedConfig } from '../../sim/config.js';
import { checkScenarioSupport } from '../../sim/run.js';
import type { Step, XdpMode } from '../../sim/scenario.js';
import { parseTime } from '../../workload/units.js';
import { VERSION, writeOutput, type Io } from '../context.js';
import { configFor } from '../load.js';
import { parseJobs, runTasks, startWorkers, type ExploreSequencesTask, type ExploreSetup, type ExploreShrinkTask } from '../jobs.js';
import { Progress } from '../progress.js';
import { parseSeed } from './run.js';

export interface ExploreCliOptions {
  branch?: string;
  set?: string[];
  platform?: string;
  seed?: string;
  runs?: string;
  jobs?: string;
  maxSteps?: string;
  timeLimit?: string;
  mtu?: string;
  xdp?: string;
  out?: string;
  json?: string;
  expectClean?: boolean;
  quiet?: boolean;
  progress?: boolean;
}

/** The explored board unless --mtu/--xdp say otherwise: a jumbo MTU, so multi-buffer frames occur. */
const DEFAULT_BOARD: Board = { mtu: 9000, rxRing: 512, xdp: 'none' };
const MAX_RUNS = 10_000_000;
const MAX_STEPS = 200;
const XDP_MODES: readonly XdpMode[] = ['none', 'pass', 'drop', 'tx', 'redirect'];

function intOption(flag: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InputError(`takes an integer ${min}..${max}, got '${v}'`, { file: flag });
  return Number(v);
}

function fileName(branch: string, f: ExploreFinding, i: number): string {
  return `${branch.replace(/[^a-z0-9-]+/gi, '-').toLowerCase()}-${f.kind}-${i + 1}`;
}

/** Sequences per task: a few tasks per thread, so threads finish together. */
function chunkSize(runs: number, jobs: number): number {
  return Math.max(1, Math.min(2000, Math.ceil(runs / (jobs * 8))));
}

/**
 * The explorer on `jobs` threads: batches of sequences first, then every finding's shrinking.
 * Findings and their order are those of one thread running the sequences in order; under a time
 * limit, the sequences counted are the longest run of consecutive ones that all ran.
 */
function exploreOnThreads(jobs: number, config: ResolvedConfig, setup: ExploreSetup, runs: number, timeLimitMs: number | undefined, show: (s: ExploreStats) => void): ExploreResult {
  // what the branch cannot explore is refused here, as one thread would refuse it
  checkScenarioSupport(stepScenario('explore', setup.board, []), config);
  const size = chunkSize(runs, jobs);
  const stopAt = timeLimitMs === undefined ? undefined : Date.now() + timeLimitMs;
  const tasks: ExploreSequencesTask[] = [];
  for (let from = 1; from <= runs; from += size) tasks.push({ kind: 'explore-sequences', setup, from, to: Math.min(runs, from + size - 1), stopAt });
  const batches = runTasks(tasks, jobs, undefined, {
    onDone: (n) => { show({ runs: Math.min(runs, n * size), steps: 0, findings: 0 }); },
  }).map((r, i) => {
    if (!r) throw new Error(`sequences ${String(tasks[i]!.from)}.. have no result`);
    if (!r.ok) throw r.error;
    return r.value;
  });
  const res: ExploreResult = { runs: 0, steps: 0, findings: [], stopped: 'runs' };
  const seen = new Set<string>();
  const firsts: { found: FirstSeen; steps: Step[] }[] = [];
  for (const [i, b] of batches.entries()) {
    res.runs += b.runs;
    res.steps += b.steps;
    for (const first of b.firsts) {
      for (const f of first.found) {
        if (seen.has(f.key)) continue;
        seen.add(f.key);
        firsts.push({ found: f, steps: first.steps });
      }
    }
    if (b.runs < tasks[i]!.to - tasks[i]!.from + 1) {
      res.stopped = 'time';
      break;
    }
  }
  const shrinks: ExploreShrinkTask[] = firsts.map(({ found, steps: s }) => ({ kind: 'explore-shrink', setup, found, steps: s }));
  res.findings = runTasks(shrinks, jobs).map((r, i) => {
    if (!r) throw new Error(`finding ${firsts[i]!.found.key} has no result`);
    if (!r.ok) throw r.error;
    return r.value;
  });
  show({ runs: res.runs, steps: res.steps, findings: res.findings.length });
  return res;
}

/** pp-sim explore: generated step sequences on one branch; shrunk scenarios for what they find. */
export function exploreCommand(io: Io, o: ExploreCliOptions): number {
  const cfg = { set: o.set ?? [], ...(o.branch !== undefined ? { branch: o.branch } : {}), ...(o.platform !== undefined ? { platform: o.platform } : {}) };
  const config: ResolvedConfig = configFor(stepScenario('explore', DEFAULT_BOARD, []), cfg);
  const jobs = parseJobs(o.jobs);
  startWorkers(jobs);
  const seed = parseSeed(o.seed) ?? 1;
  const runs = intOption('--runs', o.runs, 1000, 1, MAX_RUNS);
  const maxSteps = intOption('--max-steps', o.maxSteps, 12, 1, MAX_STEPS);
  const board: Board = {
    mtu: intOption('--mtu', o.mtu, DEFAULT_BOARD.mtu, 68, 9676),
    rxRing: DEFAULT_BOARD.rxRing,
    xdp: DEFAULT_BOARD.xdp,
  };
  if (o.xdp !== undefined) {
    if (!XDP_MODES.includes(o.xdp as XdpMode)) throw new InputError(`takes ${XDP_MODES.join(' | ')}, got '${o.xdp}'`, { file: '--xdp' });
    board.xdp = o.xdp as XdpMode;
  }
  let timeLimitMs: number | undefined;
  if (o.timeLimit !== undefined) {
    try {
      timeLimitMs = parseTime(o.timeLimit) / 1e6;
    } catch (e) {
      throw new InputError((e as Error).message, { file: '--time-limit' });
    }
  }
  const clock = io.clock ?? (() => performance.now());
  const progress = new Progress(io, o);
  const t0 = clock();
  const show = (s: ExploreStats): void => {
    const secs = (clock() - t0) / 1000;
    const rate = secs > 0 ? Math.round(s.steps / secs) : 0;
    progress.update(`explore ${config.branch}: ${s.runs} sequences, ${rate} steps/s, ${s.findings} found`, timeLimitMs ? (clock() - t0) / timeLimitMs : s.runs / runs);
  };
  let result: ExploreResult;
  try {
    result = jobs === 1
      ? new Explorer({ config, board, seed, runs, maxSteps, timeLimitMs, now: clock, onRun: show }).run()
      : exploreOnThreads(jobs, config, { cfg, board, seed, maxSteps }, runs, timeLimitMs, show);
  } finally {
    progress.done();
  }
  const secs = (clock() - t0) / 1000;
  const args = exploreArgs(config, o.set ?? [], board, DEFAULT_BOARD);
  const branchArg = o.branch ?? config.branch;
  const setOverrides = Object.fromEntries((o.set ?? []).map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]));
  const found = result.findings.map((f, i) => {
    const name = fileName(config.branch, f, i);
    const file = o.out !== undefined ? join(o.out, `${name}.yaml`) : `${name}.yaml`;
    const rerun = [`pp-sim run ${file}`, ...(branchArg !== config.branch ? [`--branch ${branchArg}`] : []), ...(o.platform ? [`--platform ${o.platform}`] : [])].join(' ');
    const yaml = findingYaml(f, name, {
      config,
      setOverrides,
      board,
      command: `pp-sim explore ${args} --seed ${seed} --runs ${runs} --max-steps ${maxSteps}`,
    });
    return { f, name, file, rerun, yaml };
  });
  if (o.out !== undefined) for (const x of found) writeOutput(io, x.file, x.yaml);
  if (o.json !== undefined) {
    const doc = {
      schema: 'pp-sim/explore@1',
      tool: { name: 'pp-sim', version: VERSION },
      branch: config.branch,
      platform: config.platform,
      knobs: config.knobs,
      board: { mtu: board.mtu, rx_ring: board.rxRing, xdp: board.xdp },
      seed,
      runs: result.runs,
      steps: result.steps,
      stopped: result.stopped,
      findings: found.map(({ f, name, rerun, yaml }) => ({
        name, class: f.class, kind: f.kind, kernel: f.kernel, object: f.object, path: f.path,
        sequence: f.run, generated_steps: f.generatedSteps, shrunk_steps: f.steps.length, shrink_runs: f.shrinkRuns,
        scenario: yaml, rerun,
      })),
    };
    writeOutput(io, o.json, `${JSON.stringify(doc, null, 2)}\n`);
  }
  const out = o.json === '-' ? io.stderr : io.stdout;
  if (!o.quiet) {
    const lines: string[] = [];
    lines.push(`explore  ${args}  seed ${seed}  max-steps ${maxSteps}  mtu ${board.mtu}`);
    const rate = secs > 0 ? `, ${Math.round(result.runs / secs)} sequences/s, ${Math.round(result.steps / secs)} steps/s` : '';
    lines.push(`${result.runs} sequences (${result.steps} steps) in ${secs.toFixed(1)} s${rate}${result.stopped === 'time' ? ', stopped by --time-limit' : ''}`);
    for (const [i, { f, rerun, yaml }] of found.entries()) {
      lines.push('');
      lines.push(`finding ${i + 1}: ${f.class} ${f.kind}: ${f.object}`);
      lines.push(`  ${f.kernel}`);
      lines.push(`  call path: ${f.path.join(' → ')}`);
      lines.push(`  first seen in sequence ${f.run} (${f.generatedSteps} steps), shrunk to ${f.steps.length} in ${f.shrinkRuns} reruns`);
      if (o.out === undefined) {
        lines.push('  scenario:');
        for (const l of yaml.trimEnd().split('\n')) lines.push(`    ${l}`);
      }
      lines.push(`  rerun: ${rerun}${o.out === undefined ? '   (after saving the scenario above; --out writes it)' : ''}`);
    }
    out(`${lines.join('\n')}\n\n`);
  }
  const n = found.length;
  out(`pp-sim: explore ${config.branch}: ${n === 0 ? 'nothing found' : `${n} finding${n === 1 ? '' : 's'}`} in ${result.runs} sequences\n`);
  return o.expectClean && n > 0 ? 1 : 0;
}
