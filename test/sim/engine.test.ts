// The simulated board under traffic: wire rates (contract §6, mvneta-workloads.md §5.6), delivery
// and clone counts (§5.2), reader behaviour, TCP flow control, XDP verdicts and the notes' bugs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kinds, runYaml } from '../helpers.js';

const MCAST = (sockets: number, reader = 'fast', extra = ''): string => `
name: t
traffic:
  - { kind: udp, dst: 226.94.1.1, rate: 1000M, len: 1470 }
host: { udp_sockets: ${sockets}, reader: ${reader} }
${extra}`;

test('wire rate: 1470-byte datagrams arrive at 80,958/s through the EDSA-tagged CPU port, 81,380/s without DSA', () => {
  const dsa = runYaml(MCAST(1), { duration: 1e9 });
  assert.equal(dsa.sim.frames, 80958);
  const plain = runYaml(MCAST(1), { duration: 1e9, set: { dsa: 'false' } });
  assert.equal(plain.sim.frames, 81380);
  assert.equal(dsa.counters['rx.frames'] + dsa.counters['rx.drops'], dsa.sim.frames);
  assert.equal(dsa.sim.bytes, 80958 * 1512);
  assert.equal(dsa.counters['rx.bytes'], 80958 * (1512 + 8));
});

test('wire rate: 64-byte frames arrive at 1,358,695/s with the EDSA tag and 1,488,095/s without', () => {
  const y = `
name: t
xdp: drop
traffic:
  - { kind: udp, dst: 192.168.200.1, port: 9, rate: 1000M, len: 18 }
`;
  assert.equal(runYaml(y, { duration: 1e9 }).sim.frames, 1358695);
  assert.equal(runYaml(y, { duration: 1e9, set: { dsa: 'false' } }).sim.frames, 1488095);
});

test('an offered rate below the wire paces the sender (iperf -b 10M)', () => {
  const r = runYaml(`
name: t
traffic:
  - { kind: udp, dst: 192.168.200.1, rate: 10M, len: 1470 }
`, { duration: 1e9 });
  // 10M = 10,485,760 bit/s of payload: one 1470-byte datagram every 1.1215 ms.
  assert.equal(r.sim.frames, Math.floor(1e9 / ((1470 * 8 * 1e9) / 10485760)) + 1);
});

test('multicast: N sockets give N-1 clones per datagram and N reads (__udp4_lib_mcast_deliver)', () => {
  for (const n of [1, 2, 3]) {
    const r = runYaml(MCAST(n), { duration: 50e6 });
    const f = r.counters['rx.frames'];
    assert.equal(r.counters['skb.clone'], (n - 1) * f, `sockets ${n}`);
    assert.equal(r.counters['udp.InDatagrams'], n * f);
    assert.equal(r.counters['page_pool.recycle.ring'], f, 'each page returns once, when the last reader frees it');
    assert.deepEqual(kinds(r), {});
  }
});

test('a slow reader overruns the 212992-byte socket buffer (udp.RcvbufErrors); a stalled one reads nothing', () => {
  const slow = runYaml(MCAST(1, 'slow'), { duration: 100e6 });
  assert.ok(slow.counters['udp.RcvbufErrors'] > 0);
  assert.equal(slow.counters['udp.InDatagrams'] + slow.counters['udp.RcvbufErrors'], slow.counters['rx.frames']);
  const stalled = runYaml(MCAST(1, 'stalled'), { duration: 100e6 });
  assert.equal(stalled.counters['udp.InDatagrams'], 0);
  // build_skb truesize 4352: the queue takes datagrams while sk_rmem_alloc <= sk_rcvbuf, i.e. 49.
  assert.equal(stalled.counters['udp.RcvbufErrors'], stalled.counters['rx.frames'] - 49);
  assert.deepEqual(kinds(stalled), {}, 'the stalled queue is freed at close');
});

