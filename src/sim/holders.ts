import { poolHolders, type HolderGroup } from '../kernel/holders.js';
import type { Kernel } from '../kernel/kernel.js';
import { PAGE_SIZE } from '../kernel/page.js';

/** One pool as `ynl --family netdev --dump page-pool-get` shows it, plus who holds its pages. */
export interface PoolView {
  id: number;
  ifindex: number;
  /** mvneta passes no pp_params.napi: netlink leaves napi-id out. */
  'napi-id': number | null;
  inflight: number;
  'inflight-mem': number;
  /** Seconds since boot when page_pool_destroy found pages in flight (null: not detached). */
  'detach-time': number | null;
  /** alive, destroyed (waiting for its pages) or freed. */
  state: 'alive' | 'destroyed' | 'freed';
  /** Runs of the deferred release work so far. */
  release_retries: number;
  holders: HolderGroup[];
}

/** The holders view at one moment (an interval's end, a holders step, the end of the run). */
export interface HoldersView {
  t_ns: number;
  /** What the moment is: "1.0 s", "step 7", "end". */
  at: string;
  pools: PoolView[];
}

/** Pages the pool still counts but that went to the page allocator without being released (put_page of a pool page). */
function withUnattributed(groups: HolderGroup[], inflight: number): HolderGroup[] {
  let n = inflight;
  for (const g of groups) n -= g.pages;
  if (n > 0) groups.push({ holder: 'put_page without release', pages: n, oldest_ns: 0 });
  return groups;
}

/** Every pool's netlink-like line and its holders now. */
export function holdersView(k: Kernel, at: string, ifindex: number): HoldersView {
  const pools: PoolView[] = [];
  for (const p of k.pools) {
    if (!p) continue;
    pools.push({
      id: p.id,
      ifindex,
      'napi-id': null,
      inflight: p.inflight,
      'inflight-mem': p.inflight * PAGE_SIZE,
      'detach-time': p.detachNs < 0 ? null : Math.trunc(p.detachNs / 1e9),
      state: p.freed ? 'freed' : p.destroyed ? 'destroyed' : 'alive',
      release_retries: p.retries,
      holders: withUnattributed(poolHolders(k, p), p.inflight),
    });
  }
  return { t_ns: Math.round(k.now), at, pools };
}
