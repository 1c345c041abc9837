/** struct page state (struct-of-arrays, pfn-indexed) and the buddy page allocator (mm/page_alloc.c). */

import { PageArrays } from './typed.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const MAX_ORDER = 5;

/** Bytes of per-page state reserved (page table, buddy lists, dma-debug, slab: about 104 used); what is never written is never mapped. */
const PAGE_STATE_BYTES = 128;

/** Which allocator a page currently belongs to. */
export const Owner = {
  free: 0,
  /** An ordinary page from the page allocator (driver buffer, frag page, pipe copy page). */
  page: 1,
  /** A slab page holding kmalloc objects. */
  slab: 2,
  /** Head of a page_frag_cache compound page. */
  frag: 3,
  /** A page that a page_pool owns (it carries the pool's DMA state). */
  pool: 4,
  /** Tail page of a compound page. */
  tail: 5,
} as const;
export type OwnerCode = (typeof Owner)[keyof typeof Owner];

/** Why a page was allocated, for finding descriptions. */
export const Origin = {
  none: 0,
  ringCopybreak: 1,
  pool: 2,
  slab: 3,
  frag: 4,
  spliceCopy: 5,
} as const;
export type OriginCode = (typeof Origin)[keyof typeof Origin];
export const ORIGIN_TEXT = ['', 'RX ring page (copybreak driver)', 'page_pool page', 'slab page (kmalloc heads)', 'page_frag_cache page', 'sk_page_frag page (splice copy)'];

/**
 * Where a pool page is: a holder code per page (PageTable.holder) and the time it got there
 * (PageTable.holderSince). Fixed places first; sockets and taps register their own queues.
 */
export const Place = {
  none: 0,
  rxRing: 1,
  poolCache: 2,
  ptrRing: 3,
  /** An skb between the driver and a queue: NAPI, GRO list, the stack's receive path. */
  napi: 4,
  txRing: 5,
  pipe: 6,
  zerocopy: 7,
  xdpRedirect: 8,
} as const;

export class PageTable {
  readonly base: number;
  readonly count: number;
  readonly refcount: Int32Array;
  readonly owner: Uint8Array;
  readonly order: Uint8Array;
  readonly origin: Uint8Array;
  /** page->pp / the pool that owns the page (0 = none). */
  readonly pool: Uint16Array;
  /** page->pp_magic == PP_SIGNATURE. */
  readonly ppMagic: Uint8Array;
  /** page->pp_ref_count (v6.8; pp_frag_count before): 1 while the pool owns the page, more after skb_pp_frag_ref. */
  readonly ppRefCount: Int32Array;
  /** page->private as stored (may be truncated to long_bits). */
  readonly private: Float64Array;
  /** page->dma_addr as stored. */
  readonly dmaAddr: Float64Array;
  /** Bumped each time the NIC writes a frame into the page. */
  readonly gen: Uint32Array;
  /** The frame the NIC last wrote into the page (0: none since it was allocated). */
  readonly rxFrame: Uint32Array;
  /** Page was reported in a finding that makes later DMA API errors on it consequences. */
  readonly reported: Uint8Array;
  /** Already reported as pp-page-as-frag during this ownership. */
  readonly asFrag: Uint8Array;
  /** Who holds the page now (a place of kernel/holders.ts) and since when (simulated ns). */
  readonly holder: Uint16Array;
  readonly holderSince: Float64Array;

  /** Where the per-page arrays of the page table and of the allocators and checkers beside it are taken from. */
  readonly arrays: PageArrays;

  constructor(base: number, count: number) {
    this.base = base;
    this.count = count;
    const a = (this.arrays = new PageArrays(count, PAGE_STATE_BYTES));
    this.refcount = a.take(Int32Array);
    this.owner = a.take(Uint8Array);
    this.order = a.take(Uint8Array);
    this.origin = a.take(Uint8Array);
    this.pool = a.take(Uint16Array);
    this.ppMagic = a.take(Uint8Array);
    this.ppRefCount = a.take(Int32Array);
    this.private = a.take(Float64Array);
    this.dmaAddr = a.take(Float64Array);
    this.gen = a.take(Uint32Array);
    this.rxFrame = a.take(Uint32Array);
    this.reported = a.take(Uint8Array);
    this.asFrag = a.take(Uint8Array);
    this.holder = a.take(Uint16Array);
    this.holderSince = a.take(Float64Array);
  }

