/**
 * Texts of `pp-sim explain`: data only, rendered by commands/explain.ts. The `seen` lists are checked
 * by test/cli/explain.test.ts against real runs of every built-in scenario under every branch, so
 * they cannot drift from the model. References are sections of the documents in docs/ (a test checks that each exists).
 */
import type { KnobName } from '../kernel/knobs.js';
import type { LeakKind, ViolationKind } from '../kernel/names.js';

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
const STEALS = ['tcp', 'scp', 'jumbo', 'coalesce', 'gro-head-steal'] as const;

/** Unverified facts, shared by several entries. */
export const UNVERIFIED = {
  hook: 'The 2018 hook body (skb_free_head -> xdp_return_skb_page -> page_pool_put_page(pool, virt_to_head_page(head), false)) is reconstructed from the project notes and the 2021 re-spin; the RFC patch bodies were not in the archives.',
  headFrag: 'That the 2018 hook did not test skb->head_frag is inferred: the bug showed on skb_copy/pskb_copy heads, which have head_frag = 0.',
  cloneCopy: 'That the RFC\'s __skb_clone copied mem_info explicitly (as the 2021 re-spin did with C(pp_recycle)) is unverified; without it a clone freed last would leak the page (the L outcome).',
  adopt: 'That a 2018 pool adopts foreign memory (recycles a refcount-1 slab page into its ring, or put_page()s it) is inferred from v5.0 __xdp_return and __page_pool_put_page; the notes only say the hook "is invoked, for this mem-area that didn\'t originate from page_pool".',
  dsa: 'That DSA\'s skb_unshare turns every earlier clone into a full skb_copy on the Espressobin, and that DSA-tagged frames got no GRO in v5.0, is inferred.',
  snapshots: 'Which stored bpf-next snapshot belongs to which 2018 branch (mvneta_03/04/07) is unverified; the branches are built from the notes plus those snapshots.',
} as const;

