import { parseDocument } from 'yaml';

/** How an `rx` step builds its frame's head. */
export type HeadKind = 'pool' | 'kmalloc' | 'frag';
export const HEAD_KINDS: readonly HeadKind[] = ['pool', 'kmalloc', 'frag'];

/** One operation of a conformance case; the names are the kernel functions both sides call. */
export type CaseStep =
  | { op: 'rx'; as: string; len: number; head: HeadKind; frags: number; fragLen: number }
  | { op: 'skb_clone' | 'skb_copy' | 'pskb_copy' | 'skb_unshare'; skb: string; as: string }
  | { op: 'pskb_expand_head' | 'kfree_skb' | 'consume_skb' | 'napi_consume_skb'; skb: string }
  | { op: 'skb_try_coalesce'; to: string; from: string }
  | { op: 'skb_gro_receive'; held: string; skb: string }
  | { op: 'get_page'; skb: string; frag: number; as: string }
  | { op: 'put_page' | 'page_ref'; page: string }
  | { op: 'page_pool_destroy' };

export type CaseOp = CaseStep['op'];

export interface Case {
  name: string;
  description: string;
  /** page_pool_params.pool_size (the ptr_ring's size). */
  poolSize: number;
  steps: CaseStep[];
}

/** RX headroom of the bare page_pool driver (XDP_PACKET_HEADROOM, as mvneta since v5.5). */
export const RX_HEADROOM = 256;
/** Headers skb_gro_receive skips (NAPI_GRO_CB(skb)->data_offset): IPv4 + TCP with timestamps. */
export const GRO_OFFSET = 52;

export class CaseError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'CaseError';
  }
}

const SKB_NAME_OPS = ['skb_clone', 'skb_copy', 'pskb_copy', 'skb_unshare'] as const;
const SKB_ONLY_OPS = ['pskb_expand_head', 'kfree_skb', 'consume_skb', 'napi_consume_skb'] as const;

function isIn<T extends string>(list: readonly T[], s: string): s is T {
  return (list as readonly string[]).includes(s);
}

/** Reads one case file (a pp-sim step scenario with the conformance driver's ops). */
export function parseCase(text: string, file: string): Case {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new CaseError(file, `invalid YAML: ${doc.errors[0]!.message}`);
  const raw = doc.toJS() as Record<string, unknown>;
  const str = (v: unknown, key: string): string => {
    if (typeof v !== 'string' || !/^[a-z][a-z0-9_]*$/.test(v)) throw new CaseError(file, `${key}: expected a name, got ${JSON.stringify(v)}`);
    return v;
  };
  const num = (v: unknown, key: string, dflt?: number): number => {
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new CaseError(file, `${key}: expected a whole number, got ${JSON.stringify(v)}`);
    return v;
  };
  if (typeof raw.name !== 'string') throw new CaseError(file, 'name: missing');
  if (!Array.isArray(raw.steps)) throw new CaseError(file, 'steps: missing');
  const steps = (raw.steps as unknown[]).map((item, i): CaseStep => {
    const where = `steps[${i}]`;
    if (typeof item === 'string') {
      if (item === 'page_pool_destroy') return { op: item };
      throw new CaseError(file, `${where}: unknown step '${item}'`);
    }
    const entries = Object.entries(item as Record<string, unknown>);
    if (entries.length !== 1) throw new CaseError(file, `${where}: a step is a one-key map`);
    const [op, arg] = entries[0]!;
    const a = (typeof arg === 'object' && arg !== null ? arg : {}) as Record<string, unknown>;
    const at = `${where}.${op}`;
    if (op === 'rx') {
      const head = a.head ?? 'pool';
      if (typeof head !== 'string' || !isIn(HEAD_KINDS, head)) throw new CaseError(file, `${at}.head: one of ${HEAD_KINDS.join(', ')}`);
      return { op, as: str(a.as, `${at}.as`), len: num(a.len, `${at}.len`), head, frags: num(a.frags, `${at}.frags`, 0), fragLen: num(a.frag_len, `${at}.frag_len`, 1024) };
    }
    if (isIn(SKB_NAME_OPS, op)) return { op, skb: str(a.skb, `${at}.skb`), as: str(a.as, `${at}.as`) };
    if (isIn(SKB_ONLY_OPS, op)) return { op, skb: str(arg, at) };
    if (op === 'skb_try_coalesce') return { op, to: str(a.to, `${at}.to`), from: str(a.from, `${at}.from`) };
    if (op === 'skb_gro_receive') return { op, held: str(a.held, `${at}.held`), skb: str(a.skb, `${at}.skb`) };
    if (op === 'get_page') {
      const f = a.frag === 'head' || a.frag === undefined ? -1 : num(a.frag, `${at}.frag`);
      return { op, skb: str(a.skb, `${at}.skb`), frag: f, as: str(a.as, `${at}.as`) };
    }
    if (op === 'put_page' || op === 'page_ref') return { op, page: str(arg, at) };
    throw new CaseError(file, `${where}: unknown step '${op}'`);
  });
  return { name: raw.name, description: typeof raw.description === 'string' ? raw.description : '', poolSize: num(raw.pool_size, 'pool_size', 256), steps };
}

