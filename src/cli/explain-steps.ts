/**
 * Texts of `pp-sim explain <step>` and `pp-sim explain seed`: data only, rendered by
 * commands/explain.ts. What a step does in each era comes from the knobs it reads (listed here),
 * resolved per built-in branch at render time, so it cannot drift from the branch files.
 */
import type { KnobName } from '../kernel/knobs.js';
import type { StepOp } from '../sim/scenario.js';

export interface StepText {
  /** What the step does (contract §2.1), in kernel terms. */
  does: string;
  /** What the step consumes, and when; what it creates. */
  consumes: string;
  /** The kernel function(s) it follows, with the tree they come from. */
  follows: string;
  /** The knobs whose values change what it does: the per-era section lists them by branch. */
  knobs: readonly KnobName[];
}

const FREE_KNOBS = ['skb_recycle', 'mem_info_placement', 'hook_checks_head_frag', 'jumbo_frags'] as const;

export const STEP_TEXT: Record<StepOp, StepText> = {
  rx: {
    does: 'One NAPI poll that receives one frame: the descriptor(s) of the frame, dma_sync_single_range_for_cpu of the received length, the skb the branch builds (copybreak: a new skb with the first bytes copied and the rest as a frag; page_pool: build_skb on the pool page), the XDP program first when the scenario attaches one, eth_type_trans, then the ring refill.',
    consumes: 'Consumes nothing. `as` names the skb exactly as the driver hands it to the stack; with xdp: tx or redirect it names the XDP frame; with xdp: drop nothing is left to name (an input error). `len` more than nic.mtu + 14 is an input error.',
    follows: 'mvneta_poll → mvneta_rx_swbm (v4.19 copybreak; the 2018 RFC and v5.5+ page_pool versions) → build_skb / napi_alloc_skb → eth_type_trans.',
    knobs: ['driver', 'rx_copybreak', 'rx_geometry', 'skb_recycle', 'jumbo_frags', 'dma_skip_cpu_sync', 'xdp', 'xdp_dma_dir'],
  },
  skb_clone: {
    does: 'A second sk_buff that shares the head and the frags of `skb` (dataref + 1); both are marked cloned. What the clone inherits of the recycling mark is the era\'s choice: 2018 mem_info is copied only when it sits where __skb_clone copies it, v5.14+ copies pp_recycle.',
    consumes: 'Consumes nothing; `as` names the clone.',
    follows: 'skb_clone → __skb_clone → __copy_skb_header (net/core/skbuff.c, v4.20 and v5.14+).',
    knobs: ['skb_recycle', 'mem_info_placement'],
  },
  skb_copy: {
    does: 'A new sk_buff with a kmalloc\'ed linear head holding all of the data (head and frags copied); the header fields come through __copy_skb_header, so a recycling mark placed in the header region (mvneta_03/04) lands on the copy, whose head is not a pool page.',
    consumes: 'Consumes nothing; `as` names the copy.',
    follows: 'skb_copy → __alloc_skb, skb_copy_bits, skb_copy_header → __copy_skb_header (net/core/skbuff.c).',
    knobs: ['skb_recycle', 'mem_info_placement'],
  },
  pskb_copy: {
    does: 'A new sk_buff with a private kmalloc\'ed copy of the linear part and the frags shared (get_page on each); header fields through __copy_skb_header, as for skb_copy.',
    consumes: 'Consumes nothing; `as` names the copy.',
    follows: '__pskb_copy_fclone → __alloc_skb, skb_frag_ref, skb_copy_header (net/core/skbuff.c).',
    knobs: ['skb_recycle', 'mem_info_placement'],
  },
  pskb_expand_head: {
    does: 'pskb_expand_head(skb, 0, 0): a new kmalloc\'ed head with the linear data copied, a reference on every frag, and the old head released through skb_release_data → skb_free_head (the pool page goes back the era\'s way). On a shared skb this is a BUG() in the kernel and an input error here.',
    consumes: 'Consumes nothing; `skb` keeps its name with its new head.',
    follows: 'pskb_expand_head → skb_release_data → skb_free_head (net/core/skbuff.c).',
    knobs: ['skb_recycle', 'mem_info_placement', 'hook_checks_head_frag'],
  },
  skb_unshare: {
    does: 'If `skb` is cloned: skb_copy, then kfree_skb of the original; if not: the same skb back.',
    consumes: 'Consumes `skb` only when it was cloned (it is freed after the copy); otherwise `as` is a second name for the same skb and `skb` stays valid.',
    follows: 'skb_unshare → skb_copy + kfree_skb (include/linux/skbuff.h).',
    knobs: ['skb_recycle', 'mem_info_placement'],
  },
  skb_try_coalesce: {
    does: 'Appends the data of `from` to `to` as TCP\'s receive queue does: a copy into to\'s tailroom when it fits, otherwise from\'s frags (and its head, stolen as a frag when it is a page fragment) move to `to`; the era decides what happens when `from` is pool-backed (the coalesce knob: steal, release, frag_list, reject, pp_match, pp_match_clone, pp_match_noclone, pp_match_ppref). Then kfree_skb_partial(from, stolen) as tcp_try_coalesce does.',
    consumes: 'Consumes `from` only when the coalesce succeeds (copied, frags moved or head stolen: freed by kfree_skb_partial; chained on to\'s frag_list: owned by `to`). A refused coalesce leaves `from` alive and the scenario still owns it, as TCP would queue it.',
    follows: 'skb_try_coalesce (net/core/skbuff.c; the pp_recycle rule of v5.14 and the cloned-skb rule of v6.1) → kfree_skb_partial, as tcp_try_coalesce (net/ipv4/tcp_input.c).',
    knobs: ['coalesce', 'skb_recycle'],
  },
  skb_gro_receive: {
    does: 'GRO merge of `skb` into `held` (TCP headers are 52 bytes after the Ethernet header): frags appended, or the head stolen as a frag, or chained on held\'s frag_list; then the napi_skb_finish free of what is left of `skb`. From v6.2 (backported to 6.1.y) GRO refuses to mix pp_recycle and non-pp_recycle skbs.',
    consumes: 'Consumes `skb` when it is merged or chained; a refused merge leaves it alive.',
    follows: 'skb_gro_receive (net/core/gro.c from v5.19, net/core/skbuff.c before) → napi_skb_finish (NAPI_GRO_FREE / NAPI_GRO_FREE_STOLEN_HEAD).',
    knobs: ['gro_pp_check', 'skb_recycle'],
  },
  skb_splice_bits: {
    does: 'Splices the skb\'s data into a pipe: the linear part is copied into sk_page_frag pages, every frag page gets a reference held by the pipe.',
    consumes: 'Consumes nothing; `as` names the pipe, whose page references last until pipe_release.',
    follows: 'skb_splice_bits → __skb_splice_bits → spd_fill_page / linear_to_page (net/core/skbuff.c).',
    knobs: ['skb_recycle'],
  },
  pipe_release: {
    does: 'The pipe reader consumes the pipe\'s buffers and drops their page references (put_page).',
    consumes: 'Consumes `pipe`; using it again is an input error.',
    follows: 'pipe_buf_release → generic_pipe_buf_release → put_page (fs/pipe.c).',
    knobs: [],
  },
  tcp_zerocopy_receive: {
    does: 'Maps the skb\'s full-page frags into a user VMA (a page reference per mapped page); the rest is copied.',
    consumes: 'Consumes nothing; `as` names the VMA, whose page references last until munmap.',
    follows: 'tcp_zerocopy_receive → vm_insert_page(s) (net/ipv4/tcp.c, v4.18+).',
    knobs: ['skb_recycle'],
  },
  munmap: {
    does: 'The user unmaps the VMA: every mapped page loses the reference the mapping held.',
    consumes: 'Consumes `vma`; using it again is an input error.',
    follows: 'munmap → zap_page_range → put_page (mm/memory.c).',
    knobs: [],
  },
  packet_rcv: {
    does: 'A copy-mode AF_PACKET tap: deliver_skb takes a user reference (the skb is shared), packet_rcv clones the shared skb and consumes the share.',
    consumes: 'Consumes nothing of `skb` (its extra user is dropped again); `as` names the tap\'s clone.',
    follows: 'deliver_skb → packet_rcv → skb_clone, consume_skb (net/packet/af_packet.c).',
    knobs: ['skb_recycle', 'mem_info_placement'],
  },
  kfree_skb: {
    does: 'Drops one user of `skb`; at the last one __kfree_skb: skb_release_all releases the head (skb_free_head: back to the pool, page_frag_free or kfree, by era and by what the head is), every frag (__skb_frag_unref) and the frag_list, then kfree_skbmem returns the struct.',
    consumes: 'Consumes `skb` (its last user). Freeing it again is the finding skb-double-free; using it afterwards is skb-use-after-free.',
    follows: 'kfree_skb → __kfree_skb → skb_release_all → skb_release_data → skb_free_head / __skb_frag_unref → kfree_skbmem (net/core/skbuff.c).',
    knobs: [...FREE_KNOBS],
  },
  consume_skb: {
    does: 'As kfree_skb (the skb was consumed normally rather than dropped: the kernel differs only in the drop tracepoint).',
    consumes: 'Consumes `skb` (its last user). Freeing it again is the finding skb-double-free; using it afterwards is skb-use-after-free.',
    follows: 'consume_skb → __kfree_skb (net/core/skbuff.c).',
    knobs: [...FREE_KNOBS],
  },
  napi_poll: {
    does: 'One driver poll without a new frame: RX completion and the ring refill (page_pool_alloc_pages or dev_alloc_page by era), in NAPI context.',
    consumes: 'Consumes nothing. `budget` (default 64) bounds the descriptors it handles.',
    follows: 'mvneta_poll → mvneta_rx_refill (drivers/net/ethernet/marvell/mvneta.c).',
    knobs: ['driver', 'pool_sync_for_device'],
  },
  xdp_return_frame: {
    does: 'TX completion of an XDP_TX or XDP_REDIRECT frame: its page goes back to the pool (XDP_TX in NAPI context, directly; a redirect after the target device unmapped it).',
    consumes: 'Consumes `frame`; returning it again is an input error.',
    follows: 'mvneta_txq_done → xdp_return_frame(_rx_napi) → __xdp_return → page_pool_put_full_page (net/core/xdp.c).',
    knobs: ['xdp', 'xdp_dma_dir'],
  },
  teardown: {
    does: 'ifdown: the driver frees its ring buffers, page_pool_destroy, then the DMA leak check. It must be the last step; without it the scenario still ends with one.',
    consumes: 'Consumes the device; leaks are judged after it (anything the steps still hold is a leak).',
    follows: 'mvneta_stop → mvneta_rxq_deinit → page_pool_destroy (net/core/page_pool.c; v5.3+ waits for inflight pages).',
    knobs: ['inflight_accounting'],
  },
  __pskb_pull_tail: {
    does: 'Pulls len bytes of paged data into the linear head, as pskb_may_pull does when headers sit in the frags; a head without room, or a cloned head, is first replaced by a kmalloc head (pskb_expand_head).',
    consumes: 'Consumes nothing; frags fully pulled are dropped (recycled with pp_recycle on v5.14+, put_page before). len beyond the paged bytes, or a shared skb, is an input error.',
    follows: '__pskb_pull_tail → pskb_expand_head, skb_copy_bits, skb_frag_unref (net/core/skbuff.c, v4.20 to v6.1).',
    knobs: ['skb_recycle', 'mem_info_placement', 'hook_checks_head_frag'],
  },
  skb_condense: {
    does: 'Copies a paged part that fits the tailroom of an uncloned skb into its head and drops the frags, then sets truesize from the head size (tcp_add_backlog, ___pskb_trim).',
    consumes: 'Consumes nothing; the frags it pulls in go back per the era (pp_recycle on v5.14+).',
    follows: 'skb_condense → __pskb_pull_tail (net/core/skbuff.c, v4.20 = v6.1).',
    knobs: ['skb_recycle'],
  },
  pskb_trim: {
    does: 'Trims the skb to len bytes: a cloned skb first gets its own head (pskb_expand_head), frags past len are dropped, a frag_list is cut.',
    consumes: 'Consumes nothing; dropped frags go back per the era.',
    follows: 'pskb_trim → ___pskb_trim → pskb_expand_head, skb_frag_unref, skb_condense (net/core/skbuff.c, v4.20 = v6.1).',
    knobs: ['skb_recycle', 'mem_info_placement', 'hook_checks_head_frag'],
  },
  skb_cow: {
    does: 'Makes the head private and writable with at least headroom bytes in front of data: when headroom is short or the head is cloned, pskb_expand_head with the missing headroom.',
    consumes: 'Consumes nothing; the old pool head goes back through skb_free_head (recycled on v5.14+ when pp_recycle).',
    follows: '__skb_cow → pskb_expand_head (include/linux/skbuff.h, v4.20 = v6.1).',
    knobs: ['skb_recycle', 'mem_info_placement', 'hook_checks_head_frag'],
  },
  skb_segment: {
    does: 'Splits a GRO packet into mss-sized segments (validate_xmit_skb for a device without TSO): each a new kmalloc skb with the 52 header bytes copied, sharing the packet\'s pages by page reference.',
    consumes: 'Consumes nothing; the segments are named `as.1`, `as.2`, ... and the packet stays with its name.',
    follows: 'skb_segment → skb_head_frag_to_page_desc, __skb_frag_ref (net/core/skbuff.c, v5.0 = v6.1).',
    knobs: ['skb_recycle'],
  },
  skb_shift: {
    does: 'Moves up to len bytes of skb\'s paged data to the end of tgt\'s frags (tcp_shift_skb_data on the sender\'s retransmit queue); only an skb without linear data shifts anything.',
    consumes: 'Consumes nothing; a frag merged into tgt\'s last one is dropped with __skb_frag_unref (pp_recycle on v5.14+).',
    follows: 'skb_shift → __skb_frag_ref, __skb_frag_unref (net/core/skbuff.c, v5.0 = v6.1).',
    knobs: ['skb_recycle'],
  },
  page_pool_destroy: {
    does: 'The driver destroys its page_pool while pages are still out (ifdown): the era\'s release retry follows, and the pages come back as their holders free them.',
    consumes: 'Consumes the RX pool; skbs keep their pages.',
    follows: 'mvneta_stop → page_pool_destroy → page_pool_release_retry (net/core/page_pool.c, v5.5+; v5.3 xdp.c mem_id_disconnect_defer_retry; 2018: the pool goes at once).',
    knobs: ['inflight_accounting', 'pool_release_retry', 'pool_dma_tracking'],
  },
  dev_unbind: {
    does: 'The driver is unbound from the device: ifdown, page_pool_destroy, and the device\'s DMA domain goes away, so a later unmap or sync through it is unmap-after-unbind (unless the pool unmapped everything at destroy, v6.15).',
    consumes: 'Consumes the device; skbs keep their pages.',
    follows: 'mvneta_remove → unregister_netdev → page_pool_destroy; the IOMMU domain is detached (drivers/net/ethernet/marvell/mvneta.c).',
    knobs: ['inflight_accounting', 'pool_dma_tracking'],
  },
  holders: {
    does: 'Prints who holds each in-flight pool page at this point: the --holders view (id, ifindex, napi-id, inflight, inflight-mem, detach-time, inflight by holder).',
    consumes: 'Consumes nothing.',
    follows: 'page_pool_get (netlink, v6.8+ page-pool-get) for the pool fields; the holders are pp-sim\'s own.',
    knobs: [],
  },
};

/** `pp-sim explain seed`. */
export const SEED_TEXT = {
  what: 'The seed (--seed, or seed: in a scenario; default 1) feeds the one random generator of the model. Same scenario, branch, knobs and seed give byte-identical output.',
  changes: [
    'reader: slow — when the first of the reader\'s 1 ms wake-ups falls (uniform in the first millisecond); every later one follows 1 ms apart.',
    'multicast UDP flows with a joined socket — when the group\'s second IGMP membership report goes out (uniform within the first second, robustness 2), which moves the stack\'s IGMP work between frames.',
  ],
  unchanged: 'Nothing else: traffic generators send at their fixed rates, captures replay at their recorded times, TCP follows its own clock, and step scenarios have no random choice at all. A run that made no random choice says "seed: no random choice in this scenario" under its header.',
};
