import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/kernel/errors.js';
import { openCapture, type CaptureRecord } from '../../src/workload/pcap.js';
import { decodeFrame, isMulticastIPv4, ipv4ToU32, type DecodedFrame } from '../../src/workload/decode.js';
import { PcapngWriter } from '../../src/report/pcapng.js';
import { buildTcpFrame, buildUdpFrame, iperf2UdpPayload, multicastMac, TCP_ACK, TCP_PSH } from '../../src/report/frames.js';

const PCAPS = fileURLToPath(new URL('../fixtures/pcaps/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'pp-sim-pcap-'));
process.on('exit', () => {
  rmSync(tmp, { recursive: true, force: true });
});
let tmpN = 0;
function tmpFile(bytes: Uint8Array, ext = 'pcap'): string {
  const p = join(tmp, `f${tmpN++}.${ext}`);
  writeFileSync(p, bytes);
  return p;
}

function readAll(path: string): { format: string; recs: CaptureRecord[] } {
  const r = openCapture(path);
  const recs: CaptureRecord[] = [];
  for (let rec = r.next(); rec; rec = r.next()) recs.push(rec);
  r.close();
  return { format: r.format, recs };
}

function expectInputError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(e.loc?.file, 'loc.file is set');
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

/** Independent look at a classic pcap file header: [magic LE, link type]. */
function classicHeader(path: string): { magic: number; linkType: number; snaplen: number } {
  const b = readFileSync(path).subarray(0, 24);
  const dv = new DataView(b.buffer, b.byteOffset, 24);
  return { magic: dv.getUint32(0, true), linkType: dv.getUint32(20, true), snaplen: dv.getUint32(16, true) };
}

const decodeAll = (recs: CaptureRecord[]): DecodedFrame[] => recs.map((r) => decodeFrame(r.data, r.wireLen));

function ipOf(d: DecodedFrame): NonNullable<DecodedFrame['ip']> {
  assert.ok(d.ip, `frame has an IPv4 header (kind ${d.kind})`);
  return d.ip;
}

// ---------------------------------------------------------------------------------------------
// Public captures. Expected numbers were obtained once by hand with Wireshark 4.0.17 tools:
//   capinfos -T -c -u -a -e -s -l <file>     (format, counts, bytes, first/last time, snaplen)
//   tshark -r <file> -T fields -e frame.len -e ip.len -e tcp.len -e udp.length -e igmp.type ...
// ---------------------------------------------------------------------------------------------

interface CaptureFacts {
  file: string;
  count: number;
  capturedBytes: number; // capinfos "data size"
  snaplen: number;
  firstNs: bigint;
  lastNs: bigint;
}

const FACTS: CaptureFacts[] = [
  { file: 'linaro-test-definitions__iperf_tcp_5001.pcap', count: 100, capturedBytes: 79040, snaplen: 65535, firstNs: 1385446495760259000n, lastNs: 1385446495764982000n },
  { file: 'cppware__sample-jumbo_icmp_8042B.pcap', count: 20, capturedBytes: 160840, snaplen: 65535, firstNs: 1256672083181989000n, lastNs: 1256672092189481000n },
  { file: 'tcpdump__IGMP_V2.pcap', count: 18, capturedBytes: 1052, snaplen: 65535, firstNs: 1235470907698870000n, lastNs: 1235471040739398000n },
  { file: 'tcpdump__igmpv3-queries.pcap', count: 6, capturedBytes: 300, snaplen: 65535, firstNs: 1330182015623411000n, lastNs: 1330182198182026000n },
  { file: 'zeek__igmp_igmpv3_reports.pcap', count: 12, capturedBytes: 584, snaplen: 262144, firstNs: 1648653411621106000n, lastNs: 1648653614337279000n },
  { file: 'zeek__home-multicast-short.pcap', count: 6, capturedBytes: 518, snaplen: 65535, firstNs: 1776454991098718000n, lastNs: 1776455067171309000n },
  { file: 'tcpdump__gso-ipv4.pcap', count: 1, capturedBytes: 7306, snaplen: 262144, firstNs: 1759508812155133000n, lastNs: 1759508812155133000n },
  { file: 'tcpdump__bigtcp-ipv4.pcap', count: 1, capturedBytes: 80066, snaplen: 262144, firstNs: 1759417540030951000n, lastNs: 1759417540030951000n },
];

const loaded = new Map<string, CaptureRecord[]>();
function recsOf(file: string): CaptureRecord[] {
  let r = loaded.get(file);
  if (!r) {
    r = readAll(join(PCAPS, file)).recs;
    loaded.set(file, r);
  }
  return r;
}

test('public captures: format, link type, counts, sizes, first/last timestamps', () => {
  for (const f of FACTS) {
    const path = join(PCAPS, f.file);
    const h = classicHeader(path);
    assert.equal(h.magic, 0xa1b2c3d4, `${f.file}: little-endian microsecond pcap`);
    assert.equal(h.linkType, 1, `${f.file}: Ethernet`);
    assert.equal(h.snaplen, f.snaplen, `${f.file}: snaplen`);
    const { format, recs } = readAll(path);
    assert.equal(format, 'pcap', f.file);
    assert.equal(recs.length, f.count, `${f.file}: record count`);
    assert.deepEqual(recs.map((r) => r.index), recs.map((_, i) => i));
    assert.equal(recs.reduce((n, r) => n + r.data.length, 0), f.capturedBytes, `${f.file}: captured bytes`);
    assert.ok(recs.every((r) => r.data.length === r.wireLen && r.iface === 0 && r.comment === undefined), f.file);
    assert.equal(recs[0]?.tsNs, f.firstNs, `${f.file}: first timestamp`);
    assert.equal(recs.at(-1)?.tsNs, f.lastNs, `${f.file}: last timestamp`);
    // Captured bytes + 16-byte record headers + 24-byte file header = file size.
    assert.equal(statSync(path).size, 24 + 16 * f.count + f.capturedBytes, f.file);
  }
});

test('iperf TCP capture: handshake, 51 data segments of 72424 bytes, frame sizes', () => {
  const d = decodeAll(recsOf('linaro-test-definitions__iperf_tcp_5001.pcap'));
  const tcp = d.map((x) => {
    assert.equal(x.kind, 'tcp');
    assert.ok(x.kind === 'tcp');
    return x;
  });
  const syn = tcp[0]!;
  assert.equal(syn.tcp.flags, 0x002);
  assert.equal(syn.tcp.srcPort, 49151);
  assert.equal(syn.tcp.dstPort, 5001);
  assert.equal(syn.tcp.headerLen, 40);
  assert.equal(syn.tcp.options.length, 20);
  assert.equal(syn.tcp.options[0], 2); // MSS option
  assert.equal((syn.tcp.options[2]! << 8) | syn.tcp.options[3]!, 1460); // MSS 1460 (tshark: tcp.options.mss_val)
  assert.equal(tcp[1]!.tcp.flags, 0x012);
  assert.equal(tcp[3]!.tcp.payloadLen, 24); // iperf 2 client header
  assert.equal(tcp[3]!.tcp.flags, 0x018);
  const data = tcp.filter((x) => x.tcp.payloadLen > 0);
  assert.equal(data.length, 51);
  assert.equal(data.reduce((n, x) => n + x.tcp.payloadLen, 0), 72424);
  assert.ok(data.every((x) => x.tcp.srcPort === 49151 && x.tcp.dstPort === 5001));
  const sizes = new Map<number, number>();
  for (const x of tcp) sizes.set(x.wireLen, (sizes.get(x.wireLen) ?? 0) + 1);
  assert.deepEqual([...sizes.entries()].sort((a, b) => a[0] - b[0]), [[66, 47], [74, 2], [90, 1], [1514, 50]]);
  assert.ok(tcp.every((x) => x.ip.src === '192.168.204.186' && x.ip.dst === '192.168.204.186' && x.srcMac === '00:00:00:00:00:00'));
  assert.ok(tcp.every((x) => x.ip.ttl === 64 && x.ip.dontFragment && !x.truncated));
});

test('jumbo ICMP capture: 10 echo request/reply pairs of 8042 bytes', () => {
  const d = decodeAll(recsOf('cppware__sample-jumbo_icmp_8042B.pcap'));
  d.forEach((x, i) => {
    assert.ok(x.kind === 'icmp', `frame ${i} is ICMP`);
    assert.equal(x.wireLen, 8042);
    assert.equal(x.icmp.type, i % 2 === 0 ? 8 : 0);
    assert.equal(x.ip.src, i % 2 === 0 ? '192.168.16.2' : '192.168.16.1');
    assert.equal(x.ip.totalLen, 8028);
    assert.equal(x.ip.ttl, 128);
  });
});

test('IGMPv2 capture: queries, reports, leaves and group-specific queries', () => {
  const d = decodeAll(recsOf('tcpdump__IGMP_V2.pcap'));
  const igmp = d.map((x) => {
    assert.ok(x.kind === 'igmp');
    return x.igmp;
  });
  // tshark -e igmp.type -e igmp.maddr
  assert.deepEqual(
    igmp.map((g) => g.type),
    [0x11, 0x16, 0x16, 0x16, 0x17, 0x11, 0x16, 0x16, 0x16, 0x17, 0x11, 0x16, 0x16, 0x16, 0x11, 0x16, 0x16, 0x16],
  );
  assert.deepEqual(
    igmp.map((g) => g.group),
    ['0.0.0.0', '239.255.255.250', '225.10.10.10', '225.1.1.3', '225.1.1.3', '225.1.1.3', '225.1.1.4', '225.1.1.4', '225.1.1.4', '225.1.1.4', '225.1.1.4', '225.1.1.5', '225.1.1.5', '225.1.1.5', '0.0.0.0', '225.10.10.10', '239.255.255.250', '225.1.1.5'],
  );
  assert.ok(igmp.every((g) => g.version === 2));
  assert.deepEqual(d.map((x) => x.wireLen).filter((n) => n !== 60), [46, 46]);
  assert.equal(ipOf(d[4]!).dst, '224.0.0.2'); // leave goes to all-routers
  assert.equal(ipOf(d[1]!).headerLen, 24); // Router Alert option
  assert.equal(d[4]!.dstMac, '01:00:5e:00:00:02');
});

test('IGMPv3 captures: general queries, state-change reports, v2 reports', () => {
  const q = decodeAll(recsOf('tcpdump__igmpv3-queries.pcap'));
  for (const x of q) {
    assert.ok(x.kind === 'igmp');
    assert.equal(x.wireLen, 50);
    assert.equal(x.igmp.type, 0x11);
    assert.equal(x.igmp.version, 3);
    assert.equal(x.ip.src, '192.2.0.2');
    assert.equal(x.ip.dst, '224.0.0.1');
  }
  const r = decodeAll(recsOf('zeek__igmp_igmpv3_reports.pcap'));
  const types = r.map((x) => (x.kind === 'igmp' ? x.igmp.type : -1));
  assert.deepEqual(types, [0x22, 0x22, 0x22, 0x22, 0x16, 0x16, 0x17, 0x16, 0x16, 0x16, 0x17, 0x16]);
  for (const x of r.slice(0, 4)) {
    assert.ok(x.kind === 'igmp');
    // tshark: igmp.record_type 4 (CHANGE_TO_EXCLUDE_MODE = join), one record
    assert.deepEqual(x.igmp.records, [{ type: 4, group: '239.255.255.250', groupU32: ipv4ToU32('239.255.255.250'), sources: 0 }]);
    assert.equal(x.ip.dst, '224.0.0.22');
  }
  assert.ok(r.slice(4).every((x) => x.kind === 'igmp' && x.igmp.group === '224.0.0.251'));
});

test('home multicast capture: IGMPv3 query and reports, then mDNS and SSDP', () => {
  const d = decodeAll(recsOf('zeek__home-multicast-short.pcap'));
  assert.deepEqual(d.map((x) => x.kind), ['igmp', 'igmp', 'igmp', 'udp', 'udp', 'udp']);
  const g = d.slice(0, 3).map((x) => (x.kind === 'igmp' ? x.igmp : undefined));
  assert.equal(g[0]?.type, 0x11);
  assert.equal(g[0]?.version, 3);
  assert.deepEqual(g[1]?.records.map((x) => [x.type, x.group]), [[2, '224.0.0.251']]);
  assert.deepEqual(g[2]?.records.map((x) => [x.type, x.group]), [[2, '239.255.255.250'], [2, '224.0.0.251']]);
  // tshark -e ip.dst -e udp.dstport -e udp.length
  const udp = d.slice(3).map((x) => {
    assert.ok(x.kind === 'udp');
    assert.ok(isMulticastIPv4(x.ip.dstU32));
    return [x.ip.dst, x.udp.dstPort, x.udp.length, x.udp.payloadLen];
  });
  assert.deepEqual(udp, [
    ['224.0.0.251', 5353, 53, 45],
    ['239.255.255.250', 1900, 133, 125],
    ['224.0.0.251', 5353, 48, 40],
  ]);
});

test('GSO and BIG TCP captures: one oversized TCP frame each', () => {
  const [gso] = decodeAll(recsOf('tcpdump__gso-ipv4.pcap'));
  assert.ok(gso?.kind === 'tcp');
  assert.equal(gso.wireLen, 7306);
  assert.equal(gso.ip.totalLen, 7292);
  assert.equal(gso.ip.bigTcp, false);
  assert.equal(gso.tcp.payloadLen, 7240);
  const [big] = decodeAll(recsOf('tcpdump__bigtcp-ipv4.pcap'));
  assert.ok(big?.kind === 'tcp');
  assert.equal(big.wireLen, 80066);
  assert.equal(big.ip.bigTcp, true); // IPv4 total length field is 0
  assert.equal(big.ip.totalLen, 80052);
  assert.equal(big.tcp.payloadLen, 80000);
  assert.equal(big.tcp.srcPort, 35871);
  assert.equal(big.tcp.dstPort, 36425);
});

// ---------------------------------------------------------------------------------------------
// Synthetic files (hand-assembled here, independent of the writer).
// ---------------------------------------------------------------------------------------------

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

function classic(le: boolean, magic: number, linkType: number, recs: { sec: number; frac: number; data: Uint8Array; orig?: number }[]): Uint8Array {
  const h = new DataView(new ArrayBuffer(24));
  h.setUint32(0, magic, le);
  h.setUint16(4, 2, le);
  h.setUint16(6, 4, le);
  h.setUint32(16, 65535, le);
  h.setUint32(20, linkType, le);
  const parts: Uint8Array[] = [new Uint8Array(h.buffer)];
  for (const r of recs) {
    const rh = new DataView(new ArrayBuffer(16));
    rh.setUint32(0, r.sec, le);
    rh.setUint32(4, r.frac, le);
    rh.setUint32(8, r.data.length, le);
    rh.setUint32(12, r.orig ?? r.data.length, le);
    parts.push(new Uint8Array(rh.buffer), r.data);
  }
  return concat(parts);
}

/** One pcapng block: type, body (padded to 4), both lengths. */
function ngBlock(le: boolean, type: number, body: Uint8Array): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const b = new Uint8Array(12 + padded);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, type, le);
  dv.setUint32(4, b.length, le);
  b.set(body, 8);
  dv.setUint32(b.length - 4, b.length, le);
  return b;
}

