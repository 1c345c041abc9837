import { Kernel } from '../kernel/kernel.js';
import { WIDE_ZERO } from '../kernel/typed.js';
import { EDSA_TAG_LEN, ETH0_IFINDEX, ETH_FCS_LEN, Mvneta, NAPI_BUDGET } from '../driver/mvneta.js';
import { Stack, type FlowSink } from '../net/stack.js';
import { TcpReceiver, type TcpEnv } from '../net/tcp.js';
import { UdpSocket } from '../net/udp.js';
import type { SkBuff } from '../kernel/skbuff.js';
import { EventQueue } from './events.js';
import { checkInvariants } from './invariants.js';
import type { IntervalLine, IntervalSample, PoolInterval } from './report.js';
import { Rng } from './rng.js';
import type { DeviceEvent, Host, XdpMode } from './scenario.js';
import { holdersView, type HoldersView } from './holders.js';

/** Preamble + SFD and the inter-frame gap on the wire. */
const PREAMBLE = 8;
const IFG = 12;
/** 1 Gbit/s: one byte every 8 ns. */
const NS_PER_BYTE = 8;
/** MVNETA_RX_COAL_PKTS / MVNETA_RX_COAL_USEC. */
const RX_COAL_PKTS = 32;
const RX_COAL_NS = 100_000;
const SLOW_READ_NS = 1_000_000;
/** LAN round trip (contract §6). */
export const RTT_NS = 100_000;
/** Default sampling interval (iperf -i 1) and the most samples a run keeps. */
export const INTERVAL_NS = 1_000_000_000;
export const MAX_SAMPLES = 10_000;
const PROGRESS_NS = 100_000_000;

const EV_IRQ = 2;
const EV_READ_SLOW = 3;
const EV_DELACK = 4;
const EV_OWN_END = 5;
const EV_INTERVAL = 7;
const EV_IGMP = 8;
const EV_DEVICE = 9;
const EV_POOL_RETRY = 10;
/** IGMPv3 unsolicited report interval: the join's retransmission comes within 1 s. */
const IGMP_REPORT_NS = 1_000_000_000;

/**
 * ACKs in flight to one sender: (arrival time, event sequence, ack, window) in FIFO order. They all
 * take one RTT, so arrival times only grow and the queue stands outside the event heap.
 */
class AckRing {
  private buf = new Float64Array(64);
  private head = 0;
  n = 0;
  ack = WIDE_ZERO;
  wnd = 0;

  push(t: number, seq: number, ack: number, wnd: number): void {
    if (this.n * 4 === this.buf.length) {
      const b = new Float64Array(this.buf.length * 2);
      for (let i = 0; i < this.n * 4; i++) b[i] = this.buf[(this.head + i) % this.buf.length]!;
      this.buf = b;
      this.head = 0;
    }
    const at = (this.head + this.n * 4) % this.buf.length;
    this.buf[at] = t;
    this.buf[at + 1] = seq;
    this.buf[at + 2] = ack;
    this.buf[at + 3] = wnd;
    this.n++;
  }

  get t(): number {
    return this.n > 0 ? this.buf[this.head]! : Infinity;
  }

  get seq(): number {
    return this.buf[this.head + 1]!;
  }

  /** Takes the oldest entry into `ack` and `wnd`. */
  shift(): void {
    this.ack = this.buf[this.head + 2]!;
    this.wnd = this.buf[this.head + 3]!;
    this.head = (this.head + 4) % this.buf.length;
    this.n--;
  }
}

/** The frame a source puts on the wire next. */
export interface FrameOut {
  len: number;
  seq: number;
  payload: number;
}

/** A traffic generator on the far side of the wire (the PC). */
export interface Source {
  readonly flow: number;
  readonly label: string;
  /** Earliest start of its next frame at or after `now` (Infinity when blocked or finished). */
  readyAt(now: number): number;
  emit(t: number, out: FrameOut): void;
  /** The board's ACK reached the sender (TCP). */
  onAck(ack: number, window: number): void;
}

/** How a flow is received on the board. */
export type FlowSpec = { kind: 'udp'; multicast: boolean; label: string } | { kind: 'tcp'; mss: number; readSize: number; label: string };

/** Called for every frame the wire delivers to the NIC (for captures of what the board received). */
export type FrameHook = (tNs: number, frameNo: number, f: Readonly<FrameOut>, flow: number) => void;

