import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { InputError, type SourceLoc } from '../kernel/errors.js';
import { KNOB_NAMES, PLATFORM_FACT_NAMES } from '../kernel/knobs.js';
import { factText, PLATFORMS, resolveConfig, type BranchDef, type Override, type ResolvedConfig, type Setup } from '../sim/config.js';
import type { Report } from '../sim/report.js';
import type { Scenario } from '../sim/scenario.js';
import { loadBranchDir, parseBranch } from '../workload/branches.js';
import { didYouMean, parseScenario } from '../workload/parse.js';
import { ROOT } from './context.js';

export const SCENARIO_DIR = join(ROOT, 'scenarios');
export const BRANCH_DIR = join(ROOT, 'branches');
export const DEFAULT_BRANCH = 'upstream-6.1';
export const DEFAULT_PLATFORM = 'espressobin';

/** The largest scenario or branch file pp-sim reads (README "Writing scenarios"); parsing YAML takes up to about 350 bytes of memory per byte, so this keeps a run under 200 MB. */
export const MAX_SCENARIO_BYTES = 256 * 1024;
/** The largest `ci --json` shard file `merge` reads. */
export const MAX_SHARD_BYTES = 16 * 1024 * 1024;

/** "12.3 MB", "300 KB"; `exact` gives bytes when the rounded figure would hide the difference from the limit. */
function megabytes(n: number, exact = false): string {
  if (exact) return `${String(n)} bytes`;
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB` : `${String(Math.round(n / 1024))} KB`;
}

/** Reads a regular file of at most `limit` bytes; anything else is refused before a byte is parsed. */
export function readText(file: string, limit = MAX_SCENARIO_BYTES): string {
  let fd: number | undefined;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new InputError('is a directory, not a scenario file', { file });
    if (!st.isFile()) throw new InputError('not a regular file', { file });
    if (st.size > limit) throw new InputError(`${megabytes(st.size, megabytes(st.size) === megabytes(limit))}, the limit is ${megabytes(limit)}`, { file });
    fd = openSync(file, 'r');
    // the file may have grown since stat: read at most one byte past the limit
    const buf = Buffer.allocUnsafe(Math.min(st.size, limit) + 1);
    let got = 0;
    for (let n = 1; n > 0 && got < buf.length; got += n) n = readSync(fd, buf, got, buf.length - got, null);
    if (got > limit) throw new InputError(`more than ${megabytes(limit)}, the limit is ${megabytes(limit)}`, { file });
    return buf.toString('utf8', 0, got);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`, { file });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Names of the built-in scenarios (traffic and steps). */
export function builtinScenarioNames(): string[] {
  return [SCENARIO_DIR, join(SCENARIO_DIR, 'steps')].flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)));
}

/** A built-in scenario name (scenarios/<name>.yaml or scenarios/steps/<name>.yaml) or a path. */
export function scenarioPath(arg: string): string {
  if (/^[a-z0-9-]+$/.test(arg)) {
    for (const p of [join(SCENARIO_DIR, `${arg}.yaml`), join(SCENARIO_DIR, 'steps', `${arg}.yaml`)]) if (existsSync(p)) return p;
    if (!existsSync(arg)) throw new InputError(`no built-in scenario '${arg}'${didYouMean(arg, builtinScenarioNames())} and no such file (see pp-sim list scenarios)`, { file: arg });
  }
  return arg;
}

export function loadScenario(arg: string): Scenario {
  const file = scenarioPath(arg);
  return scenarioFromText(readText(file), file);
}

/** parseScenario of a file's text, or the value the build parsed from that same text (parsed.json). */
export function scenarioFromText(text: string, file: string): Scenario {
  return (parsedAtBuild(file, text) as Scenario | undefined) ?? parseScenario(text, file);
}

/**
 * Built-in scenario and branch files as the build parsed them, by path under ROOT: `npm run build`
 * writes them next to the bundle (parsed.json), so a run of a built-in scenario needs neither the
 * YAML parser's work nor the schema. A file whose text is no longer the text parsed is parsed again.
 */
const PARSED_AT_BUILD = new URL('./parsed.json', import.meta.url);

type Parsed = Record<string, { text: string; value: unknown }>;
let parsed: Parsed | null | undefined;

/** Values JSON cannot hold, and the file's own path (the package may have moved since the build). */
const SPECIAL = '$';
type Special = 'undefined' | 'Infinity' | '-Infinity' | 'NaN' | '-0' | 'file';

function encode(v: unknown, file: string): unknown {
  const special = (s: Special) => ({ [SPECIAL]: s });
  if (v === undefined) return special('undefined');
  if (typeof v === 'number') return Number.isNaN(v) ? special('NaN') : Object.is(v, -0) ? special('-0') : v === Infinity ? special('Infinity') : v === -Infinity ? special('-Infinity') : v;
  if (v === file) return special('file');
  if (Array.isArray(v)) return v.map((x) => encode(x, file));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x, file)]));
  return v;
}

function decode(v: unknown, file: string): unknown {
  if (Array.isArray(v)) return v.map((x) => decode(x, file));
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const s = o[SPECIAL];
  if (typeof s === 'string' && Object.keys(o).length === 1) {
    const values: Record<Special, unknown> = { undefined, Infinity, '-Infinity': -Infinity, NaN, '-0': -0, file };
    return values[s as Special];
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) out[k] = decode(o[k], file);
  return out;
}

