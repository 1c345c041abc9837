/**
 * The page_pool return path after 6.1, table by table: the NAPI-local direct-recycling rule
 * (v6.5 8c48eea3adf3 napi_pp_put_page, v6.10 4a96a4e807c3 page_pool_napi_local in
 * page_pool_put_unrefed_netmem), the skb_try_coalesce pp rules of each release (v5.14, v6.1
 * 1effe8ca4e34, v6.3 0646dc31ca88, v6.8 f7dc3248dcfb) and pp_ref_count (v6.7/v6.8 skb_pp_frag_ref,
 * page_pool_unref_netmem). Each row runs a step list as a scenario file would, or drives the kernel
 * API where the row needs an skb shape mvneta never builds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Mvneta, NAPI_BUDGET, type RxSink } from '../../src/driver/mvneta.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { kfree_skb, kfree_skb_partial, skb_clone, skb_headlen, skb_pull, skb_try_coalesce, type SkBuff } from '../../src/kernel/skbuff.js';
import { resolveConfig } from '../../src/sim/config.js';
import { BRANCHES, runYaml } from '../helpers.js';

describe('napi_pp_put_page / page_pool_napi_local: an skb free uses the cache only in NAPI context of a pool tied to that NAPI', () => {
  // [branch, pool_napi, ctx of the free, cached, ring]
  const rows: [string, string | undefined, 'napi' | 'softirq' | 'process', number, number][] = [
    ['upstream-6.1', undefined, 'napi', 0, 1], // v6.1 page_pool_return_skb_page: always allow_direct=false
    ['upstream-6.6', 'none', 'napi', 0, 1], // v6.6 napi_pp_put_page: mvneta's pool has no p.napi
    ['upstream-6.6', 'rx', 'napi', 1, 0], // in_softirq() && napi->list_owner == this CPU
    ['upstream-6.6', 'rx', 'softirq', 0, 1], // softirq on another CPU: list_owner differs
    ['upstream-6.6', 'rx', 'process', 0, 1], // not in softirq
    ['upstream-6.12', 'none', 'napi', 0, 1], // v6.12 page_pool_napi_local: cpuid -1, no p.napi
    ['upstream-6.12', 'rx', 'napi', 1, 0],
    ['upstream-6.12', 'rx', 'softirq', 0, 1],
    ['upstream-6.12', 'rx', 'process', 0, 1],
    ['upstream-6.15', 'rx', 'napi', 1, 0],
  ];
  for (const [branch, napi, ctx, cached, ring] of rows) {
    test(`${branch} pool_napi=${napi ?? 'n/a'}, kfree_skb in ${ctx}: cached ${cached}, ring ${ring}`, () => {
      const r = runYaml(`name: t\nsteps:\n  - rx: { as: a }\n  - kfree_skb: { skb: a, ctx: ${ctx} }\n`, { branch, set: napi ? { pool_napi: napi } : {} });
      assert.equal(r.violations.length, 0);
      assert.equal(r.counters['page_pool.recycle.cached'], cached);
      assert.equal(r.counters['page_pool.recycle.ring'], ring);
      assert.equal(r.counters[`page_pool.skb_return.${ctx}`], 1);
    });
  }
});

describe('page_pool_put_unrefed_netmem (v6.10): the NAPI-local upgrade applies to XDP frame returns too', () => {
  // [branch, cached, ring]: a redirected frame returned by the target's completion, run in the pool's NAPI context.
  const rows: [string, number, number][] = [
    ['upstream-6.6', 0, 1], // v6.6 xdp_return_frame -> page_pool_put_full_page(allow_direct=false)
    ['upstream-6.12', 1, 0], // v6.12 -> page_pool_put_unrefed_netmem -> page_pool_napi_local()
  ];
  for (const [branch, cached, ring] of rows) {
    test(`${branch} pool_napi=rx, xdp_return_frame in napi: cached ${cached}, ring ${ring}`, () => {
      const r = runYaml('name: t\nxdp: redirect\nsteps:\n  - rx: { as: f }\n  - xdp_return_frame: f\n', { branch, set: { pool_napi: 'rx' } });
      assert.equal(r.violations.length, 0);
      assert.equal(r.counters['page_pool.recycle.cached'], cached);
      assert.equal(r.counters['page_pool.recycle.ring'], ring);
    });
  }
});

test('pool_napi applies only where the NAPI-local rule exists (page_pool_params.napi is v6.5+)', () => {
  assert.throws(() => runYaml('name: t\nsteps:\n  - rx: { as: a }\n  - kfree_skb: a\n', { branch: 'upstream-6.1', set: { pool_napi: 'rx' } }), /needs direct_recycle=napi_skb\|napi_any/);
});

describe('skb_try_coalesce pp_recycle rules per release (tailroom copy of a 1514-byte frame)', () => {
  // [coalesce mode, to is pp, from is cloned, refused]; from is always a pool skb.
  type Row = [string, boolean, boolean, boolean];
  const rows: Row[] = [
    ['pp_match', true, false, false], // v5.14: bits equal
    ['pp_match', true, true, false],
    ['pp_match', false, true, true], // bits differ
    ['pp_match_clone', true, false, false], // v6.1 1effe8ca4e34: to.pp == (from.pp && !cloned)
    ['pp_match_clone', true, true, true],
    ['pp_match_clone', false, true, false], // a cloned pool from may go into a non-pp to
    ['pp_match_clone', false, false, true],
    ['pp_match_noclone', true, false, false], // v6.3 0646dc31ca88: no mixing, never a cloned pool from
    ['pp_match_noclone', true, true, true],
    ['pp_match_noclone', false, true, true],
    ['pp_match_ppref', true, false, false], // v6.8 f7dc3248dcfb: no mixing only
    ['pp_match_ppref', true, true, false],
    ['pp_match_ppref', false, true, true],
  ];
  for (const [mode, toPp, cloned, refused] of rows) {
    test(`coalesce=${mode}: to ${toPp ? 'pp' : 'kmalloc copy'}, from ${cloned ? 'cloned' : 'not cloned'} -> ${refused ? 'refused' : 'coalesced'}`, () => {
      const to = toPp ? '  - rx: { as: to }\n' : '  - rx: { as: orig }\n  - skb_copy: { skb: orig, as: to }\n';
      const clone = cloned ? '  - skb_clone: { skb: from, as: tap }\n' : '';
      const r = runYaml(`name: t\nsteps:\n${to}  - rx: { as: from }\n${clone}  - skb_try_coalesce: { to: to, from: from }\n`, { branch: 'upstream-6.12', set: { coalesce: mode } });
      assert.equal(r.counters['skb.coalesce_refused'], refused ? 1 : 0);
      assert.equal(r.counters['skb.coalesce_copied'], refused ? 0 : 1);
      assert.equal(r.violations.length, 0);
    });
  }
});

/** mvneta RX into skbs through the kernel API, for skb shapes no step list builds. */
class Board implements RxSink {
  readonly k: Kernel;
  readonly nic: Mvneta;
  private got: SkBuff | null = null;

