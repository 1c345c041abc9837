/** JSON renderers of contract §4: fixed key order, stable sorting, byte-identical for equal input. */
import type { ExpectResult, Finding, IntervalSample, Report } from '../sim/report.js';
import type { HoldersView, PoolView } from '../sim/holders.js';

export interface CiCase {
  scenario: string;
  branch: string;
  file: string;
  status: 'passed' | 'failed' | 'skipped';
  reason?: string;
}

export interface CiSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** Cases of the whole run (all shards); cases.length when not sharded. */
  totalCases?: number;
  /** Which slice of the run this file holds (ci --shard i/N). */
  shard?: { index: number; total: number };
  cases: CiCase[];
}

/** A ci case's stable id: `<file>@<branch>` (shards select by it, merge checks it). */
export function ciCaseId(c: { file: string; branch: string }): string {
  return `${c.file}@${c.branch}`;
}

/** Ordered JSON value: objects are key/value pair lists, so integer-like keys keep their place. */
type Json = null | boolean | number | string | Json[] | { readonly obj: readonly (readonly [string, Json])[] };

/** Comparison by UTF-16 code unit (what Array.prototype.sort does by default). */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Findings sorted by kind; ties keep the earliest first occurrence first. */
export function sortFindings<K extends string>(fs: readonly Finding<K>[]): Finding<K>[] {
  return [...fs].sort((a, b) => byCodeUnit(a.kind, b.kind) || a.first.t_ns - b.first.t_ns || a.first.frame - b.first.frame);
}

/** Violation kinds then leak kinds of a report, each sorted; [] means clean. */
export function findingKinds(r: Report): string[] {
  const v = [...new Set(r.violations.map((f) => f.kind))].sort(byCodeUnit);
  const l = [...new Set(r.leaks.map((f) => f.kind))].sort(byCodeUnit);
  return [...v, ...l];
}

function obj(pairs: (readonly [string, Json])[]): Json {
  return { obj: pairs };
}

function sortedRecord(rec: Readonly<Record<string, Json>>): Json {
  return obj(Object.keys(rec).sort(byCodeUnit).map((k) => [k, rec[k] ?? null] as const));
}

function findingJson(f: Finding<string>): Json {
  return obj([
    ['kind', f.kind],
    ['count', f.count],
    ['kernel', f.kernel],
    ['first', obj([
      ['t_ns', f.first.t_ns],
      ['frame', f.first.frame],
      ...(f.first.skb_frame !== undefined ? [['skb_frame', f.first.skb_frame] as const] : []),
      ['object', f.first.object],
      ['path', [...f.first.path]],
    ])],
  ]);
}

function expectJson(e: ExpectResult): Json {
  return obj([['check', e.check], ['ok', e.ok], ['actual', e.actual]]);
}

function poolViewJson(p: PoolView): Json {
  return obj([
    ['id', p.id],
    ['ifindex', p.ifindex],
    ['napi-id', p['napi-id']],
    ['inflight', p.inflight],
    ['inflight-mem', p['inflight-mem']],
    ['detach-time', p['detach-time']],
    ['state', p.state],
    ['release_retries', p.release_retries],
    ['holders', p.holders.map((h) => obj([['holder', h.holder], ['pages', h.pages], ['oldest_ns', h.oldest_ns]]))],
  ]);
}

function holdersViewJson(v: HoldersView): Json {
  return obj([['t_ns', v.t_ns], ['at', v.at], ['pools', v.pools.map(poolViewJson)]]);
}

/** What only some runs have: the kernel log (page_pool release warnings) and holders views (--holders, holders steps). */
function optionalJson(r: Report): (readonly [string, Json])[] {
  const out: (readonly [string, Json])[] = [];
  if (r.kernel_log) out.push(['kernel_log', r.kernel_log.map((l) => obj([['t_ns', l.t_ns], ['text', l.text]]))]);
  if (r.holders) out.push(['holders', r.holders.map(holdersViewJson)]);
  return out;
}

/** One pool sample, keys in the order of IntervalSample. */
function sampleJson(x: IntervalSample): Json {
  const pairs: (readonly [string, Json])[] = [];
  for (const [key, v] of Object.entries(x)) {
    if (key !== 'flows') pairs.push([key, v as number]);
  }
  pairs.push(['flows', x.flows.map((f) => obj([['flow', f.flow], ['bytes', f.bytes]]))]);
  return obj(pairs);
}

/** The report as an ordered JSON value; `intervals` holds the pool samples (traffic scenarios). */
function reportJson(r: Report): Json {
  const pairs: (readonly [string, Json])[] = [
    ['schema', r.schema],
    ['tool', obj([['name', r.tool.name], ['version', r.tool.version]])],
    ['scenario', r.scenario],
    ['branch', r.branch],
    ['platform', r.platform],
    ['knobs', sortedRecord(r.knobs)],
    ['seed', r.seed],
    ['platform_facts', sortedRecord(r.platform_facts)],
    ['sim', obj([['duration_ns', r.sim.duration_ns], ['frames', r.sim.frames], ['bytes', r.sim.bytes]])],
    ['counters', sortedRecord(r.counters)],
    ['violations', sortFindings(r.violations).map(findingJson)],
    ['leaks', sortFindings(r.leaks).map(findingJson)],
    ...optionalJson(r),
    ['expect', r.expect.map(expectJson)],
    ['result', r.result],
  ];
  if (r.series) pairs.push(['intervals', r.series.map(sampleJson)]);
  return obj(pairs);
}

/** Serialises like JSON.stringify(v, null, 2). */
function stringify(v: Json, indent: string): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') {
    return JSON.stringify(v);
  }
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + stringify(x, inner)).join(',\n')}\n${indent}]`;
  }
  if (v.obj.length === 0) return '{}';
  return `{\n${v.obj.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${stringify(x, inner)}`).join(',\n')}\n${indent}}`;
}

function render(v: Json): string {
  return stringify(v, '') + '\n';
}

/** A report read back from its JSON: the key `intervals` holds the pool samples (Report.series). */
export function reportFromJson(r: Report): Report {
  const iv = (r as unknown as { intervals?: unknown }).intervals;
  const out: Report = { ...r };
  delete out.intervals;
  if (Array.isArray(iv)) out.series = iv as NonNullable<Report['series']>;
  return out;
}

export function renderReportJson(r: Report): string {
  return render(reportJson(r));
}

export function renderCompareJson(reports: readonly Report[]): string {
  return render(obj([['schema', 'pp-sim/compare@1'], ['reports', reports.map(reportJson)]]));
}

function ciCaseJson(c: CiCase): Json {
  const pairs: (readonly [string, Json])[] = [
    ['id', ciCaseId(c)],
    ['scenario', c.scenario],
    ['branch', c.branch],
    ['file', c.file],
    ['status', c.status],
  ];
  if (c.reason !== undefined) pairs.push(['reason', c.reason]);
  return obj(pairs);
}

export function renderCiJson(summary: CiSummary, reports: readonly Report[]): string {
  const head: (readonly [string, Json])[] = [
    ['passed', summary.passed],
    ['failed', summary.failed],
    ['skipped', summary.skipped],
    ['total_cases', summary.totalCases ?? summary.cases.length],
  ];
  if (summary.shard) head.push(['shard', obj([['index', summary.shard.index], ['total', summary.shard.total]])]);
  return render(obj([
    ['schema', 'pp-sim/ci@1'],
    ['summary', obj([...head, ['cases', summary.cases.map(ciCaseJson)]])],
    ['reports', reports.map(reportJson)],
  ]));
}
