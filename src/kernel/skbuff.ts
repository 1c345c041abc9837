import type { Kernel } from './kernel.js';
import { PAGE_SIZE } from './page.js';
import { page_frag_free, type PageFragCache } from './page_frag.js';
import { HeadOrigin, Slab, type HeadOriginCode } from './slab.js';
import { MemType, type MemTypeCode } from './xdp.js';

/** MAX_SKB_FRAGS with 4 KiB pages (65536 / PAGE_SIZE + 1). */
export const MAX_SKB_FRAGS = 17;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) and of struct sk_buff on arm64. */
export const SKB_SHINFO_SIZE = 320;
export const SKB_STRUCT_SIZE = 256;
export const NET_SKB_PAD = 64;
export const NET_IP_ALIGN = 2;
const SKB_DATAREF_SHIFT = 16;
const SKB_DATAREF_MASK = (1 << SKB_DATAREF_SHIFT) - 1;

export function SKB_DATA_ALIGN(x: number): number {
  return (x + 63) & ~63;
}
/** SKB_WITH_OVERHEAD(PAGE_SIZE): largest head napi_alloc_skb carves from a page fragment. */
export const SKB_WITH_OVERHEAD_PAGE = PAGE_SIZE - SKB_SHINFO_SIZE;

/** Memory behind skb->head. */
export const Head = { kmalloc: 0, page: 1 } as const;
export type HeadCode = (typeof Head)[keyof typeof Head];

/** Something that charges skb truesize (a socket's sk_rmem_alloc); uncharged by the destructor. */
export interface RmemOwner {
  rmemAlloc: number;
}

/** struct skb_shared_info, shared by an skb and all its clones. */
export class SkbSharedInfo {
  dataref = 1;
  nr_frags = 0;
  readonly fragPfn = new Int32Array(MAX_SKB_FRAGS);
  readonly fragOff = new Int32Array(MAX_SKB_FRAGS);
  readonly fragSize = new Int32Array(MAX_SKB_FRAGS);
  frag_list: SkBuff | null = null;
  /** Segments this skb carries (GRO count); 0 means one. */
  gso_segs = 0;
  headKind: HeadCode = Head.kmalloc;
  /** Page holding the head (slab page for kmalloc heads; compound head for page heads). */
  headPfn = -1;
  /** Byte offset of the head within that page (page heads). */
  headOff = 0;
  /** kmalloc object id (kmalloc heads). */
  headObj = -1;
  /** pages.gen of the head page when the NIC wrote it. */
  headGen = 0;

  /** The allocation-time state (shinfo zeroed up to dataref, dataref = 1). */
  reset(): void {
    this.dataref = 1;
    this.nr_frags = 0;
    this.frag_list = null;
    this.gso_segs = 0;
    this.headKind = Head.kmalloc;
    this.headPfn = -1;
    this.headOff = 0;
    this.headObj = -1;
    this.headGen = 0;
  }
}

/** struct sk_buff: the fields that decide data lifetime. */
export class SkBuff {
  id = 0;
  users = 1;
  // The flag byte before headers_start.
  cloned = 0;
  nohdr = 0;
  head_frag = 0;
  pfmemalloc = 0;
  pp_recycle = 0;
  /** struct xdp_mem_info (2018 RFC); placement decides which copy rule carries it. */
  memType: MemTypeCode = MemType.PAGE_SHARED;
  memId = 0;
  /** Header-region fields that matter here: the flow, its sequence number, the L4 payload bytes. */
  protocol = 0;
  flow = -1;
  seq = 0;
  payload = 0;
  len = 0;
  data_len = 0;
  /** Offsets from head: data, tail, end (NET_SKBUFF_DATA_USES_OFFSET on arm64). */
  data = 0;
  tail = 0;
  end = 0;
  truesize = 0;
  sh: SkbSharedInfo;
  /** Queue / frag_list link. */
  next: SkBuff | null = null;
  sk: RmemOwner | null = null;
  /** GRO: NAPI_GRO_CB(p)->last. */
  groLast: SkBuff | null = null;
  /** Provenance: which operation made it and the sender frame it carries. */
  madeBy: string;
  frame: number;
  alive = true;
  allPrev: SkBuff | null = null;
  allNext: SkBuff | null = null;

  constructor(sh: SkbSharedInfo, madeBy: string, frame: number) {
    this.sh = sh;
    this.madeBy = madeBy;
    this.frame = frame;
  }

  /** The allocation memset: everything before tail zeroed, users = 1. */
  init(id: number, sh: SkbSharedInfo, madeBy: string, frame: number): void {
    this.id = id;
    this.users = 1;
    this.cloned = 0;
    this.nohdr = 0;
    this.head_frag = 0;
    this.pfmemalloc = 0;
    this.pp_recycle = 0;
    this.memType = MemType.PAGE_SHARED;
    this.memId = 0;
    this.protocol = 0;
    this.flow = -1;
    this.seq = 0;
    this.payload = 0;
    this.len = 0;
    this.data_len = 0;
    this.data = 0;
    this.tail = 0;
    this.end = 0;
    this.truesize = 0;
    this.sh = sh;
    this.next = null;
    this.sk = null;
    this.groLast = null;
    this.madeBy = madeBy;
    this.frame = frame;
    this.alive = true;
  }

