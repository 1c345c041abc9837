import type { Kernel } from '../kernel/kernel.js';
import { __alloc_skb, skb_put, skb_reserve, type SkBuff } from '../kernel/skbuff.js';
import { HeadOrigin } from '../kernel/slab.js';

/** alloc_skb(alloc) with headroom reserved so that `frameLen` bytes end the buffer: the board's own frames. */
export function alloc_tx_skb(k: Kernel, alloc: number, frameLen: number): SkBuff | null {
  const skb = __alloc_skb(k, alloc, HeadOrigin.tx, 'alloc_skb');
  if (skb) {
    skb_reserve(skb, alloc - frameLen);
    skb_put(skb, frameLen);
  }
  return skb;
}
