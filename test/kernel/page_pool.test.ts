// page_pool internals (pagepool-dma-semantics.md §2.3–2.9) and the DMA API checker (§5.2–5.3),
// driven through the kernel model directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DmaDir, DMA_ATTR_SKIP_CPU_SYNC } from '../../src/kernel/dma.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { PagePool, PP_ALLOC_CACHE_SIZE, type PagePoolParams } from '../../src/kernel/page_pool.js';
import { Owner, PAGE_SIZE } from '../../src/kernel/page.js';
import { PtrRing } from '../../src/kernel/ptr_ring.js';
import { resolveConfig } from '../../src/sim/config.js';
import { BRANCHES } from '../helpers.js';

function kernel(branch = 'upstream-6.1', platform = 'espressobin'): Kernel {
  const c = resolveConfig(BRANCHES, branch, undefined, platform, undefined, []);
  return new Kernel(c.knobs, c.facts);
}

function pool(k: Kernel, over: Partial<PagePoolParams> = {}): PagePool {
  const p = new PagePool(k, k.pools.length, {
    poolSize: 512,
    dmaDir: DmaDir.from_device,
    offset: 256,
    maxLen: 3520,
    syncForDevice: false,
    skipCpuSync: true,
    dmaInPrivate: false,
    setPpInfo: true,
    inflightAccounting: true,
    releaseRetry: 'page_pool',
    dmaTracking: false,
    ...over,
  });
  k.pools.push(p);
  return p;
}

const violations = (k: Kernel): Record<string, number> => Object.fromEntries(k.findings.listViolations().map((v) => [v.kind, v.count]));

test('§2.4 alloc: empty ring → slow path (hold_cnt), recycled pages come back through refill and the fast path', () => {
  const k = kernel();
  const p = pool(k);
  const c = k.counters;
  const pages = Array.from({ length: 70 }, () => p.alloc());
  assert.equal(c['page_pool.alloc.slow'], 70);
  assert.equal(c['page_pool.alloc.empty'], 70);
  assert.equal(p.hold, 70);
  assert.equal(c['dma.map'], 70);
  for (const pfn of pages) assert.equal(p.put(pfn, -1, false), true);
  assert.equal(c['page_pool.recycle.ring'], 70);
  // The refill moves up to PP_ALLOC_CACHE_REFILL (64) pages into the cache and returns one of them.
  p.alloc();
  assert.equal(c['page_pool.alloc.refill'], 1);
  assert.equal(p.cacheCount, 63);
  for (let i = 0; i < 63; i++) p.alloc();
  assert.equal(c['page_pool.alloc.fast'], 63);
  assert.equal(c['page_pool.alloc.slow'], 70, 'no new page while recycled ones remain');
});

test('§2.5 put: refcount 1 recycles (cache only with allow_direct in NAPI), refcount > 1 releases (unmap + put_page)', () => {
  const k = kernel();
  const p = pool(k);
  const c = k.counters;
  const a = p.alloc();
  k.inNapi = true;
  p.put(a, -1, true);
  assert.equal(c['page_pool.recycle.cached'], 1);
  const b = p.alloc();
  assert.equal(b, a, 'the fast path returns the cached page');
  k.get_page(b);
  p.put(b, -1, false);
  assert.equal(c['page_pool.recycle.released_refcnt'], 1);
  assert.equal(p.release, 1);
  assert.equal(k.pages.owner[k.pages.idx(b)], Owner.page, 'the page left the pool');
  assert.equal(k.dma.isMapped(b), false);
  k.put_page(b);
  assert.equal(c['page.free'], 1);
  assert.deepEqual(violations(k), {});
});

test('§2.3 the alloc cache holds 128: a full cache falls back to the ring (cache_full)', () => {
  const k = kernel();
  const p = pool(k);
  k.inNapi = true;
  const pages = Array.from({ length: PP_ALLOC_CACHE_SIZE + 1 }, () => p.alloc());
  for (const pfn of pages) p.put(pfn, -1, true);
  assert.equal(k.counters['page_pool.recycle.cached'], PP_ALLOC_CACHE_SIZE);
  assert.equal(k.counters['page_pool.recycle.cache_full'], 1);
  assert.equal(k.counters['page_pool.recycle.ring'], 1);
});