/** The skb names a step reads or makes, whose state is recorded after it when still alive. */
export function namesOf(s: CaseStep): string[] {
  switch (s.op) {
    case 'rx':
      return [s.as];
    case 'skb_clone':
    case 'skb_copy':
    case 'pskb_copy':
      return [s.skb, s.as];
    case 'skb_unshare':
      return [s.as];
    case 'pskb_expand_head':
      return [s.skb];
    case 'skb_try_coalesce':
      return [s.to, s.from];
    case 'skb_gro_receive':
      return [s.held, s.skb];
    case 'kfree_skb':
    case 'consume_skb':
    case 'napi_consume_skb':
    case 'get_page':
    case 'put_page':
    case 'page_ref':
    case 'page_pool_destroy':
      return [];
  }
}

/** Every skb name of a case in order of first appearance (the order of the final frees). */
export function skbNames(c: Case): string[] {
  const out: string[] = [];
  for (const s of c.steps) for (const n of namesOf(s)) if (!out.includes(n)) out.push(n);
  return out;
}

export function pageNames(c: Case): string[] {
  return c.steps.flatMap((s) => (s.op === 'get_page' ? [s.as] : []));
}

/** Case file text. */
export function caseToYaml(c: Case): string {
  const lines = [`name: ${c.name}`, `description: ${JSON.stringify(c.description)}`, `pool_size: ${c.poolSize}`, 'steps:'];
  for (const s of c.steps) lines.push(`  - ${stepYaml(s)}`);
  return `${lines.join('\n')}\n`;
}

function stepYaml(s: CaseStep): string {
  switch (s.op) {
    case 'rx':
      return `rx: { as: ${s.as}, len: ${s.len}, head: ${s.head}${s.frags ? `, frags: ${s.frags}, frag_len: ${s.fragLen}` : ''} }`;
    case 'skb_clone':
    case 'skb_copy':
    case 'pskb_copy':
    case 'skb_unshare':
      return `${s.op}: { skb: ${s.skb}, as: ${s.as} }`;
    case 'pskb_expand_head':
    case 'kfree_skb':
    case 'consume_skb':
    case 'napi_consume_skb':
      return `${s.op}: ${s.skb}`;
    case 'skb_try_coalesce':
      return `skb_try_coalesce: { to: ${s.to}, from: ${s.from} }`;
    case 'skb_gro_receive':
      return `skb_gro_receive: { held: ${s.held}, skb: ${s.skb} }`;
    case 'get_page':
      return `get_page: { skb: ${s.skb}, frag: ${s.frag < 0 ? 'head' : s.frag}, as: ${s.as} }`;
    case 'put_page':
    case 'page_ref':
      return `${s.op}: ${s.page}`;
    case 'page_pool_destroy':
      return 'page_pool_destroy';
  }
}
