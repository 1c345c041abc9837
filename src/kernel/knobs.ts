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
  coalesce: 'steal' | 'release' | 'frag_list' | 'reject' | 'pp_match' | 'pp_match_clone' | 'pp_match_noclone';
  gro: 'on' | 'off';
  xdp: 'none' | 'drop_redirect' | 'all';
  inflight_accounting: 'false' | 'true';
  xdp_dma_dir: 'from_device' | 'bidirectional';
  rx_copybreak: '256' | '128' | '0' | 'n/a';
  rx_geometry: 'v4.19' | 'rfc-2018' | 'v5.5';
  gro_pp_check: 'false' | 'true';
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
    values: ['steal', 'release', 'frag_list', 'reject', 'pp_match', 'pp_match_clone', 'pp_match_noclone'],
    meaning: 'what skb_try_coalesce does when from is pool-backed: steal (stock), release (option 1: unmap the head from the pool before stealing it), frag_list (option 2: chain from on to\'s frag_list instead of stealing), reject (option 3: refuse, tailroom copy too), pp_match (v5.14: refuse when pp_recycle differs), pp_match_clone (v6.1: refuse unless to.pp_recycle == (from.pp_recycle && !skb_cloned(from))), pp_match_noclone (6.1.25+, 0646dc31ca88: refuse when pp_recycle differs or from is a cloned pp_recycle skb)',
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
};

export const KNOB_NAMES = Object.keys(KNOBS) as KnobName[];

export function isKnobName(s: string): s is KnobName {
  return Object.hasOwn(KNOBS, s);
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
