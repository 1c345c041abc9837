// Kernel-era semantics of issue 11 (items 1, 6, 9, 10), each row citing the function and version it checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DmaDir, DMA_ATTR_SKIP_CPU_SYNC } from '../../src/kernel/dma.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { VIOLATIONS } from '../../src/kernel/names.js';
import { PagePool, type PoolAllocShape } from '../../src/kernel/page_pool.js';
import { Origin, Owner } from '../../src/kernel/page.js';
import { resolveConfig } from '../../src/sim/config.js';
import { BRANCHES, kinds, runStepLines, runYaml } from '../helpers.js';

function kernel(branch = 'upstream-6.1', platform = 'espressobin'): Kernel {
  const c = resolveConfig(BRANCHES, branch, undefined, platform, undefined, []);
  return new Kernel(c.knobs, c.facts);
}

function pool(k: Kernel, allocShape: PoolAllocShape, syncForDevice = false): PagePool {
  const p = new PagePool(k, k.pools.length, {
    poolSize: 512, dmaDir: DmaDir.from_device, offset: 256, maxLen: 3520, syncForDevice, skipCpuSync: true,
    dmaInPrivate: false, setPpInfo: true, inflightAccounting: true, allocShape,
    releaseRetry: 'page_pool', dmaTracking: false,
  });
  k.pools.push(p);
  return p;
}

// Item 1: kfree_skb_list (net/core/skbuff.c, v4.20 .. v6.1) walks segs->next and never clears it, so a
// frag_list shared by skb_clone_fraglist is walked once per owner and every segment is freed.
// 3000-byte frames leave too little tailroom for skb_try_coalesce to copy, so coalesce=frag_list chains them.
const FRAG_LIST = ['rx: { as: a, len: 3000 }', 'rx: { as: b, len: 3000 }', 'rx: { as: d, len: 3000 }', 'skb_try_coalesce: { to: a, from: b }', 'skb_try_coalesce: { to: a, from: d }'];
const SHARED_FRAG_LIST: [string, string[]][] = [
  ['pskb_copy (skb_clone_fraglist), original freed first', ['pskb_copy: { skb: a, as: c }', 'kfree_skb: a', 'kfree_skb: c']],
  ['pskb_copy (skb_clone_fraglist), copy freed first', ['pskb_copy: { skb: a, as: c }', 'kfree_skb: c', 'kfree_skb: a']],
  ['pskb_expand_head on a clone (skb_clone_fraglist)', ['skb_clone: { skb: a, as: c }', 'pskb_expand_head: c', 'kfree_skb: a', 'kfree_skb: c']],
];
for (const [name, steps] of SHARED_FRAG_LIST) {
  test(`kfree_skb_list (v4.20-v6.1) frees a two-segment shared frag_list once per owner: ${name}`, () => {
    const out = runStepLines('mvneta_07', [...FRAG_LIST, ...steps], { set: { coalesce: 'frag_list', hook_checks_head_frag: 'true' }, mtu: 3000 });
    assert.equal(out.counters['skb.coalesce_frag_list'], 2);
    assert.deepEqual(out.leaks, {}, 'no false skb leak: the second owner walks the whole list');
    assert.deepEqual(out.violations, {});
    assert.equal(out.counters['skb.free'], out.counters['skb.build'] + (out.counters['skb.pskb_copy'] ?? 0) + (out.counters['skb.clone'] ?? 0));
  });
}

