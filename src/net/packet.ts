import type { Kernel } from '../kernel/kernel.js';
import { consume_skb, cpuReadAll, kfree_skb, packet_rcv, type RmemOwner, type SkBuff } from '../kernel/skbuff.js';
import { holdSkb } from '../kernel/holders.js';
import { SkbQueue } from './queue.js';
import { SK_RCVBUF_DEFAULT } from './udp.js';

/** An AF_PACKET socket on eth0 (tcpdump): copy mode queues clones, mmap mode copies into its ring. */
export class PacketTap implements RmemOwner {
  rmemAlloc = 0;
  readonly rcvbuf = SK_RCVBUF_DEFAULT;
  readonly queue = new SkbQueue();

  constructor(
    readonly mode: 'mmap' | 'copy',
    readonly place = 0,
  ) {}

  /** deliver_skb shares the skb (users++) with the tap, which drops its share when done. */
  deliver(k: Kernel, skb: SkBuff): void {
    if (this.mode === 'mmap') {
      k.enter('deliver_skb');
      skb.users++;
      k.enter('tpacket_rcv');
      k.enter('skb_copy_bits');
      cpuReadAll(k, skb, 'skb_copy_bits');
      k.leave();
      consume_skb(k, skb);
      k.leave();
      k.leave();
      return;
    }
    if (this.rmemAlloc >= this.rcvbuf) {
      // packet_rcv: drop_n_acct before any clone when the socket is full.
      k.enter('deliver_skb');
      skb.users++;
      k.enter('packet_rcv');
      consume_skb(k, skb);
      k.leave();
      k.leave();
      return;
    }
    const clone = packet_rcv(k, skb);
    this.rmemAlloc += clone.truesize;
    clone.sk = this;
    holdSkb(k, clone, this.place);
    this.queue.push(clone);
  }

  /** packet_recvmsg: copy each queued frame to the reader and free it. */
  readAll(k: Kernel): void {
    for (let s = this.queue.shift(); s; s = this.queue.shift()) {
      k.enter('packet_recvmsg');
      cpuReadAll(k, s, 'skb_copy_datagram_iter');
      consume_skb(k, s);
      k.leave();
    }
  }

  purge(k: Kernel): void {
    k.enter('packet_release');
    for (let s = this.queue.shift(); s; s = this.queue.shift()) kfree_skb(k, s);
    k.leave();
  }
}