  constructor(branch: string) {
    const c = resolveConfig(BRANCHES, branch, undefined, 'espressobin', undefined, []);
    this.k = new Kernel(c.knobs, c.facts);
    this.nic = new Mvneta(this.k, { mtu: 9000, rxRing: 512, xdp: 'none' }, this);
    this.nic.ifup();
  }
  receive(skb: SkBuff): void {
    this.got = skb;
  }
  xdpFrame(): void {
    throw new Error('no XDP');
  }
  rx(len: number): SkBuff {
    this.got = null;
    assert.ok(this.nic.hwReceive(len, 1));
    this.nic.poll(NAPI_BUDGET);
    assert.ok(this.got);
    return this.got;
  }
  ppRef(pfn: number): number {
    return this.k.pages.ppRefCount[this.k.pages.idx(pfn)]!;
  }
  ref(pfn: number): number {
    return this.k.pages.refcount[this.k.pages.idx(pfn)]!;
  }
}

describe('skb_pp_frag_ref (v6.8): frags moved from a cloned pool skb take pp_ref_count, not page references', () => {
  // [branch, coalesce, page refcount of a moved frag, its pp_ref_count, moved frags recycled, released_refcnt]
  const rows: [string, string, number, number, number, number][] = [
    // v6.12: page_pool_ref_netmem; each holder's put drops one pp ref, the last one recycles (page_pool_unref_netmem).
    ['upstream-6.12', 'pp_match_ppref', 1, 2, 2, 0],
    // v5.14 rule with __skb_frag_ref (get_page): the first pp put sees refcount 2 and releases the page from the pool.
    ['upstream-5.14', 'pp_match', 2, 1, 0, 2],
  ];
  for (const [branch, mode, ref, ppRef, ring, released] of rows) {
    test(`${branch} coalesce=${mode}: refcount ${ref}, pp_ref_count ${ppRef}; moved frags recycled ${ring}, released ${released}`, () => {
      const b = new Board(branch);
      assert.equal(b.k.knobs.coalesce, mode);
      const to = b.rx(9014);
      const from = b.rx(9014);
      // to's head and two frags, and the tap's head, always return to the ring. A frags-only `from` (linear part pulled, as after header processing): its head is not stolen.
      skb_pull(from, skb_headlen(from));
      const tap = skb_clone(b.k, from);
      const frag = from.sh.fragPfn[0]!;
      assert.equal(skb_try_coalesce(b.k, to, from), 'frags');
      kfree_skb_partial(b.k, from, false);
      assert.equal(b.ref(frag), ref);
      assert.equal(b.ppRef(frag), ppRef);
      kfree_skb(b.k, to);
      kfree_skb(b.k, tap);
      assert.equal(b.k.counters['page_pool.recycle.ring'], 4 + ring);
      assert.equal(b.k.counters['page_pool.recycle.released_refcnt'], released);
      assert.equal(b.k.findings.violationCount(), 0);
    });
  }
});

test('a step names its execution context with ctx: napi | softirq | process; anything else is bad input', () => {
  assert.throws(() => runYaml('name: t\nsteps:\n  - rx: { as: a }\n  - kfree_skb: { skb: a, ctx: hardirq }\n'), /expected napi, softirq or process, got 'hardirq'/);
  assert.throws(() => runYaml('name: t\nsteps:\n  - rx: { as: a, ctx: process }\n'), /unknown argument 'ctx' for rx/);
});