  describe(): string {
    return `skb #${this.id} (${this.madeBy}, frame ${this.frame})`;
  }
}

/** Live sk_buff structs (for leak judgment), as an intrusive list. */
export class SkbRegistry {
  head: SkBuff | null = null;
  count = 0;

  add(s: SkBuff): void {
    s.allNext = this.head;
    s.allPrev = null;
    if (this.head) this.head.allPrev = s;
    this.head = s;
    this.count++;
  }

  remove(s: SkBuff): void {
    if (s.allPrev) s.allPrev.allNext = s.allNext;
    else this.head = s.allNext;
    if (s.allNext) s.allNext.allPrev = s.allPrev;
    s.allPrev = s.allNext = null;
    this.count--;
  }
}

export function skb_headlen(s: SkBuff): number {
  return s.len - s.data_len;
}
export function skb_tailroom(s: SkBuff): number {
  return s.data_len ? 0 : s.end - s.tail;
}
export function skb_headroom(s: SkBuff): number {
  return s.data;
}
/** skb_cloned: cloned && (dataref & MASK) != 1. */
export function skb_cloned(s: SkBuff): boolean {
  return s.cloned === 1 && (s.sh.dataref & SKB_DATAREF_MASK) !== 1;
}
export function skb_shared(s: SkBuff): boolean {
  return s.users !== 1;
}
/** skb_head_is_locked: !head_frag || skb_cloned. */
export function skb_head_is_locked(s: SkBuff): boolean {
  return s.head_frag === 0 || skb_cloned(s);
}

/** True when the skb carries the branch's page_pool marker. */
export function skbIsPoolBacked(k: Kernel, s: SkBuff): boolean {
  return k.knobs.skb_recycle === 'pp_recycle' ? s.pp_recycle === 1 : s.memType === MemType.PAGE_POOL;
}

/** skbuff_head_cache: sk_buff structs are reused once freed (kept out of the garbage collector). */
function newSkb(k: Kernel, sh: SkbSharedInfo, madeBy: string): SkBuff {
  const s = k.skbCache.pop() ?? new SkBuff(sh, madeBy, k.frame);
  s.init(++k.skbIds, sh, madeBy, k.frame);
  k.skbs.add(s);
  return s;
}

/** A shared info for a new head. */
function newSh(k: Kernel): SkbSharedInfo {
  const sh = k.shCache.pop() ?? new SkbSharedInfo();
  sh.reset();
  return sh;
}

const CACHE_MAX = 4096;

/** The shared info's memory went away with its head (or moved to another skb). */
function freeSh(k: Kernel, sh: SkbSharedInfo): void {
  if (k.shCache.length < CACHE_MAX) k.shCache.push(sh);
}

/** Page offset of a byte at skb offset `off` of a page head. */
function headPageOff(s: SkBuff, off: number): number {
  return s.sh.headOff + off;
}

/** The CPU reads `len` bytes of the linear data from `at` (an offset from skb->data). */
export function cpuReadLinear(k: Kernel, s: SkBuff, at: number, len: number, leaf: string): void {
  if (s.sh.headKind !== Head.page || len <= 0) return;
  k.dma.cpuRead(s.sh.headPfn, headPageOff(s, s.data + at), len, leaf);
}

/** The CPU reads every byte of the skb (linear part, frags, frag_list), as skb_copy_bits does. */
export function cpuReadAll(k: Kernel, s: SkBuff, leaf: string): void {
  cpuReadLinear(k, s, 0, skb_headlen(s), leaf);
  const sh = s.sh;
  for (let f = 0; f < sh.nr_frags; f++) k.dma.cpuRead(sh.fragPfn[f]!, sh.fragOff[f]!, sh.fragSize[f]!, leaf);
  for (let l = sh.frag_list; l; l = l.next) cpuReadAll(k, l, leaf);
}

// ---- allocation ----

/** __alloc_skb (v5.0): kmalloc head, head_frag 0, everything before tail zeroed. */
export function __alloc_skb(k: Kernel, size: number, origin: HeadOriginCode, madeBy: string): SkBuff | null {
  const want = SKB_DATA_ALIGN(size) + SKB_SHINFO_SIZE;
  const obj = k.slab.kmalloc(want, origin);
  if (obj < 0) return null;
  const sh = newSh(k);
  sh.headKind = Head.kmalloc;
  sh.headObj = obj;
  sh.headPfn = k.slab.pfnOf(obj);
  sh.headOff = k.slab.offsetOf(obj);
  const s = newSkb(k, sh, madeBy);
  s.end = Slab.ksize(want) - SKB_SHINFO_SIZE;
  s.truesize = s.end + SKB_STRUCT_SIZE + SKB_SHINFO_SIZE;
  k.counters['skb.alloc']++;
  return s;
}

