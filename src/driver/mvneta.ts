import { DmaDir, type DmaDirCode } from '../kernel/dma.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Knobs } from '../kernel/knobs.js';
import { Origin, Owner, PAGE_SIZE } from '../kernel/page.js';
import { PagePool } from '../kernel/page_pool.js';
import {
  build_skb,
  checkPoolFrag,
  consume_skb,
  skb_headlen,
  SkBuff as SkBuffClass,
  cpuReadLinear,
  MAX_SKB_FRAGS,
  napi_alloc_skb,
  skb_add_rx_frag,
  skb_pull,
  skb_put,
  skb_reserve,
  type SkBuff,
} from '../kernel/skbuff.js';
import { MemType, xdp_return_frame, type XdpFrame } from '../kernel/xdp.js';

/** Marvell header the NIC prepends to every received frame, and the Ethernet FCS. */
export const MVNETA_MH_SIZE = 2;
export const ETH_FCS_LEN = 4;
export const ETH_HLEN = 14;
/** EDSA tag on the switch's CPU port. */
export const EDSA_TAG_LEN = 8;
/** NAPI_POLL_WEIGHT and the refill batch of mvneta_rx_refill_queue. */
export const NAPI_BUDGET = 64;
export const RX_REFILL_BATCH = 64;

export type XdpVerdict = 'none' | 'pass' | 'drop' | 'tx' | 'redirect';

export interface MvnetaConfig {
  mtu: number;
  rxRing: number;
  xdp: XdpVerdict;
}

/** RX buffer layout in the page per rx_geometry: where the NIC writes and how much. */
export interface Geometry {
  /** Offset in the page where the NIC starts writing (the Marvell header). */
  offset: number;
  /** Bytes per RX buffer programmed into the hardware. */
  bufSize: number;
}

export function geometryOf(kn: Knobs): Geometry {
  switch (kn.rx_geometry) {
    case 'v4.19':
      return { offset: 0, bufSize: PAGE_SIZE };
    case 'rfc-2018':
      return { offset: 64, bufSize: 3712 };
    case 'v5.5':
      return { offset: 256, bufSize: 3520 };
  }
}

/** Bytes the NIC writes into RX buffers for a frame of `len` (no FCS): Marvell header, DSA tag, frame, FCS. */
export function rxBufferBytes(len: number, dsaTag: number): number {
  return MVNETA_MH_SIZE + len + dsaTag + ETH_FCS_LEN;
}

/** Where the driver hands what it received. */
export interface RxSink {
  /** An skb as the driver gives it to the stack (after eth_type_trans). */
  receive(skb: SkBuff): void;
  /** XDP_TX / XDP_REDIRECT frames. */
  xdpFrame(f: XdpFrame, verdict: 'tx' | 'redirect'): void;
}

/**
 * The mvneta RX path on one queue (drivers/net/ethernet/marvell/mvneta.c): the descriptor ring with
 * one buffer page each, mvneta_rx_swbm per the driver knob, XDP, refill, and ifdown.
 */
export class Mvneta {
  readonly geo: Geometry;
  pool: PagePool | null = null;
  readonly dsaTag: number;
  /** Buffer page per descriptor (-1: needs refill) and the DMA address programmed into it. */
  private readonly ringPfn: Int32Array;
  private readonly ringDma: Float64Array;
  /** Completed descriptors: bytes the NIC wrote and whether it is a frame's first / last descriptor. */
  private readonly doneSize: Int32Array;
  private readonly doneFlags: Uint8Array;
  private readonly doneFrame: Float64Array;
  /** What the frame carries (flow, sequence number, L4 payload bytes), for the stack above. */
  private readonly doneFlow: Int32Array;
  private readonly doneSeq: Float64Array;
  private readonly donePayload: Int32Array;
  /** TX ring: skbs and XDP frames waiting for TX completion. */
  private readonly txq: (SkBuff | XdpFrame | null)[] = [];
  private readonly txDma: number[] = [];
  private txCount = 0;
  /** Next descriptor the hardware fills, the driver processes, and the refill walk starts at. */
  private hwNext = 0;
  private swNext = 0;
  private refillNext = 0;
  private pending = 0;
  private needRefill = 0;
  private readonly dmaDir: DmaDirCode;
  private readonly copybreak: number;

