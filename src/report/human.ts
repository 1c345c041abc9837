/** Human output of `pp-sim run` (contract §5). Pure: data in, string out. */
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { COUNTER_NAMES, type CounterName } from '../kernel/names.js';
import type { IntervalLine, Report } from '../sim/report.js';
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

/** One iperf 2 interval line without the pool columns. */
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
    recycled: sum((l) => l.recycled),
    released: sum((l) => l.released),
  };
}

const POOL_HEAD = ['Recycled', 'Released', 'Inflight'] as const;

function renderIntervals(intervals: IntervalLine[], c: ChalkInstance): string {
  const flows = new Map<string, IntervalLine[]>();
  for (const l of intervals) {
    const list = flows.get(l.flow);
    if (list) list.push(l);
    else flows.set(l.flow, [l]);
  }
  const out: string[] = [];
  let id = 3;
  for (const [flow, lines] of flows) {
    const udp = lines.some((l) => l.udp);
    const total = totalLine(lines);
    const all = total ? [...lines, total] : lines;
    const texts = all.map((l) => iperfLine(id, l));
    const pool = all.map((l) => [l.recycled, l.released, l.inflight].map(String));
    let head = '[ ID] Interval       Transfer     Bandwidth';
    if (udp) head += '       Lost/Total Datagrams';
    const w = Math.max(head.length, ...texts.map((t) => t.length));
    const cw = POOL_HEAD.map((h, i) => Math.max(h.length, ...pool.map((p) => (p[i] ?? '').length)));
    const cols = (vals: readonly string[]): string => vals.map((v, i) => v.padStart(cw[i] ?? 0)).join('  ');
    out.push(`[${String(id).padStart(3)}] ${flow}`);
    out.push(`${head.padEnd(w)}    ${cols(POOL_HEAD)}`.trimEnd());
    texts.forEach((t, i) => {
      const line = `${t.padEnd(w)}    ${cols(pool[i] ?? [])}`;
      out.push(all[i] === total ? c.bold(line) : line);
    });
    id++;
  }
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
      c.red(f.kind), String(f.count), f.kernel, f.first.object, String(f.first.frame), f.first.path.join(' → '),
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
    `${c.bold(r.scenario)}  branch ${r.branch}  platform ${r.platform}  seed ${String(r.seed)}  ` +
      // A step scenario has no clock: its frames are the rx steps.
      `${r.intervals ? `${formatNs(r.sim.duration_ns)} simulated` : 'steps'}  ${String(r.sim.frames)} frames, ${formatTransfer(r.sim.bytes).trim()} sent` +
      (r.randomChoices === 0 ? '\nseed: no random choice in this scenario (pp-sim explain seed)' : ''),
  );
  if (r.intervals && r.intervals.length > 0) parts.push(renderIntervals(r.intervals, c));
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
