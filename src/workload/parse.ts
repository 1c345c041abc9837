import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import * as z from 'zod';
import { attempt, InputError, InputErrors, type SourceLoc } from '../kernel/errors.js';
import { COUNTER_NAMES, LEAK_KINDS, VIOLATION_KINDS, isCounterName } from '../kernel/names.js';
import { ETH_HLEN, EXPECT_RE, STEP_ARGS, STEP_OPS, scenarioSchema, show, type ScenarioInput } from './schema.js';
import { didYouMean } from '../sim/suggest.js';
import type { CmpOp, Expect, Expectation, Flow, Scenario, Step, StepOp } from './types.js';

export { didYouMean };

type Path = readonly PropertyKey[];

/** How far an alias may multiply the data it names (yaml's maxAliasCount); guards against "billion laughs". */
export const MAX_ALIAS_COUNT = 100;
/** Deepest flow nesting ([ and {) and block indentation a scenario may use; a scenario needs about 5. */
export const MAX_NESTING = 64;
export const MAX_INDENT = 256;

/** Refuses nesting that would exhaust the parser's stack, before parsing (quoted text and comments skipped). */
function checkNesting(text: string, file: string): void {
  let depth = 0;
  let line = 1;
  let col = 0;
  let quote = '';
  let comment = false;
  let indent = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    col++;
    if (c === '\n') {
      line++;
      col = 0;
      comment = false;
      indent = true;
      if (quote === "'") quote = '';
      continue;
    }
    if (indent && (c === ' ' || c === '-' || c === '?' || c === ':')) {
      if (col > MAX_INDENT) throw new InputError(`nested or indented more than ${MAX_INDENT} columns deep`, { file, line, col });
      continue;
    }
    indent = false;
    if (comment) continue;
    if (quote !== '') {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_NESTING) throw new InputError(`nested more than ${MAX_NESTING} levels deep`, { file, line, col });
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
}

/** Reads and validates a scenario file; throws InputError (first problem only) with file, line, col and key. */
export function parseScenario(text: string, file: string): Scenario {
  if (/[\0\uFFFD]/.test(text)) throw new InputError('not a text file', { file });
  if (text.trim() === '') throw new InputError('file is empty', { file });
  checkNesting(text, file);
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, logLevel: 'error', resolveKnownTags: false });
  } catch (e) {
    throw new InputError(`invalid YAML: ${firstLine(e)}`, { file });
  }
  const src = new Source(doc, lines, text, file);
  // after the first syntax error the parser's view of the rest is a guess: one line is the truth
  const yamlError = doc.errors[0];
  if (yamlError) throw src.yamlError(yamlError);
  if (doc.contents === null) throw new InputError('file is empty', { file });
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const alias = /alias count/i.test(firstLine(e));
    throw new InputError(alias ? `YAML aliases expand to more than ${MAX_ALIAS_COUNT} times the nodes they name; write the data out` : `invalid YAML: ${firstLine(e)}`, { file });
  }
  if (!isMap(doc.contents)) throw src.error([], `expected a map of scenario keys, got ${show(data)}`);

  const top = src.keys([]);
  const both = top.filter((k) => k === 'traffic' || k === 'steps');
  if (both.length > 1) throw src.error([both[1]!], 'a scenario has traffic or steps, never both', 'key');

  const parsed = scenarioSchema().safeParse(data, { reportInput: true, error: defaultMessage });
  if (!parsed.success) throw capped(src.allIssues(parsed.error.issues), file);
  const errors: InputError[] = [];
  const scenario = build(parsed.data, src, top, errors);
  if (errors.length > 0) throw capped(errors, file);
  return scenario;
}

/** The most problems one file reports; a file of 40 000 bad steps says so in one more line. */
export const MAX_ERRORS_PER_FILE = 50;

/** Every problem, in file order, at most MAX_ERRORS_PER_FILE of them (validate and ci print them all). */
function capped(errors: readonly InputError[], file: string): InputErrors {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const key = `${e.loc?.line ?? 0}:${e.loc?.col ?? 0}:${e.loc?.key ?? ''}:${e.message}`;
    return !seen.has(key) && seen.add(key);
  });
  const sorted = unique.map((e, i) => ({ e, i })).sort((a, b) => (a.e.loc?.line ?? 0) - (b.e.loc?.line ?? 0) || (a.e.loc?.col ?? 0) - (b.e.loc?.col ?? 0) || a.i - b.i).map((x) => x.e);
  if (sorted.length <= MAX_ERRORS_PER_FILE) return new InputErrors(sorted);
  const more = new InputError(`${sorted.length - MAX_ERRORS_PER_FILE} more problems not shown`, { file });
  return new InputErrors([...sorted.slice(0, MAX_ERRORS_PER_FILE), more]);
}