test('multicast-tap: copy-mode tap + DSA skb_unshare → skb_copy; mvneta_03 hands the kmalloc head to the pool', () => {
  const y = MCAST(2, 'fast', 'host: { udp_sockets: 2, taps: 1, tap_mode: copy }').replace('host: { udp_sockets: 2, reader: fast }\n', '');
  const good = runYaml(y, { duration: 20e6, branch: 'mvneta_07' });
  const f = good.counters['rx.frames'];
  assert.equal(good.counters['skb.unshare'], f);
  assert.deepEqual(kinds(good), {});
  const bad = runYaml(y, { duration: 20e6, branch: 'mvneta_03' });
  const v = bad.violations.find((x) => x.kind === 'wrong-recycle');
  assert.ok(v);
  assert.equal(v.count, f);
  assert.match(v.first.object, /kmalloc head from skb_copy/);
  assert.deepEqual(v.first.path.slice(-3), ['skb_free_head', 'xdp_return_skb_page', 'page_pool_put_page']);
  assert.equal(v.first.path[0], 'udp_recvmsg');
});

test('TCP without GRO behind the switch: MSS 1448 at MTU 1500, every segment counted, tailroom copy then head steal', () => {
  const r = runYaml(`
name: t
traffic:
  - { kind: tcp, dst: 192.168.200.1 }
`, { duration: 100e6, set: { dsa_rcv: 'netif_receive_skb' } });
  const c = r.counters;
  assert.equal(c['tcp.InSegs'], c['rx.frames']);
  assert.equal(c['app.bytes_read'], c['rx.frames'] * 1448);
  assert.ok(c['skb.coalesce_copied'] > 0 && c['skb.coalesce_stolen_head'] > c['skb.coalesce_copied']);
  assert.equal(c['tcp.TCPRcvCoalesce'], c['skb.coalesce']);
  assert.deepEqual(kinds(r), {});
});

test('TCP: a stalled reader closes the window, so memory stays bounded by the 131072-byte window', () => {
  const r = runYaml(`
name: t
traffic:
  - { kind: tcp, dst: 192.168.200.1 }
host: { reader: stalled }
`, { duration: 200e6 });
  assert.ok(r.counters['rx.frames'] * 1448 <= 131072 + 1448);
  assert.equal(r.counters['app.bytes_read'], 0);
  assert.deepEqual(kinds(r), {});
});

test('TCP on a 2018 branch: coalesce=steal moves pool heads into frags (the notes\' "skb_try_coalesce was broken")', () => {
  const y = `
name: t
traffic:
  - { kind: tcp, dst: 192.168.200.1 }
`;
  const steal = runYaml(y, { duration: 20e6, branch: 'mvneta_07' });
  assert.ok(kinds(steal)['freed-while-mapped']! > 0);
  assert.ok(kinds(steal)['pp-page-as-frag']! > 0);
  for (const option of ['release', 'frag_list', 'reject']) {
    const r = runYaml(y, { duration: 20e6, branch: 'mvneta_07', set: { coalesce: option } });
    // The 2018 refill posts recycled heads with edsa_rcv's dirty MAC line unsynced, whatever coalesce does.
    assert.deepEqual(Object.keys(kinds(r)), ['dma-dirty-cacheline'], `coalesce=${option}`);
  }
});

test('TCP with a slow reader uses the backlog while the socket is owned (tcp_add_backlog coalescing)', () => {
  const r = runYaml(`
name: t
traffic:
  - { kind: tcp, dst: 192.168.200.1 }
host: { reader: slow }
`, { duration: 50e6, set: { dsa_rcv: 'netif_receive_skb' } });
  assert.ok(r.counters['tcp.TCPBacklogCoalesce'] > 0);
  assert.deepEqual(kinds(r), {});
});

test('splice keeps page refs in the pipe past the skb: the pool releases instead of recycling', () => {
  const r = runYaml(`
name: t
traffic:
  - { kind: tcp, dst: 192.168.200.1 }
host: { read_mode: splice }
`, { duration: 20e6 });
  assert.ok(r.counters['skb.splice_pages'] > 0);
  assert.ok(r.counters['page_pool.recycle.released_refcnt'] > 0);
  assert.deepEqual(kinds(r), {});
});