function ngOpts(le: boolean, opts: [number, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [code, v] of opts) {
    const h = new DataView(new ArrayBuffer(4));
    h.setUint16(0, code, le);
    h.setUint16(2, v.length, le);
    const val = new Uint8Array((v.length + 3) & ~3);
    val.set(v);
    parts.push(new Uint8Array(h.buffer), val);
  }
  if (opts.length > 0) parts.push(new Uint8Array(4));
  return concat(parts);
}

const shb = (le: boolean): Uint8Array => {
  const b = new DataView(new ArrayBuffer(16));
  b.setUint32(0, 0x1a2b3c4d, le);
  b.setUint16(4, 1, le);
  b.setBigInt64(8, -1n, le);
  return ngBlock(le, 0x0a0d0d0a, concat([new Uint8Array(b.buffer), ngOpts(le, [[4, new TextEncoder().encode('hand-made')]])]));
};

const idb = (le: boolean, linkType: number, snaplen: number, opts: [number, Uint8Array][]): Uint8Array => {
  const b = new DataView(new ArrayBuffer(8));
  b.setUint16(0, linkType, le);
  b.setUint32(4, snaplen, le);
  return ngBlock(le, 1, concat([new Uint8Array(b.buffer), ngOpts(le, opts)]));
};

const epb = (le: boolean, iface: number, ts: bigint, data: Uint8Array, orig: number, opts: [number, Uint8Array][] = []): Uint8Array => {
  const b = new DataView(new ArrayBuffer(20));
  b.setUint32(0, iface, le);
  b.setUint32(4, Number(ts >> 32n), le);
  b.setUint32(8, Number(ts & 0xffffffffn), le);
  b.setUint32(12, data.length, le);
  b.setUint32(16, orig, le);
  const d = new Uint8Array((data.length + 3) & ~3);
  d.set(data);
  return ngBlock(le, 6, concat([new Uint8Array(b.buffer), d, ngOpts(le, opts)]));
};

