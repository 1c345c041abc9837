import { InputError, type SourceLoc } from '../kernel/errors.js';
import { internKnob, isKnobName, KNOB_NAMES, KNOBS, PLATFORM_FACT_NAMES, type KnobName, type Knobs, type PlatformFacts } from '../kernel/knobs.js';
import { didYouMean } from './suggest.js';

/** A branch file: a named set of knob values, optionally on top of another branch. */
export interface BranchDef {
  name: string;
  aliases: string[];
  description: string;
  extends: string | undefined;
  set: Record<string, string>;
  file: string;
  /** Location of each `set:` key and of `extends`. */
  loc: Record<string, SourceLoc>;
}

export interface PlatformDef {
  name: string;
  description: string;
  consequences: string;
  facts: PlatformFacts;
}

export const PLATFORMS: PlatformDef[] = [
  {
    name: 'espressobin',
    description: 'Marvell Armada 3720, 2x Cortex-A53, arm64, 4 KiB pages, 1 GiB RAM, non-coherent DMA, mvneta behind a Marvell Topaz switch (DSA)',
    consequences: "DMA addresses fit 32 bits; the CPU must sync for cpu before reading; with dsa received skbs pass dsa_switch_rcv, whose skb_unshare turns a cloned skb into an skb_copy; GRO on eth0 does not merge DSA-tagged frames, and the dsa_rcv knob says whether the slave device GROs them after the tag is stripped (gro_cells, v5.8+)",
    facts: { dsa: true, coherent_dma: false, page_size: 4096, ram: 1 << 30, long_bits: 64, high_pages_first: false },
  },
  {
    name: 'arm32-lpae',
    description: 'a 32-bit ARM SoC with LPAE, 8 GiB of RAM, non-coherent DMA, no switch, and a NIC that takes 64-bit DMA addresses',
    consequences: 'the page allocator hands out pages above 4 GiB first; page->private is 32 bits, so a DMA address kept there is truncated (dma-addr-truncated)',
    facts: { dsa: false, coherent_dma: false, page_size: 4096, ram: 8 * 2 ** 30, long_bits: 32, high_pages_first: true },
  },
];

/** A scenario need the branch cannot meet: `ci --branch` reports it as skipped, `run` exits 2. */
export class UnsupportedError extends InputError {
  constructor(message: string, loc?: SourceLoc) {
    super(message, loc);
    this.name = 'UnsupportedError';
  }
}

export interface ResolvedConfig {
  branch: string;
  knobs: Knobs;
  platform: string;
  facts: PlatformFacts;
  setup: Setup;
}

/** What a run changed from its named branch and platform, so a header can reproduce it. */
export interface Setup {
  /** The branch file given by path (user branches only). */
  branchFile?: string;
  /** `knob=value` where the value differs from the branch's own, in knob order. */
  knobs: string[];
  /** `fact=value` where the fact differs from the platform's, in fact order. */
  facts: string[];
}

/** A platform fact as --set takes it (ram as 8G). */
export function factText(key: string, v: boolean | number): string {
  if (key !== 'ram' || typeof v !== 'number') return String(v);
  return v % 2 ** 30 === 0 ? `${String(v / 2 ** 30)}G` : v % 2 ** 20 === 0 ? `${String(v / 2 ** 20)}M` : String(v);
}

/** One `--set`/`set:` override with where it was written. */
export interface Override {
  key: string;
  value: string;
  loc: SourceLoc | undefined;
}

export function findBranch(branches: readonly BranchDef[], name: string, loc?: SourceLoc): BranchDef {
  const b = branches.find((x) => x.name === name || x.aliases.includes(name));
  if (!b) throw new InputError(`unknown branch '${name}'${didYouMean(name, branches.flatMap((x) => [x.name, ...x.aliases]))} (known: ${branches.map((x) => x.name).join(', ')})`, loc);
  return b;
}

/** Knob values of a branch after following `extends`, before n/a marking. */
function branchValues(branches: readonly BranchDef[], b: BranchDef, seen: string[] = []): Record<KnobName, string> {
  if (seen.includes(b.name)) throw new InputError(`branch '${b.name}' extends itself (${[...seen, b.name].join(' -> ')})`, b.loc.extends ?? { file: b.file });
  const base: Record<string, string> = {};
  if (b.extends !== undefined) Object.assign(base, branchValues(branches, findBranch(branches, b.extends, b.loc.extends ?? { file: b.file }), [...seen, b.name]));
  else for (const k of KNOB_NAMES) base[k] = KNOBS[k].values[0]!;
  for (const [key, value] of Object.entries(b.set)) {
    checkKnobValue(key, value, b.loc[key] ?? { file: b.file, key: `set.${key}` });
    base[key] = value;
  }
  return base;
}

function checkKnobValue(key: string, value: string, loc: SourceLoc | undefined): asserts key is KnobName {
  if (!isKnobName(key)) throw new InputError(`unknown knob '${key}'${didYouMean(key, [...KNOB_NAMES, ...PLATFORM_FACT_NAMES])} (knobs: ${KNOB_NAMES.join(', ')})`, loc);
  if (!KNOBS[key].values.includes(value)) {
    throw new InputError(`knob ${key} has no value '${value}'${didYouMean(value, KNOBS[key].values)} (values: ${KNOBS[key].values.join(', ')})`, loc);
  }
}

/** Why a knob does not apply under the given values, or undefined when it does. */
export function notApplicable(k: KnobName, v: Record<KnobName, string>): string | undefined {
  const dep = KNOBS[k].appliesWhen;
  if (!dep || dep.values.includes(v[dep.knob])) return undefined;
  return `it needs ${dep.knob}=${dep.values.join('|')}`;
}

