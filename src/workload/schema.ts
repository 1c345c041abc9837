import * as z from 'zod';
import { InputError } from '../kernel/errors.js';
import { COUNTER_NAMES, EXEC_CTXS, LEAK_KINDS, VIOLATION_KINDS } from '../kernel/names.js';
import { documentSchema, type SchemaNames } from './schema-docs.js';
import type { StepOp } from './types.js';
import { parseRate, parseSize, parseTime } from './units.js';

/** A value as an error message shows it: 'abc', 12, true, nothing, a list, a map. */
export function show(v: unknown): string {
  if (typeof v === 'string') {
    const s = JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v).slice(1, -1);
    return `'${s.replaceAll('\\"', '"')}'`;
  }
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : typeof v;
}

/** Arguments of each step op, in the order of contract §2.1; the first one is the scalar shorthand. */
export const STEP_ARGS = {
  rx: ['as', 'len', 'flow', 'poll'],
  skb_clone: ['skb', 'as', 'ctx'],
  skb_copy: ['skb', 'as', 'ctx'],
  pskb_copy: ['skb', 'as', 'ctx'],
  pskb_expand_head: ['skb', 'ctx'],
  skb_unshare: ['skb', 'as', 'ctx'],
  skb_try_coalesce: ['to', 'from', 'ctx'],
  skb_gro_receive: ['held', 'skb'],
  skb_splice_bits: ['skb', 'as', 'ctx'],
  pipe_release: ['pipe', 'ctx'],
  tcp_zerocopy_receive: ['skb', 'as', 'ctx'],
  munmap: ['vma', 'ctx'],
  packet_rcv: ['skb', 'as', 'snaplen', 'ctx'],
  kfree_skb: ['skb', 'ctx'],
  consume_skb: ['skb', 'ctx'],
  napi_poll: ['budget'],
  xdp_return_frame: ['frame', 'ctx'],
  page_pool_destroy: [],
  dev_unbind: [],
  holders: [],
  teardown: [],
  __pskb_pull_tail: ['skb', 'len'],
  skb_condense: ['skb'],
  pskb_trim: ['skb', 'len'],
  skb_cow: ['skb', 'headroom'],
  skb_segment: ['skb', 'as', 'mss'],
  skb_shift: ['tgt', 'skb', 'len'],
} as const satisfies Record<StepOp, readonly string[]>;
export const STEP_OPS = Object.keys(STEP_ARGS) as StepOp[];

/** `rx` frames: at least 60 bytes, at most nic.mtu + the Ethernet header. */
export const ETH_HLEN = 14;
const MIN_FRAME = 60;
const MAX_MTU = 9676;

type Issue = { input?: unknown };

const intType = (iss: Issue) => `expected an integer, got ${show(iss.input)}`;
function intIn(lo: number, hi: number) {
  const error = (iss: Issue) => `${show(iss.input)} is out of range ${lo}..${hi}`;
  return z.int({ error: (iss) => (iss.code === 'invalid_type' ? intType(iss) : error(iss)) }).min(lo, { error }).max(hi, { error });
}

/** Runs a units.ts parser inside zod, turning its InputError into an issue. */
function convert<I, O>(parse: (v: I) => O, check?: (v: O) => string | undefined) {
  return (v: I, ctx: z.core.$RefinementCtx): O => {
    try {
      const out = parse(v);
      const bad = check?.(out);
      if (bad === undefined) return out;
      ctx.issues.push({ code: 'custom', message: bad, input: v });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      ctx.issues.push({ code: 'custom', message: e.message, input: v });
    }
    return z.NEVER;
  };
}

const CMP = String.raw`(==|!=|>=|<=|>|<)`;
const NUM = String.raw`\d+(?:\.\d+)?`;
/** `OP VALUE [+|- N]`: groups 1 op, 2 number, 3 counter, 4 sign, 5 offset. */
export const EXPECT_RE = new RegExp(String.raw`^\s*${CMP}\s*(?:(-?${NUM})|([A-Za-z_][A-Za-z0-9_.]*)(?:\s*([+-])\s*(${NUM}))?)\s*$`);

const UNITS_PATTERN = String.raw`^\s*(\d+(\.\d*)?|\.\d+)\s*[KMGkmg]?\s*$`;

