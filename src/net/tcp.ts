import type { Kernel } from '../kernel/kernel.js';
import { WIDE_ZERO } from '../kernel/typed.js';
import {
  __kfree_skb,
  cpuReadAll,
  cpuReadLinear,
  kfree_skb,
  kfree_skb_partial,
  munmap,
  pipe_release,
  skb_condense,
  skb_pull,
  skb_splice_bits,
  skb_try_coalesce,
  tcp_zerocopy_receive,
  type Pipe,
  type RmemOwner,
  type SkBuff,
  type Vma,
} from '../kernel/skbuff.js';
import { holdSkb } from '../kernel/holders.js';
import { SkbQueue } from './queue.js';
import { alloc_tx_skb } from './tx.js';

/** The receive window the sender respects (contract §6). */
export const TCP_WINDOW = 131072;
/** IPv4 + TCP with timestamps, and the size of a pure ACK frame. */
export const TCP_HDRS = 52;
const TCP_HDR = 32;
export const ACK_FRAME_LEN = 66;
const MAX_TCP_HEADER = 128 + 32;
export const DELACK_NS = 40_000_000;

/** What the receiver needs from the engine: the clock, the NIC's TX, and timers. */
export interface TcpEnv {
  now(): number;
  xmit(skb: SkBuff): void;
  /** An ACK left the board: the sender learns ack and window one RTT later. */
  ackSent(flow: number, ack: number, window: number): void;
  armDelack(flow: number, at: number): void;
  /** The reader holds the socket until `at` (release_sock then runs the backlog). */
  ownUntil(flow: number, at: number): void;
}

/** A TCP socket receiving one flow on the board (net/ipv4/tcp_input.c, v5.0 shape). */
export class TcpReceiver implements RmemOwner {
  rmemAlloc = 0;
  readonly queue = new SkbQueue();
  readonly backlog = new SkbQueue();
  private readonly ofo: SkBuff[] = [];
  rcvNxt = WIDE_ZERO;
  copiedSeq = WIDE_ZERO;
  private ackedSeq = WIDE_ZERO;
  private advertised = TCP_WINDOW;
  private delackArmed = false;
  /** The reader holds the socket until then (lock_sock in recvmsg); segments meanwhile go to the backlog. */
  private ownedUntil = WIDE_ZERO;
  private synced = false;
  /** Pipes and mappings of the previous read, released at the next one. */
  private readonly pipes: Pipe[] = [];
  private readonly vmas: Vma[] = [];
  bytesRead = WIDE_ZERO;

  constructor(
    private readonly k: Kernel,
    readonly flow: number,
    readonly mss: number,
    readonly readSize: number,
    readonly readMode: 'copy' | 'splice' | 'zerocopy',
    private readonly env: TcpEnv,
    label = `tcp flow ${flow}`,
  ) {
    this.placeRcvq = k.places.register(`${label} rcvq`);
    this.placeBacklog = k.places.register(`${label} backlog`);
    this.placeOfo = k.places.register(`${label} ofo`);
  }

  /** The socket's queues as page holders (kernel/holders.ts). */
  private readonly placeRcvq: number;
  private readonly placeBacklog: number;
  private readonly placeOfo: number;

  window(): number {
    return Math.max(0, TCP_WINDOW - (this.rcvNxt - this.copiedSeq));
  }

  /** tcp_v4_rcv: the socket owned by the reader → backlog, else straight into the receive path. */
  tcp_v4_rcv(skb: SkBuff): void {
    const k = this.k;
    k.enter('tcp_v4_rcv');
    if (!this.synced) {
      // The connection's initial sequence number is whatever the first segment carries.
      this.synced = true;
      this.rcvNxt = this.copiedSeq = this.ackedSeq = skb.seq;
    }
    k.counters['tcp.InSegs'] += Math.max(1, skb.sh.gso_segs);
    cpuReadLinear(k, skb, 0, TCP_HDR, 'tcp_v4_rcv');
    if (this.owned) {
      // release_sock will run the backlog when the reader lets go.
      if (!this.backlog.head) this.env.ownUntil(this.flow, this.ownedUntil);
      this.tcp_add_backlog(skb);
    }
    else this.tcp_rcv_established(skb, false);
    k.leave();
  }

