/**
 * The reference tables of docs/skbuff-semantics.md as tests: §5.1 (reference
 * mechanics, identical in all three models) and §5.2 (does a page_pool return hook fire, and is it
 * correct), one generated test per row and model.
 *
 * Models (§5.0): A = mem_info in the header region (mvneta_03), B = mem_info after the flags
 * (mvneta_07), C = v5.14 pp_recycle (upstream-5.14; upstream-6.1 where the table names the v6.1 /
 * v6.2 refusals). §5.1 rows drive the kernel API directly so intermediate page refcounts, dataref
 * and head kinds can be read; most §5.2 rows are step lists run through runScenario, exactly as a
 * scenario file would run them, and are judged by the report's violations, leaks and counters.
 *
 * §5.2 legend as the simulator reports it: ✔ = the page returns to the pool (ring, or released when
 * its refcount is elevated); ✘ = wrong-recycle; — = no hook fires; L = the pool page leaves the pool
 * through put_page while still DMA-mapped: freed-while-mapped (A/B also report the attach as
 * pp-page-as-frag, contract §4.3 "different events on the same page are each reported"), plus a
 * pool-inflight leak where the branch has inflight accounting.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Mvneta, NAPI_BUDGET, type RxSink } from '../../src/driver/mvneta.js';
import { Kernel } from '../../src/kernel/kernel.js';
import type { CounterName } from '../../src/kernel/names.js';
import { Origin, Owner, PAGE_SIZE } from '../../src/kernel/page.js';
import type { PagePool } from '../../src/kernel/page_pool.js';
import {
  Head,
  kfree_skb,
  kfree_skb_partial,
  munmap,
  packet_rcv,
  pipe_release,
  pskb_copy,
  pskb_expand_head,
  skb_add_rx_frag,
  skb_clone,
  skb_cloned,
  skb_copy,
  skb_gro_receive,
  skb_headlen,
  skb_pull,
  skb_splice_bits,
  skb_try_coalesce,
  tcp_zerocopy_receive,
  type SkBuff,
} from '../../src/kernel/skbuff.js';
import { MemType } from '../../src/kernel/xdp.js';
import { snapshotCounters } from '../../src/sim/build-report.js';
import { resolveConfig, type ResolvedConfig } from '../../src/sim/config.js';
import { judgeLeaks } from '../../src/sim/leaks.js';
import { runScenario } from '../../src/sim/run.js';
import { loadBranchDir } from '../../src/workload/branches.js';
import { parseScenario } from '../../src/workload/parse.js';

const BRANCHES = loadBranchDir(fileURLToPath(new URL('../../branches/', import.meta.url)));

type Model = 'A' | 'B' | 'C';
const MODELS: readonly Model[] = ['A', 'B', 'C'];
/** One branch per model of §5.0. */
const MODEL_BRANCH: Record<Model, string> = { A: 'mvneta_03', B: 'mvneta_07', C: 'upstream-5.14' };

/** TCP/IP headers after the Ethernet header, as the skb_gro_receive step uses (contract §2.1). */
const GRO_HDR = 52;
/** 2-byte Marvell header + 8-byte EDSA tag stay in the skb the driver hands over (before DSA). */
const EDSA = 8;
const JUMBO = { mtu: 9000, len: 9014 };

interface Knobs {
  set?: Record<string, string>;
  mtu?: number;
}

function config(branch: string, set: Record<string, string> = {}): ResolvedConfig {
  const overrides = Object.entries(set).map(([key, value]) => ({ key, value, loc: undefined }));
  return resolveConfig(BRANCHES, branch, undefined, 'espressobin', undefined, overrides);
}

/** What a run ends with: findings by kind and the report's counters (taken before teardown). */
interface Outcome {
  violations: Record<string, number>;
  leaks: Record<string, number>;
  counters: Record<CounterName, number>;
}

/** The board driven through the kernel API: mvneta RX into skbs, then explicit operations. */
class Board implements RxSink {
  readonly k: Kernel;
  readonly nic: Mvneta;
  private got: SkBuff | null = null;
  private frames = 0;

  constructor(branch: string, o: Knobs = {}) {
    const c = config(branch, o.set);
    this.k = new Kernel(c.knobs, c.facts);
    this.nic = new Mvneta(this.k, { mtu: o.mtu ?? 1500, rxRing: 512, xdp: 'none' }, this);
    this.k.resetPath();
    this.nic.ifup();
  }

  receive(skb: SkBuff): void {
    this.got = skb;
  }

  xdpFrame(): void {
    throw new Error('no XDP program in these tests');
  }

  get pool(): PagePool {
    const p = this.nic.pool;
    assert.ok(p, 'branch has a page_pool');
    return p;
  }

  /** One `rx` step: the NIC writes the frame, one NAPI poll builds the skb and refills. */
  rx(len = 1514): SkBuff {
    const k = this.k;
    k.resetPath();
    k.frame = ++this.frames;
    this.got = null;
    assert.ok(this.nic.hwReceive(len, this.frames), `frame of ${len} bytes accepted`);
    this.nic.poll(NAPI_BUDGET);
    const s = this.got as SkBuff | null;
    assert.ok(s, 'the driver handed an skb to the stack');
    return s;
  }

  /** Runs one operation from the top of a call path, in process context unless `napi`. */
  op<T>(fn: (k: Kernel) => T, napi = false): T {
    this.k.resetPath();
    this.k.inNapi = napi;
    const r = fn(this.k);
    this.k.inNapi = false;
    return r;
  }

  ref(pfn: number): number {
    return this.k.pages.refcount[this.k.pages.idx(pfn)]!;
  }

  owner(pfn: number): number {
    return this.k.pages.owner[this.k.pages.idx(pfn)]!;
  }

  c(name: CounterName): number {
    return this.k.counters[name];
  }

  violations(): Record<string, number> {
    return Object.fromEntries(this.k.findings.listViolations().map((v) => [v.kind, v.count]));
  }

  /** Implicit teardown and leak judgment, as runScenario ends a step scenario. */
  finish(): Outcome {
    const counters = snapshotCounters(this.k);
    this.k.resetPath();
    this.k.inNapi = false;
    this.nic.ifdown();
    judgeLeaks(this.k, { nameOf: () => undefined, tNs: 0 });
    return {
      violations: this.violations(),
      leaks: Object.fromEntries(this.k.findings.listLeaks().map((l) => [l.kind, l.count])),
      counters,
    };
  }
}

function head(s: SkBuff): number {
  return s.sh.headPfn;
}

function frags(s: SkBuff): number[] {
  return Array.from(s.sh.fragPfn.subarray(0, s.sh.nr_frags));
}

