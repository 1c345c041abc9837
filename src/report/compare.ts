/** Human output of `pp-sim compare`: one table per scenario, a column per branch. */
import { COUNTER_NAMES } from '../kernel/names.js';
import type { Report } from '../sim/report.js';
import { borderless, painter, type Cell, type ColorOpt } from './human.js';
import { byCodeUnit, findingKinds } from './json.js';

export type CompareCell = { branch: string; report: Report } | { branch: string; skipped: string };

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

export function renderCompare(scenario: string, cells: readonly CompareCell[], o: ColorOpt): string {
  const c = painter(o);
  const reports = cells.flatMap((cell) => ('report' in cell ? [cell.report] : []));
  const rows = buildRows(reports);
  const out: Cell[][] = rows.map((row) => {
    const differs = new Set(row.values).size > 1;
    const label = `${differs ? '*' : ' '} ${row.label}`;
    let ri = 0;
    const line: Cell[] = [differs ? c.bold.yellow(label) : label];
    cells.forEach((cell) => {
      if ('skipped' in cell) return;
      const v = row.values[ri++] ?? '';
      if (row.verdict === true) line.push(v === 'clean' ? c.green(v) : c.red(v));
      else if (differs) line.push(c.bold.yellow(v));
      else line.push(v === '0' ? c.dim(v) : v);
    });
    return line;
  });
  // Skipped branches get one cell spanning every row, inserted at their column.
  cells.forEach((cell, col) => {
    if (!('skipped' in cell)) return;
    const first = out[0];
    if (first) first.splice(col + 1, 0, { content: c.dim(`skipped: ${cell.skipped}`), rowSpan: out.length });
  });
  const head = [c.bold(scenario), ...cells.map((cell) => c.bold(cell.branch))];
  const aligns = ['left' as const, ...cells.map((cell) => ('skipped' in cell ? ('left' as const) : ('right' as const)))];
  return borderless(head, aligns, out, '') + '\n' + findingLines(reports, o);
}

/** Each branch's findings with the first occurrence's object and kernel call path. */
function findingLines(reports: readonly Report[], o: ColorOpt): string {
  const c = painter(o);
  const lines: string[] = [];
  for (const r of reports) {
    for (const f of [...r.violations, ...r.leaks]) {
      lines.push(`  ${c.bold(r.branch)}: ${c.red(f.kind)} x${f.count}: ${f.first.object}`);
      lines.push(`      ${f.first.path.join(' → ')}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
