import type { SourceLoc } from '../kernel/errors.js';
import type { ExecCtx } from '../kernel/names.js';

/** A parsed, validated scenario file (contract §2). Times in ns, sizes in bytes, rates in bit/s. */
export interface Scenario {
  name: string;
  description: string;
  /** The file it came from ("<builtin>/multicast.yaml" style paths are fine). */
  file: string;
  branch: string | undefined;
  /** Knob overrides as written (values kept as strings: "reject", "true", "256"). */
  set: Record<string, string>;
  /** Location of each `set:` key, for error messages raised later by branch resolution. */
  setLoc: Record<string, SourceLoc>;
  platform: string | undefined;
  seed: number;
  durationNs: number;
  nic: { mtu: number; rxRing: number };
  xdp: XdpMode;
  traffic: Flow[] | undefined;
  host: Host;
  steps: Step[] | undefined;
  /** Device events of a traffic scenario, in time order. */
  events: DeviceEvent[];
  expect: Expect | undefined;
  /** Location of top-level keys (branch, platform, xdp, ...) for later semantic errors. */
  keyLoc: Record<string, SourceLoc>;
}

export type XdpMode = 'none' | 'pass' | 'drop' | 'tx' | 'redirect';

export type Flow =
  | { kind: 'udp' | 'tcp' | 'scp'; dst: string; port: number; rateBps: number; len: number; loc: SourceLoc }
  | { kind: 'pcap'; file: string; to: string | undefined; timing: 'recorded' | 'line'; loc: SourceLoc };

export interface Host {
  udpSockets: number;
  taps: number;
  tapMode: 'mmap' | 'copy';
  reader: 'fast' | 'slow' | 'stalled';
  readMode: 'copy' | 'splice' | 'zerocopy';
}

/** One step of contract §2.1; `loc` points at the step in the file; `ctx` where it runs when not its default. */
export type Step = StepCall & { ctx?: ExecCtx | undefined };
type StepCall =
  | { op: 'rx'; as: string | undefined; len: number; flow: string | undefined; poll: boolean; loc: SourceLoc }
  | {
      op: 'skb_clone' | 'skb_copy' | 'pskb_copy' | 'skb_unshare' | 'skb_splice_bits' | 'tcp_zerocopy_receive';
      skb: string;
      as: string;
      loc: SourceLoc;
    }
  | { op: 'packet_rcv'; skb: string; as: string; snaplen: number | undefined; loc: SourceLoc }
  | { op: 'pskb_expand_head' | 'kfree_skb' | 'consume_skb' | 'skb_condense'; skb: string; loc: SourceLoc }
  | { op: '__pskb_pull_tail' | 'pskb_trim'; skb: string; len: number; loc: SourceLoc }
  | { op: 'skb_cow'; skb: string; headroom: number; loc: SourceLoc }
  | { op: 'skb_segment'; skb: string; as: string; mss: number | undefined; loc: SourceLoc }
  | { op: 'skb_shift'; tgt: string; skb: string; len: number; loc: SourceLoc }
  | { op: 'skb_try_coalesce'; to: string; from: string; loc: SourceLoc }
  | { op: 'skb_gro_receive'; held: string; skb: string; loc: SourceLoc }
  | { op: 'pipe_release'; pipe: string; loc: SourceLoc }
  | { op: 'munmap'; vma: string; loc: SourceLoc }
  | { op: 'napi_poll'; budget: number | undefined; loc: SourceLoc }
  | { op: 'xdp_return_frame'; frame: string; loc: SourceLoc }
  | { op: 'page_pool_destroy' | 'dev_unbind' | 'holders' | 'teardown'; loc: SourceLoc };

/**
 * What happens to the NIC at a time while traffic and readers go on: link_down (carrier off, frames
 * stop arriving), pool_destroy (ip link set down: mvneta_stop returns the ring and destroys the pool),
 * unbind (mvneta_remove: unregister_netdev, then the device is released).
 */
export interface DeviceEvent {
  atNs: number;
  do: 'link_down' | 'pool_destroy' | 'unbind';
  loc: SourceLoc;
}

export type StepOp = StepCall['op'];

export type CmpOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

/** "OP VALUE" where VALUE is a number or a counter name with an optional "+ N"/"- N". */
export interface Expectation {
  /** Text as the report shows it, e.g. "violations == 0", "skb.clone == rx.frames". */
  text: string;
  op: CmpOp;
  rhs: { counter: string | undefined; offset: number };
  loc: SourceLoc;
}

export interface Expect {
  /** Total expectation, or per-kind map. */
  violations: Expectation | Record<string, Expectation> | undefined;
  leaks: Expectation | Record<string, Expectation> | undefined;
  counters: Record<string, Expectation>;
}

/** A scenario built in code (replay, explore, benchmarks): every field at its file default. */
export function defaultScenario(name: string, file: string): Scenario {
  return {
    name,
    description: '',
    file,
    branch: undefined,
    set: {},
    setLoc: {},
    platform: undefined,
    seed: 1,
    durationNs: 0,
    nic: { mtu: 1500, rxRing: 512 },
    xdp: 'none',
    traffic: undefined,
    events: [],
    host: { udpSockets: 1, taps: 0, tapMode: 'mmap', reader: 'fast', readMode: 'copy' },
    steps: undefined,
    expect: undefined,
    keyLoc: {},
  };
}