export interface EngineConfig {
  onFrame?: FrameHook | undefined;
  /** Progress callback, called at most every 100 ms of simulated time. */
  onProgress?: ((simNs: number, totalNs: number) => void) | undefined;
  durationNs: number;
  /** Length of one interval (iperf lines and pool samples); at most MAX_SAMPLES per run. */
  intervalNs?: number | undefined;
  mtu: number;
  rxRing: number;
  xdp: XdpMode;
  host: Host;
  flows: FlowSpec[];
  seed: number;
  /** link_down / pool_destroy / unbind at their times while traffic and readers go on. */
  events?: readonly DeviceEvent[] | undefined;
  /** Take a holders view at every interval and at the end of the run. */
  holders?: boolean | undefined;
}

export interface EngineResult {
  frames: number;
  bytes: number;
  intervals: IntervalLine[];
  holders: HoldersView[];
  /** Draws from the seeded generator. */
  randomChoices: number;
  poolIntervals: PoolInterval[];
  samples: IntervalSample[];
}

/**
 * Discrete-event simulation of the board receiving traffic: a 1 Gbit/s wire, RX interrupt
 * coalescing, NAPI polls, readers on their own schedule, TCP ACKs one RTT away.
 */
export class Engine implements TcpEnv {
  readonly nic: Mvneta;
  readonly stack: Stack;
  private readonly q = new EventQueue();
  private readonly ev = { t: WIDE_ZERO, kind: 0, arg: 0 };
  private now_ = WIDE_ZERO;
  private wireBusy = false;
  private wireFree = WIDE_ZERO;
  private stopped = false;
  private irqCount = 0;
  private irqGen = 0;
  private frames = WIDE_ZERO;
  private bytes = WIDE_ZERO;
  /** Wire bytes of a frame beyond its length without FCS: the FCS, the DSA tag, preamble and gap. */
  private readonly wireOverhead: number;
  private readonly udp: UdpSocket[][] = [];
  private readonly tcp: (TcpReceiver | undefined)[] = [];
  /** ACKs in flight to each sender, as (ack, window) pairs in arrival order. */
  private readonly acks: AckRing[] = [];
  /** Delayed-ACK deadline per flow, and the time of the one timer event queued for it. */
  private readonly delackAt: number[] = [];
  private readonly delackQueued: number[] = [];
  private readonly intervals: IntervalLine[] = [];
  private readonly views: HoldersView[] = [];
  /** A release retry event is queued for the pool (by pool id). */
  private readonly retryQueued: boolean[] = [];
  private readonly poolIntervals: PoolInterval[] = [];
  private readonly samples: IntervalSample[] = [];
  private lastSample = { recycled: 0, released: 0, slow: 0, map: 0, unmap: 0, cpu: 0, dev: 0, drops: 0 };
  private lastIv = { t: 0, recycled: 0, released: 0, bytes: [] as number[], datagrams: [] as number[], lost: [] as number[], seq: [] as number[] };
  private readonly rng: Rng;
  private readonly byFlow: (Source | undefined)[] = [];

  constructor(
    readonly k: Kernel,
    readonly cfg: EngineConfig,
    private readonly sources: Source[],
  ) {
    this.rng = new Rng(cfg.seed);
    this.stack = new Stack(k, cfg.host.taps, cfg.host.tapMode);
    this.nic = new Mvneta(k, { mtu: cfg.mtu, rxRing: cfg.rxRing, xdp: cfg.xdp }, this.stack);
    this.stack.nic = this.nic;
    this.wireOverhead = ETH_FCS_LEN + (k.facts.dsa ? EDSA_TAG_LEN : 0) + PREAMBLE + IFG;
    for (const src of sources) this.byFlow[src.flow] = src;
    cfg.flows.forEach((f, i) => {
      let sink: FlowSink;
      if (f.kind === 'udp') {
        const n = f.multicast ? cfg.host.udpSockets : Math.min(1, cfg.host.udpSockets);
        const socks = Array.from({ length: n }, (_, j) => new UdpSocket(k.places.register(`${f.label}${n > 1 ? ` sk${j + 1}` : ''} rcvq`)));
        this.udp[i] = socks;
        sink = { kind: 'udp', sockets: socks, multicast: f.multicast };
      } else {
        const rx = new TcpReceiver(k, i, f.mss, f.readSize, cfg.host.readMode, this, f.label);
        this.tcp[i] = rx;
        sink = { kind: 'tcp', rx };
      }
      this.stack.flows.push(sink);
      this.acks[i] = new AckRing();
      this.delackAt[i] = Infinity;
      this.delackQueued[i] = Infinity;
    });
  }