const spb = (le: boolean, data: Uint8Array, orig: number): Uint8Array => {
  const b = new DataView(new ArrayBuffer(4));
  b.setUint32(0, orig, le);
  return ngBlock(le, 3, concat([new Uint8Array(b.buffer), data]));
};

const bytesOf = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 255);
const u8 = (v: number): Uint8Array => Uint8Array.of(v);
const i64 = (le: boolean, v: bigint): Uint8Array => {
  const b = new DataView(new ArrayBuffer(8));
  b.setBigInt64(0, v, le);
  return new Uint8Array(b.buffer);
};
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

test('classic pcap: big-endian nanosecond and little-endian microsecond', () => {
  const a = bytesOf(60, 1);
  const b = bytesOf(100, 2);
  const be = tmpFile(classic(false, 0xa1b23c4d, 1, [
    { sec: 1_700_000_000, frac: 123_456_789, data: a },
    { sec: 1_700_000_001, frac: 999_999_999, data: b, orig: 1514 },
  ]));
  const r = readAll(be);
  assert.equal(r.format, 'pcap');
  assert.equal(r.recs.length, 2);
  assert.equal(r.recs[0]?.tsNs, 1_700_000_000_123_456_789n);
  assert.equal(r.recs[1]?.tsNs, 1_700_000_001_999_999_999n);
  assert.deepEqual(r.recs[0]?.data, a);
  assert.deepEqual(r.recs[1]?.data, b);
  assert.equal(r.recs[1]?.wireLen, 1514);
  const le = readAll(tmpFile(classic(true, 0xa1b2c3d4, 1, [{ sec: 5, frac: 7, data: a }])));
  assert.equal(le.recs[0]?.tsNs, 5_000_007_000n);
  const beUs = readAll(tmpFile(classic(false, 0xa1b2c3d4, 1, [{ sec: 5, frac: 7, data: a }])));
  assert.equal(beUs.recs[0]?.tsNs, 5_000_007_000n);
  // Header only: a valid, empty capture.
  assert.equal(readAll(tmpFile(classic(true, 0xa1b2c3d4, 1, []))).recs.length, 0);
});