  constructor(
    private readonly k: Kernel,
    readonly cfg: MvnetaConfig,
    private readonly sink: RxSink,
  ) {
    this.geo = geometryOf(k.knobs);
    this.dsaTag = k.facts.dsa ? EDSA_TAG_LEN : 0;
    const n = cfg.rxRing;
    this.ringPfn = new Int32Array(n).fill(-1);
    this.ringDma = new Float64Array(n);
    this.doneSize = new Int32Array(n);
    this.doneFlags = new Uint8Array(n);
    this.doneFrame = new Float64Array(n);
    this.doneFlow = new Int32Array(n);
    this.doneSeq = new Float64Array(n);
    this.donePayload = new Int32Array(n);
    const kn = k.knobs;
    this.dmaDir = cfg.xdp !== 'none' && kn.xdp_dma_dir === 'bidirectional' ? DmaDir.bidirectional : DmaDir.from_device;
    this.copybreak = kn.rx_copybreak === 'n/a' ? 0 : Math.max(Number(kn.rx_copybreak), 128);
  }

  /** mvneta_open: create and register the pool (page_pool driver), fill the RX ring (mvneta_rxq_fill). */
  ifup(): void {
    const k = this.k;
    k.enter('mvneta_open');
    const kn = k.knobs;
    if (kn.driver === 'page_pool') {
      const pool = new PagePool(k, k.pools.length, {
        poolSize: this.cfg.rxRing,
        dmaDir: this.dmaDir,
        offset: this.geo.offset,
        maxLen: this.geo.bufSize,
        syncForDevice: kn.pool_sync_for_device === 'true',
        skipCpuSync: kn.dma_skip_cpu_sync === 'true',
        dmaInPrivate: kn.dma_addr_storage === 'page-private',
        setPpInfo: kn.skb_recycle === 'pp_recycle',
        inflightAccounting: kn.inflight_accounting === 'true',
      });
      k.pools.push(pool);
      k.xdpMem.register(pool);
      this.pool = pool;
    }
    this.needRefill = this.cfg.rxRing;
    while (this.needRefill > 0 && this.refillOne()) this.needRefill--;
    k.leave();
  }


  /**
   * The NIC receives a frame into the next descriptors (DMA write). Returns false when it is dropped:
   * no buffer posted, or too long for the port.
   */
  hwReceive(len: number, frame: number, flow = -1, seq = 0, payload = 0): boolean {
    const k = this.k;
    const total = rxBufferBytes(len, this.dsaTag);
    const n = this.ringPfn.length;
    const descs = total <= this.geo.bufSize ? 1 : Math.ceil(total / this.geo.bufSize);
    if (len > this.cfg.mtu + ETH_HLEN || this.pending + descs > n) {
      k.counters['rx.drops']++;
      return false;
    }
    for (let d = 0, at = this.hwNext; d < descs; d++, at = (at + 1) % n) {
      if (this.ringPfn[at]! < 0) {
        k.counters['rx.drops']++;
        return false;
      }
    }
    let left = total;
    for (let d = 0; d < descs; d++) {
      const at = this.hwNext;
      const pfn = this.ringPfn[at]!;
      const size = Math.min(left, this.geo.bufSize);
      left -= size;
      this.nicWrite(pfn, size);
      this.doneSize[at] = size;
      this.doneFlags[at] = (d === 0 ? 1 : 0) | (d === descs - 1 ? 2 : 0);
      this.doneFrame[at] = frame;
      this.doneFlow[at] = flow;
      this.doneSeq[at] = seq;
      this.donePayload[at] = payload;
      this.hwNext = at + 1 === n ? 0 : at + 1;
      this.pending++;
    }
    return true;
  }

  /** The NIC's DMA write into a posted buffer. */
  private nicWrite(pfn: number, size: number): void {
    const k = this.k;
    const pg = k.pages;
    const i = pg.idx(pfn);
    if (pg.refcount[i] !== 1) {
      k.violation('data-corruption', () => `${pg.describe(pfn)} written by the NIC while ${pg.refcount[i]! - 1} other reference(s) still read it`, 'mvneta_rx_dma');
    }
    pg.gen[i]!++;
    k.dma.deviceWrite(pfn, this.geo.offset, size);
  }

  /** Descriptors completed by the NIC and not yet processed. */
  get pendingDescriptors(): number {
    return this.pending;
  }

  /** Descriptors holding a buffer page (a walk over the ring: for interval samples, not per packet). */
  get ringPages(): number {
    let n = 0;
    for (let i = 0; i < this.ringPfn.length; i++) if (this.ringPfn[i]! >= 0) n++;
    return n;
  }

