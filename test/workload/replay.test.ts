// Replay of the public captures through the board, and pcapng export (issue 6).
//
// Expected numbers come from the captures themselves: `expectedOf` counts with decodeFrame, by its
// own simple rule (independent of src/workload/replay.ts). The hard-coded TSHARK numbers were
// checked once with tshark 4.0.17 and agree with it:
//   iperf TCP, board 192.168.204.186:5001   tshark -Y 'tcp.dstport==5001' | wc -l          -> 53
//   jumbo ICMP, --to 192.168.16.1          tshark -Y 'ip.dst==192.168.16.1' | wc -l        -> 10
//   IGMPv2, --to 192.168.1.2               tshark -Y '!(ip.src==192.168.1.2)' | wc -l      -> 14
//   IGMPv3 queries (board 224.0.0.1)        tshark -Y 'ip.dst==224.0.0.1' | wc -l           -> 6
//   zeek IGMP reports (board 224.0.0.251)   tshark -Y 'igmp' | wc -l                        -> 12
//   home multicast, --to 192.168.0.1        tshark -Y '!(ip.src==192.168.0.1)' | wc -l      -> 5
//                                           tshark -q -z io,stat,0,udp                      -> 3 datagrams
//   GSO super-frame (board .13)             tshark -Y 'ip.dst==10.25.132.13 && tcp'         -> 1
//   BIG TCP frame (board .11)               tshark -Y 'ip.dst==10.25.132.11 && tcp'         -> 1
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/context.js';
import type { Report } from '../../src/sim/report.js';
import { buildUdpFrame } from '../../src/report/frames.js';
import { decodeFrame, isMulticastIPv4 } from '../../src/workload/decode.js';
import { openCapture, type CaptureRecord } from '../../src/workload/pcap.js';

