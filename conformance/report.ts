import { loadCases } from './cases-io.js';
import { compareCase, configFor, loadBoundaries, loadRecordings } from './compare.js';

/**
 * npm run conformance:report: the case × field table of every recording, as Markdown. A cell counts
 * the fields of that class in that case group: "agree/compared", plus "+b" for fields under a
 * boundary row of conformance/README.md and "!n" for real differences.
 */
const CLASSES: [string, RegExp][] = [
  ['skb geometry', /^@\d+\.[a-z0-9_]+\.(len|headlen|nr_frags)$/],
  ['skb flags', /^@\d+\.[a-z0-9_]+\.(pp_recycle|head_frag|cloned)$/],
  ['coalesce', /^@\d+\.coalesce$/],
  ['gro', /^@\d+\.gro$/],
  ['page refs', /^@\d+\.ref\./],
  ['alloc stats', /^pp\.alloc\./],
  ['recycle stats', /^pp\.recycle\./],
  ['hold/release', /^pp\.(hold|release)$/],
  ['destroy', /^destroy\./],
  ['late', /^late\./],
];

interface Cell {
  agree: number;
  compared: number;
  boundary: number;
  differ: number;
}

const cases = loadCases();
const boundaries = loadBoundaries();
for (const { rec } of loadRecordings()) {
  const cfg = configFor(rec.version);
  console.log(`\n### Linux ${rec.version} (${rec.source})\n`);
  if (typeof cfg === 'string') {
    console.log(`not compared: ${cfg}`);
    continue;
  }
  console.log(`pp-sim branch ${cfg.branch}, coalesce=${cfg.knobs.coalesce}\n`);
  const groups = new Map<string, Map<string, Cell>>();
  let total = 0;
  let agreeTotal = 0;
  for (const c of cases) {
    const kernel = rec.lines.get(c.name);
    if (!kernel) continue;
    const group = c.name.replace(/-.*$/, '');
    const row = groups.get(group) ?? new Map<string, Cell>();
    groups.set(group, row);
    const { diffs } = compareCase(c, kernel, cfg, boundaries);
    const byField = new Map(diffs.map((d) => [d.field, d]));
    for (const field of kernel.keys()) {
      const cls = CLASSES.find(([, re]) => re.test(field))?.[0] ?? 'other';
      const cell = row.get(cls) ?? { agree: 0, compared: 0, boundary: 0, differ: 0 };
      row.set(cls, cell);
      const d = byField.get(field);
      if (d?.boundary) cell.boundary++;
      else {
        cell.compared++;
        total++;
        if (d) cell.differ++;
        else {
          cell.agree++;
          agreeTotal++;
        }
      }
    }
  }
  const cols = CLASSES.map(([n]) => n);
  console.log(`| cases | ${cols.join(' | ')} |`);
  console.log(`|---|${cols.map(() => '---').join('|')}|`);
  for (const [group, row] of groups) {
    const n = cases.filter((c) => c.name.replace(/-.*$/, '') === group).length;
    const cells = cols.map((col) => {
      const x = row.get(col);
      if (!x) return '';
      return `${x.agree}/${x.compared}${x.boundary ? ` +${x.boundary}b` : ''}${x.differ ? ` !${x.differ}` : ''}`;
    });
    console.log(`| ${group} (${n}) | ${cells.join(' | ')} |`);
  }
  console.log(`\n${agreeTotal} of ${total} compared fields agree.`);
}
