// Replay of pcap/pcapng captures through the board: which address is the board, which frames
// enter its NIC, which flows they form, and a Source that streams the capture into the engine.
// Three streaming passes over the file: survey (addresses), plan (flows, wire schedule), run.
import { ETH_FCS_LEN, EDSA_TAG_LEN } from '../driver/mvneta.js';
import { InputError, type SourceLoc } from '../kernel/errors.js';
import type { FlowSpec, FrameOut, Source } from '../sim/engine.js';
import { decodeFrame, ipv4ToU32, isMulticastIPv4, u32ToIpv4, type DecodedFrame } from './decode.js';
import { openCapture, type CaptureReader, type CaptureRecord } from './pcap.js';

/** The engine's wire (contract §6): preamble + SFD, inter-frame gap, 8 ns per byte at 1 Gbit/s. */
const PREAMBLE = 8;
const IFG = 12;
const NS_PER_BYTE = 8;
/** ETH_ZLEN: shorter frames (host-side captures of outgoing frames) are padded on the wire. */
const ETH_ZLEN = 60;
/** Contract §2: at most 1 h of simulated time. */
const MAX_NS = 3600e9;
const BCAST = 0xffffffff;
const TCP_SYN = 0x02;
/** iperf reads 128 KiB per recv(). */
const TCP_READ = 131072;
/** Board MACs remembered per address (learned from frames the board sent). */
const MAX_MACS = 8;

export interface ReplayConfig {
  /** Path of the capture (already resolved). */
  file: string;
  /** `ip` or `ip:port` (the port picks the board's side of frames it sent to itself). */
  to: string | undefined;
  timing: 'recorded' | 'line';
  /** The platform's wire carries the EDSA tag. */
  dsa: boolean;
  mtu: number;
  /** Index of this replay's first flow in the engine's flow list. */
  flowBase: number;
  /** How the user names the board: '--to' (command line) or 'to:' (a scenario's pcap flow). */
  toHint: '--to' | 'to:';
  /** Where `to` is given or belongs (the option, or the scenario's flow). */
  toLoc: SourceLoc;
}

export interface Board {
  /** The board's address (undefined: the capture has no IPv4; every frame enters the NIC). */
  ip: number | undefined;
  /** For frames the board sent to itself (loopback captures): the board's port. */
  port: number | undefined;
  /** Given with --to / to:, or picked from the capture. */
  picked: boolean;
  /** One line saying what was chosen and why. */
  why: string;
}

export interface ReplayCounts {
  records: number;
  /** Frames that enter the NIC (everything the board did not send). */
  toBoard: number;
  fromBoard: number;
  udp: number;
  tcp: number;
  /** Frames taking the drop path (IGMP, ICMP, ARP, other hosts' unicast, fragments). */
  other: number;
  /** Frames longer than the NIC accepts at this MTU. */
  oversize: number;
}

export interface ReplayPlan {
  file: string;
  board: Board;
  flows: FlowSpec[];
  counts: ReplayCounts;
  /** Simulated time until the last frame's last bit has arrived. */
  durationNs: number;
  source: ReplaySource;
}

/** A frame of the capture as it enters the NIC. */
export interface ReplayFrame {
  record: number;
  /** Captured bytes (may be shorter than len). */
  data: Uint8Array;
  /** Length on the wire to the board (the capture's wire length, at least ETH_ZLEN). */
  len: number;
  /** Engine flow index, -1 for the drop path. */
  flow: number;
  /** Flow label, or what the frame is (drop path). */
  label: string;
  seq: number;
  payload: number;
  l3Offset: number;
  truncated: boolean;
}

interface AddrStat {
  total: number;
  sent: number;
}

interface Survey {
  records: number;
  addrs: Map<number, AddrStat>;
  /** Per address: port stats of frames it sent to itself. */
  selfPorts: Map<number, Map<number, AddrStat>>;
  macs: Map<number, Set<string>>;
}

function readAll(file: string, fn: (rec: CaptureRecord, f: DecodedFrame) => void): void {
  const r = openCapture(file);
  try {
    for (let rec = r.next(); rec; rec = r.next()) fn(rec, decodeFrame(rec.data, rec.wireLen));
  } finally {
    r.close();
  }
}

function bump(m: Map<number, AddrStat>, key: number, sent: boolean): void {
  let s = m.get(key);
  if (!s) m.set(key, (s = { total: 0, sent: 0 }));
  s.total++;
  if (sent) s.sent++;
}