  private endSeq(s: SkBuff): number {
    return s.seq + s.len;
  }

  /** TCP header bytes in front of the payload: 32 for generated segments, what a replayed frame carries. */
  private hdrLen(s: SkBuff): number {
    return s.sh.gso_segs > 1 ? TCP_HDR : Math.max(0, Math.min(s.len, s.len - s.payload));
  }

  /**
   * tcp_add_backlog: skb_condense, then (v5.0, 4f693b55c3d2, backlog_coalesce) a try to coalesce with
   * the backlog tail with the header pulled; otherwise sk_add_backlog (v4.20 does only this).
   */
  private tcp_add_backlog(skb: SkBuff): void {
    const k = this.k;
    k.enter('tcp_add_backlog');
    skb_condense(k, skb);
    holdSkb(k, skb, this.placeBacklog);
    const tail = this.backlog.tail;
    if (k.knobs.backlog_coalesce === 'true' && tail && this.endSeq(tail) === skb.seq) {
      skb_pull(skb, this.hdrLen(skb));
      const r = skb_try_coalesce(k, tail, skb);
      if (r !== 'refused') {
        k.counters['tcp.TCPBacklogCoalesce']++;
        if (r !== 'frag_list') kfree_skb_partial(k, skb, r === 'stolen');
        k.leave();
        return;
      }
      this.backlog.push(skb);
      k.leave();
      return;
    }
    skb_pull(skb, this.hdrLen(skb));
    this.backlog.push(skb);
    k.leave();
  }

  /** tcp_rcv_established → tcp_data_queue: in order → receive queue, ahead → OFO queue, old → drop. */
  private tcp_rcv_established(skb: SkBuff, headerPulled: boolean): void {
    const k = this.k;
    k.enter('tcp_rcv_established');
    if (!headerPulled) skb_pull(skb, this.hdrLen(skb));
    const seq = skb.seq;
    if (skb.len === 0) {
      // No data (pure ACK, SYN, FIN): tcp_data_queue frees it.
      __kfree_skb(k, skb);
    } else if (seq <= this.rcvNxt && this.endSeq(skb) > this.rcvNxt) {
      // In order, or a retransmission that also carries new data (queued whole, as the kernel does).
      this.tcp_queue_rcv(skb);
      this.tcp_ofo_queue();
      this.ackCheck();
    } else if (seq > this.rcvNxt) {
      k.enter('tcp_data_queue_ofo');
      k.counters['tcp.TCPOFOQueue']++;
      let i = this.ofo.length;
      while (i > 0 && this.ofo[i - 1]!.seq > seq) i--;
      holdSkb(k, skb, this.placeOfo);
      this.ofo.splice(i, 0, skb);
      this.rmemAlloc += skb.truesize;
      skb.sk = this;
      k.leave();
      this.sendAck();
    } else {
      kfree_skb(k, skb);
      this.sendAck();
    }
    k.leave();
  }

  /** tcp_queue_rcv: coalesce with the receive-queue tail (tcp_try_coalesce) or queue and charge. */
  private tcp_queue_rcv(skb: SkBuff): void {
    const k = this.k;
    k.enter('tcp_queue_rcv');
    this.rcvNxt = this.endSeq(skb);
    holdSkb(k, skb, this.placeRcvq);
    const tail = this.queue.tail;
    if (tail && this.endSeq(tail) === skb.seq) {
      k.enter('tcp_try_coalesce');
      const r = skb_try_coalesce(k, tail, skb);
      k.leave();
      if (r !== 'refused') {
        k.counters['tcp.TCPRcvCoalesce']++;
        if (r !== 'frag_list') kfree_skb_partial(k, skb, r === 'stolen');
        k.leave();
        return;
      }
    }
    this.rmemAlloc += skb.truesize;
    skb.sk = this;
    this.queue.push(skb);
    k.leave();
  }

  /** tcp_ofo_queue: segments that became in order move to the receive queue. */
  private tcp_ofo_queue(): void {
    while (this.ofo.length > 0 && this.ofo[0]!.seq <= this.rcvNxt) {
      const s = this.ofo.shift()!;
      this.rmemAlloc -= s.truesize;
      s.sk = null;
      if (this.endSeq(s) <= this.rcvNxt) kfree_skb(this.k, s);
      else this.tcp_queue_rcv(s);
    }
  }

