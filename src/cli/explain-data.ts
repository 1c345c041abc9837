/**
 * Texts of `pp-sim explain`: data only, rendered by commands/explain.ts. The `seen` lists are checked
 * by test/cli/explain.test.ts against real runs of every built-in scenario under every branch, so
 * they cannot drift from the model. References are sections of the documents in docs/ (a test checks that each exists).
 */
import type { KnobName } from '../kernel/knobs.js';
import type { LeakKind, ViolationKind } from '../kernel/names.js';
import type { StepOp } from '../workload/types.js';

/** Where a finding shows up: built-in scenarios under branches, optionally with a platform or knobs. */
export interface Seen {
  branches: readonly string[];
  /** Built-in scenario names, or '*' for every built-in scenario the branch can run. */
  scenarios: readonly string[] | '*';
  /** Default: each scenario's own platform (espressobin for every built-in one). */
  platform?: string;
  /** `--set knob=value` needed on top of the branch. */
  set?: readonly string[];
  note?: string;
}

export interface FindingText {
  /** What happened, in more words than the one-line meaning of `pp-sim list violations`. */
  means: string;
  /** What the kernel does (its wording is in names.ts and printed above this). */
  kernel: string;
  /** How pp-sim detects it and what it does next (contract §4.3 and §6 decisions). */
  model: string;
  seen: readonly Seen[];
  /** How to make it happen when no built-in scenario does. */
  howTo?: string;
  functions: readonly string[];
  /** Facts the model relies on that the references could not verify. */
  unverified?: readonly string[];
  refs: readonly string[];
}

const PAGE_POOL_2018 = ['mvneta_03', 'mvneta_04', 'mvneta_07', 'dma-addr-in-page'] as const;
const STEALS = ['tcp', 'scp', 'jumbo', 'coalesce', 'gro-head-steal', 'segment'] as const;

/** Unverified facts, shared by several entries. */
export const UNVERIFIED = {
  hook: 'The 2018 hook body (skb_free_head -> xdp_return_skb_page -> page_pool_put_page(pool, virt_to_head_page(head), false)) is reconstructed from the project notes and the 2021 re-spin; the RFC patch bodies were not in the archives.',
  headFrag: 'That the 2018 hook did not test skb->head_frag is inferred: the bug showed on skb_copy/pskb_copy heads, which have head_frag = 0.',
  cloneCopy: 'That the RFC\'s __skb_clone copied mem_info explicitly (as the 2021 re-spin did with C(pp_recycle)) is unverified; without it a clone freed last would leak the page (the L outcome).',
  adopt: 'That a 2018 pool adopts foreign memory (recycles a refcount-1 slab page into its ring, or put_page()s it) is inferred from v5.0 __xdp_return and __page_pool_put_page; the notes only say the hook "is invoked, for this mem-area that didn\'t originate from page_pool".',
  dsa: 'That DSA\'s skb_unshare turns every earlier clone into a full skb_copy on the Espressobin is inferred.',
  backlog2018: 'That the 2018 branches follow their version strings for tcp_add_backlog (mvneta_03/04 "4.20.0-rc1": no backlog coalescing; the RFC of 2018-12-07 against net-next, which carried 4f693b55c3d2 since Nov 2018: coalescing) is inferred.',
  snapshots: 'Which stored bpf-next snapshot belongs to which 2018 branch (mvneta_03/04/07) is unverified; the branches are built from the notes plus those snapshots.',
} as const;