const PCAPS = fileURLToPath(new URL('../fixtures/pcaps/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'pp-sim-replay-'));
process.on('exit', () => {
  rmSync(tmp, { recursive: true, force: true });
});

function cli(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false, env: {} };
  const code = main(argv, io);
  return { code, out, err };
}

/** Runs a command with --json - and returns the report (asserting exit 0). */
function report(argv: string[]): { rep: Report; err: string } {
  const r = cli([...argv, '--json', '-', '--quiet']);
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
  return { rep: JSON.parse(r.out) as Report, err: r.err };
}

function records(path: string): CaptureRecord[] {
  const r = openCapture(path);
  const out: CaptureRecord[] = [];
  for (let x = r.next(); x; x = r.next()) out.push(x);
  r.close();
  return out;
}

interface Expected {
  toBoard: number;
  /** Frames longer than nic.mtu + 14 (dropped by the NIC). */
  oversize: number;
  /** UDP datagrams to the board or a group, received. */
  udp: number;
  /** TCP segments to the board, received. */
  tcp: number;
}

/**
 * Counts straight from the capture: every frame the board did not send is to the board (a frame
 * it sent to itself is to it when it goes to its port); minimum frame 60 bytes on the wire.
 */
function expectedOf(file: string, board: string | undefined, mtu = 1500, port?: number): Expected {
  const e: Expected = { toBoard: 0, oversize: 0, udp: 0, tcp: 0 };
  for (const rec of records(join(PCAPS, file))) {
    const f = decodeFrame(rec.data, rec.wireLen);
    const dport = f.kind === 'udp' ? f.udp.dstPort : f.kind === 'tcp' ? f.tcp.dstPort : undefined;
    if (board !== undefined && f.ip?.src === board && (f.ip.dst !== board || (port !== undefined && dport !== port))) continue;
    e.toBoard++;
    if (Math.max(60, rec.wireLen) > mtu + 14) {
      e.oversize++;
      continue;
    }
    if (f.kind === 'udp' && (f.ip.dst === board || isMulticastIPv4(f.ip.dstU32))) e.udp++;
    if (f.kind === 'tcp' && f.ip.dst === board) e.tcp++;
  }
  return e;
}

interface Case {
  file: string;
  args: string[];
  /** undefined: no unicast host receives, the board is a listener. */
  board: string | undefined;
  port?: number;
  mtu?: number;
  sockets?: number;
  /** tshark's count of frames to the board (see the header). */
  tshark: number;
}

const CASES: Case[] = [
  { file: 'linaro-test-definitions__iperf_tcp_5001.pcap', args: [], board: '192.168.204.186', port: 5001, tshark: 53 },
  { file: 'cppware__sample-jumbo_icmp_8042B.pcap', args: ['--to', '192.168.16.1'], board: '192.168.16.1', tshark: 10 },
  { file: 'cppware__sample-jumbo_icmp_8042B.pcap', args: ['--to', '192.168.16.1', '--mtu', '9000'], board: '192.168.16.1', mtu: 9000, tshark: 10 },
  { file: 'tcpdump__IGMP_V2.pcap', args: ['--to', '192.168.1.2'], board: '192.168.1.2', tshark: 14 },
  { file: 'tcpdump__igmpv3-queries.pcap', args: [], board: undefined, tshark: 6 },
  { file: 'zeek__igmp_igmpv3_reports.pcap', args: [], board: undefined, tshark: 12 },
  { file: 'zeek__home-multicast-short.pcap', args: ['--to', '192.168.0.1', '--udp-sockets', '2'], board: '192.168.0.1', sockets: 2, tshark: 5 },
  { file: 'tcpdump__gso-ipv4.pcap', args: [], board: '10.25.132.13', tshark: 1 },
  { file: 'tcpdump__gso-ipv4.pcap', args: ['--mtu', '9000'], board: '10.25.132.13', mtu: 9000, tshark: 1 },
  { file: 'tcpdump__bigtcp-ipv4.pcap', args: ['--mtu', '9000'], board: '10.25.132.11', mtu: 9000, tshark: 1 },
];

test('every public capture: counters equal the capture\'s own counts', () => {
  for (const c of CASES) {
    const name = `${c.file} ${c.args.join(' ')}`;
    const { rep, err } = report(['replay', join(PCAPS, c.file), ...c.args]);
    const e = expectedOf(c.file, c.board, c.mtu, c.port);
    const n = rep.counters;
    assert.equal(e.toBoard, c.tshark, `${name}: decodeFrame and tshark agree`);
    assert.equal(rep.sim.frames, e.toBoard, `${name}: frames on the wire`);
    assert.equal(n['rx.frames'] + n['rx.drops'], e.toBoard, `${name}: rx.frames + rx.drops`);
    assert.equal(n['rx.drops'], e.oversize, `${name}: rx.drops`);
    assert.equal(n['udp.InDatagrams'], e.udp * (c.sockets ?? 1), `${name}: udp.InDatagrams`);
    assert.equal(n['tcp.InSegs'], e.tcp, `${name}: tcp.InSegs`);
    assert.match(err, c.board === undefined ? /the board is a listener and every frame enters the NIC/ : new RegExp(`board ${c.board.replaceAll('.', '\\.')}`), `${name}: says which board`);
    assert.equal(rep.result, 'pass', name);
  }
});

test('iperf TCP excerpt: 53 segments to 5001, the in-order 20296 bytes are read, the rest waits out of order', () => {
  const { rep, err } = report(['replay', join(PCAPS, 'linaro-test-definitions__iperf_tcp_5001.pcap')]);
  assert.match(err, /board 192\.168\.204\.186 picked: the only unicast IPv4 address.*port 5001/);
  const n = rep.counters;
  assert.equal(n['tcp.InSegs'], 53);
  // tshark: 24-byte iperf header + 14 full segments up to relative seq 20297, then "previous
  // segment(s) not captured": the 36 later segments are held in the OFO queue until close, as the
  // 12 packets the switch's slave device GROs them into (dsa_switch_rcv -> gro_cells_receive, v5.8).
  assert.equal(n['app.bytes_read'], 24 + 14 * 1448);
  assert.equal(n['tcp.TCPOFOQueue'], 12);
  // 100 frames in 4.725 ms; the replay lasts until the last frame's last bit.
  assert.ok(rep.sim.duration_ns > 4_700_000 && rep.sim.duration_ns < 4_800_000, String(rep.sim.duration_ns));
});

test('jumbo ICMP: 8042-byte frames are dropped at MTU 1500 and received at MTU 9000', () => {
  const to = ['--to', '192.168.16.1'];
  const small = report(['replay', join(PCAPS, 'cppware__sample-jumbo_icmp_8042B.pcap'), ...to]).rep.counters;
  assert.equal(small['rx.drops'], 10);
  assert.equal(small['rx.frames'], 0);
  const bigRep = report(['replay', join(PCAPS, 'cppware__sample-jumbo_icmp_8042B.pcap'), ...to, '--mtu', '9000']).rep;
  const big = bigRep.counters;
  assert.equal(big['rx.drops'], 0);
  assert.equal(big['rx.frames'], 10);
  assert.equal(bigRep.sim.bytes, 10 * 8042);
});

test('board choice: ambiguous captures exit 2 asking for --to; bad --to values exit 2', () => {
  const tie = cli(['replay', join(PCAPS, 'cppware__sample-jumbo_icmp_8042B.pcap')]);
  assert.equal(tie.code, 2);
  assert.match(tie.err, /cannot tell which address is the board: .*give --to <ip>\n$/);
  assert.equal(tie.err.trim().split('\n').length, 1);
  // Group traffic: the busiest addresses are groups (224.0.0.251, 239.255.255.250), never the board.
  for (const f of ['tcpdump__IGMP_V2.pcap', 'zeek__home-multicast-short.pcap', 'zeek__igmp_igmpv3_reports.pcap']) {
    const r = cli(['replay', join(PCAPS, f)]);
    assert.equal(r.code, 0, `${f}: ${r.err}`);
    assert.doesNotMatch(r.err, /board 2(2[4-9]|3\d)\.|board 255\.255\.255\.255/, f);
    assert.match(r.err, /no unicast address in the capture receives frames .*the board is a listener/, f);
  }
  for (const group of ['224.0.0.251', '255.255.255.255']) {
    const g = cli(['replay', join(PCAPS, 'zeek__home-multicast-short.pcap'), '--to', group]);
    assert.equal(g.code, 2, group);
    assert.match(g.err, /--to: '[\d.]+' is a group or broadcast address; the board is a unicast host/, group);
  }
  const bad = cli(['replay', join(PCAPS, 'tcpdump__gso-ipv4.pcap'), '--to', '10.1.2']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--to: '10\.1\.2' is not an IPv4 address/);
  const sender = cli(['replay', join(PCAPS, 'tcpdump__gso-ipv4.pcap'), '--to', '10.25.132.11']);
  assert.equal(sender.code, 2);
  assert.match(sender.err, /none of the 1 frames is to the board 10\.25\.132\.11/);
});

test('bad captures exit 2 with one line naming the file', () => {
  const garbage = join(tmp, 'garbage.pcap');
  writeFileSync(garbage, 'this is not a capture at all');
  const raw = join(tmp, 'raw.pcap');
  const hdr = new DataView(new ArrayBuffer(24));
  hdr.setUint32(0, 0xa1b2c3d4, true);
  hdr.setUint16(4, 2, true);
  hdr.setUint16(6, 4, true);
  hdr.setUint32(16, 65535, true);
  hdr.setUint32(20, 101, true); // LINKTYPE_RAW
  writeFileSync(raw, new Uint8Array(hdr.buffer));
  const cut = join(tmp, 'cut.pcap');
  writeFileSync(cut, readFileSync(join(PCAPS, 'tcpdump__gso-ipv4.pcap')).subarray(0, 1000));
  const cases: [string, RegExp][] = [
    [garbage, /bad magic/],
    [raw, /link type 101 is not Ethernet/],
    [cut, /truncated record 0/],
    [join(tmp, 'missing.pcap'), /cannot read/],
  ];
  for (const [file, re] of cases) {
    const r = cli(['replay', file]);
    assert.equal(r.code, 2, `${file}: ${r.err}`);
    assert.match(r.err, re);
    assert.ok(r.err.startsWith(`pp-sim: ${file}: `), r.err);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});

test('--timing line: frames back to back (6 IGMP queries, padded to 60 bytes, EDSA tag: 6 x 640 ns + 5 gaps of 96 ns)', () => {
  const { rep } = report(['replay', join(PCAPS, 'tcpdump__igmpv3-queries.pcap'), '--timing', 'line']);
  assert.equal(rep.sim.duration_ns, 6 * 640 + 5 * 96);
  assert.equal(rep.counters['rx.frames'], 6);
  assert.equal(rep.sim.bytes, 6 * 60);
});

test('a scenario file with a pcap flow (path relative to the file) runs through pp-sim run', () => {
  const dir = join(tmp, 'scn');
  rmSync(dir, { recursive: true, force: true });
  const sub = join(dir, 'captures');
  mkdirSync(sub, { recursive: true });
  copyFileSync(join(PCAPS, 'zeek__home-multicast-short.pcap'), join(sub, 'home.pcap'));
  const file = join(dir, 'home.yaml');
  writeFileSync(
    file,
    [
      'name: home-replay',
      'description: mDNS and SSDP from a home LAN, two sockets per group',
      'traffic:',
      '  - { kind: pcap, file: captures/home.pcap, to: 192.168.0.1, timing: line }',
      'host: { udp_sockets: 2 }',
      'expect:',
      '  counters: { udp.InDatagrams: 6, skb.clone: 3, rx.frames: 5 }',
      '',
    ].join('\n'),
  );
  const { rep, err } = report(['run', file]);
  assert.match(err, /board 192\.168\.0\.1 \(given by the flow's to:\)/);
  assert.ok(rep.expect.every((x) => x.ok), JSON.stringify(rep.expect));
  // Without a duration the run lasts as long as the capture's replay.
  assert.equal(rep.sim.duration_ns, report(['replay', join(sub, 'home.pcap'), '--to', '192.168.0.1', '--timing', 'line']).rep.sim.duration_ns);
});

const TSHARK = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

/** tshark's fields for every packet, checksums verified. */
function tsharkFields(file: string, fields: string[]): string[][] {
  const args = ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-T', 'fields'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
}

function tsharkProblems(file: string): string {
  const r = spawnSync('tshark', ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-q', '-z', 'expert,warn'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('run multicast --pcap-out: valid pcapng; replaying it reproduces rx.frames, clones and pool counters', (t) => {
  const m = join(tmp, 'm.pcapng');
  const { rep: orig } = report(['run', 'multicast', '--duration', '100ms', '--pcap-out', m]);
  assert.ok(existsSync(m));
  assert.deepEqual(readdirSync(tmp).filter((f) => f.includes('.tmp-')), [], 'no temp file left');
  const recs = records(m);
  assert.equal(recs.length, orig.sim.frames);
  recs.forEach((r, i) => {
    assert.equal(r.comment, `pp-sim frame ${i + 1} flow udp 226.94.1.1:5001`);
    const f = decodeFrame(r.data, r.wireLen);
    assert.ok(f.kind === 'udp' && f.ip.dst === '226.94.1.1' && f.udp.dstPort === 5001 && r.data.length === 1512);
    // iperf 2 header: the datagram id, then the send time.
    const dv = new DataView(r.data.buffer, r.data.byteOffset + 42, 12);
    assert.equal(dv.getInt32(0), i);
  });
  // Frames arrive every 12352 ns (1512 + FCS + EDSA + preamble + gap at 8 ns/byte); ns timestamps.
  assert.equal(recs[1]!.tsNs - recs[0]!.tsNs, 12352n);

  // The export records the board's setup (two sockets on the group): the replay receives it the same way.
  const { rep, err } = report(['replay', m]);
  assert.match(err, /no unicast address in the capture receives frames .*the board is a listener/);
  assert.match(err, /the board as the pp-sim run that wrote it: udp_sockets 2, taps 0, tap_mode mmap, reader fast, read_mode copy, mtu 1500/);
  for (const k of ['rx.frames', 'rx.drops', 'skb.clone', 'udp.InDatagrams'] as const) assert.equal(rep.counters[k], orig.counters[k], k);
  for (const k of Object.keys(orig.counters) as (keyof Report['counters'])[]) {
    if (k.startsWith('page_pool.')) assert.equal(rep.counters[k], orig.counters[k], k);
  }
  assert.ok(rep.counters['page_pool.recycle.ring'] > 0 && rep.counters['skb.clone'] === rep.counters['rx.frames']);

  // Flags override the recorded setup: one socket, no clones.
  assert.equal(report(['replay', m, '--udp-sockets', '1']).rep.counters['skb.clone'], 0);

  // Written again, the frames and their timestamps are byte-identical.
  const m2 = join(tmp, 'm2.pcapng');
  report(['replay', m, '--pcap-out', m2]);
  const again = records(m2);
  assert.equal(again.length, recs.length);
  again.forEach((r, i) => {
    assert.deepEqual(r.data, recs[i]!.data);
    assert.equal(r.tsNs, recs[i]!.tsNs);
  });

  if (!TSHARK) {
    t.diagnostic('tshark not installed: skipping the Wireshark decode check');
    return;
  }
  assert.doesNotMatch(tsharkProblems(m), /^(Errors|Warns) \(/m);
  const rows = tsharkFields(m, ['ip.dst', 'udp.dstport', 'ip.checksum.status', 'udp.checksum.status', '_ws.malformed']);
  assert.equal(rows.length, recs.length);
  // checksum status 1 = good.
  for (const r of rows) assert.deepEqual(r, ['226.94.1.1', '5001', '1', '1', '']);
});

test('run tcp --pcap-out: a clean TCP stream for tshark', (t) => {
  const f = join(tmp, 't.pcapng');
  const { rep } = report(['run', 'tcp', '--duration', '5ms', '--pcap-out', f]);
  const recs = records(f);
  assert.equal(recs.length, rep.sim.frames);
  if (!TSHARK) {
    t.diagnostic('tshark not installed: skipping the Wireshark decode check');
    return;
  }
  assert.doesNotMatch(tsharkProblems(f), /^(Errors|Warns) \(/m);
  for (const r of tsharkFields(f, ['tcp.checksum.status', 'ip.checksum.status', '_ws.malformed'])) assert.deepEqual(r, ['1', '1', '']);
});

test('replay --pcap-out writes the capture\'s own bytes for the frames to the board, with frame numbers', () => {
  const src = join(PCAPS, 'linaro-test-definitions__iperf_tcp_5001.pcap');
  const out = join(tmp, 'iperf-out.pcapng');
  report(['replay', src, '--pcap-out', out]);
  const orig = records(src).filter((r) => {
    const f = decodeFrame(r.data, r.wireLen);
    return f.kind === 'tcp' && f.tcp.dstPort === 5001;
  });
  const got = records(out);
  assert.equal(got.length, 53);
  got.forEach((r, i) => {
    assert.deepEqual(r.data, orig[i]!.data);
    assert.match(r.comment ?? '', new RegExp(`^pp-sim frame ${i + 1} flow tcp 192\\.168\\.204\\.186:49151 > 192\\.168\\.204\\.186:5001 capture frame ${orig[i]!.index + 1}$`));
  });
});

test('snaplen-cut frames replay at their wire length; the export pads them back with a valid checksum', () => {
  // Four 1000-byte iperf-like datagrams to 10.0.0.2, captured with snaplen 100.
  const frames = [0, 1, 2, 3].map((i) =>
    buildUdpFrame({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '10.0.0.1', dstIp: '10.0.0.2', ttl: 64, srcPort: 40000, dstPort: 5001, payload: new Uint8Array(1000), ipId: i }),
  );
  const snap = 100;
  const parts: Uint8Array[] = [];
  const fh = new DataView(new ArrayBuffer(24));
  fh.setUint32(0, 0xa1b2c3d4, true);
  fh.setUint16(4, 2, true);
  fh.setUint16(6, 4, true);
  fh.setUint32(16, snap, true);
  fh.setUint32(20, 1, true);
  parts.push(new Uint8Array(fh.buffer));
  frames.forEach((f, i) => {
    const rh = new DataView(new ArrayBuffer(16));
    rh.setUint32(0, 1000, true);
    rh.setUint32(4, i * 100, true);
    rh.setUint32(8, snap, true);
    rh.setUint32(12, f.length, true);
    parts.push(new Uint8Array(rh.buffer), f.subarray(0, snap));
  });
  const file = join(tmp, 'snap.pcap');
  writeFileSync(file, Buffer.concat(parts));
  const out = join(tmp, 'snap-out.pcapng');
  const { rep, err } = report(['replay', file, '--pcap-out', out]);
  assert.match(err, /board 10\.0\.0\.2 picked/);
  assert.equal(rep.counters['rx.frames'], 4);
  assert.equal(rep.sim.bytes, 4 * 1042);
  assert.equal(rep.counters['udp.InDatagrams'], 4);
  assert.equal(rep.counters['app.bytes_read'], 4 * 1000);
  const got = records(out);
  assert.equal(got.length, 4);
  got.forEach((r, i) => {
    assert.deepEqual(r.data, frames[i], 'zero payload regenerated, UDP checksum as the original');
  });
});

test('a capture named by a relative path replays the same as by its absolute path', () => {
  const abs = report(['replay', join(PCAPS, 'tcpdump__IGMP_V2.pcap'), '--to', '192.168.1.2']).rep;
  const rel = report(['replay', relative(process.cwd(), join(PCAPS, 'tcpdump__IGMP_V2.pcap')), '--to', '192.168.1.2']).rep;
  assert.deepEqual(rel.counters, abs.counters);
});