/** build_skb(data, frag_size) (v5.0): the caller's page reference becomes the head; head_frag = 1. */
export function build_skb(k: Kernel, pfn: number, headOff: number, fragSize: number): SkBuff {
  k.enter('build_skb');
  const sh = newSh(k);
  sh.headKind = Head.page;
  sh.headPfn = pfn;
  sh.headOff = headOff;
  sh.headGen = k.pages.gen[k.pages.idx(pfn)]!;
  const s = newSkb(k, sh, 'build_skb');
  s.end = fragSize - SKB_SHINFO_SIZE;
  s.truesize = fragSize + SKB_STRUCT_SIZE;
  s.head_frag = 1;
  k.counters['skb.build']++;
  k.leave();
  return s;
}

/** __napi_alloc_skb / __netdev_alloc_skb (v5.0): page_frag head unless too large. */
export function napi_alloc_skb(k: Kernel, nc: PageFragCache, length: number, madeBy: string): SkBuff | null {
  k.enter('__napi_alloc_skb');
  const len = length + NET_SKB_PAD + NET_IP_ALIGN;
  let s: SkBuff | null;
  if (len > SKB_WITH_OVERHEAD_PAGE) {
    s = __alloc_skb(k, len, HeadOrigin.alloc_skb, madeBy);
  } else {
    const fragsz = SKB_DATA_ALIGN(len) + SKB_SHINFO_SIZE;
    const pfn = nc.alloc(fragsz);
    if (pfn < 0) {
      s = null;
    } else {
      const sh = newSh(k);
      sh.headKind = Head.page;
      sh.headPfn = pfn;
      sh.headOff = nc.lastOffset;
      s = newSkb(k, sh, madeBy);
      s.end = fragsz - SKB_SHINFO_SIZE;
      s.truesize = fragsz + SKB_STRUCT_SIZE;
      s.head_frag = 1;
      k.counters['skb.alloc']++;
    }
  }
  if (s) skb_reserve(s, NET_SKB_PAD + NET_IP_ALIGN);
  k.leave();
  return s;
}

export function skb_reserve(s: SkBuff, n: number): void {
  s.data += n;
  s.tail += n;
}

export function skb_put(s: SkBuff, n: number): void {
  s.tail += n;
  s.len += n;
}

export function skb_pull(s: SkBuff, n: number): void {
  s.data += n;
  s.len -= n;
}

/** skb_add_rx_frag: the caller's page reference becomes frags[i]; no get_page. */
export function skb_add_rx_frag(s: SkBuff, i: number, pfn: number, off: number, size: number, truesize: number): void {
  const sh = s.sh;
  sh.fragPfn[i] = pfn;
  sh.fragOff[i] = off;
  sh.fragSize[i] = size;
  sh.nr_frags = i + 1;
  s.len += size;
  s.data_len += size;
  s.truesize += truesize;
}

// ---- the three copy rules ----

/** __copy_skb_header: the headers_start..headers_end memcpy (plus fields copied by hand). */
function __copy_skb_header(k: Kernel, n: SkBuff, old: SkBuff): void {
  n.protocol = old.protocol;
  n.flow = old.flow;
  n.seq = old.seq;
  n.payload = old.payload;
  if (k.knobs.mem_info_placement === 'headers') {
    n.memType = old.memType;
    n.memId = old.memId;
  }
}

/** __skb_clone's explicit C() list: flags, geometry, and mem_info when it sits with the flags. */
function __skb_clone(k: Kernel, n: SkBuff, s: SkBuff): void {
  __copy_skb_header(k, n, s);
  n.len = s.len;
  n.data_len = s.data_len;
  n.cloned = 1;
  n.nohdr = 0;
  n.pfmemalloc = s.pfmemalloc;
  n.pp_recycle = s.pp_recycle;
  // The RFC copies mem_info in __skb_clone (unverified for the 2018 code; required for clones to recycle).
  if (k.knobs.mem_info_placement === 'flags') {
    n.memType = s.memType;
    n.memId = s.memId;
  }
  n.tail = s.tail;
  n.end = s.end;
  n.head_frag = s.head_frag;
  n.data = s.data;
  n.truesize = s.truesize;
  n.users = 1;
  s.sh.dataref++;
  s.cloned = 1;
}

/** skb_clone (v5.0/v5.14): a new struct sharing head, frags and frag_list through dataref. */
export function skb_clone(k: Kernel, s: SkBuff): SkBuff {
  k.enter('skb_clone');
  const n = newSkb(k, s.sh, 'skb_clone');
  n.frame = s.frame;
  __skb_clone(k, n, s);
  k.counters['skb.clone']++;
  k.leave();
  return n;
}