export const VIOLATION_TEXT: Record<ViolationKind, FindingText> = {
  'wrong-recycle': {
    means: 'Memory that never came from this page_pool was handed to page_pool_put_page as if it were a pool page: the kmalloc\'ed head of an skb_copy, pskb_copy or pskb_expand_head result, a page_frag page, or a page of another pool. In the 2018 designs the return hook in skb_free_head trusts skb->mem_info alone; with mem_info inside headers_start..headers_end, __copy_skb_header copies it into every skb_copy/pskb_copy result (the documented pre-RFC bug), and because the hook does not test head_frag, pskb_expand_head leaves mem_info on a new kmalloc head even with the RFC placement.',
    kernel: 'The 2018 kernels have no signature check: the pool adopts the memory. A slab page whose refcount happens to be 1 goes into the ptr_ring and is posted to the NIC for a later frame, which then overwrites whatever else lives in that slab page; otherwise put_page() on a slab page ends in a refcount splat. The symptom shows up later and elsewhere, not at the free. v5.14+ checks page->pp_magic (PP_SIGNATURE) and hands non-pool memory back to put_page/skb_free_frag, and skb_free_head consults the pool only for head_frag heads.',
    model: 'pp-sim records wrong-recycle with the object and call path of the free, then completes the free the correct way (kfree for a kmalloc head, page_frag_free for a page_frag head), so one root cause gives one finding and the later counters stay meaningful (contract §6 "Wrong recycle"). It does not model the corruption the real 2018 kernel would cause afterwards.',
    seen: [
      { branches: ['mvneta_03', 'mvneta_04'], scenarios: ['skb-copy', 'pskb-copy', 'expand-head', 'pull-tail', 'snaplen-trim', 'segment', 'multicast-tap'], note: 'multicast-tap: the copy-mode tap clones, and DSA\'s skb_unshare turns the clone into an skb_copy; segment: __copy_skb_header copies mem_info into every kmalloc\'ed segment' },
      { branches: ['mvneta_07', 'dma-addr-in-page'], scenarios: ['expand-head', 'pull-tail', 'snaplen-trim'], note: 'mem_info after the flags fixes the copies, not pskb_expand_head (which __pskb_pull_tail and ___pskb_trim on a clone call); --set hook_checks_head_frag=true is clean' },
      { branches: ['mvneta_03', 'mvneta_04'], scenarios: ['skb-copy', 'pskb-copy', 'expand-head', 'pull-tail', 'snaplen-trim', 'segment'], platform: 'arm32-lpae', note: 'no switch, so no skb_unshare copy in multicast-tap' },
      { branches: ['mvneta_07', 'dma-addr-in-page'], scenarios: ['expand-head', 'pull-tail', 'snaplen-trim'], platform: 'arm32-lpae' },
    ],
    functions: ['__copy_skb_header', 'skb_copy', 'pskb_copy', 'pskb_expand_head', 'skb_unshare', 'dsa_switch_rcv', 'kfree_skb', 'skb_release_data', 'skb_free_head', 'xdp_return_skb_page', 'page_pool_put_page'],
    unverified: [UNVERIFIED.hook, UNVERIFIED.headFrag, UNVERIFIED.adopt, UNVERIFIED.dsa],
    refs: ['skbuff-semantics.md §1.2', 'skbuff-semantics.md §5.0', 'skbuff-semantics.md §5.2', 'skbuff-semantics.md §6', 'pagepool-dma-semantics.md §3.6', 'mvneta-workloads.md §2.3', 'contract.md §6'],
  },
  'recycle-while-referenced': {
    means: 'A page entered the pool\'s lockless alloc cache or its ptr_ring while its refcount was not 1: another skb, a pipe or a user mapping still referenced it, and the NIC would get it for a later frame.',
    kernel: 'The kernel\'s put path tests page_ref_count == 1 and releases the page otherwise, so it never does this by itself; page_pool_empty_ring() complains with pr_crit "page_pool refcnt %d violation" when it finds such a page at destroy.',
    model: 'pp-sim checks every page it takes from the cache or the ring (page_pool_alloc_pages) and every page page_pool_empty_ring drops at teardown. Every built-in branch models the refcount test, so this finding guards custom branches and future model changes.',
    seen: [],
    howTo: 'No built-in branch or scenario produces it: every modelled pool releases a page whose refcount is not 1 (page_pool.recycle.released_refcnt counts those).',
    functions: ['__page_pool_put_page', 'page_pool_recycle_direct', 'page_pool_recycle_in_ring', 'page_pool_alloc_pages', 'page_pool_empty_ring'],
    refs: ['pagepool-dma-semantics.md §2.5', 'pagepool-dma-semantics.md §4.4', 'pagepool-dma-semantics.md §7.3', 'pagepool-dma-semantics.md §8'],
  },
  'data-corruption': {
    means: 'The NIC DMA\'d a new frame into a page that an earlier skb, pipe or user VMA still reads; that reader sees bytes of a later frame (app.corrupt_reads counts reads that saw overwritten bytes).',
    kernel: 'The kernel stays silent: the application simply receives wrong data.',
    model: 'pp-sim flags the DMA write in the RX path when the page has other holders. It follows a page recycled while referenced or memory adopted by the pool; since pp-sim completes a wrong recycle the correct way (contract §6), the 2018 copy bug shows as wrong-recycle, not as corruption.',
    seen: [],
    howTo: 'No built-in branch or scenario produces it; it guards custom branches and model changes.',
    functions: ['mvneta_rx_swbm', 'page_pool_alloc_pages', 'skb_copy_datagram_iter'],
    refs: ['pagepool-dma-semantics.md §4.4', 'pagepool-dma-semantics.md §8', 'skbuff-semantics.md §5.0', 'contract.md §6'],
  },
  'freed-while-mapped': {
    means: 'A page went back to the page allocator while still DMA-mapped for the NIC. The typical 2018 path (the L outcome): a pool page is stolen as a frag of another skb (skb_try_coalesce head steal in TCP\'s receive queue, GRO head steal, jumbo_frags=keep); the donor skb\'s struct is freed without the hook, and the page is later put_page()d as a frag, so the pool never unmaps it.',
    kernel: 'No warning at the time: dma-debug has no hook in the page allocator\'s free path and reports the mapping only at driver unbind ("device driver has pending DMA allocations while released from device"); v5.3+ inflight counters show the page as never returned.',
    model: 'pp-sim flags the free in __free_pages. The mapping is not reported again as a dma-mapping leak or a later DMA API error (contract §4.3: consequences are not reported again); the same page attached as a frag earlier is a separate pp-page-as-frag finding.',
    seen: [
      { branches: PAGE_POOL_2018, scenarios: STEALS, note: 'coalesce=steal and GRO head steal on pool-backed skbs; jumbo and scp include TCP coalescing; segment: the GRO packet\'s stolen heads' },
      { branches: ['upstream-5.14'], scenarios: ['tcp-tap'], note: 'GRO behind the switch (gro_cells, v5.8) steals a pool head into an skb_unshare copy chained on the GRO packet; gro_pp_check (upstream-6.1) refuses the mix' },
      { branches: ['dma-addr-in-page'], scenarios: STEALS, platform: 'arm32-lpae', note: 'mvneta_03/04/07 already report these mappings as dma-addr-truncated' },
    ],
    functions: ['skb_try_coalesce', 'kfree_skb_partial', 'skb_gro_receive', 'napi_skb_finish', 'skb_release_data', 'put_page', '__free_pages'],
    refs: ['skbuff-semantics.md §5.1', 'skbuff-semantics.md §5.2', 'pagepool-dma-semantics.md §5.2', 'pagepool-dma-semantics.md §5.3', 'pagepool-dma-semantics.md §8', 'contract.md §4.3'],
  },
  'dma-unmap-not-mapped': {
    means: 'An unmap of a DMA address that is not mapped: a double unmap (driver and pool both unmapping a page, or an unmap after the pool released it) or an unmap on the wrong device.',
    kernel: 'dma-debug: "device driver tries to free DMA memory it has not allocated [device address=…] [size=… bytes]".',
    model: 'pp-sim keeps every mapping per page and checks each unmap against it.',
    seen: [],
    howTo: 'No built-in branch or scenario produces it; it guards custom branches and model changes.',
    functions: ['dma_unmap_page_attrs', 'debug_dma_unmap_page', 'page_pool_release_page', 'page_pool_unmap_page'],
    refs: ['pagepool-dma-semantics.md §5.1', 'pagepool-dma-semantics.md §5.3'],
  },
  'dma-sync-not-mapped': {
    means: 'A dma_sync_* call on a range that is not inside any mapping, e.g. a sync after the page was released from the pool.',
    kernel: 'dma-debug: "device driver tries to sync DMA memory it has not allocated".',
    model: 'pp-sim checks every explicit sync (dma.sync_for_cpu, dma.sync_for_device count them) against the page\'s mappings.',
    seen: [],
    howTo: 'No built-in branch or scenario produces it; it guards custom branches and model changes.',
    functions: ['dma_sync_single_range_for_cpu', 'dma_sync_single_range_for_device', 'debug_dma_sync_single_for_cpu'],
    refs: ['pagepool-dma-semantics.md §5.1', 'pagepool-dma-semantics.md §5.3', 'contract.md §6'],
  },
  'dma-sync-out-of-range': {
    means: 'A sync that reaches beyond the mapping, e.g. a sync length from a buffer geometry larger than what was mapped, or a pool sync-for-device past max_len.',
    kernel: 'dma-debug: "device driver tries to sync DMA memory it has not allocated [device address=…] [size=… bytes]". check_sync looks the range up with containing_match, which finds no mapping for a range that runs past the end, so the sync is reported as unknown memory; its "syncs DMA memory outside allocated range" message needs a containing mapping smaller than the sync and is effectively unreachable.',
    model: 'pp-sim compares offset + length of every sync with the mapping\'s size and keeps this kind separate from dma-sync-not-mapped (no mapping at the base address at all), although dma-debug prints the same line for both.',
    seen: [],
    howTo: 'No built-in branch or scenario produces it; it guards custom branches and model changes.',
    functions: ['dma_sync_single_range_for_cpu', 'dma_sync_single_range_for_device', 'page_pool_dma_sync_for_device', 'check_sync', 'bucket_find_contain', 'containing_match'],
    refs: ['pagepool-dma-semantics.md §2.7', 'pagepool-dma-semantics.md §5.3'],
  },
  'dma-dirty-cacheline': {
    means: 'A page went back to the NIC (posted on an RX descriptor) while CPU cache lines over the area the NIC will write were dirty and not cleaned by a sync for the device. On a non-coherent board such a line can be written back at any later eviction, over bytes the NIC has since received. The CPU writes into RX buffers on real paths: the DSA tagger\'s memmove of the MAC addresses over the EDSA tag, XDP programs rewriting headers, struct xdp_frame in the headroom (xdp_convert_buff_to_frame), build_skb\'s skb_shared_info at the buffer end; and a page fresh from the page allocator may hold its previous owner\'s dirty lines.',
    kernel: 'The kernel prints nothing: dma-debug tracks mappings, not cache lines. The received data is silently corrupted when the line is evicted. What prevents it is a clean over the RX area before the buffer is handed back: dma_map_page without DMA_ATTR_SKIP_CPU_SYNC (a fresh mapping), PP_FLAG_DMA_SYNC_DEV (page_pool syncs min(dma_sync_size, max_len) at recycle, and max_len at map, v5.5+), or a driver sync at refill (the Oct 2019 mvneta page_pool patch). The 2018 mvneta (mvneta_rx_refill: page_pool_dev_alloc_pages, page_pool_get_dma_addr, no sync) and the 2018 pool (no sync at put) do neither for a recycled page.',
    model: 'pp-sim keeps a 64-bit mask of dirty 64-byte lines per page: CPU writes set bits (edsa_rcv\'s memmove, the XDP_TX program\'s MAC swap, xdp_frame, build_skb\'s shinfo), a page from the page allocator starts all dirty, and dma_map_page without DMA_ATTR_SKIP_CPU_SYNC or any dma_sync_*_for_device clears the bits it covers. When mvneta_rx_desc_fill posts a buffer, dirty bits over [offset, offset + buffer size) are this violation (once per posting; the bits are then cleared). --set coherent_dma=true removes it.',
    seen: [
      { branches: ['mvneta_03', 'mvneta_04', 'mvneta_07'], scenarios: ['multicast', 'tcp', 'scp', 'jumbo'], note: 'edsa_rcv\'s memmove dirties the MAC line of a pool head that comes back through the skb hook and is posted again unsynced; multicast-tap\'s copies take the memmove on kmalloc heads' },
      { branches: ['dma-addr-in-page'], scenarios: '*', note: 'DMA_ATTR_SKIP_CPU_SYNC without PP_FLAG_DMA_SYNC_DEV: even a fresh page is posted without a clean' },
      { branches: ['dma-addr-in-page'], scenarios: '*', platform: 'arm32-lpae' },
    ],
    functions: ['mvneta_rx_refill', 'mvneta_rx_desc_fill', 'page_pool_alloc_pages', 'page_pool_put_page', 'page_pool_dma_sync_for_device', 'dma_map_page_attrs', 'dma_sync_single_range_for_device', 'edsa_rcv', 'xdp_convert_buff_to_frame', 'build_skb'],
    unverified: ['That a page fresh from the page allocator may hold dirty lines anywhere is the conservative reading of the DMA API rules (the allocator does no cache maintenance); pp-sim does not track the previous owner\'s writes.', 'The 64-byte line is the Cortex-A53 D-cache line; arm64 ARCH_DMA_MINALIGN was 128 in trees of that era.'],
    refs: ['pagepool-dma-semantics.md §2.7', 'pagepool-dma-semantics.md §5.1', 'mvneta-workloads.md §2.3', 'mvneta-workloads.md §2.4'],
  },
  'dma-dir-mismatch': {
    means: 'A sync or unmap used a direction that differs from the mapping\'s. The classic case: XDP_TX transmits the RX page on its own mapping, so the pool must map DMA_BIDIRECTIONAL; on a DMA_FROM_DEVICE mapping the sync for the device is a direction error.',
    kernel: 'dma-debug: "device driver syncs DMA memory with different direction" (unmap: "device driver frees DMA memory with different direction").',
    model: 'The pool\'s direction with a program attached is the xdp_dma_dir knob (2018 branches from_device, v5.5+ bidirectional). XDP_TX completion runs in NAPI context (contract §6 "XDP").',
    seen: [
      { branches: ['v5.5', 'upstream-5.14', 'upstream-6.1'], scenarios: ['xdp-tx'], set: ['xdp_dma_dir=from_device'] },
      { branches: PAGE_POOL_2018, scenarios: ['xdp-tx'], set: ['xdp=all'], note: 'the 2018 branches had no XDP_TX and map from_device' },
    ],
    functions: ['mvneta_xdp_xmit_back', 'mvneta_xdp_submit_frame', 'dma_sync_single_for_device', 'page_pool_get_dma_dir'],
    refs: ['pagepool-dma-semantics.md §5.1', 'pagepool-dma-semantics.md §5.3', 'mvneta-workloads.md §2.4', 'contract.md §6'],
  },
  'cpu-access-device-owned': {
    means: 'The CPU read received bytes that the device still owned: no dma_sync_single_for_cpu before the read on a non-coherent platform, so the CPU may see stale cache lines. The v4.19/v4.20 copybreak RX path memcpy\'s up to 256 bytes before any sync or unmap; the 2018 RFC and upstream\'s "rely on build_skb" (2019) removed that.',
    kernel: 'dma-debug\'s "cpu touching an active dma mapped cacheline" existed about v3.19–v5.9 and fired only on a copy-on-write fault of a mapped page, so on the real board this read is normally silent: stale data, no message.',
    model: 'Fires when the CPU reads bytes the device wrote (the received frame) before they were synced for the cpu on a non-coherent platform; reading headroom or tailroom is not flagged (contract §6 "CPU reads"). --set coherent_dma=true removes it.',
    seen: [
      { branches: ['baseline-4.20'], scenarios: '*', note: 'the copybreak memcpy of every frame' },
      { branches: ['baseline-4.20'], scenarios: '*', platform: 'arm32-lpae' },
      { branches: ['mvneta_03', 'mvneta_07'], scenarios: ['multicast-datagram'], set: ['driver=copybreak'] },
    ],
    functions: ['mvneta_rx_swbm', 'memcpy', 'dma_sync_single_range_for_cpu', 'dma_unmap_page'],
    unverified: ['That the page-per-descriptor copybreak RX path starts around v4.16 is from memory; the v4.19/v4.20 trees have it.'],
    refs: ['mvneta-workloads.md §2.2', 'pagepool-dma-semantics.md §5.2', 'pagepool-dma-semantics.md §5.3', 'contract.md §6'],
  },
  'dma-addr-truncated': {
    means: 'The pool kept a 64-bit DMA address in page->private, an unsigned long that has 32 bits on 32-bit ARM, and lost the upper bits; later syncs and unmaps use the wrong address. DaveM\'s review point on the 2018 RFC, fixed by "Fix page_pool API and dma address storage" (v5.1: dma_addr in struct page).',
    kernel: 'The kernel stays silent at the store; the wrong address is used later (dma-debug may then complain about an unknown address).',
    model: 'pp-sim flags the store (set_page_private) once per page; the mapping is then not reported again as a leak or a DMA API error (contract §4.3).',
    seen: [
      { branches: ['mvneta_03', 'mvneta_04', 'mvneta_07'], scenarios: '*', platform: 'arm32-lpae', note: 'dma_addr_storage=page-private on a platform whose pages sit above 4 GiB' },
    ],
    functions: ['__page_pool_alloc_pages_slow', 'dma_map_page', 'set_page_private', 'page_private', 'dma_unmap_page'],
    unverified: ['arm32-lpae is a model of DaveM\'s case: mvneta\'s own descriptors hold 32-bit addresses, so on a real Armada XP the DMA mask would keep buffers below 4 GiB.'],
    refs: ['pagepool-dma-semantics.md §1', 'pagepool-dma-semantics.md §3.6', 'pagepool-dma-semantics.md §4.1', 'pagepool-dma-semantics.md §4.2', 'branches.md Platforms'],
  },
  'pp-page-as-frag': {
    means: 'A page still holding page_pool DMA state became a frag of an skb where the branch\'s design allows only heads. The 2018 design rule after review: only skb->head may be a pool page; jumbo frags are released with page_pool_unmap_page before skb_add_rx_frag. The head steals of skb_try_coalesce and GRO break that rule, which is what Eric Dumazet pointed out.',
    kernel: 'No kernel warning: it is a design rule of the 2018 notes. The page is later freed as a plain frag (see freed-while-mapped).',
    model: 'pp-sim flags the attach; the later free of the same page is reported separately (contract §4.3: different events on one page are each reported). v5.14+ designs recycle frags on purpose and never report it.',
    seen: [
      { branches: PAGE_POOL_2018, scenarios: STEALS, note: 'off with --set coalesce=release, frag_list or reject (coalesce) and gro=off (GRO)' },
      { branches: PAGE_POOL_2018, scenarios: STEALS, platform: 'arm32-lpae' },
    ],
    functions: ['skb_try_coalesce', 'skb_gro_receive', 'skb_add_rx_frag', 'page_pool_unmap_page'],
    unverified: [UNVERIFIED.snapshots],
    refs: ['skbuff-semantics.md §5.0', 'skbuff-semantics.md §5.2', 'pagepool-dma-semantics.md §2.6', 'pagepool-dma-semantics.md §3.6', 'mvneta-workloads.md §2.3'],
  },
  'direct-recycle-outside-napi': {
    means: 'The pool\'s lockless alloc cache was used outside the NAPI context that owns it (page_pool_recycle_direct or allow_direct=true from another context): a data race on pool->alloc.',
    kernel: 'No kernel warning (a data race). v4.18–v5.4 guarded the direct path with in_serving_softirq(); later kernels rely on the caller.',
    model: 'XDP_TX frames return with xdp_return_frame_rx_napi in NAPI context (direct cache); redirected frames return from the target device\'s completion with xdp_return_frame (ring) (contract §6 "XDP"). Skbs freed by the stack return through the ring.',
    seen: [],
    howTo: 'No built-in branch or scenario produces it; it guards custom branches and model changes.',
    functions: ['page_pool_recycle_direct', '__page_pool_recycle_direct', 'xdp_return_frame_rx_napi', 'xdp_return_buff'],
    refs: ['pagepool-dma-semantics.md §1.1', 'pagepool-dma-semantics.md §2.5', 'pagepool-dma-semantics.md §3.3', 'pagepool-dma-semantics.md §8', 'contract.md §6'],
  },
  'page-double-free': {
    means: 'A page refcount went below zero, a free page was freed again, a kmalloc object was kfree\'d twice, or a page was released from a pool that does not own it.',
    kernel: 'The page allocator prints "BUG: Bad page state" (slab: a double-free report).',
    model: 'pp-sim tracks every page refcount and slab object and flags the free that goes too far.',
    seen: [],
    howTo: 'No built-in branch or scenario produces it; it guards custom branches and model changes.',
    functions: ['put_page', '__free_pages', 'kfree', 'page_pool_release_page'],
    refs: ['skbuff-semantics.md §6', 'pagepool-dma-semantics.md §8'],
  },
  'use-after-free': {
    means: 'Memory was touched (get_page, a CPU read, a DMA) after it went back to its allocator.',
    kernel: 'KASAN: use-after-free (only on a KASAN kernel; otherwise silent).',
    model: 'pp-sim flags any reference or access to a free page.',
    seen: [],
    howTo: 'No built-in branch or scenario produces it; it guards custom branches and model changes.',
    functions: ['get_page', 'dma_sync_single_range_for_cpu'],
    refs: ['skbuff-semantics.md §6', 'pagepool-dma-semantics.md §2.6'],
  },
  'pp-negative-inflight': {
    means: 'page_pool released more pages than it handed out (release_cnt > hold_cnt): a page left the pool twice.',
    kernel: 'WARN "Negative(%d) inflight packet-pages" (v5.3+, page_pool_inflight).',
    model: 'pp-sim counts page_pool.hold_cnt and release_cnt on every branch and checks them on every release.',
    seen: [],
    howTo: 'No built-in branch or scenario produces it; it guards custom branches and model changes.',
    functions: ['page_pool_inflight', 'page_pool_release_page', 'page_pool_release'],
    refs: ['pagepool-dma-semantics.md §2.8', 'pagepool-dma-semantics.md §2.9', 'pagepool-dma-semantics.md §7.3', 'pagepool-dma-semantics.md §8'],
  },
  'unmap-after-unbind': {
    means: 'A pool page that was still out (in a socket queue, a tap, a pipe) when the driver was unbound came back later, and the pool unmapped it (or synced it for the device) through the device that is gone. Before v6.15 page_pool keeps the struct device pointer of a destroyed pool and unmaps each page when it finally returns, long after mvneta_remove.',
    kernel: 'With an IOMMU the unmap walks a domain that was torn down with the device: the 2024-25 reports show "Unable to handle kernel paging request" in iommu_get_dma_domain / iommu_dma_unmap_page called from page_pool_return_page. Without an IOMMU (the Espressobin maps directly) the cache maintenance runs on memory the device no longer owns and nothing is printed. v6.15 (ee62ce7a1d90) tracks every mapped page in an xarray and unmaps them all in page_pool_destroy, so a late page comes back already unmapped.',
    model: 'A dev_unbind step or an unbind event marks the device gone in the DMA API model; every later dma_unmap_page or dma_sync through it is this violation (one per page), and the mapping is dropped so it is not also a dma-mapping leak. With pool_dma_tracking=true the pool unmaps its pages at destroy and skips the unmap (and the sync for device) at return.',
    seen: [
      { branches: ['upstream-5.14', 'upstream-6.1', 'upstream-6.6', 'upstream-6.12'], scenarios: ['unbind-inflight'], note: 'v5.5 releases every page before the stack, so nothing is out at unbind; upstream-6.15 (pool_dma_tracking, ee62ce7a1d90) unmaps every page at destroy and is clean' },
      { branches: ['upstream-5.14', 'upstream-6.1', 'upstream-6.6', 'upstream-6.12'], scenarios: ['unbind-inflight'], platform: 'arm32-lpae' },
    ],
    functions: ['page_pool_return_page', 'page_pool_release_page', 'dma_unmap_page_attrs', 'iommu_dma_unmap_page', 'mvneta_remove'],
    refs: ['pagepool-dma-semantics.md §2.9', 'pagepool-dma-semantics.md §5.2'],
  },
  'skb-use-after-free': {
    means: 'A step read or changed an sk_buff that was already gone: freed by kfree_skb/consume_skb, consumed by a successful skb_try_coalesce or skb_gro_receive, or replaced by skb_unshare. The struct went back to skbuff_head_cache and may already be another skb.',
    kernel: 'On a KASAN kernel: "BUG: KASAN: slab-use-after-free in skb_clone" (or the step\'s function; older kernels print "use-after-free"), with the stacks that allocated and freed the object. Without KASAN nothing is printed: the step works on whatever the slab put there.',
    model: 'pp-sim records the finding with the name, how the skb went (the step and line that freed or consumed it) and the step\'s kernel function as the call path, then skips the step: its `as` name becomes a name of a freed skb too, so the rest of the scenario runs and each later use is counted.',
    seen: [],
    howTo: 'A step scenario that uses a name after freeing it: steps `- rx: a`, `- kfree_skb: a`, `- skb_clone: { skb: a, as: b }`. Using a name that no step created is an input error (exit 2), not this finding.',
    functions: ['kfree_skb', 'kfree_skbmem', 'kmem_cache_free'],
    refs: ['skbuff-semantics.md §6'],
  },
  'skb-double-free': {
    means: 'A step freed (kfree_skb or consume_skb) an sk_buff that was already gone: freed, or consumed by coalesce, GRO or skb_unshare.',
    kernel: 'On a KASAN kernel the first bad access is the read of skb->users in skb_unref, so the report reads "BUG: KASAN: slab-use-after-free in kfree_skb"; a free that got past it would be "BUG: KASAN: double-free in kfree_skbmem" (kmem_cache_free of skbuff_head_cache). Without KASAN the skb\'s data is released twice: the page refcounts go negative or another skb\'s memory is freed.',
    model: 'pp-sim records the finding (call path kfree_skb → kfree_skbmem) with how the skb went, and does not free anything a second time, so one root cause gives one finding and the counters stay meaningful.',
    seen: [],
    howTo: 'Steps `- rx: a`, `- kfree_skb: a`, `- kfree_skb: a`.',
    functions: ['kfree_skb', 'skb_unref', 'kfree_skbmem', 'kmem_cache_free'],
    refs: ['skbuff-semantics.md §6'],
  },
};