function build(raw: ScenarioInput, src: Source, top: string[], errors: InputError[]): Scenario {
  const { file } = src;
  if (raw.traffic === undefined && raw.steps === undefined) {
    throw new InputError('needs traffic or steps', { file, line: 1, col: 1 });
  }
  const keyLoc: Record<string, SourceLoc> = {};
  for (const k of top) keyLoc[k] = src.loc([k]);
  if (raw.steps !== undefined && top.includes('duration')) {
    errors.push(src.error(['duration'], 'a step scenario has no simulated time: it ends where its steps end; remove duration', 'key'));
  }
  const set: Record<string, string> = {};
  const setLoc: Record<string, SourceLoc> = {};
  for (const k of src.keys(['set'])) {
    const v = Object.hasOwn(raw.set, k) ? raw.set[k] : undefined;
    if (v === undefined) {
      errors.push(src.error(['set', k], `${show(k)} is not a knob name`, 'key'));
      continue;
    }
    set[k] = v;
    setLoc[k] = src.loc(['set', k], 'key');
  }
  const nic = { mtu: raw.nic.mtu, rxRing: raw.nic.rx_ring };
  const h = raw.host;
  return {
    name: raw.name,
    description: raw.description,
    file,
    branch: raw.branch,
    set,
    setLoc,
    platform: raw.platform,
    seed: raw.seed,
    durationNs: raw.duration,
    nic,
    xdp: raw.xdp,
    traffic: raw.traffic?.flatMap((f, i) => attempt(errors, () => buildFlow(f, i, src)) ?? []),
    host: { udpSockets: h.udp_sockets, taps: h.taps, tapMode: h.tap_mode, reader: h.reader, readMode: h.read_mode },
    steps: raw.steps?.flatMap((s, i, all) => attempt(errors, () => buildStep(s, i, all.length, nic.mtu, src)) ?? []),
    expect: raw.expect && attempt(errors, () => buildExpect(raw.expect!, src)),
    events: buildEvents(raw, src),
    keyLoc,
  };
}

function buildEvents(raw: ScenarioInput, src: Source): Scenario['events'] {
  const ev = raw.events ?? [];
  if (ev.length > 0 && raw.steps !== undefined) throw src.error(['events'], 'events are for traffic scenarios; a step scenario uses the page_pool_destroy and dev_unbind steps', 'key');
  const out = ev.map((e, i) => {
    if (e.at > raw.duration) throw src.error(['events', i, 'at'], `event at ${e.at / 1e9} s is after the end of the run (duration ${raw.duration / 1e9} s)`);
    return { atNs: e.at, do: e.do, loc: src.loc(['events', i]) };
  });
  return out.sort((a, b) => a.atNs - b.atNs);
}

function buildFlow(f: NonNullable<ScenarioInput['traffic']>[number], i: number, src: Source): Flow {
  const loc = src.loc(['traffic', i]);
  if (f.kind === 'pcap') return { kind: f.kind, file: f.file, to: f.to, timing: f.timing, loc };
  const firstOctet = Number(f.dst.split('.')[0]);
  if (f.kind !== 'udp' && firstOctet >= 224 && firstOctet < 240) {
    throw src.error(['traffic', i, 'dst'], `${f.kind} needs a unicast dst; ${f.dst} is multicast`);
  }
  return { kind: f.kind, dst: f.dst, port: f.port, rateBps: f.rate ?? Infinity, len: f.len, loc };
}

type StepItem = NonNullable<ScenarioInput['steps']>[number];

function buildStep(item: StepItem, i: number, count: number, mtu: number, src: Source): Step {
  const ops = src.keys(['steps', i]) as StepOp[];
  const op = ops[0];
  if (op === undefined) throw src.error(['steps', i], "a step is a one-key map like 'kfree_skb: a'; this one is empty");
  if (ops.length > 1) throw src.error(['steps', i, ops[1]!], `a step has one op; this one has '${op}' and '${ops[1]!}'`, 'key');
  const loc = src.loc(['steps', i, op], 'key');
  if (op === 'rx') {
    const a = item.rx!;
    const max = mtu + ETH_HLEN;
    const len = a.len ?? Math.min(1514, max);
    if (len > max) {
      throw src.error(['steps', i, op, 'len'], `len ${len} is longer than the NIC accepts (nic.mtu ${mtu} + ${ETH_HLEN} = ${max})`);
    }
    return { op, as: a.as, len, flow: a.flow, poll: a.poll ?? true, loc };
  }
  if (op === 'napi_poll') return { op, budget: item.napi_poll!.budget, loc };
  if (op === 'teardown') {
    if (i !== count - 1) throw src.error(['steps', i, op], 'teardown must be the last step', 'key');
    return { op, loc };
  }
  return { op, ...item[op], loc } as Step;
}

