/** Counter, violation and leak names of contract §4.1–4.3. */

export const COUNTER_NAMES = [
  'rx.frames', 'rx.bytes', 'rx.descriptors', 'rx.drops', 'rx.copybreak',
  'xdp.pass', 'xdp.drop', 'xdp.tx', 'xdp.redirect', 'xdp.aborted',
  'page_pool.alloc.fast', 'page_pool.alloc.slow', 'page_pool.alloc.slow_high_order', 'page_pool.alloc.empty',
  'page_pool.alloc.refill', 'page_pool.alloc.waive',
  'page_pool.recycle.cached', 'page_pool.recycle.cache_full', 'page_pool.recycle.ring', 'page_pool.recycle.ring_full',
  'page_pool.recycle.released_refcnt',
  'page_pool.skb_return.napi', 'page_pool.skb_return.softirq', 'page_pool.skb_return.process',
  'page_pool.hold_cnt', 'page_pool.release_cnt', 'page_pool.inflight',
  'dma.map', 'dma.unmap', 'dma.sync_for_cpu', 'dma.sync_for_device', 'dma.sync_for_device_bytes', 'dma.mapped',
  'page.alloc', 'page.free', 'slab.alloc', 'slab.free',
  'skb.alloc', 'skb.build', 'skb.free', 'skb.clone', 'skb.copy', 'skb.pskb_copy', 'skb.expand_head', 'skb.unshare',
  'skb.coalesce', 'skb.coalesce_copied', 'skb.coalesce_stolen_head', 'skb.coalesce_frag_list', 'skb.coalesce_refused',
  'skb.gro_merged', 'skb.gro_stolen_head', 'skb.gro_frag_list', 'skb.splice_pages', 'skb.zerocopy_pages', 'skb.segment',
  'udp.InDatagrams', 'udp.RcvbufErrors',
  'tcp.InSegs', 'tcp.TCPRcvCoalesce', 'tcp.TCPBacklogCoalesce', 'tcp.TCPOFOQueue',
  'app.bytes_read', 'app.datagrams_read', 'app.corrupt_reads',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

/**
 * Where a free runs: napi (softirq on the CPU whose NAPI poll is running: in_softirq() and
 * napi->list_owner == smp_processor_id()), softirq (softirq on another CPU), process (process context).
 */
export const EXEC_CTXS = ['napi', 'softirq', 'process'] as const;
export type ExecCtx = (typeof EXEC_CTXS)[number];

export interface KindInfo {
  meaning: string;
  /** What the kernel itself would print, or that it stays silent. */
  kernel: string;
}

export const VIOLATIONS = {
  'wrong-recycle': {
    meaning: 'memory that did not come from this page_pool (kmalloc head, page_frag page, other pool) was handed to the pool',
    kernel: 'no kernel warning in 2018 (the pool adopts the memory); v5.14+ rejects it by pp_magic',
  },
  'recycle-while-referenced': {
    meaning: 'a page went into the pool cache/ring while something else still references it',
    kernel: 'page_pool_empty_ring() page_pool refcnt %d violation',
  },
  'data-corruption': {
    meaning: 'the NIC wrote a new frame into memory that an earlier skb, pipe or VMA still reads',
    kernel: 'no kernel warning (silent corruption)',
  },
  'freed-while-mapped': {
    meaning: 'a page reached the page allocator while still DMA-mapped',
    kernel: 'no kernel warning at the time; dma-debug reports it only at unbind',
  },
  'dma-unmap-not-mapped': {
    meaning: 'unmap of an address that is not mapped (double unmap)',
    kernel: 'DMA-API: device driver tries to free DMA memory it has not allocated',
  },
  'dma-sync-not-mapped': {
    meaning: 'sync of a range that is not mapped',
    kernel: 'DMA-API: device driver tries to sync DMA memory it has not allocated',
  },
  'dma-sync-out-of-range': {
    meaning: 'sync beyond the mapping',
    kernel: 'DMA-API: device driver tries to sync DMA memory it has not allocated',
  },
  'dma-dir-mismatch': {
    meaning: 'sync/unmap direction differs from the map (e.g. XDP_TX on a FROM_DEVICE mapping)',
    kernel: 'DMA-API: device driver syncs DMA memory with different direction',
  },
  'dma-dirty-cacheline': {
    meaning: 'a buffer went back to the device with CPU-dirty cache lines over the area the NIC will write, not synced for the device',
    kernel: 'no kernel warning (dma-debug does not track cache lines); a later write-back of those lines silently overwrites received data',
  },
  'cpu-access-device-owned': {
    meaning: 'the CPU read a buffer the device owns (no sync-for-cpu on a non-coherent platform)',
    kernel: 'DMA-API: cpu touching an active dma mapped cacheline',
  },
  'dma-addr-truncated': {
    meaning: 'the stored DMA address lost bits (64-bit DMA in 32-bit page->private)',
    kernel: 'no kernel warning (the wrong address is used later)',
  },
  'pp-page-as-frag': {
    meaning: "a page still holding page_pool DMA state became an skb frag where the branch's design allows only heads",
    kernel: 'no kernel warning (design rule of the 2018 notes)',
  },
  'direct-recycle-outside-napi': {
    meaning: 'the lockless alloc cache was used outside the owning NAPI context',
    kernel: 'no kernel warning (data race)',
  },
  'page-double-free': {
    meaning: 'a page refcount went below zero or a free page was freed again',
    kernel: 'BUG: Bad page state',
  },
  'use-after-free': {
    meaning: 'memory was touched after it went back to its allocator',
    kernel: 'KASAN: use-after-free',
  },
  'pp-negative-inflight': {
    meaning: 'page_pool released more pages than it handed out',
    kernel: 'Negative(%d) inflight packet-pages',
  },
  'unmap-after-unbind': {
    meaning: 'a page came back to its pool after the driver was unbound and was unmapped (or synced) through the device that is gone',
    kernel: 'Unable to handle kernel paging request at virtual address ...; pc : iommu_get_dma_domain ... iommu_dma_unmap_page ... page_pool_return_page (with an IOMMU; without one the cache maintenance hits memory the device no longer owns, silently)',
  },
  'skb-use-after-free': {
    meaning: 'a step used an sk_buff after it was freed (or consumed by coalesce, GRO or skb_unshare)',
    kernel: "BUG: KASAN: slab-use-after-free in the step's function (KASAN kernels only; otherwise silent corruption)",
  },
  'skb-double-free': {
    meaning: 'a step freed an sk_buff that was already freed',
    kernel: 'BUG: KASAN: double-free in kfree_skbmem (KASAN reports the read of skb->users first as slab-use-after-free in kfree_skb)',
  },
} as const satisfies Record<string, KindInfo>;
export type ViolationKind = keyof typeof VIOLATIONS;
export const VIOLATION_KINDS = Object.keys(VIOLATIONS).sort() as ViolationKind[];

export const LEAKS = {
  'pool-inflight': {
    meaning: 'page_pool still has pages out when destroyed',
    kernel: 'page_pool_release_retry() stalled pool shutdown %d inflight %d sec',
  },
  'dma-mapping': {
    meaning: 'DMA mappings left for the device',
    kernel: 'DMA-API: device driver has pending DMA allocations while released from device',
  },
  page: {
    meaning: 'pages allocated and never freed nor owned by anything live',
    kernel: 'kmemleak: unreferenced object',
  },
  skb: {
    meaning: 'sk_buffs never freed',
    kernel: 'kmemleak: unreferenced object (skbuff_head_cache)',
  },
} as const satisfies Record<string, KindInfo>;
export type LeakKind = keyof typeof LEAKS;
export const LEAK_KINDS = Object.keys(LEAKS).sort() as LeakKind[];

export function isCounterName(s: string): s is CounterName {
  return (COUNTER_NAMES as readonly string[]).includes(s);
}
export function isViolationKind(s: string): s is ViolationKind {
  return Object.hasOwn(VIOLATIONS, s);
}
export function isLeakKind(s: string): s is LeakKind {
  return Object.hasOwn(LEAKS, s);
}
