import { InputError } from '../kernel/errors.js';
import { Kernel } from '../kernel/kernel.js';
import type { CounterName, LeakKind, ViolationKind } from '../kernel/names.js';
import { snapshotCounters } from '../sim/build-report.js';
import type { ResolvedConfig } from '../sim/config.js';
import { judgeLeaks } from '../sim/leaks.js';
import { Rng } from '../sim/rng.js';
import { checkScenarioSupport } from '../sim/run.js';
import { defaultScenario, type Scenario, type Step } from '../sim/scenario.js';
import { StepRunner } from '../sim/steps.js';
import { frameLengths, nextStep, Picker, releaseStep, type Board } from './ops.js';

/** Modelled RAM per sequence (32 MiB, at the same physical addresses): sweeps and setup cost what a short sequence needs. */
const EXPLORE_PAGES = 1 << 13;

/** Counters that change with every frame or skb; a step's comment names the ones that say where pages went. */
const QUIET_COUNTERS = ['rx.', 'skb.', 'dma.sync', 'dma.mapped', 'page_pool.alloc', 'page_pool.hold_cnt', 'page_pool.inflight', 'page_pool.skb_return'];

export interface ExploreOptions {
  config: ResolvedConfig;
  board: Board;
  seed: number;
  /** Sequences to generate (the time limit may stop earlier). */
  runs: number;
  maxSteps: number;
  /** Wall-clock milliseconds; `now` is the caller's clock (the core reads none). */
  timeLimitMs?: number | undefined;
  now?: (() => number) | undefined;
  /** Called after every sequence (progress line). */
  onRun?: ((s: ExploreStats) => void) | undefined;
}

export interface ExploreStats {
  runs: number;
  steps: number;
  findings: number;
}

/** What one sequence did: its findings, each keyed by kind and call path. */
interface Outcome {
  invalid: boolean;
  keys: Map<string, Found>;
}

interface Found {
  class: 'violation' | 'leak';
  kind: ViolationKind | LeakKind;
  kernel: string;
  object: string;
  path: string[];
}

/** One distinct finding with the shortest sequence that still shows it. */
export interface ExploreFinding extends Found {
  key: string;
  /** Sequence number (1-based) of the run that first showed it. */
  run: number;
  generatedSteps: number;
  steps: Step[];
  /** Per shrunk step: counter changes and findings it caused. */
  effects: string[];
  shrinkRuns: number;
}

/** A finding as a sequence first showed it, before shrinking. */
export type FirstSeen = Found & { key: string; run: number };

/** What a batch of sequences found: each sequence that showed a finding new to the batch, and those findings. */
export interface SequenceBatch {
  runs: number;
  steps: number;
  firsts: { run: number; steps: Step[]; found: FirstSeen[] }[];
}

export interface ExploreResult {
  runs: number;
  steps: number;
  findings: ExploreFinding[];
  /** Why it stopped. */
  stopped: 'runs' | 'time';
}

/** A step scenario around a list of steps on the explored board. */
export function stepScenario(name: string, board: Board, steps: Step[]): Scenario {
  return { ...defaultScenario(name, '<explore>'), nic: { mtu: board.mtu, rxRing: board.rxRing }, xdp: board.xdp, steps };
}

function keyOf(kind: string, path: readonly string[]): string {
  return `${kind} ${path.join(' > ')}`;
}

/** Findings of a finished run, violations first, each kind and path once. */
function collect(k: Kernel, into: Map<string, Found>): void {
  for (const v of k.findings.listViolations()) {
    into.set(keyOf(v.kind, v.first.path), { class: 'violation', kind: v.kind, kernel: v.kernel, object: v.first.object, path: v.first.path });
  }
  for (const l of k.findings.listLeaks()) {
    into.set(keyOf(l.kind, l.first.path), { class: 'leak', kind: l.kind, kernel: l.kernel, object: l.first.object, path: l.first.path });
  }
}

/**
 * Runs the explorer's sequences on one board configuration. Each sequence starts from a fresh
 * board; a step list that the runner refuses (a name not alive) is invalid, never a finding.
 */
export class Explorer {
  private readonly lens: number[];

  constructor(private readonly o: ExploreOptions) {
    checkScenarioSupport(stepScenario('explore', o.board, []), o.config);
    this.lens = frameLengths(o.board, o.config);
  }

  private board(): { k: Kernel; runner: StepRunner } {
    const k = new Kernel(this.o.config.knobs, this.o.config.facts, EXPLORE_PAGES);
    const runner = new StepRunner(k, this.o.board.mtu, this.o.board.rxRing, this.o.board.xdp);
    runner.ifup();
    return { k, runner };
  }

