import { Kernel, type Counters } from '../kernel/kernel.js';
import { EDSA_TAG_LEN, ETH0_IFINDEX, ETH_HLEN, geometryOf, rxBufferBytes } from '../driver/mvneta.js';
import { UnsupportedError, type ResolvedConfig } from './config.js';
import { buildReport, snapshotCounters } from './build-report.js';
import { judgeLeaks } from './leaks.js';
import type { IntervalLine, PoolInterval, Report } from './report.js';
import type { Scenario } from './scenario.js';
import { checkInvariants } from './invariants.js';
import { checkStepNames, StepRunner } from './steps.js';
import { InputError, InputErrors } from '../kernel/errors.js';
import { TraceComplete } from '../kernel/findings.js';
import type { ViolationKind } from '../kernel/names.js';
import { Engine, type FlowSpec, type FrameHook, type Source } from './engine.js';
import { holdersView, type HoldersView } from './holders.js';

export interface RunOptions {
  onFrame?: FrameHook | undefined;
  /** Called at most every 100 ms of simulated time (traffic scenarios). */
  onProgress?: ((simNs: number, totalNs: number) => void) | undefined;
  scenario: Scenario;
  config: ResolvedConfig;
  seed: number;
  durationNs: number;
  /** Interval of the iperf lines and pool samples (default 1 s). */
  intervalNs?: number | undefined;
  toolVersion: string;
  /** --holders: holders views at every interval and at the end (traffic), at each holders step. */
  holders?: boolean | undefined;
}

/** Scenario needs the branch cannot meet (branches.md): XDP verdicts it lacks, XDP beyond one buffer. */
export function checkScenarioSupport(s: Scenario, c: ResolvedConfig): void {
  const kn = c.knobs;
  const loc = s.keyLoc.xdp ?? { file: s.file, key: 'xdp' };
  if (s.xdp !== 'none') {
    if (kn.xdp === 'none') throw new UnsupportedError(`the XDP verdict ${s.xdp} needs XDP support, but branch ${c.branch} has xdp=none`, loc);
    if (s.xdp === 'tx' && kn.xdp === 'drop_redirect') throw new UnsupportedError(`the XDP verdict tx needs XDP_TX, but branch ${c.branch} supports only DROP and REDIRECT (xdp=drop_redirect)`, loc);
    const bufSize = geometryOf(kn).bufSize;
    const tag = c.facts.dsa ? EDSA_TAG_LEN : 0;
    const maxMtu = bufSize - rxBufferBytes(ETH_HLEN, tag);
    if (rxBufferBytes(s.nic.mtu + ETH_HLEN, tag) > bufSize) {
      throw new UnsupportedError(`XDP without multi-buffer needs every frame in one ${bufSize}-byte RX buffer: nic.mtu must be at most ${maxMtu}, got ${s.nic.mtu}`, s.keyLoc.nic ?? loc);
    }
  }
}

/** A traffic scenario's flows and sources; `again` makes fresh sources for a second, tracing run. */
export interface Traffic {
  flows: FlowSpec[];
  sources: Source[];
  again?: (() => Source[]) | undefined;
}

/** Runs one scenario: its steps, or its traffic from the given sources. */
export function runScenario(o: RunOptions, traffic?: Traffic): Report {
  if (o.scenario.steps) return runSteps(o);
  if (!traffic) throw new InputError('a traffic scenario needs its traffic sources', { file: o.scenario.file });
  if (!traffic.again) return runTraffic(o, traffic.flows, traffic.sources, true);
  // Keeping kernel call paths costs on every operation; a clean run needs none. When the run found
  // violations, the same inputs run again (deterministically) with paths on, only until each kind's
  // first occurrence is seen, and those paths go into the report.
  const report = runTraffic(o, traffic.flows, traffic.sources, false);
  if (report.violations.length === 0) return report;
  const paths = tracePaths({ ...o, onFrame: undefined, onProgress: undefined }, traffic.flows, traffic.again(), new Set(report.violations.map((v) => v.kind)));
  for (const v of report.violations) v.first.path = paths.get(v.kind) ?? v.first.path;
  return report;
}