/** The build's parse of a built-in file, when `text` is still the file's text. */
function parsedAtBuild(file: string, text: string): unknown {
  if (!file.startsWith(ROOT)) return undefined;
  if (parsed === undefined) {
    try {
      parsed = JSON.parse(readFileSync(PARSED_AT_BUILD, 'utf8')) as Parsed;
    } catch {
      parsed = null;
    }
  }
  const hit = parsed?.[file.slice(ROOT.length)];
  return hit?.text === text ? decode(hit.value, file) : undefined;
}

/** Parses every built-in scenario and branch file for parsed.json; a file in error, or whose value would not come back identical, is left out. */
export function parseBuiltins(): string {
  const out: Parsed = {};
  const add = (file: string, parse: (text: string, file: string) => unknown) => {
    const text = readFileSync(file, 'utf8');
    let value: unknown;
    try {
      value = encode(parse(text, file), file);
    } catch (e) {
      if (e instanceof InputError) return;
      throw e;
    }
    if (isDeepStrictEqual(decode(value, file), parse(text, file))) out[file.slice(ROOT.length)] = { text, value };
  };
  for (const dir of [SCENARIO_DIR, join(SCENARIO_DIR, 'steps')]) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) add(join(dir, f), parseScenario);
  }
  for (const f of readdirSync(BRANCH_DIR).filter((x) => x.endsWith('.yaml')).sort()) add(join(BRANCH_DIR, f), parseBranch);
  // ASCII, so that it is read as a one-byte string
  return `${JSON.stringify(out).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** Built-in branches, plus a user branch file when --branch names a path. */
export function loadBranches(branchArg?: string): { branches: BranchDef[]; name: string | undefined } {
  const branches = loadBranchDir(BRANCH_DIR, (text, file) => (parsedAtBuild(file, text) as BranchDef | undefined) ?? parseBranch(text, file));
  if (branchArg && isBranchFile(branchArg)) {
    const b = parseBranch(readText(branchArg), branchArg);
    if (branches.some((x) => x.name === b.name || x.aliases.includes(b.name))) {
      throw new InputError(`branch '${b.name}' is already a built-in branch; give yours another name`, { file: branchArg, key: 'name' });
    }
    branches.push(b);
    return { branches, name: b.name };
  }
  return { branches, name: branchArg };
}

export interface ConfigOptions {
  branch?: string;
  platform?: string;
  set?: string[];
  /** Where errors about the branch point (default `--branch`). */
  branchLoc?: SourceLoc;
  /** Overrides applied after `--set` (a compare operand's `branch:knob=value`). */
  overrides?: Override[];
}

/** True when a --branch argument names a branch file rather than a branch. */
export function isBranchFile(arg: string): boolean {
  return arg.endsWith('.yaml') || arg.endsWith('.yml') || arg.includes('/');
}

/** Parses `--set knob=value` arguments. */
export function parseSetArgs(sets: readonly string[] | undefined): Override[] {
  return (sets ?? []).map((s) => {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(s);
    if (!m) throw new InputError(`--set takes knob=value, got '${s}'`, { file: '--set', key: s });
    return { key: m[1]!, value: m[2]!, loc: { file: '--set', key: m[1]! } };
  });
}

/** Knob precedence: --set over the scenario's set: over the branch; --branch replaces the scenario's branch. */
export function configFor(s: Scenario, o: ConfigOptions): ResolvedConfig {
  const { branches, name } = loadBranches(o.branch);
  const branch = name ?? s.branch ?? DEFAULT_BRANCH;
  const branchLoc = name ? (o.branchLoc ?? { file: '--branch' }) : s.keyLoc.branch;
  const platform = o.platform ?? s.platform ?? DEFAULT_PLATFORM;
  const platformLoc = o.platform ? { file: '--platform' } : s.keyLoc.platform;
  const overrides: Override[] = Object.entries(s.set).map(([key, value]) => ({ key, value, loc: s.setLoc[key] }));
  overrides.push(...parseSetArgs(o.set), ...(o.overrides ?? []));
  const config = resolveConfig(branches, branch, branchLoc, platform, platformLoc, overrides);
  if (o.branch !== undefined && isBranchFile(o.branch)) config.setup.branchFile = o.branch;
  return config;
}

/** The overrides of a report read back from JSON (merge), from its knobs and facts against its built-in branch and platform. */
export function setupOfReport(r: Report): Setup | undefined {
  const { branches } = loadBranches();
  const platform = PLATFORMS.find((p) => p.name === r.platform);
  if (!platform || !branches.some((b) => b.name === r.branch)) return undefined;
  const base = resolveConfig(branches, r.branch, undefined, r.platform, undefined, []).knobs as unknown as Record<string, string>;
  const f0 = platform.facts as unknown as Record<string, boolean | number>;
  return {
    knobs: KNOB_NAMES.flatMap((k) => {
      const v = r.knobs[k];
      return v !== undefined && v !== 'n/a' && v !== base[k] ? [`${k}=${v}`] : [];
    }),
    facts: PLATFORM_FACT_NAMES.flatMap((k) => {
      const v = r.platform_facts[k];
      return typeof v !== 'string' && v !== undefined && v !== f0[k] ? [`${k}=${factText(k, v)}`] : [];
    }),
  };
}

export { PLATFORMS };
