/** Human output of `pp-sim ci` and `pp-sim merge`: one summary table, then a short block per failed case. */
import type { Finding, Report } from '../sim/report.js';
import { borderless, painter, whenText, type ColorOpt } from './human.js';
import type { JunitCase } from './junit.js';
import { byCodeUnit, ciCaseId, sortFindings } from './json.js';

export interface CiTableOptions extends ColorOpt {
  /** The command that reruns one case, shown under a failed case. */
  repro?: (c: JunitCase) => string;
}

function findingsCell(r: Report): string {
  const parts = [
    ...sortFindings(r.violations).map((f) => `${f.kind} ×${String(f.count)}`),
    ...sortFindings(r.leaks).map((f) => `${f.kind} leak ×${String(f.count)}`),
  ];
  const failed = r.expect.filter((e) => !e.ok);
  const first = failed[0];
  if (first && parts.length === 0) {
    parts.push(`expect ${first.check} (actual ${String(first.actual)})`);
    if (failed.length > 1) parts.push(`+${String(failed.length - 1)} more`);
  }
  return parts.length > 0 ? parts.join(', ') : 'clean';
}

/** Earliest violation, else the first leak. */
function firstFinding(r: Report): Finding<string> | undefined {
  const vs = [...r.violations].sort((a, b) => a.first.t_ns - b.first.t_ns || a.first.frame - b.first.frame || byCodeUnit(a.kind, b.kind));
  return vs[0] ?? sortFindings(r.leaks)[0];
}

function failedBlock(c: JunitCase, r: Report, o: CiTableOptions): string[] {
  const p = painter(o);
  const out = [`${p.red.bold('FAIL')} ${ciCaseId(c)}`];
  const f = firstFinding(r);
  if (f) {
    out.push(`  ${f.kind} ×${String(f.count)}: ${f.first.object} (${whenText(f.first)})`);
    out.push(`    ${f.first.path.join(' → ')}`);
  }
  for (const e of r.expect.filter((x) => !x.ok)) out.push(`  expectation failed: ${e.check} (actual ${String(e.actual)})`);
  if (o.repro) out.push(`  rerun: ${o.repro(c)}`);
  return out;
}

/** Summary table of every case (file, branch, result, frames, findings or skip reason). */
export function renderCiTable(cases: readonly JunitCase[], o: CiTableOptions): string {
  const p = painter(o);
  const rows = cases.map((c) => {
    const r = c.report;
    if (c.skipped !== undefined || !r) return [c.file, c.branch, p.dim('skip'), '', p.dim(c.skipped ?? 'not run')];
    const result = r.result === 'pass' ? p.green('pass') : p.red.bold('FAIL');
    const findings = findingsCell(r);
    return [c.file, c.branch, result, String(r.sim.frames), findings === 'clean' ? p.dim(findings) : findings];
  });
  const head = ['case', 'branch', 'result', 'frames', 'findings'].map((h) => p.bold(h));
  const parts = [borderless(head, ['left', 'left', 'left', 'right', 'left'], rows, '')];
  const blocks = cases.flatMap((c) => (c.report && c.skipped === undefined && c.report.result === 'fail' ? [failedBlock(c, c.report, o).join('\n')] : []));
  if (blocks.length > 0) parts.push(blocks.join('\n\n'));
  return parts.join('\n\n') + '\n';
}