/** skb_copy: a new kmalloc head holding every byte, header region copied. */
export function skb_copy(k: Kernel, s: SkBuff): SkBuff | null {
  k.enter('skb_copy');
  const headroom = skb_headroom(s);
  const n = __alloc_skb(k, s.end + s.data_len, HeadOrigin.skb_copy, 'skb_copy');
  if (n) {
    n.frame = s.frame;
    skb_reserve(n, headroom);
    skb_put(n, s.len);
    cpuReadAll(k, s, 'skb_copy_bits');
    __copy_skb_header(k, n, s);
    k.counters['skb.copy']++;
  }
  k.leave();
  return n;
}

/** __pskb_copy_fclone: private kmalloc head for the linear part, frag pages shared (+1 each). */
export function pskb_copy(k: Kernel, s: SkBuff): SkBuff | null {
  k.enter('pskb_copy');
  const headroom = skb_headroom(s);
  const hl = skb_headlen(s);
  const n = __alloc_skb(k, hl + headroom, HeadOrigin.pskb_copy, 'pskb_copy');
  if (n) {
    n.frame = s.frame;
    skb_reserve(n, headroom);
    skb_put(n, hl);
    cpuReadLinear(k, s, 0, hl, 'skb_copy_from_linear_data');
    n.len = s.len;
    n.data_len = s.data_len;
    n.truesize += s.data_len;
    const a = s.sh;
    const b = n.sh;
    for (let f = 0; f < a.nr_frags; f++) {
      b.fragPfn[f] = a.fragPfn[f]!;
      b.fragOff[f] = a.fragOff[f]!;
      b.fragSize[f] = a.fragSize[f]!;
      k.enter('skb_frag_ref');
      k.get_page(a.fragPfn[f]!);
      k.leave();
    }
    b.nr_frags = a.nr_frags;
    if (a.frag_list) {
      b.frag_list = a.frag_list;
      for (let l: SkBuff | null = a.frag_list; l; l = l.next) l.users++;
    }
    __copy_skb_header(k, n, s);
    k.counters['skb.pskb_copy']++;
  }
  k.leave();
  return n;
}

/** pskb_expand_head(skb, 0, 0) (v5.0 = v5.14): a new kmalloc head; the old one freed or shared. */
export function pskb_expand_head(k: Kernel, s: SkBuff): boolean {
  k.enter('pskb_expand_head');
  const oldSh = s.sh;
  const obj = k.slab.kmalloc(s.end + SKB_SHINFO_SIZE, HeadOrigin.pskb_expand_head);
  if (obj < 0) {
    k.leave();
    return false;
  }
  cpuReadLinear(k, s, -s.data, s.tail, 'pskb_expand_head');
  const sh = newSh(k);
  sh.nr_frags = oldSh.nr_frags;
  for (let f = 0; f < oldSh.nr_frags; f++) {
    sh.fragPfn[f] = oldSh.fragPfn[f]!;
    sh.fragOff[f] = oldSh.fragOff[f]!;
    sh.fragSize[f] = oldSh.fragSize[f]!;
  }
  sh.frag_list = oldSh.frag_list;
  if (skb_cloned(s)) {
    for (let f = 0; f < oldSh.nr_frags; f++) {
      k.enter('skb_frag_ref');
      k.get_page(oldSh.fragPfn[f]!);
      k.leave();
    }
    for (let l = oldSh.frag_list; l; l = l.next) l.users++;
    skb_release_data(k, s);
  } else {
    skb_free_head(k, s);
    freeSh(k, oldSh);
  }
  sh.headKind = Head.kmalloc;
  sh.headObj = obj;
  sh.headPfn = k.slab.pfnOf(obj);
  sh.headOff = k.slab.offsetOf(obj);
  s.sh = sh;
  s.head_frag = 0;
  s.cloned = 0;
  s.nohdr = 0;
  k.counters['skb.expand_head']++;
  k.leave();
  return true;
}

/** skb_unshare: a cloned skb is replaced by an skb_copy and the original consumed. */
export function skb_unshare(k: Kernel, s: SkBuff): SkBuff | null {
  if (!skb_cloned(s)) return s;
  k.enter('skb_unshare');
  const n = skb_copy(k, s);
  if (n) {
    k.counters['skb.unshare']++;
    consume_skb(k, s);
  } else {
    kfree_skb(k, s);
  }
  k.leave();
  return n;
}

// ---- freeing ----

/** kfree_skb / consume_skb: drop one user; the last one frees. */
export function kfree_skb(k: Kernel, s: SkBuff): void {
  k.enter('kfree_skb');
  if (s.users === 1) __kfree_skb(k, s);
  else s.users--;
  k.leave();
}

