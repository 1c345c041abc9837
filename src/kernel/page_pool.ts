import { DMA_ATTR_SKIP_CPU_SYNC, type DmaDirCode } from './dma.js';
import type { Kernel } from './kernel.js';
import { Origin, Owner, PAGE_SIZE } from './page.js';
import { PtrRing } from './ptr_ring.js';

/** PP_ALLOC_CACHE_SIZE / PP_ALLOC_CACHE_REFILL (include/net/page_pool.h, all eras). */
export const PP_ALLOC_CACHE_SIZE = 128;
export const PP_ALLOC_CACHE_REFILL = 64;

export interface PagePoolParams {
  poolSize: number;
  dmaDir: DmaDirCode;
  /** Where the NIC starts writing (params.offset) and how much the pool syncs (params.max_len). */
  offset: number;
  maxLen: number;
  /** PP_FLAG_DMA_SYNC_DEV. */
  syncForDevice: boolean;
  /** Map/unmap with DMA_ATTR_SKIP_CPU_SYNC. */
  skipCpuSync: boolean;
  /** Keep the DMA address in page->private (else page->dma_addr). */
  dmaInPrivate: boolean;
  /** v5.14: set page->pp_magic and page->pp at allocation. */
  setPpInfo: boolean;
  /** v5.3+: the pool waits for inflight pages at destroy. */
  inflightAccounting: boolean;
}

/**
 * struct page_pool: alloc cache, ptr_ring, slow path with DMA mapping, put/recycle/release, destroy
 * (net/core/page_pool.c; alloc/put shape of v5.5+, with the knobs selecting era behaviour).
 */
export class PagePool {
  readonly cache = new Int32Array(PP_ALLOC_CACHE_SIZE);
  cacheCount = 0;
  readonly ring: PtrRing;
  hold = 0;
  release = 0;
  destroyed = false;
  memId = 0;
  /** Pool pages that went to the page allocator by put_page without being released (still inflight). */
  lost = 0;

  constructor(
    private readonly k: Kernel,
    readonly id: number,
    readonly p: PagePoolParams,
  ) {
    // ptr_ring size: pool_size if non-zero (capped at 16384), else 1024.
    this.ring = new PtrRing(p.poolSize > 0 ? Math.min(p.poolSize, 16384) : 1024);
  }

  get inflight(): number {
    return this.hold - this.release;
  }

  /** True when the page currently belongs to this pool. */
  owns(pfn: number): boolean {
    const pg = this.k.pages;
    const i = pg.idx(pfn);
    return i >= 0 && pg.owner[i] === Owner.pool && pg.pool[i] === this.id;
  }

  /** page_pool_get_dma_addr: the address as the pool stored it (possibly truncated). */
  dmaAddr(pfn: number): number {
    const pg = this.k.pages;
    const i = pg.idx(pfn);
    return this.p.dmaInPrivate ? pg.private[i]! : pg.dmaAddr[i]!;
  }

  /** page_pool_alloc_pages: fast path, refill from the ring, or the slow path. -1 when out of memory. */
  alloc(): number {
    const c = this.k.counters;
    if (this.cacheCount > 0) {
      c['page_pool.alloc.fast']++;
      return this.checkRecycled(this.cache[--this.cacheCount]!);
    }
    const r = this.refillAllocCache();
    if (r >= 0) return r;
    return this.allocSlow();
  }

  /** page_pool_refill_alloc_cache: up to 64 pages from the ring into the cache. */
  private refillAllocCache(): number {
    const c = this.k.counters;
    if (this.ring.empty()) {
      c['page_pool.alloc.empty']++;
      return -1;
    }
    while (this.cacheCount < PP_ALLOC_CACHE_REFILL) {
      const pfn = this.ring.consume();
      if (pfn < 0) break;
      this.cache[this.cacheCount++] = pfn;
    }
    if (this.cacheCount === 0) return -1;
    c['page_pool.alloc.refill']++;
    return this.checkRecycled(this.cache[--this.cacheCount]!);
  }

  /** A page leaving cache or ring must be exclusively the pool's (pagepool-dma-semantics §8 check 2). */
  private checkRecycled(pfn: number): number {
    const pg = this.k.pages;
    if (pg.refcount[pg.idx(pfn)] !== 1) {
      this.k.violation('recycle-while-referenced', () => `${pg.describe(pfn)} refcount ${pg.refcount[pg.idx(pfn)]!} in the pool`, 'page_pool_alloc_pages', pfn);
    }
    return pfn;
  }

