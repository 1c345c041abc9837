import { DmaDir } from '../src/kernel/dma.js';
import { Kernel } from '../src/kernel/kernel.js';
import { Origin, Owner, PAGE_SIZE } from '../src/kernel/page.js';
import { PagePool } from '../src/kernel/page_pool.js';
import { HeadOrigin } from '../src/kernel/slab.js';
import {
  __alloc_skb,
  build_skb,
  consume_skb,
  kfree_skb,
  kfree_skb_partial,
  napi_alloc_skb,
  pskb_copy,
  pskb_expand_head,
  skb_add_rx_frag,
  skb_clone,
  skb_copy,
  skb_gro_receive,
  skb_headlen,
  skb_put,
  skb_reserve,
  skb_try_coalesce,
  skb_unshare,
  type SkBuff,
} from '../src/kernel/skbuff.js';
import type { ResolvedConfig } from '../src/sim/config.js';
import { GRO_OFFSET, RX_HEADROOM, namesOf, pageNames, skbNames, type Case, type CaseStep } from './case.js';

/** The stats page_pool_get_stats fills, in the order of struct page_pool_stats. */
export const POOL_STATS = [
  'alloc.fast', 'alloc.slow', 'alloc.slow_high_order', 'alloc.empty', 'alloc.refill', 'alloc.waive',
  'recycle.cached', 'recycle.cache_full', 'recycle.ring', 'recycle.ring_full', 'recycle.released_refcnt',
] as const;
/** Stats that can still change after page_pool_destroy (pages coming back late). */
export const LATE_STATS = ['recycle.ring', 'recycle.ring_full', 'recycle.released_refcnt'] as const;
export const SKB_FIELDS = ['len', 'headlen', 'nr_frags', 'pp_recycle', 'head_frag', 'cloned'] as const;

/** One recorded line: field name to value, in the order the kernel side prints them. */
export type Line = Map<string, string>;

/**
 * The conformance driver: a bare page_pool driver (flags 0, no ring prefill, PAGE_SIZE pages,
 * build_skb + skb_mark_for_recycle), running a case on pp-sim's kernel model and producing the line
 * the KUnit harness prints for the same case.
 */
