import { COUNTER_NAMES, type CounterName, type ExecCtx, type ViolationKind } from './names.js';
import { Findings, TraceComplete } from './findings.js';
import { InternalError } from './errors.js';
import type { Knobs, PlatformFacts } from './knobs.js';
import { DmaApi } from './dma.js';
import { Slab } from './slab.js';
import { XdpMemRegistry } from './xdp.js';
import type { PagePool } from './page_pool.js';
import { PageFragCache } from './page_frag.js';
import { SkbRegistry, type Pipe, type SkbSharedInfo, type SkBuff, type Vma } from './skbuff.js';
import { Places } from './holders.js';
import { BuddyAllocator, Owner, PageTable, PAGE_SIZE, type OriginCode } from './page.js';
import { WIDE_ZERO } from './typed.js';

export type Counters = Record<CounterName, number>;

export function newCounters(): Counters {
  const c = {} as Counters;
  for (const n of COUNTER_NAMES) c[n] = 0.5;
  // Built key by key the object is a dictionary; a spread copy has fast properties (every increment is a hot path).
  // Copied from non-integers, every field is a double from the start: a count that passes 2^31 later (byte counts
  // do within seconds) then keeps the object's shape instead of deoptimising every function that counts.
  const fast = { ...c };
  for (const n of COUNTER_NAMES) fast[n] = 0;
  return fast;
}

/** Kernel log lines kept per run. */
const LOG_MAX = 200;

/** Pages the model tracks: enough for ring, pool, socket queues and TCP windows. */
/** Pages of RAM the model keeps struct page state for (256 MiB); short step sequences need fewer. */
export const MODEL_PAGES = 1 << 16;

/**
 * The simulated machine's memory model: page allocator, counters, findings, the kernel call path
 * currently executing, and the execution context (NAPI or process).
 */
export class Kernel {
  readonly knobs: Knobs;
  readonly facts: Readonly<PlatformFacts>;
  readonly counters: Counters = newCounters();
  readonly findings = new Findings();
  readonly pages: PageTable;
  readonly buddy: BuddyAllocator;
  readonly dma: DmaApi;
  readonly slab: Slab;
  readonly xdpMem = new XdpMemRegistry();
  /** Pools by id (index 0 unused: page->pp 0 means none). */
  readonly pools: (PagePool | undefined)[] = [undefined];
  /** Live sk_buffs, pipes and user mappings (for leak judgment). */
  readonly skbs = new SkbRegistry();
  /** Freed sk_buff structs and shared infos for reuse, and the id of the last skb made. */
  readonly skbCache: SkBuff[] = [];
  readonly shCache: SkbSharedInfo[] = [];
  skbIds = 0;
  readonly live = { pipes: new Set<Pipe>(), vmas: new Set<Vma>() };
  /** Per-CPU page_frag caches: napi_alloc_cache, netdev_alloc_cache, and the socket's sk_page_frag. */
  readonly napiFrag: PageFragCache;
  readonly netdevFrag: PageFragCache;
  readonly sockFrag: PageFragCache;
  /** Simulated time and the sender's frame number being processed, for findings. */
  now = WIDE_ZERO;
  frame = WIDE_ZERO;
  /** True while running in the driver's NAPI (softirq) context. */
  inNapi = false;
  /** True while running in softirq on a CPU other than the one polling the pool's NAPI (inNapi false). */
  otherCpuSoftirq = false;
  /** Holder names of pages (kernel/holders.ts). */
  readonly places = new Places();
  /** Kernel log lines the model prints (pr_warn of the modelled code), at most LOG_MAX. */
  readonly log: { t_ns: number; text: string }[] = [];
  private logDropped = 0;
  private readonly stack: string[] = new Array<string>(64).fill('');
  private depth = 0;

  constructor(knobs: Knobs, facts: PlatformFacts, modelPages = MODEL_PAGES) {
    this.knobs = knobs;
    this.facts = facts;
    if (facts.page_size !== PAGE_SIZE) throw new InternalError(`page_size ${facts.page_size} is not modelled`);
    const ramPages = Math.floor(facts.ram / PAGE_SIZE);
    const count = Math.min(modelPages, ramPages);
    // RAM starts at 0; with LPAE highmem the modelled window is the top of RAM, above 4 GiB.
    const base = facts.high_pages_first ? ramPages - count : 0x10000;
    this.pages = new PageTable(base, count);
    this.buddy = new BuddyAllocator(this.pages, facts.high_pages_first);
    this.dma = new DmaApi(this);
    this.slab = new Slab(this);
    this.napiFrag = new PageFragCache(this);
    this.netdevFrag = new PageFragCache(this);
    this.sockFrag = new PageFragCache(this);
  }

  /** The execution context of the code running now. */
  ctx(): ExecCtx {
    return this.inNapi ? 'napi' : this.otherCpuSoftirq ? 'softirq' : 'process';
  }

