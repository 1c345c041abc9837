import { EDSA_TAG_LEN, ETH_HLEN, geometryOf, rxBufferBytes, MVNETA_MH_SIZE, ETH_FCS_LEN } from '../driver/mvneta.js';
import type { ResolvedConfig } from '../sim/config.js';
import type { Rng } from '../sim/rng.js';
import type { Step, StepOp, XdpMode } from '../sim/scenario.js';

/** What the generator may use: the live names a step runner reports. */
export interface LiveName {
  name: string;
  kind: 'skb' | 'pipe' | 'vma' | 'frame';
  shared: boolean;
  cloned: boolean;
}

/** The board a generated sequence runs on. */
export interface Board {
  mtu: number;
  rxRing: number;
  xdp: XdpMode;
}

/** An operation the explorer generates, with how it picks its arguments from the live names. */
interface OpSpec {
  op: StepOp;
  weight: number;
  /** Builds the step, or undefined when the live names give it no valid arguments. */
  make(g: Picker): Step | undefined;
}

/** Argument choice over the live names of one moment; `fresh` names new objects. */
export class Picker {
  constructor(
    readonly rng: Rng,
    readonly live: readonly LiveName[],
    readonly lens: readonly number[],
    readonly fresh: () => string,
    readonly loc: Step['loc'],
  ) {}

  /** A live name of this kind; `fresh` only: unshared and uncloned (an skb as the driver hands it over). */
  pick(kind: LiveName['kind'], unshared = false, not?: string, fresh = false): string | undefined {
    const ok = (l: LiveName): boolean => l.kind === kind && !(unshared && l.shared) && !(fresh && (l.shared || l.cloned)) && l.name !== not;
    let n = 0;
    for (const l of this.live) if (ok(l)) n++;
    if (n === 0) return undefined;
    let i = this.rng.below(n);
    for (const l of this.live) if (ok(l) && i-- === 0) return l.name;
    return undefined;
  }

  len(): number {
    return this.lens[this.rng.below(this.lens.length)]!;
  }
}

/** One skb argument, a new name (skb_clone, skb_copy, ...). */
function derive(op: Exclude<Extract<Step, { as: string; skb: string }>['op'], 'skb_segment' | 'packet_rcv'>, weight: number): OpSpec {
  return {
    op,
    weight,
    make: (g) => {
      const skb = g.pick('skb');
      if (skb === undefined) return undefined;
      // skb_unshare hands an uncloned skb back: the caller's `skb = skb_unshare(skb)` keeps one name for it
      const same = op === 'skb_unshare' && g.live.some((l) => l.name === skb && !l.cloned);
      return { op, skb, as: same ? skb : g.fresh(), loc: g.loc };
    },
  };
}

/** Releases one live pipe, mapping or XDP frame, as releaseStep writes it. */
function release(op: 'pipe_release' | 'munmap' | 'xdp_return_frame', kind: 'pipe' | 'vma' | 'frame'): OpSpec {
  return {
    op,
    weight: 2,
    make: (g) => {
      const name = g.pick(kind);
      return name === undefined ? undefined : releaseStep({ name, kind, shared: false, cloned: false }, g.loc);
    },
  };
}

/** One skb argument, consumed or changed in place. */
function onSkb(op: 'kfree_skb' | 'consume_skb' | 'pskb_expand_head', weight: number, unshared = false): OpSpec {
  return {
    op,
    weight,
    make: (g) => {
      const skb = g.pick('skb', unshared);
      return skb === undefined ? undefined : { op, skb, loc: g.loc };
    },
  };
}

/**
 * The operations that grab, share, move and free pages (the step list of contract §2.1), each
 * with valid arguments only: live objects of the right kind, two different skbs where the kernel
 * takes two, no pskb_expand_head on a shared skb (a BUG() in the kernel, not a finding).
 */