function buildExpect(raw: NonNullable<ScenarioInput['expect']>, src: Source): Expect {
  const byKind = (what: 'violations' | 'leaks') => {
    const v = raw[what];
    if (v === undefined || typeof v !== 'object') return v === undefined ? undefined : expectation(what, v, [what]);
    const out: Record<string, Expectation> = {};
    for (const k of src.keys(['expect', what])) {
      const e = v[k];
      if (e !== undefined) out[k] = expectation(`${what}[${k}]`, e, [what, k]);
    }
    return out;
  };
  const expectation = (lhs: string, v: number | string, path: Path): Expectation => {
    const loc = src.loc(['expect', ...path]);
    if (typeof v === 'number') return { text: `${lhs} == ${v}`, op: '==', rhs: { counter: undefined, offset: v }, loc };
    const [, op, num, counter, sign, off] = EXPECT_RE.exec(v) ?? [];
    if (counter === undefined) return { text: `${lhs} ${op!} ${Number(num)}`, op: op as CmpOp, rhs: { counter: undefined, offset: Number(num) }, loc };
    if (!isCounterName(counter)) throw new InputError(`unknown counter '${counter}' in ${show(v.trim())}${didYouMean(counter, COUNTER_NAMES)}`, loc);
    const n = Number(off ?? 0);
    const tail = n === 0 ? '' : ` ${sign!} ${n}`;
    return { text: `${lhs} ${op!} ${counter}${tail}`, op: op as CmpOp, rhs: { counter, offset: sign === '-' ? -n : n }, loc };
  };
  const counters: Record<string, Expectation> = {};
  for (const k of src.keys(['expect', 'counters'])) {
    const e = raw.counters[k];
    if (e !== undefined) counters[k] = expectation(k, e, ['counters', k]);
  }
  return { violations: byKind('violations'), leaks: byKind('leaks'), counters };
}

/** Messages for zod's own issues; schema-level messages (ranges, formats) take precedence. */
const defaultMessage: z.core.$ZodErrorMap = (iss) => {
  if (iss.code === 'invalid_type') return `expected ${typeName(iss.expected)}, got ${show(iss.input)}`;
  if (iss.code === 'invalid_value') {
    const values = iss.values.map((v) => (typeof v === 'string' ? v : show(v)));
    return `expected ${orList(values)}, got ${show(iss.input)}${didYouMean(iss.input, values)}`;
  }
  if (iss.code === 'too_small') {
    if (iss.origin === 'string') return 'must not be empty';
    return iss.origin === 'array' ? `needs at least ${iss.minimum} item(s)` : `${show(iss.input)} is less than ${iss.minimum}`;
  }
  if (iss.code === 'too_big') return `${show(iss.input)} is more than ${iss.maximum}`;
  if (iss.code === 'invalid_format') return `${show(iss.input)} is not a valid ${iss.format}`;
  return undefined;
};

const TYPE_NAMES: Record<string, string> = {
  string: 'a string', number: 'a number', int: 'an integer', boolean: 'a boolean', object: 'a map',
  array: 'a list', null: 'nothing', record: 'a map',
};
function typeName(t: string): string {
  return TYPE_NAMES[t] ?? t;
}

