import { InputError } from '../kernel/errors.js';

/** Sizes and rates take iperf-2 suffixes: K M G are 1024-based, k m g 1000-based. */
const SUFFIX: Record<string, bigint> = {
  '': 1n, K: 1024n, M: 1024n ** 2n, G: 1024n ** 3n, k: 1000n, m: 1000n ** 2n, g: 1000n ** 3n,
};
/** Times need a unit; values are nanoseconds. */
const TIME_UNIT: Record<string, bigint> = { ns: 1n, us: 1000n, 'µs': 1000n, ms: 1000n ** 2n, s: 1000n ** 3n, m: 60n * 1000n ** 3n, min: 60n * 1000n ** 3n, h: 3600n * 1000n ** 3n };
const UNITS = 'ns, us, ms, s, m or h';

const NUMBER = String.raw`(\d+(?:\.\d*)?|\.\d+)`;
const SIZE_RE = new RegExp(`^${NUMBER}\\s*([KMGkmg]?)$`);
const TIME_RE = new RegExp(`^${NUMBER}\\s*([a-zµ]*)$`);
/** The most simulated time a run may take (README "Commands"). */
export const MAX_TIME_NS = 3600n * 1000n ** 3n;

const SIZE_HELP = 'a number with an optional K, M, G (1024-based) or k, m, g (1000-based) suffix';

/** "1.5" times `mult` as an exact fraction: [numerator, denominator]. */
function scaled(num: string, mult: bigint): [bigint, bigint] {
  const [int = '', frac = ''] = num.split('.');
  return [BigInt(int + frac || '0') * mult, 10n ** BigInt(frac.length)];
}

/** The input as messages show it: quoted, escaped, on one line. */
function quote(s: string | number): string {
  return typeof s === 'number' ? String(s) : `'${JSON.stringify(s).slice(1, -1).replaceAll('\\"', '"')}'`;
}

/** Bytes; `128K` = 131072, `1k` = 1000. Plain numbers are bytes. */
export function parseSize(s: string | number): number {
  const m = SIZE_RE.exec(String(s).trim());
  if (!m || (typeof s === 'number' && !Number.isFinite(s))) {
    throw new InputError(`${quote(s)} is not a size (${SIZE_HELP}, e.g. 128K)`);
  }
  const [n, d] = scaled(m[1]!, SUFFIX[m[2]!]!);
  if (n % d !== 0n) throw new InputError(`${quote(s)} is not a whole number of bytes`);
  const v = n / d;
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`${quote(s)} is too large`);
  return Number(v);
}

/** Bit/s; `1000M` = 1,048,576,000. Must be more than 0. */
export function parseRate(s: string | number): number {
  const m = SIZE_RE.exec(String(s).trim());
  if (!m || (typeof s === 'number' && !Number.isFinite(s))) {
    throw new InputError(`${quote(s)} is not a rate (bit/s as ${SIZE_HELP}, e.g. 1000M)`);
  }
  const v = Number.parseFloat(m[1]!) * Number(SUFFIX[m[2]!]!);
  if (v <= 0) throw new InputError(`rate ${quote(s)} must be more than 0`);
  if (v > Number.MAX_SAFE_INTEGER) throw new InputError(`rate ${quote(s)} is too large`);
  return v;
}

/** Nanoseconds from `500ms`, `30s`, `1.5s`; more than 0 and at most 1 h. */
export function parseTime(s: string): number {
  const t = s.trim();
  const m = TIME_RE.exec(t);
  const q = quote(s);
  if (!m) throw new InputError(`${q} is not a time (a number with a unit ${UNITS}, e.g. 500ms)`);
  const unit = m[2]!;
  if (unit === '') throw new InputError(`${q} needs a unit: ${UNITS} (e.g. 30s)`);
  const mult = TIME_UNIT[unit];
  if (mult === undefined) throw new InputError(`${q} has an unknown unit '${unit}' (use ${UNITS})`);
  const [n, d] = scaled(m[1]!, mult);
  if (n % d !== 0n) throw new InputError(`${q} is not a whole number of nanoseconds`);
  const ns = n / d;
  if (ns === 0n) throw new InputError(`time ${q} must be more than 0`);
  if (ns > MAX_TIME_NS) throw new InputError(`${q} is more than the maximum, 1 h of simulated time`);
  return Number(ns);
}