test('zerocopy receive maps no page from a head-only pool (heads and stolen heads are not full-page frags)', () => {
  const r = runYaml(`
name: t
traffic:
  - { kind: tcp, dst: 192.168.200.1 }
host: { read_mode: zerocopy }
`, { duration: 20e6 });
  assert.equal(r.counters['skb.zerocopy_pages'], 0);
});

test('XDP: DROP recycles into the alloc cache, TX on a FROM_DEVICE mapping is a dma-dir-mismatch, REDIRECT returns via the ring', () => {
  const y = (v: string): string => `
name: t
xdp: ${v}
traffic:
  - { kind: udp, dst: 192.168.200.1, port: 9, rate: 1000M, len: 18 }
`;
  const drop = runYaml(y('drop'), { duration: 5e6 });
  assert.equal(drop.counters['page_pool.recycle.cached'], drop.counters['rx.frames']);
  const tx = runYaml(y('tx'), { duration: 5e6, branch: 'v5.5', set: { xdp_dma_dir: 'from_device' } });
  assert.ok(kinds(tx)['dma-dir-mismatch']! > 0);
  assert.equal(runYaml(y('tx'), { duration: 5e6, branch: 'v5.5' }).violations.length, 0);
  const rd = runYaml(y('redirect'), { duration: 5e6, branch: 'mvneta_04' });
  assert.equal(rd.counters['page_pool.recycle.ring'], rd.counters['rx.frames']);
  assert.deepEqual(kinds(rd), {});
});

test('jumbo frames: three descriptors per 9018-byte frame; keep breaks the head-only rule, release and recycle are clean', () => {
  const y = `
name: t
nic: { mtu: 9000 }
traffic:
  - { kind: udp, dst: 192.168.200.1, rate: 1000M, len: 8972 }
`;
  const r = runYaml(y, { duration: 20e6, branch: 'upstream-6.1' });
  assert.equal(r.counters['rx.descriptors'], 3 * r.counters['rx.frames']);
  assert.deepEqual(kinds(r), {});
  assert.deepEqual(Object.keys(kinds(runYaml(y, { duration: 20e6, branch: 'mvneta_07' }))), ['dma-dirty-cacheline'], 'release is clean but for the 2018 refill that does not sync');
  const keep = kinds(runYaml(y, { duration: 20e6, branch: 'mvneta_07', set: { jumbo_frags: 'keep' } }));
  assert.ok(keep['pp-page-as-frag']! > 0 && keep['freed-while-mapped']! > 0);
});

test('arm32-lpae: a DMA address above 4 GiB kept in a 32-bit page->private is truncated, once per page', () => {
  const r = runYaml(MCAST(1), { duration: 5e6, platform: 'arm32-lpae', branch: 'mvneta_07' });
  const v = r.violations.find((x) => x.kind === 'dma-addr-truncated');
  assert.ok(v);
  assert.equal(v.count, r.counters['page_pool.hold_cnt']);
  assert.equal(r.leaks.length, 0, 'consequences are not reported again');
  assert.equal(r.violations.length, 1);
  // dma-addr-in-page keeps the full address; it maps with DMA_ATTR_SKIP_CPU_SYNC and syncs nothing for the device.
  assert.deepEqual(Object.keys(kinds(runYaml(MCAST(1), { duration: 5e6, platform: 'arm32-lpae', branch: 'dma-addr-in-page' }))), ['dma-dirty-cacheline']);
});

test('baseline-4.20 copies 256 bytes before syncing for the CPU (the v4.19 defect) on a non-coherent board', () => {
  const r = runYaml(MCAST(1), { duration: 5e6, branch: 'baseline-4.20' });
  assert.equal(kinds(r)['cpu-access-device-owned'], r.counters['rx.frames']);
  assert.equal(runYaml(MCAST(1), { duration: 5e6, branch: 'baseline-4.20', set: { coherent_dma: 'true' } }).violations.length, 0);
});

test('same scenario and seed give identical reports; counters are per run', () => {
  const a = runYaml(MCAST(2), { duration: 10e6 });
  const b = runYaml(MCAST(2), { duration: 10e6 });
  assert.deepEqual(a, b);
});