test('pcapng: sections of both byte orders, tsresol forms, tsoffset, SPB, skipped blocks, comments', () => {
  const p0 = bytesOf(64, 3);
  const p1 = bytesOf(61, 4);
  const p2 = bytesOf(40, 5);
  const p3 = bytesOf(70, 6);
  const be = false;
  const le = true;
  const file = concat([
    // Section 1, big-endian.
    shb(be),
    idb(be, 1, 32, [[2, text('eth0')], [9, u8(3)]]), // ms, snaplen 32
    ngBlock(be, 0x12345678, bytesOf(10, 0)), // unknown block type
    idb(be, 1, 0, [[9, u8(0x80 | 10)], [14, i64(be, 100n)]]), // 2^-10 s, offset +100 s
    epb(be, 0, 1_700_000_000_123n, p0, 64, [[1, text('first')], [1, text('second')]]),
    epb(be, 1, 1024n * 5n + 512n, p1, 61),
    spb(be, p3.subarray(0, 32), 70), // SPB: IDB 0 snaplen 32, previous timestamp
    ngBlock(be, 4, ngOpts(be, [])), // NRB (empty)
    ngBlock(be, 5, new Uint8Array(12)), // ISB
    ngBlock(be, 2, new Uint8Array(20)), // OPB (obsolete): skipped
    ngBlock(be, 0x00000bad, bytesOf(9, 1)), // custom block
    // Section 2, little-endian: interfaces restart.
    shb(le),
    idb(le, 1, 65535, [[9, u8(12)]]), // ps
    ngBlock(le, 10, bytesOf(16, 2)), // DSB
    epb(le, 0, 1_700_000_000_000_000_001n, p2, 40, [[1, text('nul-terminated\0')]]),
  ]);
  const r = readAll(tmpFile(file, 'pcapng'));
  assert.equal(r.format, 'pcapng');
  assert.equal(r.recs.length, 4);
  const [a, b, c, d] = r.recs;
  assert.equal(a?.tsNs, 1_700_000_000_123_000_000n);
  assert.equal(a?.comment, 'first\nsecond');
  assert.equal(a?.iface, 0);
  assert.deepEqual(a?.data, p0);
  assert.equal(b?.iface, 1);
  assert.equal(b?.tsNs, 105_500_000_000n); // 5.5 s + 100 s offset
  assert.deepEqual(b?.data, p1);
  assert.equal(b?.comment, undefined);
  assert.equal(c?.iface, 0);
  assert.equal(c?.tsNs, b?.tsNs); // SPB has no timestamp: previous one
  assert.equal(c?.wireLen, 70);
  assert.deepEqual(c?.data, p3.subarray(0, 32));
  assert.deepEqual(r.recs.map((x) => x.index), [0, 1, 2, 3]);
  assert.equal(d?.tsNs, 1_700_000_000_000_000n); // ps resolution: 1.7e18 ps = 1.7e15 ns
  assert.equal(d?.comment, 'nul-terminated');
  assert.deepEqual(d?.data, p2);
});

