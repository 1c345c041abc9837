/** JUnit XML for CI (ecosystem.md §4), written by hand. */
import type { Setup } from '../sim/config.js';
import type { Finding, Report } from '../sim/report.js';
import { branchLabel, whenText } from './human.js';
import { byCodeUnit, findingKinds, sortFindings } from './json.js';

export interface JunitCase {
  scenario: string;
  branch: string;
  file: string;
  report?: Report;
  skipped?: string;
  timeS?: number;
  /** Overrides of a case without a report (a skipped one); a report carries its own. */
  setup?: Setup;
}

/** The case's branch with every override, as headers name it. */
export function caseBranch(c: JunitCase): string {
  return branchLabel(c.branch, c.report?.setup ?? c.setup);
}

/** Removes what XML 1.0 forbids: C0 controls other than TAB/LF/CR, lone surrogates, U+FFFE/U+FFFF. */
export function stripXmlForbidden(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s.slice(i, i + 2);
        i++;
      }
      continue;
    }
    if (u >= 0xdc00 && u <= 0xdfff) continue;
    if (u < 0x20 && u !== 0x09 && u !== 0x0a && u !== 0x0d) continue;
    if (u === 0xfffe || u === 0xffff) continue;
    out += s.charAt(i);
  }
  return out;
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;',
  '\t': '&#9;', '\n': '&#10;', '\r': '&#13;',
};

/** Escapes text content. */
export function xmlText(s: string): string {
  return stripXmlForbidden(s).replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

/** Escapes an attribute value; whitespace controls become references so parsers keep them. */
export function xmlAttr(s: string): string {
  return stripXmlForbidden(s).replace(/[&<>"'\t\n\r]/g, (ch) => ENTITIES[ch] ?? ch);
}

function attrs(pairs: [string, string | number][]): string {
  return pairs.map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`).join('');
}

function time(s: number | undefined): string {
  return (s ?? 0).toFixed(3);
}

type Status = 'passed' | 'failed' | 'skipped' | 'error';

function statusOf(c: JunitCase): Status {
  if (c.skipped !== undefined) return 'skipped';
  if (!c.report) return 'error';
  return c.report.result === 'fail' ? 'failed' : 'passed';
}

function describeFinding(f: Finding<string>): string {
  return `${f.kind}: ${f.first.object} via ${f.first.path.join(' → ')}`;
}

/** Earliest violation, else the first leak: what a developer looks at first. */
function firstFinding(r: Report): Finding<string> | undefined {
  const vs = [...r.violations].sort((a, b) => a.first.t_ns - b.first.t_ns || a.first.frame - b.first.frame || byCodeUnit(a.kind, b.kind));
  return vs[0] ?? sortFindings(r.leaks)[0];
}

function findingBody(label: string, f: Finding<string>): string[] {
  return [
    `${label} ${f.kind} x${String(f.count)}: ${f.kernel}`,
    `  first: ${f.first.object} (${whenText(f.first)})`,
    `  path: ${f.first.path.join(' → ')}`,
  ];
}

function failureXml(c: JunitCase, r: Report): string {
  const kinds = findingKinds(r);
  const failedExpect = r.expect.filter((e) => !e.ok);
  const first = firstFinding(r);
  const fe = failedExpect[0];
  const message = first
    ? describeFinding(first)
    : fe
      ? `expectation failed: ${fe.check} (actual ${String(fe.actual)})`
      : `${c.scenario} failed`;
  const body = [
    ...sortFindings(r.violations).flatMap((f) => findingBody('violation', f)),
    ...sortFindings(r.leaks).flatMap((f) => findingBody('leak', f)),
    ...failedExpect.map((e) => `expectation failed: ${e.check} (actual ${String(e.actual)})`),
  ];
  const type = kinds.length > 0 ? kinds.join(',') : 'expectation';
  return `      <failure${attrs([['type', type], ['message', message]])}>${xmlText(body.join('\n'))}</failure>\n`;
}

function caseXml(c: JunitCase): string {
  const st = statusOf(c);
  let x = `    <testcase${attrs([['classname', c.file], ['name', `${c.scenario} [${caseBranch(c)}]`], ['time', time(c.timeS)]])}>\n`;
  const r = c.report;
  const setup = r?.setup ?? c.setup;
  const props: [string, string][] = [['branch', c.branch]];
  if (setup?.branchFile !== undefined) props.push(['branch_file', setup.branchFile]);
  if (r) props.push(['seed', String(r.seed)], ['platform', r.platform]);
  const set = [...(setup?.knobs ?? []), ...(setup?.facts ?? [])];
  if (set.length > 0) props.push(['set', set.join(' ')]);
  x += '      <properties>\n';
  for (const [k, v] of props) x += `        <property${attrs([['name', k], ['value', v]])}/>\n`;
  x += '      </properties>\n';
  if (st === 'skipped') x += `      <skipped${attrs([['message', c.skipped ?? '']])}/>\n`;
  else if (st === 'error') x += `      <error${attrs([['message', 'no report produced']])}/>\n`;
  else if (st === 'failed' && r) x += failureXml(c, r);
  if (r) {
    const lines = Object.keys(r.counters)
      .sort(byCodeUnit)
      .flatMap((k) => {
        const v = (r.counters as Record<string, number>)[k] ?? 0;
        return v !== 0 ? [`${k}=${String(v)}`] : [];
      });
    if (lines.length > 0) x += `      <system-out>${xmlText(lines.join('\n') + '\n')}</system-out>\n`;
  }
  return x + '    </testcase>\n';
}

interface Counts {
  tests: number;
  failures: number;
  skipped: number;
  errors: number;
  time: number;
}

function count(cases: readonly JunitCase[]): Counts {
  const n: Counts = { tests: cases.length, failures: 0, skipped: 0, errors: 0, time: 0 };
  for (const c of cases) {
    const st = statusOf(c);
    if (st === 'failed') n.failures++;
    else if (st === 'skipped') n.skipped++;
    else if (st === 'error') n.errors++;
    n.time += c.timeS ?? 0;
  }
  return n;
}

function countAttrs(n: Counts): [string, string | number][] {
  return [['tests', n.tests], ['failures', n.failures], ['skipped', n.skipped], ['errors', n.errors], ['time', time(n.time)]];
}

export function renderJunit(cases: readonly JunitCase[]): string {
  const suites = new Map<string, JunitCase[]>();
  for (const c of cases) {
    const list = suites.get(c.branch);
    if (list) list.push(c);
    else suites.set(c.branch, [c]);
  }
  let x = '<?xml version="1.0" encoding="UTF-8"?>\n';
  x += `<testsuites${attrs([['name', 'pp-sim'], ...countAttrs(count(cases))])}>\n`;
  for (const [branch, list] of suites) {
    x += `  <testsuite${attrs([['name', branch], ...countAttrs(count(list))])}>\n`;
    x += `    <properties>\n      <property${attrs([['name', 'branch'], ['value', branch]])}/>\n    </properties>\n`;
    for (const c of list) x += caseXml(c);
    x += '  </testsuite>\n';
  }
  return x + '</testsuites>\n';
}