  // ---- TcpEnv ----
  now(): number {
    return this.now_;
  }
  xmit(skb: SkBuff): void {
    this.nic.xmit(skb);
  }
  ackSent(flow: number, ack: number, window: number): void {
    this.acks[flow]!.push(this.now_ + RTT_NS, this.q.takeSeq(), ack, window);
    if (this.ackFlow < 0) this.nextAck();
  }
  armDelack(flow: number, at: number): void {
    this.delackAt[flow] = at;
    if (this.delackQueued[flow] === Infinity) {
      this.delackQueued[flow] = at;
      this.q.push(at, EV_DELACK, flow);
    }
  }
  ownUntil(flow: number, at: number): void {
    this.q.push(at, EV_OWN_END, flow);
  }

  /** The source whose next frame starts first at or after `from` (-1: none, or all blocked); that start in pickT. */
  private pick(from: number): number {
    let best = -1;
    let bestT = Infinity;
    for (let i = 0; i < this.sources.length; i++) {
      const t = this.sources[i]!.readyAt(from);
      if (t < bestT) {
        bestT = t;
        best = i;
      }
    }
    this.pickT = bestT;
    return best;
  }

  /** A double field, so that transmit's time arithmetic is never specialised to small integers (which overflow at 2^31 ns). */
  private pickT = WIDE_ZERO;

  /**
   * Source `best` puts its next frame on the wire at pickT: the frame's last bit arrives at the
   * returned time, and the wire is free again after the gap (wireFree). -1 when the frame would end
   * past the run, which stops the traffic.
   */
  private transmit(best: number): number {
    const start = this.pickT;
    const src = this.sources[best]!;
    // The wire is idle, so pendingOut holds no undelivered frame (a frame past the end is never delivered).
    const out = this.pendingOut;
    src.emit(start, out);
    const wire = out.len + this.wireOverhead;
    const last = start + (wire - IFG) * NS_PER_BYTE;
    if (last > this.cfg.durationNs) {
      this.stopped = true;
      return -1;
    }
    this.wireFree = start + wire * NS_PER_BYTE;
    this.pendingFlow = src.flow;
    this.wireSeq = this.q.takeSeq();
    return last;
  }

  /** Picks the source whose next frame starts first and puts it on the wire. */
  private scheduleWire(): void {
    if (this.wireBusy || this.stopped) return;
    const last = this.next(this.now_);
    if (last < 0) return;
    this.wireBusy = true;
    this.wireT = last;
  }

  /** The frame on the wire arrives at wireT: kept out of the heap, ordered against it by wireSeq. */
  private wireT = Infinity;
  private wireSeq = 0;
  private pendingFlow = 0;
  private readonly pendingOut: FrameOut = { len: 0, seq: WIDE_ZERO, payload: 0 };

  /**
   * The frame on the wire and those after it arrive back to back while no heap event, ACK or
   * progress report is due at or before the next one. For each, its last bit arrived: the NIC DMAs
   * it, the interrupt fires after 32 frames or 100 µs, and the next frame goes on the wire.
   */
  private arrivals(nextProgress: number): void {
    const k = this.k;
    const q = this.q;
    const f = this.pendingOut;
    const onFrame = this.cfg.onFrame;
    let t = this.wireT;
    let qt = q.peekTime();
    let frames = this.frames;
    let bytes = this.bytes;
    this.wireT = Infinity;
    this.wireBusy = false;
    for (;;) {
      this.now_ = t;
      frames++;
      bytes += f.len;
      k.now = t;
      k.frame = frames;
      k.resetPath();
      if (onFrame) onFrame(t, frames, f, this.pendingFlow);
      this.nic.hwReceive(f.len, frames, this.pendingFlow, f.seq, f.payload);
      if (++this.irqCount === 1) {
        q.push(this.now_ + RX_COAL_NS, EV_IRQ, this.irqGen);
        qt = q.peekTime();
      }
      if (this.irqCount >= RX_COAL_PKTS) {
        this.frames = frames;
        this.bytes = bytes;
        this.napi();
        qt = q.peekTime();
      }
      const last = this.stopped ? -1 : this.next(t);
      if (last < 0) break;
      if (!(last < qt && this.ackFlow < 0 && t < nextProgress)) {
        this.wireBusy = true;
        this.wireT = last;
        break;
      }
      t = last;
    }
    this.frames = frames;
    this.bytes = bytes;
  }

