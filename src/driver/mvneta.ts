import { DmaDir, type DmaDirCode } from '../kernel/dma.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Knobs } from '../kernel/knobs.js';
import { Origin, Owner, PAGE_SIZE, Place } from '../kernel/page.js';
import { PagePool } from '../kernel/page_pool.js';
import {
  build_skb,
  checkPoolFrag,
  consume_skb,
  kfree_skb,
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
/** eth0's ifindex on the board (lo is 1). */
export const ETH0_IFINDEX = 2;
/** EDSA tag on the switch's CPU port. */
export const EDSA_TAG_LEN = 8;
/** NAPI_POLL_WEIGHT and the refill batch of mvneta_rx_refill_queue. */
export const NAPI_BUDGET = 64;
export const RX_REFILL_BATCH = 64;
/** sizeof(struct xdp_frame) on arm64 (v6.1), written at data_hard_start by xdp_convert_buff_to_frame. */
export const XDP_FRAME_SIZE = 40;

export type XdpVerdict = 'none' | 'pass' | 'drop' | 'tx' | 'redirect';

/** XdpVerdict as a small integer, for the per-frame dispatch. */
const XDP_NONE = 0;
const XDP_PASS = 1;
const XDP_DROP = 2;
const XDP_TX = 3;
const XDP_CODE: Record<XdpVerdict, number> = { none: XDP_NONE, pass: XDP_PASS, drop: XDP_DROP, tx: XDP_TX, redirect: 4 };
/** napi_budget knob: what the budget counts. */
const BUDGET_PACKETS = 0;
const BUDGET_DESCRIPTORS_DROP = 1;
const BUDGET_DESCRIPTORS_CARRY = 2;

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
  /** Ring size and geometry, and the knobs read per packet, decoded once. */
  private readonly ringSize: number;
  private readonly rxOffset: number;
  private readonly bufSize: number;
  private readonly refillSync: boolean;
  private readonly xdp: number;
  private readonly budgetUnit: number;
  /** Frames can become skbs (no XDP program consumes them all): what they carry is kept for eth_type_trans. */
  private readonly skbMeta: boolean;
  /** The longest frame the port takes (MTU plus the Ethernet header). */
  private readonly maxFrame: number;

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
    this.ringSize = n;
    this.rxOffset = this.geo.offset;
    this.bufSize = this.geo.bufSize;
    this.refillSync = kn.refill_sync_for_device === 'true';
    this.xdp = XDP_CODE[cfg.xdp];
    const unit = kn.napi_budget;
    this.maxFrame = cfg.mtu + ETH_HLEN;
    this.skbMeta = kn.driver !== 'page_pool' || this.xdp === XDP_NONE || this.xdp === XDP_PASS;
    this.budgetUnit = unit === 'packets' ? BUDGET_PACKETS : unit === 'descriptors_drop' ? BUDGET_DESCRIPTORS_DROP : BUDGET_DESCRIPTORS_CARRY;
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
        allocShape: kn.pool_alloc === 'n/a' ? 'cache_first' : kn.pool_alloc,
        releaseRetry: kn.pool_release_retry,
        dmaTracking: kn.pool_dma_tracking === 'true',
      });
      k.pools.push(pool);
      k.xdpMem.register(pool);
      this.pool = pool;
    }
    this.needRefill = this.cfg.rxRing - this.refillRing(this.cfg.rxRing);
    this.up = true;
    this.carrier = true;
    k.leave();
  }

  /** The port is open (between mvneta_open and mvneta_stop) and the link is up. */
  up = false;
  carrier = false;
  /** The driver was unbound from the device (mvneta_remove). */
  unbound = false;

  /** The PHY reports link down (netif_carrier_off): frames no longer reach the port; the pool is untouched. */
  linkDown(): void {
    this.carrier = false;
  }


  /**
   * The NIC receives a frame into the next descriptors (DMA write). Returns false when it is dropped:
   * no buffer posted, or too long for the port.
   */
  hwReceive(len: number, frame: number, flow = -1, seq = 0, payload = 0): boolean {
    const k = this.k;
    const total = rxBufferBytes(len, this.dsaTag);
    const n = this.ringSize;
    const bufSize = this.bufSize;
    const descs = total <= bufSize ? 1 : Math.ceil(total / bufSize);
    if (len > this.maxFrame || this.pending + descs > n || !this.carrier) {
      k.counters['rx.drops']++;
      return false;
    }
    if (descs === 1) {
      const at = this.hwNext;
      const pfn = this.ringPfn[at]!;
      if (pfn < 0) {
        k.counters['rx.drops']++;
        return false;
      }
      this.fillDesc(at, pfn, total, 3, frame, flow, seq, payload);
      return true;
    }
    return this.hwReceiveDescs(total, descs, frame, flow, seq, payload);
  }

  /** A frame spread over several descriptors: all must hold a buffer, else it is dropped. */
  private hwReceiveDescs(total: number, descs: number, frame: number, flow: number, seq: number, payload: number): boolean {
    const k = this.k;
    const n = this.ringSize;
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
      const size = Math.min(left, this.bufSize);
      left -= size;
      this.fillDesc(at, pfn, size, (d === 0 ? 1 : 0) | (d === descs - 1 ? 2 : 0), frame, flow, seq, payload);
    }
    return true;
  }

  /** The NIC writes `size` bytes into descriptor `at`'s buffer and completes it (flags: 1 first, 2 last of the frame). */
  private fillDesc(at: number, pfn: number, size: number, flags: number, frame: number, flow: number, seq: number, payload: number): void {
    this.nicWrite(pfn, size);
    this.doneSize[at] = size;
    this.doneFlags[at] = flags;
    this.doneFrame[at] = frame;
    if (this.skbMeta) {
      this.doneFlow[at] = flow;
      this.doneSeq[at] = seq;
      this.donePayload[at] = payload;
    }
    this.hwNext = at + 1 === this.ringSize ? 0 : at + 1;
    this.pending++;
  }

  /** The NIC's DMA write into a posted buffer. */
  private nicWrite(pfn: number, size: number): void {
    const k = this.k;
    const pg = k.pages;
    const i = pfn - pg.base;
    if (pg.refcount[i] !== 1) this.writeShared(pfn, pg.refcount[i]! - 1);
    pg.gen[i]!++;
    pg.rxFrame[i] = k.frame;
    k.dma.deviceWrite(pfn, this.rxOffset, size);
  }

  /** The NIC overwrote a buffer that `others` other references still read. */
  private writeShared(pfn: number, others: number): void {
    this.k.violation('data-corruption', () => `${this.k.pages.describe(pfn)} written by the NIC while ${others} other reference(s) still read it`, 'mvneta_rx_dma', pfn);
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

  /** mvneta_poll's RX half: mvneta_rx_swbm against the budget as napi_budget counts it, then refill. */
  poll(budget: number): number {
    const k = this.k;
    if (!this.up) return 0;
    const wasNapi = k.inNapi;
    k.inNapi = true;
    k.enter('mvneta_poll');
    const unit = this.budgetUnit;
    const n = this.ringPfn.length;
    let done = 0;
    let pkts = 0;
    k.enter('mvneta_rx_swbm');
    while (this.pending > 0 && (unit === BUDGET_PACKETS ? pkts < budget : done < budget)) {
      if (this.xdp === XDP_DROP) {
        const taken = this.xdpDropRun(unit === BUDGET_PACKETS ? budget - pkts : budget - done);
        done += taken;
        pkts += taken;
        if (this.pending === 0 || (unit === BUDGET_PACKETS ? pkts >= budget : done >= budget)) break;
      }
      const first = this.swNext;
      if ((this.doneFlags[first]! & 1) === 0) {
        this.dropOrphan(first);
        done++;
        continue;
      }
      const frameNo = this.doneFrame[first]!;
      let descs = 1;
      if ((this.doneFlags[first]! & 2) === 0) {
        while (descs <= this.pending && (this.doneFlags[(first + descs - 1) % n]! & 2) === 0) descs++;
      }
      k.frame = frameNo;
      if (unit === BUDGET_DESCRIPTORS_DROP && done + descs > budget) {
        this.dropCut(first, budget - done);
        done = budget;
        break;
      }
      // descriptors_carry (v5.5-v5.9): rxq->skb carries a cut frame over; modelled as handling it whole in the next poll.
      if (unit === BUDGET_DESCRIPTORS_CARRY && done > 0 && done + descs > budget) break;
      this.rxFrame(first, descs);
      done += descs;
      pkts++;
    }
    k.leave();
    this.refill();
    k.leave();
    k.inNapi = wasNapi;
    return done;
  }

  /**
   * v5.14+ mvneta_rx_swbm: the budget ran out inside a frame; the buffers taken so far go back with
   * mvneta_xdp_put_buff (frags page_pool_put_full_page, head page_pool_put_page(-1), direct).
   */
  private dropCut(first: number, taken: number): void {
    const k = this.k;
    const n = this.ringPfn.length;
    k.counters['rx.drops']++;
    k.counters['rx.descriptors'] += taken;
    for (let d = 0; d < taken; d++) {
      const at = (first + d) % n;
      k.dma.dma_sync_single_range_for_cpu(this.ringDma[at]!, this.geo.offset, this.doneSize[at]!, this.dmaDir);
    }
    k.enter('mvneta_xdp_put_buff');
    for (let d = taken - 1; d >= 0; d--) {
      const at = (first + d) % n;
      const pfn = this.ringPfn[at]!;
      this.consumeDesc(at);
      if (this.pool) this.pool.put(pfn, -1, true);
      else this.releaseCopybreakPage(at, pfn);
    }
    k.leave();
    this.advance(taken);
  }

  /** v5.14+: a buffer whose frame start was dropped (no xdp_buff in progress): page_pool_put_full_page(…, true). */
  private dropOrphan(at: number): void {
    const k = this.k;
    const pfn = this.ringPfn[at]!;
    k.counters['rx.descriptors']++;
    this.consumeDesc(at);
    if (this.pool) {
      k.enter('page_pool_put_full_page');
      this.pool.put(pfn, -1, true);
      k.leave();
    } else {
      this.releaseCopybreakPage(at, pfn);
    }
    this.advance(1);
  }

  /** A copybreak-driver buffer dropped by the driver: unmapped and freed (refilled with a new page). */
  private releaseCopybreakPage(at: number, pfn: number): void {
    this.k.dma.dma_unmap_page(this.ringDma[at]!, PAGE_SIZE, DmaDir.from_device, 0);
    this.k.put_page(pfn);
  }

  /** mvneta_rx_refill_queue: at most 64 empty descriptors get a new buffer. */
  refill(): void {
    const k = this.k;
    if (!this.up) return;
    k.enter('mvneta_rx_refill');
    this.needRefill -= this.refillRing(this.needRefill < RX_REFILL_BATCH ? this.needRefill : RX_REFILL_BATCH);
    k.leave();
  }

  /** Up to `most` empty descriptors from refillNext on get a buffer (mvneta_rx_refill each); stops when out of memory. Returns how many. */
  private refillRing(most: number): number {
    const k = this.k;
    const ring = this.ringSize;
    const pool = this.pool;
    let next = this.refillNext;
    let n = 0;
    let fast = 0;
    while (n < most) {
      // mvneta_rx_refill_queue refills only descriptors whose buf_phys_addr is 0: a page left on the ring stays.
      let at = next;
      for (let s = 0; s < ring && this.ringPfn[at]! >= 0; s++) at = at + 1 === ring ? 0 : at + 1;
      let pfn: number;
      if (pool) {
        // page_pool_alloc_pages: the alloc cache's pages are counted once, after the loop
        pfn = pool.allocCached();
        if (pfn >= 0) fast++;
        else pfn = pool.alloc();
        if (pfn >= 0) this.poolBuffer(at, pfn);
      } else {
        pfn = this.copybreakBuffer(at);
      }
      if (pfn < 0) break;
      k.dma.postToDevice(pfn, this.rxOffset, this.bufSize, 'mvneta_rx_desc_fill');
      this.ringPfn[at] = pfn;
      k.hold(pfn, Place.rxRing);
      next = at + 1 === ring ? 0 : at + 1;
      n++;
    }
    if (pool) pool.countFast(fast);
    this.refillNext = next;
    return n;
  }

  /** mvneta_rx_refill (page_pool): page `pfn` from the pool, its DMA address in descriptor `at`. */
  private poolBuffer(at: number, pfn: number): void {
    const pool = this.pool!;
    const dma = pool.dmaAddr(pfn);
    // mvneta_rx_refill of the Oct 2019 page_pool conversion: dma_sync_single_for_device of the whole buffer.
    if (this.refillSync) this.k.dma.syncForDeviceOnPage(pfn, dma, this.rxOffset, this.bufSize, this.dmaDir);
    this.ringDma[at] = dma;
  }

  /** v4.19 mvneta_rx_refill: a fresh page, dma_map_page of the whole page, its address in descriptor `at`. -1 when out of memory. */
  private copybreakBuffer(at: number): number {
    const k = this.k;
    const pfn = k.alloc_pages(0, Owner.page, Origin.ringCopybreak);
    if (pfn < 0) return -1;
    this.ringDma[at] = k.dma.dma_map_page(pfn, 0, PAGE_SIZE, DmaDir.from_device, 0);
    return pfn;
  }

  private consumeDesc(at: number): void {
    this.ringPfn[at] = -1;
    this.needRefill++;
  }

  private advance(descs: number): void {
    const next = this.swNext + descs;
    this.swNext = next >= this.ringSize ? next - this.ringSize : next;
    this.pending -= descs;
  }

  /**
   * rxFrame of up to `max` one-descriptor frames from swNext under XDP_DROP, each in one step when
   * no part of it reports (sync for cpu, mvneta_run_xdp, page_pool_recycle_direct into the alloc
   * cache); stops at the first frame it leaves untouched for rxFrame.
   */
  private xdpDropRun(max: number): number {
    const k = this.k;
    const pool = this.pool;
    if (!pool) return 0;
    // each frame takes one more place in the alloc cache, and nothing else in the loop changes directRoom
    const room = pool.directRoom();
    const most = max < room ? max : room;
    let n = 0;
    let bytes = 0;
    let syncBytes = 0;
    while (n < most && this.pending > 0) {
      const at = this.swNext;
      if (this.doneFlags[at] !== 3) break;
      const head = this.ringPfn[at]!;
      const size = this.doneSize[at]!;
      const dma = this.ringDma[at]!;
      const syncLen = size - ETH_FCS_LEN;
      const i = k.dma.ownMapping(head, dma, this.rxOffset, size, this.dmaDir);
      if (i < 0 || !pool.directRecyclable(i, dma, syncLen)) break;
      k.frame = this.doneFrame[at]!;
      k.dma.cpuSynced(i, dma - head * PAGE_SIZE + this.rxOffset, size);
      this.consumeDesc(at);
      bytes += syncLen - MVNETA_MH_SIZE;
      syncBytes += pool.recycleDirect(i, dma, syncLen);
      this.advance(1);
      n++;
    }
    const c = k.counters;
    k.dma.countForCpu(n);
    pool.countDirect(n, syncBytes);
    c['rx.descriptors'] += n;
    c['rx.frames'] += n;
    c['rx.bytes'] += bytes;
    c['xdp.drop'] += n;
    return n;
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
    const size0 = this.doneSize[first]!;
    const whole = descs === 1;
    const head = this.ringPfn[first]!;
    k.dma.syncForCpuOnPage(head, this.ringDma[first]!, this.rxOffset, size0, this.dmaDir);
    this.consumeDesc(first);
    const frameLen = size0 - MVNETA_MH_SIZE - (whole ? ETH_FCS_LEN : 0);
    const c = k.counters;
    c['rx.frames']++;
    c['rx.bytes'] += whole ? frameLen : this.frameBytes(first, descs);
    if (this.xdp !== XDP_NONE && this.runXdp(head, frameLen)) return;
    this.rxSkbPagePool(first, descs, head, frameLen);
  }

  /** XDP_PASS or no program: build_skb on the head page, the other descriptors as frags. */
  private rxSkbPagePool(first: number, descs: number, head: number, frameLen: number): void {
    const k = this.k;
    const pool = this.pool!;
    const kn = k.knobs;
    const n = this.ringSize;
    k.hold(head, Place.napi);
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
        this.fcsOnly(at, pfn);
        continue;
      }
      this.consumeDesc(at);
      k.hold(pfn, Place.napi);
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

  /** A buffer holding only FCS bytes (or one frag too many), per fcs_only_desc. */
  private fcsOnly(at: number, pfn: number): void {
    const k = this.k;
    const mode = k.knobs.fcs_only_desc;
    // v4.20 / 2018 mvneta_rx_swbm: left_size is 0, the descriptor is left untouched (the page stays on the ring).
    if (mode === 'ring' || mode === 'n/a') return;
    this.consumeDesc(at);
    if (mode === 'release') {
      // v5.5-v5.8 mvneta_swbm_add_rx_fragment: data_len <= 0, no frag, but page_pool_release_page: unmapped, never freed.
      k.enter('mvneta_swbm_add_rx_fragment');
      this.pool!.releasePage(pfn);
      k.leave();
    } else {
      // v5.14+ mvneta_swbm_add_rx_fragment: page_pool_put_full_page(rxq->page_pool, page, true).
      k.enter('page_pool_put_full_page');
      this.pool!.put(pfn, -1, true);
      k.leave();
    }
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
    k.enter('mvneta_run_xdp');
    const v = this.xdp;
    let consumed = true;
    if (v === XDP_PASS) {
      k.counters['xdp.pass']++;
      consumed = false;
    } else if (v === XDP_DROP) {
      k.counters['xdp.drop']++;
      k.enter('page_pool_recycle_direct');
      this.pool!.put(pfn, MVNETA_MH_SIZE + len, true);
      k.leave();
    } else {
      this.xdpFrameOut(pfn, len, v === XDP_TX ? 'tx' : 'redirect');
    }
    k.leave();
    return consumed;
  }

  /** XDP_TX / XDP_REDIRECT: xdp_convert_buff_to_frame, then the frame goes to the sink. */
  private xdpFrameOut(pfn: number, len: number, v: 'tx' | 'redirect'): void {
    const k = this.k;
    const pool = this.pool!;
    const c = k.counters;
    const f: XdpFrame = { pfn, len, memType: MemType.PAGE_POOL, memId: pool.memId, frame: k.frame, alive: true };
    // xdp_convert_buff_to_frame: struct xdp_frame is written at data_hard_start (the page start).
    k.dma.cpuWrite(pfn, 0, XDP_FRAME_SIZE);
    if (v === 'tx') {
      c['xdp.tx']++;
      // The XDP_TX program rewrites the Ethernet header (swaps the MAC addresses).
      k.dma.cpuWrite(pfn, this.geo.offset + MVNETA_MH_SIZE, 12);
      k.enter('mvneta_xdp_xmit_back');
      // mvneta_xdp_submit_frame (v5.5-v6.1): same mapping, xdpf->len synced from xdpf->data.
      k.dma.dma_sync_single_range_for_device(pool.dmaAddr(pfn), this.geo.offset + MVNETA_MH_SIZE, len, DmaDir.bidirectional);
      k.leave();
      this.sink.xdpFrame(f, 'tx');
    } else {
      c['xdp.redirect']++;
      k.enter('xdp_do_redirect');
      this.sink.xdpFrame(f, 'redirect');
      k.leave();
    }
  }

  /** mvneta_tx (no TSO): the linear part mapped with dma_map_single, freed at TX completion. */
  xmit(skb: SkBuff): void {
    const k = this.k;
    if (!this.up) {
      // __dev_queue_xmit on a device that is down: the skb is dropped before the driver.
      k.enter('__dev_queue_xmit');
      kfree_skb(k, skb);
      k.leave();
      return;
    }
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
    this.k.hold(f.pfn, Place.txRing);
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

  /** mvneta_stop → mvneta_rxq_drop_pkts: ring buffers returned (received or not), then mvneta_rxq_deinit's page_pool_destroy. */
  ifdown(): void {
    const k = this.k;
    if (!this.up) return;
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
    this.pending = 0;
    this.needRefill = 0;
    this.up = false;
    this.carrier = false;
    k.leave();
    if (this.pool) {
      k.enter('mvneta_rxq_deinit');
      this.pool.destroy();
      k.leave();
    }
    k.leave();
  }

  /** mvneta_remove: unregister_netdev (ifdown if up, page_pool_unreg_netdev), then the device is released. */
  unbind(): void {
    const k = this.k;
    if (this.unbound) return;
    k.enter('mvneta_remove');
    k.enter('unregister_netdev');
    this.ifdown();
    if (this.pool) this.pool.netdevGone = true;
    k.leave();
    k.enter('device_release_driver');
    k.dma.unbind(0);
    k.leave();
    this.unbound = true;
    k.leave();
  }
}