const XDP_FRAME_NOT_RETURNED = 'A step scenario that never returns an XDP frame, e.g. `xdp: redirect` with steps `- rx: { as: f, len: 60 }` and no xdp_return_frame: f';

export const LEAK_TEXT: Record<LeakKind, FindingText> = {
  'pool-inflight': {
    means: 'The pool was destroyed while pages it handed out had not come back (hold_cnt - release_cnt > 0), and no leaked skb holds them.',
    kernel: 'v5.5+ keeps the pool alive and prints "page_pool_release_retry() stalled pool shutdown %d inflight %d sec" every 60 s; before v5.3 a destroyed pool simply forgot the pages.',
    model: 'Judged after teardown, only when the pool does its own accounting (inflight_accounting=true: v5.5, upstream-5.14, upstream-6.1). Leaks go to the outermost owner (contract §4.3): pages held by a leaked skb are an skb leak, not this.',
    seen: [
      { branches: ['mvneta_07'], scenarios: ['tcp', 'coalesce', 'gro-head-steal'], set: ['inflight_accounting=true'], note: 'stolen pool frags freed by put_page never come back' },
      { branches: ['upstream-5.14'], scenarios: ['tcp-tap'], note: 'pool heads GRO stole into plain skbs were freed by put_page' },
      { branches: ['v5.5'], scenarios: ['coalesce'], set: ['skb_recycle=mem_info'] },
    ],
    howTo: `${XDP_FRAME_NOT_RETURNED}, on v5.5 or later.`,
    functions: ['page_pool_destroy', 'page_pool_release', 'page_pool_release_retry', 'page_pool_inflight'],
    refs: ['pagepool-dma-semantics.md §2.8', 'pagepool-dma-semantics.md §2.9', 'pagepool-dma-semantics.md §7.3', 'contract.md §4.3'],
  },
  'dma-mapping': {
    means: 'DMA mappings still outstanding for the device after teardown, not held by a leaked skb and not already reported as freed-while-mapped or dma-addr-truncated.',
    kernel: 'dma-debug at unbind: "device driver has pending DMA allocations while released from device [count=N]".',
    model: 'Judged after teardown; leaks go to the outermost owner (contract §4.3).',
    seen: [],
    howTo: `${XDP_FRAME_NOT_RETURNED} (any XDP branch).`,
    functions: ['page_pool_destroy', 'dma_unmap_page', 'dma_debug_device_change'],
    refs: ['pagepool-dma-semantics.md §3.7', 'pagepool-dma-semantics.md §5.3', 'contract.md §4.3'],
  },
  page: {
    means: 'Pages allocated and never freed, and not owned by anything still alive.',
    kernel: 'kmemleak-style report (unreferenced object); the kernel itself stays silent.',
    model: 'Judged after teardown; a page held by a leaked skb, pipe or mapping is reported as that skb leak instead (contract §4.3).',
    seen: [],
    howTo: `${XDP_FRAME_NOT_RETURNED}, on mvneta_04 (a 2018 pool forgets its pages at destroy). Or, on v5.5 (fcs_only_desc=release), a frame whose last RX buffer holds only FCS bytes: nic.mtu 3508 and steps \`- rx: { as: a, len: 3508 }\` and \`- kfree_skb: a\` (2 + 3508 + 8 + 4 = 3520 + 2 bytes); mvneta_swbm_add_rx_fragment released that page from the pool and never freed it.`,
    functions: ['alloc_pages', 'put_page', 'page_pool_destroy', 'mvneta_swbm_add_rx_fragment', 'page_pool_release_page'],
    refs: ['pagepool-dma-semantics.md §2.9', 'contract.md §4.3'],
  },
  skb: {
    means: 'sk_buffs never freed; in a step scenario, any skb, pipe or mapping the steps never released. Pages, mappings and pool pages they hold are not reported again.',
    kernel: 'kmemleak-style report (skbuff_head_cache); the kernel itself stays silent.',
    model: 'A step scenario ends exactly where its steps end, so `rx a` with no free is one skb leak on every branch (contract §2.1, §4.3).',
    seen: [
      { branches: ['mvneta_07', 'upstream-6.1'], scenarios: ['coalesce'], set: ['coalesce=reject'], note: 'the refused `from` stays with the scenario, which never frees it' },
      { branches: ['baseline-4.20'], scenarios: ['coalesce-clone'], note: 'the copybreak skb has 256 bytes of tailroom at most and a locked (cloned) head: refused, and the refused `from` stays with the scenario' },
      { branches: ['baseline-4.20'], scenarios: ['coalesce-clone'], platform: 'arm32-lpae', note: 'the copybreak skb has 256 bytes of tailroom at most and a locked (cloned) head: refused, and the refused `from` stays with the scenario' },
      { branches: ['upstream-6.1', 'upstream-6.6'], scenarios: ['coalesce-clone'], note: 'v6.1-v6.7 refuse to coalesce a cloned pool skb; the refused `from` stays with the scenario (TCP would queue it)' },
      { branches: ['upstream-6.1', 'upstream-6.6'], scenarios: ['coalesce-clone'], platform: 'arm32-lpae', note: 'v6.1-v6.7 refuse to coalesce a cloned pool skb; the refused `from` stays with the scenario (TCP would queue it)' },
    ],
    functions: ['kfree_skb', 'consume_skb', '__kfree_skb'],
    refs: ['skbuff-semantics.md §6', 'contract.md §2.1', 'contract.md §4.3'],
  },
};

