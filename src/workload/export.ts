// --pcap-out: the frames the simulated NIC received, as pcapng. Generated flows are synthesized
// (Ethernet/IPv4/UDP|TCP with valid checksums, iperf 2 headers); replayed frames are the capture's
// own bytes. Every packet carries a comment with pp-sim's frame number.
import { buildTcpFrame, buildUdpFrame, iperf2UdpPayload, multicastMac, parseMac, refreshL4Checksum, TCP_ACK, TCP_PSH } from '../report/frames.js';
import type { PcapngFile } from '../report/pcapng-file.js';
import type { FrameHook, FrameOut, Source } from '../sim/engine.js';
import { ReplaySource } from './replay.js';

/** A generated flow as it appears on the wire. */
export interface WireFlow {
  kind: 'udp' | 'tcp';
  dst: string;
  port: number;
  srcPort: number;
  multicast: boolean;
  label: string;
}

/** Locally administered MACs for the PC and the board. */
const PC_MAC = parseMac('02:00:00:00:00:01');
const BOARD_MAC = parseMac('02:00:00:00:00:02');
/** iperf -T 32 in the test notes' multicast runs; Linux's default TTL otherwise. */
const TTL_MCAST = 32;
const TTL = 64;
const TCP_WINDOW_FIELD = 2048;

interface Last {
  src: Source | undefined;
  t: number;
}

/** Delegates to a source and remembers that it emitted the frame now on the wire, and when. */
class Tracked implements Source {
  constructor(
    private readonly inner: Source,
    private readonly last: Last,
  ) {}
  get flow(): number {
    return this.inner.flow;
  }
  get label(): string {
    return this.inner.label;
  }
  readyAt(now: number): number {
    return this.inner.readyAt(now);
  }
  emit(t: number, out: FrameOut): void {
    this.inner.emit(t, out);
    this.last.src = this.inner;
    this.last.t = t;
  }
  onAck(ack: number, window: number): void {
    this.inner.onAck(ack, window);
  }
}

/** The PC's address: one no generated flow sends to. */
function pcAddress(flows: readonly (WireFlow | undefined)[]): string {
  const used = new Set(flows.map((f) => f?.dst));
  for (let i = 2; i < 255; i++) if (!used.has(`192.168.200.${i}`)) return `192.168.200.${i}`;
  return '192.168.201.2';
}

function synthesize(w: WireFlow, dstMac: Uint8Array, f: Readonly<FrameOut>, startNs: number, srcIp: string): Uint8Array {
  const base = {
    srcMac: PC_MAC,
    dstMac,
    srcIp,
    dstIp: w.dst,
    ttl: w.multicast ? TTL_MCAST : TTL,
    srcPort: w.srcPort,
    dstPort: w.port,
    ipId: f.seq & 0xffff,
  };
  if (w.kind === 'udp') return buildUdpFrame({ ...base, payload: iperf2UdpPayload(f.payload, f.seq, BigInt(Math.round(startNs))) });
  const ms = Math.floor(startNs / 1e6) + 1;
  return buildTcpFrame({
    ...base,
    // Sequence numbers as if the ISN were 0 and the SYN consumed one.
    seq: (f.seq + 1) >>> 0,
    ack: 1,
    flags: TCP_ACK | TCP_PSH,
    window: TCP_WINDOW_FIELD,
    tsval: ms,
    tsecr: 1,
    payload: new Uint8Array(f.payload),
  });
}

/** Wraps the sources and returns the engine hook that writes every frame to `file`. */
export function exportFrames(sources: Source[], wire: readonly (WireFlow | undefined)[], file: PcapngFile): { sources: Source[]; onFrame: FrameHook } {
  const last: Last = { src: undefined, t: 0 };
  const srcIp = pcAddress(wire);
  const dstMacs = wire.map((w) => (w?.multicast ? parseMac(multicastMac(w.dst)) : BOARD_MAC));
  const onFrame: FrameHook = (tNs, frameNo, f, flow) => {
    const ts = BigInt(Math.max(0, Math.round(tNs)));
    const src = last.src;
    if (src instanceof ReplaySource) {
      const fr = src.current;
      if (!fr) return;
      let data = fr.data;
      if (data.length < fr.len) {
        data = new Uint8Array(fr.len);
        data.set(fr.data);
        if (fr.truncated) refreshL4Checksum(data, fr.l3Offset);
      }
      const what = fr.flow >= 0 ? fr.label : `none (${fr.label})`;
      file.writePacket(ts, data, data.length, `pp-sim frame ${frameNo} flow ${what} capture frame ${fr.record + 1}`);
      return;
    }
    const w = wire[flow];
    let data: Uint8Array;
    if (w) {
      data = synthesize(w, dstMacs[flow] ?? BOARD_MAC, f, last.t, srcIp);
      if (data.length !== f.len) {
        const d = new Uint8Array(f.len);
        d.set(data.subarray(0, f.len));
        data = d;
      }
    } else {
      data = new Uint8Array(f.len);
    }
    file.writePacket(ts, data, data.length, `pp-sim frame ${frameNo} flow ${w?.label ?? 'none'}`);
  };
  return { sources: sources.map((s) => new Tracked(s, last)), onFrame };
}