export function consume_skb(k: Kernel, s: SkBuff): void {
  k.enter('consume_skb');
  if (s.users === 1) __kfree_skb(k, s);
  else s.users--;
  k.leave();
}

/** __kfree_skb: skb_release_all + kfree_skbmem, regardless of users. */
export function __kfree_skb(k: Kernel, s: SkBuff): void {
  k.enter('__kfree_skb');
  const frame = k.frame;
  k.frame = s.frame;
  skb_release_all(k, s);
  kfree_skbmem(k, s);
  k.frame = frame;
  k.leave();
}

function skb_release_all(k: Kernel, s: SkBuff): void {
  k.enter('skb_release_all');
  skb_release_head_state(s);
  skb_release_data(k, s);
  k.leave();
}

/** skb_release_head_state: the destructor uncharges the socket. */
export function skb_release_head_state(s: SkBuff): void {
  if (s.sk) {
    s.sk.rmemAlloc -= s.truesize;
    s.sk = null;
  }
}

function kfree_skbmem(k: Kernel, s: SkBuff): void {
  s.alive = false;
  k.skbs.remove(s);
  k.counters['skb.free']++;
  if (k.skbCache.length < CACHE_MAX) k.skbCache.push(s);
}

/** skb_release_data: the skb that drops dataref to zero releases frags, frag_list and head. */
export function skb_release_data(k: Kernel, s: SkBuff): void {
  k.enter('skb_release_data');
  const sh = s.sh;
  if (s.cloned === 1) {
    sh.dataref -= s.nohdr ? (1 << SKB_DATAREF_SHIFT) + 1 : 1;
    if (sh.dataref !== 0) {
      s.pp_recycle = 0;
      k.leave();
      return;
    }
  }
  const recycle = k.knobs.skb_recycle === 'pp_recycle' && s.pp_recycle === 1;
  for (let f = 0; f < sh.nr_frags; f++) __skb_frag_unref(k, sh.fragPfn[f]!, recycle);
  if (sh.frag_list) {
    const l = sh.frag_list;
    sh.frag_list = null;
    kfree_skb_list(k, l);
  }
  skb_free_head(k, s);
  freeSh(k, sh);
  // v5.14 (2cc3aeb5eccc): pp_recycle cleared on every exit.
  s.pp_recycle = 0;
  k.leave();
}

function kfree_skb_list(k: Kernel, l: SkBuff | null): void {
  k.enter('kfree_skb_list');
  while (l) {
    const nx = l.next;
    l.next = null;
    kfree_skb(k, l);
    l = nx;
  }
  k.leave();
}

/** __skb_frag_unref(frag, recycle) (v5.14; plain put_page before). */
function __skb_frag_unref(k: Kernel, pfn: number, recycle: boolean): void {
  k.enter('__skb_frag_unref');
  if (!(recycle && page_pool_return_skb_page(k, pfn))) k.put_page(pfn);
  k.leave();
}

/** skb_free_head with the return hook the branch's skb_recycle chooses. */
export function skb_free_head(k: Kernel, s: SkBuff): void {
  k.enter('skb_free_head');
  const sh = s.sh;
  const kn = k.knobs;
  let done = false;
  if (kn.skb_recycle === 'mem_info' && s.memType === MemType.PAGE_POOL && (kn.hook_checks_head_frag !== 'true' || s.head_frag === 1)) {
    done = xdp_return_skb_page(k, s);
  }
  if (!done) {
    if (s.head_frag === 1) {
      if (!(kn.skb_recycle === 'pp_recycle' && s.pp_recycle === 1 && page_pool_return_skb_page(k, sh.headPfn))) {
        page_frag_free(k, sh.headPfn);
      }
    } else {
      k.slab.kfree(sh.headObj);
    }
  }
  k.leave();
}

/** xdp_return_skb_page (2018 RFC, reconstructed): mem.id lookup, then page_pool_put_page(pool, head page, false). */
function xdp_return_skb_page(k: Kernel, s: SkBuff): boolean {
  k.enter('xdp_return_skb_page');
  const pool = k.xdpMem.lookup(s.memId);
  let taken: boolean;
  if (!pool) {
    // The mem id is gone (pool destroyed): __xdp_return falls back to put_page.
    taken = s.head_frag === 1;
    if (taken) k.put_page(s.sh.headPfn);
  } else {
    taken = pool.put(s.sh.headPfn, -1, false, s.sh.headKind === Head.kmalloc ? s.sh.headObj : -1);
  }
  k.leave();
  return taken;
}

/** page_pool_return_skb_page (v5.14): pp_magic decides; the page's pool takes it back. */
export function page_pool_return_skb_page(k: Kernel, pfn: number): boolean {
  const pg = k.pages;
  const i = pg.idx(pfn);
  if (pg.ppMagic[i] !== 1) return false;
  k.enter('page_pool_return_skb_page');
  const pool = k.pools[pg.pool[i]!];
  if (pool) pool.put(pfn, -1, false, -1);
  k.leave();
  return pool !== undefined;
}

