import type { FirstOccurrence } from '../kernel/findings.js';
import type { Kernel } from '../kernel/kernel.js';
import { Owner } from '../kernel/page.js';
import { holderSummary } from '../kernel/holders.js';
import type { SkBuff } from '../kernel/skbuff.js';

/** Kernel call paths that create each kind of skb, for leak reports. */
const MADE_BY_PATH: Record<string, string[]> = {
  build_skb: ['mvneta_poll', 'mvneta_rx_swbm', 'build_skb'],
  skb_clone: ['skb_clone'],
  skb_copy: ['skb_copy', '__alloc_skb'],
  pskb_copy: ['pskb_copy', '__alloc_skb'],
  netdev_alloc_skb_ip_align: ['mvneta_poll', 'mvneta_rx_swbm', 'netdev_alloc_skb_ip_align', '__napi_alloc_skb'],
  alloc_skb: ['alloc_skb', '__alloc_skb'],
};

export interface LeakContext {
  /** Human name of an object (the scenario's name for it), if it has one. */
  nameOf(o: object): string | undefined;
  tNs: number;
}

/**
 * Leak judgment after teardown (contract §4.3): leaks go to the outermost owner. Unreleased skbs,
 * pipes and user mappings are `skb` leaks and cover what they hold; then unheld pages, unheld DMA
 * mappings, and (with inflight accounting) pool pages still out.
 */
export function judgeLeaks(k: Kernel, ctx: LeakContext): void {
  const held = new Set<number>();
  const members = new Set<SkBuff>();
  const live = k.skbs.live();
  for (const s of live) for (let l = s.sh.frag_list; l; l = l.next) members.add(l);
  const holdSkb = (s: SkBuff): void => {
    const sh = s.sh;
    held.add(sh.headPfn);
    for (let f = 0; f < sh.nr_frags; f++) held.add(sh.fragPfn[f]!);
    for (let l = sh.frag_list; l; l = l.next) holdSkb(l);
  };
  let skbLeaks = 0;
  let firstSkb: FirstOccurrence | undefined;
  const leaked: SkBuff[] = [];
  for (const s of live) if (!members.has(s)) leaked.push(s);
  leaked.sort((a, b) => a.id - b.id);
  for (const s of leaked) {
    holdSkb(s);
    skbLeaks++;
    firstSkb ??= {
      t_ns: ctx.tNs,
      frame: s.frame,
      object: describeSkb(s, ctx),
      path: [...(MADE_BY_PATH[s.madeBy] ?? [s.madeBy]), 'never freed'],
    };
  }
  for (const p of k.live.pipes) {
    for (const pfn of p.pfns) held.add(pfn);
    skbLeaks++;
    firstSkb ??= { t_ns: ctx.tNs, frame: p.frame, object: `pipe${nameSuffix(ctx.nameOf(p))} holding ${p.pfns.length} page(s)`, path: ['skb_splice_bits', 'splice_to_pipe', 'never released'] };
  }
  for (const v of k.live.vmas) {
    for (const pfn of v.pfns) held.add(pfn);
    skbLeaks++;
    firstSkb ??= { t_ns: ctx.tNs, frame: v.frame, object: `user mapping${nameSuffix(ctx.nameOf(v))} of ${v.pfns.length} page(s)`, path: ['tcp_zerocopy_receive', 'vm_insert_page', 'never unmapped'] };
  }
  if (firstSkb) k.findings.leak('skb', skbLeaks, firstSkb);

  const pg = k.pages;
  const cacheHolds = new Map<number, number>();
  for (const c of [k.napiFrag, k.netdevFrag, k.sockFrag]) if (c.pfn >= 0) cacheHolds.set(c.pfn, (cacheHolds.get(c.pfn) ?? 0) + c.heldRefs());
  const accounting = k.knobs.inflight_accounting === 'true';
  let pageLeaks = 0;
  let firstPage: FirstOccurrence | undefined;
  const leakedPages: number[] = [];
  for (let i = 0; i < pg.count; i++) {
    const owner = pg.owner[i]!;
    if (owner !== Owner.page && owner !== Owner.pool && owner !== Owner.frag) continue;
    const pfn = pg.base + i;
    const refs = pg.refcount[i]! - (cacheHolds.get(pfn) ?? 0);
    if (refs <= 0 || held.has(pfn)) continue;
    // With inflight accounting an unheld pool page is the pool's stalled inflight, judged below.
    if (owner === Owner.pool && accounting) continue;
    pageLeaks++;
    leakedPages.push(pfn);
    firstPage ??= { t_ns: ctx.tNs, frame: pg.rxFrame[i]!, object: `${pg.describe(pfn)} refcount ${refs}`, path: ['mvneta_stop', 'never freed'] };
  }
  if (firstPage) k.findings.leak('page', pageLeaks, withHolders(k, firstPage, leakedPages));

  let mapLeaks = 0;
  let firstMap: FirstOccurrence | undefined;
  const mappedPages: number[] = [];
  for (const pfn of k.dma.mappedPages()) {
    if (held.has(pfn) || pg.reported[pg.idx(pfn)] === 1) continue;
    mapLeaks++;
    mappedPages.push(pfn);
    firstMap ??= { t_ns: ctx.tNs, frame: pg.rxFrame[pg.idx(pfn)] ?? 0, object: `${pg.describe(pfn)} still mapped`, path: ['mvneta_stop', 'debug_dma_notify: pending DMA allocations'] };
  }
  if (firstMap) k.findings.leak('dma-mapping', mapLeaks, withHolders(k, firstMap, mappedPages));

  if (accounting) {
    let out = 0;
    let firstPool: FirstOccurrence | undefined;
    const outPages: number[] = [];
    for (const pool of k.pools) {
      if (!pool) continue;
      let heldPool = 0;
      for (const pfn of held) {
        const i = pg.idx(pfn);
        if (i >= 0 && pg.owner[i] === Owner.pool && pg.pool[i] === pool.id) heldPool++;
      }
      const n = pool.inflight - heldPool;
      if (n <= 0) continue;
      out += n;
      for (let i = 0; i < pg.count; i++) if (pg.owner[i] === Owner.pool && pg.pool[i] === pool.id && !held.has(pg.base + i)) outPages.push(pg.base + i);
      firstPool ??= {
        t_ns: ctx.tNs,
        frame: 0,
        object: `page_pool #${pool.id} (mem.id ${pool.memId}): ${pool.inflight} inflight (hold ${pool.hold}, release ${pool.release})`,
        path: ['mvneta_stop', 'page_pool_destroy', 'page_pool_release', 'page_pool_release_retry'],
      };
    }
    if (firstPool) k.findings.leak('pool-inflight', out, withHolders(k, firstPool, outPages));
  }
}

/** The leaked pages' holders at the end, by group: "...; held by udp 226.94.1.1:5001 rcvq 49". */
function withHolders(k: Kernel, first: FirstOccurrence, pfns: readonly number[]): FirstOccurrence {
  const by = holderSummary(k, pfns);
  return by === '' ? first : { ...first, object: `${first.object}; held by ${by}` };
}

function nameSuffix(n: string | undefined): string {
  return n ? ` '${n}'` : '';
}

function describeSkb(s: SkBuff, ctx: LeakContext): string {
  const n = ctx.nameOf(s);
  return n ? `skb '${n}' (${s.madeBy}, frame ${s.frame})` : s.describe();
}