test('pcapng: default resolution is microseconds', () => {
  const r = readAll(tmpFile(concat([shb(true), idb(true, 1, 0, []), epb(true, 0, 1_500_000n, bytesOf(14, 0), 14)])));
  assert.equal(r.recs[0]?.tsNs, 1_500_000_000n);
});

test('streaming: records larger than the read chunk and across chunk boundaries', () => {
  const big = bytesOf(200_000, 9);
  const recs = Array.from({ length: 40 }, (_, i) => ({ sec: i, frac: 0, data: i === 20 ? big : bytesOf(9000 + i, i) }));
  const r = readAll(tmpFile(classic(true, 0xa1b2c3d4, 1, recs)));
  assert.equal(r.recs.length, 40);
  r.recs.forEach((x, i) => {
    assert.deepEqual(x.data, recs[i]!.data);
  });
  const ng = concat([shb(true), idb(true, 1, 0, []), ...recs.map((x, i) => epb(true, 0, BigInt(i), x.data, x.data.length))]);
  const r2 = readAll(tmpFile(ng, 'pcapng'));
  assert.equal(r2.recs.length, 40);
  assert.deepEqual(r2.recs[20]?.data, big);
  assert.deepEqual(r2.recs[39]?.data, recs[39]!.data);
});

test('errors: unreadable, garbage, truncated, bad lengths, non-Ethernet', () => {
  expectInputError(() => openCapture(join(tmp, 'missing.pcap')), /^cannot read: no such file or directory$/);
  expectInputError(() => readAll(tmp), /^cannot read: /); // a directory
  expectInputError(() => openCapture(tmpFile(new Uint8Array(0))), /empty file/);
  expectInputError(() => openCapture(tmpFile(text('hello world, this is not a capture'))), /bad magic 0x68656c6c at byte offset 0/);
  expectInputError(() => openCapture(tmpFile(Uint8Array.of(0xd4, 0xc3))), /truncated file header at byte offset 0/);
  expectInputError(() => openCapture(tmpFile(classic(true, 0xa1b2c3d4, 1, []).subarray(0, 20))), /truncated pcap file header at byte offset 0/);
  expectInputError(
    () => openCapture(tmpFile(classic(true, 0xa1b2c3d4, 113, []))),
    /^link type 113 is not Ethernet \(only DLT_EN10MB is supported\)$/,
  );

  // Truncated real capture: cut inside record 3 and inside a record header.
  const iperf = readFileSync(join(PCAPS, 'linaro-test-definitions__iperf_tcp_5001.pcap'));
  // Records: 24 + (16+74) + (16+74) + (16+66) = 286 is where record 3 starts.
  expectInputError(() => readAll(tmpFile(iperf.subarray(0, 320))), /truncated record 3 at byte offset 286/);
  expectInputError(() => readAll(tmpFile(iperf.subarray(0, 290))), /truncated record header at byte offset 286/);
  const r = openCapture(tmpFile(iperf.subarray(0, 320)));
  assert.ok(r.next());
  assert.ok(r.next());
  assert.ok(r.next());
  assert.throws(() => r.next(), InputError);
  r.close();

  const ng = concat([shb(true), idb(true, 1, 0, []), epb(true, 0, 1n, bytesOf(60, 0), 60)]);
  expectInputError(() => readAll(tmpFile(ng.subarray(0, ng.length - 10))), /truncated enhanced packet block at byte offset \d+/);
  expectInputError(
    () => readAll(tmpFile(concat([shb(true), idb(true, 127, 0, [])]))),
    /^link type 127 is not Ethernet \(only DLT_EN10MB is supported\) \(interface 0 at byte offset \d+\)$/,
  );
  // Bad block length (not a multiple of 4) after the SHB.
  const bad = concat([shb(true), idb(true, 1, 0, [])]);
  const bad2 = concat([bad, Uint8Array.of(6, 0, 0, 0, 13, 0, 0, 0), new Uint8Array(8)]);
  expectInputError(() => readAll(tmpFile(bad2)), new RegExp(`bad block length 13 for enhanced packet block at byte offset ${bad.length}`));
  // Trailing length mismatch.
  const mism = epb(true, 0, 1n, bytesOf(8, 0), 8);
  new DataView(mism.buffer).setUint32(mism.length - 4, 8, true);
  expectInputError(() => readAll(tmpFile(concat([bad, mism]))), /trailing length 8 does not match/);
  // Bad byte-order magic.
  const shbBad = shb(true);
  shbBad.set([1, 2, 3, 4], 8);
  expectInputError(() => openCapture(tmpFile(shbBad)), /bad byte-order magic 0x01020304 at byte offset 8/);
  // Packet before any IDB; IDB index out of range.
  expectInputError(() => readAll(tmpFile(concat([shb(true), epb(true, 0, 1n, bytesOf(8, 0), 8)]))), /names interface 0, but only 0/);
  expectInputError(() => readAll(tmpFile(concat([shb(true), spb(true, bytesOf(8, 0), 8)]))), new RegExp(`simple packet block at byte offset ${shb(true).length} comes before`));
  // Garbage after a valid pcapng section.
  expectInputError(() => readAll(tmpFile(concat([bad, bytesOf(5, 0)]))), new RegExp(`truncated block header at byte offset ${bad.length}`));
  expectInputError(() => readAll(tmpFile(concat([bad, Uint8Array.of(1, 2, 3, 4, 0xff, 0xff, 0xff, 0x7f)]))), /byte offset \d+/);
});