function newEngine(o: RunOptions, k: Kernel, flows: FlowSpec[], sources: Source[]): Engine {
  const s = o.scenario;
  return new Engine(k, { durationNs: o.durationNs, intervalNs: o.intervalNs, mtu: s.nic.mtu, rxRing: s.nic.rxRing, xdp: s.xdp, host: s.host, flows, seed: o.seed, onFrame: o.onFrame, onProgress: o.onProgress, events: s.events, holders: o.holders }, sources);
}

/** The tracing re-run: stops as soon as every wanted kind has its first call path. */
function tracePaths(o: RunOptions, flows: FlowSpec[], sources: Source[], kinds: ReadonlySet<ViolationKind>): Map<ViolationKind, string[]> {
  const k = new Kernel(o.config.knobs, o.config.facts);
  k.traceUntil = kinds;
  try {
    newEngine(o, k, flows, sources).run();
  } catch (e) {
    if (!(e instanceof TraceComplete)) throw e;
  }
  return new Map(k.findings.listViolations().map((v) => [v.kind, v.first.path]));
}

/** Runs a traffic scenario: the engine drives the given sources through the board. */
export function runTraffic(o: RunOptions, flows: FlowSpec[], sources: Source[], tracing: boolean): Report {
  const { scenario: s, config } = o;
  checkScenarioSupport(s, config);
  const k = new Kernel(config.knobs, config.facts);
  k.tracing = tracing;
  const engine = newEngine(o, k, flows, sources);
  const r = engine.run();
  const counters = snapshotCounters(k);
  k.resetPath();
  k.inNapi = false;
  engine.nic.ifdown();
  settlePools(k);
  if (o.holders) r.holders.push(holdersView(k, `after close and teardown (${String(Number((k.now / 1e9).toFixed(3)))} s)`, ETH0_IFINDEX));
  const report = finish(o, k, counters, { duration_ns: o.durationNs, frames: r.frames, bytes: r.bytes }, () => undefined, r.randomChoices, r.intervals, r.holders, r.poolIntervals);
  report.series = r.samples;
  return report;
}

/**
 * After teardown the deferred release work of a destroyed pool runs once more (at its next second):
 * pages the closing sockets gave back sit in the ptr_ring until that scrub.
 */
function settlePools(k: Kernel): void {
  for (const p of k.pools) {
    if (!p || p.nextRetryNs === Infinity) continue;
    k.resetPath();
    p.releaseRetry();
  }
}

/** After teardown: leaks are judged and the report is built from the counters taken before it. */
function finish(o: RunOptions, k: Kernel, counters: Counters, sim: Report['sim'], nameOf: (x: object) => string | undefined, randomChoices: number, intervals?: IntervalLine[], holders?: HoldersView[], poolIntervals?: PoolInterval[]): Report {
  judgeLeaks(k, { nameOf, tNs: k.now });
  return buildReport({ scenario: o.scenario, config: o.config, seed: o.seed, toolVersion: o.toolVersion, kernel: k, counters, sim, randomChoices, ...(intervals ? { intervals } : {}), ...(poolIntervals ? { poolIntervals } : {}), ...(holders && holders.length > 0 ? { holders } : {}) });
}

/** Runs a step scenario under a resolved branch and returns its report. */
export function runSteps(o: RunOptions): Report {
  const { scenario: s, config } = o;
  checkScenarioSupport(s, config);
  const k = new Kernel(config.knobs, config.facts);
  if (!s.steps) throw new InputError('not a step scenario', { file: s.file });
  const problems = checkStepNames(s.steps, s.xdp);
  if (problems.length > 0) throw new InputErrors(problems);
  const runner = new StepRunner(k, s.nic.mtu, s.nic.rxRing, s.xdp);
  runner.ifup();
  const steps = s.steps;
  const last = steps.length > 0 && steps[steps.length - 1]!.op === 'teardown' ? steps.length - 1 : steps.length;
  for (let i = 0; i < last; i++) runner.run(steps[i]!);
  if (o.holders) runner.views.push(holdersView(k, 'end', ETH0_IFINDEX));
  checkInvariants(k);
  const counters = snapshotCounters(k);
  runner.teardown();
  settlePools(k);
  return finish(o, k, counters, { duration_ns: 0, frames: runner.frames, bytes: runner.bytes }, (x) => runner.nameOf(x), 0, undefined, runner.views);
}

