import type { SkBuff } from '../kernel/skbuff.js';

/** struct sk_buff_head: a FIFO of skbs linked through skb->next. */
export class SkbQueue {
  head: SkBuff | null = null;
  tail: SkBuff | null = null;
  len = 0;

  push(s: SkBuff): void {
    s.next = null;
    if (this.tail) this.tail.next = s;
    else this.head = s;
    this.tail = s;
    this.len++;
  }

  /** skb_queue_splice_tail_init onto an empty list: the whole queue, linked through next; this one is left empty. */
  takeAll(): SkBuff | null {
    const s = this.head;
    this.head = this.tail = null;
    this.len = 0;
    return s;
  }

  shift(): SkBuff | null {
    const s = this.head;
    if (!s) return null;
    this.head = s.next;
    if (!this.head) this.tail = null;
    s.next = null;
    this.len--;
    return s;
  }
}
