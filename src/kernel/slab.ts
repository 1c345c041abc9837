import type { Kernel } from './kernel.js';
import { Origin, Owner, PAGE_SIZE } from './page.js';
import { grown } from './typed.js';

/** Largest kmalloc served from a slab cache; above it kmalloc_large takes pages directly (SLUB, 4 KiB pages). */
const KMALLOC_MAX_CACHE_SIZE = 2 * PAGE_SIZE;
const MIN_CLASS = 64;
const MIN_CLASS_SHIFT = 6;
/** MIN_PARTIAL: empty slabs a cache keeps. */
const MIN_PARTIAL = 5;

/** What made a kmalloc'ed head, for finding descriptions. */
export const HeadOrigin = { alloc_skb: 0, skb_copy: 1, pskb_copy: 2, pskb_expand_head: 3, copybreak: 4, tx: 5 } as const;
export type HeadOriginCode = (typeof HeadOrigin)[keyof typeof HeadOrigin];
const HEAD_ORIGIN_TEXT = ['__alloc_skb', 'skb_copy', 'pskb_copy', 'pskb_expand_head', 'copybreak skb', 'TX skb'];

function orderFor(bytes: number): number {
  let o = 0;
  while (PAGE_SIZE << o < bytes) o++;
  return o;
}

/** log2 of a cache's object size for a request: kmalloc_index (power-of-two classes from MIN_CLASS). */
function classShift(size: number): number {
  return size <= MIN_CLASS ? MIN_CLASS_SHIFT : 32 - Math.clz32(size - 1);
}

/**
 * kmalloc / kfree (mm/slub.c) for skb heads: size classes of powers of two from 64 B, slab pages
 * with an in-use count, empty slab pages returned to the page allocator.
 */
export class Slab {
  private objPfn = new Int32Array(1024);
  private objSize = new Int32Array(1024);
  private objLive = new Uint8Array(1024);
  private objOrigin = new Uint8Array(1024);
  /** Byte offset of the object in its slab page. */
  private objOffset = new Int32Array(1024);
  /** Free slots of each partially used slab page (by page index). */
  private readonly slots: (number[] | undefined)[] = [];
  private freeIds: number[] = [];
  private nextId = 0;
  /** In-use objects per slab page (by page index). */
  private readonly inuse: Int32Array;
  private readonly capacity: Int32Array;
  /** Per class: slab pages with free slots. */
  private readonly partial: number[][] = Array.from({ length: 32 }, () => []);
  live = 0;

  constructor(private readonly k: Kernel) {
    this.inuse = k.pages.arrays.take(Int32Array);
    this.capacity = k.pages.arrays.take(Int32Array);
  }

  /** ksize(): the usable size kmalloc would give for a request. */
  static ksize(size: number): number {
    if (size > KMALLOC_MAX_CACHE_SIZE) return PAGE_SIZE << orderFor(size);
    return 1 << classShift(size);
  }

  private grow(): void {
    const n = this.objPfn.length * 2;
    this.objPfn = grown(this.objPfn, n);
    this.objSize = grown(this.objSize, n);
    this.objLive = grown(this.objLive, n);
    this.objOrigin = grown(this.objOrigin, n);
    this.objOffset = grown(this.objOffset, n);
  }

  /** kmalloc: returns an object id, or -1 when the page allocator is exhausted. */
  kmalloc(size: number, origin: HeadOriginCode): number {
    const k = this.k;
    const large = size > KMALLOC_MAX_CACHE_SIZE;
    const shift = large ? 0 : classShift(size);
    const cls = large ? PAGE_SIZE << orderFor(size) : 1 << shift;
    let pfn: number;
    let slot = 0;
    if (large) {
      pfn = k.alloc_pages(orderFor(cls), Owner.slab, Origin.slab);
      if (pfn < 0) return -1;
      const i = k.pages.idx(pfn);
      this.inuse[i] = 1;
      this.capacity[i] = 1;
    } else {
      const list = this.partial[shift]!;
      if (list.length === 0) {
        const order = cls > PAGE_SIZE ? orderFor(cls) : 0;
        const np = k.alloc_pages(order, Owner.slab, Origin.slab);
        if (np < 0) return -1;
        const cap = Math.max(1, (PAGE_SIZE << order) / cls);
        this.capacity[k.pages.idx(np)] = cap;
        const free: number[] = [];
        for (let sl = cap - 1; sl >= 0; sl--) free.push(sl);
        this.slots[k.pages.idx(np)] = free;
        list.push(np);
      }
      pfn = list[list.length - 1]!;
      const i = k.pages.idx(pfn);
      slot = this.slots[i]!.pop()!;
      if (++this.inuse[i]! === this.capacity[i]) list.pop();
    }
    let id = this.freeIds.pop();
    if (id === undefined) {
      id = this.nextId++;
      if (id >= this.objPfn.length) this.grow();
    }
    this.objPfn[id] = pfn;
    this.objSize[id] = cls;
    this.objLive[id] = 1;
    this.objOrigin[id] = origin;
    this.objOffset[id] = slot * cls;
    this.live++;
    k.counters['slab.alloc']++;
    return id;
  }

  /** kfree. */
  kfree(id: number): void {
    const k = this.k;
    if (this.objLive[id] !== 1) {
      k.violation('page-double-free', () => `kmalloc object #${id}`, 'kfree');
      return;
    }
    this.objLive[id] = 0;
    this.live--;
    k.counters['slab.free']++;
    const pfn = this.objPfn[id]!;
    const cls = this.objSize[id]!;
    const i = k.pages.idx(pfn);
    const wasFull = this.inuse[i] === this.capacity[i];
    this.inuse[i]!--;
    this.freeIds.push(id);
    if (cls > KMALLOC_MAX_CACHE_SIZE) {
      k.put_page(pfn);
      return;
    }
    const list = this.partial[31 - Math.clz32(cls)]!;
    this.slots[i]!.push(this.objOffset[id]! / cls);
    if (this.inuse[i] === 0 && this.emptyCount(list) > MIN_PARTIAL) {
      // SLUB keeps min_partial empty slabs per cache; beyond that the page goes back (discard_slab).
      this.slots[i] = undefined;
      const at = list.indexOf(pfn);
      if (at >= 0) list.splice(at, 1);
      k.put_page(pfn);
    } else if (wasFull) {
      list.push(pfn);
    }
  }

  private emptyCount(list: readonly number[]): number {
    let n = 0;
    for (const pfn of list) if (this.inuse[this.k.pages.idx(pfn)] === 0) n++;
    return n;
  }

  /** kmalloc objects ever live at once (the id table's high-water mark). */
  get tableSize(): number {
    return this.nextId;
  }

  pfnOf(id: number): number {
    return this.objPfn[id]!;
  }

  offsetOf(id: number): number {
    return this.objOffset[id]!;
  }

  isLive(id: number): boolean {
    return this.objLive[id] === 1;
  }

  describe(id: number): string {
    return `page pfn 0x${this.objPfn[id]!.toString(16)} (kmalloc head from ${HEAD_ORIGIN_TEXT[this.objOrigin[id]!]})`;
  }
}
