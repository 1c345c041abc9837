import { DmaDir } from '../kernel/dma.js';
import type { Kernel } from '../kernel/kernel.js';
import { PAGE_SIZE, Place } from '../kernel/page.js';
import { cpuReadLinear, cpuWriteLinear, kfree_skb, skb_clone, skb_cloned, skb_gro_receive, skb_pull, skb_unshare, type SkBuff } from '../kernel/skbuff.js';
import { xdp_return_frame, type XdpFrame } from '../kernel/xdp.js';
import { EDSA_TAG_LEN, ETH_HLEN, type Mvneta, type RxSink } from '../driver/mvneta.js';
import { PacketTap } from './packet.js';
import { alloc_tx_skb } from './tx.js';
import { TcpReceiver, TCP_HDRS } from './tcp.js';
import type { UdpSocket } from './udp.js';

/** MAX_GRO_SKBS: packets GRO holds per NAPI. */
const MAX_GRO_SKBS = 8;
const IP_HDR = 20;
const UDP_HDR = 8;
/** Ethernet + IPv4 with router alert + IGMPv3 report with one record, padded to 60; and its allocation. */
const IGMP_FRAME_LEN = 60;
const IGMP_ALLOC = 256;
/** The redirect target is a second device with its own DMA mappings. */
const REDIRECT_DEV = 1;

/** What receives a flow on the board. */
export type FlowSink = { kind: 'udp'; sockets: UdpSocket[]; multicast: boolean } | { kind: 'tcp'; rx: TcpReceiver };

/** A second device that XDP_REDIRECT sends to (ndo_xdp_xmit maps, its TX completion returns the frame). */
export class RedirectTarget {
  private readonly frames: XdpFrame[] = [];
  private readonly addrs: number[] = [];

  constructor(private readonly k: Kernel) {}

  /** ndo_xdp_xmit: the frame is mapped for the target's own TX ring; returns the device address. */
  map(f: XdpFrame): number {
    const k = this.k;
    k.enter('ndo_xdp_xmit');
    const a = k.dma.dma_map_page(f.pfn, 0, Math.min(PAGE_SIZE, f.len), DmaDir.to_device, 0, REDIRECT_DEV);
    k.leave();
    return a;
  }

  /** One frame's TX completion on the target: unmap, then xdp_return_frame (into the pool's ring). */
  complete(f: XdpFrame, addr: number): void {
    this.k.dma.dma_unmap_page(addr, f.len, DmaDir.to_device, 0, REDIRECT_DEV);
    xdp_return_frame(this.k, f, false);
  }

  ndo_xdp_xmit(f: XdpFrame): void {
    this.k.hold(f.pfn, Place.xdpRedirect);
    this.addrs.push(this.map(f));
    this.frames.push(f);
  }

  /** The target's TX completion: unmap, then xdp_return_frame (not the pool's NAPI: the ring). */
  txDone(): void {
    const k = this.k;
    if (this.frames.length === 0) return;
    const wasNapi = k.inNapi;
    k.inNapi = false;
    // The target's TX completion runs in its own NAPI, on another CPU.
    k.otherCpuSoftirq = true;
    k.enter('target_txq_done');
    for (let i = 0; i < this.frames.length; i++) this.complete(this.frames[i]!, this.addrs[i]!);
    this.frames.length = 0;
    this.addrs.length = 0;
    k.leave();
    k.otherCpuSoftirq = false;
    k.inNapi = wasNapi;
  }

  get pending(): number {
    return this.frames.length;
  }
}

/**
 * The receive side of the board's stack: napi_gro_receive, AF_PACKET taps on eth0, DSA's
 * dsa_switch_rcv and the slave device's gro_cells, IP, UDP (multicast delivery with clones) and TCP.
 */
export class Stack implements RxSink {
  nic!: Mvneta;
  readonly taps: PacketTap[];
  readonly flows: FlowSink[] = [];
  readonly redirect: RedirectTarget;
  /** Packets GRO holds on eth0 (napi_gro_receive) and on the DSA slave device (gro_cells). */
  private readonly gro: SkBuff[] = [];
  private readonly slaveGro: SkBuff[] = [];
  private readonly groOn: boolean;
  private readonly slaveGroOn: boolean;

  constructor(
    private readonly k: Kernel,
    taps: number,
    tapMode: 'mmap' | 'copy',
  ) {
    this.taps = Array.from({ length: taps }, (_, i) => new PacketTap(tapMode, k.places.register(`tap eth0#${i + 1}`)));
    this.redirect = new RedirectTarget(k);
    // eth0's GRO has no offload for DSA-tagged frames; behind the switch, gro_cells GROs them (v5.8+).
    this.groOn = k.knobs.gro === 'on' && !k.facts.dsa;
    this.slaveGroOn = k.knobs.gro === 'on' && k.facts.dsa && k.knobs.dsa_rcv === 'gro_cells';
  }

  /** napi_gro_receive on eth0: TCP segments are held for merging when GRO applies, everything else goes up now. */
  receive(skb: SkBuff): void {
    if (!this.groOn || !this.isTcp(skb)) this.netif_receive_skb(skb);
    else this.napi_gro_receive(skb, this.gro, false);
  }

  private isTcp(skb: SkBuff): boolean {
    return skb.flow >= 0 && this.flows[skb.flow]?.kind === 'tcp';
  }