  /** __page_pool_alloc_pages_slow: alloc_pages, dma_map_page, store the address, hold_cnt++. */
  private allocSlow(): number {
    const k = this.k;
    const pfn = k.alloc_pages(0, Owner.pool, Origin.pool);
    if (pfn < 0) return -1;
    k.enter('__page_pool_alloc_pages_slow');
    const pg = k.pages;
    const i = pg.idx(pfn);
    pg.pool[i] = this.id;
    const a = k.dma.dma_map_page(pfn, 0, PAGE_SIZE, this.p.dmaDir, this.p.skipCpuSync ? DMA_ATTR_SKIP_CPU_SYNC : 0);
    if (this.p.dmaInPrivate) {
      // set_page_private: an unsigned long holds long_bits of the dma_addr_t.
      const stored = k.facts.long_bits === 32 ? a % 2 ** 32 : a;
      pg.private[i] = stored;
      if (stored !== a) {
        pg.reported[i] = 1;
        k.dma.noteTruncated(stored, a);
        k.violation('dma-addr-truncated', () => `${pg.describe(pfn)}: DMA address 0x${a.toString(16)} kept as 0x${stored.toString(16)} in page->private`, 'set_page_private', pfn);
      }
    } else {
      pg.dmaAddr[i] = a;
    }
    if (this.p.setPpInfo) pg.ppMagic[i] = 1;
    if (this.p.syncForDevice) k.dma.dma_sync_single_range_for_device(this.dmaAddr(pfn), this.p.offset, this.p.maxLen, this.p.dmaDir);
    this.hold++;
    k.counters['page_pool.hold_cnt']++;
    k.counters['page_pool.alloc.slow']++;
    k.leave();
    return pfn;
  }

  /**
   * page_pool_put_page(pool, page, dma_sync_size, allow_direct) (v5.7 shape; v4.18–v5.4 had no
   * sync size). Returns false when the page is not this pool's: the caller completes the free.
   */
  put(pfn: number, dmaSyncSize: number, allowDirect: boolean, headObj = -1): boolean {
    const k = this.k;
    const pg = k.pages;
    k.enter('page_pool_put_page');
    if (!this.owns(pfn)) {
      k.violation('wrong-recycle', () => (headObj >= 0 ? k.slab.describe(headObj) : pg.describe(pfn)), undefined, headObj >= 0 ? undefined : pfn);
      k.leave();
      return false;
    }
    const i = pg.idx(pfn);
    const c = k.counters;
    if (pg.refcount[i] === 1) {
      if (this.p.syncForDevice) {
        const len = dmaSyncSize < 0 ? this.p.maxLen : Math.min(dmaSyncSize, this.p.maxLen);
        k.dma.dma_sync_single_range_for_device(this.dmaAddr(pfn), this.p.offset, len, this.p.dmaDir);
      }
      if (allowDirect && !k.inNapi) {
        k.violation('direct-recycle-outside-napi', () => pg.describe(pfn), 'page_pool_recycle_direct', pfn);
        allowDirect = false;
      }
      if (this.destroyed) {
        // After page_pool_destroy the release work scrubs whatever comes back.
        this.returnPage(pfn);
        k.leave();
        return true;
      }
      if (allowDirect) {
        if (this.cacheCount < PP_ALLOC_CACHE_SIZE) {
          this.cache[this.cacheCount++] = pfn;
          c['page_pool.recycle.cached']++;
          k.leave();
          return true;
        }
        c['page_pool.recycle.cache_full']++;
      }
      if (this.ring.produce(pfn)) {
        c['page_pool.recycle.ring']++;
        k.leave();
        return true;
      }
      c['page_pool.recycle.ring_full']++;
    } else {
      c['page_pool.recycle.released_refcnt']++;
    }
    this.returnPage(pfn);
    k.leave();
    return true;
  }

  /** page_pool_return_page: release, then put_page. */
  returnPage(pfn: number): void {
    this.releasePage(pfn);
    this.k.put_page(pfn);
  }

  /** page_pool_release_page / page_pool_unmap_page: unmap, clear the pool's state, release_cnt++. */
  releasePage(pfn: number): void {
    const k = this.k;
    const pg = k.pages;
    const i = pg.idx(pfn);
    k.enter('page_pool_release_page');
    if (!this.owns(pfn)) {
      k.violation('page-double-free', () => `${pg.describe(pfn)} released from a pool that does not own it`, undefined, pfn);
      k.leave();
      return;
    }
    k.dma.dma_unmap_page(this.dmaAddr(pfn), PAGE_SIZE, this.p.dmaDir, this.p.skipCpuSync ? DMA_ATTR_SKIP_CPU_SYNC : 0);
    pg.private[i] = 0;
    pg.dmaAddr[i] = 0;
    pg.ppMagic[i] = 0;
    pg.pool[i] = 0;
    pg.owner[i] = Owner.page;
    this.release++;
    k.counters['page_pool.release_cnt']++;
    if (this.release > this.hold) k.violation('pp-negative-inflight', () => `pool ${this.id}: hold ${this.hold} release ${this.release}`);
    k.leave();
  }

  /** page_pool_destroy: empty the alloc cache and the ring; stall (v5.5+) or forget (v4.18) inflight pages. */
  destroy(): void {
    const k = this.k;
    k.enter('page_pool_destroy');
    while (this.cacheCount > 0) this.returnPage(this.cache[--this.cacheCount]!);
    for (let pfn = this.ring.consume(); pfn >= 0; pfn = this.ring.consume()) {
      if (k.pages.refcount[k.pages.idx(pfn)] !== 1) {
        k.violation('recycle-while-referenced', () => k.pages.describe(pfn), 'page_pool_empty_ring', pfn);
      }
      this.returnPage(pfn);
    }
    this.destroyed = true;
    k.leave();
  }
}