export interface BranchText {
  represents: string;
  history: string;
  /** What to expect from the built-in scenarios under this branch, beyond the findings list. */
  expect?: string;
  unverified?: readonly string[];
  refs: readonly string[];
}

export const BRANCH_TEXT: Record<string, BranchText> = {
  'baseline-4.20': {
    represents: 'mvneta before page_pool, as in v4.19/v4.20 (software buffer manager): one page per RX descriptor, __dev_alloc_page + dma_map_page at refill and dma_unmap_page at RX; max(rx_copybreak, 128) = 256 bytes are memcpy\'d into a fresh skb and the rest of the page is attached as a frag. No recycling: every frame costs a page allocation, a map and an unmap.',
    history: 'The tree the 2018 branches started from. Its memcpy happens before any sync for the CPU, a defect the RFC\'s "remove copybreak, prefetch and use build_skb" and upstream\'s "rely on build_skb in mvneta_rx_swbm" (Oct 2019, v5.5) removed.',
    expect: 'No page_pool counters; the built-in expect blocks assume a pool, so their counter checks fail here, and every frame shows cpu-access-device-owned.',
    unverified: ['That this copybreak design starts around v4.16 is from memory.'],
    refs: ['mvneta-workloads.md §2.2', 'branches.md Branches'],
  },
  mvneta_03: {
    represents: 'page_pool with one page per frame, build_skb on the pool page, and a recycle hook in skb_free_head keyed on a new skb->mem_info (struct xdp_mem_info) — placed between headers_start and headers_end, so __copy_skb_header copies it into skb_copy/pskb_copy results: the pre-RFC bug.',
    history: 'Branch mvneta_03_page_pool_recycle of the 2018 work (Jesper Brouer, Ilias Apalodimas) on the Espressobin; benchmarked in the board notes. The copy bug was found there and fixed by moving mem_info after the head_frag/pfmemalloc flags.',
    expect: 'ci --branch mvneta_03 fails skb-copy, pskb-copy and multicast-tap (wrong-recycle), expand-head, and the TCP/GRO/jumbo cases (pp-page-as-frag, freed-while-mapped); multicast, tcp, scp and jumbo also show dma-dirty-cacheline (mvneta_rx_refill syncs nothing for the device, and edsa_rcv dirtied the recycled head); it cannot run the XDP scenarios. The pool allocates ring-first (v4.20 __page_pool_get_cached), the budget counts packets, and a buffer holding only FCS bytes stays on the ring.',
    unverified: [UNVERIFIED.hook, UNVERIFIED.headFrag, UNVERIFIED.snapshots],
    refs: ['mvneta-workloads.md §2.3', 'skbuff-semantics.md §1.2', 'skbuff-semantics.md §5.0', 'pagepool-dma-semantics.md §3.6'],
  },
  mvneta_04: {
    represents: 'mvneta_03 plus basic XDP: XDP_DROP and XDP_REDIRECT, no XDP_TX and no ndo_xdp_xmit. Same mem_info placement, so the same copy bug.',
    history: 'Branch mvneta_04_page_pool_recycle_xdp ("4.20.0-rc1-mvneta_04"); it moved the prefetch after the sync and carried a quick fix for the XDP headroom. A cpumap + tcpdump crash found on it is not modelled.',
    expect: 'As mvneta_03, plus xdp-drop and xdp-redirect run (clean); xdp-tx is skipped (no XDP_TX).',
    unverified: [UNVERIFIED.snapshots],
    refs: ['mvneta-workloads.md §2.3', 'pagepool-dma-semantics.md §3.6'],
  },
  mvneta_07: {
    represents: 'The RFC posted 2018-12-07, "[net-next PATCH RFC 0/8] page_pool DMA handling and allow to recycles frames via SKB": mem_info moved right after the head_frag/pfmemalloc flags, outside the header region, and copied by __skb_clone. The RFC carried no mvneta XDP patch.',
    history: 'Branch mvneta_07_page_pool_recycle. Review: DaveM noted page->private is 32 bits on 32-bit ARM with LPAE (-> dma-addr-in-page); Eric Dumazet listed the paths that move pages between skbs (skb_try_coalesce, splice, GRO, clone, tcp_zerocopy_receive). Not merged; the design returned in 2021 as pp_recycle (upstream-5.14).',
    expect: 'Copies are clean; expand-head still shows wrong-recycle (the hook does not test head_frag), and TCP coalescing/GRO steal pool heads (pp-page-as-frag, freed-while-mapped): Eric Dumazet\'s point. Recycled heads go back to the NIC unsynced (dma-dirty-cacheline in multicast, tcp, scp, jumbo), as on mvneta_03.',
    unverified: [UNVERIFIED.hook, UNVERIFIED.headFrag, UNVERIFIED.cloneCopy],
    refs: ['mvneta-workloads.md §2.3', 'pagepool-dma-semantics.md §3.6', 'skbuff-semantics.md §5.0', 'skbuff-semantics.md §5.2'],
  },
  'dma-addr-in-page': {
    represents: 'The RFC (mvneta_07) plus the Feb 2019 series "Fix page_pool API and dma address storage": the DMA address in a struct page field instead of page->private, and DMA_ATTR_SKIP_CPU_SYNC on map/unmap.',
    history: 'That series landed in v5.1 (c25fff7171be "mm: add dma_addr_t to struct page"); the RFC itself did not, so this branch is the "what if" of the RFC on top of the fix. It removes dma-addr-truncated on arm32-lpae.',
    expect: 'As mvneta_07 on the Espressobin, plus dma-dirty-cacheline on every scenario and platform: the pool maps with DMA_ATTR_SKIP_CPU_SYNC, and neither PP_FLAG_DMA_SYNC_DEV (v5.5) nor the driver syncs for the device, so even a fresh page goes to the NIC uncleaned. On arm32-lpae the copies run without dma-addr-truncated.',
    unverified: ['The v5.1 tag of the dma address series is inferred from its posting date.'],
    refs: ['pagepool-dma-semantics.md §1', 'pagepool-dma-semantics.md §4.1', 'pagepool-dma-semantics.md §5.1'],
  },
  'v5.5': {
    represents: 'Upstream mvneta on page_pool without SKB recycling: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, build_skb, and page_pool_release_page before the stack sees the page, so every frame that reaches the stack leaves the pool. Full XDP (DROP, PASS, TX, REDIRECT, ndo_xdp_xmit), DMA_BIDIRECTIONAL with a program attached, in-flight accounting and a pool that waits for its pages at destroy.',
    history: 'Lorenzo Bianconi\'s conversion (Oct-Nov 2019), with Jonathan Lemon\'s "do not release pool until inflight == 0" (c3f812cea0d7) and the DMA sync offload.',
    expect: 'No findings, but most built-in expect blocks ask for recycling (page_pool.recycle.ring), so ci --branch v5.5 fails multicast and most step scenarios on counters, not on findings; tcp, scp, jumbo and tcp-tap also fail skb.gro_merged > 0, since v5.5 predates GRO behind the switch (dsa_rcv). A buffer holding only FCS bytes leaks its page (mvneta_swbm_add_rx_fragment releases it and never frees it); the budget counts descriptors and a cut frame continues in the next poll; the pool allocates cache-first, one page per slow call.',
    refs: ['mvneta-workloads.md §2.4', 'pagepool-dma-semantics.md §1', 'pagepool-dma-semantics.md §2.9'],
  },
  'upstream-5.14': {
    represents: 'The final design: skb->pp_recycle (a flag bit outside the header region, copied by __skb_clone, cleared by skb_release_data), page->pp_magic (PP_SIGNATURE) and page->pp; heads and frags return through page_pool_return_skb_page; skb_try_coalesce refuses when pp_recycle differs; no GRO check yet. TCP behind the switch is GRO\'d (gro_cells, v5.8), so a copy-mode tap that falls behind mixes pp_recycle skbs and skb_unshare copies in one GRO packet.',
    history: '"page_pool: recycle buffers" by Matteo Croce and Ilias Apalodimas (Mar-Jun 2021), 6a5bcd84e886 and "mvneta: recycle buffers" (e4017570daee), merged for v5.14, with the fix 2cc3aeb5eccc.',
    expect: 'Every built-in scenario passes except tcp-tap: a lagging copy-mode tap mixes pp_recycle skbs and skb_unshare copies in the switch port\'s GRO, which steals pool heads into plain skbs (freed-while-mapped, pool-inflight); upstream-6.1\'s gro_pp_check refuses the mix. The slow path allocates, maps and holds 64 pages per call (alloc_pages_bulk_array, v5.13), a frame the NAPI budget cuts is dropped (mvneta_xdp_put_buff), and a buffer holding only FCS bytes is recycled direct.',
    unverified: ['The v5.14 tag and the exact v5.14 signature of skb_mark_for_recycle are inferred.'],
    refs: ['skbuff-semantics.md §4.1', 'skbuff-semantics.md §4.2', 'skbuff-semantics.md §4.3', 'mvneta-workloads.md §2.5'],
  },
  'upstream-6.1': {
    represents: '6.1.y stable: upstream-5.14 plus skb_try_coalesce refusing when pp_recycle differs or from is a cloned pp_recycle skb (coalesce=pp_match_noclone; --set coalesce=pp_match_clone is the 6.1.0 rule, refuse unless to.pp_recycle == (from.pp_recycle && !skb_cloned(from))), and skb_gro_receive refusing to mix pp_recycle and plain skbs.',
    history: '1effe8ca4e34 "skbuff: fix coalescing for page_pool fragment recycling" (Mar 2022, CVE-2022-49093, in 6.1.0), 0646dc31ca88 "skbuff: Fix a race between coalescing and releasing SKBs" (mainline v6.3, stable 6.1.25) and "skb: Do mix page pool and page referenced frags in GRO" (Jan 2023, present in v6.1.y). The default branch of the built-in scenarios: their expect blocks describe it.',
    expect: 'Every built-in scenario passes except coalesce-clone, written for upstream-6.12: 6.1 refuses to coalesce the cloned pool skb, which then stays with the scenario as an skb leak. The slow path allocates, maps and holds 64 pages per call (alloc_pages_bulk_array, v5.13), a frame the NAPI budget cuts is dropped (mvneta_xdp_put_buff), and a buffer holding only FCS bytes is recycled direct.',
    unverified: ['The mainline hash of the GRO fix is unverified.'],
    refs: ['skbuff-semantics.md §4.5', 'skbuff-semantics.md §4.6'],
  },
  'upstream-6.6': {
    represents: 'upstream-6.1 plus the NAPI-local direct recycling rule and the v6.3 coalesce refusal. An skb free may put a pool page into the lockless alloc cache (napi_pp_put_page) only in softirq on the CPU that owns the pool\'s NAPI (pool->p.napi->list_owner == smp_processor_id()). mvneta_create_page_pool passes no .napi (pool_napi=none), so on mvneta every skb free still goes to the ptr_ring, wherever it runs; only the driver\'s own allow_direct puts (XDP_DROP, XDP_TX completion) use the cache. skb_try_coalesce refuses to mix pp and non-pp skbs and refuses any cloned pool `from` (coalesce=pp_match_noclone); skb_gro_receive refuses to mix pp_recycle (gro_pp_check, as 6.1.y).',
    history: 'v6.5: 8c48eea3adf3 "page_pool: allow caching from safely localized NAPI" (Jakub Kicinski, Apr 2023: page_pool_params.napi, napi->list_owner, napi_pp_put_page) and b07a2d97ba5e "net: skb: plumb napi state thru skb freeing paths" (napi_safe through skb_release_data; in 6.6 the test is napi_safe || in_softirq(), so softirq is what counts). v6.3: 0646dc31ca88 "skbuff: Fix a race between coalescing and releasing SKBs" (Liang Chen; in 6.1.y from 6.1.25). mvneta itself did not change on the skb return path. --set pool_napi=rx shows what tying the pool to the RX NAPI would give: frees inside the poll (GRO, the stack\'s drops and TCP coalescing in tcp_v4_rcv) reach the cache; readers in process context and frees on another CPU keep using the ring, because there the cache would race the poll.',
    expect: 'Every built-in scenario passes except coalesce-clone (as on upstream-6.1: the cloned pool skb is refused and stays with the scenario as an skb leak). On the default workloads every counter equals upstream-6.1\'s; with --set pool_napi=rx, tcp moves its napi-context frees (page_pool.skb_return.napi: the tailroom-copied segments freed in tcp_v4_rcv) from the ring to the cache, and free-context shows recycle.cached 1.',
    unverified: ['The v6.5 tags of 8c48eea3adf3 and b07a2d97ba5e are inferred from their net-next dates (Apr 2023).'],
    refs: ['pagepool-dma-semantics.md §2.5', 'skbuff-semantics.md §4.2', 'skbuff-semantics.md §4.6'],
  },
  'upstream-6.12': {
    represents: 'upstream-6.6 plus the v6.7-v6.12 changes a mvneta-shaped driver reaches on the skb return path: every pool page carries pp_ref_count = 1 (v6.7 unified frag counting, v6.8 rename of pp_frag_count, BIAS_MAX halved for frag pools, which mvneta is not); skb_try_coalesce allows a cloned pool `from` again and takes pp_ref_count references on its frags (skb_pp_frag_ref), so the last holder recycles the page instead of releasing it (coalesce=pp_match_ppref; an skb mvneta builds always has its head in the linear part, locked once cloned, so for mvneta this only re-allows the tailroom copy: scenario coalesce-clone); netmem: napi_pp_put_page -> page_pool_put_full_netmem -> page_pool_put_netmem (page_pool_unref_and_test) -> page_pool_put_unrefed_netmem, which applies page_pool_napi_local() to every put without allow_direct (direct_recycle=napi_any). mvneta still passes no .napi and uses no per-CPU pool (cpuid -1), so it gains nothing from the NAPI-local rule. v6.12.0 has no DMA tracking (pool_dma_tracking=false).',
    history: 'v6.7: 58d53d8f7da6 "page_pool: unify frag_count handling in page_pool_is_last_frag()" (pp_frag_count = 1 on every page). v6.8: "page_pool: Rename pp_frag_count to pp_ref_count", "page_pool: halve BIAS_MAX for multiple user references of a fragment", 8cfa2dee325f "skbuff: Add a function to check if a page belongs to page_pool" and f7dc3248dcfb "skbuff: Optimization of SKB coalescing for page pool" (Liang Chen, Dec 2023). v6.9: 2b0cfa6e4956 percpu page_pool (pool->cpuid, page_pool_create_percpu). v6.10: 4a96a4e807c3 "page_pool: check for PP direct cache locality later" (Alexander Lobakin: page_pool_napi_local moved from the skb code into page_pool_put_unrefed_netmem, napi_safe dropped). v6.11-v6.12: netmem conversion of page_pool (netmem_ref, page_pool_put_unrefed_netmem, memory providers). Debian\'s 6.12.y (6.12.117) also carries ee62ce7a1d90 (DMA tracking) and 95920c2ed02b (the 32-bit PP_MAGIC_MASK fix) as stable backports: run it as --set pool_dma_tracking=true.',
    expect: 'Every built-in scenario passes.',
    unverified: ['The exact tags of the BIAS_MAX and rename commits (v6.8) are inferred from the Dec 2023 net-next merge of the series.'],
    refs: ['pagepool-dma-semantics.md §2.5', 'pagepool-dma-semantics.md §2.11', 'skbuff-semantics.md §4.6'],
  },
  'upstream-6.15': {
    represents: 'upstream-6.12 plus DMA tracking: the pool keeps an xarray (pool->dma_mapped) of every page it mapped, stores the page\'s index in the upper bits of pp_magic (PP_DMA_INDEX_SHIFT 7; 32 index bits on arm64, 23 on 32-bit), and page_pool_scrub unmaps every still-mapped page when the pool is destroyed, so a page coming back after the device is gone is freed without an unmap through it (pool_dma_tracking=true). pp_magic is now tested through PP_MAGIC_MASK, which leaves the index bits out.',
    history: 'ee62ce7a1d90 "page_pool: Track DMA-mapped pages and unmap them when destroying the pool" (Toke Hoiland-Jorgensen, Apr 2025, v6.15; backported to stable, e.g. Debian 6.12.117). 32-bit consequence: with POISON_POINTER_DELTA 0 the v6.15 PP_MAGIC_MASK tests only bits 2-6 and 30-31 of pp_magic (index bits 7-29), so a non-pool page whose lru.next holds a pointer below 1 GiB with bits 2-6 = 0b10000 passes page_pool_page_is_pp (parisc crashed); 95920c2ed02b (v6.18-rc1, in 6.12.117) bounds the index by the lowest bit of PAGE_OFFSET instead. On arm32-lpae (VMSPLIT_3G, PAGE_OFFSET 0xC0000000) both masks are the same, and every kernel pointer (lowmem, vmalloc, modules at 0xBF000000) has bit 31 set, so no pointer can be mistaken for a pool page there. pp-sim does not show it: it keeps no lru.next words of non-pool pages and no virtual address layout; showing it would need the first word of struct page for every page use and a platform whose PAGE_OFFSET is below 1 GiB.',
    expect: 'Every built-in scenario passes (none leaves pages out at teardown, where the DMA tracking shows).',
    refs: ['pagepool-dma-semantics.md §1', 'pagepool-dma-semantics.md §2.9', 'pagepool-dma-semantics.md §4.1'],
  },
};

