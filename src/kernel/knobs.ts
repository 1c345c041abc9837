/** Knobs of branches.md: the design choices a branch makes. The model reads these, never branch names. */

export interface Knobs {
  driver: 'copybreak' | 'page_pool';
  skb_recycle: 'none' | 'mem_info' | 'pp_recycle';
  mem_info_placement: 'headers' | 'flags' | 'n/a';
  hook_checks_head_frag: 'false' | 'true' | 'n/a';
  dma_addr_storage: 'page-private' | 'page-dma_addr' | 'n/a';
  dma_skip_cpu_sync: 'false' | 'true' | 'n/a';
  pool_sync_for_device: 'false' | 'true' | 'n/a';
  jumbo_frags: 'release' | 'keep' | 'recycle' | 'n/a';
  coalesce: 'steal' | 'release' | 'frag_list' | 'reject' | 'pp_match' | 'pp_match_clone' | 'pp_match_noclone' | 'pp_match_ppref';
  gro: 'on' | 'off';
  xdp: 'none' | 'drop_redirect' | 'all';
  inflight_accounting: 'false' | 'true';
  xdp_dma_dir: 'from_device' | 'bidirectional';
  rx_copybreak: '256' | '128' | '0' | 'n/a';
  rx_geometry: 'v4.19' | 'rfc-2018' | 'v5.5';
  gro_pp_check: 'false' | 'true';
  direct_recycle: 'driver' | 'napi_skb' | 'napi_any';
  pool_napi: 'none' | 'rx';
  pool_dma_tracking: 'false' | 'true' | 'n/a';
  fcs_only_desc: 'ring' | 'release' | 'recycle' | 'n/a';
  napi_budget: 'packets' | 'descriptors_carry' | 'descriptors_drop';
  pool_alloc: 'ring_first' | 'cache_first' | 'bulk' | 'n/a';
  refill_sync_for_device: 'false' | 'true' | 'n/a';
  pool_release_retry: 'xdp_mem' | 'page_pool' | 'page_pool_id' | 'page_pool_id_netlink' | 'n/a';
  dsa_rcv: 'netif_receive_skb' | 'gro_cells';
  backlog_coalesce: 'false' | 'true';
}
export type KnobName = keyof Knobs;

export interface KnobSpec {
  values: readonly string[];
  meaning: string;
  /** When the knob applies; otherwise it reads n/a. */
  appliesWhen?: { knob: KnobName; values: readonly string[] };
}

