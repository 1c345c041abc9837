import type { ChalkInstance } from 'chalk';
import { InputError } from '../../kernel/errors.js';
import { isKnobName, KNOB_NAMES, KNOBS, type KnobName } from '../../kernel/knobs.js';
import { isLeakKind, isViolationKind, LEAK_KINDS, LEAKS, VIOLATION_KINDS, VIOLATIONS } from '../../kernel/names.js';
import { PLATFORMS, resolveConfig, type BranchDef } from '../../sim/config.js';
import { painter } from '../../report/human.js';
import { didYouMean } from '../../workload/parse.js';
import { useColor, type Io } from '../context.js';
import { BRANCH_TEXT, ERA_STEP_TEXT, KNOB_TEXT, LEAK_TEXT, PLATFORM_TEXT, VIOLATION_TEXT, type FindingText, type Seen } from '../explain-data.js';
import { DEFAULT_PLATFORM, loadBranches } from '../load.js';
import { SEED_TEXT, STEP_TEXT } from '../explain-steps.js';
import { STEP_ARGS, STEP_OPS } from '../../workload/schema.js';
import type { StepOp } from '../../sim/scenario.js';

const WIDTH = 100;

/** Greedy word wrap; continuation lines take `hang` instead of `indent`. */
function wrap(text: string, indent = '  ', hang = indent): string {
  const out: string[] = [];
  let line = '';
  const lead = (): string => (out.length === 0 ? indent : hang);
  for (const w of text.split(/\s+/).filter((x) => x !== '')) {
    if (line !== '' && lead().length + line.length + 1 + w.length > WIDTH) {
      out.push(lead() + line);
      line = w;
    } else line = line === '' ? w : `${line} ${w}`;
  }
  if (line !== '') out.push(lead() + line);
  return out.join('\n');
}

/** "docs/a.md §1, §2; docs/b.md §3" from ["a.md §1", "a.md §2", "b.md §3"]: the documents ship in docs/. */
function refLine(refs: readonly string[]): string {
  const byFile = new Map<string, string[]>();
  for (const r of refs) {
    const at = r.indexOf(' ');
    const file = at < 0 ? r : r.slice(0, at);
    const sec = at < 0 ? '' : r.slice(at + 1);
    const list = byFile.get(file) ?? [];
    if (sec !== '') list.push(sec);
    byFile.set(file, list);
  }
  return [...byFile].map(([f, secs]) => (secs.length > 0 ? `docs/${f} ${secs.join(', ')}` : `docs/${f}`)).join('; ');
}

/** "  - text" with continuation lines under the text. */
function bullet(text: string): string {
  return wrap(`- ${text}`, '  ', '    ');
}

class Doc {
  private readonly parts: string[] = [];
  constructor(private readonly c: ChalkInstance) {}
  title(name: string, what: string): void {
    this.parts.push(`${this.c.bold(name)} — ${what}`);
  }
  section(heading: string, body: string | readonly string[]): void {
    const lines = typeof body === 'string' ? [wrap(body)] : body;
    if (lines.length === 0) return;
    this.parts.push(`${this.c.bold(heading)}\n${lines.join('\n')}`);
  }
  text(body: string): void {
    this.parts.push(wrap(body));
  }
  unverified(items: readonly string[] | undefined): void {
    if (items && items.length > 0) this.section('Unverified facts the model relies on', items.map(bullet));
  }
  refs(refs: readonly string[]): void {
    this.section('Reference', refLine(refs));
  }
  toString(): string {
    return this.parts.join('\n\n') + '\n';
  }
}

function seenLines(seen: readonly Seen[]): string[] {
  return seen.flatMap((s) => {
    const where = [s.platform ? `on ${s.platform}` : '', s.set ? `with --set ${s.set.join(' --set ')}` : ''].filter((x) => x !== '').join(', ');
    const scen = s.scenarios === '*' ? 'every scenario it can run' : s.scenarios.join(', ');
    const lines = [wrap(`${where === '' ? '' : `${where}: `}${s.branches.join(', ')} → ${scen}`, '  ', '      ')];
    if (s.note) lines.push(wrap(`(${s.note})`, '      '));
    return lines;
  });
}

function tryLine(seen: readonly Seen[]): string | undefined {
  const s = seen[0];
  const branch = s?.branches[0];
  if (!s || branch === undefined) return undefined;
  const scenario = s.scenarios === '*' ? 'multicast' : (s.scenarios[0] ?? 'multicast');
  const args = ['pp-sim', 'run', scenario, '--branch', branch];
  if (s.platform) args.push('--platform', s.platform);
  for (const x of s.set ?? []) args.push('--set', x);
  return `  try: ${args.join(' ')}`;
}