export interface KnobText {
  history: string;
  /** Combinations the resolver refuses, beyond the n/a rule. */
  constraints?: readonly string[];
  unverified?: readonly string[];
  refs: readonly string[];
}

export const KNOB_TEXT: Record<KnobName, KnobText> = {
  driver: {
    history: 'copybreak is mvneta_rx_swbm of v4.16-v5.4; page_pool arrived with the 2018 branches and upstream in v5.5.',
    constraints: ['driver=copybreak has no XDP (xdp must be none).'],
    refs: ['mvneta-workloads.md §2.2', 'mvneta-workloads.md §2.4'],
  },
  skb_recycle: {
    history: 'mem_info is the 2018 design (mvneta_03/04/07); none is v5.5-v5.13 upstream; pp_recycle is v5.14.',
    unverified: [UNVERIFIED.hook],
    refs: ['skbuff-semantics.md §5.0', 'pagepool-dma-semantics.md §3.6', 'skbuff-semantics.md §4.2'],
  },
  mem_info_placement: {
    history: 'headers is the pre-RFC placement (mvneta_03/04); flags is the fix squashed into the RFC (mvneta_07).',
    unverified: [UNVERIFIED.cloneCopy],
    refs: ['skbuff-semantics.md §1.2', 'skbuff-semantics.md §5.0', 'mvneta-workloads.md §2.3'],
  },
  hook_checks_head_frag: {
    history: 'Not a historical switch: the 2018 hook is modelled without the test (false on every branch); true shows what the test would have fixed (pskb_expand_head).',
    unverified: [UNVERIFIED.headFrag],
    refs: ['skbuff-semantics.md §5.2', 'skbuff-semantics.md §6'],
  },
  dma_addr_storage: {
    history: 'page-private until the Feb 2019 "Fix page_pool API and dma address storage" series (v5.1), prompted by DaveM\'s review of the RFC.',
    refs: ['pagepool-dma-semantics.md §4.1', 'pagepool-dma-semantics.md §4.2'],
  },
  dma_skip_cpu_sync: {
    history: '"page_pool: use DMA_ATTR_SKIP_CPU_SYNC for DMA mappings", part of the v5.1 series.',
    refs: ['pagepool-dma-semantics.md §5.1'],
  },
  pool_sync_for_device: {
    history: 'PP_FLAG_DMA_SYNC_DEV, Lorenzo Bianconi, Nov 2019 (v5.5). The 2018 driver syncs nothing for the device: mvneta_rx_refill takes page_pool_dev_alloc_pages and page_pool_get_dma_addr only, and the 2018 pool does not sync at put, so a recycled page goes back with whatever the CPU dirtied (dma-dirty-cacheline). The whole-buffer sync at every refill belonged to the Oct 2019 mvneta page_pool patch (refill_sync_for_device), which PP_FLAG_DMA_SYNC_DEV replaced.',
    refs: ['pagepool-dma-semantics.md §2.7', 'mvneta-workloads.md §2.4'],
  },
  jumbo_frags: {
    history: 'release is the 2018 design rule (only skb->head may be a pool page); recycle arrived with v5.14 (page_pool_store_mem_info on each frag); keep is the rule broken on purpose.',
    constraints: ['jumbo_frags=recycle needs skb_recycle=pp_recycle.', 'jumbo_frags=keep is not a pp_recycle design.'],
    refs: ['mvneta-workloads.md §2.3', 'mvneta-workloads.md §2.5', 'pagepool-dma-semantics.md §2.6'],
  },
  coalesce: {
    history: 'steal is stock skb_try_coalesce; release, frag_list and reject are the three options the 2018 notes list after Eric Dumazet\'s review; pp_match is v5.14 (6a5bcd84e886); pp_match_clone is 1effe8ca4e34 "skbuff: fix coalescing for page_pool fragment recycling" (v5.18, so 6.1.0): a cloned pp_recycle from may still join a plain to, taking page references on pool pages; pp_match_noclone is 0646dc31ca88 "skbuff: Fix a race between coalescing and releasing SKBs" (mainline v6.3, stable 6.1.25): pp_recycle must match and a cloned pp_recycle from is refused (upstream-6.1 as 6.1.y); pp_match_ppref is f7dc3248dcfb (v6.8, through v6.12 and later): a cloned pool `from` coalesces again, its frags taking pp_ref_count references instead of page references, so the page is recycled by its last holder rather than released.',
    constraints: ['coalesce=pp_match, pp_match_clone, pp_match_noclone and pp_match_ppref need skb_recycle=pp_recycle.'],
    refs: ['pagepool-dma-semantics.md §3.6', 'skbuff-semantics.md §4.5', 'skbuff-semantics.md §4.6', 'skbuff-semantics.md §5.2'],
  },
  gro: {
    history: 'Stock napi_gro_receive. On the Espressobin eth0\'s GRO has no offload for DSA-tagged frames; whether TCP is GRO\'d behind the switch is the dsa_rcv knob (gro_cells from v5.8), so GRO steals show on upstream-5.14/6.1 traffic, on arm32-lpae, and in step scenarios.',
    refs: ['skbuff-semantics.md §3.2', 'skbuff-semantics.md §5.1', 'contract.md §6'],
  },
  xdp: {
    history: 'none on mvneta_03/07 and the copybreak driver; drop_redirect on mvneta_04; all from v5.5.',
    refs: ['mvneta-workloads.md §2.3', 'mvneta-workloads.md §2.4'],
  },
  inflight_accounting: {
    history: 'pages_state_hold_cnt/release_cnt from v5.3; the pool waits for inflight == 0 at destroy from v5.5 (c3f812cea0d7).',
    refs: ['pagepool-dma-semantics.md §2.8', 'pagepool-dma-semantics.md §2.9'],
  },
  xdp_dma_dir: {
    history: 'mvneta maps DMA_BIDIRECTIONAL when a program is attached from v5.5 (needed by XDP_TX); the 2018 branches map DMA_FROM_DEVICE.',
    refs: ['pagepool-dma-semantics.md §5.1', 'mvneta-workloads.md §2.4'],
  },
  rx_copybreak: {
    history: 'The mvneta module parameter rx_copybreak (default 256) of the software buffer manager path.',
    refs: ['mvneta-workloads.md §2.2'],
  },
  rx_geometry: {
    history: 'v4.19: whole page from offset 0; rfc-2018: NET_SKB_PAD + Marvell header in front; v5.5: MVNETA_SKB_HEADROOM (256) for XDP.',
    refs: ['mvneta-workloads.md §2.7', 'mvneta-workloads.md §2.3', 'mvneta-workloads.md §2.4'],
  },
  fcs_only_desc: {
    history: 'ring: v4.20 mvneta_rx_swbm and the 2018 snapshots (left_size is 0, the descriptor is left untouched). release: v5.5-v5.8 mvneta_swbm_add_rx_fragment calls skb_add_rx_frag only when data_len > 0 but page_pool_release_page always, so the unmapped page is never attached nor freed (a page leak). recycle: v5.14+ (xdp_buff rework) page_pool_put_full_page(rxq->page_pool, page, true).',
    refs: ['mvneta-workloads.md §2.2', 'mvneta-workloads.md §2.3', 'mvneta-workloads.md §2.6'],
  },
  napi_budget: {
    history: 'packets: v4.20 and 2018 mvneta_rx_swbm loop while rcvd_pkts < budget. descriptors_carry: v5.5 "rely on build_skb" counts rx_proc (descriptors) and keeps the frame in rxq->skb across polls. descriptors_drop: v5.14+ keeps the frame in a local xdp_buff; a frame the budget cuts is freed with mvneta_xdp_put_buff and its remaining buffers, which arrive without FIRST_DESC, with page_pool_put_full_page(…, true).',
    unverified: ['The exact release that moved the frame from rxq->skb to a local xdp_buff (between v5.9 and v5.14) is unverified.'],
    refs: ['mvneta-workloads.md §2.2', 'mvneta-workloads.md §2.4', 'mvneta-workloads.md §2.6'],
  },
  pool_alloc: {
    history: 'ring_first: __page_pool_get_cached of v4.18-v5.0 (the 2018 branches and v5.1). cache_first: v5.5 page_pool_refill_alloc_cache shape (pagepool-dma-semantics §2.4 dates the reorder to v5.4). bulk: v5.13 alloc_pages_bulk_array slow path (PP_ALLOC_CACHE_REFILL pages, each mapped and held, alloc.slow counted once per call).',
    refs: ['pagepool-dma-semantics.md §2.3', 'pagepool-dma-semantics.md §2.4'],
  },
  refill_sync_for_device: {
    history: 'The mvneta page_pool conversion of Oct 2019 ("introduce page pool API for sw buffer manager") synced PAGE_SIZE, later MVNETA_MAX_RX_BUF_SIZE, for the device at every refill; "get rid of huge dma sync in mvneta_rx_refill" (v5.5) replaced it with PP_FLAG_DMA_SYNC_DEV. No built-in branch sets it: the 2018 driver never synced at refill.',
    refs: ['mvneta-workloads.md §2.4', 'mvneta-workloads.md §4'],
  },
  gro_pp_check: {
    history: '"skb: Do mix page pool and page referenced frags in GRO" (Alexander Duyck, Jan 2023), present in v6.1.y.',
    unverified: ['The mainline hash of the GRO fix is unverified.'],
    refs: ['skbuff-semantics.md §4.5', 'skbuff-semantics.md §4.6'],
  },
  direct_recycle: {
    history: 'driver up to v6.4 (only page_pool_recycle_direct / allow_direct puts from the driver\'s own poll); napi_skb from v6.5 (8c48eea3adf3 napi_pp_put_page, b07a2d97ba5e napi_safe); napi_any from v6.10 (4a96a4e807c3: page_pool_napi_local() inside page_pool_put_unrefed_netmem, so XDP frame returns and bulk frees qualify too). Execution contexts in pp-sim: napi = inside mvneta_poll on the CPU taking the RX interrupt (RX, XDP, GRO and its flush, the whole stack up to the socket queues: UDP drops, DSA skb_unshare, taps, tcp_v4_rcv coalescing, mvneta\'s TX completion); softirq = another CPU\'s softirq (the XDP_REDIRECT target\'s TX completion); process = readers (udp_recvmsg, tcp_recvmsg, packet_recvmsg, splice, munmap), release_sock\'s backlog, socket close, ifdown. Step scenarios: rx, napi_poll, xdp_return_frame and skb_gro_receive run as napi, the others as process, and `ctx: napi|softirq|process` on a step overrides it. page_pool.skb_return.{napi,softirq,process} count the pool pages skb frees hand back per context on every branch.',
    refs: ['pagepool-dma-semantics.md §2.5', 'skbuff-semantics.md §4.2'],
  },
  pool_napi: {
    history: 'page_pool_params.napi exists from v6.5 (8c48eea3adf3). mvneta has never set it (mvneta_create_page_pool), so none on every mvneta branch. rx is the design question: tie the pool to the RX NAPI (as bnxt and mlx5 do) and frees in napi context (counter page_pool.skb_return.napi) go to the cache (page_pool.recycle.cached) instead of the ring; frees in softirq on another CPU (page_pool.skb_return.softirq) and in process context (page_pool.skb_return.process) keep using the ring, because there the lockless cache would race the poll that allocates from it. On the notes\' workloads that is tcp and scp (the segments tcp_v4_rcv frees after copying them into the previous one\'s tailroom, about one in nine); UDP datagrams and coalesced TCP segments are freed by their readers in process context.',
    unverified: ['Readers run in process context on the poll\'s CPU. TCP\'s skb_attempt_defer_free (v5.17) sends a reader\'s frees on another CPU back to the allocating CPU, freed there in net_rx_action\'s softirq, where with pool_napi=rx they could reach the cache while the NAPI is scheduled: not modelled.'],
    refs: ['pagepool-dma-semantics.md §2.5'],
  },
  pool_dma_tracking: {
    history: 'ee62ce7a1d90 (v6.15): pool->dma_mapped xarray, index in pp_magic under PP_MAGIC_MASK, unmap of every outstanding page in page_pool_scrub at destroy. Off on upstream-6.12 (v6.12.0), on on upstream-6.15; Debian 6.12.y (6.12.117) carries it as a stable backport, so compare 6.12.y with --set pool_dma_tracking=true. What it changes at destroy and unbind is modelled with the pool\'s teardown.',
    refs: ['pagepool-dma-semantics.md §2.9', 'pagepool-dma-semantics.md §4.1'],
  },
  pool_release_retry: {
    history: 'xdp_mem: d956a048cd3f-era net/core/xdp.c of v5.3/v5.4 (mem_id_disconnect_defer_retry, DEFER_WARN_INTERVAL 30 s, DEFER_MAX_RETRIES 120, then a forced disconnect); page_pool: c3f812cea0d7 "page_pool: do not release pool until inflight == 0" (v5.5) moved the retry into page_pool_release_retry with a 60 s warning and no force; page_pool_id and page_pool_id_netlink: the netlink series of v6.8 added the pool id to the warning and muted it for pools whose netdev is registered (mvneta sets no pp_params.netdev, so its pools always warn).',
    unverified: ['The v5.3 late-return WARN_ON_ONCE in __xdp_return after a forced disconnect is modelled as the put_page fallback only.'],
    refs: ['pagepool-dma-semantics.md §2.8', 'pagepool-dma-semantics.md §2.9'],
  },
  dsa_rcv: {
    history: 'v4.20-v5.7 dsa_switch_rcv ends in netif_receive_skb; e131a5634830 "net: dsa: add GRO support via gro_cells" (Alexander Lobakin, v5.8; backported to 5.4.y and 4.19.y in 2021) ends it in gro_cells_receive on the slave device, after skb_unshare and the tagger, so TCP on the Espressobin\'s switch ports is GRO\'d from then on (a cloned skb goes to netif_rx instead). The 2018 branches and v5.5 predate it; upstream-5.14 and upstream-6.1 have it, which makes the GRO pp_recycle mixing (no gro_pp_check, upstream-5.14) and its refusal (upstream-6.1) reachable in traffic runs.',
    refs: ['contract.md §6', 'skbuff-semantics.md §3.2'],
  },
  backlog_coalesce: {
    history: '4f693b55c3d2 "tcp: implement coalescing on backlog queue" (Eric Dumazet, v5.0): tcp_add_backlog pulls the TCP header and tries skb_try_coalesce with the backlog tail (TCPBacklogCoalesce). v4.20\'s tcp_add_backlog only does skb_condense and sk_add_backlog. Both eras call skb_condense first.',
    unverified: [UNVERIFIED.backlog2018],
    refs: ['skbuff-semantics.md §3.2'],
  },
};

