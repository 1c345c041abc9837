import type { Kernel } from '../kernel/kernel.js';
import { WIDE_ZERO } from '../kernel/typed.js';
import { holdSkb } from '../kernel/holders.js';
import { consume_skb, cpuReadAll, Head, kfree_skb, type RmemOwner, type SkBuff } from '../kernel/skbuff.js';
import { SkbQueue } from './queue.js';

/** net.core.rmem_default: what iperf prints as "UDP buffer size: 208 KByte (default)". */
export const SK_RCVBUF_DEFAULT = 212992;

/** Per-read statistics a socket's owner wants (iperf's server thread). */
export interface ReadStats {
  bytes: number;
  datagrams: number;
  /** iperf sequence tracking: highest id seen, lost (gaps), out of order. */
  maxSeq: number;
  lost: number;
  outOfOrder: number;
}

export function newReadStats(): ReadStats {
  return { bytes: WIDE_ZERO, datagrams: 0, maxSeq: -1, lost: 0, outOfOrder: 0 };
}

/** A UDP socket joined to the flow's group (or bound to its port), with its receive queue. */
export class UdpSocket implements RmemOwner {
  rmemAlloc = 0;
  readonly rcvbuf = SK_RCVBUF_DEFAULT;
  readonly queue = new SkbQueue();
  readonly stats = newReadStats();

  /** The socket's receive queue as a page holder (kernel/holders.ts). */
  constructor(readonly place = 0) {}

  /** __udp_enqueue_schedule_skb (v5.0): drop when sk_rmem_alloc is over sk_rcvbuf, else charge and queue. */
  enqueue(k: Kernel, skb: SkBuff): void {
    k.enter('__udp_enqueue_schedule_skb');
    if (this.rmemAlloc > this.rcvbuf) {
      drop(k, skb);
    } else {
      this.rmemAlloc += skb.truesize;
      skb.sk = this;
      holdSkb(k, skb, this.place);
      this.queue.push(skb);
    }
    k.leave();
  }

  /** udp_recvmsg for every queued datagram: copy to user, count, free (skb_consume_udp). */
  readAll(k: Kernel): void {
    // __skb_recv_udp (v4.13+): the receive queue is spliced onto the reader's own (skb_queue_splice_tail_init).
    let s = this.queue.takeAll();
    if (!s) return;
    const c = k.counters;
    const pg = k.pages;
    const st = this.stats;
    while (s) {
      const next: SkBuff | null = s.next;
      s.next = null;
      k.enter('udp_recvmsg');
      k.enter('skb_copy_datagram_msg');
      cpuReadAll(k, s, 'skb_copy_datagram_iter');
      k.leave();
      const sh = s.sh;
      if (sh.headKind === Head.page && pg.gen[sh.headPfn - pg.base] !== sh.headGen) c['app.corrupt_reads']++;
      const payload = s.payload;
      const seq = s.seq;
      c['udp.InDatagrams']++;
      c['app.datagrams_read']++;
      c['app.bytes_read'] += payload;
      st.bytes += payload;
      st.datagrams++;
      const max = st.maxSeq;
      if (seq > max + 1) st.lost += seq - max - 1;
      if (seq < max) st.outOfOrder++;
      else st.maxSeq = seq;
      k.enter('skb_consume_udp');
      consume_skb(k, s);
      k.leave();
      k.leave();
      s = next;
    }
  }

  /** Close: what is still queued is freed (udp_destroy_sock → skb_queue_purge). */
  purge(k: Kernel): void {
    k.enter('udp_lib_close');
    for (let s = this.queue.shift(); s; s = this.queue.shift()) kfree_skb(k, s);
    k.leave();
  }
}

/** The receive buffer is full: UDP_MIB_RCVBUFERRORS, and the skb is freed. */
function drop(k: Kernel, skb: SkBuff): void {
  k.counters['udp.RcvbufErrors']++;
  kfree_skb(k, skb);
}