/** Runs a step list (contract §2.1 syntax, one step per string) through the parser and runScenario. */
function runSteps(branch: string, steps: readonly string[], o: Knobs = {}): Outcome {
  const text = [`name: reference-table-row`, `nic: { mtu: ${o.mtu ?? 1500} }`, 'steps:', ...steps.map((s) => `  - ${s}`), ''].join('\n');
  const scenario = parseScenario(text, 'reference-tables.yaml');
  const report = runScenario({ scenario, config: config(branch, o.set), seed: 1, durationNs: scenario.durationNs, toolVersion: 'test' });
  return {
    violations: Object.fromEntries(report.violations.map((v) => [v.kind, v.count])),
    leaks: Object.fromEntries(report.leaks.map((l) => [l.kind, l.count])),
    counters: report.counters,
  };
}

// ---------------------------------------------------------------------------------------------
// §5.1 Reference mechanics (identical in all three models)
// ---------------------------------------------------------------------------------------------

interface MechRow {
  /** The row's "Operation" cell. */
  row: string;
  /** Frames need jumbo MTU (frags exist only on multi-descriptor frames). */
  mtu?: number;
  /** Branch per model when the default one's knobs would refuse the operation (§4.3 / §4.6). */
  branch?: Partial<Record<Model, string>>;
  /** No model operation or step: the reason. */
  skip?: string;
  check?: (b: Board, m: Model) => void;
}