function parseFact(key: string, value: string, loc: SourceLoc | undefined): boolean | number {
  if (key === 'dsa' || key === 'coherent_dma' || key === 'high_pages_first') {
    if (value !== 'true' && value !== 'false') throw new InputError(`platform fact ${key} takes true or false, got '${value}'`, loc);
    return value === 'true';
  }
  if (key === 'long_bits') {
    if (value !== '32' && value !== '64') throw new InputError(`platform fact long_bits takes 32 or 64, got '${value}'`, loc);
    return Number(value);
  }
  if (key === 'page_size') {
    if (value !== '4096') throw new InputError(`platform fact page_size: only 4096-byte pages are modelled, got '${value}'`, loc);
    return 4096;
  }
  const m = /^(\d+)([KMGkmg]?)$/.exec(value);
  if (!m) throw new InputError(`platform fact ram takes a size like 1G or 8G, got '${value}'`, loc);
  const mult: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, k: 1e3, m: 1e6, g: 1e9 };
  const bytes = Number(m[1]) * mult[m[2]!]!;
  if (bytes < 64 * 2 ** 20 || bytes > 64 * 2 ** 30) throw new InputError(`platform fact ram must be between 64M and 64G, got '${value}'`, loc);
  return bytes;
}

/**
 * Knob precedence: overrides (scenario `set:` first, then `--set`) over the branch. Checks the n/a
 * rule and the combinations branches.md forbids.
 */
export function resolveConfig(
  branches: readonly BranchDef[],
  branchName: string,
  branchLoc: SourceLoc | undefined,
  platformName: string,
  platformLoc: SourceLoc | undefined,
  overrides: readonly Override[],
): ResolvedConfig {
  const b = findBranch(branches, branchName, branchLoc);
  const values = branchValues(branches, b);
  const own = { ...values };
  const platform = PLATFORMS.find((p) => p.name === platformName);
  if (!platform) throw new InputError(`unknown platform '${platformName}' (known: ${PLATFORMS.map((p) => p.name).join(', ')})`, platformLoc);
  const facts: PlatformFacts = { ...platform.facts };
  const knobOverrides: Override[] = [];
  for (const o of overrides) {
    if ((PLATFORM_FACT_NAMES as readonly string[]).includes(o.key)) {
      (facts as unknown as Record<string, boolean | number>)[o.key] = parseFact(o.key, o.value, o.loc);
      continue;
    }
    checkKnobValue(o.key, o.value, o.loc);
    values[o.key] = o.value;
    knobOverrides.push(o);
  }
  for (const o of knobOverrides) {
    const why = notApplicable(o.key as KnobName, values);
    if (why) throw new UnsupportedError(`knob ${o.key} does not apply on branch ${b.name}: ${why}`, o.loc);
  }
  const sr = values.skb_recycle;
  if (values.coalesce.startsWith('pp_match') && sr !== 'pp_recycle') {
    throw new UnsupportedError(`coalesce=${values.coalesce} needs skb_recycle=pp_recycle (it compares skb->pp_recycle), but skb_recycle is ${sr}`, locOf(knobOverrides, 'coalesce', 'skb_recycle'));
  }
  if (values.driver === 'page_pool' && values.jumbo_frags === 'recycle' && sr !== 'pp_recycle') {
    throw new UnsupportedError(`jumbo_frags=recycle needs skb_recycle=pp_recycle (frags return through page_pool_return_skb_page), but skb_recycle is ${sr}`, locOf(knobOverrides, 'jumbo_frags', 'skb_recycle'));
  }
  if (values.driver === 'page_pool' && values.jumbo_frags === 'keep' && sr === 'pp_recycle') {
    throw new UnsupportedError('jumbo_frags=keep is not a pp_recycle design (with pp_recycle, frags are recycled: use jumbo_frags=recycle)', locOf(knobOverrides, 'jumbo_frags', 'skb_recycle'));
  }
  if (values.driver === 'copybreak' && values.xdp !== 'none') {
    throw new UnsupportedError('the copybreak driver has no XDP support (xdp must be none)', locOf(knobOverrides, 'xdp', 'driver'));
  }
  const knobs = {} as Record<KnobName, string>;
  for (const k of KNOB_NAMES) knobs[k] = notApplicable(k, values) ? 'n/a' : internKnob(k, values[k]);
  const f = facts as unknown as Record<string, boolean | number>;
  const f0 = platform.facts as unknown as Record<string, boolean | number>;
  const setup: Setup = {
    knobs: KNOB_NAMES.filter((k) => values[k] !== own[k]).map((k) => `${k}=${values[k]}`),
    facts: PLATFORM_FACT_NAMES.filter((k) => f[k] !== f0[k]).map((k) => `${k}=${factText(k, f[k]!)}`),
  };
  // One shape for every config's knobs and facts, so code that reads them stays optimised from one case to the next.
  const stableFacts: PlatformFacts = { dsa: facts.dsa, coherent_dma: facts.coherent_dma, page_size: facts.page_size, ram: facts.ram, long_bits: facts.long_bits, high_pages_first: facts.high_pages_first };
  return { branch: b.name, knobs: knobs as unknown as Knobs, platform: platform.name, facts: stableFacts, setup };
}

function locOf(os: readonly Override[], a: string, b: string): SourceLoc | undefined {
  return os.find((o) => o.key === a)?.loc ?? os.find((o) => o.key === b)?.loc;
}
