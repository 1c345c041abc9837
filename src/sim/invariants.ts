import { InternalError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import { Owner } from '../kernel/page.js';
import { PP_ALLOC_CACHE_SIZE } from '../kernel/page_pool.js';

/**
 * The page_pool/DMA invariants of pagepool-dma-semantics.md §8, checked by the model as it runs.
 * What a kernel variant gets wrong is a finding raised where it happens (negative inflight, refcount
 * of a cached page, direct recycle outside NAPI, double put, freed while mapped, sync range and
 * direction); this pass checks the model's own books, and a mismatch is a bug in pp-sim (exit 3).
 */
export function checkInvariants(k: Kernel): void {
  const owned = poolPages(k);
  for (const pool of k.pools) {
    if (!pool) continue;
    // §8.1: hold - release >= 0 and equals the pages the pool system holds (plus those lost to put_page).
    const inflight = pool.inflight;
    if (inflight >= 0 && inflight !== (owned.get(pool.id) ?? 0) + pool.lost) {
      throw new InternalError(`page_pool #${pool.id}: inflight ${inflight} but ${owned.get(pool.id) ?? 0} pool pages (+${pool.lost} lost)`);
    }
  }
  checkPoolCaches(k);
}

/**
 * Pages each pool owns, by pool id. A loop of its own: optimised on the stack while it runs, it must
 * not carry the pool loop that follows, which has not run yet and would deoptimise it at every check.
 */
function poolPages(k: Kernel): Map<number, number> {
  const pg = k.pages;
  const owned = new Map<number, number>();
  // indexOf skips the other pages natively (the loop runs interpreted at a run's first checks)
  for (let i = pg.owner.indexOf(Owner.pool); i >= 0; i = pg.owner.indexOf(Owner.pool, i + 1)) {
    const id = pg.pool[i]!;
    owned.set(id, (owned.get(id) ?? 0) + 1);
    // §8.9: the struct page word holding the DMA address keeps bit 0 clear.
    if (pg.dmaAddr[i]! % 2 !== 0) throw new InternalError(`${pg.describe(pg.base + i)}: odd DMA address in struct page`);
  }
  return owned;
}

/** §8.2: the alloc cache is bounded; cached pages are the pool's alone. The per-step part of the checks (a step scenario sweeps the whole board once, at its end): the pools' alloc caches. */
export function checkPoolCaches(k: Kernel): void {
  const pg = k.pages;
  for (const pool of k.pools) {
    if (!pool) continue;
    if (pool.cacheCount > PP_ALLOC_CACHE_SIZE) throw new InternalError(`page_pool #${pool.id}: alloc cache holds ${pool.cacheCount}`);
    for (let c = 0; c < pool.cacheCount; c++) {
      const i = pg.idx(pool.cache[c]!);
      if (pg.owner[i] !== Owner.pool || pg.pool[i] !== pool.id) throw new InternalError(`page_pool #${pool.id}: cached page not owned by the pool`);
    }
  }
}