const MECHANICS: MechRow[] = [
  {
    row: 'build_skb(pp_data, PAGE_SIZE)',
    check(b, m) {
      const before = b.c('page.alloc');
      const s = b.rx(1514);
      const pfn = head(s);
      assert.equal(s.sh.headKind, Head.page, 'pool page becomes the head');
      assert.equal(s.head_frag, 1);
      assert.equal(b.pool.owns(pfn), true, 'the head is still a pool page');
      assert.equal(s.sh.dataref, 1);
      assert.equal(s.sh.nr_frags, 0);
      assert.equal(b.ref(pfn), 1, "no page ref taken: the driver's ref is transferred");
      assert.equal(s.len, 1514 - 14 + EDSA);
      assert.equal(b.c('skb.build'), 1);
      assert.equal(b.c('skb.alloc'), 0);
      // The refill's slow path: one page (v4.18-v5.12), or a bulk of 64 mapped and held (v5.13+ __page_pool_alloc_pages_slow).
      assert.equal(b.c('page.alloc') - before, m === 'C' ? 64 : 1, 'only the refill allocated pages');
      // The branch's pool marker on the skb (§5.0): mem_info for A/B, pp_recycle + pp_magic for C.
      if (m === 'C') {
        assert.equal(s.pp_recycle, 1);
        assert.equal(b.k.pages.ppMagic[b.k.pages.idx(pfn)], 1);
      } else {
        assert.equal(s.memType, MemType.PAGE_POOL);
        assert.equal(s.memId, b.pool.memId);
      }
    },
  },
  {
    row: 'skb_add_rx_frag',
    mtu: JUMBO.mtu,
    check(b, m) {
      const s = b.rx(JUMBO.len);
      assert.equal(b.c('rx.descriptors'), 3);
      assert.equal(s.sh.nr_frags, 2);
      assert.equal(s.len, JUMBO.len - 14 + EDSA);
      assert.equal(s.sh.fragSize[0]! + s.sh.fragSize[1]!, s.data_len);
      for (const pfn of frags(s)) {
        assert.notEqual(pfn, head(s));
        assert.equal(b.ref(pfn), 1, 'page ref transferred into frags[i], none taken');
        // jumbo_frags: release (A/B: unmapped, plain pages) or recycle (C: still pool pages).
        assert.equal(b.pool.owns(pfn), m === 'C');
        assert.equal(b.k.dma.isMapped(pfn), m === 'C');
      }
      assert.equal(b.c('page_pool.release_cnt'), m === 'C' ? 0 : 2);
    },
  },
  {
    // The model has no skb_get op; deliver_skb's users++ is the step equivalent (packet_rcv).
    row: 'skb_get / tap deliver_skb',
    check(b) {
      const s = b.rx(1514);
      s.users++; // skb_get: refcount_inc(&skb->users), as deliver_skb does
      b.op((k) => {
        kfree_skb(k, s);
      });
      assert.equal(s.alive, true, 'dropping one user of a shared skb frees nothing');
      assert.equal(s.users, 1);
      assert.equal(s.sh.dataref, 1, 'dataref unchanged');
      assert.equal(b.ref(head(s)), 1);
      assert.equal(b.c('skb.free'), 0);
      // packet_rcv: deliver_skb shares (users++), packet_rcv clones the shared skb, consumes its share.
      const c = b.op((k) => packet_rcv(k, s));
      assert.equal(s.users, 1);
      assert.equal(c.sh, s.sh);
      assert.equal(s.sh.dataref, 2);
      assert.equal(b.ref(head(s)), 1, 'no page refs');
      assert.equal(b.c('skb.clone'), 1);
    },
  },
  {
    row: 'skb_clone',
    check(b, m) {
      const s = b.rx(1514);
      const c = b.op((k) => skb_clone(k, s));
      assert.equal(c.sh, s.sh, 'head and frags shared through one shinfo');
      assert.equal(s.sh.dataref, 2);
      assert.equal(s.cloned, 1);
      assert.equal(c.cloned, 1);
      assert.equal(skb_cloned(s) && skb_cloned(c), true);
      assert.equal(b.ref(head(s)), 1, 'no page refs');
      assert.equal(c.users, 1);
      // The marker follows the clone: A by the header memcpy, B by __skb_clone's C() list
      // (unverified for the 2018 RFC, §5.0), C by C(pp_recycle).
      if (m === 'C') assert.equal(c.pp_recycle, 1);
      else assert.equal(c.memType, MemType.PAGE_POOL);
    },
  },
  {
    row: 'free of a non-last clone',
    check(b, m) {
      const s = b.rx(1514);
      const c = b.op((k) => skb_clone(k, s));
      const pfn = head(s);
      b.op((k) => {
        kfree_skb(k, s);
      });
      assert.equal(s.alive, false);
      assert.equal(c.sh.dataref, 1, 'dataref -1, not 0: return');
      assert.equal(b.ref(pfn), 1, 'head kept, no page refcount change');
      assert.equal(b.pool.owns(pfn), true);
      assert.equal(b.c('page_pool.recycle.ring'), 0, 'no hook');
      assert.equal(b.c('page_pool.recycle.released_refcnt'), 0);
      assert.equal(b.c('skb.free'), 1);
      // §4.3 / 2cc3aeb5eccc: the non-last releaser's pp_recycle is cleared; the survivor keeps it.
      if (m === 'C') {
        assert.equal(s.pp_recycle, 0);
        assert.equal(c.pp_recycle, 1);
      }
    },
  },
  {
    row: 'free of the last holder',
    mtu: JUMBO.mtu,
    check(b, m) {
      const s = b.rx(JUMBO.len);
      const c = b.op((k) => skb_clone(k, s));
      const pfn = head(s);
      const fr = frags(s);
      b.op((k) => {
        kfree_skb(k, s);
      });
      const freed = b.c('page.free');
      b.op((k) => {
        kfree_skb(k, c);
      });
      assert.equal(c.sh.dataref, 0, 'dataref -> 0');
      // Head through skb_free_head: the pool hook takes it back (A/B mem_info, C pp_recycle).
      assert.equal(b.pool.owns(pfn), true);
      assert.equal(b.ref(pfn), 1, "the pool's own reference");
      // Frags: each put_page (A/B: released plain pages, freed) or, in C, back to the pool.
      assert.equal(b.c('page_pool.recycle.ring'), m === 'C' ? 3 : 1);
      assert.equal(b.c('page.free') - freed, m === 'C' ? 0 : 2);
      for (const f of fr) assert.equal(b.owner(f), m === 'C' ? Owner.pool : Owner.free);
    },
  },
  {
    row: 'skb_copy',
    mtu: JUMBO.mtu,
    check(b, m) {
      const s = b.rx(JUMBO.len);
      const fr = frags(s);
      const n = b.op((k) => skb_copy(k, s));
      assert.ok(n);
      assert.equal(n.sh.headKind, Head.kmalloc, 'new kmalloc head');
      assert.equal(n.head_frag, 0);
      assert.equal(n.sh.nr_frags, 0, 'linearised');
      assert.equal(n.len, s.len);
      assert.equal(n.data_len, 0);
      assert.equal(n.sh.dataref, 1);
      assert.equal(n.cloned, 0);
      assert.equal(s.sh.dataref, 1, 'original untouched');
      assert.equal(b.ref(head(s)), 1);
      for (const f of fr) assert.equal(b.ref(f), 1, 'no ref on the original frags');
      assert.equal(b.c('skb.copy'), 1);
      assert.equal(b.c('slab.alloc'), 1);
      // §1.2 / §4.4: only model A's placement lets __copy_skb_header carry the marker.
      assert.equal(n.memType, m === 'A' ? MemType.PAGE_POOL : MemType.PAGE_SHARED);
      assert.equal(n.pp_recycle, 0);
    },
  },
  {
    row: 'pskb_copy',
    mtu: JUMBO.mtu,
    check(b, m) {
      const s = b.rx(JUMBO.len);
      const fr = frags(s);
      const n = b.op((k) => pskb_copy(k, s));
      assert.ok(n);
      assert.equal(n.sh.headKind, Head.kmalloc, 'new kmalloc head, header copied');
      assert.equal(n.head_frag, 0);
      assert.equal(skb_headlen(n), skb_headlen(s));
      assert.deepEqual(frags(n), fr, 'shared descriptors');
      for (const f of fr) assert.equal(b.ref(f), 2, '+1 per frag page');
      assert.equal(b.ref(head(s)), 1);
      assert.equal(n.sh.dataref, 1);
      assert.equal(s.sh.dataref, 1);
      assert.equal(n.len, s.len);
      assert.equal(n.data_len, s.data_len);
      assert.equal(n.memType, m === 'A' ? MemType.PAGE_POOL : MemType.PAGE_SHARED);
      assert.equal(n.pp_recycle, 0);
    },
  },
  {
    row: 'pskb_expand_head, not cloned',
    mtu: JUMBO.mtu,
    check(b, m) {
      const s = b.rx(JUMBO.len);
      const old = head(s);
      const fr = frags(s);
      assert.equal(b.op((k) => pskb_expand_head(k, s)), true);
      assert.equal(s.sh.headKind, Head.kmalloc, 'new kmalloc head');
      assert.equal(s.head_frag, 0);
      assert.equal(s.sh.dataref, 1);
      assert.equal(s.cloned, 0);
      assert.deepEqual(frags(s), fr, 'frags move with shinfo');
      for (const f of fr) assert.equal(b.ref(f), 1);
      // Old head freed now, through skb_free_head: the pool takes it back in every model.
      assert.equal(b.c('page_pool.recycle.ring'), 1);
      assert.equal(b.pool.owns(old), true);
      assert.equal(b.ref(old), 1);
      assert.equal(b.c('slab.alloc'), 1);
      assert.equal(b.c('skb.expand_head'), 1);
      // §2.3 step 4: nothing resets mem_info or (non-cloned case) pp_recycle.
      if (m === 'C') assert.equal(s.pp_recycle, 1);
      else assert.equal(s.memType, MemType.PAGE_POOL);
    },
  },
  {
    row: 'pskb_expand_head, cloned',
    mtu: JUMBO.mtu,
    check(b, m) {
      const s = b.rx(JUMBO.len);
      const c = b.op((k) => skb_clone(k, s));
      const old = head(s);
      const fr = frags(s);
      assert.equal(b.op((k) => pskb_expand_head(k, s)), true);
      assert.notEqual(s.sh, c.sh);
      assert.equal(s.sh.headKind, Head.kmalloc);
      assert.equal(c.sh.headPfn, old, 'old head kept for the other clone');
      assert.equal(b.ref(old), 1);
      assert.equal(c.sh.dataref, 1, 'old dataref -1');
      assert.equal(s.sh.dataref, 1, 'new = 1');
      assert.equal(s.cloned, 0);
      assert.deepEqual(frags(s), fr, 'frags shared');
      for (const f of fr) assert.equal(b.ref(f), 2, '+1 per frag page');
      assert.equal(b.c('page_pool.recycle.ring'), 0);
      // §4.3: skb_release_data of the cloned branch clears pp_recycle (2cc3aeb5eccc).
      if (m === 'C') {
        assert.equal(s.pp_recycle, 0);
        assert.equal(c.pp_recycle, 1);
      }
    },
  },
  {
    row: 'skb_try_coalesce, tailroom copy',
    check(b) {
      const to = b.rx(1514);
      const from = b.rx(1514);
      const toHead = head(to);
      const fromHead = head(from);
      assert.equal(b.op((k) => skb_try_coalesce(k, to, from)), 'copied');
      assert.equal(to.sh.nr_frags, 0, 'nothing moved');
      assert.equal(to.len, 2 * 1508);
      assert.equal(b.ref(toHead), 1);
      assert.equal(b.ref(fromHead), 1);
      // `from` is freed normally afterwards: its head goes through skb_free_head.
      b.op((k) => {
        kfree_skb_partial(k, from, false);
      });
      assert.equal(b.c('page_pool.recycle.ring'), 1);
      assert.equal(b.pool.owns(fromHead), true);
    },
  },
  {
    row: 'skb_try_coalesce, head steal',
    check(b) {
      const to = b.rx(1514);
      const b1 = b.rx(1514);
      assert.equal(b.op((k) => skb_try_coalesce(k, to, b1)), 'copied');
      b.op((k) => {
        kfree_skb_partial(k, b1, false);
      });
      const from = b.rx(1514);
      const stolen = head(from);
      assert.equal(b.op((k) => skb_try_coalesce(k, to, from)), 'stolen');
      assert.deepEqual(frags(to), [stolen], 'from head page -> frag of to');
      assert.equal(to.sh.fragOff[0], from.sh.headOff + from.data);
      assert.equal(to.sh.fragSize[0], 1508);
      assert.equal(b.ref(stolen), 1, 'no refcount change (transfer)');
      const ring = b.c('page_pool.recycle.ring');
      const freed = b.c('skb.free');
      b.op((k) => {
        kfree_skb_partial(k, from, true);
      });
      assert.equal(b.c('skb.free') - freed, 1, 'from struct freed');
      assert.equal(from.sh.dataref, 1, 'without release');
      assert.equal(b.c('page_pool.recycle.ring'), ring);
      assert.equal(b.ref(stolen), 1);
    },
  },
  {
    // v6.1 refuses a cloned pp `from` into a pp `to` (1effe8ca4e34): the mechanics row is v5.14.
    row: 'skb_try_coalesce, from cloned (headlen 0)',
    mtu: JUMBO.mtu,
    check(b) {
      const to = b.rx(1514);
      const from = b.rx(JUMBO.len);
      // TCP has pulled everything linear: from's data is only in frags.
      skb_pull(from, skb_headlen(from));
      assert.equal(skb_headlen(from), 0);
      const partner = b.op((k) => skb_clone(k, from));
      const fr = frags(from);
      const fromHead = head(from);
      assert.equal(b.op((k) => skb_try_coalesce(k, to, from)), 'frags');
      assert.deepEqual(frags(to), fr, 'frags copied to to');
      assert.equal(from.sh.nr_frags, 2, 'from keeps its descriptors');
      for (const f of fr) assert.equal(b.ref(f), 2, '+1 per frag page');
      b.op((k) => {
        kfree_skb_partial(k, from, false);
      });
      assert.equal(partner.sh.dataref, 1, 'from -1 on free');
      assert.equal(b.ref(fromHead), 1, 'from head stays');
      assert.equal(b.c('page_pool.recycle.ring'), 0);
      for (const f of fr) assert.equal(b.ref(f), 2);
    },
  },
  {
    row: 'GRO frags path',
    mtu: JUMBO.mtu,
    check(b) {
      const p = b.rx(1514);
      const s = b.rx(JUMBO.len);
      // Only headers left in the linear part (headlen <= offset).
      skb_pull(s, skb_headlen(s) - GRO_HDR);
      const fr = frags(s);
      const sHead = head(s);
      assert.equal(b.op((k) => skb_gro_receive(k, p, s, GRO_HDR), true), 'frags');
      assert.deepEqual(frags(p), fr, 'moved to lp');
      for (const f of fr) assert.equal(b.ref(f), 1, 'no refcount change (transfer)');
      assert.equal(s.alive, false, 'NAPI_GRO_FREE');
      assert.equal(s.sh.nr_frags, 0);
      // skb's head freed normally: the hook takes the pool head back.
      assert.equal(b.c('page_pool.recycle.ring'), 1);
      assert.equal(b.pool.owns(sHead), true);
      assert.equal(b.c('skb.gro_merged'), 1);
    },
  },
  {
    row: 'GRO head steal',
    check(b) {
      const p = b.rx(1514);
      const s = b.rx(1514);
      const stolen = head(s);
      assert.equal(b.op((k) => skb_gro_receive(k, p, s, GRO_HDR), true), 'stolen_head');
      assert.deepEqual(frags(p), [stolen], 'head page -> frag of lp');
      assert.equal(p.sh.fragOff[0], s.sh.headOff + s.data + GRO_HDR);
      assert.equal(p.sh.fragSize[0], 1508 - GRO_HDR);
      assert.equal(b.ref(stolen), 1, 'no refcount change');
      assert.equal(s.alive, false, 'struct freed only');
      assert.equal(b.c('skb.free'), 1);
      assert.equal(b.c('page_pool.recycle.ring'), 0);
      assert.equal(b.c('skb.gro_stolen_head'), 1);
    },
  },
  {
    // v6.1's gro_pp_check refuses a pp p with a non-pp skb: the mechanics row is v5.14.
    row: 'GRO frag_list',
    check(b) {
      const p = b.rx(1514);
      const x = b.rx(1514);
      const n = b.op((k) => skb_copy(k, x));
      assert.ok(n);
      b.op((k) => {
        kfree_skb(k, x);
      });
      const nHead = head(n);
      assert.equal(b.op((k) => skb_gro_receive(k, p, n, GRO_HDR), true), 'frag_list');
      assert.equal(p.sh.frag_list, n, 'skb chained');
      assert.equal(n.alive, true, 'kept');
      assert.equal(n.nohdr, 1);
      assert.equal(n.sh.dataref, 1 + (1 << 16), 'dataref 1+(1<<16)');
      assert.equal(head(n), nHead);
      assert.equal(p.len, 1508 + 1508 - GRO_HDR);
      assert.equal(b.c('skb.gro_frag_list'), 1);
    },
  },
  {
    row: 'splice, head unlocked',
    mtu: JUMBO.mtu,
    check(b) {
      const s = b.rx(JUMBO.len);
      const pipe = b.op((k) => skb_splice_bits(k, s, k.sockFrag));
      assert.deepEqual(pipe.pfns, [head(s), ...frags(s)], 'head page and frag pages into the pipe');
      for (const pfn of pipe.pfns) assert.equal(b.ref(pfn), 2, '+1 per pipe entry');
      assert.equal(b.c('skb.splice_pages'), 3);
      b.op((k) => {
        pipe_release(k, pipe);
      });
      for (const pfn of [head(s), ...frags(s)]) assert.equal(b.ref(pfn), 1);
    },
  },
  {
    row: 'splice, head locked',
    mtu: JUMBO.mtu,
    check(b) {
      const s = b.rx(JUMBO.len);
      const c = b.op((k) => skb_clone(k, s)); // a cloned head is locked
      const pipe = b.op((k) => skb_splice_bits(k, c, k.sockFrag));
      assert.equal(pipe.pfns.length, 3);
      assert.equal(pipe.pfns[0], b.k.sockFrag.pfn, 'bytes copied to sk_page_frag');
      assert.notEqual(pipe.pfns[0], head(s));
      assert.equal(b.ref(head(s)), 1, 'head not referenced');
      assert.deepEqual(pipe.pfns.slice(1), frags(s), 'frag pages into the pipe');
      for (const f of frags(s)) assert.equal(b.ref(f), 2, '+1 on frags');
    },
  },
  {
    row: 'tcp_zerocopy_receive',
    mtu: JUMBO.mtu,
    check(b) {
      // mvneta's frags start at the RX offset (64 / 256), so a received skb maps nothing.
      const j = b.rx(JUMBO.len);
      const none = b.op((k) => tcp_zerocopy_receive(k, j));
      assert.deepEqual(none.pfns, []);
      b.op((k) => {
        munmap(k, none);
      });
      // A full-page, offset-0 frag is mappable; the head never is.
      const s = b.rx(1514);
      const pg = b.k.alloc_pages(0, Owner.page, Origin.none);
      skb_add_rx_frag(s, 0, pg, 0, PAGE_SIZE, PAGE_SIZE);
      const vma = b.op((k) => tcp_zerocopy_receive(k, s));
      assert.deepEqual(vma.pfns, [pg]);
      assert.equal(b.ref(pg), 2, '+1 per mapped page');
      assert.equal(b.ref(head(s)), 1, 'head never mapped');
      assert.equal(b.c('skb.zerocopy_pages'), 1);
      b.op((k) => {
        munmap(k, vma);
      });
      assert.equal(b.ref(pg), 1);
    },
  },
  { row: '__pskb_pull_tail/skb_condense', skip: 'no model operation and no step for __pskb_pull_tail / skb_condense (§2.3)' },
  { row: 'skb_segment', skip: 'skb_segment is not a step (contract §2.1) and has no model operation' },
];