  /** mvneta_poll's RX half: mvneta_rx_swbm over at most `budget` descriptors, then refill. */
  poll(budget: number): number {
    const k = this.k;
    const wasNapi = k.inNapi;
    k.inNapi = true;
    k.enter('mvneta_poll');
    let done = 0;
    k.enter('mvneta_rx_swbm');
    while (this.pending > 0 && done < budget) {
      const first = this.swNext;
      const frameNo = this.doneFrame[first]!;
      let descs = 1;
      if ((this.doneFlags[first]! & 2) === 0) {
        while (descs <= this.pending && (this.doneFlags[(first + descs - 1) % this.ringPfn.length]! & 2) === 0) descs++;
      }
      if (done > 0 && done + descs > budget) break;
      k.frame = frameNo;
      this.rxFrame(first, descs);
      done += descs;
    }
    k.leave();
    this.refill();
    k.leave();
    k.inNapi = wasNapi;
    return done;
  }

  /** mvneta_rx_refill_queue: at most 64 empty descriptors get a new buffer. */
  refill(): void {
    const k = this.k;
    k.enter('mvneta_rx_refill');
    let n = 0;
    while (this.needRefill > 0 && n < RX_REFILL_BATCH && this.refillOne()) {
      this.needRefill--;
      n++;
    }
    k.leave();
  }

  private refillOne(): boolean {
    const k = this.k;
    // mvneta_rx_refill_queue refills only descriptors whose buf_phys_addr is 0: a page left on the ring stays.
    let at = this.refillNext;
    for (let n = 0; n < this.ringPfn.length && this.ringPfn[at]! >= 0; n++) at = (at + 1) % this.ringPfn.length;
    let pfn: number;
    let dma: number;
    if (this.pool) {
      pfn = this.pool.alloc();
      if (pfn < 0) return false;
      dma = this.pool.dmaAddr(pfn);
    } else {
      // v4.19 mvneta_rx_refill: a fresh page, dma_map_page of the whole page.
      pfn = k.alloc_pages(0, Owner.page, Origin.ringCopybreak);
      if (pfn < 0) return false;
      dma = k.dma.dma_map_page(pfn, 0, PAGE_SIZE, DmaDir.from_device, 0);
    }
    this.ringPfn[at] = pfn;
    this.ringDma[at] = dma;
    this.refillNext = (at + 1) % this.ringPfn.length;
    return true;
  }

  private consumeDesc(at: number): void {
    this.ringPfn[at] = -1;
    this.needRefill++;
  }

  private advance(descs: number): void {
    this.swNext = (this.swNext + descs) % this.ringPfn.length;
    this.pending -= descs;
  }

  /** One frame spread over `descs` descriptors from `first`. */
  private rxFrame(first: number, descs: number): void {
    const k = this.k;
    k.counters['rx.descriptors'] += descs;
    if (this.pool) this.rxPagePool(first, descs);
    else this.rxCopybreak(first, descs);
    this.advance(descs);
  }

