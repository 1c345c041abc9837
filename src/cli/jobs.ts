import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { InputError, InputErrors, type SourceLoc } from '../kernel/errors.js';
import { Explorer, stepScenario, type ExploreFinding, type FirstSeen, type SequenceBatch } from '../explore/explore.js';
import type { Board } from '../explore/ops.js';
import { UnsupportedError } from '../sim/config.js';
import type { Report } from '../sim/report.js';
import type { Scenario, Step } from '../sim/scenario.js';
import { runScenarioFull } from '../workload/run.js';
import { VERSION } from './context.js';
import { configFor, scenarioFromText, type ConfigOptions } from './load.js';

/** The most threads `--jobs` asks for. */
const MAX_JOBS = 256;

/** `--jobs n`: cases run at once (n workers; with 1, this thread); default: the cores. */
export function parseJobs(s: string | undefined): number {
  if (s === undefined) return Math.min(MAX_JOBS, availableParallelism());
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > MAX_JOBS) throw new InputError(`takes an integer 1..${MAX_JOBS}, got '${s}'`, { file: '--jobs' });
  return Number(s);
}

/**
 * Rough CPU µs of one received frame of `wireLen` bytes on the path it takes (measured per path on a
 * 2-core machine; only the ratios matter): an XDP program's verdict, or an skb per frame, dearer with
 * its bytes and with each tap.
 */
function frameCost(s: Scenario, wireLen: number): number {
  if (s.xdp === 'drop') return 0.3;
  if (s.xdp === 'tx' || s.xdp === 'redirect') return 0.6;
  return 0.5 + (0.37 * wireLen) / 1000 + 0.55 * s.host.taps;
}

/**
 * Rough work of a run, so the longest start first: the frames its flows offer in its simulated
 * time, each at frameCost. A UDP datagram is its payload plus 66 bytes of UDP/IP/Ethernet headers,
 * FCS, preamble and gap, at its rate (at most 1 Gb/s); a TCP or scp flow sends MTU-sized segments at
 * line rate (its len is the application's write size); a capture counts as full-size frames at line
 * rate. A step scenario costs nothing.
 */
export function runCost(s: Scenario, durationNs: number): number {
  if (s.steps) return 0;
  let perSecond = 0;
  for (const f of s.traffic ?? []) {
    const wireLen = f.kind === 'pcap' ? 1538 : f.kind === 'udp' ? f.len + 66 : s.nic.mtu + 38;
    const rate = f.kind === 'pcap' ? 1e9 : Math.min(f.rateBps, 1e9);
    perSecond += (rate / 8 / wireLen) * frameCost(s, wireLen);
  }
  return 1 + (perSecond * durationNs) / 1e9;
}

/** A scenario file as read by the command, with what changes its run. */
interface ScenarioRun {
  file: string;
  text: string;
  cfg: ConfigOptions;
  seed: number | undefined;
  durationNs: number | undefined;
  intervalNs: number | undefined;
}

/** One ci case: its expect block stays; with `overridden`, an input error while running skips it. */
export interface CiTask extends ScenarioRun {
  kind: 'ci';
  durationExplicit: boolean;
  overridden: boolean;
}

/** One compare cell: the scenario without its expect block under one operand. */
export interface CompareTask extends ScenarioRun {
  kind: 'compare';
}

/** What the explorer is asked to explore, as the command resolved it. */
export interface ExploreSetup {
  cfg: ConfigOptions;
  board: Board;
  seed: number;
  maxSteps: number;
}

/** Sequences from..to (1-based, inclusive); none started after the wall clock passes `stopAt` (Date.now ms). */
export interface ExploreSequencesTask {
  kind: 'explore-sequences';
  setup: ExploreSetup;
  from: number;
  to: number;
  stopAt: number | undefined;
}

/** Shrinks one finding first seen in sequence `run`. */
export interface ExploreShrinkTask {
  kind: 'explore-shrink';
  setup: ExploreSetup;
  found: FirstSeen;
  steps: Step[];
}

