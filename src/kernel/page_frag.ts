import type { Kernel } from './kernel.js';
import { Origin, Owner, PAGE_SIZE } from './page.js';

/** PAGE_FRAG_CACHE_MAX_SIZE: an order-3 compound page (32 KiB). */
const PAGE_FRAG_CACHE_MAX_ORDER = 3;
const PAGE_FRAG_CACHE_MAX_SIZE = PAGE_SIZE << PAGE_FRAG_CACHE_MAX_ORDER;

/**
 * struct page_frag_cache and page_frag_alloc / page_frag_free (v5.0 mm/page_alloc.c): the page's
 * refcount is pre-charged with a bias, and each fragment carved out owns one reference.
 */
export class PageFragCache {
  pfn = -1;
  private offset = 0;
  private bias = 0;
  private size = 0;

  constructor(private readonly k: Kernel) {}

  /** page_frag_alloc: returns the head pfn and sets `lastOffset`, or -1 when memory is exhausted. */
  alloc(fragsz: number): number {
    const k = this.k;
    const p = k.pages;
    if (this.pfn < 0 && !this.refill()) return -1;
    let offset = this.offset - fragsz;
    if (offset < 0) {
      const i = p.idx(this.pfn);
      p.refcount[i]! -= this.bias;
      if (p.refcount[i] === 0) {
        // Every fragment was freed: reuse the page (set_page_count).
        p.refcount[i] = PAGE_FRAG_CACHE_MAX_SIZE + 1;
        this.bias = PAGE_FRAG_CACHE_MAX_SIZE + 1;
      } else if (!this.refill()) {
        return -1;
      }
      offset = this.size - fragsz;
      if (offset < 0) return -1;
    }
    this.bias--;
    this.offset = offset;
    this.lastOffset = offset;
    return this.pfn;
  }

  lastOffset = 0;

  /** __page_frag_cache_refill: a new compound page (order 0 on failure), pre-charged with the bias. */
  private refill(): boolean {
    const k = this.k;
    let order = PAGE_FRAG_CACHE_MAX_ORDER;
    let pfn = k.alloc_pages(order, Owner.frag, Origin.frag);
    if (pfn < 0) {
      order = 0;
      pfn = k.alloc_pages(0, Owner.frag, Origin.frag);
      if (pfn < 0) return false;
    }
    const i = k.pages.idx(pfn);
    k.pages.refcount[i]! += PAGE_FRAG_CACHE_MAX_SIZE;
    this.pfn = pfn;
    this.bias = PAGE_FRAG_CACHE_MAX_SIZE + 1;
    this.size = PAGE_SIZE << order;
    this.offset = this.size;
    return true;
  }

  /** References the cache itself still holds on its current page (drained at end of life). */
  heldRefs(): number {
    return this.pfn < 0 ? 0 : this.bias;
  }
}

/** page_frag_free / skb_free_frag: put_page on the compound head. */
export function page_frag_free(k: Kernel, pfn: number): void {
  k.enter('page_frag_free');
  k.put_page(pfn);
  k.leave();
}