// ---------------------------------------------------------------------------------------------
// Decoder edge cases, frame synthesis, writer round trip.
// ---------------------------------------------------------------------------------------------

const udpOpts = {
  srcMac: '02:00:00:00:00:01',
  dstMac: multicastMac('226.94.1.1'),
  srcIp: '192.168.1.10',
  dstIp: '226.94.1.1',
  ttl: 1,
  srcPort: 40000,
  dstPort: 5001,
  ipId: 0x1234,
};

/** Independent ones'-complement sum (RFC 1071) over 16-bit words. */
function csum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) + (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

function l4Verifies(frame: Uint8Array, proto: number): boolean {
  const ip = frame.subarray(14, 34);
  const l4 = frame.subarray(34);
  const pseudo = new Uint8Array(12);
  pseudo.set(ip.subarray(12, 20));
  pseudo[9] = proto;
  pseudo[10] = l4.length >> 8;
  pseudo[11] = l4.length & 255;
  return csum(concat([pseudo, l4])) === 0xffff;
}

test('frames: multicast MAC, UDP/TCP checksums, iperf 2 payload, decode round trip', () => {
  assert.equal(multicastMac('226.94.1.1'), '01:00:5e:5e:01:01');
  assert.equal(multicastMac('239.255.255.250'), '01:00:5e:7f:ff:fa');
  assert.equal(multicastMac('224.128.0.1'), '01:00:5e:00:00:01');

  const pl = iperf2UdpPayload(1470, 7, 1_700_000_000_123_456_789n);
  assert.equal(pl.length, 1470);
  const pv = new DataView(pl.buffer);
  assert.equal(pv.getInt32(0), 7);
  assert.equal(pv.getUint32(4), 1_700_000_000);
  assert.equal(pv.getUint32(8), 123_456);
  assert.ok(pl.subarray(12).every((x) => x === 0));
  assert.equal(new DataView(iperf2UdpPayload(20, -8, 0n).buffer).getInt32(0), -8);
  assert.deepEqual(iperf2UdpPayload(4, -1, 0n), Uint8Array.of(0xff, 0xff, 0xff, 0xff));

  const udp = buildUdpFrame({ ...udpOpts, payload: pl });
  assert.equal(udp.length, 14 + 20 + 8 + 1470); // 1512
  assert.equal(csum(udp.subarray(14, 34)), 0xffff, 'IPv4 header checksum');
  assert.ok(l4Verifies(udp, 17), 'UDP checksum');
  const du = decodeFrame(udp, udp.length);
  assert.ok(du.kind === 'udp');
  assert.equal(du.dstMac, '01:00:5e:5e:01:01');
  assert.equal(du.ip.dst, '226.94.1.1');
  assert.ok(isMulticastIPv4(du.ip.dstU32));
  assert.ok(!isMulticastIPv4(du.ip.srcU32));
  assert.equal(du.ip.ttl, 1);
  assert.equal(du.ip.id, 0x1234);
  assert.equal(du.udp.payloadLen, 1470);
  // Snaplen-cut copy still decodes sizes from headers.
  const cut = decodeFrame(udp.subarray(0, 60), udp.length);
  assert.ok(cut.kind === 'udp');
  assert.equal(cut.udp.payloadLen, 1470);
  assert.equal(cut.ip.totalLen, 1498);
  assert.equal(cut.truncated, false);

  const tcp = buildTcpFrame({ ...udpOpts, dstMac: '02:00:00:00:00:02', dstIp: '192.168.1.1', ttl: 64, seq: 0xfffffff0, ack: 12345, flags: TCP_ACK | TCP_PSH, window: 502, tsval: 1, tsecr: 0xffffffff, payload: bytesOf(1001, 1) });
  assert.equal(tcp.length, 14 + 20 + 32 + 1001);
  assert.equal(csum(tcp.subarray(14, 34)), 0xffff);
  assert.ok(l4Verifies(tcp, 6), 'TCP checksum (odd length)');
  const dt = decodeFrame(tcp, tcp.length);
  assert.ok(dt.kind === 'tcp');
  assert.equal(dt.tcp.seq, 0xfffffff0);
  assert.equal(dt.tcp.ack, 12345);
  assert.equal(dt.tcp.flags, 0x18);
  assert.equal(dt.tcp.headerLen, 32);
  assert.deepEqual(dt.tcp.options, Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 1, 255, 255, 255, 255));
  assert.equal(dt.tcp.payloadLen, 1001);
  const plain = buildTcpFrame({ ...udpOpts, seq: 1, ack: 0, flags: 0x02, window: 64240, payload: new Uint8Array(0) });
  assert.equal(plain.length, 54);
  assert.ok(l4Verifies(plain, 6));
});