  private finish(k: Kernel, runner: StepRunner, into: Map<string, Found>): void {
    runner.teardown();
    judgeLeaks(k, { nameOf: (x) => runner.nameOf(x), tNs: 0 });
    collect(k, into);
  }

  /** Generates one sequence: each step chosen from what is alive after the previous one; then every live object is freed. */
  generate(rng: Rng): { steps: Step[]; outcome: Outcome } {
    const { k, runner } = this.board();
    const steps: Step[] = [];
    let names = 0;
    const fresh = (): string => `s${++names}`;
    const count = 1 + rng.below(this.o.maxSteps);
    const exec = (step: Step): boolean => {
      if (!tryStep(runner, step)) return false;
      steps.push(step);
      return true;
    };
    for (let i = 0; i < count; i++) {
      const step = nextStep(new Picker(rng, runner.live(), this.lens, fresh, step0Loc(i)));
      if (!exec(step)) return { steps, outcome: { invalid: true, keys: new Map() } };
    }
    // A correct caller releases what it holds: leaks are the design's, not the sequence's.
    for (let live = runner.live(); live.length > 0; live = runner.live()) {
      if (!exec(releaseStep(live[0]!, step0Loc(steps.length)))) return { steps, outcome: { invalid: true, keys: new Map() } };
    }
    const keys = new Map<string, Found>();
    this.finish(k, runner, keys);
    return { steps, outcome: { invalid: false, keys } };
  }

  /**
   * Replays a step list, then releases what is still alive (as a correct caller would); with
   * `effects`, records per step the counters it changed and what it found.
   */
  replay(steps: readonly Step[], effects?: string[]): Outcome & { steps: Step[] } {
    const { k, runner } = this.board();
    const done: Step[] = [];
    let before = effects ? snapshotCounters(k) : undefined;
    let seen = 0;
    const exec = (step: Step): boolean => {
      if (!tryStep(runner, step)) return false;
      done.push(step);
      if (effects && before) {
        const after = snapshotCounters(k);
        const parts: string[] = [];
        for (const c of Object.keys(after) as CounterName[]) {
          const d = after[c] - before[c];
          if (d !== 0 && !QUIET_COUNTERS.some((p) => c.startsWith(p))) parts.push(`${c} ${d > 0 ? '+' : ''}${d}`);
        }
        const found = k.findings.listViolations();
        for (const v of found.slice(seen)) parts.push(`finding: ${v.kind}`);
        seen = found.length;
        effects.push(parts.join(', '));
        before = after;
      }
      return true;
    };
    const invalid = { invalid: true, keys: new Map<string, Found>(), steps: done };
    for (const step of steps) if (!exec(step)) return invalid;
    for (let live = runner.live(); live.length > 0; live = runner.live()) {
      if (!exec(releaseStep(live[0]!, step0Loc(done.length)))) return invalid;
    }
    const keys = new Map<string, Found>();
    this.finish(k, runner, keys);
    return { invalid: false, keys, steps: done };
  }

  /**
   * Delta debugging (ddmin) over the step list: drop chunks of steps, with every later step that
   * uses a name they made, halving the chunk size, while the sequence stays valid and still shows
   * the finding. What a shorter list leaves alive is released at its end.
   */
  shrink(steps: Step[], key: string): { steps: Step[]; runs: number } {
    let cur = steps;
    let runs = 0;
    const attempt = (cand: Step[]): Step[] | undefined => {
      if (cand.length === 0) return undefined;
      runs++;
      const r = this.replay(cand);
      return !r.invalid && r.keys.has(key) && r.steps.length < cur.length ? r.steps : undefined;
    };
    let chunk = Math.max(1, cur.length >> 1);
    for (;;) {
      let removed = false;
      for (let i = 0; i < cur.length; ) {
        const drop = withUsers(cur, i, Math.min(cur.length, i + chunk));
        const got = attempt(cur.filter((_, j) => !drop.has(j)));
        if (got) {
          cur = got;
          removed = true;
        } else i += chunk;
      }
      if (chunk === 1 && !removed) break;
      if (!removed) chunk = Math.max(1, chunk >> 1);
    }
    return { steps: this.simplify(cur, key, (cand) => {
      runs++;
      const r = this.replay(cand);
      return !r.invalid && r.keys.has(key) && r.steps.length === cand.length;
    }), runs };
  }

  /** The shortest frame length that keeps the finding, per rx step; then names a, b, c in order. */
  private simplify(steps: Step[], key: string, shows: (s: Step[]) => boolean): Step[] {
    let cur = steps;
    for (let i = 0; i < cur.length; i++) {
      const s = cur[i]!;
      if (s.op !== 'rx') continue;
      for (const len of this.lens) {
        if (len >= s.len) break;
        const cand = cur.slice();
        cand[i] = { ...s, len };
        if (shows(cand)) {
          cur = cand;
          break;
        }
      }
    }
    return renameSteps(cur);
  }

