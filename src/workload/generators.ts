import type { FrameOut, Source } from '../sim/engine.js';
import { WIDE_ZERO } from '../kernel/typed.js';

/** Ethernet + IPv4 + UDP, and Ethernet + IPv4 + TCP with timestamps. */
export const UDP_OVERHEAD = 14 + 20 + 8;
export const TCP_OVERHEAD = 14 + 20 + 32;

/**
 * iperf 2 UDP client: datagrams of `len` bytes paced at len * 8 / rate (its IPG target), so an
 * offered rate above the wire's sends back to back. Sequence ids count from 0.
 */
export class IperfUdpSource implements Source {
  private next = WIDE_ZERO;
  private id = 0;
  private readonly ipgNs: number;

  constructor(
    readonly flow: number,
    readonly label: string,
    private readonly len: number,
    rateBps: number,
  ) {
    this.ipgNs = (len * 8 * 1e9) / rateBps;
  }

  readyAt(now: number): number {
    return Math.max(now, this.next);
  }

  emit(t: number, out: FrameOut): void {
    out.len = this.len + UDP_OVERHEAD;
    out.seq = this.id++;
    out.payload = this.len;
    this.next += this.ipgNs;
  }

  onAck(): void {
    // UDP has no ACKs.
  }
}

/**
 * A bulk TCP sender on a LAN (iperf -c, scp): full-MSS segments whenever the receiver's window
 * allows, optionally paced to `rate`.
 */
export class TcpSource implements Source {
  private sndNxt = WIDE_ZERO;
  private sndUna = WIDE_ZERO;
  private rwnd: number;
  private next = WIDE_ZERO;
  private readonly gapNs: number;

  constructor(
    readonly flow: number,
    readonly label: string,
    private readonly mss: number,
    window: number,
    rateBps: number,
  ) {
    this.rwnd = window;
    this.gapNs = Number.isFinite(rateBps) ? (mss * 8 * 1e9) / rateBps : 0;
  }

  readyAt(now: number): number {
    if (this.sndNxt + this.mss - this.sndUna > this.rwnd) return Infinity;
    return Math.max(now, this.next);
  }

  emit(t: number, out: FrameOut): void {
    out.len = this.mss + TCP_OVERHEAD;
    out.seq = this.sndNxt;
    out.payload = this.mss;
    this.sndNxt += this.mss;
    this.next = t + this.gapNs;
  }

  onAck(ack: number, window: number): void {
    if (ack > this.sndUna) this.sndUna = ack;
    this.rwnd = window;
  }
}
