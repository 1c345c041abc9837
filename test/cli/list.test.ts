// `pp-sim list`: every kind of thing it lists, as text columns and as JSON (issue 9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KNOB_NAMES, KNOBS } from '../../src/kernel/knobs.js';
import { LEAK_KINDS, LEAKS, VIOLATION_KINDS, VIOLATIONS } from '../../src/kernel/names.js';
import { PLATFORMS } from '../../src/sim/config.js';
import { LIST_WHAT } from '../../src/cli/commands/list.js';
import { columns, wrapTokens } from '../../src/report/columns.js';
import { capture } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const yamlIn = (dir: string): string[] => readdirSync(`${ROOT}${dir}`).filter((f) => f.endsWith('.yaml')).sort();

interface ListJson {
  schema: string;
  what: string;
  items: ({ name: string } & Record<string, unknown>)[];
}

function listJson(what: string): ListJson {
  const r = capture(['list', what, '--json']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  return JSON.parse(r.out) as ListJson;
}

test('list --json: pp-sim/list@1 with one item per listed thing, for every kind of list', () => {
  const expected: Record<(typeof LIST_WHAT)[number], string[]> = {
    scenarios: [...yamlIn('scenarios'), ...yamlIn('scenarios/steps')].map((f) => f.replace(/\.yaml$/, '')),
    branches: yamlIn('branches').map((f) => f.replace(/\.yaml$/, '')).sort(),
    knobs: KNOB_NAMES,
    platforms: PLATFORMS.map((p) => p.name),
    violations: [...VIOLATION_KINDS],
    leaks: [...LEAK_KINDS],
  };
  for (const what of LIST_WHAT) {
    const j = listJson(what);
    assert.equal(j.schema, 'pp-sim/list@1');
    assert.equal(j.what, what);
    assert.deepEqual(j.items.map((i) => i.name), expected[what], what);
  }
  const knobs = listJson('knobs').items;
  for (const k of knobs) {
    const spec = KNOBS[k.name as keyof typeof KNOBS];
    assert.deepEqual(k.values, spec.values, k.name);
    assert.equal(k.meaning, spec.meaning, k.name);
    assert.deepEqual(k.appliesWhen, spec.appliesWhen ?? null, k.name);
  }
  const b07 = listJson('branches').items.find((b) => b.name === 'mvneta_07')!;
  assert.equal(b07.extends, 'mvneta_03');
  assert.equal(b07.file, 'branches/mvneta_07.yaml');
  assert.equal((b07.knobs as Record<string, string>).mem_info_placement, 'flags', 'knobs are resolved through extends');
  const steps = listJson('scenarios').items.find((s) => s.name === 'skb-copy')!;
  assert.deepEqual([steps.kind, steps.branch, steps.file], ['steps', 'mvneta_07', 'scenarios/steps/skb-copy.yaml']);
  const leak = listJson('leaks').items.find((l) => l.name === 'pool-inflight')!;
  assert.equal(leak.kernel, LEAKS['pool-inflight'].kernel);
  const v = listJson('violations').items.find((x) => x.name === 'wrong-recycle')!;
  assert.equal(v.meaning, VIOLATIONS['wrong-recycle'].meaning);
});

test('list leaks and list violations: one entry per kind, each starting a line', () => {
  for (const [what, names] of [['leaks', LEAK_KINDS], ['violations', VIOLATION_KINDS]] as const) {
    const r = capture(['list', what]);
    assert.equal(r.code, 0, r.err);
    const starts = r.out.split('\n').filter((l) => /^\S/.test(l)).map((l) => l.split(/\s+/)[0]);
    assert.deepEqual(starts, [...names], what);
  }
});

/** The knob rows of `list knobs` text: name, values column and meaning column, joined back. */
function knobRows(text: string): { name: string; values: string; meaning: string }[] {
  const lines = text.trimEnd().split('\n');
  const nameW = Math.max(...KNOB_NAMES.map((k) => k.length)) + 2;
  const valuesEnd = /^\S+\s+\S+\s+/.exec(lines[0]!)![0].length;
  const rows: { name: string; values: string; meaning: string }[] = [];
  for (const l of lines) {
    if (/^\S/.test(l)) rows.push({ name: l.slice(0, nameW).trim(), values: '', meaning: '' });
    const row = rows.at(-1)!;
    row.values += l.slice(nameW, valuesEnd).trim();
    row.meaning = `${row.meaning} ${l.slice(valuesEnd).trim()}`.trim();
  }
  return rows;
}

test('list knobs keeps values and descriptions in their columns, wrapped to 100 columns off a terminal and to the terminal width on one', () => {
  for (const [over, width] of [[{ isTTY: false, columns: 60 }, 100], [{ isTTY: true, columns: 80 }, 80], [{ isTTY: true, columns: 132 }, 132]] as const) {
    const r = capture(['list', 'knobs'], over);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    for (const l of lines) assert.ok(l.length <= width, `${String(l.length)} > ${String(width)}: ${l}`);
    assert.ok(lines.some((l) => l.length > width - 12), `the last column uses the width (${String(width)})`);
    const rows = knobRows(r.out);
    assert.deepEqual(rows.map((x) => x.name), KNOB_NAMES);
    for (const row of rows) {
      const spec = KNOBS[row.name as keyof typeof KNOBS];
      assert.equal(row.values, spec.values.join('|'), row.name);
      const dep = spec.appliesWhen ? ` [n/a unless ${spec.appliesWhen.knob} = ${spec.appliesWhen.values.join(' | ')}]` : '';
      assert.equal(row.meaning, `${spec.meaning}${dep}`.replace(/\s+/g, ' '), row.name);
    }
  }
});

test('columns: cells wrap inside their column, long tokens get a line of their own, the last column keeps 20', () => {
  assert.deepEqual(wrapTokens(['a|', 'bb|', 'ccc'], 5, ''), ['a|bb|', 'ccc']);
  assert.deepEqual(wrapTokens(['toolongtoken', 'x'], 4), ['toolongtoken', 'x']);
  assert.deepEqual(columns([['n', ['v1', 'v2'], 'one two three']], [3, 2], 17), ['n    v1  one two three', '     v2']);
  assert.deepEqual(columns([['n', 'x', 'one two three four five six seven']], [1, 1], 10), ['n  x  one two three four', '      five six seven']);
  assert.deepEqual(columns([['longer', 'y']], [2], 30), ['longer  y'], 'an overlong cell keeps two spaces before the next column');
});

test('list of an unknown thing names the choices, leaks among them', () => {
  const r = capture(['list', 'leak']);
  assert.equal(r.code, 2);
  assert.match(r.err, /^pp-sim: list: list takes one of scenarios, branches, knobs, platforms, violations, leaks, got 'leak'\n$/);
});