test('§2.3 ptr_ring: a produce fails while the slot is occupied, even after a consume, until the batch is zeroed', () => {
  const r = new PtrRing(64);
  for (let i = 0; i < 64; i++) assert.equal(r.produce(i), true);
  assert.equal(r.produce(99), false);
  assert.equal(r.consume(), 0);
  assert.equal(r.produce(99), false, 'slot 0 is cleared only with its batch (r->batch = 16)');
  for (let i = 1; i < 16; i++) r.consume();
  assert.equal(r.produce(99), true);
});

test('§2.5 a ring that is full sends the page back to the allocator (ring_full)', () => {
  const k = kernel();
  const p = pool(k, { poolSize: 16 });
  const pages = Array.from({ length: 17 }, () => p.alloc());
  for (const pfn of pages) p.put(pfn, -1, false);
  assert.equal(k.counters['page_pool.recycle.ring'], 16);
  assert.equal(k.counters['page_pool.recycle.ring_full'], 1);
  assert.equal(k.counters['page.free'], 1);
});

test('§8.3 allow_direct outside NAPI is a data race on the cache: reported, and the page goes to the ring', () => {
  const k = kernel();
  const p = pool(k);
  const a = p.alloc();
  k.inNapi = false;
  p.put(a, -1, true);
  assert.deepEqual(violations(k), { 'direct-recycle-outside-napi': 1 });
  assert.equal(k.counters['page_pool.recycle.ring'], 1);
});

test('§2.7 PP_FLAG_DMA_SYNC_DEV: max_len at map time, min(dma_sync_size, max_len) at recycle', () => {
  const k = kernel();
  const p = pool(k, { syncForDevice: true });
  const a = p.alloc();
  assert.equal(k.counters['dma.sync_for_device_bytes'], 3520);
  p.put(a, 1000, false);
  assert.equal(k.counters['dma.sync_for_device_bytes'], 3520 + 1000);
  p.put(p.alloc(), -1, false);
  assert.equal(k.counters['dma.sync_for_device_bytes'], 3520 + 1000 + 3520);
});

test('§2.9 destroy empties cache and ring; inflight pages stay counted (pool-inflight is judged by the caller)', () => {
  const k = kernel();
  const p = pool(k);
  const a = p.alloc();
  const b = p.alloc();
  p.put(a, -1, false);
  p.destroy();
  assert.equal(p.inflight, 1);
  assert.equal(k.dma.isMapped(a), false);
  assert.equal(k.dma.isMapped(b), true);
  // A late return after destroy goes to the ptr_ring; the next release retry (1 s later) scrubs it and frees the pool.
  p.put(b, -1, false);
  assert.equal(p.ring.count, 1);
  assert.equal(p.nextRetryNs, 1e9);
  p.releaseRetry();
  assert.equal(p.inflight, 0);
  assert.equal(p.freed, true);
  assert.equal(k.counters['page.free'], 2);
});

test('§8.1 releasing a page twice: the second release is a double free and inflight never goes negative silently', () => {
  const k = kernel();
  const p = pool(k);
  const a = p.alloc();
  p.releasePage(a);
  p.releasePage(a);
  assert.deepEqual(violations(k), { 'page-double-free': 1 });
  assert.equal(p.inflight, 0);
});