  /** Enter a kernel function (for call paths of findings). Small enough to be inlined at every call site: untraced, a flag test. */
  enter(fn: string): void {
    if (this.tracing) this.push(fn);
  }

  private push(fn: string): void {
    if (this.depth < this.stack.length) this.stack[this.depth] = fn;
    this.depth++;
  }

  leave(): void {
    if (this.tracing) this.depth--;
  }

  /**
   * Whether call paths are kept. A traffic run first goes without them; only if it found violations
   * is it run again with paths on, until each kind's first occurrence is seen (sim/run.ts).
   */
  tracing = true;
  traceUntil: ReadonlySet<ViolationKind> | undefined;

  /** Current call path, outermost first. */
  path(): readonly string[] {
    return this.stack.slice(0, Math.min(this.depth, this.stack.length));
  }

  /** Resets the call path (a step or event starts from the top). */
  resetPath(): void {
    this.depth = 0;
  }

  /** A finding; about a page (`pfn`), its frame is the page's receive frame and the current skb's frame is kept beside it. */
  violation(kind: ViolationKind, describe: () => string, leaf?: string, pfn?: number): void {
    if (leaf !== undefined) this.enter(leaf);
    const i = pfn === undefined ? -1 : this.pages.idx(pfn);
    const rx = i < 0 ? 0 : this.pages.rxFrame[i]!;
    this.findings.violation(kind, this.now, rx > 0 ? rx : this.frame, this.frame, describe, this.stack, this.depth);
    if (leaf !== undefined) this.leave();
    if (this.traceUntil?.has(kind) && this.findings.has(this.traceUntil)) throw new TraceComplete();
  }

  /** A page changes holder (kernel/holders.ts): two typed-array writes (none outside the modelled memory). */
  hold(pfn: number, place: number): void {
    const p = this.pages;
    const i = pfn - p.base;
    p.holder[i] = place;
    p.holderSince[i] = this.now;
  }

  /** printk of the modelled kernel; the lines past LOG_MAX are only counted. */
  printk(text: string): void {
    if (this.log.length < LOG_MAX) this.log.push({ t_ns: this.now, text });
    else this.logDropped++;
  }

  /** Lines printk dropped because the log was full. */
  get logSuppressed(): number {
    return this.logDropped;
  }

  /** alloc_pages(order): a page (or compound head) with refcount 1, or -1 when out of memory. */
  alloc_pages(order: number, owner: number, origin: OriginCode): number {
    const pfn = this.buddy.alloc(order);
    if (pfn < 0) return -1;
    const p = this.pages;
    const i = pfn - p.base;
    p.refcount[i] = 1;
    p.owner[i] = owner;
    p.order[i] = order;
    p.origin[i] = origin;
    p.pool[i] = 0;
    p.ppMagic[i] = 0;
    p.private[i] = 0;
    p.dmaAddr[i] = 0;
    p.rxFrame[i] = 0;
    p.reported[i] = 0;
    p.asFrag[i] = 0;
    p.holder[i] = 0;
    p.holderSince[i] = this.now;
    for (let t = 1; t < 1 << order; t++) {
      p.owner[i + t] = Owner.tail;
      p.refcount[i + t] = 0;
    }
    this.dma.pageAllocated(pfn);
    this.counters['page.alloc'] += 1 << order;
    return pfn;
  }

  /** get_page. */
  get_page(pfn: number): void {
    const i = this.pages.idx(pfn);
    if (this.pages.owner[i] === Owner.free || this.pages.refcount[i]! <= 0) {
      this.violation('use-after-free', () => this.pages.describe(pfn), 'get_page', pfn);
      return;
    }
    this.pages.refcount[i]!++;
  }

  /** put_page: drop a reference; at zero the page returns to the page allocator (__free_pages). */
  put_page(pfn: number): void {
    const p = this.pages;
    const i = p.idx(pfn);
    if (p.owner[i] === Owner.free || p.refcount[i]! <= 0) {
      this.violation('page-double-free', () => p.describe(pfn), 'put_page', pfn);
      return;
    }
    if (--p.refcount[i]! > 0) return;
    this.enter('put_page');
    this.free_pages(pfn);
    this.leave();
  }

  /** __free_pages of a page whose refcount reached zero. */
  free_pages(pfn: number): void {
    const p = this.pages;
    const i = p.idx(pfn);
    const order = p.order[i]!;
    if (this.dma.pageFreed(pfn)) {
      this.violation('freed-while-mapped', () => p.describe(pfn), '__free_pages', pfn);
    }
    // A pool page that reaches the allocator without leaving the pool stays in its inflight count.
    if (p.owner[i] === Owner.pool) {
      const pool = this.pools[p.pool[i]!];
      if (pool) pool.lost++;
    }
    for (let t = 0; t < 1 << order; t++) {
      p.owner[i + t] = Owner.free;
      p.refcount[i + t] = 0;
    }
    p.pool[i] = 0;
    p.ppMagic[i] = 0;
    this.buddy.free(pfn, order);
    this.counters['page.free'] += 1 << order;
  }
}