  /** Page_pool drivers: sync for cpu, XDP, build_skb on the pool page, frags per jumbo_frags. */
  private rxPagePool(first: number, descs: number): void {
    const k = this.k;
    const pool = this.pool!;
    const kn = k.knobs;
    const n = this.ringPfn.length;
    const size0 = this.doneSize[first]!;
    const whole = descs === 1;
    const head = this.ringPfn[first]!;
    const dma0 = this.ringDma[first]!;
    k.dma.dma_sync_single_range_for_cpu(dma0, this.geo.offset, size0, this.dmaDir);
    this.consumeDesc(first);
    const frameLen = size0 - MVNETA_MH_SIZE - (whole ? ETH_FCS_LEN : 0);
    k.counters['rx.frames']++;
    k.counters['rx.bytes'] += this.frameBytes(first, descs);
    if (this.cfg.xdp !== 'none' && this.runXdp(head, frameLen)) return;
    const skb = build_skb(k, head, 0, PAGE_SIZE);
    skb_reserve(skb, this.geo.offset + MVNETA_MH_SIZE);
    skb_put(skb, frameLen);
    if (kn.skb_recycle === 'none') {
      pool.releasePage(head);
    } else if (kn.skb_recycle === 'mem_info') {
      skb.memType = MemType.PAGE_POOL;
      skb.memId = pool.memId;
    } else {
      // skb_mark_for_recycle (v5.14).
      skb.pp_recycle = 1;
    }
    let left = 0;
    for (let d = 1; d < descs; d++) left += this.doneSize[(first + d) % n]!;
    left -= ETH_FCS_LEN;
    for (let d = 1; d < descs; d++) {
      const at = (first + d) % n;
      const pfn = this.ringPfn[at]!;
      const size = this.doneSize[at]!;
      k.dma.dma_sync_single_range_for_cpu(this.ringDma[at]!, this.geo.offset, size, this.dmaDir);
      const use = Math.min(size, left);
      if (use <= 0 || skb.sh.nr_frags >= MAX_SKB_FRAGS) {
        // Only FCS bytes left: the page stays on the ring.
        continue;
      }
      this.consumeDesc(at);
      left -= use;
      if (kn.jumbo_frags === 'release' || kn.skb_recycle === 'none') {
        pool.releasePage(pfn);
      } else {
        k.enter('skb_add_rx_frag');
        checkPoolFrag(k, skb, pfn);
        k.leave();
      }
      skb_add_rx_frag(skb, skb.sh.nr_frags, pfn, this.geo.offset, use, PAGE_SIZE);
    }
    this.ethTypeTrans(skb, first);
  }

  /** v4.19 mvneta_rx_swbm: copy up to max(rx_copybreak, 128) bytes into a new skb, attach the rest. */
  private rxCopybreak(first: number, descs: number): void {
    const k = this.k;
    const n = this.ringPfn.length;
    let rxBytes = 0;
    for (let d = 0; d < descs; d++) rxBytes += this.doneSize[(first + d) % n]!;
    rxBytes -= ETH_FCS_LEN + MVNETA_MH_SIZE;
    k.counters['rx.frames']++;
    k.counters['rx.bytes'] += rxBytes;
    const skb = napi_alloc_skb(k, k.netdevFrag, this.copybreak, 'netdev_alloc_skb_ip_align');
    const pfn0 = this.ringPfn[first]!;
    if (!skb) {
      k.counters['rx.drops']++;
      return;
    }
    const copy = Math.min(this.copybreak, rxBytes);
    // The copy happens before any sync or unmap (the defect fixed in 2019 by "rely on build_skb").
    k.dma.cpuRead(pfn0, this.geo.offset + MVNETA_MH_SIZE, copy, 'memcpy');
    skb_put(skb, copy);
    let left = rxBytes - copy;
    if (left === 0) {
      k.counters['rx.copybreak']++;
      k.dma.dma_sync_single_range_for_cpu(this.ringDma[first]!, 0, copy + MVNETA_MH_SIZE, DmaDir.from_device);
    } else {
      const off = copy + MVNETA_MH_SIZE;
      const use = Math.min(left, PAGE_SIZE - off);
      this.consumeDesc(first);
      skb_add_rx_frag(skb, 0, pfn0, off, use, PAGE_SIZE);
      k.dma.dma_unmap_page(this.ringDma[first]!, PAGE_SIZE, DmaDir.from_device, 0);
      left -= use;
    }
    for (let d = 1; d < descs; d++) {
      const at = (first + d) % n;
      const pfn = this.ringPfn[at]!;
      if (left <= 0) {
        k.dma.dma_sync_single_range_for_cpu(this.ringDma[at]!, 0, ETH_FCS_LEN, DmaDir.from_device);
        continue;
      }
      const use = Math.min(left, PAGE_SIZE);
      this.consumeDesc(at);
      skb_add_rx_frag(skb, skb.sh.nr_frags, pfn, 0, use, PAGE_SIZE);
      k.dma.dma_unmap_page(this.ringDma[at]!, PAGE_SIZE, DmaDir.from_device, 0);
      left -= use;
    }
    this.ethTypeTrans(skb, first);
  }

  private frameBytes(first: number, descs: number): number {
    let b = 0;
    for (let d = 0; d < descs; d++) b += this.doneSize[(first + d) % this.ringPfn.length]!;
    return b - MVNETA_MH_SIZE - ETH_FCS_LEN;
  }