const ports = (f: DecodedFrame): { src: number; dst: number } | undefined =>
  f.kind === 'udp' ? { src: f.udp.srcPort, dst: f.udp.dstPort } : f.kind === 'tcp' ? { src: f.tcp.srcPort, dst: f.tcp.dstPort } : undefined;

/** Pass 1: who sends and receives how much. */
function survey(file: string): Survey {
  const s: Survey = { records: 0, addrs: new Map(), selfPorts: new Map(), macs: new Map() };
  readAll(file, (_rec, f) => {
    s.records++;
    const ip = f.ip;
    if (!ip) return;
    bump(s.addrs, ip.srcU32, true);
    if (ip.dstU32 !== ip.srcU32) {
      bump(s.addrs, ip.dstU32, false);
      let m = s.macs.get(ip.srcU32);
      if (!m) s.macs.set(ip.srcU32, (m = new Set<string>()));
      if (m.size < MAX_MACS) m.add(f.srcMac);
      return;
    }
    const p = ports(f);
    if (!p) return;
    let m = s.selfPorts.get(ip.srcU32);
    if (!m) s.selfPorts.set(ip.srcU32, (m = new Map<number, AddrStat>()));
    bump(m, p.src, true);
    if (p.dst !== p.src) bump(m, p.dst, false);
  });
  return s;
}

/**
 * Of the two busiest keys, the one that sent the fewest frames; undefined when that is ambiguous
 * (a tie for the second place that changes the answer, or equal sent counts).
 */
function quietestOfBusiest(m: Map<number, AddrStat>): { key: number; other: number | undefined } | undefined {
  const list = [...m.entries()].sort((a, b) => b[1].total - a[1].total || a[0] - b[0]);
  const [a, b, c] = list;
  if (!a) return undefined;
  if (!b) return { key: a[0], other: undefined };
  if (c && c[1].total === b[1].total) {
    // Several candidates for the second place: fine only if the busiest one wins against all.
    if (a[1].total === b[1].total) return undefined;
    const tier = list.filter((x) => x[1].total === b[1].total);
    return tier.every((x) => a[1].sent < x[1].sent) ? { key: a[0], other: undefined } : undefined;
  }
  if (a[1].sent === b[1].sent) return undefined;
  return a[1].sent < b[1].sent ? { key: a[0], other: b[0] } : { key: b[0], other: a[0] };
}

function parseTo(to: string, cfg: ReplayConfig): { ip: number; port: number | undefined } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(to.trim());
  const bad = (): never => {
    throw new InputError(`'${to}' is not an IPv4 address (or address:port) for the board`, cfg.toLoc);
  };
  if (!m) return bad();
  let ip = 0;
  try {
    ip = ipv4ToU32(m[1]!);
  } catch {
    bad();
  }
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) bad();
  return { ip, port };
}

/** Errors about the board point at the capture (command line) or at the scenario's flow. */
function boardError(cfg: ReplayConfig, msg: string): InputError {
  return cfg.toHint === '--to' ? new InputError(msg, { file: cfg.file }) : new InputError(`${msg} (capture ${cfg.file})`, cfg.toLoc);
}