/** kfree_skb_partial(skb, head_stolen): a stolen head frees only the struct. */
export function kfree_skb_partial(k: Kernel, s: SkBuff, headStolen: boolean): void {
  k.enter('kfree_skb_partial');
  if (headStolen) {
    skb_release_head_state(s);
    freeSh(k, s.sh);
    kfree_skbmem(k, s);
  } else {
    __kfree_skb(k, s);
  }
  k.leave();
}

// ---- moving pages between skbs ----

export type CoalesceResult = 'refused' | 'copied' | 'stolen' | 'frags' | 'frag_list';

/**
 * skb_try_coalesce(to, from) (v5.0, with the v5.14/v6.1 pp_recycle tests and the 2018 options
 * selected by the coalesce knob). 'frag_list' means `from` now hangs off `to`.
 */
export function skb_try_coalesce(k: Kernel, to: SkBuff, from: SkBuff): CoalesceResult {
  k.enter('skb_try_coalesce');
  const r = tryCoalesce(k, to, from);
  const c = k.counters;
  if (r === 'refused') c['skb.coalesce_refused']++;
  else {
    c['skb.coalesce']++;
    if (r === 'copied') c['skb.coalesce_copied']++;
    else if (r === 'stolen') c['skb.coalesce_stolen_head']++;
    else if (r === 'frag_list') c['skb.coalesce_frag_list']++;
  }
  k.leave();
  return r;
}

function tryCoalesce(k: Kernel, to: SkBuff, from: SkBuff): CoalesceResult {
  const mode = k.knobs.coalesce;
  if (skb_cloned(to)) return 'refused';
  if (mode === 'pp_match' && to.pp_recycle !== from.pp_recycle) return 'refused';
  if (mode === 'pp_match_clone' && to.pp_recycle !== (from.pp_recycle === 1 && !skb_cloned(from) ? 1 : 0)) return 'refused';
  // 6.1.25+ / v6.3 (0646dc31ca88): pp_recycle must match and a pp_recycle from must not be cloned.
  if (mode === 'pp_match_noclone' && (to.pp_recycle !== from.pp_recycle || (from.pp_recycle === 1 && skb_cloned(from)))) return 'refused';
  const poolFrom = skbIsPoolBacked(k, from);
  if (mode === 'reject' && poolFrom) return 'refused';
  const len = from.len;
  if (len <= skb_tailroom(to)) {
    cpuReadAll(k, from, 'skb_copy_bits');
    to.tail += len;
    to.len += len;
    return 'copied';
  }
  if (mode === 'frag_list' && poolFrom && skb_headlen(from) !== 0) {
    // Option 2 of the notes: chain `from` at the end of to's frag_list instead of stealing its pool head.
    let last = to.sh.frag_list;
    while (last?.next) last = last.next;
    if (last) last.next = from;
    else to.sh.frag_list = from;
    from.next = null;
    to.len += len;
    to.data_len += len;
    to.truesize += from.truesize;
    return 'frag_list';
  }
  if (to.sh.frag_list || from.sh.frag_list) return 'refused';
  const ts = to.sh;
  const fs = from.sh;
  let stolen = false;
  let delta: number;
  if (skb_headlen(from) !== 0) {
    if (ts.nr_frags + fs.nr_frags >= MAX_SKB_FRAGS) return 'refused';
    if (skb_head_is_locked(from)) return 'refused';
    if (mode === 'release' && poolFrom) {
      // Option 1 of the notes: page_pool_unmap_page before the head becomes a frag.
      const pool = k.pools[k.pages.pool[k.pages.idx(fs.headPfn)]!];
      if (pool?.owns(fs.headPfn)) pool.releasePage(fs.headPfn);
    }
    delta = from.truesize - SKB_DATA_ALIGN(SKB_STRUCT_SIZE);
    const i = ts.nr_frags;
    ts.fragPfn[i] = fs.headPfn;
    ts.fragOff[i] = fs.headOff + from.data;
    ts.fragSize[i] = skb_headlen(from);
    ts.nr_frags = i + 1;
    k.enter('skb_fill_page_desc');
    checkPoolFrag(k, to, fs.headPfn);
    k.leave();
    stolen = true;
  } else {
    if (ts.nr_frags + fs.nr_frags > MAX_SKB_FRAGS) return 'refused';
    delta = from.truesize - (from.end + SKB_STRUCT_SIZE + SKB_SHINFO_SIZE);
  }
  for (let f = 0; f < fs.nr_frags; f++) {
    const j = ts.nr_frags++;
    ts.fragPfn[j] = fs.fragPfn[f]!;
    ts.fragOff[j] = fs.fragOff[f]!;
    ts.fragSize[j] = fs.fragSize[f]!;
  }
  if (!skb_cloned(from)) {
    fs.nr_frags = 0;
  } else {
    for (let f = 0; f < fs.nr_frags; f++) {
      k.enter('__skb_frag_ref');
      k.get_page(fs.fragPfn[f]!);
      k.leave();
    }
  }
  to.truesize += delta;
  to.len += len;
  to.data_len += len;
  return stolen ? 'stolen' : 'frags';
}