  /** eth_type_trans reads the Ethernet header and pulls it; the skb goes to the stack. */
  private ethTypeTrans(skb: SkBuff, at: number): void {
    const k = this.k;
    skb.flow = this.doneFlow[at]!;
    skb.seq = this.doneSeq[at]!;
    skb.payload = this.donePayload[at]!;
    k.enter('eth_type_trans');
    cpuReadLinear(k, skb, 0, ETH_HLEN, 'eth_type_trans');
    skb_pull(skb, ETH_HLEN);
    k.leave();
    this.sink.receive(skb);
  }

  /** mvneta_run_xdp: the program returns the scenario's verdict for every frame. True when consumed. */
  private runXdp(pfn: number, len: number): boolean {
    const k = this.k;
    const pool = this.pool!;
    const c = k.counters;
    k.enter('mvneta_run_xdp');
    const v = this.cfg.xdp;
    let consumed = true;
    const syncLen = MVNETA_MH_SIZE + len;
    if (v === 'pass') {
      c['xdp.pass']++;
      consumed = false;
    } else if (v === 'drop') {
      c['xdp.drop']++;
      k.enter('page_pool_recycle_direct');
      pool.put(pfn, syncLen, true);
      k.leave();
    } else {
      const f: XdpFrame = { pfn, len, memType: MemType.PAGE_POOL, memId: pool.memId, frame: k.frame, alive: true };
      if (v === 'tx') {
        c['xdp.tx']++;
        k.enter('mvneta_xdp_xmit_back');
        // Same mapping, handed back to the device for transmit.
        k.dma.dma_sync_single_range_for_device(pool.dmaAddr(pfn), this.geo.offset, syncLen, DmaDir.bidirectional);
        k.leave();
        this.sink.xdpFrame(f, 'tx');
      } else {
        c['xdp.redirect']++;
        k.enter('xdp_do_redirect');
        this.sink.xdpFrame(f, 'redirect');
        k.leave();
      }
    }
    k.leave();
    return consumed;
  }

  /** mvneta_tx (no TSO): the linear part mapped with dma_map_single, freed at TX completion. */
  xmit(skb: SkBuff): void {
    const k = this.k;
    k.enter('mvneta_tx');
    const sh = skb.sh;
    const off = (sh.headOff + skb.data) % PAGE_SIZE;
    const a = k.dma.dma_map_page(sh.headPfn, off, skb_headlen(skb), DmaDir.to_device, 0);
    this.txq[this.txCount] = skb;
    this.txDma[this.txCount++] = a;
    k.leave();
  }

  /** XDP_TX: the frame goes out on the RX page's own mapping (no new map). */
  xmitXdp(f: XdpFrame): void {
    this.txq[this.txCount] = f;
    this.txDma[this.txCount++] = -1;
  }

  get txPending(): number {
    return this.txCount;
  }

  /** mvneta_txq_done: unmap skbs and dev_kfree_skb_any; XDP_TX frames go back with xdp_return_frame_rx_napi. */
  txDone(): void {
    const k = this.k;
    if (this.txCount === 0) return;
    const wasNapi = k.inNapi;
    k.inNapi = true;
    k.enter('mvneta_txq_done');
    const n = this.txCount;
    this.txCount = 0;
    for (let i = 0; i < n; i++) {
      const o = this.txq[i]!;
      this.txq[i] = null;
      if (o instanceof SkBuffClass) {
        k.dma.dma_unmap_page(this.txDma[i]!, skb_headlen(o), DmaDir.to_device, 0);
        k.enter('dev_kfree_skb_any');
        consume_skb(k, o);
        k.leave();
      } else {
        xdp_return_frame(k, o, true);
      }
    }
    k.leave();
    k.inNapi = wasNapi;
  }

  /** mvneta_stop → mvneta_rxq_drop_pkts: ring buffers returned, pool unregistered and destroyed. */
  ifdown(): void {
    const k = this.k;
    k.enter('mvneta_stop');
    this.txDone();
    k.enter('mvneta_rxq_drop_pkts');
    const n = this.ringPfn.length;
    for (let at = 0; at < n; at++) {
      const pfn = this.ringPfn[at]!;
      if (pfn < 0) continue;
      if (this.pool) {
        this.pool.put(pfn, -1, false);
      } else {
        k.dma.dma_unmap_page(this.ringDma[at]!, PAGE_SIZE, DmaDir.from_device, 0);
        k.put_page(pfn);
      }
      this.ringPfn[at] = -1;
    }
    if (this.pool) {
      k.xdpMem.unregister(this.pool.memId);
      this.pool.destroy();
    }
    k.leave();
    k.leave();
  }
}
