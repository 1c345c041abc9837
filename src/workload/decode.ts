// Ethernet / VLAN / IPv4 / UDP / TCP / IGMP / ICMP header decoding for captured frames.
// Never throws: when the captured bytes end inside a header, `truncated` is set and the
// fields decoded so far are returned. Sizes come from the length fields, not from the
// captured byte count, so snaplen-cut frames still report their real sizes.

export { ipv4ToU32 } from '../report/frames.js';

export interface VlanTag {
  tpid: number;
  pcp: number;
  dei: boolean;
  vid: number;
}

export interface Ipv4Info {
  /** IHL in bytes (20..60). */
  headerLen: number;
  /** Total length: the header field, or (BIG TCP / TSO, field 0) the length up to the wire end. */
  totalLen: number;
  /** The header's total-length field was 0 and the length was taken from the frame. */
  bigTcp: boolean;
  tos: number;
  id: number;
  ttl: number;
  protocol: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** Fragment offset in bytes. */
  fragOffset: number;
  checksum: number;
  src: string;
  dst: string;
  srcU32: number;
  dstU32: number;
}

export interface UdpInfo {
  srcPort: number;
  dstPort: number;
  /** UDP length field (header + payload). */
  length: number;
  payloadLen: number;
  checksum: number;
}

export interface TcpInfo {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** 9 flag bits: NS(0x100) CWR ECE URG ACK PSH RST SYN FIN(0x01). */
  flags: number;
  headerLen: number;
  window: number;
  checksum: number;
  /** Option bytes as captured (may be cut short). */
  options: Uint8Array;
  payloadLen: number;
}

export interface IgmpGroupRecord {
  type: number;
  group: string;
  groupU32: number;
  sources: number;
}

export interface IgmpInfo {
  type: number;
  maxResp: number;
  /** Group address field (0.0.0.0 for general queries and v3 reports). */
  group: string;
  groupU32: number;
  /** 1, 2 or 3 (as tcpdump infers it from type and length). */
  version: 1 | 2 | 3;
  /** IGMPv3 report (type 0x22) group records that were captured. */
  records: IgmpGroupRecord[];
}

export interface IcmpInfo {
  type: number;
  code: number;
}

interface FrameBase {
  /** Captured bytes ended inside a header this decoder wanted to read. */
  truncated: boolean;
  wireLen: number;
  capLen: number;
  dstMac: string;
  srcMac: string;
  vlans: VlanTag[];
  /** Ethertype after the VLAN tags (0 when not captured). */
  ethertype: number;
  /** Offset of the layer-3 header in the frame. */
  l3Offset: number;
}

export type DecodedFrame =
  | (FrameBase & { kind: 'udp'; ip: Ipv4Info; udp: UdpInfo })
  | (FrameBase & { kind: 'tcp'; ip: Ipv4Info; tcp: TcpInfo })
  | (FrameBase & { kind: 'igmp'; ip: Ipv4Info; igmp: IgmpInfo })
  | (FrameBase & { kind: 'icmp'; ip: Ipv4Info; icmp: IcmpInfo })
  /** Non-IPv4, IPv4 with another protocol, a non-first fragment, or a cut-short L4 header. */
  | (FrameBase & { kind: 'other'; ip: Ipv4Info | undefined });

export const ETH_P_IP = 0x0800;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;

export function u32ToIpv4(a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}


export function isMulticastIPv4(addr: number): boolean {
  return (addr >>> 28) === 0xe;
}