test('§5.3 dma-debug: double unmap, sync of an unmapped address, sync beyond the mapping, direction mismatch', () => {
  const k = kernel();
  const pfn = k.alloc_pages(0, Owner.page, 0);
  const a = k.dma.dma_map_page(pfn, 0, PAGE_SIZE, DmaDir.from_device, 0);
  k.dma.dma_sync_single_range_for_cpu(a, 0, 1500, DmaDir.from_device);
  k.dma.dma_sync_single_range_for_cpu(a, 4000, 200, DmaDir.from_device);
  k.dma.dma_sync_single_range_for_device(a, 0, 64, DmaDir.bidirectional);
  k.dma.dma_unmap_page(a, PAGE_SIZE, DmaDir.from_device, 0);
  k.dma.dma_unmap_page(a, PAGE_SIZE, DmaDir.from_device, 0);
  k.dma.dma_sync_single_range_for_cpu(a, 0, 64, DmaDir.from_device);
  assert.deepEqual(violations(k), {
    'dma-dir-mismatch': 1,
    'dma-sync-not-mapped': 1,
    'dma-sync-out-of-range': 1,
    'dma-unmap-not-mapped': 1,
  });
  const bidi = k.dma.dma_map_page(pfn, 0, PAGE_SIZE, DmaDir.bidirectional, 0);
  k.dma.dma_sync_single_range_for_device(bidi, 0, 64, DmaDir.to_device);
  assert.equal(violations(k)['dma-dir-mismatch'], 1, 'a BIDIRECTIONAL mapping syncs in any direction');
});

test('§5.2 ownership: reading device-written bytes before sync_for_cpu is flagged on a non-coherent board, not after', () => {
  for (const coherent of [false, true]) {
    const c = resolveConfig(BRANCHES, 'upstream-6.1', undefined, 'espressobin', undefined, []);
    const k = new Kernel(c.knobs, { ...c.facts, coherent_dma: coherent });
    const pfn = k.alloc_pages(0, Owner.page, 0);
    const a = k.dma.dma_map_page(pfn, 0, PAGE_SIZE, DmaDir.from_device, DMA_ATTR_SKIP_CPU_SYNC);
    k.dma.deviceWrite(pfn, 256, 1520);
    k.dma.cpuRead(pfn, 0, 256, 'headroom');
    assert.equal(violations(k)['cpu-access-device-owned'], undefined, 'headroom is not what the device wrote');
    k.dma.cpuRead(pfn, 258, 14, 'eth_type_trans');
    assert.equal(violations(k)['cpu-access-device-owned'], coherent ? undefined : 1);
    k.dma.deviceWrite(pfn, 256, 1520);
    k.dma.dma_sync_single_range_for_cpu(a, 256, 1520, DmaDir.from_device);
    k.dma.cpuRead(pfn, 258, 1500, 'read');
    assert.equal(violations(k)['cpu-access-device-owned'], coherent ? undefined : 1, 'after the sync the read is fine');
  }
});

test('§8.5 a mapped page reaching the page allocator is freed-while-mapped, and its mapping is not a leak afterwards', () => {
  const k = kernel();
  const pfn = k.alloc_pages(0, Owner.page, 0);
  k.dma.dma_map_page(pfn, 0, PAGE_SIZE, DmaDir.from_device, 0);
  k.put_page(pfn);
  assert.deepEqual(violations(k), { 'freed-while-mapped': 1 });
  assert.deepEqual(k.dma.mappedPages(), []);
  k.put_page(pfn);
  assert.equal(violations(k)['page-double-free'], 1);
});

test('§4.1 arm32-lpae: a pool keeping the DMA address in page->private truncates it once per page; page->dma_addr does not', () => {
  const k = kernel('mvneta_07', 'arm32-lpae');
  const p = pool(k, { dmaInPrivate: true, setPpInfo: false, inflightAccounting: false });
  const a = p.alloc();
  assert.ok(a * PAGE_SIZE >= 2 ** 32, 'LPAE hands out pages above 4 GiB first');
  p.put(a, -1, false);
  p.releasePage(p.alloc());
  assert.deepEqual(violations(k), { 'dma-addr-truncated': 1 }, 'the unmap through the truncated address is a consequence, not reported again');
  const k2 = kernel('dma-addr-in-page', 'arm32-lpae');
  const p2 = pool(k2, { dmaInPrivate: false });
  p2.releasePage(p2.alloc());
  assert.deepEqual(violations(k2), {});
});