function orList(items: readonly string[]): string {
  const u = [...new Set(items)];
  return u.length < 2 ? u.join('') : `${u.slice(0, -1).join(', ')} or ${u.at(-1)!}`;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

/** `steps[3].skb_clone.as` */
function pathKey(path: Path): string {
  let s = '';
  for (const p of path) {
    const name = JSON.stringify(String(p)).slice(1, -1);
    s += typeof p === 'number' ? `[${p}]` : s === '' ? name : `.${name}`;
  }
  return s;
}

/** Keys an object schema accepts at `path` (through optional/default/pipe/union/array wrappers). */
function schemaKeys(path: Path): string[] {
  const unwrap = (s: z.core.$ZodType): z.core.$ZodType[] => {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodPrefault) return unwrap(s.unwrap());
    if (s instanceof z.ZodPipe) return unwrap(s.in);
    if (s instanceof z.ZodUnion) return s.options.flatMap(unwrap);
    return [s];
  };
  let at = unwrap(scenarioSchema());
  for (const p of path) {
    at = at.flatMap((s) => {
      if (s instanceof z.ZodObject && typeof p === 'string') {
        const shape: Record<string, z.core.$ZodType> = s.shape;
        return p in shape ? unwrap(shape[p]!) : [];
      }
      return s instanceof z.ZodArray && typeof p === 'number' ? unwrap(s.element) : [];
    });
  }
  return at.flatMap((s) => (s instanceof z.ZodObject ? Object.keys(s.shape) : []));
}

interface Problem {
  path: Path;
  message: string;
  /** Point at the key itself (unknown keys) or at the map that lacks it (missing keys). */
  at: 'value' | 'key' | 'parent';
}

/** Turns one zod issue into the problems a user should see; unions pick the branch that matches the input's type. */
function problems(iss: z.core.$ZodIssue, prefix: Path): Problem[] {
  const path = [...prefix, ...iss.path];
  if (iss.code === 'unrecognized_keys') return iss.keys.map((k) => ({ path: [...path, k], message: unknownKey(path, k, iss.input), at: 'key' }));
  if (iss.code === 'invalid_type' && iss.input === undefined) return [{ path, message: missingKey(path), at: 'parent' }];
  if (iss.code === 'invalid_union' && iss.discriminator !== undefined) {
    const v = isRecord(iss.input) ? iss.input[iss.discriminator] : undefined;
    const kinds = ('options' in iss ? (iss.options ?? []) : []).map(String);
    const message = v === undefined
      ? `missing required key '${iss.discriminator}' (${orList(kinds)})`
      : `expected ${orList(kinds)}, got ${show(v)}${didYouMean(v, kinds)}`;
    return [{ path, message, at: v === undefined ? 'parent' : 'value' }];
  }
  if (iss.code === 'invalid_union') {
    const wanted = branchTypes(iss.errors);
    if (wanted) return [{ path, message: `expected ${orList(wanted)}, got ${show(iss.input)}`, at: 'value' }];
    const branch = iss.errors.find((b) => !branchTypes([b]));
    if (branch) return branch.flatMap((i) => problems(i, path));
  }
  if (iss.code === 'invalid_type' && iss.expected === 'object' && path[0] === 'steps') {
    const [, , op] = path;
    if (path.length === 3) return [{ path, message: `${String(op)} takes a map { ${STEP_ARGS[op as StepOp].join(', ')} }, got ${show(iss.input)}`, at: 'value' }];
    if (path.length === 2 && typeof iss.input === 'string' && STEP_OPS.includes(iss.input as StepOp)) {
      return [{ path, message: `a step is a one-key map: write '${iss.input}:' with its arguments`, at: 'value' }];
    }
  }
  return [{ path, message: iss.message, at: 'value' }];
}

/** When every branch of a union failed only on the input's type: the types they wanted. */
function branchTypes(branches: readonly (readonly z.core.$ZodIssue[])[]): string[] | undefined {
  const wanted: string[] = [];
  for (const iss of branches.flat()) {
    if (iss.path.length > 0) return undefined;
    if (iss.code === 'invalid_type') wanted.push(typeName(iss.expected));
    else if (iss.code === 'invalid_value' && iss.values.length === 1 && iss.values[0] === '') wanted.push('nothing');
    else if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      const inner = branchTypes(iss.errors);
      if (!inner) return undefined;
      wanted.push(...inner);
    } else return undefined;
  }
  return wanted.length > 0 ? wanted : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownKey(path: Path, key: string, input: unknown): string {
  const [a, b, c] = path;
  if (a === 'steps' && path.length === 2) return `unknown step ${show(key)}${didYouMean(key, STEP_OPS)}`;
  if (a === 'steps' && path.length === 3) {
    const args = STEP_ARGS[c as StepOp];
    return `unknown argument ${show(key)} for ${String(c)} (takes ${args.join(', ') || 'none'})${didYouMean(key, args)}`;
  }
  if (a === 'expect' && b === 'counters') return `unknown counter ${show(key)}${didYouMean(key, COUNTER_NAMES)}`;
  if (a === 'expect' && b === 'violations') return `unknown violation kind ${show(key)}${didYouMean(key, VIOLATION_KINDS)}`;
  if (a === 'expect' && b === 'leaks') return `unknown leak kind ${show(key)}${didYouMean(key, LEAK_KINDS)}`;
  const known = schemaKeys(path);
  const kind = isRecord(input) && typeof input.kind === 'string' ? input.kind : undefined;
  if (kind !== undefined && known.includes(key)) return `unknown key ${show(key)} for kind ${kind}`;
  return `unknown key ${show(key)}${didYouMean(key, known)}`;
}