// Item 6: page_pool_alloc_pages per era, driven in NAPI context with 70 pages recycled to the ring.
interface AllocRow {
  era: string;
  shape: PoolAllocShape;
  /** Counters after 70 slow allocations from an empty pool. */
  first: { slow: number; empty: number; hold: number; map: number; pageAlloc: number };
  /** After the 70 went back to the ring: the next 70 allocations. */
  again: { fast: number; refill: number; slow: number; empty: number };
}
const ALLOC: AllocRow[] = [
  // v4.18-v5.0 __page_pool_get_cached: the ring is checked before the cache; the refill loop moves pages to
  // the cache and returns the 65th, or NULL when the ring runs dry first. Here the last 5 pages of the ring
  // land in the cache, the call returns NULL, and with the ring empty they stay there while 5 new pages are mapped.
  { era: 'v4.20/v5.0 __page_pool_get_cached', shape: 'ring_first', first: { slow: 70, empty: 70, hold: 70, map: 70, pageAlloc: 70 }, again: { fast: 64, refill: 1, slow: 5, empty: 5 } },
  // v5.5 page_pool_refill_alloc_cache: cache first, then up to 64 pages from the ring, then one slow page.
  { era: 'v5.5 page_pool_refill_alloc_cache', shape: 'cache_first', first: { slow: 70, empty: 70, hold: 70, map: 70, pageAlloc: 70 }, again: { fast: 68, refill: 2, slow: 0, empty: 0 } },
  // v5.13+ __page_pool_alloc_pages_slow: alloc_pages_bulk_array of 64, each mapped and held; alloc.slow once per call.
  { era: 'v5.13+ __page_pool_alloc_pages_slow (bulk)', shape: 'bulk', first: { slow: 2, empty: 2, hold: 128, map: 128, pageAlloc: 128 }, again: { fast: 69, refill: 1, slow: 0, empty: 0 } },
];
for (const r of ALLOC) {
  test(`page_pool allocation, ${r.era}: slow path, holds and recycled pages`, () => {
    const k = kernel();
    k.inNapi = true;
    const p = pool(k, r.shape);
    const c = k.counters;
    const pages = Array.from({ length: 70 }, () => p.alloc());
    assert.ok(pages.every((x) => x >= 0));
    assert.deepEqual(
      { slow: c['page_pool.alloc.slow'], empty: c['page_pool.alloc.empty'], hold: c['page_pool.hold_cnt'], map: c['dma.map'], pageAlloc: c['page.alloc'] },
      r.first,
    );
    for (const pfn of pages) p.put(pfn, -1, false);
    const before = { fast: c['page_pool.alloc.fast'], refill: c['page_pool.alloc.refill'], slow: c['page_pool.alloc.slow'], empty: c['page_pool.alloc.empty'] };
    for (let i = 0; i < 70; i++) assert.ok(p.alloc() >= 0);
    assert.deepEqual(
      {
        fast: c['page_pool.alloc.fast'] - before.fast,
        refill: c['page_pool.alloc.refill'] - before.refill,
        slow: c['page_pool.alloc.slow'] - before.slow,
        empty: c['page_pool.alloc.empty'] - before.empty,
      },
      r.again,
    );
  });
}

test('page_pool v4.20/v5.0 __page_pool_get_cached under XDP_DROP: direct recycling fills the cache, the empty ring sends every alloc to the slow path, the pool grows by the cache size', () => {
  const grow: Record<string, number> = {};
  for (const shape of ['ring_first', 'cache_first'] as const) {
    const k = kernel();
    k.inNapi = true;
    const p = pool(k, shape);
    const ring = Array.from({ length: 512 }, () => p.alloc());
    // 1000 polls of one frame: the frame's page is recycled direct (XDP_DROP), the descriptor refilled.
    for (let i = 0; i < 1000; i++) {
      const pfn = ring[i % 512]!;
      p.put(pfn, -1, true);
      ring[i % 512] = p.alloc();
    }
    grow[shape] = k.counters['page_pool.hold_cnt'] - 512;
  }
  assert.deepEqual(grow, { ring_first: 128, cache_first: 0 });
});