  /** The next frame goes on the wire once it is free after `now`: its arrival time, or -1 (none). */
  private next(now: number): number {
    const best = this.pick(now > this.wireFree ? now : this.wireFree);
    return best < 0 ? -1 : this.transmit(best);
  }

  /** mvneta_poll until the ring is drained (CPU time is free), GRO flushed, then fast readers read. */
  private napi(): void {
    const k = this.k;
    this.irqGen++;
    this.irqCount = 0;
    k.now = this.now_;
    k.resetPath();
    // net_rx_action on the CPU taking the RX interrupt: the GRO flush (napi_complete_done) is still NAPI context.
    k.inNapi = true;
    do {
      this.nic.txDone();
      this.nic.poll(NAPI_BUDGET);
      this.stack.flushGro();
    } while (this.nic.pendingDescriptors > 0);
    k.inNapi = false;
    this.stack.redirect.txDone();
    if (this.cfg.host.reader === 'fast') this.readAll();
  }

  /** Every application reads what is queued. */
  private readAll(): void {
    const k = this.k;
    k.resetPath();
    for (const socks of this.udp) if (socks) for (const s of socks) s.readAll(k);
    for (const t of this.stack.taps) t.readAll(k);
    for (const rx of this.tcp) if (rx && !rx.owned) rx.read();
  }

  private snapshotInterval(t: number): void {
    const c = this.k.counters;
    const recycled = c['page_pool.recycle.cached'] + c['page_pool.recycle.ring'];
    const released = c['page_pool.release_cnt'];
    let inflight = 0;
    for (const p of this.k.pools) if (p) inflight += p.inflight;
    const L = this.lastIv;
    this.cfg.flows.forEach((f, i) => {
      const sock = this.udp[i]?.[0];
      const rx = this.tcp[i];
      const bytes = sock ? sock.stats.bytes : (rx?.bytesRead ?? 0);
      const dgrams = sock ? sock.stats.datagrams : 0;
      const lost = sock ? sock.stats.lost : 0;
      const seq = sock ? sock.stats.maxSeq + 1 : 0;
      this.intervals.push({
        flow: f.label,
        startNs: L.t,
        endNs: t,
        bytes: bytes - (L.bytes[i] ?? 0),
        datagrams: dgrams - (L.datagrams[i] ?? 0),
        lost: lost - (L.lost[i] ?? 0),
        total: seq - (L.seq[i] ?? 0),
        udp: f.kind === 'udp',
      });
      L.bytes[i] = bytes;
      L.datagrams[i] = dgrams;
      L.lost[i] = lost;
      L.seq[i] = seq;
    });
    this.poolIntervals.push({ startNs: L.t, endNs: t, recycled: recycled - L.recycled, released: released - L.released, inflight });
    this.samplePool(L.t, t, released);
    L.t = t;
    L.recycled = recycled;
    L.released = released;
  }

  /** One pool sample at an interval boundary: gauges now, counter deltas since the last one. */
  private samplePool(startNs: number, endNs: number, released: number): void {
    const c = this.k.counters;
    let cache = 0;
    let ring = 0;
    let hold = 0;
    let release = 0;
    for (const p of this.k.pools) {
      if (!p) continue;
      cache += p.cacheCount;
      ring += p.ring.count;
      hold += p.hold;
      release += p.release;
    }
    const inflight = hold - release;
    const rxRing = this.nic.pool ? this.nic.ringPages : 0;
    const recycled = c['page_pool.recycle.cached'] + c['page_pool.recycle.ring'];
    const S = this.lastSample;
    const flows = this.cfg.flows.map((f, i) => ({ flow: f.label, bytes: this.intervals[this.intervals.length - this.cfg.flows.length + i]!.bytes }));
    this.samples.push({
      start_ns: startNs,
      end_ns: endNs,
      pool_cache: cache,
      pool_ring: ring,
      rx_ring: rxRing,
      in_stack: Math.max(0, inflight - rxRing - cache - ring),
      inflight,
      hold_cnt: hold,
      release_cnt: release,
      recycled: recycled - S.recycled,
      released: released - S.released,
      alloc_slow: c['page_pool.alloc.slow'] - S.slow,
      dma_map: c['dma.map'] - S.map,
      dma_unmap: c['dma.unmap'] - S.unmap,
      dma_sync_for_cpu: c['dma.sync_for_cpu'] - S.cpu,
      dma_sync_for_device: c['dma.sync_for_device'] - S.dev,
      drops: c['rx.drops'] - S.drops,
      flows,
    });
    S.recycled = recycled;
    S.released = released;
    S.slow = c['page_pool.alloc.slow'];
    S.map = c['dma.map'];
    S.unmap = c['dma.unmap'];
    S.cpu = c['dma.sync_for_cpu'];
    S.dev = c['dma.sync_for_device'];
    S.drops = c['rx.drops'];
  }

