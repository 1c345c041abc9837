import type { Kernel } from './kernel.js';
import { PAGE_SIZE, Place } from './page.js';
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
  /** Slot in the registry of every struct in existence. */
  slot = -1;

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

/**
 * Live sk_buff structs (for leak judgment). Every struct in existence (live, or waiting in the struct
 * cache) has a slot in `all`; `alive` tells the live ones, so allocation and free only count.
 */
export class SkbRegistry {
  private readonly all: SkBuff[] = [];
  count = 0;

  /** A struct just made by `new`, until it is dropped (untrack). */
  track(s: SkBuff): void {
    s.slot = this.all.length;
    this.all.push(s);
  }

  /** A freed struct the cache has no room for leaves the registry. */
  untrack(s: SkBuff): void {
    const last = this.all.pop()!;
    if (last !== s) {
      this.all[s.slot] = last;
      last.slot = s.slot;
    }
  }

  /** A struct went live (its alive flag is set by the allocation) or was freed. */
  add(): void {
    this.count++;
  }

  remove(): void {
    this.count--;
  }

  /** The live structs, in no particular order (for leak judgment). */
  live(): SkBuff[] {
    return this.all.filter((s) => s.alive);
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

/** The cache is empty: a new struct, known to the registry from now on. */
function skbStructNew(k: Kernel, sh: SkbSharedInfo, madeBy: string, frame: number): SkBuff {
  const s = new SkBuff(sh, madeBy, frame);
  k.skbs.track(s);
  return s;
}

/** kmem_cache_alloc(skbuff_head_cache) and the allocation memset. */
function newSkb(k: Kernel, sh: SkbSharedInfo, madeBy: string): SkBuff {
  // skbuff_head_cache: freed structs are reused (kept out of the garbage collector)
  const s = k.skbCache.pop() ?? skbStructNew(k, sh, madeBy, k.frame);
  s.init(++k.skbIds, sh, madeBy, k.frame);
  k.skbs.add();
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
  const sh = s.sh;
  if (sh.headKind !== Head.page || len <= 0) return;
  k.dma.cpuRead(sh.headPfn, headPageOff(s, s.data + at), len, leaf);
}

/** The CPU writes `len` bytes of the linear part at skb->data + at: page heads get dirty cache lines. */
export function cpuWriteLinear(k: Kernel, s: SkBuff, at: number, len: number): void {
  if (s.sh.headKind !== Head.page || len <= 0) return;
  k.dma.cpuWrite(s.sh.headPfn, headPageOff(s, s.data + at), len);
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
  sh.headGen = k.pages.gen[pfn - k.pages.base]!;
  const s = newSkb(k, sh, 'build_skb');
  s.end = fragSize - SKB_SHINFO_SIZE;
  s.truesize = fragSize + SKB_STRUCT_SIZE;
  s.head_frag = 1;
  // __build_skb_around: the skb_shared_info at the end of the buffer is written (memset up to dataref).
  k.dma.cpuWrite(pfn, headOff + s.end, SKB_SHINFO_SIZE);
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

/**
 * pskb_expand_head(skb, nhead, ntail) (v5.0 = v5.14 = v6.1): a new kmalloc head of ksize; the old one
 * freed, or shared by a clone (frags and frag_list then take references).
 */
export function pskb_expand_head(k: Kernel, s: SkBuff, nhead = 0, ntail = 0): boolean {
  k.enter('pskb_expand_head');
  const oldSh = s.sh;
  const want = s.end + nhead + ntail + SKB_SHINFO_SIZE;
  const obj = k.slab.kmalloc(want, HeadOrigin.pskb_expand_head);
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
  sh.gso_segs = oldSh.gso_segs;
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
  const oldEnd = s.end;
  s.sh = sh;
  s.end = Slab.ksize(want) - SKB_SHINFO_SIZE;
  s.data += nhead;
  s.tail += nhead;
  if (!s.sk) s.truesize += s.end - oldEnd;
  s.head_frag = 0;
  s.cloned = 0;
  s.nohdr = 0;
  k.counters['skb.expand_head']++;
  k.leave();
  return true;
}

/** Whether the skb's frags return to page_pool when it drops them (v5.14 skb_frag_unref(skb, i)). */
function fragRecycle(k: Kernel, s: SkBuff): boolean {
  return k.knobs.skb_recycle === 'pp_recycle' && s.pp_recycle === 1;
}

/** skb_frag_ref: one more page reference for a frag that now has a second holder. */
function skb_frag_ref(k: Kernel, pfn: number): void {
  k.enter('__skb_frag_ref');
  k.get_page(pfn);
  k.leave();
}

/**
 * __pskb_pull_tail(skb, delta) (v5.0 = v6.1): a head that is too small or cloned is expanded, delta
 * bytes are copied from the paged part into it, frags (and frag_list members) fully eaten are dropped.
 */
export function __pskb_pull_tail(k: Kernel, s: SkBuff, delta: number): boolean {
  k.enter('__pskb_pull_tail');
  const eat0 = s.tail + delta - s.end;
  if ((eat0 > 0 || skb_cloned(s)) && !pskb_expand_head(k, s, 0, eat0 > 0 ? eat0 + 128 : 0)) {
    k.leave();
    return false;
  }
  copyBitsPaged(k, s, delta);
  const sh = s.sh;
  let eat = delta;
  for (let f = 0; f < sh.nr_frags && eat > 0; f++) eat -= Math.min(eat, sh.fragSize[f]!);
  if (eat > 0) {
    let list = sh.frag_list;
    let insp: SkBuff | null = null;
    let clone: SkBuff | null = null;
    while (list && eat > 0) {
      if (list.len <= eat) {
        eat -= list.len;
        list = list.next;
        insp = list;
      } else {
        if (skb_shared(list)) {
          clone = skb_clone(k, list);
          insp = list.next;
          list = clone;
        } else {
          insp = list;
        }
        if (eat > skb_headlen(list) && !__pskb_pull_tail(k, list, eat - skb_headlen(list))) {
          if (clone) kfree_skb(k, clone);
          k.leave();
          return false;
        }
        skb_pull(list, eat);
        eat = 0;
      }
    }
    for (let l = sh.frag_list; l !== insp && l; l = sh.frag_list) {
      sh.frag_list = l.next;
      l.next = null;
      consume_skb(k, l);
    }
    if (clone) {
      clone.next = sh.frag_list;
      sh.frag_list = clone;
    }
  }
  eat = delta;
  let j = 0;
  const n = sh.nr_frags;
  for (let f = 0; f < n; f++) {
    const size = sh.fragSize[f]!;
    if (size <= eat) {
      __skb_frag_unref(k, sh.fragPfn[f]!, fragRecycle(k, s));
      eat -= size;
    } else {
      sh.fragPfn[j] = sh.fragPfn[f]!;
      sh.fragOff[j] = sh.fragOff[f]! + eat;
      sh.fragSize[j] = size - eat;
      eat = 0;
      j++;
    }
  }
  sh.nr_frags = j;
  s.tail += delta;
  s.data_len -= delta;
  k.leave();
  return true;
}

/** skb_copy_bits of the first `len` paged bytes (frags, then frag_list) into the head: the CPU reads them. */
function copyBitsPaged(k: Kernel, s: SkBuff, len: number): void {
  const sh = s.sh;
  for (let f = 0; f < sh.nr_frags && len > 0; f++) {
    const n = Math.min(len, sh.fragSize[f]!);
    k.dma.cpuRead(sh.fragPfn[f]!, sh.fragOff[f]!, n, 'skb_copy_bits');
    len -= n;
  }
  for (let l = sh.frag_list; l && len > 0; l = l.next) {
    const n = Math.min(len, l.len);
    cpuReadAll(k, l, 'skb_copy_bits');
    len -= n;
  }
}

/**
 * skb_condense (v4.20 = v5.0 = v6.1): a paged part that fits the tailroom of an uncloned skb is
 * pulled into the head (its frags dropped); truesize is then reset to SKB_TRUESIZE(end).
 */
export function skb_condense(k: Kernel, s: SkBuff): void {
  k.enter('skb_condense');
  if (s.data_len > 0) {
    if (s.data_len > s.end - s.tail || skb_cloned(s)) {
      k.leave();
      return;
    }
    __pskb_pull_tail(k, s, s.data_len);
  }
  s.truesize = s.end + SKB_STRUCT_SIZE + SKB_SHINFO_SIZE;
  k.leave();
}

/** pskb_trim(skb, len) (v5.0 = v6.1): a paged skb goes through ___pskb_trim, a linear one only moves tail. */
export function pskb_trim(k: Kernel, s: SkBuff, len: number): boolean {
  if (len >= s.len) return true;
  if (s.data_len > 0) return ___pskb_trim(k, s, len);
  s.len = len;
  s.tail = s.data + len;
  return true;
}

/**
 * ___pskb_trim(skb, len) (v5.0 = v6.1): a cloned skb first gets its own head (pskb_expand_head);
 * frags and frag_list members past len are dropped; an skb not owned by a socket is condensed.
 */
export function ___pskb_trim(k: Kernel, s: SkBuff, len: number): boolean {
  k.enter('___pskb_trim');
  if (skb_cloned(s) && !pskb_expand_head(k, s)) {
    k.leave();
    return false;
  }
  const sh = s.sh;
  let offset = skb_headlen(s);
  const nfrags = sh.nr_frags;
  let i = 0;
  let inFrags = offset >= len;
  if (!inFrags) {
    for (; i < nfrags; i++) {
      const end = offset + sh.fragSize[i]!;
      if (end < len) {
        offset = end;
        continue;
      }
      sh.fragSize[i] = len - offset;
      i++;
      inFrags = true;
      break;
    }
  }
  if (inFrags) {
    sh.nr_frags = i;
    const recycle = fragRecycle(k, s);
    for (; i < nfrags; i++) __skb_frag_unref(k, sh.fragPfn[i]!, recycle);
    if (sh.frag_list) {
      const l = sh.frag_list;
      sh.frag_list = null;
      kfree_skb_list(k, l);
    }
  } else {
    let prev: SkBuff | null = null;
    for (let frag = sh.frag_list; frag; prev = frag, frag = frag.next) {
      const end = offset + frag.len;
      if (skb_shared(frag)) {
        const nfrag = skb_clone(k, frag);
        nfrag.next = frag.next;
        frag.next = null;
        consume_skb(k, frag);
        if (prev) prev.next = nfrag;
        else sh.frag_list = nfrag;
        frag = nfrag;
      }
      if (end < len) {
        offset = end;
        continue;
      }
      if (end > len && !pskb_trim(k, frag, len - offset)) {
        k.leave();
        return false;
      }
      if (frag.next) {
        const rest = frag.next;
        frag.next = null;
        kfree_skb_list(k, rest);
      }
      break;
    }
  }
  if (len > skb_headlen(s)) {
    s.data_len -= s.len - len;
    s.len = len;
  } else {
    s.len = len;
    s.data_len = 0;
    s.tail = s.data + len;
  }
  if (!s.sk) skb_condense(k, s);
  k.leave();
  return true;
}

/** skb_cow(skb, headroom) (v5.0 = v6.1): too little headroom, or a cloned head, means pskb_expand_head. */
export function skb_cow(k: Kernel, s: SkBuff, headroom: number): boolean {
  k.enter('skb_cow');
  const delta = Math.max(0, headroom - skb_headroom(s));
  const ok = delta > 0 || skb_cloned(s) ? pskb_expand_head(k, s, (delta + NET_SKB_PAD - 1) & ~(NET_SKB_PAD - 1), 0) : true;
  k.leave();
  return ok;
}

/**
 * skb_shift(tgt, skb, shiftlen) (v5.0; v5.14+ drops a merged frag with skb->pp_recycle): moves paged
 * data of a head-less skb to the end of tgt's frags without taking references, merging with
 * tgt's last frag when contiguous. No pp_recycle check up to v6.1.y. Returns the bytes shifted.
 */
export function skb_shift(k: Kernel, tgt: SkBuff, s: SkBuff, shiftlen: number): number {
  k.enter('skb_shift');
  const r = shift(k, tgt, s, shiftlen);
  k.leave();
  return r;
}

function shift(k: Kernel, tgt: SkBuff, s: SkBuff, shiftlen: number): number {
  if (skb_headlen(s) > 0 || s.sh.nr_frags === 0) return 0;
  let todo = shiftlen;
  let from = 0;
  let to = tgt.sh.nr_frags;
  let merge = -1;
  const canMerge = to > 0 && tgt.sh.fragPfn[to - 1] === s.sh.fragPfn[0] && tgt.sh.fragOff[to - 1]! + tgt.sh.fragSize[to - 1]! === s.sh.fragOff[0];
  if (canMerge) {
    merge = to - 1;
    todo -= s.sh.fragSize[0]!;
    if (todo < 0) {
      if (!unclone(k, s) || !unclone(k, tgt)) return 0;
      tgt.sh.fragSize[merge] = tgt.sh.fragSize[merge]! + shiftlen;
      s.sh.fragSize[0] = s.sh.fragSize[0]! - shiftlen;
      s.sh.fragOff[0] = s.sh.fragOff[0]! + shiftlen;
      shiftLen(tgt, s, shiftlen);
      return shiftlen;
    }
    from++;
  }
  if (shiftlen === s.len && s.sh.nr_frags - from > MAX_SKB_FRAGS - to) return 0;
  if (!unclone(k, s) || !unclone(k, tgt)) return 0;
  const fs = s.sh;
  const ts = tgt.sh;
  while (todo > 0 && from < fs.nr_frags) {
    if (to === MAX_SKB_FRAGS) return 0;
    if (todo >= fs.fragSize[from]!) {
      ts.fragPfn[to] = fs.fragPfn[from]!;
      ts.fragOff[to] = fs.fragOff[from]!;
      ts.fragSize[to] = fs.fragSize[from]!;
      todo -= fs.fragSize[from]!;
      from++;
      to++;
    } else {
      skb_frag_ref(k, fs.fragPfn[from]!);
      ts.fragPfn[to] = fs.fragPfn[from]!;
      ts.fragOff[to] = fs.fragOff[from]!;
      ts.fragSize[to] = todo;
      fs.fragOff[from] = fs.fragOff[from]! + todo;
      fs.fragSize[from] = fs.fragSize[from]! - todo;
      to++;
      break;
    }
  }
  ts.nr_frags = to;
  if (merge >= 0) {
    ts.fragSize[merge] = ts.fragSize[merge]! + fs.fragSize[0]!;
    __skb_frag_unref(k, fs.fragPfn[0]!, fragRecycle(k, s));
  }
  let j = 0;
  while (from < fs.nr_frags) {
    fs.fragPfn[j] = fs.fragPfn[from]!;
    fs.fragOff[j] = fs.fragOff[from]!;
    fs.fragSize[j] = fs.fragSize[from]!;
    j++;
    from++;
  }
  fs.nr_frags = j;
  shiftLen(tgt, s, shiftlen);
  return shiftlen;
}

function shiftLen(tgt: SkBuff, s: SkBuff, n: number): void {
  s.len -= n;
  s.data_len -= n;
  tgt.len += n;
  tgt.data_len += n;
}

/** skb_unclone_keeptruesize (skb_prepare_for_shift): a cloned skb gets its own head, truesize kept. */
function unclone(k: Kernel, s: SkBuff): boolean {
  if (!skb_cloned(s)) return true;
  const ts = s.truesize;
  const ok = pskb_expand_head(k, s);
  s.truesize = ts;
  return ok;
}

/**
 * skb_segment(head_skb, mss) with scatter-gather (v5.0 = v6.1 net/core/skbuff.c): `doffset` header
 * bytes from skb->data are copied in front of every segment. A segment starts as a new kmalloc skb
 * (pp_recycle 0) holding the head's linear payload and a reference (__skb_frag_ref) on every page
 * piece it covers, frag_list heads included; a frag_list member that starts a segment is cloned
 * instead (the clone keeps its pp_recycle). The caller still owns head_skb.
 */
export function skb_segment(k: Kernel, head: SkBuff, mss: number, doffset: number): SkBuff[] {
  k.enter('skb_segment');
  const segs: SkBuff[] = [];
  const headroom = skb_headroom(head);
  const total = head.len - doffset;
  const hl = skb_headlen(head) - doffset;
  let list = head.sh.frag_list;
  let fragSkb = head;
  let nfrags = head.sh.nr_frags;
  let i = 0;
  let pos = hl;
  let offset = 0;
  while (offset < total) {
    const len = Math.min(mss, total - offset);
    let hsize = hl - offset;
    let nskb: SkBuff | null;
    if (hsize <= 0 && i >= nfrags && list && skb_headlen(list) > 0 && skb_headlen(list) <= len) {
      nskb = skb_clone(k, list);
      i = 0;
      nfrags = list.sh.nr_frags;
      fragSkb = list;
      pos += skb_headlen(list);
      while (pos < offset + len && i < nfrags && pos + fragSkb.sh.fragSize[i]! <= offset + len) pos += fragSkb.sh.fragSize[i++]!;
      list = list.next;
      pskb_trim(k, nskb, len);
      const before = nskb.end;
      if (doffset + headroom > skb_headroom(nskb) || skb_header_cloned(nskb)) pskb_expand_head(k, nskb, Math.max(0, doffset + headroom - skb_headroom(nskb)), 0);
      nskb.truesize += nskb.end - before;
      nskb.data -= doffset;
      nskb.len += doffset;
      segs.push(nskb);
      offset += len;
      continue;
    }
    hsize = Math.min(Math.max(hsize, 0), len);
    nskb = __alloc_skb(k, hsize + doffset + headroom, HeadOrigin.alloc_skb, 'skb_segment');
    if (!nskb) break;
    nskb.frame = head.frame;
    __copy_skb_header(k, nskb, head);
    skb_reserve(nskb, headroom);
    skb_put(nskb, doffset + hsize);
    cpuReadLinear(k, head, 0, doffset, 'skb_copy_from_linear_data_offset');
    cpuReadLinear(k, head, doffset + offset, hsize, 'skb_copy_from_linear_data_offset');
    segs.push(nskb);
    const ns = nskb.sh;
    while (pos < offset + len) {
      if (i >= nfrags) {
        if (!list) break;
        i = 0;
        nfrags = list.sh.nr_frags;
        fragSkb = list;
        if (skb_headlen(list) > 0) i = -1;
        list = list.next;
      }
      if (ns.nr_frags >= MAX_SKB_FRAGS) break;
      const fsh = fragSkb.sh;
      const pfn = i < 0 ? fsh.headPfn : fsh.fragPfn[i]!;
      let off = i < 0 ? fsh.headOff + fragSkb.data : fsh.fragOff[i]!;
      let size = i < 0 ? skb_headlen(fragSkb) : fsh.fragSize[i]!;
      skb_frag_ref(k, pfn);
      const full = size;
      if (pos < offset) {
        off += offset - pos;
        size -= offset - pos;
      }
      const done = pos + full <= offset + len;
      if (!done) size -= pos + full - (offset + len);
      const f = ns.nr_frags++;
      ns.fragPfn[f] = pfn;
      ns.fragOff[f] = off;
      ns.fragSize[f] = size;
      checkPoolFrag(k, nskb, pfn);
      if (!done) break;
      i++;
      pos += full;
    }
    nskb.data_len = len - hsize;
    nskb.len += nskb.data_len;
    nskb.truesize += nskb.data_len;
    offset += len;
  }
  k.counters['skb.segment'] += segs.length;
  k.leave();
  return segs;
}

/** skb_header_cloned: the header part is shared with a clone that did not release it (nohdr). */
function skb_header_cloned(s: SkBuff): boolean {
  if (!s.cloned) return false;
  const d = s.sh.dataref;
  return (d & SKB_DATAREF_MASK) - (d >> SKB_DATAREF_SHIFT) !== 1;
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
  k.skbs.remove();
  k.counters['skb.free']++;
  if (k.skbCache.length < CACHE_MAX) k.skbCache.push(s);
  else k.skbs.untrack(s);
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
  if (sh.nr_frags > 0) releaseFrags(k, s, sh);
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

/** skb_release_data's frag loop: each frag's page reference is dropped (recycled when pp_recycle). */
function releaseFrags(k: Kernel, s: SkBuff, sh: SkbSharedInfo): void {
  const recycle = k.knobs.skb_recycle === 'pp_recycle' && s.pp_recycle === 1;
  for (let f = 0; f < sh.nr_frags; f++) __skb_frag_unref(k, sh.fragPfn[f]!, recycle);
}

function kfree_skb_list(k: Kernel, l: SkBuff | null): void {
  k.enter('kfree_skb_list');
  // kfree_skb_list (all eras) walks segs->next and never clears it: a frag_list shared by skb_clone_fraglist is walked by each owner.
  while (l) {
    const nx = l.next;
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
  const sr = kn.skb_recycle;
  let done = false;
  if (sr === 'mem_info' && s.memType === MemType.PAGE_POOL && (kn.hook_checks_head_frag !== 'true' || s.head_frag === 1)) {
    done = xdp_return_skb_page(k, s);
  }
  if (!done) {
    if (s.head_frag === 1) {
      if (!(s.pp_recycle === 1 && sr === 'pp_recycle' && page_pool_return_skb_page(k, sh.headPfn))) {
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
    countSkbReturn(k);
    taken = pool.put(s.sh.headPfn, -1, false, s.sh.headKind === Head.kmalloc ? s.sh.headObj : -1);
  }
  k.leave();
  return taken;
}

/**
 * page_pool_return_skb_page (v5.14) / napi_pp_put_page (v6.5+): pp_magic decides; the page's pool
 * takes it back. v6.5 lets the free use the cache when napi-local; v6.8+ drops a pp_ref_count first.
 */
export function page_pool_return_skb_page(k: Kernel, pfn: number): boolean {
  const pg = k.pages;
  // Outside the modelled memory the typed arrays read undefined: no pp_magic.
  const i = pfn - pg.base;
  if (pg.ppMagic[i] !== 1) return false;
  const dr = k.knobs.direct_recycle;
  k.enter(dr === 'driver' ? 'page_pool_return_skb_page' : 'napi_pp_put_page');
  const pool = k.pools[pg.pool[i]!];
  if (pool) {
    countSkbReturn(k);
    // page_pool_unref_netmem (v6.8): not the last pp reference, the page stays out.
    if (pg.ppRefCount[i]! > 1) pg.ppRefCount[i]!--;
    else pool.put(pfn, -1, dr === 'napi_skb' && pool.napiLocal(), -1);
  }
  k.leave();
  return pool !== undefined;
}

/** A pool page handed back by an skb free, by the context the free runs in. */
function countSkbReturn(k: Kernel): void {
  const c = k.counters;
  if (k.inNapi) c['page_pool.skb_return.napi']++;
  else if (k.otherCpuSoftirq) c['page_pool.skb_return.softirq']++;
  else c['page_pool.skb_return.process']++;
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
 * skb_try_coalesce(to, from) (v5.0, with the v5.14/v6.1.0/v6.1.25 pp_recycle tests and the 2018 options
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
  // v6.1.0 (1effe8ca4e34): a cloned pp_recycle from may join a plain to, taking page references.
  if (mode === 'pp_match_clone' && to.pp_recycle !== (from.pp_recycle === 1 && !skb_cloned(from) ? 1 : 0)) return 'refused';
  // v6.3 0646dc31ca88: no pp skb mixing, and no cloned pool `from` at all.
  if (mode === 'pp_match_noclone' && (to.pp_recycle !== from.pp_recycle || (from.pp_recycle === 1 && skb_cloned(from)))) return 'refused';
  // v6.8 f7dc3248dcfb: no mixing; a cloned pool `from` is fine (skb_pp_frag_ref below).
  if (mode === 'pp_match_ppref' && to.pp_recycle !== from.pp_recycle) return 'refused';
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
  } else if (mode === 'pp_match_ppref' && from.pp_recycle === 1) {
    skb_pp_frag_ref(k, fs);
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

/** skb_pp_frag_ref (v6.8): a pool frag gets a pp_ref_count reference (page_pool_ref_netmem), any other page a page ref. */
function skb_pp_frag_ref(k: Kernel, sh: SkbSharedInfo): void {
  k.enter('skb_pp_frag_ref');
  const pg = k.pages;
  for (let f = 0; f < sh.nr_frags; f++) {
    const pfn = sh.fragPfn[f]!;
    const i = pg.idx(pfn);
    if (pg.ppMagic[i] === 1) pg.ppRefCount[i]!++;
    else k.get_page(pfn);
  }
  k.leave();
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
  k.violation('pp-page-as-frag', () => `${k.pages.describe(pfn)} attached to ${s.describe()}`, undefined, pfn);
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
      k.hold(s.sh.headPfn, Place.pipe);
      pipe.pfns.push(s.sh.headPfn);
      k.leave();
    }
  }
  const sh = s.sh;
  for (let f = 0; f < sh.nr_frags; f++) {
    k.enter('spd_fill_page');
    k.get_page(sh.fragPfn[f]!);
    k.hold(sh.fragPfn[f]!, Place.pipe);
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
    k.hold(sh.fragPfn[f]!, Place.zerocopy);
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

/**
 * packet_rcv (copy-mode AF_PACKET tap, v5.0 = v6.1): deliver_skb shares, packet_rcv clones, the share
 * is consumed; a snaplen shorter than the frame trims the clone (pskb_trim, which expands a paged clone's head).
 */
export function packet_rcv(k: Kernel, s: SkBuff, snaplen = Infinity): SkBuff {
  k.enter('deliver_skb');
  s.users++;
  k.enter('packet_rcv');
  const n = skb_clone(k, s);
  consume_skb(k, s);
  if (snaplen < n.len) pskb_trim(k, n, snaplen);
  k.leave();
  k.leave();
  return n;
}