export const KNOBS: { [K in KnobName]: KnobSpec } = {
  driver: {
    values: ['copybreak', 'page_pool'],
    meaning: 'copybreak: pre-page_pool mvneta (map/unmap per buffer, up to 256 B copied into a new skb, rest attached as a frag); page_pool: one pool page per descriptor, build_skb on the pool page',
  },
  skb_recycle: {
    values: ['none', 'mem_info', 'pp_recycle'],
    meaning: 'how pages come back from the stack: none (driver releases the page from the pool before the stack sees it, v5.5-v5.13), mem_info (2018: xdp_mem_info in the skb, hook in skb_free_head -> xdp_return_skb_page), pp_recycle (v5.14: skb->pp_recycle + page->pp_magic, heads and frags return through page_pool_return_skb_page)',
  },
  mem_info_placement: {
    values: ['headers', 'flags'],
    meaning: 'headers: inside headers_start..headers_end, so __copy_skb_header copies it into skb_copy/pskb_copy results (the pre-RFC bug); flags: right after head_frag/pfmemalloc, copied only by __skb_clone',
    appliesWhen: { knob: 'skb_recycle', values: ['mem_info'] },
  },
  hook_checks_head_frag: {
    values: ['false', 'true'],
    meaning: 'whether the mem_info hook in skb_free_head also requires skb->head_frag (without it, pskb_expand_head leaves mem_info on a kmalloc head)',
    appliesWhen: { knob: 'skb_recycle', values: ['mem_info'] },
  },
  dma_addr_storage: {
    values: ['page-private', 'page-dma_addr'],
    meaning: 'where the pool keeps the DMA address: page->private (unsigned long, 32 bits on 32-bit ARM) or a struct page field (v5.1)',
    appliesWhen: { knob: 'driver', values: ['page_pool'] },
  },
  dma_skip_cpu_sync: {
    values: ['false', 'true'],
    meaning: 'the pool maps/unmaps with DMA_ATTR_SKIP_CPU_SYNC (the driver owns all syncs)',
    appliesWhen: { knob: 'driver', values: ['page_pool'] },
  },
  pool_sync_for_device: {
    values: ['false', 'true'],
    meaning: 'PP_FLAG_DMA_SYNC_DEV: the pool syncs min(dma_sync_size, max_len) for the device on recycle',
    appliesWhen: { knob: 'driver', values: ['page_pool'] },
  },
  jumbo_frags: {
    values: ['release', 'keep', 'recycle'],
    meaning: 'pages after the first descriptor of a frame: release (page_pool_unmap_page before skb_add_rx_frag, the 2018 rule), keep (attached with pool DMA state; breaks the head-only rule), recycle (needs pp_recycle: marked frags return to the pool, v5.14)',
    appliesWhen: { knob: 'driver', values: ['page_pool'] },
  },
  coalesce: {
    values: ['steal', 'release', 'frag_list', 'reject', 'pp_match', 'pp_match_clone', 'pp_match_noclone', 'pp_match_ppref'],
    meaning: 'what skb_try_coalesce does when from is pool-backed: steal (stock), release (option 1: unmap the head from the pool before stealing it), frag_list (option 2: chain from on to\'s frag_list instead of stealing), reject (option 3: refuse, tailroom copy too), pp_match (v5.14: refuse when pp_recycle differs), pp_match_clone (v6.1: refuse unless to.pp_recycle == (from.pp_recycle && !skb_cloned(from))), pp_match_noclone (v6.3 0646dc31ca88, 6.1.25+: refuse when to.pp_recycle != from.pp_recycle || (from.pp_recycle && skb_cloned(from))), pp_match_ppref (v6.8 f7dc3248dcfb: refuse when pp_recycle differs; a cloned pool from gives its frags pp_ref_count references, skb_pp_frag_ref)',
  },
  gro: { values: ['on', 'off'], meaning: 'napi_gro_receive merging on TCP flows (head steal, frags, frag_list)' },
  xdp: { values: ['none', 'drop_redirect', 'all'], meaning: 'XDP verdicts the driver supports (all = PASS/DROP/TX/REDIRECT)' },
  inflight_accounting: {
    values: ['false', 'true'],
    meaning: 'the pool tracks hold/release itself and waits for inflight pages at destroy (v5.3+); without it a destroyed pool forgets pages still out',
  },
  xdp_dma_dir: {
    values: ['from_device', 'bidirectional'],
    meaning: "the pool's DMA direction when an XDP program is attached (2018: from_device; v5.5+: bidirectional)",
  },
  rx_copybreak: {
    values: ['256', '128', '0'],
    meaning: 'with driver=copybreak: the first max(rx_copybreak, 128) bytes of every frame are copied into a fresh skb (v4.19 mvneta_rx_swbm)',
    appliesWhen: { knob: 'driver', values: ['copybreak'] },
  },
  rx_geometry: {
    values: ['v4.19', 'rfc-2018', 'v5.5'],
    meaning: 'RX buffer layout in the page: v4.19 4096 B at offset 0; rfc-2018 3712 B after NET_SKB_PAD (64) + 2-byte Marvell header; v5.5 3520 B after 256 B of headroom',
  },
  gro_pp_check: {
    values: ['false', 'true'],
    meaning: 'skb_gro_receive refuses to merge skbs whose pp_recycle differs (v6.2, backported to v6.1.y)',
  },
  direct_recycle: {
    values: ['driver', 'napi_skb', 'napi_any'],
    meaning: "who may put a page into the pool's lockless alloc cache: driver (only the driver's own allow_direct puts in its NAPI poll, up to v6.4), napi_skb (v6.5 8c48eea3adf3 napi_pp_put_page: also an skb free, when in softirq on the CPU that owns the pool's NAPI), napi_any (v6.10 4a96a4e807c3 page_pool_napi_local in page_pool_put_unrefed_netmem: every put without allow_direct, skb or not, under the same rule)",
    appliesWhen: { knob: 'driver', values: ['page_pool'] },
  },
  pool_napi: {
    values: ['none', 'rx'],
    meaning: "the driver's page_pool_params.napi: none (mvneta_create_page_pool passes none, and page_pool_create leaves cpuid -1, so the NAPI-local rule never holds) or rx (the pool is tied to the RX NAPI: frees in softirq on the CPU running that NAPI may use the cache)",
    appliesWhen: { knob: 'direct_recycle', values: ['napi_skb', 'napi_any'] },
  },
  pool_dma_tracking: {
    values: ['false', 'true'],
    meaning: 'the pool keeps an xarray of the pages it DMA-mapped and unmaps them all at destroy, so a page returned later is not unmapped through a gone device (v6.15, ee62ce7a1d90; backported to 6.12.y)',
    appliesWhen: { knob: 'driver', values: ['page_pool'] },
  },
  pool_release_retry: {
    values: ['page_pool', 'xdp_mem', 'page_pool_id', 'page_pool_id_netlink'],
    meaning: 'how a pool destroyed with pages in flight waits for them (a retry every second): xdp_mem (v5.3-v5.4 mem_id_disconnect_defer_retry: "stalled mem.id=%u shutdown %d attempts %d sec" every 30 s, forced disconnect after 120 attempts), page_pool (v5.5-v6.7 page_pool_release_retry: "stalled pool shutdown %d inflight %d sec" every 60 s, no force), page_pool_id (v6.8+: "stalled pool shutdown: id %u, %d inflight %d sec" for a pool without pp_params.netdev, as mvneta\'s), page_pool_id_netlink (v6.8+ for a netlink-visible pool: muted until the netdev is unregistered)',
    appliesWhen: { knob: 'inflight_accounting', values: ['true'] },
  },
  fcs_only_desc: {
    values: ['ring', 'release', 'recycle'],
    meaning: 'a frame\'s last RX buffer that holds only FCS bytes: ring (left on the ring untouched, v4.20 and 2018), release (v5.5-v5.8 mvneta_swbm_add_rx_fragment: page_pool_release_page and never freed, a page leak), recycle (v5.14+: page_pool_put_full_page(..., true))',
    appliesWhen: { knob: 'driver', values: ['page_pool'] },
  },
  napi_budget: {
    values: ['packets', 'descriptors_carry', 'descriptors_drop'],
    meaning: 'what mvneta_rx_swbm counts against the NAPI budget: packets (v4.20 and 2018), descriptors_carry (v5.5-v5.9: a frame cut by the budget continues in the next poll through rxq->skb), descriptors_drop (v5.14+: the cut frame is dropped with mvneta_xdp_put_buff and its remaining buffers with page_pool_put_full_page)',
  },
  pool_alloc: {
    values: ['ring_first', 'cache_first', 'bulk'],
    meaning: 'page_pool allocation shape: ring_first (v4.18-v5.0 __page_pool_get_cached: an empty ptr_ring means the slow path even with pages in the alloc cache, and a refill that drains the ring before 64 pages returns NULL), cache_first (v5.5: cache, then refill from the ring, then one page), bulk (v5.13+: the slow path allocates, maps and holds 64 pages at once)',
    appliesWhen: { knob: 'driver', values: ['page_pool'] },
  },
  refill_sync_for_device: {
    values: ['false', 'true'],
    meaning: 'the driver syncs the whole RX buffer for the device at every refill (mvneta page_pool conversion, Oct 2019, removed in v5.5 by "get rid of huge dma sync in mvneta_rx_refill"); the 2018 driver does not',
    appliesWhen: { knob: 'driver', values: ['page_pool'] },
  },
  dsa_rcv: {
    values: ['netif_receive_skb', 'gro_cells'],
    meaning: 'where dsa_switch_rcv hands a frame after stripping the tag: netif_receive_skb on the slave device (v4.20-v5.7, no GRO behind the switch) or gro_cells_receive, so TCP behind the switch is GRO\'d on the slave device (v5.8, e131a5634830); applies with the dsa platform fact',
  },
  backlog_coalesce: {
    values: ['false', 'true'],
    meaning: 'tcp_add_backlog tries skb_try_coalesce with the backlog tail before sk_add_backlog (v5.0, 4f693b55c3d2); false: skb_condense + sk_add_backlog only (v4.20)',
  },
};

export const KNOB_NAMES = Object.keys(KNOBS) as KnobName[];

export function isKnobName(s: string): s is KnobName {
  return Object.hasOwn(KNOBS, s);
}

/**
 * The value as the literal of its KNOBS entry: a string read from YAML is a fresh heap string, and
 * the model compares knobs with literals on every packet; against the same literal that is one
 * pointer test instead of a character compare.
 */
export function internKnob(k: KnobName, v: string): string {
  if (v === 'n/a') return 'n/a';
  return KNOBS[k].values.find((x) => x === v) ?? v;
}

/** Platform facts of branches.md; overridable with --set. */
export interface PlatformFacts {
  dsa: boolean;
  coherent_dma: boolean;
  page_size: number;
  /** Bytes of RAM. */
  ram: number;
  long_bits: 32 | 64;
  /** Physical pages above 4 GiB are handed out first (LPAE highmem). */
  high_pages_first: boolean;
}

export const PLATFORM_FACT_NAMES = ['dsa', 'coherent_dma', 'page_size', 'ram', 'long_bits', 'high_pages_first'] as const;