test('decode: VLAN tags, short data, fragments, non-IP', () => {
  const udp = buildUdpFrame({ ...udpOpts, payload: bytesOf(100, 0) });
  // Insert 802.1ad + 802.1Q tags.
  const tagged = concat([udp.subarray(0, 12), Uint8Array.of(0x88, 0xa8, 0x20, 0x64, 0x81, 0x00, 0x00, 0x0a), udp.subarray(12)]);
  const d = decodeFrame(tagged, tagged.length);
  assert.ok(d.kind === 'udp');
  assert.deepEqual(d.vlans, [
    { tpid: 0x88a8, pcp: 1, dei: false, vid: 100 },
    { tpid: 0x8100, pcp: 0, dei: false, vid: 10 },
  ]);
  assert.equal(d.l3Offset, 22);
  assert.equal(d.udp.dstPort, 5001);
  // Every prefix decodes without throwing; short ones are marked truncated.
  for (let n = 0; n <= tagged.length; n++) {
    const x = decodeFrame(tagged.subarray(0, n), tagged.length);
    if (n < 22 + 20 + 8) assert.equal(x.truncated, true, `prefix ${n}`);
    else assert.equal(x.kind, 'udp');
  }
  // Non-first fragment: no L4 header.
  const frag = udp.slice();
  new DataView(frag.buffer).setUint16(20, 0x2000 | 185); // MF, offset 1480
  const df = decodeFrame(frag, frag.length);
  assert.equal(df.kind, 'other');
  assert.equal(df.ip?.fragOffset, 1480);
  assert.equal(df.ip?.moreFragments, true);
  // ARP.
  const arp = concat([udp.subarray(0, 12), Uint8Array.of(0x08, 0x06), new Uint8Array(28)]);
  const da = decodeFrame(arp, 60);
  assert.equal(da.kind, 'other');
  assert.equal(da.ethertype, 0x0806);
  assert.equal(da.truncated, false);
  assert.equal(decodeFrame(new Uint8Array(0), 0).truncated, true);
});

test('pcapng writer: round trip through openCapture', () => {
  const chunks: Uint8Array[] = [];
  const w = new PcapngWriter((c) => chunks.push(c), { ifName: 'eth0', comment: 'pp-sim test run' });
  const pkts = [
    { ts: 1_700_000_000_000_000_001n, data: buildUdpFrame({ ...udpOpts, payload: iperf2UdpPayload(1470, 0, 1_700_000_000_000_000_001n) }), comment: 'branch=upstream-6.1 verdict=XDP_PASS page=0x12' },
    { ts: 1_700_000_000_000_012_345n, data: bytesOf(61, 1), comment: undefined },
    { ts: 0n, data: bytesOf(9001, 2), comment: 'ünïcödé ✓' },
    { ts: 0xffffffffffffffffn, data: new Uint8Array(0), comment: '' },
  ];
  for (const p of pkts) w.writePacket(p.ts, p.data, p.data.length + (p.comment === undefined ? 4 : 0), p.comment);
  assert.ok(chunks.every((c) => c.length % 4 === 0));
  const r = readAll(tmpFile(concat(chunks), 'pcapng'));
  assert.equal(r.format, 'pcapng');
  assert.equal(r.recs.length, pkts.length);
  r.recs.forEach((rec, i) => {
    const p = pkts[i]!;
    assert.deepEqual(rec.data, p.data);
    assert.equal(rec.tsNs, p.ts);
    assert.equal(rec.wireLen, p.data.length + (p.comment === undefined ? 4 : 0));
    assert.equal(rec.comment, p.comment);
  });

  // Snaplen cuts the captured bytes, not the wire length.
  const c2: Uint8Array[] = [];
  const w2 = new PcapngWriter((c) => c2.push(c), { snaplen: 64 });
  w2.writePacket(5n, bytesOf(1514, 3), 1514);
  const r2 = readAll(tmpFile(concat(c2), 'pcapng'));
  assert.equal(r2.recs[0]?.data.length, 64);
  assert.equal(r2.recs[0]?.wireLen, 1514);
  assert.throws(() => {
    w2.writePacket(-1n, new Uint8Array(1), 1);
  }, RangeError);
});

