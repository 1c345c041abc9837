/** Human output of `pp-sim run` (contract §5). Pure: data in, string out. */
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { COUNTER_NAMES, type CounterName } from '../kernel/names.js';
import type { Setup } from '../sim/config.js';
import type { IntervalLine, PoolInterval, Report } from '../sim/report.js';
import type { HoldersView, PoolView } from '../sim/holders.js';
import { sortFindings } from './json.js';

export interface ColorOpt {
  color: boolean;
}

/** A chalk instance that depends only on the option, never on global state. */
export function painter(o: ColorOpt): ChalkInstance {
  return new Chalk({ level: o.color ? 1 : 0 });
}

const NO_BORDER = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
} as const;

type Align = 'left' | 'right' | 'center';
export type Cell = string | { content: string; rowSpan: number };

/** Borderless, compact cli-table3 table; trailing blanks trimmed; `indent` prefixes each line. */
export function borderless(head: string[], aligns: Align[], rows: Cell[][], indent = '  '): string {
  const t = new Table({
    head,
    colAligns: aligns,
    chars: { ...NO_BORDER },
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) t.push(r);
  return t
    .toString()
    .split('\n')
    .map((l) => (indent + l).trimEnd())
    .join('\n');
}

/** %4.2f / %4.1f / %4.0f by size, as iperf 2's byte_snprintf keeps 4 significant places. */
function fourPlaces(n: number): string {
  const digits = n < 9.995 ? 2 : n < 99.95 ? 1 : 0;
  return n.toFixed(digits).padStart(4);
}

const BYTE_UNITS = ['Byte', 'KByte', 'MByte', 'GByte', 'TByte'] as const;
const BIT_UNITS = ['bit', 'Kbit', 'Mbit', 'Gbit', 'Tbit'] as const;

function scaled(n: number, base: number, units: readonly string[]): string {
  let i = 0;
  while (n >= base && i < units.length - 1) {
    n /= base;
    i++;
  }
  return `${fourPlaces(n)} ${units[i] ?? ''}`;
}

/** iperf Transfer column: 1024-based, e.g. " 114 MBytes". */
export function formatTransfer(bytes: number): string {
  return scaled(bytes, 1024, BYTE_UNITS) + 's';
}

/** iperf Bandwidth column: 1000-based, e.g. " 957 Mbits/sec". */
export function formatBandwidth(bitsPerSec: number): string {
  return scaled(bitsPerSec, 1000, BIT_UNITS) + 's/sec';
}

/** C printf "%.2g". */
export function formatG2(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return x === 0 ? '0' : String(x);
  const [mant = '0', expStr = '0'] = x.toExponential(1).split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 2) {
    const m = mant.replace(/\.?0+$/, '');
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  const fixed = x.toFixed(Math.max(0, 1 - exp));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** Simulated time in the contract's units: "30s", "500ms", "1.5us", "12ns". */
export function formatNs(ns: number): string {
  const units: [number, string][] = [[1e9, 's'], [1e6, 'ms'], [1e3, 'us']];
  for (const [f, u] of units) {
    if (Math.abs(ns) >= f) return `${String(Number((ns / f).toFixed(3)))}${u}`;
  }
  return `${String(ns)}ns`;
}

function secs(ns: number): string {
  return (ns / 1e9).toFixed(1).padStart(4);
}

/** "1 frame", "2 frames", "2 branches". */
export function plural(n: number, word: string): string {
  return `${String(n)} ${word}${n === 1 ? '' : /(s|sh|ch|x)$/.test(word) ? 'es' : 's'}`;
}

/** A run's branch as a header names it: "mvneta_07 (+coalesce=reject)", "mine from my.yaml". */
export function branchLabel(branch: string, s: Setup | undefined): string {
  const from = s?.branchFile !== undefined ? ` from ${s.branchFile}` : '';
  const plus = s && s.knobs.length > 0 ? ` (${s.knobs.map((k) => `+${k}`).join(' ')})` : '';
  return `${branch}${from}${plus}`;
}

/** A run's platform with the facts it overrides: "espressobin (+dsa=false)". */
export function platformLabel(platform: string, s: Setup | undefined): string {
  return s && s.facts.length > 0 ? `${platform} (${s.facts.map((f) => `+${f}`).join(' ')})` : platform;
}

/** "branch X (+k=v)  platform Y (+f=v)": everything a header needs to reproduce the run's kernel. */
export function setupText(r: Pick<Report, 'branch' | 'platform' | 'setup'>): string {
  return `branch ${branchLabel(r.branch, r.setup)}  platform ${platformLabel(r.platform, r.setup)}`;
}

/** A finding's frame: "3", or "3 (skb of frame 2)" when the skb being processed came from another frame. */
export function frameCell(first: { frame: number; skb_frame?: number }): string {
  return first.skb_frame === undefined ? String(first.frame) : `${String(first.frame)} (skb of frame ${String(first.skb_frame)})`;
}

/** "frame 3, skb of frame 2, t=1.5ms": where a finding happened, for one-line messages. */
export function whenText(first: { t_ns: number; frame: number; skb_frame?: number }): string {
  const skb = first.skb_frame === undefined ? '' : `, skb of frame ${String(first.skb_frame)}`;
  return `frame ${String(first.frame)}${skb}${first.t_ns > 0 ? `, t=${formatNs(first.t_ns)}` : ''}`;
}

/** One iperf 2 interval line. */
function iperfLine(id: number, l: IntervalLine): string {
  const dur = (l.endNs - l.startNs) / 1e9;
  const bw = dur > 0 ? (l.bytes * 8) / dur : 0;
  let s = `[${String(id).padStart(3)}] ${secs(l.startNs)}-${secs(l.endNs)} sec  ${formatTransfer(l.bytes)}  ${formatBandwidth(bw)}`;
  if (l.udp) {
    const pct = l.total > 0 ? (100 * l.lost) / l.total : 0;
    s += ` ${String(l.lost).padStart(4)}/${String(l.total).padStart(5)} (${formatG2(pct)}%)`;
  }
  return s;
}

/** Whole-run line of a flow (iperf prints one at the end), unless the producer supplied it. */
function totalLine(lines: IntervalLine[]): IntervalLine | undefined {
  const first = lines[0];
  const last = lines[lines.length - 1];
  if (!first || !last || lines.length < 2) return undefined;
  if (lines.some((l) => l.startNs === first.startNs && l.endNs === last.endNs)) return undefined;
  const sum = (f: (l: IntervalLine) => number): number => lines.reduce((a, l) => a + f(l), 0);
  return {
    ...last,
    startNs: first.startNs,
    bytes: sum((l) => l.bytes),
    datagrams: sum((l) => l.datagrams),
    lost: sum((l) => l.lost),
    total: sum((l) => l.total),
  };
}

/** The pool's whole-run line: every interval summed, in flight at the end. */
function poolTotal(pool: readonly PoolInterval[]): PoolInterval | undefined {
  const first = pool[0];
  const last = pool[pool.length - 1];
  if (!first || !last || pool.length < 2) return undefined;
  const sum = (f: (p: PoolInterval) => number): number => pool.reduce((a, p) => a + f(p), 0);
  return { startNs: first.startNs, endNs: last.endNs, recycled: sum((p) => p.recycled), released: sum((p) => p.released), inflight: last.inflight };
}

/**
 * iperf 2's interval table, flows side by side per interval; after each interval one `[ PP]` line
 * with the board's page_pool figures, which belong to no single flow.
 */
function renderIntervals(intervals: IntervalLine[], pool: readonly PoolInterval[], c: ChalkInstance): string {
  const flows = new Map<string, IntervalLine[]>();
  for (const l of intervals) {
    const list = flows.get(l.flow);
    if (list) list.push(l);
    else flows.set(l.flow, [l]);
  }
  const ids = new Map<string, number>();
  const out: string[] = [];
  for (const flow of flows.keys()) {
    ids.set(flow, 3 + ids.size);
    out.push(`[${String(ids.get(flow)).padStart(3)}] ${flow}`);
  }
  let head = '[ ID] Interval       Payload      Bandwidth';
  if (intervals.some((l) => l.udp)) head += '       Lost/Total Datagrams';
  out.push(head);
  const pt = poolTotal(pool);
  const poolAll = pt ? [...pool, pt] : pool;
  const w = ['recycled', 'released', 'inflight'].map((k) => Math.max(...poolAll.map((p) => String(p[k as 'recycled']).length)));
  const poolLine = (p: PoolInterval): string =>
    `[ PP] ${secs(p.startNs)}-${secs(p.endNs)} sec  page_pool ${String(p.recycled).padStart(w[0] ?? 0)} recycled  ${String(p.released).padStart(w[1] ?? 0)} released  ${String(p.inflight).padStart(w[2] ?? 0)} in flight`;
  // Intervals in time order; within one, flows in order of appearance.
  const byTime = new Map<string, IntervalLine[]>();
  for (const l of intervals) {
    const key = `${String(l.startNs)}-${String(l.endNs)}`;
    const list = byTime.get(key);
    if (list) list.push(l);
    else byTime.set(key, [l]);
  }
  const poolAt = new Map(pool.map((p) => [`${String(p.startNs)}-${String(p.endNs)}`, p]));
  for (const [key, lines] of byTime) {
    for (const l of lines) out.push(iperfLine(ids.get(l.flow) ?? 0, l));
    const p = poolAt.get(key);
    if (p) out.push(c.dim(poolLine(p)));
  }
  for (const [flow, lines] of flows) {
    const total = totalLine(lines);
    if (total) out.push(c.bold(iperfLine(ids.get(flow) ?? 0, total)));
  }
  if (pt) out.push(c.bold(poolLine(pt)));
  return out.join('\n');
}

function counterRows(r: Report, names: readonly CounterName[], c: ChalkInstance): Cell[][] {
  return names.map((n) => {
    const v = r.counters[n];
    return v === 0 ? [c.dim(n), c.dim('0')] : [n, String(v)];
  });
}

const byPrefix = (...p: string[]): CounterName[] => COUNTER_NAMES.filter((n) => p.some((x) => n.startsWith(x)));

const POOL_COUNTERS = byPrefix('page_pool.');
const DMA_COUNTERS = byPrefix('dma.');
const SKB_COUNTERS = byPrefix('skb.');
const STACK_COUNTERS = byPrefix('rx.', 'xdp.', 'udp.', 'tcp.', 'app.', 'page.', 'slab.');

function section(title: string, body: string, c: ChalkInstance): string {
  return `${c.bold(title)}\n${body}`;
}

function renderFindingsTables(r: Report, c: ChalkInstance): string[] {
  const out: string[] = [];
  const vs = sortFindings(r.violations);
  if (vs.length === 0) {
    out.push(`${c.bold('violations')}  ${c.green('none')}`);
  } else {
    const rows = vs.map((f) => [
      c.red(f.kind), String(f.count), f.kernel, f.first.object, frameCell(f.first), f.first.path.join(' → '),
    ]);
    out.push(section('violations', borderless(
      ['kind', 'count', 'kernel', 'first object', 'frame', 'path'],
      ['left', 'right', 'left', 'left', 'right', 'left'], rows), c));
  }
  const ls = sortFindings(r.leaks);
  if (ls.length === 0) {
    out.push(`${c.bold('leaks')}  ${c.green('none')}`);
  } else {
    const rows = ls.map((f) => [c.red(f.kind), String(f.count), f.first.object, f.first.path.join(' → ')]);
    out.push(section('leaks', borderless(['kind', 'count', 'object', 'path'], ['left', 'right', 'left', 'left'], rows), c));
  }
  if (r.expect.length > 0) {
    const rows = r.expect.map((e) => [e.check, e.ok ? c.green('ok') : c.red('FAIL'), String(e.actual)]);
    out.push(section('expectations', borderless(['check', '', 'actual'], ['left', 'left', 'right'], rows), c));
  }
  return out;
}

function resultLine(r: Report, c: ChalkInstance): string {
  const why: string[] = [];
  if (r.expect.length > 0) {
    const failed = r.expect.filter((e) => !e.ok);
    if (failed.length > 0) why.push(`${String(failed.length)} of ${String(r.expect.length)} expectations failed`);
  } else {
    const nv = r.violations.reduce((a, f) => a + f.count, 0);
    const nl = r.leaks.reduce((a, f) => a + f.count, 0);
    if (nv > 0) why.push(`${String(nv)} violations`);
    if (nl > 0) why.push(`${String(nl)} leaks`);
  }
  const tail = why.length > 0 ? ` (${why.join(', ')})` : '';
  return r.result === 'pass' ? `result: ${c.green('pass')}${tail}` : `result: ${c.red.bold('fail')}${tail}`;
}

/** dmesg's "[   65.000000] text". */
function renderKernelLog(log: readonly { t_ns: number; text: string }[]): string {
  return log.map((l) => `  [${(Math.floor(l.t_ns / 1e3) / 1e6).toFixed(6).padStart(12)}] ${l.text}`).join('\n');
}

/** One pool as page-pool-get shows it, then its pages by holder: "inflight 49: udp 226.94.1.1:5001 rcvq 49 (oldest 60s)". */
export function renderPoolView(p: PoolView): string[] {
  const head = `page_pool id ${String(p.id)}  ifindex ${String(p.ifindex)}  napi-id ${p['napi-id'] === null ? '-' : String(p['napi-id'])}  inflight ${String(p.inflight)}  inflight-mem ${String(p['inflight-mem'])}  detach-time ${p['detach-time'] === null ? '-' : String(p['detach-time'])}  ${p.state}${p.release_retries > 0 ? ` after ${String(p.release_retries)} release retries` : ''}`;
  const groups = p.holders.map((h) => `${h.holder} ${String(h.pages)}${h.pages > 0 && h.holder !== 'put_page without release' ? ` (oldest ${formatNs(h.oldest_ns)})` : ''}`);
  return [head, `  inflight ${String(p.inflight)}${groups.length > 0 ? `: ${groups.join(', ')}` : ''}`];
}

function renderHolders(views: readonly HoldersView[]): string {
  const out: string[] = [];
  for (const v of views) {
    out.push(`  ${/^\d/.test(v.at) ? `at ${v.at}` : v.at}`);
    for (const p of v.pools) for (const l of renderPoolView(p)) out.push(`    ${l}`);
  }
  return out.join('\n');
}

export function renderRun(r: Report, o: ColorOpt): string {
  const c = painter(o);
  const parts: string[] = [];
  parts.push(
    `${c.bold(r.scenario)}  ${setupText(r)}  seed ${String(r.seed)}  ` +
      // A step scenario has no clock: its frames are the rx steps.
      `${r.intervals ? `${formatNs(r.sim.duration_ns)} simulated` : 'steps'}  ${plural(r.sim.frames, 'frame')}, ${formatTransfer(r.sim.bytes).trim()} on the wire` +
      (r.randomChoices === 0 ? '\nseed: no random choice in this scenario (pp-sim explain seed)' : ''),
  );
  if (r.intervals && r.intervals.length > 0) parts.push(renderIntervals(r.intervals, r.poolIntervals ?? [], c));
  if (r.holders) parts.push(section('holders', renderHolders(r.holders), c));
  if (r.kernel_log) parts.push(section('kernel log', renderKernelLog(r.kernel_log), c));
  parts.push(section('page_pool', borderless([], ['left', 'right'], counterRows(r, POOL_COUNTERS, c)), c));
  parts.push(section('DMA', borderless([], ['left', 'right'], counterRows(r, DMA_COUNTERS, c)), c));
  const stack = STACK_COUNTERS.filter((n) => r.counters[n] !== 0);
  parts.push(section('skb operations', borderless([], ['left', 'right'], counterRows(r, [...SKB_COUNTERS, ...stack], c)), c));
  parts.push(...renderFindingsTables(r, c));
  parts.push(resultLine(r, c));
  return parts.join('\n\n') + '\n';
}

/** The closing line of contract §1: "pp-sim: 1 passed, 0 failed[, N skipped]". */
export function closingLine(passed: number, failed: number, skipped?: number): string {
  const base = `pp-sim: ${String(passed)} passed, ${String(failed)} failed`;
  return skipped === undefined ? base : `${base}, ${String(skipped)} skipped`;
}