/** The board: --to, or the address that sent the fewest frames among the two busiest. */
function chooseBoard(s: Survey, cfg: ReplayConfig): Board {
  const given = cfg.to === undefined ? undefined : parseTo(cfg.to, cfg);
  let ip: number;
  let why: string;
  if (given) {
    ip = given.ip;
    if (isMulticastIPv4(ip) || ip === BCAST) throw new InputError(`'${cfg.to ?? ''}' is a group or broadcast address; the board is a unicast host (leave out the address to replay every frame to a listener)`, cfg.toLoc);
    why = `board ${u32ToIpv4(ip)} (given by ${cfg.toHint === '--to' ? '--to' : "the flow's to:"})`;
    if (!s.addrs.has(ip)) why += `; it does not appear in the capture, so every frame enters the NIC`;
  } else {
    if (s.addrs.size === 0) return { ip: undefined, port: undefined, picked: true, why: 'no IPv4 frames in the capture: every frame enters the NIC' };
    // The board is a unicast host that received something: never a group or broadcast address, nor a pure sender.
    const hosts = new Map([...s.addrs].filter(([a, st]) => !isMulticastIPv4(a) && a !== BCAST && a !== 0 && (st.total > st.sent || s.selfPorts.has(a))));
    if (hosts.size === 0) {
      return { ip: undefined, port: undefined, picked: true, why: 'no unicast address in the capture receives frames (group or broadcast traffic only): the board is a listener and every frame enters the NIC; give --to to choose a board' };
    }
    const pick = quietestOfBusiest(hosts);
    if (!pick) {
      const top = [...hosts.entries()].sort((a, b) => b[1].total - a[1].total || a[0] - b[0]).slice(0, 3);
      const desc = top.map(([k, v]) => `${u32ToIpv4(k)} (${v.total} frame${v.total === 1 ? '' : 's'}, sent ${v.sent})`).join(', ');
      throw boardError(cfg, `cannot tell which address is the board: ${desc}; give ${cfg.toHint} <ip>`);
    }
    ip = pick.key;
    const st = hosts.get(ip)!;
    if (pick.other === undefined) {
      why = hosts.size === 1 ? `board ${u32ToIpv4(ip)} picked: the only unicast IPv4 address in the capture that receives frames` : `board ${u32ToIpv4(ip)} picked: the busiest unicast address, and it sent fewer frames than any runner-up`;
    } else {
      const o = hosts.get(pick.other)!;
      why = `board ${u32ToIpv4(ip)} picked: of the two busiest unicast addresses it sent fewer frames (${st.sent} of ${st.total}; ${u32ToIpv4(pick.other)} sent ${o.sent} of ${o.total})`;
    }
  }
  // Frames the board sent to itself (loopback): its side is a port.
  let port = given?.port;
  const self = s.selfPorts.get(ip);
  if (self && port === undefined) {
    const p = quietestOfBusiest(self);
    if (!p) {
      throw boardError(cfg, `${u32ToIpv4(ip)} sends frames to itself (loopback) and its side cannot be told from the ports; give ${cfg.toHint} ${u32ToIpv4(ip)}:<port>`);
    }
    port = p.key;
    why += `; port ${port} for the frames it sent to itself (the less talkative of the two busiest ports)`;
  } else if (port !== undefined) {
    why += `; port ${port} for frames it sent to itself`;
  }
  if (!given) why += `; give ${cfg.toHint} to choose another`;
  return { ip, port, picked: !given, why };
}

const isGroup = (f: DecodedFrame, dst: number): boolean => isMulticastIPv4(dst) || dst === BCAST || f.dstMac === 'ff:ff:ff:ff:ff:ff';

/** How the replay sees one frame: sent by the board (ignored), or entering the NIC with a flow key. */
type Verdict = { from: true } | { from: false; key: string | undefined; kind: 'udp' | 'tcp' | 'other'; what: string };

class Classifier {
  private readonly macs: Set<string>;

  constructor(
    private readonly board: Board,
    macs: Set<string> | undefined,
  ) {
    this.macs = macs ?? new Set();
  }

  classify(f: DecodedFrame): Verdict {
    const b = this.board.ip;
    const ip = f.ip;
    if (b !== undefined) {
      if (ip && ip.srcU32 === b) {
        if (ip.dstU32 !== b) return { from: true };
        const p = ports(f);
        if (p && this.board.port !== undefined && p.dst !== this.board.port) return { from: true };
      } else if (!ip && this.macs.has(f.srcMac)) {
        return { from: true };
      }
    }
    if (!ip) return { from: false, key: undefined, kind: 'other', what: f.ethertype === 0x0806 ? 'arp' : `ethertype 0x${f.ethertype.toString(16).padStart(4, '0')}` };
    const dst = ip.dstU32;
    const toBoard = b === undefined || dst === b;
    if (f.kind === 'udp' && (toBoard || isGroup(f, dst))) {
      return { from: false, key: `u ${dst} ${f.udp.dstPort}`, kind: 'udp', what: '' };
    }
    if (f.kind === 'tcp' && toBoard && !isGroup(f, dst)) {
      return { from: false, key: `t ${ip.srcU32} ${f.tcp.srcPort} ${dst} ${f.tcp.dstPort}`, kind: 'tcp', what: '' };
    }
    const what = f.kind === 'other' ? (ip.fragOffset > 0 ? 'ip fragment' : `ip proto ${ip.protocol}`) : f.kind;
    return { from: false, key: undefined, kind: 'other', what: toBoard || isGroup(f, dst) ? what : `${what} to ${ip.dst}` };
  }
}