function explainFinding(doc: Doc, name: string, kind: 'violation' | 'leak', meaning: string, wording: string, t: FindingText): void {
  doc.title(name, `${kind} kind`);
  doc.text(meaning);
  doc.section('What happens', t.means);
  doc.section('What the kernel says', [wrap(`"${wording}"`), wrap(t.kernel)]);
  doc.section('What pp-sim does', t.model);
  const seen = seenLines(t.seen);
  const tryIt = tryLine(t.seen);
  if (tryIt !== undefined) seen.push(tryIt);
  if (t.howTo) seen.push(wrap(t.howTo));
  doc.section('Where it shows up (built-in scenarios; pp-sim ci --branch <b> runs them all)', seen);
  doc.section('Kernel functions involved', t.functions.join(', '));
  doc.unverified(t.unverified);
  doc.refs(t.refs);
}

/** Findings each branch shows on the built-in scenarios, from the explain data. */
function findingsOf(branch: string): string[] {
  const out: string[] = [];
  const add = (kind: string, t: FindingText): void => {
    for (const s of t.seen) {
      if (!s.branches.includes(branch)) continue;
      const where = [s.platform ? `on ${s.platform}` : '', s.set ? `with --set ${s.set.join(' --set ')}` : ''].filter((x) => x !== '').join(', ');
      const scen = s.scenarios === '*' ? 'every scenario' : s.scenarios.join(', ');
      out.push(wrap(`${kind}: ${scen}${where === '' ? '' : ` (${where})`}`, '  ', '      '));
    }
  };
  for (const k of VIOLATION_KINDS) add(k, VIOLATION_TEXT[k]);
  for (const k of LEAK_KINDS) add(`${k} leak`, LEAK_TEXT[k]);
  return out;
}

function explainBranch(doc: Doc, b: BranchDef, branches: readonly BranchDef[]): void {
  const t = BRANCH_TEXT[b.name];
  const aliases = b.aliases.length > 0 ? ` (aliases: ${b.aliases.join(', ')})` : '';
  doc.title(b.name, `branch${aliases}`);
  doc.text(b.description);
  if (t) {
    doc.section('What it represents', t.represents);
    doc.section('History', t.history);
  }
  const c = resolveConfig(branches, b.name, undefined, DEFAULT_PLATFORM, undefined, []);
  const base = branches.some((x) => x.name === 'mvneta_03') ? resolveConfig(branches, 'mvneta_03', undefined, DEFAULT_PLATFORM, undefined, []) : undefined;
  const knobs = c.knobs as unknown as Record<string, string>;
  const ref = base?.knobs as unknown as Record<string, string> | undefined;
  const lines = KNOB_NAMES.map((k) => `  ${ref && ref[k] !== knobs[k] ? '*' : ' '} ${k.padEnd(22)}${knobs[k] ?? 'n/a'}`);
  doc.section(`Knobs${ref ? ' (* differs from mvneta_03)' : ''}; change one with --set knob=value`, lines);
  const found = findingsOf(b.name);
  const expect = t?.expect ? [wrap(t.expect)] : [];
  doc.section('On the built-in scenarios', [...(found.length > 0 ? found : ['  no findings']), ...expect]);
  doc.unverified(t?.unverified);
  doc.refs(t?.refs ?? ['branches.md Branches']);
  if (!t) doc.text(`(a branch file: ${b.file}${b.extends !== undefined ? `, extends ${b.extends}` : ''})`);
}

function explainKnob(doc: Doc, k: KnobName, branches: readonly BranchDef[]): void {
  const spec = KNOBS[k];
  const t = KNOB_TEXT[k];
  doc.title(k, 'knob');
  doc.section('Values', spec.values.join(' | '));
  doc.section('Meaning', spec.meaning);
  const dep = spec.appliesWhen;
  doc.section(
    'When it applies',
    dep
      ? `Only with ${dep.knob}=${dep.values.join('|')}; otherwise it reads n/a in reports and listings, and setting it with --set is an input error that names ${dep.knob}.`
      : 'On every branch.',
  );
  if (t.constraints) doc.section('Refused combinations (input errors)', t.constraints.map(bullet));
  const byValue = new Map<string, string[]>();
  for (const b of branches) {
    const v = (resolveConfig(branches, b.name, undefined, DEFAULT_PLATFORM, undefined, []).knobs as unknown as Record<string, string>)[k] ?? 'n/a';
    byValue.set(v, [...(byValue.get(v) ?? []), b.name]);
  }
  doc.section('By branch', [...byValue].map(([v, bs]) => wrap(`${v}: ${bs.join(', ')}`)));
  doc.section('History', t.history);
  doc.unverified(t.unverified);
  doc.refs([...t.refs, 'branches.md Knobs']);
}

