import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadBranches } from '../src/cli/load.js';
import { resolveConfig, type ResolvedConfig } from '../src/sim/config.js';
import type { Case } from './case.js';
import { CONFORMANCE_DIR, RECORDED_DIR } from './cases-io.js';
import { runCase } from './model.js';
import { parseRecorded, type Recorded } from './recorded.js';
import { VERSIONS, seriesOf } from './versions.js';

/** A row of the boundary table in conformance/README.md: fields pp-sim deliberately does not match. */
export interface Boundary {
  pattern: string;
  re: RegExp;
  reason: string;
}

/** Reads the table between the `boundaries` markers of conformance/README.md. */
export function loadBoundaries(file = join(CONFORMANCE_DIR, 'README.md')): Boundary[] {
  const text = readFileSync(file, 'utf8');
  const m = /<!-- boundaries:start -->([\s\S]*?)<!-- boundaries:end -->/.exec(text);
  if (!m) throw new Error(`${file}: no boundary table (<!-- boundaries:start --> ... <!-- boundaries:end -->)`);
  const out: Boundary[] = [];
  for (const row of m[1]!.split('\n')) {
    const r = /^\|\s*`([^`]+)`\s*\|\s*(.+?)\s*\|\s*$/.exec(row);
    if (!r) continue;
    const pattern = r[1]!;
    const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^ ]*')}$`);
    out.push({ pattern, re, reason: r[2]! });
  }
  return out;
}

export function loadRecordings(dir = RECORDED_DIR): { file: string; rec: Recorded }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => ({ file: join(dir, f), rec: parseRecorded(readFileSync(join(dir, f), 'utf8'), join(dir, f)) }));
}

/** The model configuration a recorded kernel version is compared with, or why there is none yet. */
export function configFor(version: string): ResolvedConfig | string {
  const v = VERSIONS[seriesOf(version)];
  if (!v) return `no pp-sim branch is mapped to Linux ${version} (conformance/versions.ts)`;
  const { branches } = loadBranches();
  if (!branches.some((b) => b.name === v.branch || b.aliases.includes(v.branch))) return `branch ${v.branch} does not exist yet`;
  return resolveConfig(branches, v.branch, undefined, 'espressobin', undefined, Object.entries(v.set).map(([key, value]) => ({ key, value, loc: undefined })));
}

export interface Difference {
  field: string;
  kernel: string | undefined;
  model: string | undefined;
  boundary: Boundary | undefined;
}

/** Field-by-field comparison of a case's kernel line and pp-sim's line. */
export function compareCase(c: Case, kernel: Map<string, string>, cfg: ResolvedConfig, boundaries: readonly Boundary[]): { compared: number; diffs: Difference[] } {
  const model = runCase(c, cfg);
  const keys = [...new Set([...kernel.keys(), ...model.keys()])];
  const diffs: Difference[] = [];
  let compared = 0;
  for (const field of keys) {
    const boundary = boundaries.find((b) => b.re.test(field));
    if (!boundary) compared++;
    const kv = kernel.get(field);
    const mv = model.get(field);
    if (kv !== mv) diffs.push({ field, kernel: kv, model: mv, boundary });
  }
  return { compared, diffs };
}