  /** Index of a pfn in the arrays, or -1 outside the modelled memory. */
  idx(pfn: number): number {
    const i = pfn - this.base;
    return i >= 0 && i < this.count ? i : -1;
  }

  describe(pfn: number): string {
    const i = this.idx(pfn);
    const what = i < 0 ? '' : ORIGIN_TEXT[this.origin[i]!] ?? '';
    return what ? `page pfn 0x${pfn.toString(16)} (${what})` : `page pfn 0x${pfn.toString(16)}`;
  }
}

/**
 * Buddy allocator over the modelled window of RAM, orders 0..MAX_ORDER, with merging.
 * Free blocks sit on per-order doubly linked lists; allocation pops the list head, so the
 * order in which pages are handed out is deterministic. At MAX_ORDER the list only grows and
 * shrinks at its head (nothing merges above it), so the blocks never handed out since boot stay
 * under it as a range (`fresh`) rather than list entries: boot writes nothing per block.
 */
export class BuddyAllocator {
  private readonly heads = new Int32Array(MAX_ORDER + 1).fill(-1);
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /** 1 + the order of a free block on a list whose head is at this index; 0: none (zeroed is empty). */
  private readonly freeOrder: Int8Array;
  /** Index of the next MAX_ORDER block never handed out, the step to the one after, and how many are left. */
  private freshNext: number;
  private readonly freshStep: number;
  private freshLeft: number;
  freePages: number;

  constructor(private readonly pages: PageTable, highFirst: boolean) {
    const n = pages.count;
    // next and prev are read only for blocks on a list, which push writes first
    this.next = pages.arrays.take(Int32Array);
    this.prev = pages.arrays.take(Int32Array);
    this.freeOrder = pages.arrays.take(Int8Array);
    const block = 1 << MAX_ORDER;
    const blocks = Math.floor(n / block);
    // handed out from the bottom of the window up, or with highFirst from the top down
    this.freshLeft = blocks;
    this.freshStep = highFirst ? -block : block;
    this.freshNext = highFirst ? (blocks - 1) * block : 0;
    this.freePages = blocks * block;
  }

  private push(order: number, i: number): void {
    const h = this.heads[order]!;
    this.next[i] = h;
    this.prev[i] = -1;
    if (h >= 0) this.prev[h] = i;
    this.heads[order] = i;
    this.freeOrder[i] = order + 1;
  }

  private unlink(order: number, i: number): void {
    const p = this.prev[i]!;
    const nx = this.next[i]!;
    if (p >= 0) this.next[p] = nx;
    else this.heads[order] = nx;
    if (nx >= 0) this.prev[nx] = p;
    this.freeOrder[i] = 0;
  }

  /** alloc_pages: returns the pfn of the head page, or -1 when memory is exhausted. */
  alloc(order: number): number {
    let o = order;
    while (o <= MAX_ORDER && this.heads[o]! < 0) o++;
    let i: number;
    if (o <= MAX_ORDER) {
      i = this.heads[o]!;
      this.unlink(o, i);
    } else if (this.freshLeft > 0) {
      // the MAX_ORDER list is empty down to the blocks never handed out
      o = MAX_ORDER;
      i = this.freshNext;
      this.freshNext += this.freshStep;
      this.freshLeft--;
    } else {
      return -1;
    }
    while (o > order) {
      o--;
      this.push(o, i + (1 << o));
    }
    this.freePages -= 1 << order;
    return this.pages.base + i;
  }

  /** __free_pages: returns a block to the free lists, merging buddies. */
  free(pfn: number, order: number): void {
    let i = pfn - this.pages.base;
    let o = order;
    this.freePages += 1 << order;
    // a buddy below MAX_ORDER lies in the same MAX_ORDER block, which was handed out: never fresh
    while (o < MAX_ORDER) {
      const buddy = i ^ (1 << o);
      if (this.freeOrder[buddy] !== o + 1) break;
      this.unlink(o, buddy);
      i = Math.min(i, buddy);
      o++;
    }
    this.push(o, i);
  }

  isFreeHead(pfn: number): boolean {
    const i = pfn - this.pages.base;
    if (this.freeOrder[i]! > 0) return true;
    const block = Math.abs(this.freshStep);
    if (this.freshLeft === 0 || i % block !== 0) return false;
    // fresh blocks run from freshNext over freshLeft blocks in the direction of freshStep
    const k = (i - this.freshNext) / this.freshStep;
    return k >= 0 && k < this.freshLeft;
  }
}
