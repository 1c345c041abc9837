// Synthesis of Ethernet/IPv4/UDP|TCP frames (no FCS) with valid checksums, for pcapng export.

/** "aa:bb:cc:dd:ee:ff" (or '-' separated) or 6 raw bytes. */
export type Mac = string | Uint8Array;

interface FrameBase {
  srcMac: Mac;
  dstMac: Mac;
  srcIp: string;
  dstIp: string;
  ttl: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  ipId: number;
  /** IPv4 don't-fragment bit; default true (Linux sets DF with PMTU discovery). */
  df?: boolean;
}

export type UdpFrameOpts = FrameBase;

export interface TcpFrameOpts extends FrameBase {
  seq: number;
  ack: number;
  /** TCP flag bits, e.g. TCP_ACK | TCP_PSH. */
  flags: number;
  window: number;
  /** With both set, a NOP,NOP,TS option is added (32-byte TCP header). */
  tsval?: number;
  tsecr?: number;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

const ETH_HLEN = 14;
const IP_HLEN = 20;

export function parseMac(m: Mac): Uint8Array {
  if (typeof m !== 'string') {
    if (m.length !== 6) throw new RangeError(`MAC address must be 6 bytes, got ${m.length}`);
    return m;
  }
  const parts = m.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new RangeError(`not a MAC address: ${m}`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** 01:00:5e followed by the low 23 bits of the group address. */
export function multicastMac(ip: string): string {
  const a = ipv4ToU32(ip);
  const b = [0x01, 0x00, 0x5e, (a >>> 16) & 0x7f, (a >>> 8) & 0xff, a & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Ones'-complement sum of bytes [from, to), folded to 16 bits, plus `init`. */
function sum16(b: Uint8Array, from: number, to: number, init: number): number {
  let s = init;
  let i = from;
  for (; i + 1 < to; i += 2) s += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  if (i < to) s += (b[i] ?? 0) << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function pseudoSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

/** Ethernet + IPv4 header into a new frame of l4Len bytes after the IP header. */
function ipFrame(o: FrameBase, proto: number, l4Len: number): { frame: Uint8Array; dv: DataView; src: number; dst: number } {
  const totalLen = IP_HLEN + l4Len;
  if (totalLen > 0xffff) throw new RangeError(`IPv4 packet of ${totalLen} bytes exceeds 65535`);
  const frame = new Uint8Array(ETH_HLEN + totalLen);
  const dv = new DataView(frame.buffer);
  frame.set(parseMac(o.dstMac), 0);
  frame.set(parseMac(o.srcMac), 6);
  dv.setUint16(12, 0x0800);
  const src = ipv4ToU32(o.srcIp);
  const dst = ipv4ToU32(o.dstIp);
  const ip = ETH_HLEN;
  dv.setUint8(ip, 0x45);
  dv.setUint16(ip + 2, totalLen);
  dv.setUint16(ip + 4, o.ipId & 0xffff);
  dv.setUint16(ip + 6, (o.df ?? true) ? 0x4000 : 0);
  dv.setUint8(ip + 8, o.ttl & 0xff);
  dv.setUint8(ip + 9, proto);
  dv.setUint32(ip + 12, src);
  dv.setUint32(ip + 16, dst);
  dv.setUint16(ip + 10, ~sum16(frame, ip, ip + IP_HLEN, 0) & 0xffff);
  return { frame, dv, src, dst };
}

export function buildUdpFrame(o: UdpFrameOpts): Uint8Array {
  const udpLen = 8 + o.payload.length;
  const { frame, dv, src, dst } = ipFrame(o, 17, udpLen);
  const u = ETH_HLEN + IP_HLEN;
  dv.setUint16(u, o.srcPort);
  dv.setUint16(u + 2, o.dstPort);
  dv.setUint16(u + 4, udpLen);
  frame.set(o.payload, u + 8);
  const c = ~sum16(frame, u, u + udpLen, pseudoSum(src, dst, 17, udpLen)) & 0xffff;
  dv.setUint16(u + 6, c === 0 ? 0xffff : c);
  return frame;
}

export function buildTcpFrame(o: TcpFrameOpts): Uint8Array {
  const withTs = o.tsval !== undefined && o.tsecr !== undefined;
  const thl = withTs ? 32 : 20;
  const tcpLen = thl + o.payload.length;
  const { frame, dv, src, dst } = ipFrame(o, 6, tcpLen);
  const t = ETH_HLEN + IP_HLEN;
  dv.setUint16(t, o.srcPort);
  dv.setUint16(t + 2, o.dstPort);
  dv.setUint32(t + 4, o.seq >>> 0);
  dv.setUint32(t + 8, o.ack >>> 0);
  dv.setUint8(t + 12, ((thl / 4) << 4) | ((o.flags >>> 8) & 1));
  dv.setUint8(t + 13, o.flags & 0xff);
  dv.setUint16(t + 14, o.window & 0xffff);
  if (withTs) {
    // NOP, NOP, kind 8 len 10 tsval tsecr
    dv.setUint32(t + 20, 0x0101080a);
    dv.setUint32(t + 24, (o.tsval ?? 0) >>> 0);
    dv.setUint32(t + 28, (o.tsecr ?? 0) >>> 0);
  }
  frame.set(o.payload, t + thl);
  dv.setUint16(t + 16, ~sum16(frame, t, t + tcpLen, pseudoSum(src, dst, 6, tcpLen)) & 0xffff);
  return frame;
}

/**
 * iperf 2 UDP datagram: int32 id (negative = final datagram), u32 tv_sec, u32 tv_usec,
 * all big-endian, then zeros up to len. A len under 12 keeps only the bytes that fit.
 */
export function iperf2UdpPayload(len: number, seq: number, tsNs: bigint): Uint8Array {
  const hdr = new Uint8Array(12);
  const dv = new DataView(hdr.buffer);
  dv.setInt32(0, seq | 0);
  const sec = tsNs / 1_000_000_000n;
  dv.setUint32(4, Number(BigInt.asUintN(32, sec)));
  dv.setUint32(8, Number((tsNs - sec * 1_000_000_000n) / 1000n));
  const out = new Uint8Array(len);
  out.set(hdr.subarray(0, Math.min(12, len)));
  return out;
}

/**
 * Recomputes the UDP/TCP checksum of an IPv4 frame whose payload was cut by the capture's snaplen
 * and padded back with zeros. Leaves frames alone whose headers are not all there.
 */
export function refreshL4Checksum(frame: Uint8Array, l3: number): void {
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < l3 + 20 || (frame[l3] ?? 0) >>> 4 !== 4) return;
  const ihl = ((frame[l3] ?? 0) & 15) * 4;
  const total = dv.getUint16(l3 + 2);
  const proto = frame[l3 + 9] ?? 0;
  const l4 = l3 + ihl;
  const l4Len = total - ihl;
  if ((dv.getUint16(l3 + 6) & 0x3fff) !== 0 || l4Len <= 0 || l4 + l4Len > frame.length) return;
  const ps = pseudoSum(dv.getUint32(l3 + 12), dv.getUint32(l3 + 16), proto, l4Len);
  if (proto === 17 && l4Len >= 8 && dv.getUint16(l4 + 6) !== 0) {
    dv.setUint16(l4 + 6, 0);
    const c = ~sum16(frame, l4, l4 + l4Len, ps) & 0xffff;
    dv.setUint16(l4 + 6, c === 0 ? 0xffff : c);
  } else if (proto === 6 && l4Len >= 20) {
    dv.setUint16(l4 + 16, 0);
    dv.setUint16(l4 + 16, ~sum16(frame, l4, l4 + l4Len, ps) & 0xffff);
  }
}

/** Parses a dotted quad; throws RangeError on anything else. */
export function ipv4ToU32(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) throw new RangeError(`not an IPv4 address: ${s}`);
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) throw new RangeError(`not an IPv4 address: ${s}`);
    v = v * 256 + o;
  }
  return v >>> 0;
}