export const VIOLATION_TEXT: Record<ViolationKind, FindingText> = {
  'wrong-recycle': {
    means: 'Memory that never came from this page_pool was handed to page_pool_put_page as if it were a pool page: the kmalloc\'ed head of an skb_copy, pskb_copy or pskb_expand_head result, a page_frag page, or a page of another pool. In the 2018 designs the return hook in skb_free_head trusts skb->mem_info alone; with mem_info inside headers_start..headers_end, __copy_skb_header copies it into every skb_copy/pskb_copy result (the documented pre-RFC bug), and because the hook does not test head_frag, pskb_expand_head leaves mem_info on a new kmalloc head even with the RFC placement.',
    kernel: 'The 2018 kernels have no signature check: the pool adopts the memory. A slab page whose refcount happens to be 1 goes into the ptr_ring and is posted to the NIC for a later frame, which then overwrites whatever else lives in that slab page; otherwise put_page() on a slab page ends in a refcount splat. The symptom shows up later and elsewhere, not at the free. v5.14+ checks page->pp_magic (PP_SIGNATURE) and hands non-pool memory back to put_page/skb_free_frag, and skb_free_head consults the pool only for head_frag heads.',
    model: 'pp-sim records wrong-recycle with the object and call path of the free, then completes the free the correct way (kfree for a kmalloc head, page_frag_free for a page_frag head), so one root cause gives one finding and the later counters stay meaningful (contract §6 "Wrong recycle"). It does not model the corruption the real 2018 kernel would cause afterwards.',
    seen: [
      { branches: ['mvneta_03', 'mvneta_04'], scenarios: ['skb-copy', 'pskb-copy', 'expand-head', 'multicast-tap'], note: 'multicast-tap: the copy-mode tap clones, and DSA\'s skb_unshare turns the clone into an skb_copy' },
      { branches: ['mvneta_07', 'dma-addr-in-page'], scenarios: ['expand-head'], note: 'mem_info after the flags fixes the copies, not pskb_expand_head; --set hook_checks_head_frag=true is clean' },
      { branches: ['mvneta_03', 'mvneta_04'], scenarios: ['skb-copy', 'pskb-copy', 'expand-head'], platform: 'arm32-lpae', note: 'no switch, so no skb_unshare copy in multicast-tap' },
      { branches: ['mvneta_07', 'dma-addr-in-page'], scenarios: ['expand-head'], platform: 'arm32-lpae' },
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
      { branches: PAGE_POOL_2018, scenarios: STEALS, note: 'coalesce=steal and GRO head steal on pool-backed skbs; jumbo and scp include TCP coalescing' },
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
    kernel: 'dma-debug: "device driver syncs DMA memory outside allocated range".',
    model: 'pp-sim compares offset + length of every sync with the mapping\'s size.',
    seen: [],
    howTo: 'No built-in branch or scenario produces it; it guards custom branches and model changes.',
    functions: ['dma_sync_single_range_for_cpu', 'dma_sync_single_range_for_device', 'page_pool_dma_sync_for_device'],
    refs: ['pagepool-dma-semantics.md §2.7', 'pagepool-dma-semantics.md §5.3'],
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
};

const XDP_FRAME_NOT_RETURNED = 'A step scenario that never returns an XDP frame, e.g. `xdp: redirect` with steps `- rx: { as: f, len: 60 }` and no xdp_return_frame: f';

export const LEAK_TEXT: Record<LeakKind, FindingText> = {
  'pool-inflight': {
    means: 'The pool was destroyed while pages it handed out had not come back (hold_cnt - release_cnt > 0), and no leaked skb holds them.',
    kernel: 'v5.5+ keeps the pool alive and prints "page_pool_release_retry() stalled pool shutdown %d inflight %d sec" every 60 s; before v5.3 a destroyed pool simply forgot the pages.',
    model: 'Judged after teardown, only when the pool does its own accounting (inflight_accounting=true: v5.5, upstream-5.14, upstream-6.1). Leaks go to the outermost owner (contract §4.3): pages held by a leaked skb are an skb leak, not this.',
    seen: [
      { branches: ['mvneta_07'], scenarios: ['tcp', 'coalesce', 'gro-head-steal'], set: ['inflight_accounting=true'], note: 'stolen pool frags freed by put_page never come back' },
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
    howTo: `${XDP_FRAME_NOT_RETURNED}, on mvneta_04 (a 2018 pool forgets its pages at destroy).`,
    functions: ['alloc_pages', 'put_page', 'page_pool_destroy'],
    refs: ['pagepool-dma-semantics.md §2.9', 'contract.md §4.3'],
  },
  skb: {
    means: 'sk_buffs never freed; in a step scenario, any skb, pipe or mapping the steps never released. Pages, mappings and pool pages they hold are not reported again.',
    kernel: 'kmemleak-style report (skbuff_head_cache); the kernel itself stays silent.',
    model: 'A step scenario ends exactly where its steps end, so `rx a` with no free is one skb leak on every branch (contract §2.1, §4.3).',
    seen: [
      { branches: ['mvneta_07', 'upstream-6.1'], scenarios: ['coalesce'], set: ['coalesce=reject'], note: 'the refused `from` stays with the scenario, which never frees it' },
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
    expect: 'ci --branch mvneta_03 fails skb-copy, pskb-copy and multicast-tap (wrong-recycle), expand-head, and the TCP/GRO/jumbo cases (pp-page-as-frag, freed-while-mapped); it cannot run the XDP scenarios.',
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
    expect: 'Copies are clean; expand-head still shows wrong-recycle (the hook does not test head_frag), and TCP coalescing/GRO steal pool heads (pp-page-as-frag, freed-while-mapped): Eric Dumazet\'s point.',
    unverified: [UNVERIFIED.hook, UNVERIFIED.headFrag, UNVERIFIED.cloneCopy],
    refs: ['mvneta-workloads.md §2.3', 'pagepool-dma-semantics.md §3.6', 'skbuff-semantics.md §5.0', 'skbuff-semantics.md §5.2'],
  },
  'dma-addr-in-page': {
    represents: 'The RFC (mvneta_07) plus the Feb 2019 series "Fix page_pool API and dma address storage": the DMA address in a struct page field instead of page->private, and DMA_ATTR_SKIP_CPU_SYNC on map/unmap.',
    history: 'That series landed in v5.1 (c25fff7171be "mm: add dma_addr_t to struct page"); the RFC itself did not, so this branch is the "what if" of the RFC on top of the fix. It removes dma-addr-truncated on arm32-lpae.',
    expect: 'As mvneta_07 on the Espressobin; on arm32-lpae the copies run without dma-addr-truncated.',
    unverified: ['The v5.1 tag of the dma address series is inferred from its posting date.'],
    refs: ['pagepool-dma-semantics.md §1', 'pagepool-dma-semantics.md §4.1', 'pagepool-dma-semantics.md §5.1'],
  },
  'v5.5': {
    represents: 'Upstream mvneta on page_pool without SKB recycling: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, build_skb, and page_pool_release_page before the stack sees the page, so every frame that reaches the stack leaves the pool. Full XDP (DROP, PASS, TX, REDIRECT, ndo_xdp_xmit), DMA_BIDIRECTIONAL with a program attached, in-flight accounting and a pool that waits for its pages at destroy.',
    history: 'Lorenzo Bianconi\'s conversion (Oct-Nov 2019), with Jonathan Lemon\'s "do not release pool until inflight == 0" (c3f812cea0d7) and the DMA sync offload.',
    expect: 'No findings, but most built-in expect blocks ask for recycling (page_pool.recycle.ring), so ci --branch v5.5 fails multicast and most step scenarios on counters, not on findings.',
    refs: ['mvneta-workloads.md §2.4', 'pagepool-dma-semantics.md §1', 'pagepool-dma-semantics.md §2.9'],
  },
  'upstream-5.14': {
    represents: 'The final design: skb->pp_recycle (a flag bit outside the header region, copied by __skb_clone, cleared by skb_release_data), page->pp_magic (PP_SIGNATURE) and page->pp; heads and frags return through page_pool_return_skb_page; skb_try_coalesce refuses when pp_recycle differs; no GRO check yet.',
    history: '"page_pool: recycle buffers" by Matteo Croce and Ilias Apalodimas (Mar-Jun 2021), 6a5bcd84e886 and "mvneta: recycle buffers" (e4017570daee), merged for v5.14, with the fix 2cc3aeb5eccc.',
    expect: 'Every built-in scenario passes.',
    unverified: ['The v5.14 tag and the exact v5.14 signature of skb_mark_for_recycle are inferred.'],
    refs: ['skbuff-semantics.md §4.1', 'skbuff-semantics.md §4.2', 'skbuff-semantics.md §4.3', 'mvneta-workloads.md §2.5'],
  },
  'upstream-6.1': {
    represents: 'upstream-5.14 plus the coalesce fix for cloned pool skbs (refuse unless to.pp_recycle == (from.pp_recycle && !skb_cloned(from))) and skb_gro_receive refusing to mix pp_recycle and plain skbs.',
    history: '1effe8ca4e34 "skbuff: fix coalescing for page_pool fragment recycling" (Mar 2022, CVE-2022-49093) and "skb: Do mix page pool and page referenced frags in GRO" (Jan 2023, present in v6.1.y). The default branch of the built-in scenarios: their expect blocks describe it.',
    expect: 'Every built-in scenario passes.',
    unverified: ['The mainline hash of the GRO fix is unverified.'],
    refs: ['skbuff-semantics.md §4.5', 'skbuff-semantics.md §4.6'],
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
    history: 'PP_FLAG_DMA_SYNC_DEV, Lorenzo Bianconi, Nov 2019 (v5.5); before it mvneta synced the whole buffer at every refill.',
    refs: ['pagepool-dma-semantics.md §2.7', 'mvneta-workloads.md §2.4'],
  },
  jumbo_frags: {
    history: 'release is the 2018 design rule (only skb->head may be a pool page); recycle arrived with v5.14 (page_pool_store_mem_info on each frag); keep is the rule broken on purpose.',
    constraints: ['jumbo_frags=recycle needs skb_recycle=pp_recycle.', 'jumbo_frags=keep is not a pp_recycle design.'],
    refs: ['mvneta-workloads.md §2.3', 'mvneta-workloads.md §2.5', 'pagepool-dma-semantics.md §2.6'],
  },
  coalesce: {
    history: 'steal is stock skb_try_coalesce; release, frag_list and reject are the three options the 2018 notes list after Eric Dumazet\'s review; pp_match is v5.14; pp_match_clone is 1effe8ca4e34 (v6.1).',
    constraints: ['coalesce=pp_match and pp_match_clone need skb_recycle=pp_recycle.'],
    refs: ['pagepool-dma-semantics.md §3.6', 'skbuff-semantics.md §4.5', 'skbuff-semantics.md §4.6', 'skbuff-semantics.md §5.2'],
  },
  gro: {
    history: 'Stock napi_gro_receive; with the Espressobin\'s DSA switch GRO does not merge (contract §6), so GRO steals show only without DSA or in step scenarios.',
    unverified: [UNVERIFIED.dsa],
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
  gro_pp_check: {
    history: '"skb: Do mix page pool and page referenced frags in GRO" (Alexander Duyck, Jan 2023), present in v6.1.y.',
    unverified: ['The mainline hash of the GRO fix is unverified.'],
    refs: ['skbuff-semantics.md §4.5', 'skbuff-semantics.md §4.6'],
  },
};

export interface PlatformText {
  model: string;
  unverified?: readonly string[];
  refs: readonly string[];
}

export const PLATFORM_TEXT: Record<string, PlatformText> = {
  espressobin: {
    model: 'The board of the 2018 notes. The wire is the switch\'s CPU port: every frame carries an 8-byte EDSA tag (1470-byte UDP datagrams arrive at most 80,958 per second). Received skbs pass dsa_switch_rcv, whose skb_unshare turns a clone (a copy-mode tap) into an skb_copy, and GRO does not merge DSA-tagged frames.',
    unverified: [UNVERIFIED.dsa],
    refs: ['mvneta-workloads.md §3', 'skbuff-semantics.md §3.2', 'contract.md §6', 'branches.md Platforms'],
  },
  'arm32-lpae': {
    model: 'The platform of DaveM\'s review of the RFC: with dma_addr_storage=page-private (mvneta_03/04/07) every pool page shows dma-addr-truncated; dma-addr-in-page (v5.1) fixes it. Without a switch there is no DSA skb_unshare copy (no wrong-recycle in multicast-tap on mvneta_03) and GRO merges TCP segments.',
    unverified: ['This is a model of DaveM\'s review point, not a real mvneta board: mvneta\'s descriptors hold 32-bit addresses, so on a real Armada XP the DMA mask would keep buffers below 4 GiB.'],
    refs: ['pagepool-dma-semantics.md §3.6', 'pagepool-dma-semantics.md §4.2', 'branches.md Platforms'],
  },
};
