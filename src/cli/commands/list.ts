import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { KNOB_NAMES, KNOBS } from '../../kernel/knobs.js';
import { LEAK_KINDS, LEAKS, VIOLATION_KINDS, VIOLATIONS, type KindInfo } from '../../kernel/names.js';
import { PLATFORMS, resolveConfig } from '../../sim/config.js';
import { InputError } from '../../kernel/errors.js';
import { columns, wrapTokens, type ColumnCell } from '../../report/columns.js';
import { ROOT, type Io } from '../context.js';
import { loadBranches, loadScenario, SCENARIO_DIR } from '../load.js';

export const LIST_WHAT = ['scenarios', 'branches', 'knobs', 'platforms', 'violations', 'leaks'] as const;
type What = (typeof LIST_WHAT)[number];

/** Width of text output: the terminal's, or 100 columns when stdout is not a terminal. */
const PLAIN_WIDTH = 100;

interface Listing {
  /** JSON items, one per listed thing. */
  items: object[];
  /** Text rows and the widths of every column but the last. */
  rows: ColumnCell[][];
  widths: number[];
}

const widest = (xs: readonly string[]): number => Math.max(0, ...xs.map((x) => x.length));

function scenarios(): Listing {
  const items = [];
  for (const dir of [SCENARIO_DIR, join(SCENARIO_DIR, 'steps')]) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) {
      const s = loadScenario(join(dir, f));
      items.push({ name: s.name, kind: s.steps ? 'steps' : 'traffic', branch: s.branch ?? null, description: s.description, file: relative(ROOT, join(dir, f)) });
    }
  }
  const rows = items.map((s) => [s.name, s.kind, s.branch ?? '-', s.description]);
  return { items, rows, widths: [widest(items.map((s) => s.name)), 7, widest(items.map((s) => s.branch ?? '-'))] };
}

function branches(): Listing {
  const { branches: all } = loadBranches();
  const items = all.map((b) => {
    const c = resolveConfig(all, b.name, undefined, 'espressobin', undefined, []);
    return { name: b.name, aliases: b.aliases, description: b.description, extends: b.extends ?? null, file: relative(ROOT, b.file), knobs: c.knobs };
  });
  const rows = items.map((b): ColumnCell[] => {
    const aliases = b.aliases.length ? ` (aliases: ${b.aliases.join(', ')})` : '';
    const knobs = Object.entries(b.knobs).filter(([, v]) => v !== 'n/a').map(([k, v]) => `${k}=${v}`).join(' ');
    return [b.name, `${b.description}${aliases}`, knobs];
  });
  // the knob settings go on their own lines under the description
  return { items, rows: rows.flatMap(([n, d, k]) => [[n!, d!], ['', k!]]), widths: [widest(items.map((b) => b.name))] };
}

function knobs(): Listing {
  const items = KNOB_NAMES.map((k) => ({ name: k, values: KNOBS[k].values, meaning: KNOBS[k].meaning, appliesWhen: KNOBS[k].appliesWhen ?? null }));
  const VALUES = 24;
  const rows = items.map((k): ColumnCell[] => {
    const dep = k.appliesWhen ? ` [n/a unless ${k.appliesWhen.knob} = ${k.appliesWhen.values.join(' | ')}]` : '';
    const values = wrapTokens(k.values.map((v, i) => (i < k.values.length - 1 ? `${v}|` : v)), VALUES, '');
    return [k.name, values, `${k.meaning}${dep}`];
  });
  return { items, rows, widths: [widest(KNOB_NAMES), VALUES] };
}

function platforms(): Listing {
  const items = PLATFORMS.map((p) => ({ name: p.name, description: p.description, facts: p.facts }));
  const rows = items.flatMap((p): ColumnCell[][] => [
    [p.name, p.description],
    ['', Object.entries(p.facts).map(([k, v]) => `${k}=${String(v)}`).join(' ')],
  ]);
  return { items, rows, widths: [widest(items.map((p) => p.name))] };
}

function kinds(names: readonly string[], info: Readonly<Record<string, KindInfo>>): Listing {
  const items = names.map((n) => ({ name: n, meaning: info[n]!.meaning, kernel: info[n]!.kernel }));
  return { items, rows: items.map((k) => [k.name, k.meaning]), widths: [widest(names)] };
}

const LISTINGS: Record<What, () => Listing> = {
  scenarios,
  branches,
  knobs,
  platforms,
  violations: () => kinds(VIOLATION_KINDS, VIOLATIONS),
  leaks: () => kinds(LEAK_KINDS, LEAKS),
};

/**
 * pp-sim list [scenarios|branches|knobs|platforms|violations|leaks] [--json]: text columns whose
 * last column wraps to the terminal (100 columns when stdout is not one), or pp-sim/list@1 JSON.
 */
export function listCommand(io: Io, what: string | undefined, o: { json?: boolean } = {}): number {
  const w = what ?? 'scenarios';
  if (!(LIST_WHAT as readonly string[]).includes(w)) throw new InputError(`list takes one of ${LIST_WHAT.join(', ')}, got '${w}'`, { file: 'list' });
  const l = LISTINGS[w as What]();
  if (o.json) {
    io.stdout(`${JSON.stringify({ schema: 'pp-sim/list@1', what: w, items: l.items }, null, 2)}\n`);
    return 0;
  }
  const width = io.isTTY && io.columns !== undefined && io.columns > 0 ? io.columns : PLAIN_WIDTH;
  io.stdout(`${columns(l.rows, l.widths, width).join('\n')}\n`);
  return 0;
}