// Item 9: dirty CPU cache lines over the RX area when a buffer goes back to the device.
interface DirtyRow {
  what: string;
  branch: string;
  set?: Record<string, string>;
  xdp?: string;
  steps: string[];
  dirty: number;
}
// Three frames: on the ring_first pool the second refill strands frame 1's page in the cache (NULL from the
// drained ring), the third takes it from the cache and posts it again.
const RX_FREE = ['rx: { as: a, len: 1514 }', 'kfree_skb: a', 'rx: { as: b, len: 1514 }', 'kfree_skb: b', 'rx: { as: c, len: 1514 }', 'kfree_skb: c'];
const REDIRECT = ['rx: { as: f, len: 60 }', 'xdp_return_frame: f', 'rx: { as: g, len: 60 }', 'xdp_return_frame: g', 'rx: { as: h, len: 60 }', 'xdp_return_frame: h'];
const DIRTY: DirtyRow[] = [
  // dma_map_page_attrs with DMA_ATTR_SKIP_CPU_SYNC (v5.1 page_pool) and neither PP_FLAG_DMA_SYNC_DEV nor a driver sync:
  // every fresh page of the ring fill is posted uncleaned.
  { what: 'v5.1 DMA_ATTR_SKIP_CPU_SYNC, no PP_FLAG_DMA_SYNC_DEV, no driver sync', branch: 'dma-addr-in-page', steps: RX_FREE, dirty: 512 + 2 },
  { what: 'the same with the Oct 2019 mvneta_rx_refill dma_sync_single_for_device', branch: 'dma-addr-in-page', set: { refill_sync_for_device: 'true' }, steps: RX_FREE, dirty: 0 },
  { what: 'v5.5 PP_FLAG_DMA_SYNC_DEV (page_pool_dma_sync_for_device at map and recycle)', branch: 'dma-addr-in-page', set: { pool_sync_for_device: 'true' }, steps: RX_FREE, dirty: 0 },
  // 2018 page_pool maps without DMA_ATTR_SKIP_CPU_SYNC: fresh pages are cleaned; build_skb's shinfo lies past the RX area.
  { what: '2018 pool: dma_map_page cleans, build_skb shinfo outside the area', branch: 'mvneta_07', steps: RX_FREE, dirty: 0 },
  // rx_geometry=v4.19 puts the RX area over the whole page: build_skb's skb_shared_info is inside it.
  { what: '__build_skb_around writes skb_shared_info inside a whole-page RX area (2018 driver, no sync)', branch: 'mvneta_07', set: { rx_geometry: 'v4.19' }, steps: RX_FREE, dirty: 1 },
  { what: 'the same, PP_FLAG_DMA_SYNC_DEV syncs max_len at recycle', branch: 'mvneta_07', set: { rx_geometry: 'v4.19', pool_sync_for_device: 'true' }, steps: RX_FREE, dirty: 0 },
  // xdp_convert_buff_to_frame writes struct xdp_frame at data_hard_start: outside the RX area with headroom, inside without.
  { what: 'xdp_frame in the headroom (XDP_REDIRECT, 2018 NET_SKB_PAD headroom)', branch: 'mvneta_04', xdp: 'redirect', steps: REDIRECT, dirty: 0 },
  // With the RX area over the whole page the xdp_frame line is also the first line of the frame, which the
  // redirect target's dma_map_page (DMA_TO_DEVICE, no SKIP_CPU_SYNC) cleans before the page comes back.
  { what: 'xdp_frame inside a whole-page RX area, cleaned by the redirect target\'s dma_map_page', branch: 'mvneta_04', set: { rx_geometry: 'v4.19' }, xdp: 'redirect', steps: REDIRECT, dirty: 0 },
];
for (const r of DIRTY) {
  test(`dma-dirty-cacheline when a buffer is posted to the NIC: ${r.what} (${r.branch})`, () => {
    const out = runStepLines(r.branch, r.steps, { set: r.set, xdp: r.xdp });
    assert.equal(out.violations['dma-dirty-cacheline'] ?? 0, r.dirty);
    assert.equal(runStepLines(r.branch, r.steps, { set: { ...r.set, coherent_dma: 'true' }, xdp: r.xdp }).violations['dma-dirty-cacheline'], undefined, 'a coherent platform has nothing to clean');
  });
}

test('dma-dirty-cacheline: edsa_rcv\'s memmove (v4.20; dsa_strip_etype_header v6.1) dirties the MAC line of a recycled head; only a sync for the device cleans it', () => {
  const y = 'name: t\ntraffic:\n  - { kind: udp, dst: 226.94.1.1, rate: 100M, len: 1470 }\n';
  const m07 = runYaml(y, { branch: 'mvneta_07', duration: 20e6 });
  const recycled = m07.counters['page_pool.recycle.ring'] + m07.counters['page_pool.recycle.cached'];
  assert.ok(recycled > 0);
  // Every recycled head is posted again by the 2018 mvneta_rx_refill, which syncs nothing.
  assert.ok(kinds(m07)['dma-dirty-cacheline']! >= recycled - 64 && kinds(m07)['dma-dirty-cacheline']! <= recycled);
  assert.match(m07.violations[0]!.first.object, /cache line 1 of the RX area 64\.\.3775/);
  assert.equal(kinds(runYaml(y, { branch: 'mvneta_07', duration: 20e6, set: { dsa: 'false' } }))['dma-dirty-cacheline'], undefined, 'no switch, no memmove');
  assert.equal(kinds(runYaml(y, { branch: 'upstream-6.1', duration: 20e6 }))['dma-dirty-cacheline'], undefined, 'PP_FLAG_DMA_SYNC_DEV cleans it at recycle');
});

