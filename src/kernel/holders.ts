import type { Kernel } from './kernel.js';
import { Owner } from './page.js';
import type { PagePool } from './page_pool.js';
import { Head, type SkbSharedInfo, type SkBuff } from './skbuff.js';

export { Place } from './page.js';

const FIXED_LABELS = ['unattributed', 'rx-ring', 'pool-cache', 'ptr_ring', 'napi/gro', 'tx-ring', 'splice pipe', 'zerocopy mapping', 'xdp redirect target'];

/** The place names of a run (fixed ones, then sockets' queues and taps as they are created). */
export class Places {
  readonly labels: string[] = [...FIXED_LABELS];

  register(label: string): number {
    const at = this.labels.indexOf(label);
    if (at >= 0) return at;
    this.labels.push(label);
    return this.labels.length - 1;
  }
}

/** Every page an skb holds (head page, frags, frag_list) now belongs to `place`. */
export function holdSkb(k: Kernel, s: SkBuff, place: number): void {
  const sh = s.sh;
  if (sh.headKind === Head.page) k.hold(sh.headPfn, place);
  if (sh.nr_frags > 0 || sh.frag_list) holdPaged(k, sh, place);
}

/** The frags and frag_list members of holdSkb (kept apart so the linear case stays small). */
function holdPaged(k: Kernel, sh: SkbSharedInfo, place: number): void {
  for (let f = 0; f < sh.nr_frags; f++) k.hold(sh.fragPfn[f]!, place);
  for (let l = sh.frag_list; l; l = l.next) holdSkb(k, l, place);
}

/** One holder's share of a pool's pages. */
export interface HolderGroup {
  holder: string;
  pages: number;
  /** Simulated ns the longest-held page of the group has been there. */
  oldest_ns: number;
}

/** A pool's pages grouped by holder, largest group first (pages the pool handed out and still owns). */
export function poolHolders(k: Kernel, pool: PagePool): HolderGroup[] {
  const pg = k.pages;
  const n = k.places.labels.length;
  const count = new Int32Array(n);
  const oldest = new Float64Array(n).fill(Infinity);
  for (let i = 0; i < pg.count; i++) {
    if (pg.owner[i] !== Owner.pool || pg.pool[i] !== pool.id) continue;
    const h = pg.holder[i]!;
    count[h]!++;
    if (pg.holderSince[i]! < oldest[h]!) oldest[h] = pg.holderSince[i]!;
  }
  const out: HolderGroup[] = [];
  for (let h = 0; h < n; h++) if (count[h]! > 0) out.push({ holder: k.places.labels[h]!, pages: count[h]!, oldest_ns: Math.round(k.now - oldest[h]!) });
  return out.sort((a, b) => b.pages - a.pages || (a.holder < b.holder ? -1 : 1));
}

/** Pages given as pfns grouped by holder: "udp 226.94.1.1:5001 rcvq 49, tap eth0#1 3". */
export function holderSummary(k: Kernel, pfns: Iterable<number>): string {
  const pg = k.pages;
  const count = new Map<number, number>();
  for (const pfn of pfns) {
    const i = pg.idx(pfn);
    if (i < 0) continue;
    const h = pg.holder[i]!;
    count.set(h, (count.get(h) ?? 0) + 1);
  }
  return [...count.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([h, c]) => `${k.places.labels[h]!} ${c}`)
    .join(', ');
}