const OPS: readonly OpSpec[] = [
  { op: 'rx', weight: 4, make: (g) => ({ op: 'rx', as: g.fresh(), len: g.len(), flow: undefined, poll: true, loc: g.loc }) },
  derive('skb_clone', 2),
  derive('skb_copy', 1),
  derive('pskb_copy', 1),
  derive('skb_unshare', 1),
  {
    op: 'packet_rcv',
    weight: 1,
    make: (g) => {
      const skb = g.pick('skb');
      return skb === undefined ? undefined : { op: 'packet_rcv', skb, as: g.fresh(), snaplen: undefined, loc: g.loc };
    },
  },
  derive('skb_splice_bits', 1),
  derive('tcp_zerocopy_receive', 1),
  onSkb('pskb_expand_head', 1, true),
  onSkb('kfree_skb', 3),
  onSkb('consume_skb', 2),
  {
    op: 'skb_try_coalesce',
    weight: 2,
    make: (g) => {
      const to = g.pick('skb');
      const from = to === undefined ? undefined : g.pick('skb', false, to);
      return to === undefined || from === undefined ? undefined : { op: 'skb_try_coalesce', to, from, loc: g.loc };
    },
  },
  {
    op: 'skb_gro_receive',
    weight: 2,
    make: (g) => {
      // GRO holds skbs fresh from the driver: never shared or cloned (taps clone after GRO).
      const held = g.pick('skb', true, undefined, true);
      const skb = held === undefined ? undefined : g.pick('skb', true, held, true);
      return held === undefined || skb === undefined ? undefined : { op: 'skb_gro_receive', held, skb, loc: g.loc };
    },
  },
  release('pipe_release', 'pipe'),
  release('munmap', 'vma'),
  release('xdp_return_frame', 'frame'),
  { op: 'napi_poll', weight: 1, make: (g) => ({ op: 'napi_poll', budget: undefined, loc: g.loc }) },
];

/** Names of the operations the explorer generates. */
export const EXPLORED_OPS: readonly StepOp[] = OPS.map((o) => o.op);

/** The step that releases a live object: what a correct caller does before it is done. */
export function releaseStep(l: LiveName, loc: Step['loc']): Step {
  switch (l.kind) {
    case 'skb':
      return { op: 'kfree_skb', skb: l.name, loc };
    case 'pipe':
      return { op: 'pipe_release', pipe: l.name, loc };
    case 'vma':
      return { op: 'munmap', vma: l.name, loc };
    case 'frame':
      return { op: 'xdp_return_frame', frame: l.name, loc };
  }
}

/** Picks one applicable operation by weight and builds it; rx always applies. */
export function nextStep(g: Picker): Step {
  let total = 0;
  for (const o of OPS) total += o.weight;
  for (;;) {
    let r = g.rng.below(total);
    let spec = OPS[0]!;
    for (const o of OPS) {
      if (r < o.weight) {
        spec = o;
        break;
      }
      r -= o.weight;
    }
    const step = spec.make(g);
    if (step) return step;
  }
}

/**
 * Frame lengths worth trying on this board: a minimal and a full frame, and with a jumbo MTU a
 * frame over several RX buffers and the lengths whose last buffer holds only FCS bytes.
 */
export function frameLengths(board: Board, config: ResolvedConfig): number[] {
  const bufSize = geometryOf(config.knobs).bufSize;
  const tag = config.facts.dsa ? EDSA_TAG_LEN : 0;
  const max = board.mtu + ETH_HLEN;
  const lens = new Set<number>([60, Math.min(1514, max)]);
  if (max > 1514) lens.add(max);
  // A frame whose bytes in RX buffers end 1..FCS bytes into the next buffer.
  for (let n = 1; rxBufferBytes(ETH_HLEN, tag) + n * bufSize <= rxBufferBytes(max, tag); n++) {
    const len = n * bufSize + 1 - MVNETA_MH_SIZE - tag - ETH_FCS_LEN;
    if (len <= max) lens.add(len);
    if (len + ETH_FCS_LEN - 1 <= max) lens.add(len + ETH_FCS_LEN - 1);
  }
  return [...lens].sort((a, b) => a - b);
}