/** The zod schema of a scenario file; built on first use (a built-in scenario parsed at build time never needs it). */
function buildScenarioSchema() {
  function sizeIn(lo: number, hi: number) {
    const range = (n: number) => (n < lo || n > hi ? `${n} bytes is out of range ${lo}..${hi}` : undefined);
    return z.union([z.number(), z.string().meta({ pattern: UNITS_PATTERN })]).transform(convert(parseSize, range));
  }
  const rate = z.union([z.number(), z.string().meta({ pattern: UNITS_PATTERN })]).transform(convert(parseRate));
  const time = z
    .string({ error: (iss) => (typeof iss.input === 'number' ? `${iss.input} needs a unit: ns, us, ms, s, m or h (e.g. 30s)` : undefined) })
    .meta({ pattern: String.raw`^\s*(\d+(\.\d*)?|\.\d+)\s*(ns|us|ms|s)\s*$` })
    .transform(convert(parseTime));

  const ipv4 = z.ipv4({
    error: (iss) => (iss.code === 'invalid_format' ? `${show(iss.input)} is not an IPv4 address (like 226.94.1.1)` : undefined),
  });

  const objName = z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, {
      error: (iss) => `${show(iss.input)} is not an object name (letters, digits, _ . -, not starting with a digit or . -)`,
    });

  /** `op: value` shorthand for the op's first argument (`kfree_skb: a` is `kfree_skb: { skb: a }`); nothing means `{}`. */
  function shorthand<O extends z.ZodObject>(key: string, shorts: readonly z.ZodType[], full: O) {
    return z.union([...shorts, full]).transform((v): z.output<O> => {
      if (v !== null && typeof v === 'object') return v as z.output<O>;
      return (v === null || v === '' ? {} : { [key]: v }) as z.output<O>;
    });
  }
  const nothing = [z.null(), z.literal('')] as const;
  /** Where a step runs (issue 18): napi = softirq on the CPU polling the pool's NAPI, softirq = on another CPU, process. */
  const ctx = z.enum(EXEC_CTXS).optional();
  const skbAs = z.strictObject({ skb: objName, as: objName, ctx });
  const one = <K extends string>(key: K) => shorthand(key, [objName], z.strictObject({ [key]: objName, ctx } as Record<K, typeof objName>));

  /** Frame bytes without FCS; the upper limit depends on nic.mtu and is checked by the loader. */
  const frameLen = z
    .int({ error: intType })
    .min(MIN_FRAME, { error: (iss) => `len ${show(iss.input)} is shorter than the smallest Ethernet frame (${MIN_FRAME})` });

  const stepArgs = {
    rx: shorthand('as', [objName, ...nothing], z.strictObject({ as: objName.optional(), len: frameLen.optional(), flow: z.string().min(1).optional(), poll: z.boolean().optional() })),
    skb_clone: skbAs,
    skb_copy: skbAs,
    pskb_copy: skbAs,
    pskb_expand_head: one('skb'),
    skb_unshare: skbAs,
    skb_try_coalesce: z.strictObject({ to: objName, from: objName, ctx }),
    skb_gro_receive: z.strictObject({ held: objName, skb: objName }),
    skb_splice_bits: skbAs,
    pipe_release: one('pipe'),
    tcp_zerocopy_receive: skbAs,
    munmap: one('vma'),
    packet_rcv: z.strictObject({ skb: objName, as: objName, snaplen: intIn(1, 262144).optional() }),
    kfree_skb: one('skb'),
    consume_skb: one('skb'),
    napi_poll: shorthand('budget', [intIn(1, 4096), ...nothing], z.strictObject({ budget: intIn(1, 4096).optional() })),
    xdp_return_frame: one('frame'),
    page_pool_destroy: z.union([...nothing, z.strictObject({})]).transform(() => ({})),
    dev_unbind: z.union([...nothing, z.strictObject({})]).transform(() => ({})),
    holders: z.union([...nothing, z.strictObject({})]).transform(() => ({})),
    teardown: z.union([...nothing, z.strictObject({})]).transform(() => ({})),
    __pskb_pull_tail: z.strictObject({ skb: objName, len: intIn(1, 65535) }),
    skb_condense: one('skb'),
    pskb_trim: z.strictObject({ skb: objName, len: intIn(0, 65535) }),
    skb_cow: z.strictObject({ skb: objName, headroom: intIn(0, 4096) }),
    skb_segment: z.strictObject({ skb: objName, as: objName, mss: intIn(1, 65535).optional() }),
    skb_shift: z.strictObject({ tgt: objName, skb: objName, len: intIn(1, 65535) }),
  } satisfies Record<StepOp, z.ZodType>;

  type StepShape = { [K in StepOp]: z.ZodOptional<(typeof stepArgs)[K]> };
  const stepShape = Object.fromEntries(STEP_OPS.map((op) => [op, stepArgs[op].optional()])) as StepShape;
  /** One step: a one-key map (the one-key rule is checked by the loader, the schema only says so). */
  const step = z.strictObject(stepShape).meta({ minProperties: 1, maxProperties: 1 });

  const port = intIn(1, 65535).default(5001);
  const flow = z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('udp'), dst: ipv4, port, rate: rate.prefault('1M'), len: sizeIn(1, 65507).prefault(1470) }),
    z.strictObject({ kind: z.enum(['tcp', 'scp']), dst: ipv4, port, rate: rate.optional(), len: sizeIn(1, 16 << 20).prefault('128K') }),
    z.strictObject({ kind: z.literal('pcap'), file: z.string().min(1), to: ipv4.optional(), timing: z.enum(['recorded', 'line']).default('recorded') }),
  ]);

  const expectValue = z.union([
    z.number(),
    z.string().regex(EXPECT_RE, {
      error: (iss) => `${show(iss.input)} is not an expectation: use a number or 'OP VALUE', OP one of == != > >= < <= (e.g. '>= 1', '== rx.frames - 5')`,
    }),
  ]);
  function kindMap(names: readonly string[]) {
    return z.strictObject(Object.fromEntries(names.map((n) => [n, expectValue.optional()])));
  }
  const expectTotalOrKinds = (names: readonly string[]) => z.union([z.number(), expectValue.options[1], kindMap(names)]);

  const setValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

  return z.strictObject({
    name: z.string().regex(/^[a-z0-9-]+$/, { error: (iss) => `${show(iss.input)} is not a scenario name (lower-case letters, digits and -)` }),
    description: z.string().default(''),
    branch: z.string().min(1).optional(),
    set: z.record(z.string(), setValue).default({}),
    platform: z.string().min(1).optional(),
    seed: intIn(0, 2 ** 32 - 1).default(1),
    duration: time.prefault('10s'),
    nic: z.strictObject({ mtu: intIn(68, MAX_MTU).default(1500), rx_ring: intIn(16, 512).default(512) }).prefault({}),
    xdp: z.enum(['none', 'pass', 'drop', 'tx', 'redirect']).default('none'),
    traffic: z.array(flow).min(1, { error: 'needs at least one flow' }).optional(),
    host: z
      .strictObject({
        udp_sockets: intIn(0, 64).default(1),
        taps: intIn(0, 16).default(0),
        tap_mode: z.enum(['mmap', 'copy']).default('mmap'),
        reader: z.enum(['fast', 'slow', 'stalled']).default('fast'),
        read_mode: z.enum(['copy', 'splice', 'zerocopy']).default('copy'),
      })
      .prefault({}),
    steps: z.array(step).optional(),
    events: z
      .array(z.strictObject({ at: time, do: z.enum(['link_down', 'pool_destroy', 'unbind']) }))
      .max(64, { error: 'at most 64 events' })
      .optional(),
    expect: z
      .strictObject({
        violations: expectTotalOrKinds(VIOLATION_KINDS).optional(),
        leaks: expectTotalOrKinds(LEAK_KINDS).optional(),
        counters: kindMap(COUNTER_NAMES).default({}),
      })
      .optional(),
  });
}

let built: ReturnType<typeof buildScenarioSchema> | undefined;
/** The schema of scenario files (zod), built once. */
export function scenarioSchema(): ReturnType<typeof buildScenarioSchema> {
  return (built ??= buildScenarioSchema());
}
export type ScenarioInput = z.output<ReturnType<typeof scenarioSchema>>;

/** JSON Schema (draft-07) of scenario files, for editors (`# yaml-language-server: $schema=...`), with hover help. */
export function scenarioJsonSchema(names?: SchemaNames): object {
  return {
    ...documentSchema(z.toJSONSchema(scenarioSchema(), { io: 'input', target: 'draft-7' }), names),
    title: 'pp-sim scenario',
    description: 'a pp-sim scenario: traffic (flows through the board) or steps (kernel operations by name), with an expect block',
  };
}