  /** High-water marks of everything the run allocates; they must not grow with simulated time. */
  footprint(): Record<string, number> {
    const k = this.k;
    return {
      eventQueue: this.q.capacity,
      dmaTable: k.dma.tableSize,
      slabTable: k.slab.tableSize,
      skbCache: k.skbCache.length,
      shCache: k.shCache.length,
      liveSkbs: k.skbs.count,
      buddyFree: k.buddy.freePages,
    };
  }

  /** Runs the traffic, then the end of a test run: queues drain, sockets close. */
  run(): EngineResult {
    const k = this.k;
    k.resetPath();
    this.nic.ifup();
    const D = this.cfg.durationNs;
    if (this.cfg.host.reader === 'slow') this.q.push(this.rng.below(SLOW_READ_NS), EV_READ_SLOW, 0);
    const iv = Math.max(this.cfg.intervalNs ?? INTERVAL_NS, Math.ceil(D / MAX_SAMPLES));
    for (let n = 1; n * iv < D; n++) this.q.push(n * iv, EV_INTERVAL, 0);
    // Joining a group sends a report at once and one more (robustness 2) at a random time within 1 s.
    this.cfg.flows.forEach((f, i) => {
      if (f.kind !== 'udp' || !f.multicast || (this.udp[i]?.length ?? 0) === 0) return;
      this.stack.igmpReport();
      this.q.push(this.rng.below(IGMP_REPORT_NS), EV_IGMP, i);
    });
    (this.cfg.events ?? []).forEach((e, i) => {
      this.q.push(e.atNs, EV_DEVICE, i);
    });
    this.scheduleWire();
    const ev = this.ev;
    const q = this.q;
    const onProgress = this.cfg.onProgress;
    let nextProgress = onProgress ? PROGRESS_NS : Infinity;
    for (;;) {
      if (this.now_ >= nextProgress) {
        nextProgress = this.now_ + PROGRESS_NS;
        onProgress?.(Math.min(this.now_, D), D);
      }
      const qt = q.peekTime();
      const wireFirst = this.wireT < qt || (this.wireT === qt && this.wireT !== Infinity && this.wireSeq < q.peekSeq());
      if (wireFirst ? this.ackBefore(this.wireT, this.wireSeq) : this.ackBefore(qt, q.peekSeq())) {
        this.ackArrived();
      } else if (wireFirst) {
        this.arrivals(nextProgress);
      } else {
        if (!q.pop(ev)) break;
        this.now_ = ev.t;
        this.handle(ev);
      }
    }
    this.drain();
    return { frames: this.frames, bytes: this.bytes, intervals: this.intervals, holders: this.views, randomChoices: this.rng.draws, poolIntervals: this.poolIntervals, samples: this.samples };
  }

  /** One event from the heap. */
  private handle(ev: { t: number; kind: number; arg: number }): void {
    const k = this.k;
    switch (ev.kind) {
      case EV_IRQ:
        if (ev.arg === this.irqGen && this.irqCount > 0) this.napi();
        break;
      case EV_READ_SLOW:
        k.now = ev.t;
        this.readAll();
        if (!this.quiet()) this.q.push(ev.t + SLOW_READ_NS, EV_READ_SLOW, 0);
        break;
      case EV_DELACK: {
        const f = ev.arg;
        this.delackQueued[f] = Infinity;
        const at = this.delackAt[f]!;
        if (at > ev.t && at !== Infinity) {
          this.delackQueued[f] = at;
          this.q.push(at, EV_DELACK, f);
        } else if (at === ev.t) {
          k.now = ev.t;
          k.resetPath();
          this.tcp[f]?.delackFired();
        }
        break;
      }
      case EV_OWN_END:
        k.now = ev.t;
        k.resetPath();
        this.tcp[ev.arg]?.releaseSock();
        break;
      case EV_IGMP:
        k.now = ev.t;
        k.resetPath();
        this.stack.igmpReport();
        break;
      case EV_INTERVAL:
        k.now = ev.t;
        checkInvariants(k);
        this.snapshotInterval(ev.t);
        if (this.cfg.holders) this.views.push(holdersView(k, `${(ev.t / 1e9).toFixed(1)} s`, ETH0_IFINDEX));
        break;
      case EV_DEVICE: {
        k.now = ev.t;
        k.resetPath();
        const what = this.cfg.events![ev.arg]!.do;
        if (what === 'link_down') this.nic.linkDown();
        else if (what === 'pool_destroy') this.nic.ifdown();
        else this.nic.unbind();
        this.queueRetries();
        break;
      }
      case EV_POOL_RETRY: {
        const pool = k.pools[ev.arg]!;
        this.retryQueued[ev.arg] = false;
        k.now = ev.t;
        k.resetPath();
        pool.releaseRetry();
        this.queueRetries();
        break;
      }
    }
  }