  /** Sequence `run` (1-based): its generator derives from the seed and its number alone, so sequences can run in any order. */
  sequence(run: number): { steps: Step[]; outcome: Outcome } {
    return this.generate(sequenceRng(this.o.seed, run));
  }

  /**
   * Sequences from..to (inclusive) until `stop` says so before one starts; each one that shows a
   * finding not shown earlier in this batch, with those findings in the order the sequence found them.
   */
  sequences(from: number, to: number, stop?: () => boolean): SequenceBatch {
    const batch: SequenceBatch = { runs: 0, steps: 0, firsts: [] };
    const seen = new Set<string>();
    for (let run = from; run <= to; run++) {
      if (stop?.()) break;
      const { steps, outcome } = this.sequence(run);
      batch.runs++;
      batch.steps += steps.length;
      if (outcome.invalid) continue;
      const found = [...outcome.keys].filter(([key]) => !seen.has(key) && seen.add(key));
      if (found.length > 0) batch.firsts.push({ run, steps, found: found.map(([key, f]) => ({ ...f, key, run })) });
    }
    return batch;
  }

  /** The shrunk finding first seen in a sequence of these steps. */
  shrinkFinding(found: FirstSeen, steps: Step[]): ExploreFinding {
    const shrunk = this.shrink(steps, found.key);
    const effects: string[] = [];
    this.replay(shrunk.steps, effects);
    return { ...found, generatedSteps: steps.length, steps: shrunk.steps, effects, shrinkRuns: shrunk.runs };
  }

  /** Runs the configured number of sequences (or until the time limit) and shrinks each new finding. */
  run(): ExploreResult {
    const o = this.o;
    const start = o.now?.() ?? 0;
    const res: ExploreResult = { runs: 0, steps: 0, findings: [], stopped: 'runs' };
    const seen = new Set<string>();
    for (let run = 1; run <= o.runs; run++) {
      if (o.timeLimitMs !== undefined && o.now && o.now() - start >= o.timeLimitMs) {
        res.stopped = 'time';
        break;
      }
      const b = this.sequences(run, run);
      res.runs += b.runs;
      res.steps += b.steps;
      for (const { steps, found } of b.firsts) {
        for (const f of found) {
          if (seen.has(f.key)) continue;
          seen.add(f.key);
          res.findings.push(this.shrinkFinding(f, steps));
        }
      }
      o.onRun?.({ runs: res.runs, steps: res.steps, findings: res.findings.length });
    }
    return res;
  }
}

/** The generator of sequence `run`: splitmix-seeded from the seed's first draw and the sequence number. */
function sequenceRng(seed: number, run: number): Rng {
  return new Rng((new Rng(seed).u32() ^ Math.imul(run, 0x2c1b3c6d)) >>> 0);
}

/** Runs one step; false when the runner refuses it (a list no correct caller would write). */
function tryStep(runner: StepRunner, step: Step): boolean {
  try {
    runner.run(step);
  } catch (e) {
    if (e instanceof InputError) return false;
    throw e;
  }
  return true;
}

function step0Loc(i: number): Step['loc'] {
  return { file: '<explore>', key: `steps[${i}]` };
}

/** Steps from..to-1 and, transitively, every later step that uses a name one of them made. */
function withUsers(steps: readonly Step[], from: number, to: number): Set<number> {
  const drop = new Set<number>();
  const made = new Set<string>();
  for (let j = from; j < steps.length; j++) {
    const s = steps[j] as Record<string, unknown>;
    const uses = j < to || USE_ARGS.some((a) => typeof s[a] === 'string' && made.has(s[a]));
    if (!uses) continue;
    drop.add(j);
    if (typeof s.as === 'string') made.add(s.as);
  }
  return drop;
}

const USE_ARGS = ['skb', 'to', 'from', 'held', 'pipe', 'vma', 'frame'] as const;
const NAME_ARGS = [...USE_ARGS, 'as'] as const;

/** Renames the objects of a step list a, b, c, ... in the order they are first named. */
export function renameSteps(steps: readonly Step[]): Step[] {
  const map = new Map<string, string>();
  const nameFor = (n: string): string => {
    let m = map.get(n);
    if (m === undefined) {
      const i = map.size;
      m = i < 26 ? String.fromCharCode(97 + i) : `o${i}`;
      map.set(n, m);
    }
    return m;
  };
  return steps.map((s) => {
    const out: Record<string, unknown> = { ...s };
    for (const a of NAME_ARGS) {
      const v = (s as Record<string, unknown>)[a];
      if (typeof v === 'string') out[a] = nameFor(v);
    }
    return out as Step;
  });
}