function explainPlatform(doc: Doc, name: string): void {
  const p = PLATFORMS.find((x) => x.name === name)!;
  const t = PLATFORM_TEXT[name];
  doc.title(p.name, `platform${p.name === DEFAULT_PLATFORM ? ' (the default)' : ''}`);
  doc.text(p.description);
  doc.section('Consequences', p.consequences);
  if (t) doc.section('In the model', t.model);
  const facts = Object.entries(p.facts).map(([k, v]) => `${k}=${k === 'ram' ? `${String(Number(v) / 2 ** 30)}G` : String(v)}`).join(' ');
  doc.section('Facts (override one with --set fact=value)', facts);
  doc.unverified(t?.unverified);
  doc.refs(t?.refs ?? ['branches.md Platforms']);
}

function explainStep(doc: Doc, op: StepOp, branches: readonly BranchDef[]): void {
  const t = STEP_TEXT[op];
  doc.title(op, `step (arguments: ${STEP_ARGS[op].join(', ') || 'none'})`);
  doc.section('What it does', t.does);
  doc.section('What it consumes', t.consumes);
  if (t.knobs.length > 0) {
    // branches that set these knobs alike behave alike in this step
    const byValues = new Map<string, string[]>();
    for (const b of branches) {
      const knobs = resolveConfig(branches, b.name, undefined, DEFAULT_PLATFORM, undefined, []).knobs as unknown as Record<string, string>;
      const key = t.knobs.map((k) => `${k}=${knobs[k] ?? 'n/a'}`).join(' ');
      byValues.set(key, [...(byValues.get(key) ?? []), b.name]);
    }
    doc.section(`In each era (the knobs it reads; pp-sim explain <knob> for their values)`, [...byValues].map(([v, bs]) => wrap(`${bs.join(', ')}: ${v}`, '  ', '      ')));
  } else doc.section('In each era', 'The same on every branch.');
  doc.section('Kernel function it follows', t.follows);
  const era = ERA_STEP_TEXT[op];
  if (era) {
    doc.section('What the step runs', era.models);
    doc.section('The kernel function by era', era.kernel);
    if (era.scenarios.length > 0) doc.section('Built-in step scenarios', era.scenarios.join(', '));
    doc.refs(era.refs);
  }
  const example = STEP_EXAMPLE[op];
  if (example !== undefined) doc.section('Example', `pp-sim run ${example} (scenarios/steps/${example}.yaml uses it)`);
}

/** A built-in step scenario that uses the step (test/cli/explain.test.ts checks it does). */
export const STEP_EXAMPLE: Partial<Record<StepOp, string>> = {
  rx: 'jumbo-frame', skb_clone: 'clone', skb_copy: 'skb-copy', pskb_copy: 'pskb-copy', pskb_expand_head: 'expand-head',
  skb_try_coalesce: 'coalesce', skb_gro_receive: 'gro-head-steal', skb_splice_bits: 'splice', pipe_release: 'splice',
  tcp_zerocopy_receive: 'zerocopy', munmap: 'zerocopy', kfree_skb: 'skb-copy', consume_skb: 'multicast-datagram',
};

function explainSeed(doc: Doc): void {
  doc.title('seed', '--seed <n> / seed: in a scenario');
  doc.text(SEED_TEXT.what);
  doc.section('What it changes', SEED_TEXT.changes.map(bullet));
  doc.section('What it does not change', SEED_TEXT.unchanged);
}

/** Every name explain knows, for suggestions. */
export function explainNames(branches: readonly BranchDef[]): string[] {
  return [...VIOLATION_KINDS, ...LEAK_KINDS, ...branches.flatMap((b) => [b.name, ...b.aliases]), ...KNOB_NAMES, ...PLATFORMS.map((p) => p.name), ...STEP_OPS, 'seed'];
}

/** pp-sim explain <violation-kind|leak-kind|branch|knob|platform>. */
export function explainCommand(io: Io, name: string, o: { color?: boolean }): number {
  const doc = new Doc(painter({ color: useColor(io, o, false) }));
  const { branches } = loadBranches();
  const branch = branches.find((b) => b.name === name || b.aliases.includes(name));
  if (isViolationKind(name)) explainFinding(doc, name, 'violation', VIOLATIONS[name].meaning, VIOLATIONS[name].kernel, VIOLATION_TEXT[name]);
  else if (isLeakKind(name)) explainFinding(doc, name, 'leak', LEAKS[name].meaning, LEAKS[name].kernel, LEAK_TEXT[name]);
  else if (branch) explainBranch(doc, branch, branches);
  else if (isKnobName(name)) explainKnob(doc, name, branches);
  else if (PLATFORMS.some((p) => p.name === name)) explainPlatform(doc, name);
  else if ((STEP_OPS as readonly string[]).includes(name)) explainStep(doc, name as StepOp, branches);
  else if (name === 'seed') explainSeed(doc);
  else {
    throw new InputError(
      `unknown name '${name}'${didYouMean(name, explainNames(branches))} (explain takes a violation or leak kind, a branch, a knob, a platform, a step or seed; see pp-sim list violations|branches|knobs|platforms)`,
      { file: 'explain' },
    );
  }
  io.stdout(doc.toString());
  return 0;
}