/**
 * A page with page_pool DMA state becoming a frag where the design allows only heads (the 2018
 * rule); counted once per page while the pool owns it.
 */
export function checkPoolFrag(k: Kernel, s: SkBuff, pfn: number): void {
  // v5.14's design recycles frags: a pool page in a non-pp skb shows up later as its leak (L), not here.
  if (k.knobs.skb_recycle === 'pp_recycle') return;
  const i = k.pages.idx(pfn);
  const pool = k.pools[k.pages.pool[i]!];
  if (!pool?.owns(pfn) || k.pages.asFrag[i] === 1) return;
  k.pages.asFrag[i] = 1;
  k.violation('pp-page-as-frag', () => `${k.pages.describe(pfn)} attached to ${s.describe()}`);
}

export type GroResult = 'refused' | 'frags' | 'stolen_head' | 'frag_list';

/** GRO_MAX_SIZE before BIG TCP. */
const GRO_MAX_SIZE = 65536;

/**
 * skb_gro_receive(p, skb) (v5.0 net/core/skbuff.c; v6.2 pp_recycle refusal per gro_pp_check),
 * followed by napi_skb_finish's free of a merged skb. `offset` is the header length to skip.
 */
export function skb_gro_receive(k: Kernel, p: SkBuff, skb: SkBuff, offset: number): GroResult {
  k.enter('skb_gro_receive');
  const r = groMerge(k, p, skb, offset);
  const c = k.counters;
  if (r !== 'refused') {
    c['skb.gro_merged']++;
    if (r === 'stolen_head') c['skb.gro_stolen_head']++;
    else if (r === 'frag_list') c['skb.gro_frag_list']++;
  }
  k.leave();
  if (r === 'frags' || r === 'stolen_head') napi_skb_finish(k, skb, r === 'stolen_head');
  return r;
}

function groMerge(k: Kernel, p: SkBuff, skb: SkBuff, offset: number): GroResult {
  const len = skb.len - offset;
  if (p.len + len >= GRO_MAX_SIZE) return 'refused';
  if (k.knobs.gro_pp_check === 'true' && p.pp_recycle !== skb.pp_recycle) return 'refused';
  const lp = p.groLast ?? p;
  const ls = lp.sh;
  const ss = skb.sh;
  const headlen = skb_headlen(skb);
  let r: GroResult;
  if (headlen <= offset && ls.nr_frags + ss.nr_frags <= MAX_SKB_FRAGS) {
    // Frags-only: move descriptors, trim the first by the header bytes left in it.
    const skip = offset - headlen;
    for (let f = 0; f < ss.nr_frags; f++) {
      const j = ls.nr_frags++;
      ls.fragPfn[j] = ss.fragPfn[f]!;
      ls.fragOff[j] = ss.fragOff[f]! + (f === 0 ? skip : 0);
      ls.fragSize[j] = ss.fragSize[f]! - (f === 0 ? skip : 0);
      checkPoolFrag(k, lp, ss.fragPfn[f]!);
    }
    ss.nr_frags = 0;
    r = 'frags';
  } else if (skb.head_frag === 1 && headlen > offset && ls.nr_frags + 1 + ss.nr_frags <= MAX_SKB_FRAGS) {
    // Head steal: the payload part of skb's head page becomes a frag of lp; no get_page.
    const j = ls.nr_frags++;
    ls.fragPfn[j] = ss.headPfn;
    ls.fragOff[j] = ss.headOff + skb.data + offset;
    ls.fragSize[j] = headlen - offset;
    checkPoolFrag(k, lp, ss.headPfn);
    for (let f = 0; f < ss.nr_frags; f++) {
      const m = ls.nr_frags++;
      ls.fragPfn[m] = ss.fragPfn[f]!;
      ls.fragOff[m] = ss.fragOff[f]!;
      ls.fragSize[m] = ss.fragSize[f]!;
      checkPoolFrag(k, lp, ss.fragPfn[f]!);
    }
    r = 'stolen_head';
  } else {
    // merge: chain skb on p's frag_list; __skb_header_release.
    skb_pull(skb, offset);
    skb.nohdr = 1;
    skb.sh.dataref = 1 + (1 << SKB_DATAREF_SHIFT);
    if (p.sh.frag_list) (p.groLast ?? p).next = skb;
    else p.sh.frag_list = skb;
    p.groLast = skb;
    p.len += len;
    p.data_len += len;
    p.truesize += skb.truesize;
    return 'frag_list';
  }
  p.len += len;
  p.data_len += len;
  p.truesize += skb.truesize;
  if (lp !== p) {
    lp.len += len;
    lp.data_len += len;
  }
  return r;
}

