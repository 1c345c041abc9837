import { DMA_ATTR_SKIP_CPU_SYNC, type DmaDirCode } from './dma.js';
import type { Kernel } from './kernel.js';
import { Origin, Owner, PAGE_SIZE, Place } from './page.js';
import { PtrRing } from './ptr_ring.js';
import { WIDE_ZERO } from './typed.js';

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
  /** Allocation shape of the era (pool_alloc knob); cache_first when absent. */
  allocShape?: PoolAllocShape;
  /** How the wait is done and warned about (knob pool_release_retry; n/a without accounting). */
  releaseRetry: 'xdp_mem' | 'page_pool' | 'page_pool_id' | 'page_pool_id_netlink' | 'n/a';
  /** v6.15: the pool unmaps every page it mapped at destroy (knob pool_dma_tracking). */
  dmaTracking: boolean;
}

export type PoolAllocShape = 'ring_first' | 'cache_first' | 'bulk';

/** DEFER_TIME: the release work runs every second (v5.3 xdp.c, v5.5+ page_pool.c). */
export const DEFER_TIME_NS = 1_000_000_000;
/** DEFER_WARN_INTERVAL: 30 s in v5.3's mem_id_disconnect_defer_retry, 60 s in page_pool_release_retry (v5.5+). */
export const DEFER_WARN_INTERVAL_NS = { xdp_mem: 30_000_000_000, page_pool: 60_000_000_000 } as const;
/** DEFER_MAX_RETRIES (v5.3 xdp.c): forced disconnect once disconnect_cnt exceeds it. */
export const DEFER_MAX_RETRIES = 120;

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
  /** page_pool_free ran: the struct is gone (at destroy in 2018, when inflight reached 0, or forced in v5.3). */
  freed = false;
  /** The v5.3 release gave up and freed the pool with pages still out (__mem_id_disconnect force). */
  forced = false;
  /** pool->user.detach_time: when destroy found pages in flight (ns), -Infinity if never (a double from the start). */
  detachNs = -Infinity;
  /** Release work: next run (Infinity when none is pending), runs so far, defer_start, defer_warn. */
  nextRetryNs = Infinity;
  retries = 0;
  private deferStartNs = WIDE_ZERO;
  private deferWarnNs = WIDE_ZERO;
  private disconnectCnt = 0;
  /** page_pool_unreg_netdev ran (netdev = NET_PTR_POISON): a netlink-visible pool's warning is no longer muted. */
  netdevGone = false;
  /** v6.15: every page the pool mapped was unmapped at destroy; later returns skip the unmap. */
  private unmappedAll = false;
  /** A put syncs the page for the device (PP_FLAG_DMA_SYNC_DEV) until v6.15's page_pool_scrub turns dma_sync off. */
  private syncs: boolean;
  /** Params read per packet, decoded once. */
  private readonly syncOffset: number;
  private readonly syncMax: number;
  private readonly dir: DmaDirCode;
  private readonly ringFirst: boolean;
  /** Where page_pool_get_dma_addr reads: page->private or page->dma_addr. */
  private readonly addrs: Float64Array;

  constructor(
    private readonly k: Kernel,
    readonly id: number,
    readonly p: PagePoolParams,
  ) {
    // ptr_ring size: pool_size if non-zero (capped at 16384), else 1024.
    this.ring = new PtrRing(p.poolSize > 0 ? Math.min(p.poolSize, 16384) : 1024);
    this.syncs = p.syncForDevice;
    this.syncOffset = p.offset;
    this.syncMax = p.maxLen;
    this.dir = p.dmaDir;
    this.ringFirst = p.allocShape === 'ring_first';
    this.addrs = p.dmaInPrivate ? k.pages.private : k.pages.dmaAddr;
  }

  get inflight(): number {
    return this.hold - this.release;
  }

  /**
   * page_pool_alloc_pages' fast path (v5.1+ __page_pool_get_cached: a page from the alloc cache), or -1
   * when alloc() would take another one. The caller counts it: page_pool.alloc.fast, countFast for a run.
   */
  allocCached(): number {
    if (this.ringFirst || this.cacheCount === 0) return -1;
    return this.checkRecycled(this.cache[--this.cacheCount]!);
  }

  /** page_pool.alloc.fast of `n` allocCached pages. */
  countFast(n: number): void {
    this.k.counters['page_pool.alloc.fast'] += n;
  }

  /** True when the page currently belongs to this pool. */
  owns(pfn: number): boolean {
    const pg = this.k.pages;
    const i = pfn - pg.base;
    return i >= 0 && i < pg.count && pg.owner[i] === Owner.pool && pg.pool[i] === this.id;
  }

  /** page_pool_get_dma_addr: the address as the pool stored it (possibly truncated). */
  dmaAddr(pfn: number): number {
    // small enough for V8 to inline at every call site: a returned double is then never boxed
    return this.addrs[pfn - this.k.pages.base]!;
  }

  /** page_pool_alloc_pages: fast path, refill from the ring, or the slow path. -1 when out of memory. */
  alloc(): number {
    const fast = this.allocCached();
    if (fast >= 0) {
      this.countFast(1);
      return fast;
    }
    if (this.ringFirst) {
      const r = this.getCachedRingFirst();
      return r >= 0 ? r : this.allocSlow();
    }
    const r = this.refillAllocCache();
    if (r >= 0) return r;
    return this.p.allocShape === 'bulk' ? this.allocSlowBulk() : this.allocSlow();
  }

  /**
   * __page_pool_get_cached (v4.18-v5.0): an empty ring sends the caller to the slow path before the
   * cache is looked at; in softirq the refill loop returns NULL when the ring runs dry before 64 pages.
   */
  private getCachedRingFirst(): number {
    const c = this.k.counters;
    if (this.ring.empty()) {
      c['page_pool.alloc.empty']++;
      return -1;
    }
    if (!this.k.inNapi) {
      c['page_pool.alloc.refill']++;
      return this.checkRecycled(this.ring.consume());
    }
    if (this.cacheCount > 0) {
      c['page_pool.alloc.fast']++;
      return this.checkRecycled(this.cache[--this.cacheCount]!);
    }
    let pfn = this.ring.consume();
    while (pfn >= 0 && this.cacheCount < PP_ALLOC_CACHE_REFILL) {
      this.cache[this.cacheCount++] = pfn;
      pfn = this.ring.consume();
    }
    if (pfn < 0) {
      c['page_pool.alloc.empty']++;
      return -1;
    }
    c['page_pool.alloc.refill']++;
    return this.checkRecycled(pfn);
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
      this.k.hold(pfn, Place.poolCache);
      this.cache[this.cacheCount++] = pfn;
    }
    if (this.cacheCount === 0) return -1;
    c['page_pool.alloc.refill']++;
    return this.checkRecycled(this.cache[--this.cacheCount]!);
  }

  /** A page leaving cache or ring must be exclusively the pool's (pagepool-dma-semantics §8 check 2). */
  private checkRecycled(pfn: number): number {
    const pg = this.k.pages;
    if (pg.refcount[pfn - pg.base] !== 1) this.referencedInPool(pfn);
    return pfn;
  }

  private referencedInPool(pfn: number): void {
    const pg = this.k.pages;
    this.k.violation('recycle-while-referenced', () => `${pg.describe(pfn)} refcount ${pg.refcount[pg.idx(pfn)]!} in the pool`, 'page_pool_alloc_pages', pfn);
  }

  /** __page_pool_alloc_pages_slow (v4.18-v5.12): one page, mapped and held. */
  private allocSlow(): number {
    const k = this.k;
    const pfn = k.alloc_pages(0, Owner.pool, Origin.pool);
    if (pfn < 0) return -1;
    k.enter('__page_pool_alloc_pages_slow');
    this.mapNew(pfn);
    k.counters['page_pool.alloc.slow']++;
    k.leave();
    return pfn;
  }

  /** __page_pool_alloc_pages_slow (v5.13+): alloc_pages_bulk_array of 64 pages, each mapped and held; alloc.slow once. */
  private allocSlowBulk(): number {
    const k = this.k;
    k.enter('__page_pool_alloc_pages_slow');
    while (this.cacheCount < PP_ALLOC_CACHE_REFILL) {
      const pfn = k.alloc_pages(0, Owner.pool, Origin.pool);
      if (pfn < 0) break;
      this.mapNew(pfn);
      k.hold(pfn, Place.poolCache);
      this.cache[this.cacheCount++] = pfn;
    }
    if (this.cacheCount === 0) {
      k.leave();
      return -1;
    }
    k.counters['page_pool.alloc.slow']++;
    k.leave();
    return this.cache[--this.cacheCount]!;
  }

  /** page_pool_dma_map + page_pool_set_pp_info: map, store the address, sync max_len (SYNC_DEV), hold_cnt++. */
  private mapNew(pfn: number): void {
    const k = this.k;
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
    if (this.p.setPpInfo) {
      // page_pool_set_pp_info: pp_magic, pp, and (v6.7+) pp_ref_count = 1.
      pg.ppMagic[i] = 1;
      pg.ppRefCount[i] = 1;
    }
    if (this.p.syncForDevice) k.dma.dma_sync_single_range_for_device(this.dmaAddr(pfn), this.p.offset, this.p.maxLen, this.p.dmaDir);
    this.hold++;
    k.counters['page_pool.hold_cnt']++;
  }

  /**
   * page_pool_napi_local (v6.10; the same test inside napi_pp_put_page from v6.5): in softirq on the
   * CPU that runs the pool's NAPI. mvneta makes no per-CPU pool (cpuid -1), so only p.napi can hold.
   */
  napiLocal(): boolean {
    return this.k.knobs.pool_napi === 'rx' && this.k.inNapi;
  }

  /**
   * page_pool_put_page(pool, page, dma_sync_size, allow_direct) (v5.7 shape; v4.18–v5.4 had no
   * sync size; v6.10+ page_pool_put_unrefed_netmem, which upgrades allow_direct when napi-local).
   * Returns false when the page is not this pool's: the caller completes the free.
   */
  put(pfn: number, dmaSyncSize: number, allowDirect: boolean, headObj = -1): boolean {
    const k = this.k;
    const pg = k.pages;
    const any = k.knobs.direct_recycle === 'napi_any';
    k.enter(any ? 'page_pool_put_unrefed_netmem' : 'page_pool_put_page');
    const i = pfn - pg.base;
    const owned = i >= 0 && i < pg.count && pg.owner[i] === Owner.pool && pg.pool[i] === this.id;
    if (this.freed && owned) return this.putFreed(pfn);
    if (any && !allowDirect) allowDirect = this.napiLocal();
    if (!owned) return this.putForeign(pfn, headObj);
    if (pg.refcount[i] !== 1) {
      k.counters['page_pool.recycle.released_refcnt']++;
      return this.putReturn(pfn);
    }
    // v6.15 page_pool_scrub turns dma_sync off before it unmaps everything (syncs).
    if (this.syncs) this.syncForDevice(i, dmaSyncSize);
    if (allowDirect && !k.inNapi) allowDirect = this.directOutsideNapi(pfn);
    // After page_pool_destroy NAPI is gone: a page comes back through the ring and the next retry scrubs it.
    const direct = allowDirect && !this.destroyed;
    if (direct && this.cacheCount < PP_ALLOC_CACHE_SIZE) {
      this.toCache(pfn);
      k.counters['page_pool.recycle.cached']++;
      k.leave();
      return true;
    }
    return this.putRing(pfn, direct);
  }

  /** page_pool_recycle_in_cache; the caller counts it (page_pool.recycle.cached). */
  private toCache(pfn: number): void {
    this.cache[this.cacheCount++] = pfn;
    this.k.hold(pfn, Place.poolCache);
  }

  /** How many pages page_pool_put_page(…, true) can take into the alloc cache now: none outside NAPI or once destroyed. */
  directRoom(): number {
    return this.freed || this.destroyed || !this.k.inNapi ? 0 : PP_ALLOC_CACHE_SIZE - this.cacheCount;
  }

  /**
   * Whether put(pfn, dmaSyncSize, true) would take page index i into the alloc cache and report
   * nothing while directRoom() > 0. The caller's sync for the CPU has just passed the page's own
   * mapping at `dma`, so the device sync is checked against that mapping. Nothing changes.
   */
  directRecyclable(i: number, dma: number, dmaSyncSize: number): boolean {
    const pg = this.k.pages;
    if (pg.owner[i] !== Owner.pool || pg.pool[i] !== this.id || pg.refcount[i] !== 1) return false;
    return !this.syncs || (this.addrs[i] === dma && this.k.dma.headPasses(i, this.syncOffset, this.syncLen(dmaSyncSize), this.dir));
  }

  /**
   * page_pool_put_page(…, true) of a page directRecyclable passed: the device sync and
   * page_pool_recycle_in_cache. Returns the bytes synced for the device (0: the pool does not sync);
   * countDirect counts a run of them.
   */
  recycleDirect(i: number, dma: number, dmaSyncSize: number): number {
    const pfn = this.k.pages.base + i;
    this.toCache(pfn);
    if (!this.syncs) return 0;
    const len = this.syncLen(dmaSyncSize);
    this.k.dma.deviceSynced(i, dma - pfn * PAGE_SIZE + this.syncOffset, len);
    return len;
  }

  /** The counters of `n` recycleDirect calls that synced `syncBytes` for the device in all (the pool's syncs cannot change between them). */
  countDirect(n: number, syncBytes: number): void {
    this.k.counters['page_pool.recycle.cached'] += n;
    if (this.syncs) this.k.dma.countForDevice(n, syncBytes);
  }

  /** page_pool_dma_sync_for_device's length: min(dma_sync_size, max_len). */
  private syncLen(dmaSyncSize: number): number {
    const max = this.syncMax;
    return dmaSyncSize < 0 || dmaSyncSize > max ? max : dmaSyncSize;
  }

  /** page_pool_dma_sync_for_device: min(dma_sync_size, max_len) bytes from params.offset of page index i. */
  private syncForDevice(i: number, dmaSyncSize: number): void {
    const pfn = this.k.pages.base + i;
    this.k.dma.syncForDeviceOnPage(pfn, this.dmaAddr(pfn), this.syncOffset, this.syncLen(dmaSyncSize), this.dir);
  }

  /** put on a pool a forced disconnect freed: use-after-free through page->pp, the page is freed. */
  private putFreed(pfn: number): boolean {
    const k = this.k;
    k.violation('use-after-free', () => `page_pool #${this.id} (freed by a forced disconnect) reached through page->pp of ${k.pages.describe(pfn)}`);
    k.put_page(pfn);
    k.leave();
    return true;
  }

  /** put of a page this pool does not own: wrong-recycle, the caller completes the free. */
  private putForeign(pfn: number, headObj: number): boolean {
    const k = this.k;
    k.violation('wrong-recycle', () => (headObj >= 0 ? k.slab.describe(headObj) : k.pages.describe(pfn)), undefined, headObj >= 0 ? undefined : pfn);
    k.leave();
    return false;
  }

  /** page_pool_recycle_direct outside NAPI: flagged, and the page goes the non-direct way. */
  private directOutsideNapi(pfn: number): boolean {
    const k = this.k;
    k.violation('direct-recycle-outside-napi', () => k.pages.describe(pfn), 'page_pool_recycle_direct', pfn);
    return false;
  }

  /** page_pool_recycle_in_ring, or page_pool_return_page when the ring is full (after a full cache when direct). */
  private putRing(pfn: number, direct: boolean): boolean {
    const k = this.k;
    const c = k.counters;
    if (direct) c['page_pool.recycle.cache_full']++;
    if (this.ring.produce(pfn)) {
      k.hold(pfn, Place.ptrRing);
      c['page_pool.recycle.ring']++;
      k.leave();
      return true;
    }
    c['page_pool.recycle.ring_full']++;
    return this.putReturn(pfn);
  }

  /** The page leaves the pool (page_pool_return_page). */
  private putReturn(pfn: number): boolean {
    this.returnPage(pfn);
    this.k.leave();
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
    if (!this.unmappedAll) k.dma.dma_unmap_page(this.dmaAddr(pfn), PAGE_SIZE, this.p.dmaDir, this.p.skipCpuSync ? DMA_ATTR_SKIP_CPU_SYNC : 0);
    pg.private[i] = 0;
    pg.dmaAddr[i] = 0;
    pg.ppMagic[i] = 0;
    pg.ppRefCount[i] = 0;
    pg.pool[i] = 0;
    pg.owner[i] = Owner.page;
    pg.holder[i] = 0;
    this.release++;
    k.counters['page_pool.release_cnt']++;
    if (this.release > this.hold) k.violation('pp-negative-inflight', () => `pool ${this.id}: hold ${this.hold} release ${this.release}`);
    k.leave();
  }

  /** page_pool_empty_alloc_cache_once + page_pool_empty_ring: pages the pool holds go back to the page allocator. */
  private scrub(): void {
    const k = this.k;
    k.enter('page_pool_scrub');
    while (this.cacheCount > 0) this.returnPage(this.cache[--this.cacheCount]!);
    for (let pfn = this.ring.consume(); pfn >= 0; pfn = this.ring.consume()) {
      if (k.pages.refcount[k.pages.idx(pfn)] !== 1) {
        k.violation('recycle-while-referenced', () => k.pages.describe(pfn), 'page_pool_empty_ring', pfn);
      }
      this.returnPage(pfn);
    }
    k.leave();
  }

  /** page_pool_free (and the mem id's disconnect): the struct goes away. */
  private free(): void {
    this.freed = true;
    this.nextRetryNs = Infinity;
    this.k.xdpMem.unregister(this.memId);
  }

  /** v6.15 page_pool_scrub on the first destroy: every page still mapped by the pool is unmapped now (ee62ce7a1d90). */
  private unmapInflight(): void {
    const k = this.k;
    const pg = k.pages;
    k.enter('page_pool_scrub');
    for (let i = 0; i < pg.count; i++) {
      if (pg.owner[i] !== Owner.pool || pg.pool[i] !== this.id) continue;
      k.dma.dma_unmap_page(this.dmaAddr(pg.base + i), PAGE_SIZE, this.p.dmaDir, this.p.skipCpuSync ? DMA_ATTR_SKIP_CPU_SYNC : 0);
    }
    this.unmappedAll = true;
    this.syncs = false;
    k.leave();
  }

  /**
   * page_pool_destroy. v4.18: empty cache and ring and free the pool at once; pages still out are
   * forgotten. v5.3+: scrub, and with pages in flight keep the pool and retry every second
   * (v5.3 __mem_id_disconnect via xdp_rxq_info_unreg_mem_model, v5.5+ page_pool_release).
   */
  destroy(): void {
    const k = this.k;
    if (this.destroyed) return;
    k.enter('page_pool_destroy');
    this.destroyed = true;
    if (!this.p.inflightAccounting) {
      this.scrub();
      this.free();
      k.leave();
      return;
    }
    if (this.p.dmaTracking) this.unmapInflight();
    this.scrub();
    if (this.p.releaseRetry === 'xdp_mem') this.disconnectCnt = 1;
    if (this.inflight === 0) {
      this.free();
    } else {
      this.detachNs = k.now;
      this.deferStartNs = k.now;
      this.deferWarnNs = k.now + DEFER_WARN_INTERVAL_NS[this.p.releaseRetry === 'xdp_mem' ? 'xdp_mem' : 'page_pool'];
      this.nextRetryNs = k.now + DEFER_TIME_NS;
    }
    k.leave();
  }

  /**
   * The deferred release work at nextRetryNs: v5.3 mem_id_disconnect_defer_retry (warn every 30 s,
   * force after DEFER_MAX_RETRIES), v5.5+ page_pool_release_retry (warn every 60 s, never force;
   * v6.8+ names the pool id and is muted for a pool whose netdev is still registered).
   */
  releaseRetry(): void {
    const k = this.k;
    if (this.freed || this.nextRetryNs === Infinity) return;
    k.now = Math.max(k.now, this.nextRetryNs);
    this.retries++;
    const mode = this.p.releaseRetry;
    k.enter(mode === 'xdp_mem' ? 'mem_id_disconnect_defer_retry' : 'page_pool_release_retry');
    const force = mode === 'xdp_mem' && this.disconnectCnt > DEFER_MAX_RETRIES;
    if (mode === 'xdp_mem') this.disconnectCnt++;
    this.scrub();
    const inflight = this.inflight;
    const sec = Math.trunc((k.now - this.deferStartNs) / 1e9);
    if (inflight === 0 || force) {
      this.forced = inflight > 0;
      this.free();
    } else {
      if (k.now >= this.deferWarnNs && !(mode === 'page_pool_id_netlink' && !this.netdevGone)) {
        if (mode === 'xdp_mem') k.printk(`mem_id_disconnect_defer_retry() stalled mem.id=${this.memId} shutdown ${this.disconnectCnt} attempts ${sec} sec`);
        else if (mode === 'page_pool') k.printk(`page_pool_release_retry() stalled pool shutdown ${inflight} inflight ${sec} sec`);
        else k.printk(`page_pool_release_retry() stalled pool shutdown: id ${this.id}, ${inflight} inflight ${sec} sec`);
        this.deferWarnNs = k.now + DEFER_WARN_INTERVAL_NS[mode === 'xdp_mem' ? 'xdp_mem' : 'page_pool'];
      }
      this.nextRetryNs = k.now + DEFER_TIME_NS;
    }
    k.leave();
  }
}
