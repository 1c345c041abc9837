import type { CounterName, LeakKind, ViolationKind } from '../kernel/names.js';
import type { HoldersView } from './holders.js';
import type { Setup } from './config.js';

/** The JSON report of contract §4, as plain data. Renderers in src/report/ turn it into text. */
export interface Report {
  schema: 'pp-sim/report@1';
  tool: { name: 'pp-sim'; version: string };
  scenario: string;
  branch: string;
  platform: string;
  knobs: Record<string, string>;
  seed: number;
  platform_facts: Record<string, string | number | boolean>;
  sim: { duration_ns: number; frames: number; bytes: number };
  counters: Record<CounterName, number>;
  violations: Finding<ViolationKind>[];
  leaks: Finding<LeakKind>[];
  expect: ExpectResult[];
  result: 'pass' | 'fail';
  /** Per-interval lines of each flow for traffic scenarios (human output only; not part of the JSON). */
  intervals?: IntervalLine[];
  /** Holders views (--holders, holders steps): page-pool-get fields and who holds the pages. */
  holders?: HoldersView[];
  /** What the modelled kernel printed (pr_warn of page_pool's release work), when it printed anything. */
  kernel_log?: { t_ns: number; text: string }[];
  /** Draws from the seeded generator; 0 when the seed changed nothing (human output only, not in the JSON). */
  randomChoices?: number;
  /** The pool's view per interval, board-wide (human output only). */
  poolIntervals?: PoolInterval[];
  /** What the run changed from its branch and platform (human output only; the JSON has every knob and fact). */
  setup?: Setup;
  /** The pool over time (traffic scenarios): one sample per interval; JSON key `intervals`. */
  series?: IntervalSample[];
}

export interface Finding<K extends string> {
  kind: K;
  count: number;
  kernel: string;
  /** `frame`: the page's receive frame; `skb_frame`: the processed skb's frame when it differs. */
  first: { t_ns: number; frame: number; skb_frame?: number; object: string; path: string[] };
}

export interface ExpectResult {
  check: string;
  ok: boolean;
  actual: number;
}

/** One iperf-style interval (traffic scenarios). */
export interface IntervalLine {
  flow: string;
  startNs: number;
  endNs: number;
  bytes: number;
  datagrams: number;
  lost: number;
  total: number;
  udp: boolean;
}

/** One interval of every page_pool on the board: pages recycled and released in it, in flight at its end. */
export interface PoolInterval {
  startNs: number;
  endNs: number;
  recycled: number;
  released: number;
  inflight: number;
}

/**
 * One interval of the pool over time: gauges as they stand at `end_ns`, counts of what happened
 * within (`start_ns`, `end_ns`]. Read from counters at the interval boundary only.
 */
export interface IntervalSample {
  start_ns: number;
  end_ns: number;
  /** Pool pages (all inflight) in the alloc caches, the ptr_rings, on the RX descriptor ring, elsewhere (stack, sockets, TX). */
  pool_cache: number;
  pool_ring: number;
  rx_ring: number;
  in_stack: number;
  /** hold_cnt - release_cnt over all pools, and both counters so far. */
  inflight: number;
  hold_cnt: number;
  release_cnt: number;
  /** Within the interval: pages recycled (cache + ring), released to the page allocator, allocated by the slow path. */
  recycled: number;
  released: number;
  alloc_slow: number;
  dma_map: number;
  dma_unmap: number;
  dma_sync_for_cpu: number;
  dma_sync_for_device: number;
  drops: number;
  /** Bytes each flow's application read within the interval. */
  flows: { flow: string; bytes: number }[];
}