interface LineRow {
  what: string;
  attrs: number;
  write: [number, number];
  sync?: [number, number];
  post: [number, number];
  dirty: boolean;
}
const LINES: LineRow[] = [
  // dma_map_page_attrs (arm64 arch_sync_dma_for_device) cleans the mapped range unless DMA_ATTR_SKIP_CPU_SYNC.
  { what: 'fresh page, dma_map_page without SKIP_CPU_SYNC', attrs: 0, write: [0, 0], post: [256, 3520], dirty: false },
  { what: 'fresh page, dma_map_page with SKIP_CPU_SYNC', attrs: DMA_ATTR_SKIP_CPU_SYNC, write: [0, 0], post: [256, 3520], dirty: true },
  { what: 'fresh page, SKIP_CPU_SYNC, then dma_sync_single_range_for_device over the RX area', attrs: DMA_ATTR_SKIP_CPU_SYNC, write: [0, 0], sync: [256, 3520], post: [256, 3520], dirty: false },
  { what: 'CPU write in the headroom only', attrs: 0, write: [0, 40], post: [256, 3520], dirty: false },
  { what: 'CPU write of 12 bytes at 266 (MAC addresses)', attrs: 0, write: [266, 12], post: [256, 3520], dirty: true },
  { what: 'CPU write at 266, sync of xdpf->len from data (258) cleans its line', attrs: 0, write: [266, 12], sync: [258, 60], post: [256, 3520], dirty: false },
  { what: 'CPU write at 3776 (skb_shared_info), RX area ends at 3775', attrs: 0, write: [3776, 320], post: [256, 3520], dirty: false },
  { what: 'CPU write in the last line of the RX area, sync stops one line short', attrs: 0, write: [3770, 4], sync: [256, 3456], post: [256, 3520], dirty: true },
];
for (const r of LINES) {
  test(`DMA API cache lines (64 B): ${r.what}`, () => {
    const k = kernel();
    const pfn = k.alloc_pages(0, Owner.page, Origin.pool);
    const a = k.dma.dma_map_page(pfn, 0, 4096, DmaDir.from_device, r.attrs);
    if (r.write[1] > 0) k.dma.cpuWrite(pfn, r.write[0], r.write[1]);
    if (r.sync) k.dma.dma_sync_single_range_for_device(a, r.sync[0], r.sync[1], DmaDir.from_device);
    k.dma.postToDevice(pfn, r.post[0], r.post[1], 'mvneta_rx_desc_fill');
    assert.equal(k.findings.violationCount('dma-dirty-cacheline'), r.dirty ? 1 : 0);
  });
}

// Item 10: kernel/dma/debug.c check_sync (v4.20-v6.1) finds the mapping with bucket_find_contain / containing_match,
// so a sync that runs past the mapping's end finds none and prints "tries to sync DMA memory it has not allocated".
test('dma-debug wording: a sync past the mapping end is "tries to sync DMA memory it has not allocated"', () => {
  assert.equal(VIOLATIONS['dma-sync-out-of-range'].kernel, 'DMA-API: device driver tries to sync DMA memory it has not allocated');
  assert.equal(VIOLATIONS['dma-sync-not-mapped'].kernel, VIOLATIONS['dma-sync-out-of-range'].kernel);
  const k = kernel();
  const pfn = k.alloc_pages(0, Owner.page, Origin.pool);
  const a = k.dma.dma_map_page(pfn, 256, 1024, DmaDir.from_device, 0);
  k.dma.dma_sync_single_range_for_cpu(a, 1000, 100, DmaDir.from_device);
  assert.equal(k.findings.violationCount('dma-sync-out-of-range'), 1);
});