export interface PlatformText {
  model: string;
  unverified?: readonly string[];
  refs: readonly string[];
}

export const PLATFORM_TEXT: Record<string, PlatformText> = {
  espressobin: {
    model: 'The board of the 2018 notes. The wire is the switch\'s CPU port: every frame carries an 8-byte EDSA tag (1470-byte UDP datagrams arrive at most 80,958 per second). Received skbs pass dsa_switch_rcv, whose skb_unshare turns a clone (a copy-mode tap) into an skb_copy. eth0\'s GRO does not merge DSA-tagged frames; from v5.8 (dsa_rcv=gro_cells) the slave device GROs TCP after the tag is stripped.',
    unverified: [UNVERIFIED.dsa],
    refs: ['mvneta-workloads.md §3', 'skbuff-semantics.md §3.2', 'contract.md §6', 'branches.md Platforms'],
  },
  'arm32-lpae': {
    model: 'The platform of DaveM\'s review of the RFC: with dma_addr_storage=page-private (mvneta_03/04/07) every pool page shows dma-addr-truncated; dma-addr-in-page (v5.1) fixes it. Without a switch there is no DSA skb_unshare copy (no wrong-recycle in multicast-tap on mvneta_03) and GRO merges TCP segments.',
    unverified: ['This is a model of DaveM\'s review point, not a real mvneta board: mvneta\'s descriptors hold 32-bit addresses, so on a real Armada XP the DMA mask would keep buffers below 4 GiB.'],
    refs: ['pagepool-dma-semantics.md §3.6', 'pagepool-dma-semantics.md §4.2', 'branches.md Platforms'],
  },
};