test('pcapng writer output decodes cleanly in tshark', (t) => {
  if (spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status !== 0) {
    t.skip('tshark not installed');
    return;
  }
  const chunks: Uint8Array[] = [];
  const w = new PcapngWriter((c) => chunks.push(c), { ifName: 'eth0' });
  let ts = 1_700_000_000_000_000_000n;
  for (let i = 0; i < 5; i++) {
    const pl = iperf2UdpPayload(1470 - i, i === 4 ? -4 : i, ts);
    const f = buildUdpFrame({ ...udpOpts, ipId: i, payload: pl });
    w.writePacket(ts, f, f.length, `udp ${i}`);
    ts += 12_345n;
  }
  for (let i = 0; i < 3; i++) {
    const f = buildTcpFrame({ ...udpOpts, dstIp: '192.168.1.1', dstMac: '02:00:00:00:00:02', ttl: 64, srcPort: 33000, seq: 1000 + i * 1447, ack: 1, flags: TCP_ACK, window: 500, tsval: i, tsecr: 7, payload: bytesOf(1447, i) });
    w.writePacket(ts, f, f.length, `tcp ${i}`);
    ts += 1000n;
  }
  const path = tmpFile(concat(chunks), 'pcapng');
  const out = spawnSync(
    'tshark',
    ['-r', path, '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE',
      '-T', 'fields', '-E', 'separator=|', '-e', 'frame.comment', '-e', 'udp.dstport', '-e', 'tcp.len', '-e', 'ip.checksum.status',
      '-e', 'udp.checksum.status', '-e', 'tcp.checksum.status', '-e', '_ws.expert.severity', '-e', '_ws.malformed'],
    { encoding: 'utf8' },
  );
  assert.equal(out.status, 0, out.stderr);
  const lines = out.stdout.trim().split('\n');
  assert.equal(lines.length, 8);
  assert.ok(!/Bad|Malformed/i.test(out.stdout), out.stdout);
  lines.forEach((l, i) => {
    const [comment, port, tlen, ipOk, udpOk, tcpOk] = l.split('|');
    assert.equal(comment, i < 5 ? `udp ${i}` : `tcp ${i - 5}`);
    assert.equal(ipOk, '1'); // 1 = good
    if (i < 5) {
      assert.equal(port, '5001');
      assert.equal(udpOk, '1');
    } else {
      assert.equal(tlen, '1447');
      assert.equal(tcpOk, '1');
    }
  });
  // Expert info pass: no checksum or malformed complaints.
  const ex = spawnSync('tshark', ['-r', path, '-q', '-z', 'expert,warn', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'], { encoding: 'utf8' });
  assert.equal(ex.status, 0, ex.stderr);
  assert.ok(!/Bad checksum|Malformed|Errors/i.test(ex.stdout), ex.stdout);
});

test('files converted by editcap (pcapng, nanosecond pcap) read the same as the original', (t) => {
  if (spawnSync('editcap', ['-v'], { stdio: 'ignore' }).status !== 0) {
    t.skip('editcap not installed');
    return;
  }
  const orig = join(PCAPS, 'tcpdump__IGMP_V2.pcap');
  const want = recsOf('tcpdump__IGMP_V2.pcap');
  const conv = (args: string[], ext: string): CaptureRecord[] => {
    const out = join(tmp, `editcap${tmpN++}.${ext}`);
    const r = spawnSync('editcap', [...args, orig, out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return readAll(out).recs;
  };
  const ng = conv(['-F', 'pcapng', '-a', '2:hello from editcap'], 'pcapng');
  const ns = conv(['-F', 'nsecpcap'], 'pcap');
  const cut = conv(['-F', 'pcapng', '-s', '40'], 'pcapng');
  for (const got of [ng, ns, cut]) {
    assert.equal(got.length, want.length);
    got.forEach((r, i) => {
      assert.equal(r.tsNs, want[i]!.tsNs);
      assert.equal(r.wireLen, want[i]!.wireLen);
    });
  }
  ng.forEach((r, i) => {
    assert.deepEqual(r.data, want[i]!.data);
    assert.equal(r.comment, i === 1 ? 'hello from editcap' : undefined);
  });
  assert.ok(cut.every((r) => r.data.length === Math.min(40, r.wireLen)));
  // 40 bytes end inside the IGMP header (14 + 24-byte IP header with Router Alert):
  // the IP header still decodes, the frame is marked truncated.
  const d = decodeFrame(cut[1]!.data, cut[1]!.wireLen);
  assert.equal(d.kind, 'other');
  assert.equal(d.truncated, true);
  assert.equal(d.ip?.totalLen, 32);
  assert.equal(d.ip?.protocol, 2);
});
