import { InputError } from '../../kernel/errors.js';
import type { Report } from '../../sim/report.js';
import { byCodeUnit, ciCaseId, reportFromJson } from '../../report/json.js';
import type { JunitCase } from '../../report/junit.js';
import type { Io } from '../context.js';
import { MAX_SHARD_BYTES, readText, setupOfReport } from '../load.js';
import { checkStdout, emitCiResults } from './ci.js';

export interface MergeOptions {
  json?: string;
  junit?: string;
  quiet?: boolean;
  color?: boolean;
}

interface ShardFile {
  file: string;
  totalCases: number | undefined;
  shard: { index: number; total: number } | undefined;
  cases: JunitCase[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isReport(v: unknown): v is Report {
  return isRecord(v) && v.schema === 'pp-sim/report@1' && typeof v.scenario === 'string' && typeof v.branch === 'string' &&
    isRecord(v.sim) && isRecord(v.counters) && Array.isArray(v.violations) && Array.isArray(v.leaks) && Array.isArray(v.expect) &&
    (v.result === 'pass' || v.result === 'fail');
}

/** Reads one `ci --json` file into cases with their reports. */
function readShard(file: string): ShardFile {
  const text = readText(file, MAX_SHARD_BYTES);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not JSON (${(e as Error).message.replace(/\s+/g, ' ')})`, { file });
  }
  const bad = (what: string): InputError => new InputError(`not a pp-sim ci JSON file (${what}); write one with pp-sim ci --json <file>`, { file });
  if (!isRecord(data) || data.schema !== 'pp-sim/ci@1') throw bad(`schema is ${isRecord(data) ? JSON.stringify(data.schema) : 'missing'}, want "pp-sim/ci@1"`);
  const summary = data.summary;
  const reports = data.reports;
  if (!isRecord(summary) || !Array.isArray(summary.cases) || !Array.isArray(reports)) throw bad('no summary.cases or reports');
  const queue: unknown[] = [...(reports as unknown[])];
  const cases = summary.cases.map((c: unknown, i): JunitCase => {
    if (!isRecord(c) || typeof c.scenario !== 'string' || typeof c.branch !== 'string' || typeof c.file !== 'string') throw bad(`summary.cases[${String(i)}] is malformed`);
    const base = { scenario: c.scenario, branch: c.branch, file: c.file };
    if (c.status === 'skipped') return { ...base, skipped: typeof c.reason === 'string' ? c.reason : 'skipped' };
    if (c.status !== 'passed' && c.status !== 'failed') throw bad(`summary.cases[${String(i)}].status is ${JSON.stringify(c.status)}`);
    const report: unknown = queue.shift();
    if (!isReport(report) || report.scenario !== c.scenario || report.branch !== c.branch) throw bad(`no report for case ${ciCaseId(base)}`);
    const setup = setupOfReport(report);
    const back = reportFromJson(report);
    return { ...base, report: setup ? { ...back, setup } : back };
  });
  if (queue.length > 0) throw bad(`${String(queue.length)} report(s) without a case`);
  const shard = isRecord(summary.shard) && typeof summary.shard.index === 'number' && typeof summary.shard.total === 'number'
    ? { index: summary.shard.index, total: summary.shard.total }
    : undefined;
  return { file, totalCases: typeof summary.total_cases === 'number' ? summary.total_cases : undefined, shard, cases };
}

/** pp-sim merge <shard.json...>: one result from the shards of a ci run; every case must have run exactly once. */
export function mergeCommand(io: Io, files: string[], o: MergeOptions): number {
  checkStdout(o);
  const shards = files.map(readShard);
  const seen = new Map<string, string>();
  const cases: JunitCase[] = [];
  for (const s of shards) {
    for (const c of s.cases) {
      const id = ciCaseId(c);
      const prev = seen.get(id);
      if (prev !== undefined) throw new InputError(`case ${id} ran more than once (also in ${prev})`, { file: s.file });
      seen.set(id, s.file);
      cases.push(c);
    }
  }
  const totals = new Set(shards.flatMap((s) => (s.totalCases !== undefined ? [s.totalCases] : [])));
  const ns = new Set(shards.flatMap((s) => (s.shard ? [s.shard.total] : [])));
  if (totals.size > 1 || ns.size > 1) throw new InputError('the files come from different ci runs (total cases or shard counts differ)', { file: files[0] ?? 'merge' });
  const [total] = [...totals];
  if (total !== undefined && cases.length !== total) {
    const [n] = [...ns];
    const have = new Set(shards.flatMap((s) => (s.shard ? [s.shard.index] : [])));
    const missing = n === undefined ? [] : Array.from({ length: n }, (_, i) => i + 1).filter((i) => !have.has(i));
    const which = missing.length > 0 ? `; missing shard ${missing.map((i) => `${String(i)}/${String(n)}`).join(', ')}` : '';
    throw new InputError(`incomplete: ${String(cases.length)} of ${String(total)} cases${which}`, { file: 'merge' });
  }
  cases.sort((a, b) => byCodeUnit(ciCaseId(a), ciCaseId(b)));
  return emitCiResults(io, cases, {
    ...(o.json !== undefined ? { json: o.json } : {}),
    ...(o.junit !== undefined ? { junit: o.junit } : {}),
    ...(o.quiet !== undefined ? { quiet: o.quiet } : {}),
    ...(o.color !== undefined ? { color: o.color } : {}),
    annotations: false,
  });
}
