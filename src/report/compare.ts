/** Human output of `pp-sim compare`: one table per scenario, a column per branch. */
import { COUNTER_NAMES } from '../kernel/names.js';
import type { Report } from '../sim/report.js';
import type { Setup } from '../sim/config.js';
import { borderless, formatNs, painter, platformLabel, type Cell, type ColorOpt } from './human.js';
import { byCodeUnit, findingKinds } from './json.js';

/** One column: a report, or a skipped run with its reason and the overrides it was asked for. */
export type CompareCell = { branch: string; report: Report } | { branch: string; skipped: string; setup?: Setup };

interface Row {
  label: string;
  /** One value per report column (skipped columns excluded). */
  values: string[];
  /** Coloured clean/finding instead of highlighted. */
  verdict?: boolean;
}

function countOf(r: Report, list: 'violations' | 'leaks', kind: string): number {
  return r[list].filter((f) => f.kind === kind).reduce((a, f) => a + f.count, 0);
}

function kindsIn(reports: readonly Report[], list: 'violations' | 'leaks'): string[] {
  return [...new Set(reports.flatMap((r) => r[list].map((f) => f.kind)))].sort(byCodeUnit);
}

function buildRows(reports: readonly Report[]): Row[] {
  const rows: Row[] = [];
  if (new Set(reports.map((r) => r.platform)).size > 1) {
    rows.push({ label: 'platform', values: reports.map((r) => r.platform) });
  }
  const knobs = [...new Set(reports.flatMap((r) => Object.keys(r.knobs)))].sort(byCodeUnit);
  for (const k of knobs) {
    const values = reports.map((r) => r.knobs[k] ?? 'n/a');
    if (new Set(values).size > 1) rows.push({ label: `knob ${k}`, values });
  }
  for (const n of COUNTER_NAMES) {
    if (reports.some((r) => r.counters[n] !== 0)) rows.push({ label: n, values: reports.map((r) => String(r.counters[n])) });
  }
  for (const k of kindsIn(reports, 'violations')) {
    rows.push({ label: `violation ${k}`, values: reports.map((r) => String(countOf(r, 'violations', k))) });
  }
  for (const k of kindsIn(reports, 'leaks')) {
    rows.push({ label: `leak ${k}`, values: reports.map((r) => String(countOf(r, 'leaks', k))) });
  }
  rows.push({
    label: 'verdict',
    values: reports.map((r) => {
      const kinds = findingKinds(r);
      return kinds.length === 0 ? 'clean' : kinds.join(', ');
    }),
    verdict: true,
  });
  return rows;
}

/** What every column shares, for the one header line. */
export interface CompareHead {
  scenario: string;
  seed: number;
  durationNs: number;
  /** A step scenario: no simulated duration. */
  steps: boolean;
  /** The platform asked for (what the header says when no column ran). */
  platform: string;
}

/** A column's head: the branch, then each override on its own line (facts only when not every column has them). */
function columnHead(cell: CompareCell, commonFacts: ReadonlySet<string>): string {
  const s = 'report' in cell ? cell.report.setup : cell.setup;
  const from = s?.branchFile !== undefined ? [`from ${s.branchFile}`] : [];
  const extra = [...(s?.knobs ?? []), ...(s?.facts ?? []).filter((f) => !commonFacts.has(f))].map((x) => `+${x}`);
  return [cell.branch, ...from, ...extra].join('\n');
}

/** A column's name on one line, for footnotes and finding lines. */
function columnName(cell: CompareCell, commonFacts: ReadonlySet<string>): string {
  return columnHead(cell, commonFacts).replace(/\n(\+)?/g, (_m, plus: string | undefined) => (plus ? ' +' : ' '));
}

export function renderCompare(head: CompareHead, cells: readonly CompareCell[], o: ColorOpt): string {
  const c = painter(o);
  const reports = cells.flatMap((cell) => ('report' in cell ? [cell.report] : []));
  const setups = cells.map((cell) => ('report' in cell ? cell.report.setup : cell.setup));
  const commonFacts = new Set((setups[0]?.facts ?? []).filter((f) => setups.every((s) => s?.facts.includes(f) === true)));
  const platforms = [...new Set(reports.map((r) => r.platform))];
  const platform = platforms.length > 1 ? 'per column' : platformLabel(platforms[0] ?? head.platform, { knobs: [], facts: [...commonFacts] });
  const when = head.steps ? 'steps' : `${formatNs(head.durationNs)} simulated`;
  const title = `${c.bold(head.scenario)}  seed ${String(head.seed)}  ${when}  platform ${platform}`;
  const rows = buildRows(reports);
  const out: Cell[][] = rows.map((row) => {
    const differs = new Set(row.values).size > 1;
    const label = `${differs ? '*' : ' '} ${row.label}`;
    let ri = 0;
    const line: Cell[] = [differs ? c.bold.yellow(label) : label];
    cells.forEach((cell) => {
      if ('skipped' in cell) return;
      const v = row.values[ri++] ?? '';
      // A long verdict takes one line per finding kind, so the column stays narrow.
      if (row.verdict === true) line.push(v === 'clean' ? c.green(v) : v.split(', ').map((x) => c.red(x)).join('\n'));
      else if (differs) line.push(c.bold.yellow(v));
      else line.push(v === '0' ? c.dim(v) : v);
    });
    return line;
  });
  // A skipped column is one narrow cell spanning every row; its reason is a footnote.
  const notes: string[] = [];
  cells.forEach((cell, col) => {
    if (!('skipped' in cell)) return;
    notes.push(`[${String(notes.length + 1)}] ${columnName(cell, commonFacts)} skipped: ${cell.skipped}`);
    const first = out[0];
    if (first) first.splice(col + 1, 0, { content: c.dim(`skipped [${String(notes.length)}]`), rowSpan: out.length });
  });
  const heads = ['', ...cells.map((cell) => c.bold(columnHead(cell, commonFacts)))];
  const aligns = ['left' as const, ...cells.map((cell) => ('skipped' in cell ? ('left' as const) : ('right' as const)))];
  const table = borderless(heads, aligns, out, '');
  const tail = [...notes.map((n) => `  ${c.dim(n)}`), ...findingLines(cells, commonFacts, o)];
  return `${title}\n${table}\n${tail.length > 0 ? `${tail.join('\n')}\n` : ''}`;
}

/** Each column's findings with the first occurrence's object and kernel call path. */
function findingLines(cells: readonly CompareCell[], commonFacts: ReadonlySet<string>, o: ColorOpt): string[] {
  const c = painter(o);
  const lines: string[] = [];
  for (const cell of cells) {
    if (!('report' in cell)) continue;
    const r = cell.report;
    for (const f of [...r.violations, ...r.leaks]) {
      lines.push(`  ${c.bold(columnName(cell, commonFacts))}: ${c.red(f.kind)} x${String(f.count)}: ${f.first.object}`);
      lines.push(`      ${f.first.path.join(' → ')}`);
    }
  }
  return lines;
}