/** napi_skb_finish for GRO_MERGED_FREE: stolen head frees the struct only, else __kfree_skb. */
function napi_skb_finish(k: Kernel, skb: SkBuff, stolenHead: boolean): void {
  k.enter('napi_skb_finish');
  if (stolenHead) {
    k.enter('napi_skb_free_stolen_head');
    skb_release_head_state(skb);
    freeSh(k, skb.sh);
    kfree_skbmem(k, skb);
    k.leave();
  } else {
    __kfree_skb(k, skb);
  }
  k.leave();
}

// ---- pages leaving skbs: pipes and user mappings ----

/** A pipe holding page references (splice). */
export interface Pipe {
  pfns: number[];
  alive: boolean;
  madeBy: string;
  frame: number;
}

/** A user VMA with pages mapped by tcp_zerocopy_receive. */
export interface Vma {
  pfns: number[];
  alive: boolean;
  frame: number;
}

/**
 * skb_splice_bits (v5.0 __skb_splice_bits): an unlocked head page goes into the pipe itself, a
 * locked head is copied into sk_page_frag; frag pages always go in; each pipe entry takes get_page.
 */
export function skb_splice_bits(k: Kernel, s: SkBuff, copyFrag: PageFragCache): Pipe {
  k.enter('skb_splice_bits');
  const pipe: Pipe = { pfns: [], alive: true, madeBy: 'skb_splice_bits', frame: s.frame };
  spliceOne(k, s, pipe, copyFrag);
  k.counters['skb.splice_pages'] += pipe.pfns.length;
  k.live.pipes.add(pipe);
  k.leave();
  return pipe;
}

function spliceOne(k: Kernel, s: SkBuff, pipe: Pipe, copyFrag: PageFragCache): void {
  const hl = skb_headlen(s);
  if (hl > 0) {
    if (skb_head_is_locked(s)) {
      k.enter('linear_to_page');
      cpuReadLinear(k, s, 0, hl, 'linear_to_page');
      const pfn = copyFrag.alloc(hl);
      if (pfn >= 0) pipe.pfns.push(pfn);
      k.leave();
    } else {
      k.enter('spd_fill_page');
      k.get_page(s.sh.headPfn);
      pipe.pfns.push(s.sh.headPfn);
      k.leave();
    }
  }
  const sh = s.sh;
  for (let f = 0; f < sh.nr_frags; f++) {
    k.enter('spd_fill_page');
    k.get_page(sh.fragPfn[f]!);
    pipe.pfns.push(sh.fragPfn[f]!);
    k.leave();
  }
  for (let l = sh.frag_list; l; l = l.next) spliceOne(k, l, pipe, copyFrag);
}

/** The pipe reader consumes the buffers (reading them) and drops its page references. */
export function pipe_release(k: Kernel, pipe: Pipe): void {
  k.enter('pipe_buf_release');
  for (const pfn of pipe.pfns) {
    k.dma.cpuRead(pfn, 0, 0, 'pipe_read');
    k.put_page(pfn);
  }
  pipe.alive = false;
  k.live.pipes.delete(pipe);
  k.leave();
}

/**
 * tcp_zerocopy_receive (v5.0 shape, v5.14 can_map_frag): only frags of exactly PAGE_SIZE at offset 0
 * are mapped, each taking a page reference; the head is never mapped.
 */
export function tcp_zerocopy_receive(k: Kernel, s: SkBuff): Vma {
  k.enter('tcp_zerocopy_receive');
  const vma: Vma = { pfns: [], alive: true, frame: s.frame };
  const sh = s.sh;
  for (let f = 0; f < sh.nr_frags; f++) {
    if (sh.fragSize[f] !== PAGE_SIZE || sh.fragOff[f] !== 0) break;
    k.enter('vm_insert_page');
    k.get_page(sh.fragPfn[f]!);
    k.leave();
    vma.pfns.push(sh.fragPfn[f]!);
  }
  k.counters['skb.zerocopy_pages'] += vma.pfns.length;
  k.live.vmas.add(vma);
  k.leave();
  return vma;
}

export function munmap(k: Kernel, vma: Vma): void {
  k.enter('zap_page_range');
  for (const pfn of vma.pfns) k.put_page(pfn);
  vma.alive = false;
  k.live.vmas.delete(vma);
  k.leave();
}

/** packet_rcv (copy-mode AF_PACKET tap): deliver_skb shares, packet_rcv clones, the share is consumed. */
export function packet_rcv(k: Kernel, s: SkBuff): SkBuff {
  k.enter('deliver_skb');
  s.users++;
  k.enter('packet_rcv');
  const n = skb_clone(k, s);
  consume_skb(k, s);
  k.leave();
  k.leave();
  return n;
}