/** Wire bytes of a frame to the board. */
const nicLen = (wireLen: number): number => Math.max(wireLen, ETH_ZLEN);

/** L4 payload bytes the frame really carries (length fields can claim more than the wire has). */
function payloadOf(f: DecodedFrame, len: number): number {
  if (f.kind === 'udp') return Math.max(0, Math.min(f.udp.payloadLen, len - f.l3Offset - f.ip.headerLen - 8));
  if (f.kind === 'tcp') return Math.max(0, Math.min(f.tcp.payloadLen, len - f.l3Offset - f.ip.headerLen - f.tcp.headerLen));
  return 0;
}

interface FlowInfo {
  index: number;
  label: string;
}

/** Maps a flow's 32-bit sequence numbers to a continuous count from its first segment. */
interface SeqTrack {
  last32: number;
  last: number;
}

/**
 * Streams the capture into the engine: every frame the board did not send, at its recorded time
 * (relative to the first one's) or back to back. Its `flow` is the flow of the frame last emitted.
 */
export class ReplaySource implements Source {
  readonly label: string;
  private reader: CaptureReader | undefined;
  private pending: ReplayFrame | undefined;
  private pendingAt = Infinity;
  private started = false;
  private done = false;
  private cur: ReplayFrame | undefined;
  private curFlow: number;
  private t0 = 0n;
  private firstDur = 0;
  private readonly seqs = new Map<number, SeqTrack>();
  private readonly udpSeq = new Map<number, number>();

  constructor(
    private readonly file: string,
    private readonly classifier: Classifier,
    private readonly flowOf: Map<string, FlowInfo>,
    private readonly timing: 'recorded' | 'line',
    private readonly tag: number,
  ) {
    this.label = `pcap ${file}`;
    this.curFlow = flowOf.values().next().value?.index ?? -1;
  }

  get flow(): number {
    return this.curFlow;
  }

  /** The frame most recently put on the wire. */
  get current(): ReplayFrame | undefined {
    return this.cur;
  }

  private dur(len: number): number {
    return (len + ETH_FCS_LEN + this.tag + PREAMBLE) * NS_PER_BYTE;
  }

  /** Reads ahead to the next frame to the board. */
  private advance(): void {
    this.pending = undefined;
    this.pendingAt = Infinity;
    if (this.done) return;
    if (!this.reader) this.reader = openCapture(this.file);
    for (let rec = this.reader.next(); rec; rec = this.reader.next()) {
      const f = decodeFrame(rec.data, rec.wireLen);
      const v = this.classifier.classify(f);
      if (v.from) continue;
      const len = nicLen(rec.wireLen);
      const info = v.key === undefined ? undefined : this.flowOf.get(v.key);
      const fr: ReplayFrame = {
        record: rec.index,
        data: rec.data,
        len,
        flow: info?.index ?? -1,
        label: info?.label ?? v.what,
        seq: 0,
        payload: payloadOf(f, len),
        l3Offset: f.l3Offset,
        truncated: rec.data.length < rec.wireLen,
      };
      if (info && f.kind === 'tcp') fr.seq = this.tcpSeq(info.index, (f.tcp.seq + (f.tcp.flags & TCP_SYN ? 1 : 0)) >>> 0);
      else if (info) {
        const n = this.udpSeq.get(info.index) ?? 0;
        this.udpSeq.set(info.index, n + 1);
        fr.seq = n;
      }
      if (!this.started) {
        this.started = true;
        this.t0 = rec.tsNs;
        this.firstDur = this.dur(len);
      }
      // A capture's timestamp is when the frame was received: its last bit.
      this.pendingAt = this.timing === 'line' ? 0 : Math.max(0, Number(rec.tsNs - this.t0) + this.firstDur - this.dur(len));
      this.pending = fr;
      return;
    }
    this.done = true;
    this.reader.close();
  }

  private tcpSeq(flow: number, seq32: number): number {
    const t = this.seqs.get(flow);
    if (!t) {
      this.seqs.set(flow, { last32: seq32, last: 0 });
      return 0;
    }
    t.last += (seq32 - t.last32) | 0;
    t.last32 = seq32;
    return t.last;
  }

  readyAt(now: number): number {
    if (!this.pending && !this.done) this.advance();
    if (!this.pending) return Infinity;
    return Math.max(now, this.pendingAt);
  }