export function macToString(b: Uint8Array, off = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push((b[off + i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(':');
}

export function decodeFrame(data: Uint8Array, wireLen: number): DecodedFrame {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const cap = data.byteLength;
  const base: FrameBase = {
    truncated: false,
    wireLen,
    capLen: cap,
    dstMac: '',
    srcMac: '',
    vlans: [],
    ethertype: 0,
    l3Offset: 0,
  };
  const other = (ip: Ipv4Info | undefined, truncated: boolean): DecodedFrame => ({
    ...base,
    truncated,
    kind: 'other',
    ip,
  });

  if (cap < 14) {
    if (cap >= 6) base.dstMac = macToString(data, 0);
    if (cap >= 12) base.srcMac = macToString(data, 6);
    return other(undefined, true);
  }
  base.dstMac = macToString(data, 0);
  base.srcMac = macToString(data, 6);
  let off = 12;
  let et = dv.getUint16(off);
  off += 2;
  while ((et === ETH_P_8021Q || et === ETH_P_8021AD) && base.vlans.length < 2) {
    if (cap < off + 4) {
      base.l3Offset = off;
      return other(undefined, true);
    }
    const tci = dv.getUint16(off);
    base.vlans.push({ tpid: et, pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0xfff });
    et = dv.getUint16(off + 2);
    off += 4;
  }
  base.ethertype = et;
  base.l3Offset = off;
  if (et !== ETH_P_IP) return other(undefined, false);

  // IPv4
  if (cap < off + 20) return other(undefined, true);
  const vihl = dv.getUint8(off);
  if (vihl >>> 4 !== 4 || (vihl & 15) < 5) return other(undefined, false);
  const hl = (vihl & 15) * 4;
  const field = dv.getUint16(off + 2);
  const frag = dv.getUint16(off + 6);
  const fromWire = Math.max(0, wireLen - off);
  const bigTcp = field === 0 && fromWire > 0xffff;
  const src = dv.getUint32(off + 12);
  const dst = dv.getUint32(off + 16);
  const ip: Ipv4Info = {
    headerLen: hl,
    totalLen: bigTcp ? fromWire : field,
    bigTcp,
    tos: dv.getUint8(off + 1),
    id: dv.getUint16(off + 4),
    ttl: dv.getUint8(off + 8),
    protocol: dv.getUint8(off + 9),
    dontFragment: (frag & 0x4000) !== 0,
    moreFragments: (frag & 0x2000) !== 0,
    fragOffset: (frag & 0x1fff) * 8,
    checksum: dv.getUint16(off + 10),
    src: u32ToIpv4(src),
    dst: u32ToIpv4(dst),
    srcU32: src,
    dstU32: dst,
  };
  const ipTrunc = cap < off + hl;
  if (ip.fragOffset !== 0) return other(ip, ipTrunc);
  const l4 = off + hl;
  const l4Len = Math.max(0, ip.totalLen - hl);

  switch (ip.protocol) {
    case 17: {
      if (cap < l4 + 8) return other(ip, true);
      const length = dv.getUint16(l4 + 4);
      return {
        ...base,
        truncated: false,
        kind: 'udp',
        ip,
        udp: {
          srcPort: dv.getUint16(l4),
          dstPort: dv.getUint16(l4 + 2),
          length,
          payloadLen: Math.max(0, length - 8),
          checksum: dv.getUint16(l4 + 6),
        },
      };
    }
    case 6: {
      if (cap < l4 + 20) return other(ip, true);
      const b12 = dv.getUint8(l4 + 12);
      const thl = (b12 >>> 4) * 4;
      const optEnd = Math.min(cap, l4 + Math.max(20, thl));
      return {
        ...base,
        truncated: cap < l4 + thl,
        kind: 'tcp',
        ip,
        tcp: {
          srcPort: dv.getUint16(l4),
          dstPort: dv.getUint16(l4 + 2),
          seq: dv.getUint32(l4 + 4),
          ack: dv.getUint32(l4 + 8),
          flags: ((b12 & 1) << 8) | dv.getUint8(l4 + 13),
          headerLen: thl,
          window: dv.getUint16(l4 + 14),
          checksum: dv.getUint16(l4 + 16),
          options: data.slice(l4 + 20, optEnd),
          payloadLen: Math.max(0, l4Len - Math.max(20, thl)),
        },
      };
    }
    case 2: {
      if (cap < l4 + 8) return other(ip, true);
      const type = dv.getUint8(l4);
      const g = dv.getUint32(l4 + 4);
      const records: IgmpGroupRecord[] = [];
      let truncated = false;
      let version: 1 | 2 | 3 = 2;
      if (type === 0x22) {
        version = 3;
        const n = dv.getUint16(l4 + 6);
        let p = l4 + 8;
        for (let i = 0; i < n; i++) {
          if (cap < p + 8) {
            truncated = true;
            break;
          }
          const aux = dv.getUint8(p + 1);
          const nsrc = dv.getUint16(p + 2);
          const ga = dv.getUint32(p + 4);
          records.push({ type: dv.getUint8(p), group: u32ToIpv4(ga), groupU32: ga, sources: nsrc });
          p += 8 + nsrc * 4 + aux * 4;
        }
      } else if (type === 0x11) {
        version = l4Len >= 12 ? 3 : dv.getUint8(l4 + 1) === 0 ? 1 : 2;
      } else if (type === 0x12) {
        version = 1;
      }
      return {
        ...base,
        truncated,
        kind: 'igmp',
        ip,
        igmp: {
          type,
          maxResp: dv.getUint8(l4 + 1),
          group: type === 0x22 ? '0.0.0.0' : u32ToIpv4(g),
          groupU32: type === 0x22 ? 0 : g,
          version,
          records,
        },
      };
    }
    case 1: {
      if (cap < l4 + 2) return other(ip, true);
      return { ...base, truncated: false, kind: 'icmp', ip, icmp: { type: dv.getUint8(l4), code: dv.getUint8(l4 + 1) } };
    }
    default:
      return other(ip, ipTrunc);
  }
}
