/** GitHub Actions workflow commands and the job summary (ecosystem.md §4). */
import type { ViolationKind } from '../kernel/names.js';
import type { Finding } from '../sim/report.js';
import { caseBranch, type JunitCase } from './junit.js';
import { whenText } from './human.js';
import { byCodeUnit, sortFindings } from './json.js';

/** Worst first: memory corruption, then wrong ownership, then DMA API misuse, then design rules. */
const SEVERITY: readonly ViolationKind[] = [
  'data-corruption', 'use-after-free', 'page-double-free', 'wrong-recycle', 'recycle-while-referenced',
  'freed-while-mapped', 'dma-addr-truncated', 'pp-negative-inflight', 'direct-recycle-outside-napi',
  'cpu-access-device-owned', 'dma-dirty-cacheline', 'dma-unmap-not-mapped', 'dma-sync-not-mapped', 'dma-sync-out-of-range',
  'dma-dir-mismatch', 'pp-page-as-frag',
];

/** Escapes the message part of a workflow command. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a property value (file=, title=). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

interface Annotation {
  rank: number;
  count: number;
  order: number;
  file: string;
  title: string;
  message: string;
}

function findingMessage(c: JunitCase, f: Finding<string>, what: string): string {
  return [
    `${c.scenario}: ${f.kind}${what} ×${String(f.count)}; first ${f.first.object} (${whenText(f.first)})`,
    `path: ${f.first.path.join(' → ')}`,
    `kernel: ${f.kernel}`,
  ].join('\n');
}

function annotations(cases: readonly JunitCase[]): Annotation[] {
  const out: Annotation[] = [];
  cases.forEach((c, order) => {
    const r = c.report;
    if (!r || c.skipped !== undefined || r.result !== 'fail') return;
    for (const f of r.violations) {
      const sev = SEVERITY.indexOf(f.kind);
      out.push({
        rank: sev < 0 ? SEVERITY.length : sev, count: f.count, order, file: c.file,
        title: `${f.kind} [${caseBranch(c)}]`, message: findingMessage(c, f, ''),
      });
    }
    for (const f of r.leaks) {
      out.push({
        rank: 100, count: f.count, order, file: c.file,
        title: `${f.kind} [${caseBranch(c)}]`, message: findingMessage(c, f, ' leak'),
      });
    }
    for (const e of r.expect) {
      if (e.ok) continue;
      out.push({
        rank: 200, count: 0, order, file: c.file,
        title: `expectation [${caseBranch(c)}]`, message: `${c.scenario}: expectation failed: ${e.check} (actual ${String(e.actual)})`,
      });
    }
  });
  return out.sort((a, b) => a.rank - b.rank || b.count - a.count || a.order - b.order || byCodeUnit(a.title, b.title));
}

export function renderGithubAnnotations(cases: readonly JunitCase[], max = 10): string {
  const all = annotations(cases);
  const lines = all
    .slice(0, max)
    .map((a) => `::error file=${escapeProperty(a.file)},title=${escapeProperty(a.title)}::${escapeData(a.message)}`);
  if (all.length > max) lines.push(`::notice::${String(all.length - max)} more findings in the job summary`);
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

/** Markdown table cell: no pipes or line breaks. */
function md(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function renderStepSummary(cases: readonly JunitCase[]): string {
  const rows: string[] = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const c of cases) {
    const r = c.report;
    let result: string;
    let findings: string;
    if (c.skipped !== undefined) {
      skipped++;
      result = 'skipped';
      findings = c.skipped;
    } else if (!r) {
      failed++;
      result = '**error**';
      findings = 'no report produced';
    } else {
      if (r.result === 'pass') passed++;
      else failed++;
      result = r.result === 'pass' ? 'pass' : '**fail**';
      const parts = [
        ...sortFindings(r.violations).map((f) => `${f.kind} ×${String(f.count)}`),
        ...sortFindings(r.leaks).map((f) => `${f.kind} leak ×${String(f.count)}`),
        ...r.expect.filter((e) => !e.ok).map((e) => `\`${e.check}\` (actual ${String(e.actual)})`),
      ];
      findings = parts.length > 0 ? parts.join(', ') : 'clean';
    }
    rows.push(`| ${md(c.scenario)} | ${md(caseBranch(c))} | ${result} | ${md(findings)} |`);
  }
  return [
    '## pp-sim',
    '',
    '| scenario | branch | result | findings |',
    '|---|---|---|---|',
    ...rows,
    '',
    `${String(passed)} passed, ${String(failed)} failed, ${String(skipped)} skipped`,
    '',
  ].join('\n');
}