  emit(_t: number, out: FrameOut): void {
    if (!this.pending && !this.done) this.advance();
    const fr = this.pending;
    if (!fr) throw new Error('replay: emit with no frame left');
    out.len = fr.len;
    out.seq = fr.seq;
    out.payload = fr.payload;
    this.cur = fr;
    this.curFlow = fr.flow;
    this.advance();
  }

  onAck(): void {
    // The capture already holds the sender's behaviour: the board's ACKs change nothing.
  }
}

/** Passes 1 and 2: the board, the flows, the counts and the time the replay needs. */
export function planReplay(cfg: ReplayConfig): ReplayPlan {
  const s = survey(cfg.file);
  if (s.records === 0) throw new InputError('the capture holds no packets', { file: cfg.file });
  const board = chooseBoard(s, cfg);
  const classifier = new Classifier(board, board.ip === undefined ? undefined : s.macs.get(board.ip));
  const flows: FlowSpec[] = [];
  const flowOf = new Map<string, FlowInfo>();
  const mss: number[] = [];
  const counts: ReplayCounts = { records: s.records, toBoard: 0, fromBoard: 0, udp: 0, tcp: 0, other: 0, oversize: 0 };
  const tag = cfg.dsa ? EDSA_TAG_LEN : 0;
  const dur = (len: number): number => (len + ETH_FCS_LEN + tag + PREAMBLE) * NS_PER_BYTE;
  let t0: bigint | undefined;
  let firstDur = 0;
  let wireFree = 0;
  let lastBit = 0;
  readAll(cfg.file, (rec, f) => {
    const v = classifier.classify(f);
    if (v.from) {
      counts.fromBoard++;
      return;
    }
    counts.toBoard++;
    const len = nicLen(rec.wireLen);
    if (len > cfg.mtu + 14) counts.oversize++;
    if (v.key !== undefined) {
      let info = flowOf.get(v.key);
      if (!info && f.ip) {
        const index = cfg.flowBase + flows.length;
        if (f.kind === 'udp') {
          info = { index, label: `udp ${f.ip.dst}:${f.udp.dstPort}` };
          flows.push({ kind: 'udp', multicast: isGroup(f, f.ip.dstU32), label: info.label });
        } else {
          const t = f.kind === 'tcp' ? f.tcp : { srcPort: 0, dstPort: 0 };
          info = { index, label: `tcp ${f.ip.src}:${t.srcPort} > ${f.ip.dst}:${t.dstPort}` };
          flows.push({ kind: 'tcp', mss: 0, readSize: TCP_READ, label: info.label });
        }
        flowOf.set(v.key, info);
      }
      if (info && f.kind === 'tcp') {
        const i = info.index - cfg.flowBase;
        mss[i] = Math.max(mss[i] ?? 0, payloadOf(f, len));
      }
    }
    if (v.kind === 'udp') counts.udp++;
    else if (v.kind === 'tcp') counts.tcp++;
    else counts.other++;
    // The wire schedule the engine will follow (this replay alone on the wire).
    if (t0 === undefined) {
      t0 = rec.tsNs;
      firstDur = dur(len);
    }
    const want = cfg.timing === 'line' ? 0 : Math.max(0, Number(rec.tsNs - t0) + firstDur - dur(len));
    const start = Math.max(want, wireFree);
    lastBit = start + dur(len);
    wireFree = lastBit + IFG * NS_PER_BYTE;
  });
  if (counts.toBoard === 0) {
    throw boardError(cfg, `none of the ${s.records} frames is to the board ${board.ip === undefined ? '' : u32ToIpv4(board.ip)} (it sent them all); give ${cfg.toHint} <ip> of a receiver`);
  }
  if (lastBit > MAX_NS) {
    throw new InputError(`replaying the capture takes ${(lastBit / 1e9).toFixed(1)} s of simulated time, more than 1 h; cut it (editcap) or use timing line`, { file: cfg.file });
  }
  // MSS: the largest payload a flow carries (or what the MTU allows when it carries none).
  flows.forEach((fl, i) => {
    if (fl.kind === 'tcp') fl.mss = mss[i] || cfg.mtu - 52;
  });
  const source = new ReplaySource(cfg.file, classifier, flowOf, cfg.timing, tag);
  return { file: cfg.file, board, flows, counts, durationNs: lastBit, source };
}