  /** The deferred release work of destroyed pools runs on its own schedule, within the run. */
  private queueRetries(): void {
    for (const p of this.k.pools) {
      if (!p || this.retryQueued[p.id] || p.nextRetryNs > this.cfg.durationNs) continue;
      this.retryQueued[p.id] = true;
      this.q.push(p.nextRetryNs, EV_POOL_RETRY, p.id);
    }
  }

  /** True when the next ACK reaches its sender before the event at (t, seq). */
  private ackBefore(t: number, seq: number): boolean {
    return this.ackFlow >= 0 && (this.ackT < t || (this.ackT === t && this.ackSeq < seq));
  }

  /** Finds the earliest ACK in flight over all flows (each flow's queue is in time order). */
  private nextAck(): void {
    this.ackFlow = -1;
    this.ackT = Infinity;
    for (let f = 0; f < this.acks.length; f++) {
      const a = this.acks[f];
      if (!a || a.n === 0) continue;
      const at = a.t;
      if (this.ackFlow < 0 || at < this.ackT || (at === this.ackT && a.seq < this.ackSeq)) {
        this.ackFlow = f;
        this.ackT = at;
        this.ackSeq = a.seq;
      }
    }
  }

  /** The board's ACK reaches the sender (one RTT after it left): the window may reopen. */
  private ackArrived(): void {
    const f = this.ackFlow;
    const a = this.acks[f]!;
    this.now_ = a.t;
    a.shift();
    this.nextAck();
    this.byFlow[f]?.onAck(a.ack, a.wnd);
    this.scheduleWire();
  }

  /** The earliest ACK in flight: its flow (-1: none), arrival time and event sequence. */
  private ackFlow = -1;
  private ackT = Infinity;
  private ackSeq = 0;

  /** Nothing left to arrive or to read: the slow reader's timer stops. */
  private quiet(): boolean {
    if (!this.stopped && this.sources.some((s) => s.readyAt(this.now_) < Infinity)) return false;
    if (this.wireBusy || this.nic.pendingDescriptors > 0 || this.irqCount > 0) return false;
    for (const socks of this.udp) if (socks?.some((s) => s.queue.len > 0)) return false;
    for (const t of this.stack.taps) if (t.queue.len > 0) return false;
    for (const rx of this.tcp) if (rx && !rx.idle) return false;
    for (const a of this.acks) if (a && a.n > 0) return false;
    return this.q.size === 0 || this.q.peekTime() > this.cfg.durationNs;
  }

  /** End of run: the last poll, readers read what is queued (stalled ones don't), sockets close. */
  private drain(): void {
    const k = this.k;
    this.now_ = Math.max(this.now_, this.cfg.durationNs);
    k.now = this.now_;
    if (this.irqCount > 0 || this.nic.pendingDescriptors > 0) this.napi();
    // The end of the traffic, before the applications read what is left and close.
    if (this.cfg.holders) this.views.push(holdersView(k, `end of traffic (${String(Number((this.cfg.durationNs / 1e9).toFixed(3)))} s)`, ETH0_IFINDEX));
    if (this.cfg.host.reader !== 'stalled') this.readAll();
    for (const rx of this.tcp) if (rx?.owned) rx.releaseSock();
    if (this.cfg.host.reader !== 'stalled') this.readAll();
    k.resetPath();
    for (const socks of this.udp) if (socks) for (const s of socks) s.purge(k);
    for (const t of this.stack.taps) t.purge(k);
    for (const rx of this.tcp) rx?.close();
    this.nic.txDone();
    this.stack.redirect.txDone();
    checkInvariants(k);
    this.snapshotInterval(this.cfg.durationNs);
  }
}