export type Task = CiTask | CompareTask | ExploreSequencesTask | ExploreShrinkTask;

export type CiOutcome = { report: Report; timeS: number } | { skipped: string };
export type CompareOutcome = { report: Report } | { unsupported: string };

interface Outcomes {
  ci: CiOutcome;
  compare: CompareOutcome;
  'explore-sequences': SequenceBatch;
  'explore-shrink': ExploreFinding;
}

export type OutcomeOf<T extends Task> = Outcomes[T['kind']];

/** What a task may tell the thread that runs it. */
export interface TaskContext {
  onProgress?: ((t: number, total: number) => void) | undefined;
  clock?: (() => number) | undefined;
}

function scenarioOptions(t: ScenarioRun): { scenario: Scenario; seed: number; durationNs: number } {
  const scenario = scenarioFromText(t.text, t.file);
  return { scenario, seed: t.seed ?? scenario.seed, durationNs: t.durationNs ?? scenario.durationNs };
}

let explorer: { key: string; explorer: Explorer } | undefined;

/** One Explorer per thread and setup (sequences and shrinking share its frame lengths). */
function explorerFor(s: ExploreSetup): Explorer {
  const key = JSON.stringify(s);
  if (explorer?.key !== key) {
    const config = configFor(stepScenario('explore', s.board, []), s.cfg);
    explorer = { key, explorer: new Explorer({ config, board: s.board, seed: s.seed, runs: 0, maxSteps: s.maxSteps }) };
  }
  return explorer.explorer;
}

/** Runs one task in this thread; throws what the command would throw at this case. */
export function runTask<T extends Task>(task: T, ctx: TaskContext = {}): OutcomeOf<T> {
  return runAny(task, ctx) as OutcomeOf<T>;
}

function runAny(task: Task, ctx: TaskContext): Outcomes[keyof Outcomes] {
  switch (task.kind) {
    case 'ci': {
      const clock = ctx.clock ?? Date.now;
      const { scenario, seed, durationNs } = scenarioOptions(task);
      const config = configFor(scenario, task.cfg);
      const t0 = clock();
      try {
        const report = runScenarioFull({
          scenario, config, seed, durationNs, intervalNs: task.intervalNs, toolVersion: VERSION,
          ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
        }, { durationExplicit: task.durationExplicit });
        return { report, timeS: (clock() - t0) / 1000 };
      } catch (e) {
        // Steps can be valid on the file's branch and not on another (an skb a refused coalesce keeps).
        if (e instanceof InputError && task.overridden) return { skipped: e.message };
        throw e;
      }
    }
    case 'compare': {
      const { scenario, seed, durationNs } = scenarioOptions(task);
      const s = { ...scenario, expect: undefined };
      try {
        const config = configFor(s, task.cfg);
        const report = runScenarioFull({
          scenario: s, config, seed, durationNs, intervalNs: task.intervalNs, toolVersion: VERSION,
          ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
        });
        return { report };
      } catch (e) {
        // what the branch cannot run is a skipped cell
        if (e instanceof UnsupportedError) return { unsupported: e.message };
        throw e;
      }
    }
    case 'explore-sequences': {
      const stopAt = task.stopAt;
      return explorerFor(task.setup).sequences(task.from, task.to, stopAt === undefined ? undefined : () => Date.now() >= stopAt);
    }
    case 'explore-shrink':
      return explorerFor(task.setup).shrinkFinding(task.found, task.steps);
  }
}

/** An input error as it crosses threads: the classes the commands tell apart, message and location. */
type InputWire =
  | { type: 'InputError' | 'UnsupportedError'; message: string; loc: SourceLoc | undefined }
  | { type: 'InputErrors'; errors: InputWire[] };

/** Any other error: a bug, of which main prints the message (and the stack with --debug). */
type WireError = InputWire | { type: 'Error'; name: string; message: string; stack: string | undefined };