describe('§5.1 reference mechanics', () => {
  for (const r of MECHANICS) {
    for (const m of MODELS) {
      const branch = r.branch?.[m] ?? MODEL_BRANCH[m];
      const name = `§5.1 ${r.row} — model ${m} (${branch})`;
      const check = r.check;
      if (r.skip !== undefined || !check) {
        test(name, { skip: r.skip ?? 'not testable' }, () => undefined);
        continue;
      }
      test(name, () => {
        const b = new Board(branch, r.mtu === undefined ? {} : { mtu: r.mtu });
        check(b, m);
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
// §5.2 Does a page_pool return hook fire, and is it correct?
// ---------------------------------------------------------------------------------------------

type Mark = '✔' | '✘' | '—' | 'L' | 'refused' | 'n/a';

interface Verdict {
  model: Model;
  /** Sub-case of the row (the cell names more than one situation), shown in the test name. */
  variant?: string;
  branch?: string;
  set?: Record<string, string>;
  mark: Mark;
  /** What the mark means here, for the test name. */
  what: string;
  violations?: Record<string, number>;
  leaks?: Record<string, number>;
  counters?: Partial<Record<CounterName, number>>;
  /** Steps for this verdict only (else the row's). */
  steps?: readonly string[];
  /** Knobs for this verdict only (else the row's mtu). */
  knobs?: Knobs;
  /** node:test todo: the model disagrees with the reference here. */
  todo?: string;
}

interface HookRow {
  row: string;
  mtu?: number;
  steps?: readonly string[];
  /** Rows with no step equivalent drive the kernel API; findings and counters are judged the same way. */
  drive?: (b: Board, v: Verdict) => void;
  skip?: string;
  verdicts: Verdict[];
}

const RX_A = 'rx: { as: a, len: 1514 }';
const RX_J = `rx: { as: a, len: ${JUMBO.len} }`;

/** Three frames: b copied into a's tailroom, c's head stolen (coalesce.yaml). */
const COALESCE_STEAL = [RX_A, 'rx: { as: b, len: 1514 }', 'skb_try_coalesce: { to: a, from: b }', 'rx: { as: c, len: 1514 }', 'skb_try_coalesce: { to: a, from: c }', 'kfree_skb: a'];
/** A held packet that is not pp: an skb_copy (kmalloc head, pp_recycle 0, §4.4). */
const NOT_PP_TO = ['rx: { as: x, len: 1514 }', 'skb_copy: { skb: x, as: a }', 'kfree_skb: x'];
const L_AB = { 'freed-while-mapped': 1, 'pp-page-as-frag': 1 };

const HOOKS: HookRow[] = [
  {
    row: 'last free of original',
    mtu: JUMBO.mtu,
    steps: [RX_J, 'kfree_skb: a'],
    verdicts: [
      { model: 'A', mark: '✔', what: 'head returns to the pool', counters: { 'page_pool.recycle.ring': 1, 'page_pool.release_cnt': 2, 'page.free': 2 } },
      { model: 'B', mark: '✔', what: 'head returns to the pool', counters: { 'page_pool.recycle.ring': 1, 'page_pool.release_cnt': 2, 'page.free': 2 } },
      { model: 'C', mark: '✔', what: 'head and every pp frag return to the pool', counters: { 'page_pool.recycle.ring': 3, 'page_pool.release_cnt': 0, 'page.free': 0 } },
    ],
  },
  {
    row: 'clone, either freed last',
    steps: [RX_A, 'skb_clone: { skb: a, as: ac }', 'kfree_skb: a', 'kfree_skb: ac', 'rx: { as: b, len: 1514 }', 'skb_clone: { skb: b, as: bc }', 'kfree_skb: bc', 'kfree_skb: b'],
    verdicts: MODELS.map((model) => ({
      model,
      mark: '✔',
      what: 'once per frame, either order',
      counters: { 'skb.clone': 2, 'page_pool.recycle.ring': 2, 'page_pool.recycle.released_refcnt': 0, 'page.free': 0 },
    })),
  },
  {
    row: 'skb_copy result freed',
    steps: [RX_A, 'skb_copy: { skb: a, as: b }', 'kfree_skb: b', 'kfree_skb: a'],
    verdicts: [
      { model: 'A', mark: '✘', what: 'wrong-recycle', violations: { 'wrong-recycle': 1 }, counters: { 'slab.free': 1, 'page_pool.recycle.ring': 1 } },
      { model: 'B', mark: '—', what: 'no hook', counters: { 'slab.free': 1, 'page_pool.recycle.ring': 1 } },
      { model: 'C', mark: '—', what: 'no hook', counters: { 'slab.free': 1, 'page_pool.recycle.ring': 1 } },
    ],
  },
  {
    row: 'pskb_copy result freed',
    mtu: JUMBO.mtu,
    steps: [RX_J, 'pskb_copy: { skb: a, as: b }', 'kfree_skb: b', 'kfree_skb: a'],
    verdicts: [
      { model: 'A', mark: '✘', what: 'wrong-recycle', violations: { 'wrong-recycle': 1 }, counters: { 'slab.free': 1, 'page_pool.recycle.ring': 1 } },
      { model: 'B', mark: '—', what: 'no hook', counters: { 'slab.free': 1, 'page_pool.recycle.ring': 1 } },
      // Frags: the copy's extra refs dropped with plain put_page, then the original recycles all three.
      { model: 'C', mark: '—', what: 'no hook (frags: plain put_page of extra refs)', counters: { 'slab.free': 1, 'page_pool.recycle.ring': 3, 'page_pool.recycle.released_refcnt': 0 } },
      {
        model: 'C',
        variant: 'original freed first',
        mark: '—',
        what: 'no hook on the copy; the original releases the shared frags',
        steps: [RX_J, 'pskb_copy: { skb: a, as: b }', 'kfree_skb: a', 'kfree_skb: b'],
        counters: { 'slab.free': 1, 'page_pool.recycle.ring': 1, 'page_pool.recycle.released_refcnt': 2 },
      },
    ],
  },
  {
    row: 'skb_copy_expand, skb_segment segs, veth/tls skb_copy_header',
    skip: 'skb_copy_expand, skb_segment and skb_copy_header users are not steps (contract §2.1); the same __copy_skb_header rule is covered by the skb_copy/pskb_copy rows',
    verdicts: [],
  },
  {
    row: 'pskb_expand_head, not cloned',
    steps: [RX_A, 'pskb_expand_head: a', 'kfree_skb: a'],
    verdicts: [
      { model: 'A', mark: '✘', what: 'old head ✔ at expand, then wrong-recycle of the kmalloc head', violations: { 'wrong-recycle': 1 }, counters: { 'page_pool.recycle.ring': 1, 'slab.free': 1 } },
      { model: 'B', mark: '✘', what: 'old head ✔ at expand, then wrong-recycle (inferred)', violations: { 'wrong-recycle': 1 }, counters: { 'page_pool.recycle.ring': 1, 'slab.free': 1 } },
      { model: 'B', variant: 'hook requires head_frag', set: { hook_checks_head_frag: 'true' }, mark: '✔', what: 'old head only', counters: { 'page_pool.recycle.ring': 1, 'slab.free': 1 } },
      { model: 'C', mark: '✔', what: 'old head; new head never consults the pool', counters: { 'page_pool.recycle.ring': 1, 'slab.free': 1 } },
      {
        model: 'C',
        variant: 'with pp frags',
        mark: '✔',
        what: 'pp_recycle stays 1: the frags still return to the pool (§4.3)',
        steps: [RX_J, 'pskb_expand_head: a', 'kfree_skb: a'],
        knobs: { mtu: JUMBO.mtu },
        counters: { 'page_pool.recycle.ring': 3, 'page_pool.release_cnt': 0, 'slab.free': 1 },
      },
    ],
  },
  {
    row: 'pskb_expand_head, cloned',
    mtu: JUMBO.mtu,
    steps: [RX_J, 'skb_clone: { skb: a, as: c }', 'pskb_expand_head: a', 'kfree_skb: a', 'kfree_skb: c'],
    verdicts: [
      { model: 'A', mark: '✘', what: 'expanded skb wrong-recycle, partner ✔', violations: { 'wrong-recycle': 1 }, counters: { 'page_pool.recycle.ring': 1, 'slab.free': 1 } },
      { model: 'B', mark: '✘', what: 'expanded skb wrong-recycle, partner ✔ (inferred)', violations: { 'wrong-recycle': 1 }, counters: { 'page_pool.recycle.ring': 1, 'slab.free': 1 } },
      // The expanded skb's bit is cleared: its frag refs go by put_page; the partner recycles head + frags.
      { model: 'C', mark: '✔', what: 'expanded skb put_page of its frag refs, partner ✔', counters: { 'page_pool.recycle.ring': 3, 'page_pool.recycle.released_refcnt': 0, 'slab.free': 1 } },
    ],
  },
  {
    row: 'skb_try_coalesce tailroom copy',
    steps: [RX_A, 'rx: { as: b, len: 1514 }', 'skb_try_coalesce: { to: a, from: b }', 'kfree_skb: a'],
    verdicts: [
      ...MODELS.map((model): Verdict => ({ model, mark: '✔', what: '`from` returns to the pool when freed', counters: { 'skb.coalesce_copied': 1, 'page_pool.recycle.ring': 2 } })),
      {
        model: 'C',
        variant: 'bits differ',
        mark: 'refused',
        what: 'pp_recycle differs',
        steps: [...NOT_PP_TO, 'rx: { as: b, len: 1514 }', 'skb_try_coalesce: { to: a, from: b }', 'kfree_skb: b', 'kfree_skb: a'],
        counters: { 'skb.coalesce_refused': 1, 'skb.coalesce': 0, 'page_pool.recycle.ring': 2 },
      },
    ],
  },
  {
    row: 'skb_try_coalesce head steal',
    steps: COALESCE_STEAL,
    verdicts: [
      { model: 'A', mark: 'L', what: 'stolen pool head put_page\'d as a frag while mapped', violations: L_AB, counters: { 'skb.coalesce_stolen_head': 1, 'page_pool.recycle.ring': 2 } },
      { model: 'B', mark: 'L', what: 'stolen pool head put_page\'d as a frag while mapped', violations: L_AB, counters: { 'skb.coalesce_stolen_head': 1, 'page_pool.recycle.ring': 2 } },
      { model: 'C', mark: '✔', what: 'to is pp: via the frag path', counters: { 'skb.coalesce_stolen_head': 1, 'page_pool.recycle.ring': 3 } },
      {
        model: 'C',
        variant: 'to not pp',
        mark: 'refused',
        what: 'only if to also pp',
        steps: [...NOT_PP_TO, 'rx: { as: c, len: 1514 }', 'skb_try_coalesce: { to: a, from: c }', 'kfree_skb: c', 'kfree_skb: a'],
        counters: { 'skb.coalesce_refused': 1, 'skb.coalesce_stolen_head': 0 },
      },
    ],
  },
  {
    // A `from` with headlen 0 has no step equivalent (no pull step): driven through the kernel API.
    row: 'skb_try_coalesce frags of cloned from',
    mtu: JUMBO.mtu,
    drive(b, v) {
      const to = b.rx(1514);
      const from = b.rx(JUMBO.len);
      skb_pull(from, skb_headlen(from));
      const partner = b.op((k) => skb_clone(k, from));
      const r = b.op((k) => skb_try_coalesce(k, to, from));
      assert.equal(r, v.mark === 'refused' ? 'refused' : 'frags');
      if (r !== 'refused') {
        // A/B: by design no pool frags; the moved frags are plain pages.
        for (const f of frags(to)) assert.equal(b.pool.owns(f), v.model === 'C');
        b.op((k) => {
          kfree_skb_partial(k, from, false);
        });
      } else {
        b.op((k) => {
          kfree_skb(k, from);
        });
      }
      b.op((k) => {
        kfree_skb(k, to);
        kfree_skb(k, partner);
      });
    },
    verdicts: [
      { model: 'A', mark: 'n/a', what: 'no pool frags by design', counters: { 'skb.coalesce': 1, 'page_pool.recycle.ring': 2, 'page.free': 2 } },
      { model: 'B', mark: 'n/a', what: 'no pool frags by design', counters: { 'skb.coalesce': 1, 'page_pool.recycle.ring': 2, 'page.free': 2 } },
      // v5.14: extra page refs; to (pp) returns them while the partner holds them: release + put.
      { model: 'C', mark: '✔', what: 'extra page refs: released, not recycled', counters: { 'skb.coalesce': 1, 'page_pool.recycle.released_refcnt': 2, 'page_pool.recycle.ring': 2, 'page.free': 2 } },
      { model: 'C', variant: 'v6.1, 1effe8ca4e34', branch: 'upstream-6.1', mark: 'refused', what: 'cloned pp from into pp to', counters: { 'skb.coalesce_refused': 1, 'page_pool.recycle.ring': 4 } },
    ],
  },
  {
    row: 'GRO head steal',
    steps: [RX_A, 'rx: { as: s, len: 1514 }', 'skb_gro_receive: { held: a, skb: s }', 'kfree_skb: a'],
    verdicts: [
      { model: 'A', mark: 'L', what: 'stolen pool head put_page\'d as a frag while mapped', violations: L_AB, counters: { 'skb.gro_stolen_head': 1, 'page_pool.recycle.ring': 1 } },
      { model: 'B', mark: 'L', what: 'stolen pool head put_page\'d as a frag while mapped', violations: L_AB, counters: { 'skb.gro_stolen_head': 1, 'page_pool.recycle.ring': 1 } },
      { model: 'C', mark: '✔', what: 'p is pp', counters: { 'skb.gro_stolen_head': 1, 'page_pool.recycle.ring': 2 } },
      {
        model: 'C',
        variant: 'p not pp',
        mark: 'L',
        what: 'freed-while-mapped + pool-inflight',
        steps: [...NOT_PP_TO, 'rx: { as: s, len: 1514 }', 'skb_gro_receive: { held: a, skb: s }', 'kfree_skb: a'],
        violations: { 'freed-while-mapped': 1 },
        leaks: { 'pool-inflight': 1 },
        counters: { 'skb.gro_stolen_head': 1 },
      },
      {
        model: 'C',
        variant: 'p not pp, v6.1 gro_pp_check',
        branch: 'upstream-6.1',
        mark: 'refused',
        what: 'pp_recycle differs',
        steps: [...NOT_PP_TO, 'rx: { as: s, len: 1514 }', 'skb_gro_receive: { held: a, skb: s }', 'kfree_skb: s', 'kfree_skb: a'],
        counters: { 'skb.gro_merged': 0, 'page_pool.recycle.ring': 2 },
      },
    ],
  },
  {
    // headlen <= offset needs a pulled skb (no pull step): driven through the kernel API.
    row: 'GRO frags path',
    mtu: JUMBO.mtu,
    drive(b) {
      const p = b.rx(1514);
      const s = b.rx(JUMBO.len);
      skb_pull(s, skb_headlen(s) - GRO_HDR);
      assert.equal(b.op((k) => skb_gro_receive(k, p, s, GRO_HDR), true), 'frags');
      b.op((k) => {
        kfree_skb(k, p);
      });
    },
    verdicts: [
      { model: 'A', mark: 'n/a', what: 'no pool frags: plain pages move', counters: { 'skb.gro_merged': 1, 'page_pool.recycle.ring': 2, 'page.free': 2 } },
      { model: 'B', mark: 'n/a', what: 'no pool frags: plain pages move', counters: { 'skb.gro_merged': 1, 'page_pool.recycle.ring': 2, 'page.free': 2 } },
      { model: 'C', mark: '✔', what: 'as head steal: pp frags return through p', counters: { 'skb.gro_merged': 1, 'page_pool.recycle.ring': 4, 'page.free': 0 } },
    ],
  },
  {
    row: 'splice / zerocopy receive',
    steps: [RX_A, 'skb_splice_bits: { skb: a, as: p }', 'kfree_skb: a', 'pipe_release: p', 'rx: { as: b, len: 1514 }', 'skb_splice_bits: { skb: b, as: q }', 'pipe_release: q', 'kfree_skb: b'],
    verdicts: [
      ...MODELS.map(
        (model): Verdict => ({
          model,
          variant: 'splice',
          mark: '✔',
          what: 'refcount>1: unmap + release (skb first), recycle (pipe first)',
          counters: { 'page_pool.recycle.released_refcnt': 1, 'page_pool.release_cnt': 1, 'page_pool.recycle.ring': 1, 'page.free': 1 },
        }),
      ),
      ...MODELS.map(
        (model): Verdict => ({
          model,
          variant: 'zerocopy, head-only skb',
          mark: '✔',
          what: 'nothing mapped, head recycled',
          steps: [RX_A, 'tcp_zerocopy_receive: { skb: a, as: v }', 'munmap: v', 'kfree_skb: a'],
          counters: { 'skb.zerocopy_pages': 0, 'page_pool.recycle.ring': 1 },
        }),
      ),
    ],
  },
  {
    // A pool page as a full-page frag at offset 0 cannot come from mvneta (frags start at the RX
    // offset); it is attached by hand, as a pp frag (model C only: A/B have no pool frags).
    row: 'splice / zerocopy receive (mapped pool frag)',
    drive(b) {
      const s = b.rx(1514);
      const pg = b.pool.alloc();
      skb_add_rx_frag(s, 0, pg, 0, PAGE_SIZE, PAGE_SIZE);
      const vma = b.op((k) => tcp_zerocopy_receive(k, s));
      assert.deepEqual(vma.pfns, [pg]);
      b.op((k) => {
        kfree_skb(k, s);
      });
      assert.equal(b.owner(pg), Owner.page, 'released from the pool while mapped by the user');
      b.op((k) => {
        munmap(k, vma);
      });
    },
    verdicts: [{ model: 'C', mark: '✔', what: 'refcount>1: unmap + release, no recycle', counters: { 'skb.zerocopy_pages': 1, 'page_pool.recycle.released_refcnt': 1, 'page_pool.recycle.ring': 1, 'page.free': 1 } }],
  },
  {
    // kfree_skb_partial has no step of its own; skb_try_coalesce's steal calls it (contract §2.1).
    row: 'kfree_skb_partial(from, stolen)',
    drive(b) {
      const to = b.rx(1514);
      const b1 = b.rx(1514);
      b.op((k) => skb_try_coalesce(k, to, b1));
      b.op((k) => {
        kfree_skb_partial(k, b1, false);
      });
      const from = b.rx(1514);
      assert.equal(b.op((k) => skb_try_coalesce(k, to, from)), 'stolen');
      const before = { ...b.k.counters };
      const findings = b.violations();
      b.op((k) => {
        kfree_skb_partial(k, from, true);
      });
      for (const n of ['page_pool.recycle.ring', 'page_pool.recycle.released_refcnt', 'page.free', 'slab.free'] as const) assert.equal(b.c(n), before[n], `${n}: no release`);
      assert.equal(b.c('skb.free') - before['skb.free'], 1);
      assert.deepEqual(b.violations(), findings, 'no hook, no finding');
      b.op((k) => {
        kfree_skb(k, to);
      });
    },
    // The row is about the partial free only; the stolen head's later fate is the head-steal row.
    verdicts: MODELS.map((model): Verdict => ({ model, mark: '—', what: 'struct only, no hook', violations: model === 'C' ? {} : L_AB })),
  },
  {
    row: 'jumbo frames',
    mtu: JUMBO.mtu,
    steps: [RX_J, 'kfree_skb: a'],
    verdicts: [
      { model: 'A', variant: 'jumbo_frags=keep', set: { jumbo_frags: 'keep' }, mark: 'L', what: 'pool frags put_page\'d while mapped', violations: { 'pp-page-as-frag': 2, 'freed-while-mapped': 2 }, counters: { 'page_pool.recycle.ring': 1, 'page_pool.release_cnt': 0 } },
      { model: 'A', variant: 'jumbo_frags=release', mark: '✔', what: 'frags unmapped first, plain pages', counters: { 'page_pool.recycle.ring': 1, 'page_pool.release_cnt': 2, 'page.free': 2 } },
      { model: 'B', mark: '✔', what: 'frags unmapped before skb_add_rx_frag, plain pages', counters: { 'page_pool.recycle.ring': 1, 'page_pool.release_cnt': 2, 'page.free': 2 } },
      { model: 'C', mark: '✔', what: 'frags marked and recycled', counters: { 'page_pool.recycle.ring': 3, 'page_pool.release_cnt': 0, 'page.free': 0 } },
    ],
  },
];

describe('§5.2 page_pool return hook', () => {
  for (const r of HOOKS) {
    if (r.skip !== undefined) {
      for (const m of MODELS) test(`§5.2 ${r.row} — model ${m}`, { skip: r.skip }, () => undefined);
      continue;
    }
    for (const v of r.verdicts) {
      const branch = v.branch ?? MODEL_BRANCH[v.model];
      const name = `§5.2 ${r.row} — model ${v.model}${v.variant ? ` (${v.variant})` : ''}: ${v.mark} ${v.what}`;
      const knobs: Knobs = { ...v.knobs };
      if (v.set) knobs.set = v.set;
      if (r.mtu !== undefined) knobs.mtu = r.mtu;
      test(name, v.todo === undefined ? {} : { todo: v.todo }, () => {
        let out: Outcome;
        if (r.drive) {
          const b = new Board(branch, knobs);
          r.drive(b, v);
          out = b.finish();
        } else {
          const steps = v.steps ?? r.steps;
          assert.ok(steps, 'row has steps');
          out = runSteps(branch, steps, knobs);
        }
        assert.deepEqual(out.violations, v.violations ?? {}, 'violations');
        assert.deepEqual(out.leaks, v.leaks ?? {}, 'leaks');
        for (const [n, want] of Object.entries(v.counters ?? {})) assert.equal(out.counters[n as CounterName], want, n);
      });
    }
  }
});

describe('§5.2 L without the pp-page-as-frag question', () => {
  // The parts of the model-C "GRO head steal, p not pp" L outcome the reference states outright.
  test('§5.2 GRO head steal — model C (p not pp): L freed-while-mapped + pool-inflight leak', () => {
    const out = runSteps('upstream-5.14', [...NOT_PP_TO, 'rx: { as: s, len: 1514 }', 'skb_gro_receive: { held: a, skb: s }', 'kfree_skb: a']);
    assert.equal(out.violations['freed-while-mapped'], 1);
    assert.deepEqual(out.leaks, { 'pool-inflight': 1 });
  });
});

describe('contract §4.3 finding counts on §5.2 outcomes', () => {
  // jumbo_frags=keep (§5.2 "jumbo frames", model A: pool frags) followed by a GRO head steal: three
  // pool pages become frags of some skb (the stolen head and the two RX frags) and three reach the
  // allocator mapped. "Counts are per page" (contract §4.3): the frags already reported at RX must
  // not be counted again when GRO moves them to the held packet.
  test('§5.2 jumbo frames + GRO head steal — model A (jumbo_frags=keep): pp-page-as-frag counted per page', () => {
    const out = runSteps('mvneta_03', ['rx: { as: a, len: 1514 }', `rx: { as: s, len: ${JUMBO.len} }`, 'skb_gro_receive: { held: a, skb: s }', 'kfree_skb: a'], { mtu: JUMBO.mtu, set: { jumbo_frags: 'keep' } });
    assert.deepEqual(out.violations, { 'freed-while-mapped': 3, 'pp-page-as-frag': 3 });
    assert.deepEqual(out.leaks, {});
  });
});

describe('mvneta RX refill (mvneta-workloads.md: refill only descriptors whose buf_phys_addr is 0)', () => {
  // A page left on the ring (a copybreak-sized frame on the v4.19 driver; a last descriptor that
  // carries only FCS bytes) keeps its descriptor: the refill walk must not post a new page over it.
  test('baseline-4.20: a frame of <= 256 bytes leaves its page on the ring, and nothing leaks', () => {
    const out = runSteps('baseline-4.20', ['rx: { as: a, len: 60 }', 'kfree_skb: a', RX_A, 'kfree_skb: a']);
    assert.equal(out.counters['rx.copybreak'], 1);
    assert.deepEqual(out.leaks, {});
    // The copybreak memcpy before the sync is the known v4.19 defect (one per frame).
    assert.deepEqual(out.violations, { 'cpu-access-device-owned': 2 });
  });
  test('mvneta_07: a last descriptor holding only FCS bytes stays on the ring, and nothing leaks', () => {
    // 2 (MH) + 3700 + 8 (EDSA) + 4 (FCS) = 3714 bytes: 3712 in the first buffer, 2 FCS bytes in the second.
    const out = runSteps('mvneta_07', ['rx: { as: a, len: 3700 }', 'kfree_skb: a', RX_A, 'kfree_skb: a', RX_A, 'kfree_skb: a'], { mtu: 3700 });
    assert.equal(out.counters['rx.descriptors'], 4);
    // The second refill finds frame 1's page alone in the ring: the v4.18-v5.0 __page_pool_get_cached moves it to the cache, drains the ring and returns NULL, so the slow path allocates once more.
    assert.equal(out.counters['page.alloc'], 512 + 2, 'refills for the consumed heads, none over the FCS descriptor');
    assert.deepEqual(out.leaks, {});
    assert.deepEqual(out.violations, {});
  });
});