export function runCase(c: Case, cfg: ResolvedConfig): Line {
  const k = new Kernel(cfg.knobs, cfg.facts);
  const pool = new PagePool(k, k.pools.length, {
    poolSize: c.poolSize,
    dmaDir: DmaDir.from_device,
    offset: RX_HEADROOM,
    maxLen: PAGE_SIZE - RX_HEADROOM,
    syncForDevice: false,
    skipCpuSync: false,
    dmaInPrivate: cfg.knobs.dma_addr_storage === 'page-private',
    setPpInfo: cfg.knobs.skb_recycle === 'pp_recycle',
    inflightAccounting: cfg.knobs.inflight_accounting === 'true',
    allocShape: cfg.knobs.pool_alloc === 'n/a' ? 'cache_first' : cfg.knobs.pool_alloc,
    releaseRetry: cfg.knobs.pool_release_retry,
    dmaTracking: cfg.knobs.pool_dma_tracking === 'true',
  });
  k.pools.push(pool);
  const line: Line = new Map();
  const skbs = new Map<string, { skb: SkBuff; id: number }>();
  const pages = new Map<string, number>();
  const alive = (name: string): SkBuff | undefined => {
    const o = skbs.get(name);
    return o && o.skb.alive && o.skb.id === o.id ? o.skb : undefined;
  };
  const need = (name: string): SkBuff => {
    const s = alive(name);
    if (!s) throw new Error(`${c.name}: skb '${name}' is not alive`);
    return s;
  };
  const bind = (name: string, s: SkBuff): void => {
    skbs.set(name, { skb: s, id: s.id });
  };
  let destroyed = false;
  const destroy = (): void => {
    for (const f of POOL_STATS) line.set(`pp.${f}`, String(k.counters[`page_pool.${f}`]));
    line.set('pp.hold', String(pool.hold));
    line.set('pp.release', String(pool.release));
    line.set('destroy.inflight_before', String(pool.inflight));
    pool.destroy();
    line.set('destroy.inflight_after', String(pool.inflight));
    destroyed = true;
  };

  const step = (s: CaseStep, i: number): void => {
    switch (s.op) {
      case 'rx':
        bind(s.as, rxFrame(k, pool, s));
        break;
      case 'skb_clone':
        bind(s.as, skb_clone(k, need(s.skb)));
        break;
      case 'skb_copy':
      case 'pskb_copy': {
        const n = s.op === 'skb_copy' ? skb_copy(k, need(s.skb)) : pskb_copy(k, need(s.skb));
        if (!n) throw new Error(`${c.name}: ${s.op} out of memory`);
        bind(s.as, n);
        break;
      }
      case 'skb_unshare': {
        const n = skb_unshare(k, need(s.skb));
        if (!n) throw new Error(`${c.name}: skb_unshare out of memory`);
        skbs.delete(s.skb);
        bind(s.as, n);
        break;
      }
      case 'pskb_expand_head':
        pskb_expand_head(k, need(s.skb));
        break;
      case 'skb_try_coalesce': {
        const from = need(s.from);
        const r = skb_try_coalesce(k, need(s.to), from);
        line.set(`@${i}.coalesce`, r);
        // tcp_try_coalesce: the caller frees `from`, only its struct when the head was stolen.
        if (r !== 'refused') kfree_skb_partial(k, from, r === 'stolen');
        break;
      }
      case 'skb_gro_receive': {
        k.inNapi = true;
        const r = skb_gro_receive(k, need(s.held), need(s.skb), GRO_OFFSET);
        k.inNapi = false;
        line.set(`@${i}.gro`, r);
        if (r !== 'refused') skbs.delete(s.skb);
        break;
      }
      case 'kfree_skb':
        kfree_skb(k, need(s.skb));
        break;
      // napi_consume_skb (v6.1): skb_release_all + napi_skb_cache_put; pages return with allow_direct false, as consume_skb.
      case 'consume_skb':
      case 'napi_consume_skb':
        consume_skb(k, need(s.skb));
        break;
      case 'get_page': {
        const sk = need(s.skb);
        const pfn = s.frag < 0 ? sk.sh.headPfn : sk.sh.fragPfn[s.frag]!;
        k.get_page(pfn);
        pages.set(s.as, pfn);
        break;
      }
      case 'page_ref':
        line.set(`@${i}.ref.${s.page}`, String(k.pages.refcount[k.pages.idx(pages.get(s.page)!)]));
        break;
      case 'put_page':
        k.put_page(pages.get(s.page)!);
        pages.delete(s.page);
        break;
      case 'page_pool_destroy':
        destroy();
        break;
    }
    for (const name of namesOf(s)) {
      const sk = alive(name);
      if (sk) for (const f of SKB_FIELDS) line.set(`@${i}.${name}.${f}`, String(skbField(sk, f)));
    }
  };

  c.steps.forEach((s, i) => {
    step(s, i + 1);
  });
  for (const name of skbNames(c)) {
    const sk = alive(name);
    if (sk) kfree_skb(k, sk);
  }
  for (const p of pageNames(c)) {
    const pfn = pages.get(p);
    if (pfn !== undefined) k.put_page(pfn);
  }
  if (!destroyed) {
    destroy();
  } else if (Number(line.get('destroy.inflight_after')) > 0) {
    for (const f of LATE_STATS) line.set(`late.${f}`, String(k.counters[`page_pool.${f}`]));
    line.set('late.hold', String(pool.hold));
    line.set('late.release', String(pool.release));
  }
  return line;
}

function skbField(s: SkBuff, f: (typeof SKB_FIELDS)[number]): number {
  switch (f) {
    case 'len':
      return s.len;
    case 'headlen':
      return skb_headlen(s);
    case 'nr_frags':
      return s.sh.nr_frags;
    case 'pp_recycle':
      return s.pp_recycle;
    case 'head_frag':
      return s.head_frag;
    case 'cloned':
      return s.cloned;
  }
}

/** The bare driver's receive: a pool page (or kmalloc / page_frag head for comparison) built into an skb. */
function rxFrame(k: Kernel, pool: PagePool, s: Extract<CaseStep, { op: 'rx' }>): SkBuff {
  let skb: SkBuff | null;
  if (s.head === 'pool') {
    const pfn = pool.alloc();
    if (pfn < 0) throw new Error('page_pool_dev_alloc_pages: out of memory');
    skb = build_skb(k, pfn, 0, PAGE_SIZE);
    skb_reserve(skb, RX_HEADROOM);
  } else if (s.head === 'kmalloc') {
    skb = __alloc_skb(k, RX_HEADROOM + s.len, HeadOrigin.alloc_skb, 'alloc_skb');
    if (skb) skb_reserve(skb, RX_HEADROOM);
  } else {
    skb = napi_alloc_skb(k, k.napiFrag, s.len, 'napi_alloc_skb');
  }
  if (!skb) throw new Error('rx: out of memory');
  skb_put(skb, s.len);
  for (let f = 0; f < s.frags; f++) {
    const pfn = s.head === 'pool' ? pool.alloc() : k.alloc_pages(0, Owner.page, Origin.none);
    if (pfn < 0) throw new Error('rx: out of memory for a frag page');
    skb_add_rx_frag(skb, f, pfn, 0, s.fragLen, PAGE_SIZE);
  }
  // skb_mark_for_recycle (v5.14+): the driver marks skbs built on pool pages.
  if (s.head === 'pool' && k.knobs.skb_recycle === 'pp_recycle') skb.pp_recycle = 1;
  return skb;
}