  /** dev_gro_receive → tcp4_gro_receive → skb_gro_receive on one device's held list. */
  private napi_gro_receive(skb: SkBuff, held: SkBuff[], slave: boolean): void {
    const k = this.k;
    k.enter('napi_gro_receive');
    let i = 0;
    while (i < held.length && held[i]!.flow !== skb.flow) i++;
    const p = held[i];
    if (p && p.seq + p.len - TCP_HDRS === skb.seq) {
      const r = skb_gro_receive(k, p, skb, TCP_HDRS);
      if (r !== 'refused') {
        p.sh.gso_segs = Math.max(1, p.sh.gso_segs) + 1;
        k.leave();
        return;
      }
    }
    if (p) {
      held.splice(i, 1);
      this.groDeliver(p, slave);
    }
    if (held.length >= MAX_GRO_SKBS) this.groDeliver(held.shift()!, slave);
    held.push(skb);
    k.leave();
  }

  /** A packet GRO let go: eth0's goes to netif_receive_skb, the slave device's on to IP. */
  private groDeliver(skb: SkBuff, slave: boolean): void {
    if (slave) this.ip_rcv(skb);
    else this.netif_receive_skb(skb);
  }

  /** igmp_send_report (IGMPv3, one group record): a kmalloc'ed skb through the driver's TX ring. */
  igmpReport(): void {
    const k = this.k;
    k.enter('igmpv3_send_report');
    const skb = alloc_tx_skb(k, IGMP_ALLOC, IGMP_FRAME_LEN);
    if (skb) this.nic.xmit(skb);
    k.leave();
  }

  /** napi_gro_flush at the end of eth0's poll, then of the gro_cells poll that runs after it. */
  flushGro(): void {
    while (this.gro.length > 0) this.netif_receive_skb(this.gro.shift()!);
    if (this.slaveGro.length === 0) return;
    const k = this.k;
    k.enter('gro_cell_poll');
    while (this.slaveGro.length > 0) this.ip_rcv(this.slaveGro.shift()!);
    k.leave();
  }

  xdpFrame(f: XdpFrame, verdict: 'tx' | 'redirect'): void {
    if (verdict === 'tx') this.nic.xmitXdp(f);
    else this.redirect.ndo_xdp_xmit(f);
  }

  /** __netif_receive_skb_core: ptype_all taps first (deliver_skb), then the protocol handler. */
  netif_receive_skb(skb: SkBuff): void {
    const k = this.k;
    k.enter('netif_receive_skb');
    for (const t of this.taps) t.deliver(k, skb);
    if (k.facts.dsa) this.dsa_switch_rcv(skb);
    else this.ip_rcv(skb);
    k.leave();
  }

  /** dsa_switch_rcv: skb_unshare (a clone becomes an skb_copy), then the EDSA tagger strips the tag. */
  private dsa_switch_rcv(skb0: SkBuff): void {
    const k = this.k;
    k.enter('dsa_switch_rcv');
    const skb = skb_unshare(k, skb0);
    if (skb) {
      k.enter('edsa_rcv');
      cpuReadLinear(k, skb, 0, EDSA_TAG_LEN, 'edsa_rcv');
      skb_pull(skb, EDSA_TAG_LEN);
      // edsa_rcv (v4.20; dsa_strip_etype_header v6.1): memmove of the two MAC addresses over the tag.
      cpuWriteLinear(k, skb, -ETH_HLEN, 12);
      k.leave();
      this.gro_cells_receive(skb);
    }
    k.leave();
  }

  /**
   * What dsa_switch_rcv hands the frame to: netif_receive_skb on the slave (v5.0), or (v5.8,
   * e131a5634830) gro_cells_receive, which GROs TCP on the slave device unless the skb is cloned.
   */
  private gro_cells_receive(skb: SkBuff): void {
    if (!this.slaveGroOn || !this.isTcp(skb) || skb_cloned(skb)) {
      this.ip_rcv(skb);
      return;
    }
    const k = this.k;
    k.enter('gro_cells_receive');
    this.napi_gro_receive(skb, this.slaveGro, true);
    k.leave();
  }

  /** ip_rcv → ip_local_deliver: UDP or TCP by flow; anything else is dropped. */
  private ip_rcv(skb: SkBuff): void {
    const k = this.k;
    k.enter('ip_rcv');
    cpuReadLinear(k, skb, 0, IP_HDR, 'ip_rcv');
    skb_pull(skb, IP_HDR);
    const f = skb.flow >= 0 ? this.flows[skb.flow] : undefined;
    if (!f) kfree_skb(k, skb);
    else if (f.kind === 'udp') this.udp_rcv(skb, f.sockets, f.multicast);
    else f.rx.tcp_v4_rcv(skb);
    k.leave();
  }

  /** udp_rcv: __udp4_lib_mcast_deliver gives the first socket the original and every further one a clone. */
  private udp_rcv(skb: SkBuff, sockets: UdpSocket[], multicast: boolean): void {
    const k = this.k;
    k.enter('udp_rcv');
    cpuReadLinear(k, skb, 0, UDP_HDR, 'udp_rcv');
    const n = multicast ? sockets.length : Math.min(1, sockets.length);
    if (n === 0) {
      kfree_skb(k, skb);
    } else {
      if (multicast) k.enter('__udp4_lib_mcast_deliver');
      // Sockets 1..n-1 get clones, then socket 0 the original (one call site keeps enqueue inlinable).
      for (let j = 1; j <= n; j++) {
        const i = j === n ? 0 : j;
        sockets[i]!.enqueue(k, i === 0 ? skb : skb_clone(k, skb));
      }
      if (multicast) k.leave();
    }
    k.leave();
  }
}