  /** __tcp_ack_snd_check: ACK at once when more than one full segment is unacknowledged, else delay. */
  private ackCheck(): void {
    if (this.rcvNxt - this.ackedSeq >= 2 * this.mss) this.sendAck();
    else if (!this.delackArmed) {
      this.delackArmed = true;
      this.env.armDelack(this.flow, this.env.now() + DELACK_NS);
    }
  }

  delackFired(): void {
    this.delackArmed = false;
    if (this.rcvNxt !== this.ackedSeq) this.sendAck();
  }

  /** tcp_send_ack: a kmalloc'ed skb through the driver's TX ring. */
  sendAck(): void {
    const k = this.k;
    k.enter('tcp_send_ack');
    const skb = alloc_tx_skb(k, MAX_TCP_HEADER, ACK_FRAME_LEN);
    if (skb) this.env.xmit(skb);
    this.ackedSeq = this.rcvNxt;
    this.advertised = this.window();
    this.delackArmed = false;
    this.env.ackSent(this.flow, this.rcvNxt, this.advertised);
    k.leave();
  }

  /** recvmsg calls of readSize until the queue is empty; returns bytes read. The socket is owned meanwhile. */
  read(): number {
    const k = this.k;
    this.releaseUserRefs();
    let total = 0;
    while (this.queue.head) {
      k.enter(this.readMode === 'copy' ? 'tcp_recvmsg' : this.readMode === 'splice' ? 'tcp_splice_read' : 'tcp_zerocopy_receive');
      let left = this.readSize;
      while (left > 0 && this.queue.head) {
        const s = this.queue.head;
        const off = this.copiedSeq - s.seq;
        const avail = s.len - off;
        const n = Math.min(avail, left);
        if (off === 0) {
          if (this.readMode === 'splice') this.pipes.push(skb_splice_bits(k, s, k.sockFrag));
          else if (this.readMode === 'zerocopy') this.vmas.push(tcp_zerocopy_receive(k, s));
          if (this.readMode !== 'splice') cpuReadAll(k, s, 'skb_copy_datagram_iter');
        }
        this.copiedSeq += n;
        left -= n;
        total += n;
        if (n === avail) {
          this.queue.shift();
          k.enter('sk_eat_skb');
          __kfree_skb(k, s);
          k.leave();
        }
      }
      k.leave();
    }
    k.counters['app.bytes_read'] += total;
    this.bytesRead += total;
    if (total > 0) {
      this.ownedUntil = this.env.now() + total;
      // tcp_cleanup_rbuf: a window update when the window opened significantly.
      if (this.window() - this.advertised >= 2 * this.mss) this.sendAck();
    }
    return total;
  }

  /** The previous read's pipes are drained and its mappings unmapped. */
  private releaseUserRefs(): void {
    if (this.pipes.length > 0) {
      for (const p of this.pipes) pipe_release(this.k, p);
      this.pipes.length = 0;
    }
    if (this.vmas.length > 0) {
      for (const v of this.vmas) munmap(this.k, v);
      this.vmas.length = 0;
    }
  }

  /** release_sock: the backlog runs through the receive path. */
  releaseSock(): void {
    const k = this.k;
    k.enter('release_sock');
    for (let s = this.backlog.shift(); s; s = this.backlog.shift()) this.tcp_rcv_established(s, true);
    k.leave();
  }

  /** Close: the pending pipes and mappings are released, unread data freed. */
  close(): void {
    const k = this.k;
    this.releaseSock();
    this.releaseUserRefs();
    k.enter('tcp_close');
    for (let s = this.queue.shift(); s; s = this.queue.shift()) __kfree_skb(k, s);
    for (const s of this.ofo) __kfree_skb(k, s);
    this.ofo.length = 0;
    k.leave();
  }

  get owned(): boolean {
    return this.env.now() < this.ownedUntil;
  }

  get idle(): boolean {
    return !this.queue.head && !this.backlog.head && this.ofo.length === 0 && this.pipes.length === 0 && this.vmas.length === 0;
  }
}