function inputToWire(e: InputError): InputWire {
  if (e instanceof InputErrors) return { type: 'InputErrors', errors: e.errors.map(inputToWire) };
  return { type: e instanceof UnsupportedError ? 'UnsupportedError' : 'InputError', message: e.message, loc: e.loc };
}

function toWire(e: unknown): WireError {
  if (e instanceof InputError) return inputToWire(e);
  const err = asError(e);
  return { type: 'Error', name: err.name, message: err.message, stack: err.stack };
}

function inputFromWire(w: InputWire): InputError {
  if (w.type === 'InputErrors') return new InputErrors(w.errors.map(inputFromWire));
  return w.type === 'UnsupportedError' ? new UnsupportedError(w.message, w.loc) : new InputError(w.message, w.loc);
}

function fromWire(w: WireError): Error {
  if (w.type !== 'Error') return inputFromWire(w);
  const err = new Error(w.message);
  err.name = w.name;
  if (w.stack !== undefined) err.stack = w.stack;
  return err;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Shared words of a batch: the next position of `order` to claim, results posted, the lowest failed task, workers serving it. */
const NEXT = 0;
const POSTED = 1;
const FIRST_ERROR = 2;
const SERVING = 3;
/** How long this thread waits for a worker to take up a batch before it runs the tasks itself. */
const WORKER_START_MS = 10_000;

interface Batch {
  id: number;
  tasks: Task[];
  order: number[];
  shared: SharedArrayBuffer;
}

type Result = { id: number; i: number; ok: true; value: unknown } | { id: number; i: number; ok: false; error: WireError };

/** Lowers the failed-task mark to `i`. */
function markError(st: Int32Array, i: number): void {
  for (let cur = Atomics.load(st, FIRST_ERROR); i < cur; cur = Atomics.load(st, FIRST_ERROR)) {
    if (Atomics.compareExchange(st, FIRST_ERROR, cur, i) === cur) return;
  }
}

/** Claims the batch's tasks one by one until none is left; `run` returns false to stop claiming. */
function claimLoop(b: Batch, st: Int32Array, run: (i: number) => void): void {
  for (;;) {
    const k = Atomics.add(st, NEXT, 1);
    if (k >= b.order.length) return;
    const i = b.order[k]!;
    // a task after a failed one is not needed: the command stops at the failure
    if (i > Atomics.load(st, FIRST_ERROR)) continue;
    run(i);
  }
}

/** The worker side (src/cli/worker.ts): runs what it claims, posts each result, never prints. */
export function serveJobs(parent: MessagePort, results: MessagePort): void {
  parent.on('message', (b: Batch) => {
    const st = new Int32Array(b.shared);
    Atomics.add(st, SERVING, 1);
    Atomics.notify(st, SERVING);
    claimLoop(b, st, (i) => {
      let r: Result;
      try {
        r = { id: b.id, i, ok: true, value: runTask(b.tasks[i]!) };
      } catch (e) {
        markError(st, i);
        r = { id: b.id, i, ok: false, error: toWire(e) };
      }
      results.postMessage(r);
      Atomics.add(st, POSTED, 1);
      Atomics.notify(st, POSTED);
    });
  });
}

interface PoolWorker {
  worker: Worker;
  results: MessagePort;
}

/** Workers of this process, kept between commands (tests run many in one process); they never hold the process open. */
const workers: PoolWorker[] = [];
let workersFailed = false;
let batchIds = 0;

function startWorker(results: MessagePort): Worker {
  const options = { workerData: { results }, transferList: [results], stdout: true, stderr: true };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.cjs', import.meta.url), options);
  // under tsx (tests, npm run dev) a worker does not inherit its loader: register it, then load worker.ts
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  return new Worker(`import(${tsx}).then((m) => { m.register(); return import(${entry}); });`, { ...options, eval: true });
}

function spawnWorkers(n: number): PoolWorker[] {
  // Every core runs a case: a worker compiles its hot code on its own thread, where a pool of background
  // compiler threads would take the cores from the cases (V8 reads this as each worker's isolate starts).
  if (workers.length < n) setFlagsFromString('--no-concurrent-recompilation');
  while (workers.length < n && !workersFailed) {
    try {
      const { port1, port2 } = new MessageChannel();
      const worker = startWorker(port2);
      // a worker that cannot start claims nothing: the others, or this thread, run every task
      worker.on('error', () => { workersFailed = true; });
      worker.unref();
      port1.unref();
      workers.push({ worker, results: port1 });
    } catch {
      workersFailed = true;
    }
  }
  return workers.slice(0, n);
}

/** Starts the workers of `--jobs n` now, so they load while the command reads and checks its input. */
export function startWorkers(jobs: number): void {
  if (jobs > 1) spawnWorkers(jobs);
}

export interface RunHooks {
  /** This thread starts task i itself (with `jobs` 1, or when no worker starts). */
  onStart?: (i: number) => void;
  /** Progress of the task this thread runs. */
  onProgress?: (i: number, t: number, total: number) => void;
  /** A task finished (here or in a worker); `done` tasks finished so far. */
  onDone?: (done: number) => void;
  /** The wall clock of tasks run here (ci case times); Date.now when absent. */
  clock?: () => number;
}

/** A task's result, or what it threw. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: Error };

/**
 * Runs the tasks on `jobs` workers (with `jobs` 1, or one task, on this thread), each claiming the
 * next task in `order` (longest first, say); this thread waits and collects. Results come back in
 * task order. A task that throws settles as an error, and tasks after it (in task order) may not
 * run: the command stops at the first error as it would running them one by one. With jobs 1 no
 * worker starts.
 */
export function runTasks<T extends Task>(tasks: readonly T[], jobs: number, order: readonly number[] = tasks.map((_, i) => i), hooks: RunHooks = {}): (Settled<OutcomeOf<T>> | undefined)[] {
  const out: (Settled<OutcomeOf<T>> | undefined)[] = tasks.map(() => undefined);
  const batch: Batch = { id: ++batchIds, tasks: [...tasks], order: [...order], shared: new SharedArrayBuffer(16) };
  const st = new Int32Array(batch.shared);
  st[FIRST_ERROR] = tasks.length;
  const pool = jobs > 1 && tasks.length > 1 ? spawnWorkers(Math.min(jobs, tasks.length)) : [];
  for (const w of pool) w.worker.postMessage(batch);
  let done = 0;
  const drain = (): void => {
    for (const w of pool) {
      for (let m = receiveMessageOnPort(w.results); m; m = receiveMessageOnPort(w.results)) {
        const r = m.message as Result;
        if (r.id !== batch.id) continue;
        out[r.i] = r.ok ? { ok: true, value: r.value as OutcomeOf<T> } : { ok: false, error: fromWire(r.error) };
        done++;
        hooks.onDone?.(done);
      }
    }
  };
  // a worker that cannot start never takes the batch up (its error event cannot come while this thread waits)
  if (pool.length > 0) Atomics.wait(st, SERVING, 0, WORKER_START_MS);
  if (Atomics.load(st, SERVING) === 0) claimLoop(batch, st, (i) => {
    hooks.onStart?.(i);
    try {
      out[i] = { ok: true, value: runTask(tasks[i]!, { clock: hooks.clock, onProgress: hooks.onProgress ? (t, n) => { hooks.onProgress!(i, t, n); } : undefined }) };
    } catch (e) {
      markError(st, i);
      out[i] = { ok: false, error: asError(e) };
    }
    done++;
    hooks.onDone?.(done);
    drain();
  });
  // every task up to the first failure has to be in
  const missing = (): boolean => {
    const end = Math.min(tasks.length, Atomics.load(st, FIRST_ERROR) + 1);
    for (let i = 0; i < end; i++) if (out[i] === undefined) return true;
    return false;
  };
  for (let seen = Atomics.load(st, POSTED); missing(); seen = Atomics.load(st, POSTED)) {
    drain();
    if (!missing()) break;
    Atomics.wait(st, POSTED, seen, 100);
    hooks.onDone?.(done);
  }
  return out;
}
