import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KNOB_NAMES, KNOBS } from '../../kernel/knobs.js';
import { LEAK_KINDS, LEAKS, VIOLATION_KINDS, VIOLATIONS } from '../../kernel/names.js';
import { PLATFORMS, resolveConfig } from '../../sim/config.js';
import { InputError } from '../../kernel/errors.js';
import type { Io } from '../context.js';
import { loadBranches, loadScenario, SCENARIO_DIR } from '../load.js';

const WHAT = ['scenarios', 'branches', 'knobs', 'platforms', 'violations'] as const;

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length);
}

/** pp-sim list [scenarios|branches|knobs|platforms|violations]: one line per item. */
export function listCommand(io: Io, what: string | undefined): number {
  const w = what ?? 'scenarios';
  if (!(WHAT as readonly string[]).includes(w)) throw new InputError(`list takes one of ${WHAT.join(', ')}, got '${w}'`, { file: 'list' });
  const out: string[] = [];
  if (w === 'scenarios') {
    for (const dir of [SCENARIO_DIR, join(SCENARIO_DIR, 'steps')]) {
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) {
        const s = loadScenario(join(dir, f));
        out.push(`${pad(s.name, 24)}${pad(s.steps ? 'steps' : 'traffic', 9)}${pad(s.branch ?? '-', 15)}${s.description}`);
      }
    }
  } else if (w === 'branches') {
    const { branches } = loadBranches();
    for (const b of branches) {
      const c = resolveConfig(branches, b.name, undefined, 'espressobin', undefined, []);
      const aliases = b.aliases.length ? ` (aliases: ${b.aliases.join(', ')})` : '';
      const knobs = Object.entries(c.knobs).filter(([, v]) => v !== 'n/a').map(([kk, v]) => `${kk}=${v}`).join(' ');
      out.push(`${pad(b.name, 17)}${b.description}${aliases}`);
      out.push(`${' '.repeat(17)}${knobs}`);
    }
  } else if (w === 'knobs') {
    for (const k of KNOB_NAMES) {
      const spec = KNOBS[k];
      const dep = spec.appliesWhen ? ` [n/a unless ${spec.appliesWhen.knob}=${spec.appliesWhen.values.join('|')}]` : '';
      out.push(`${pad(k, 22)}${pad(spec.values.join('|'), 50)}${spec.meaning}${dep}`);
    }
  } else if (w === 'platforms') {
    for (const p of PLATFORMS) {
      const facts = Object.entries(p.facts).map(([kk, v]) => `${kk}=${String(v)}`).join(' ');
      out.push(`${pad(p.name, 13)}${p.description}`);
      out.push(`${' '.repeat(13)}${facts}`);
    }
  } else {
    for (const v of VIOLATION_KINDS) out.push(`${pad(v, 28)}violation  ${VIOLATIONS[v].meaning}`);
    for (const l of LEAK_KINDS) out.push(`${pad(l, 28)}leak       ${LEAKS[l].meaning}`);
  }
  io.stdout(`${out.join('\n')}\n`);
  return 0;
}