function missingKey(path: Path): string {
  const key = show(String(path.at(-1)));
  if (path[0] === 'steps' && path.length === 4) {
    const op = path[2] as StepOp;
    return `missing argument ${key} (${op} takes ${STEP_ARGS[op].join(', ')})`;
  }
  return `missing required key ${key}`;
}

/** The parsed document with its line counter: maps key paths to file positions. */
class Source {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly text: string,
    readonly file: string,
  ) {}

  /** Node at `path` (or the deepest that exists), and the key node it hangs from. */
  private find(path: Path): { node: unknown; key: unknown; depth: number } {
    let node: unknown = this.doc.contents;
    let key: unknown;
    let depth = 0;
    for (const p of path) {
      const at = isAlias(node) ? node.resolve(this.doc) : node;
      let next: unknown;
      if (isMap(at)) {
        const pair = at.items.find((it) => isScalar(it.key) && String(it.key.value) === String(p));
        if (pair) [next, key] = [pair.value ?? pair.key, pair.key];
      } else if (isSeq(at) && typeof p === 'number') {
        [next, key] = [at.items[p], undefined];
      }
      if (next === undefined || next === null) break;
      node = next;
      depth++;
    }
    return { node, key, depth };
  }

  private pos(node: unknown): { line: number; col: number } | undefined {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    return range ? this.lines.linePos(range[0]) : undefined;
  }

  /** Location of the value at `path`, or of its key. */
  loc(path: Path, at: Problem['at'] = 'value'): SourceLoc {
    const target = at === 'parent' ? path.slice(0, -1) : path;
    const { node, key, depth } = this.find(target);
    const p = (at === 'key' && depth === target.length ? this.pos(key) : undefined) ?? this.pos(node) ?? { line: 1, col: 1 };
    const k = pathKey(path);
    return k === '' ? { file: this.file, ...p } : { file: this.file, ...p, key: k };
  }

  error(path: Path, message: string, at: Problem['at'] = 'value'): InputError {
    return new InputError(message, this.loc(path, at));
  }

  /** Keys of the map at `path`, in document order. */
  keys(path: Path): string[] {
    const { node, depth } = this.find(path);
    const at = isAlias(node) ? node.resolve(this.doc) : node;
    if (depth !== path.length || !isMap(at)) return [];
    return at.items.flatMap((it) => (isScalar(it.key) ? [String(it.key.value)] : []));
  }

  /** Every problem, each at its place in the file. */
  allIssues(issues: readonly z.core.$ZodIssue[]): InputError[] {
    // zod lists issues in document order; past the cap nobody reads them
    const all = issues.slice(0, 4 * MAX_ERRORS_PER_FILE).flatMap((i) => problems(i, []));
    // a missing key yields to other problems in the same map (often the misspelt key itself)
    const inside = (p: Problem, q: Problem) => q.at !== 'parent' && p.path.slice(0, -1).every((seg, n) => q.path[n] === seg);
    const shown = all.filter((p) => p.at !== 'parent' || !all.some((q) => inside(p, q)));
    if (shown.length === 0) return [new InputError('invalid scenario', { file: this.file })];
    return shown.map((p) => new InputError(p.message, this.loc(p.path, p.at)));
  }


  yamlError(e: YAMLError): InputError {
    const { line, col } = this.lines.linePos(e.pos[0]);
    const loc = { file: this.file, line, col };
    if (e.code === 'DUPLICATE_KEY') {
      const key = /^(?:"([^"]*)"|'([^']*)'|([^:#\n]*?))\s*:/.exec(this.text.slice(e.pos[0], e.pos[0] + 200));
      const name = key ? (key[1] ?? key[2] ?? key[3] ?? '') : '';
      return new InputError(name ? `duplicate key ${show(name)}` : 'duplicate key', loc);
    }
    if (e.code === 'MULTIPLE_DOCS') return new InputError('more than one YAML document (---) in the file', loc);
    return new InputError(`invalid YAML: ${firstLine(e)}`, loc);
  }
}