export interface EraStepText {
  /** What the step runs, in kernel terms. */
  models: string;
  /** The kernel function per era, with its pp_recycle decisions. */
  kernel: string;
  /** Built-in step scenarios that use it. */
  scenarios: readonly string[];
  refs: readonly string[];
}

/** `pp-sim explain <step>` for the skb operations of issue 11 item 12 and the steps they changed. */
export const ERA_STEP_TEXT: Partial<Record<StepOp, EraStepText>> = {
  __pskb_pull_tail: {
    models: '__pskb_pull_tail(skb, len), as pskb_may_pull calls it when headers sit in the paged part: len paged bytes are copied into the head. len may not exceed the skb\'s paged bytes; a shared skb is an input error (the kernel requires users == 1).',
    kernel: 'net/core/skbuff.c, the same from v4.20 to v6.1: a head without len bytes of tailroom, or a cloned head, is replaced by pskb_expand_head(skb, 0, eat + 128) (a kmalloc head of ksize; the old head freed, or left to the clone); frags fully eaten are dropped with skb_frag_unref, frag_list members eaten whole are consumed and a shared one eaten in part is cloned. v5.14+ drops frags with __skb_frag_unref(frag, skb->pp_recycle): pool frags of a pp_recycle skb go back to the pool; before, put_page.',
    scenarios: ['pull-tail'],
    refs: ['skbuff-semantics.md §2.3', 'skbuff-semantics.md §5.2'],
  },
  skb_condense: {
    models: 'skb_condense(skb), as tcp_add_backlog (every era) and ___pskb_trim (skb not owned by a socket) call it.',
    kernel: 'net/core/skbuff.c, v4.20 = v6.1: a paged part that fits the tailroom of an uncloned skb is pulled into the head with __pskb_pull_tail (its frags dropped, recycled with pp_recycle on v5.14+); then truesize = SKB_TRUESIZE(end). A paged part larger than the tailroom, or a cloned skb, leaves the skb and its truesize alone.',
    scenarios: [],
    refs: ['skbuff-semantics.md §2.3'],
  },
  pskb_trim: {
    models: 'pskb_trim(skb, len): a paged skb goes through ___pskb_trim, a linear one only moves its tail.',
    kernel: 'net/core/skbuff.c ___pskb_trim, v4.20 = v6.1: a cloned skb first gets its own head (pskb_expand_head(skb, 0, 0): frags take a reference each, frag_list members a user each; skb_release_data on the shared head clears the clone\'s pp_recycle from v5.14, so its frags are plain page references from then on); frags past len are dropped (skb_frag_unref with pp_recycle), frag_list members past len freed, and an skb not owned by a socket is condensed (skb_condense). AF_PACKET\'s packet_rcv trims its clone this way for a snaplen shorter than the frame.',
    scenarios: ['snaplen-trim'],
    refs: ['skbuff-semantics.md §2.3', 'skbuff-semantics.md §5.2'],
  },
  skb_cow: {
    models: 'skb_cow(skb, headroom): make the head private and writable with at least headroom bytes in front of data.',
    kernel: 'include/linux/skbuff.h __skb_cow, v4.20 = v6.1: when headroom is short or the head is cloned, pskb_expand_head(skb, ALIGN(delta, NET_SKB_PAD), 0). The pool head is then freed through skb_free_head (recycled on v5.14+ when the skb is pp_recycle and not cloned); the new head is kmalloc\'ed, which the 2018 hook without a head_frag test hands to the pool (wrong-recycle).',
    scenarios: [],
    refs: ['skbuff-semantics.md §2.3', 'skbuff-semantics.md §6'],
  },
  skb_segment: {
    models: 'skb_segment(skb, mss) with scatter-gather, as validate_xmit_skb runs it for a GRO packet sent to a device without TSO. The 52 header bytes at skb->data are copied in front of each segment; mss defaults to the packet\'s payload over the segments GRO merged into it. Segments are named <as>.1, <as>.2, ...; skb stays with the scenario (the caller consumes it).',
    kernel: 'net/core/skbuff.c, v5.0 = v6.1: each segment is a new kmalloc skb (pp_recycle 0) holding the head\'s linear payload and, for every page piece it covers (frags, and frag_list members\' heads through skb_head_frag_to_page_desc), a page reference taken with __skb_frag_ref; a frag_list member that starts a segment is cloned instead (the clone keeps pp_recycle). No pp_recycle check up to 6.1.y: a pool page still referenced by a segment when the GRO packet returns it has refcount > 1, so the v5.14+ pool releases it (page_pool.recycle.released_refcnt) and the segment\'s put_page frees it.',
    scenarios: ['segment'],
    refs: ['skbuff-semantics.md §2.4', 'skbuff-semantics.md §5.1'],
  },
  skb_shift: {
    models: 'skb_shift(tgt, skb, len): move up to len bytes of skb\'s paged data to the end of tgt\'s frags, as tcp_shift_skb_data does for SACKed skbs on the sender\'s retransmit queue. skb must have no linear data, or nothing is shifted (as in the kernel); received skbs always have a head, so from a step scenario it shifts nothing.',
    kernel: 'net/core/skbuff.c, v5.0 = v6.1: whole frags move without a page reference, a partial frag takes one (__skb_frag_ref), a frag contiguous with tgt\'s last one is merged and dropped with __skb_frag_unref(frag, skb->pp_recycle) (v5.14+; put_page before); cloned skbs are uncloned first (pskb_expand_head). There is no pp_recycle check up to 6.1.y: pool frags shifted into a plain skb later leave the pool by put_page.',
    scenarios: [],
    refs: ['skbuff-semantics.md §5.2'],
  },
  packet_rcv: {
    models: 'A copy-mode AF_PACKET tap: deliver_skb shares the skb, packet_rcv clones it and drops the share; snaplen (optional, like tcpdump -s) trims the clone with pskb_trim.',
    kernel: 'net/packet/af_packet.c packet_rcv, v4.20 = v6.1: skb_clone when shared, then pskb_trim(skb, snaplen) before skb_set_owner_r, so a paged clone gets its own kmalloc head (___pskb_trim → pskb_expand_head) and is condensed.',
    scenarios: ['snaplen-trim'],
    refs: ['skbuff-semantics.md §3.2'],
  },
};
