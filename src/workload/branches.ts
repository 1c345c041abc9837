import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { InputError, type SourceLoc } from '../kernel/errors.js';
import type { BranchDef } from '../sim/config.js';

const KEYS = ['name', 'aliases', 'description', 'extends', 'set'];

function locOf(file: string, lc: LineCounter, node: Node | null | undefined, key: string): SourceLoc {
  const off = node?.range?.[0];
  if (off === undefined) return { file, key };
  const p = lc.linePos(off);
  return { file, line: p.line, col: p.col, key };
}

/** Parses one branch file (a name, aliases, an optional base and knob overrides). */
export function parseBranch(text: string, file: string): BranchDef {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const p = e.linePos?.[0];
    throw new InputError(`malformed YAML: ${e.message.split('\n')[0] ?? ''}`, { file, ...(p ? { line: p.line, col: p.col } : {}) });
  }
  const root = doc.contents;
  if (!isMap(root)) throw new InputError('a branch file is a map with name, description, extends and set', { file });
  const loc: Record<string, SourceLoc> = {};
  let name = '';
  let description = '';
  let ext: string | undefined;
  let aliases: string[] = [];
  const set: Record<string, string> = {};
  for (const item of root.items) {
    const key = isScalar(item.key) ? String(item.key.value) : '';
    const v = item.value as Node | null;
    const at = locOf(file, lc, item.key, key);
    if (!KEYS.includes(key)) throw new InputError(`unknown key '${key}' (keys: ${KEYS.join(', ')})`, at);
    if (key === 'set') {
      if (!isMap(v)) throw new InputError('set is a map of knob: value', at);
      for (const kv of v.items) {
        const kk = isScalar(kv.key) ? String(kv.key.value) : '';
        if (!isScalar(kv.value)) throw new InputError(`knob ${kk} takes a single value`, locOf(file, lc, kv.key as Node, `set.${kk}`));
        set[kk] = String(kv.value.value);
        loc[kk] = locOf(file, lc, kv.value, `set.${kk}`);
      }
    } else if (key === 'aliases') {
      if (!isSeq(v)) throw new InputError('aliases is a list of names', at);
      aliases = v.items.map((x) => String(isScalar(x) ? x.value : ''));
    } else {
      if (!isScalar(v)) throw new InputError(`${key} takes a single value`, at);
      const s = String(v.value);
      if (key === 'name') name = s;
      else if (key === 'description') description = s;
      else {
        ext = s;
        loc.extends = locOf(file, lc, v, 'extends');
      }
    }
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new InputError('name is required ([A-Za-z0-9._-]+)', { file, key: 'name' });
  return { name, aliases, description, extends: ext, set, file, loc };
}

/** The built-in branch files of a directory, sorted by name; `parse` may answer from the build's parse. */
export function loadBranchDir(dir: string, parse: (text: string, file: string) => BranchDef = parseBranch): BranchDef[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  return files.map((f) => parse(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
}
