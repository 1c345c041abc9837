import { HEAD_KINDS, type Case, type CaseStep, type HeadKind } from './case.js';

/**
 * The conformance cases, built systematically: every sharing op on every head kind in both free
 * orders, the coalesce and GRO matrices, refcounts held at free, ring overflow and destroy with pages
 * in flight. `npm run conformance:cases` writes them to conformance/cases/.
 */

const FREES = ['kfree_skb', 'consume_skb', 'napi_consume_skb'] as const;
const DESTROY: CaseStep = { op: 'page_pool_destroy' };

function rx(as: string, head: HeadKind, len = 1500, frags = 0, fragLen = 1024): CaseStep {
  return { op: 'rx', as, len, head, frags, fragLen };
}

function free(skb: string, i: number): CaseStep {
  return { op: FREES[i % FREES.length]!, skb };
}

export function generateCases(): Case[] {
  const out: Case[] = [];
  let n = 0;
  const add = (name: string, description: string, steps: CaseStep[], poolSize = 256): void => {
    out.push({ name, description, poolSize, steps });
    n++;
  };

  for (const op of ['skb_clone', 'skb_copy', 'pskb_copy'] as const) {
    for (const head of HEAD_KINDS) {
      for (const frags of [0, 2]) {
        for (const order of ['orig-first', 'copy-first'] as const) {
          const first = order === 'orig-first' ? 'a' : 'b';
          const second = first === 'a' ? 'b' : 'a';
          add(`${op}-${head}-f${frags}-${order}`, `${op} of a ${head}-head frame with ${frags} frags; the ${order === 'orig-first' ? 'original' : 'copy'} is freed first`, [
            rx('a', head, 1500, frags),
            { op, skb: 'a', as: 'b' },
            free(first, n),
            free(second, n + 1),
          ]);
        }
      }
    }
  }

  for (const head of HEAD_KINDS) {
    for (const frags of [0, 2]) {
      add(`pskb_expand_head-${head}-f${frags}`, `pskb_expand_head of an unshared ${head}-head frame with ${frags} frags`, [rx('a', head, 1500, frags), { op: 'pskb_expand_head', skb: 'a' }, free('a', n)]);
    }
    for (const order of ['orig-first', 'clone-first'] as const) {
      const first = order === 'orig-first' ? 'a' : 'b';
      add(`pskb_expand_head-cloned-${head}-f2-${order}`, `pskb_expand_head of a cloned ${head}-head frame with 2 frags; the ${order === 'orig-first' ? 'expanded original' : 'clone'} is freed first`, [
        rx('a', head, 1500, 2),
        { op: 'skb_clone', skb: 'a', as: 'b' },
        { op: 'pskb_expand_head', skb: 'a' },
        free(first, n),
        free(first === 'a' ? 'b' : 'a', n + 1),
      ]);
    }
  }

  for (const head of HEAD_KINDS) {
    for (const frags of head === 'pool' ? [0, 2] : [0]) {
      for (const order of ['clone-first', 'copy-first'] as const) {
        add(`skb_unshare-${head}-f${frags}-${order}`, `skb_unshare of a cloned ${head}-head frame with ${frags} frags (an skb_copy replaces it); the ${order === 'clone-first' ? 'remaining clone' : 'copy'} is freed first`, [
          rx('a', head, 1500, frags),
          { op: 'skb_clone', skb: 'a', as: 'b' },
          { op: 'skb_unshare', skb: 'a', as: 'c' },
          free(order === 'clone-first' ? 'b' : 'c', n),
          free(order === 'clone-first' ? 'c' : 'b', n + 1),
        ]);
      }
    }
    add(`skb_unshare-${head}-unique`, `skb_unshare of an unshared ${head}-head frame returns it unchanged`, [rx('a', head), { op: 'skb_unshare', skb: 'a', as: 'b' }, free('b', n)]);
  }

  for (const to of HEAD_KINDS) {
    for (const from of HEAD_KINDS) {
      add(`coalesce-${to}-${from}-fit`, `skb_try_coalesce of a 20-byte ${from}-head frame into a ${to}-head frame with tailroom for it`, [rx('a', to, 1000), rx('b', from, 20), { op: 'skb_try_coalesce', to: 'a', from: 'b' }]);
      add(`coalesce-${to}-${from}-steal`, `skb_try_coalesce of a 1500-byte ${from}-head frame into a full ${to}-head frame (head steal or refusal)`, [rx('a', to, 3000), rx('b', from, 1500), { op: 'skb_try_coalesce', to: 'a', from: 'b' }]);
    }
  }
  for (const head of ['pool', 'kmalloc'] as const) {
    add(`coalesce-${head}-from-cloned-steal`, `skb_try_coalesce from a cloned ${head}-head frame (its head is locked; the 6.1.y rule refuses cloned pool frames)`, [
      rx('a', head, 3000), rx('b', head, 1500), { op: 'skb_clone', skb: 'b', as: 'c' }, { op: 'skb_try_coalesce', to: 'a', from: 'b' }, free('c', n),
    ]);
    add(`coalesce-${head}-from-cloned-fit`, `skb_try_coalesce of a small cloned ${head}-head frame that fits in to's tailroom`, [
      rx('a', head, 1000), rx('b', head, 20), { op: 'skb_clone', skb: 'b', as: 'c' }, { op: 'skb_try_coalesce', to: 'a', from: 'b' }, free('c', n),
    ]);
    add(`coalesce-${head}-to-cloned`, `skb_try_coalesce into a cloned ${head}-head frame (always refused)`, [
      rx('a', head, 1000), { op: 'skb_clone', skb: 'a', as: 'c' }, rx('b', head, 20), { op: 'skb_try_coalesce', to: 'a', from: 'b' }, free('c', n),
    ]);
    add(`coalesce-${head}-jumbo-from`, `skb_try_coalesce of a ${head}-head frame with 2 frags into a full ${head}-head frame`, [
      rx('a', head, 3000), rx('b', head, 1500, 2), { op: 'skb_try_coalesce', to: 'a', from: 'b' },
    ]);
  }
  add('coalesce-pool-frags-only', 'skb_try_coalesce of a pool frame with an empty head and 2 frags (frags move, the head stays)', [
    rx('a', 'pool', 3000), rx('b', 'pool', 0, 2), { op: 'skb_try_coalesce', to: 'a', from: 'b' },
  ]);
  add('coalesce-pool-frags-only-cloned', 'skb_try_coalesce of a cloned pool frame with an empty head and 2 frags', [
    rx('a', 'pool', 3000), rx('b', 'pool', 0, 2), { op: 'skb_clone', skb: 'b', as: 'c' }, { op: 'skb_try_coalesce', to: 'a', from: 'b' }, free('c', n),
  ]);
  add('coalesce-kmalloc-frags-only-cloned', 'skb_try_coalesce of a cloned headless kmalloc frame with 2 page frags: the frags are referenced, not moved', [
    rx('a', 'kmalloc', 3000), rx('b', 'kmalloc', 0, 2), { op: 'skb_clone', skb: 'b', as: 'c' }, { op: 'skb_try_coalesce', to: 'a', from: 'b' }, free('c', n),
  ]);

  for (const held of HEAD_KINDS) {
    for (const skb of HEAD_KINDS) {
      add(`gro-${held}-${skb}-head`, `skb_gro_receive of a 1500-byte ${skb}-head segment onto a held ${held}-head segment`, [rx('p', held), rx('s', skb), { op: 'skb_gro_receive', held: 'p', skb: 's' }]);
    }
  }
  for (const held of ['pool', 'kmalloc'] as const) {
    for (const skb of ['pool', 'kmalloc'] as const) {
      add(`gro-${held}-${skb}-frags`, `skb_gro_receive of a ${skb} segment whose payload is all in 2 frags (headers only in the head) onto a held ${held} segment`, [
        rx('p', held), rx('s', skb, 52, 2), { op: 'skb_gro_receive', held: 'p', skb: 's' },
      ]);
    }
  }
  add('gro-pool-held-cloned', 'skb_gro_receive onto a held pool segment that has a clone (the merged frag lands in the shared info)', [
    rx('p', 'pool'), { op: 'skb_clone', skb: 'p', as: 'c' }, rx('s', 'pool'), { op: 'skb_gro_receive', held: 'p', skb: 's' }, free('c', n),
  ]);
  add('gro-pool-skb-cloned-frags', 'skb_gro_receive of a cloned pool segment whose payload is in frags (frags move, the clone keeps the head)', [
    rx('p', 'pool'), rx('s', 'pool', 52, 2), { op: 'skb_clone', skb: 's', as: 'c' }, { op: 'skb_gro_receive', held: 'p', skb: 's' }, free('c', n),
  ]);
  add('gro-kmalloc-skb-cloned-fraglist', 'skb_gro_receive of a cloned kmalloc segment (chained on frag_list with its header released)', [
    rx('p', 'kmalloc'), rx('s', 'kmalloc'), { op: 'skb_clone', skb: 's', as: 'c' }, { op: 'skb_gro_receive', held: 'p', skb: 's' }, free('c', n),
  ]);
  for (const head of HEAD_KINDS) {
    add(`gro-${head}-three`, `three ${head}-head segments merged by skb_gro_receive onto one held segment`, [
      rx('p', head), rx('s', head), { op: 'skb_gro_receive', held: 'p', skb: 's' }, rx('t', head), { op: 'skb_gro_receive', held: 'p', skb: 't' },
    ]);
  }
  add('gro-pool-too-big', 'skb_gro_receive refuses when the merged length would reach 64 KiB', [
    rx('p', 'pool', 1000, 16, 4096), rx('s', 'pool', 1500, 0), { op: 'skb_gro_receive', held: 'p', skb: 's' },
  ]);

  for (const when of ['before', 'after'] as const) {
    const steps: CaseStep[] = [rx('a', 'pool'), { op: 'get_page', skb: 'a', frag: -1, as: 'h' }, { op: 'page_ref', page: 'h' }];
    if (when === 'before') steps.push({ op: 'put_page', page: 'h' }, free('a', n));
    else steps.push(free('a', n), { op: 'page_ref', page: 'h' }, { op: 'put_page', page: 'h' });
    add(`refcount-pool-head-put-${when}`, `a pool head page with an extra reference put ${when} the skb is freed`, steps);
  }
  add('refcount-pool-frag-held', 'a pool frag page with an extra reference when its skb is freed (released, not recycled)', [
    rx('a', 'pool', 1500, 2), { op: 'get_page', skb: 'a', frag: 1, as: 'f' }, free('a', n), { op: 'page_ref', page: 'f' }, { op: 'put_page', page: 'f' },
  ]);
  add('refcount-kmalloc-frag-held', 'an ordinary frag page with an extra reference when its kmalloc-head skb is freed', [
    rx('a', 'kmalloc', 1500, 2), { op: 'get_page', skb: 'a', frag: 0, as: 'f' }, free('a', n), { op: 'page_ref', page: 'f' }, { op: 'put_page', page: 'f' },
  ]);
  add('refcount-pool-clone-held', 'a cloned pool frame whose head page has an extra reference when the last skb goes', [
    rx('a', 'pool'), { op: 'skb_clone', skb: 'a', as: 'b' }, { op: 'get_page', skb: 'b', frag: -1, as: 'h' }, free('a', n), free('b', n + 1), { op: 'page_ref', page: 'h' }, { op: 'put_page', page: 'h' },
  ]);
  add('refcount-pool-pskb_copy-frags', 'pskb_copy of a pool frame with 2 frags: the frag pages carry two references until both are freed', [
    rx('a', 'pool', 1500, 2), { op: 'pskb_copy', skb: 'a', as: 'b' }, { op: 'get_page', skb: 'b', frag: 0, as: 'f' }, { op: 'page_ref', page: 'f' }, free('a', n), { op: 'page_ref', page: 'f' }, { op: 'put_page', page: 'f' }, free('b', n + 1),
  ]);

  for (const [size, frames] of [[4, 8], [16, 40], [64, 70]] as const) {
    const steps: CaseStep[] = [];
    for (let i = 0; i < frames; i++) steps.push(rx(`f${i}`, 'pool'));
    for (let i = 0; i < frames; i++) steps.push(free(`f${i}`, i));
    add(`ring-overflow-${size}-${frames}`, `${frames} pool frames freed into a pool whose ptr_ring holds ${size}`, steps, size);
  }
  add('realloc-after-recycle', 'frames freed into the ring come back through the alloc cache refill', [
    rx('a', 'pool'), rx('b', 'pool'), free('a', 0), free('b', 1), rx('c', 'pool'), rx('d', 'pool'), free('c', 2), free('d', 0),
  ], 16);
  add('realloc-cache-drained', 'more frames than one bulk allocation: the pool goes back to the page allocator', (() => {
    const steps: CaseStep[] = [];
    for (let i = 0; i < 66; i++) steps.push(rx(`f${i}`, 'pool'));
    for (let i = 0; i < 66; i++) steps.push(free(`f${i}`, i));
    steps.push(rx('g', 'pool'), free('g', 1));
    return steps;
  })());

  add('destroy-inflight-then-free', 'page_pool_destroy with a frame in flight, then the frame is freed', [rx('a', 'pool'), DESTROY, free('a', 0)]);
  add('destroy-inflight-clone', 'page_pool_destroy while a frame and its clone are in flight', [rx('a', 'pool', 1500, 2), { op: 'skb_clone', skb: 'a', as: 'b' }, DESTROY, free('a', 1), free('b', 2)]);
  add('destroy-inflight-page-held', 'page_pool_destroy while a head page has an extra reference; the skb, then the page go', [
    rx('a', 'pool'), { op: 'get_page', skb: 'a', frag: -1, as: 'h' }, DESTROY, free('a', 0), { op: 'page_ref', page: 'h' }, { op: 'put_page', page: 'h' },
  ]);
  add('destroy-some-returned', 'three frames, one freed before page_pool_destroy and two after', [
    rx('a', 'pool'), rx('b', 'pool'), rx('c', 'pool'), free('a', 0), DESTROY, free('b', 1), free('c', 2),
  ]);
  add('destroy-nothing-inflight', 'page_pool_destroy after every frame came back', [rx('a', 'pool', 1500, 2), free('a', 0), DESTROY]);
  return out;
}


/** File name of a generated case: its index keeps the generator's order. */
export function caseFileName(c: { name: string }, i: number): string {
  return `${String(i + 1).padStart(3, '0')}-${c.name}.yaml`;
}
