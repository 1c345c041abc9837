/**
 * Issue 11 items 5, 7, 8 and 12: behaviour that differs by kernel era, one table row per era and
 * case, each citing the kernel function and version it checks. Step rows run through runScenario
 * exactly as a scenario file would; traffic rows run the engine for a few tens of milliseconds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Mvneta, NAPI_BUDGET } from '../../src/driver/mvneta.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { kfree_skb, skb_copy, skb_headlen, skb_pull, skb_shift, type SkBuff } from '../../src/kernel/skbuff.js';
import { resolveConfig } from '../../src/sim/config.js';
import { loadBranchDir } from '../../src/workload/branches.js';
import { kinds, runYaml } from '../helpers.js';

const BRANCHES = loadBranchDir(fileURLToPath(new URL('../../branches/', import.meta.url)));

function steps(list: string, mtu = 1500): string {
  return `name: t\nnic: { mtu: ${mtu} }\nsteps:\n${list.trim().split('\n').map((l) => `  - ${l.trim()}`).join('\n')}\n`;
}

const TCP = 'name: t\ntraffic:\n  - { kind: tcp, dst: 192.168.200.1 }\n';

// Item 5. net/dsa/dsa.c dsa_switch_rcv: netif_receive_skb up to v5.7, gro_cells_receive on the
// slave device from v5.8 (e131a5634830); eth0's own GRO never merges DSA-tagged frames.
test('dsa_switch_rcv → gro_cells_receive (v5.8, e131a5634830): TCP behind the switch is GRO\'d per era', () => {
  const rows: [branch: string, platform: string, set: Record<string, string>, groMerges: boolean][] = [
    ['baseline-4.20', 'espressobin', {}, false],
    ['mvneta_07', 'espressobin', {}, false],
    ['v5.5', 'espressobin', {}, false],
    ['upstream-5.14', 'espressobin', {}, true],
    ['upstream-6.1', 'espressobin', {}, true],
    ['upstream-6.1', 'espressobin', { dsa_rcv: 'netif_receive_skb' }, false],
    ['upstream-6.1', 'espressobin', { gro: 'off' }, false],
    // No switch: eth0's napi_gro_receive merges on every era.
    ['v5.5', 'arm32-lpae', {}, true],
  ];
  for (const [branch, platform, set, groMerges] of rows) {
    const r = runYaml(TCP, { duration: 20e6, branch, platform, set });
    const c = r.counters;
    assert.equal(c['skb.gro_merged'] > 0, groMerges, `${branch} ${platform} ${JSON.stringify(set)}: gro_merged ${c['skb.gro_merged']}`);
    assert.equal(c['tcp.InSegs'], c['rx.frames'], `${branch}: every segment counted once, merged or not`);
  }
});

// Item 5. skb_gro_receive (net/core/skbuff.c v5.14; net/core/gro.c v6.1.y with the pp_recycle
// refusal): a lagging copy-mode tap leaves some frames cloned (DSA's skb_unshare copies them,
// pp_recycle 0) and some not (pp_recycle 1); they meet in the slave device's GRO.
test('GRO pp_recycle mixing behind the switch: upstream-5.14 leaks pool pages, upstream-6.1 refuses (tcp-tap)', () => {
  const y = `${TCP}host: { taps: 1, tap_mode: copy, reader: slow }\n`;
  const rows: [branch: string, set: Record<string, string>, findings: string[]][] = [
    ['upstream-5.14', {}, ['freed-while-mapped', 'leak:pool-inflight']],
    ['upstream-6.1', {}, []],
    ['upstream-6.1', { gro_pp_check: 'false' }, ['freed-while-mapped', 'leak:pool-inflight']],
    ['upstream-5.14', { gro_pp_check: 'true' }, []],
    // v5.5 releases every page before the stack: nothing to mix.
    ['v5.5', { dsa_rcv: 'gro_cells' }, []],
  ];
  for (const [branch, set, findings] of rows) {
    const r = runYaml(y, { duration: 100e6, branch, set });
    assert.deepEqual(Object.keys(kinds(r)).sort(), findings, `${branch} ${JSON.stringify(set)}`);
    assert.ok(r.counters['skb.unshare'] > 0 && r.counters['skb.unshare'] < r.counters['rx.frames'], `${branch}: some frames copied, some not`);
  }
});

// Item 7. net/ipv4/tcp_ipv4.c tcp_add_backlog: skb_condense + sk_add_backlog in v4.20; from v5.0
// (4f693b55c3d2) a skb_try_coalesce with the backlog tail first (TCPBacklogCoalesce).
test('tcp_add_backlog coalesces with the backlog tail from v5.0 (4f693b55c3d2), not in v4.20', () => {
  const y = `${TCP}host: { reader: slow }\n`;
  const noGro = { dsa_rcv: 'netif_receive_skb' };
  const rows: [branch: string, set: Record<string, string>, coalesces: boolean][] = [
    ['baseline-4.20', {}, false],
    ['mvneta_03', {}, false],
    ['mvneta_07', {}, true],
    ['v5.5', {}, true],
    ['upstream-6.1', noGro, true],
    ['upstream-6.1', { ...noGro, backlog_coalesce: 'false' }, false],
  ];
  for (const [branch, set, coalesces] of rows) {
    const c = runYaml(y, { duration: 50e6, branch, set }).counters;
    assert.equal(c['tcp.TCPBacklogCoalesce'] > 0, coalesces, `${branch} ${JSON.stringify(set)}: TCPBacklogCoalesce ${c['tcp.TCPBacklogCoalesce']}`);
    assert.ok(c['app.bytes_read'] > 0, branch);
  }
});

// Item 8. net/core/skbuff.c skb_try_coalesce: v5.14 (6a5bcd84e886) refuses when pp_recycle differs;
// 6.1.0 (1effe8ca4e34) refuses unless to->pp_recycle == (from->pp_recycle && !skb_cloned(from));
// 6.1.25 / v6.3 (0646dc31ca88) refuses when pp_recycle differs or from is a cloned pp_recycle skb.
test('skb_try_coalesce pp_recycle rules: v5.14 pp_match, 6.1.0 pp_match_clone, 6.1.25 pp_match_noclone', () => {
  // to: a (pool skb, pp_recycle 1) or ac (skb_copy, pp_recycle 0); from: b, bc (clone of b, so both
  // are cloned) or bx (copy).
  const cases: [to: 'a' | 'ac', from: 'b' | 'bc' | 'bx', accepted: Record<'pp_match' | 'pp_match_clone' | 'pp_match_noclone', boolean>][] = [
    ['a', 'b', { pp_match: true, pp_match_clone: true, pp_match_noclone: true }],
    ['a', 'bc', { pp_match: true, pp_match_clone: false, pp_match_noclone: false }],
    ['ac', 'bc', { pp_match: false, pp_match_clone: true, pp_match_noclone: false }],
    ['ac', 'b', { pp_match: false, pp_match_clone: false, pp_match_noclone: false }],
    ['ac', 'bx', { pp_match: true, pp_match_clone: true, pp_match_noclone: true }],
    ['a', 'bx', { pp_match: false, pp_match_clone: false, pp_match_noclone: false }],
  ];
  for (const [to, from, accepted] of cases) {
    for (const [mode, ok] of Object.entries(accepted)) {
      const make = { a: '', ac: 'skb_copy: { skb: a, as: ac }', b: '', bc: 'skb_clone: { skb: b, as: bc }', bx: 'skb_copy: { skb: b, as: bx }' };
      const y = steps(['rx: { as: a, len: 200 }', 'rx: { as: b, len: 200 }', make[to], make[from], `skb_try_coalesce: { to: ${to}, from: ${from} }`].filter((l) => l).join('\n'));
      const c = runYaml(y, { set: { coalesce: mode } }).counters;
      assert.equal(c['skb.coalesce'], ok ? 1 : 0, `${mode}: ${to} <- ${from}`);
      assert.equal(c['skb.coalesce_refused'], ok ? 0 : 1, `${mode}: ${to} <- ${from}`);
    }
  }
  const c = resolveConfig(BRANCHES, 'upstream-6.1', undefined, 'espressobin', undefined, []);
  assert.equal(c.knobs.coalesce, 'pp_match_noclone', 'upstream-6.1 is 6.1.y stable');
});

// Item 12. net/core/skbuff.c (v5.0 = v6.1 for these functions; pp_recycle decisions from v5.14):
// each operation as a step, per era, judged by the report.
test('skb operations per era: __pskb_pull_tail, pskb_trim/___pskb_trim, skb_condense, skb_cow, skb_segment', () => {
  const J = 9000;
  const rows: [what: string, branch: string, mtu: number, list: string, counters: Record<string, number>, findings: string[]][] = [
    // __pskb_pull_tail: no tailroom on the pool head → pskb_expand_head; frags stay pool pages.
    ['__pskb_pull_tail', 'upstream-6.1', J, 'rx: { as: a, len: 9014 }\n__pskb_pull_tail: { skb: a, len: 100 }\nkfree_skb: a', { 'skb.expand_head': 1, 'page_pool.recycle.ring': 3, 'slab.free': 1 }, []],
    ['__pskb_pull_tail', 'mvneta_07', J, 'rx: { as: a, len: 9014 }\n__pskb_pull_tail: { skb: a, len: 100 }\nkfree_skb: a', { 'skb.expand_head': 1 }, ['wrong-recycle']],
    ['__pskb_pull_tail', 'v5.5', J, 'rx: { as: a, len: 9014 }\n__pskb_pull_tail: { skb: a, len: 100 }\nkfree_skb: a', { 'skb.expand_head': 1, 'page_pool.recycle.ring': 0 }, []],
    // ___pskb_trim on a clone (AF_PACKET snaplen): the clone gets a kmalloc head; its frag
    // references are plain page references (skb_release_data cleared its pp_recycle, v5.14).
    ['packet_rcv snaplen', 'upstream-5.14', J, 'rx: { as: a, len: 9014 }\npacket_rcv: { skb: a, as: t, snaplen: 96 }\nkfree_skb: t\nkfree_skb: a', { 'skb.expand_head': 1, 'page_pool.recycle.ring': 3, 'page_pool.recycle.released_refcnt': 0 }, []],
    ['packet_rcv snaplen', 'mvneta_07', J, 'rx: { as: a, len: 9014 }\npacket_rcv: { skb: a, as: t, snaplen: 96 }\nkfree_skb: t\nkfree_skb: a', { 'skb.expand_head': 1 }, ['wrong-recycle']],
    // pskb_trim of a linear clone only moves tail: no new head.
    ['packet_rcv snaplen linear', 'mvneta_07', 1500, 'rx: { as: a, len: 1514 }\npacket_rcv: { skb: a, as: t, snaplen: 96 }\nkfree_skb: t\nkfree_skb: a', { 'skb.expand_head': 0, 'page_pool.recycle.ring': 1 }, []],
    // ___pskb_trim of an uncloned skb drops the frags past len at once (recycled with pp_recycle).
    ['pskb_trim', 'upstream-6.1', J, 'rx: { as: a, len: 9014 }\npskb_trim: { skb: a, len: 100 }\nkfree_skb: a', { 'skb.expand_head': 0, 'page_pool.recycle.ring': 3 }, []],
    // skb_condense of an skb whose paged part exceeds the tailroom changes nothing.
    ['skb_condense', 'upstream-6.1', J, 'rx: { as: a, len: 9014 }\nskb_condense: a\nkfree_skb: a', { 'skb.expand_head': 0, 'page_pool.recycle.ring': 3 }, []],
    // skb_cow: headroom short → pskb_expand_head; a clone with enough headroom is expanded too.
    ['skb_cow headroom', 'upstream-6.1', 1500, 'rx: { as: a, len: 1514 }\nskb_cow: { skb: a, headroom: 1024 }\nkfree_skb: a', { 'skb.expand_head': 1, 'page_pool.recycle.ring': 1 }, []],
    ['skb_cow enough', 'upstream-6.1', 1500, 'rx: { as: a, len: 1514 }\nskb_cow: { skb: a, headroom: 16 }\nkfree_skb: a', { 'skb.expand_head': 0, 'page_pool.recycle.ring': 1 }, []],
    ['skb_cow clone', 'upstream-6.1', 1500, 'rx: { as: a, len: 1514 }\nskb_clone: { skb: a, as: c }\nskb_cow: { skb: c, headroom: 16 }\nkfree_skb: c\nkfree_skb: a', { 'skb.expand_head': 1, 'page_pool.recycle.ring': 1 }, []],
    ['skb_cow', 'mvneta_07', 1500, 'rx: { as: a, len: 1514 }\nskb_cow: { skb: a, headroom: 1024 }\nkfree_skb: a', { 'skb.expand_head': 1 }, ['wrong-recycle']],
  ];
  for (const [what, branch, mtu, list, counters, findings] of rows) {
    const r = runYaml(steps(list, mtu), { branch });
    for (const [name, want] of Object.entries(counters)) assert.equal(r.counters[name as keyof typeof r.counters], want, `${what} on ${branch}: ${name}`);
    assert.deepEqual(Object.keys(kinds(r)).sort(), findings, `${what} on ${branch}`);
  }
});

// Item 12. skb_segment (net/core/skbuff.c v5.0 = v6.1): segments are kmalloc skbs with page
// references on the GRO packet's pool pages; the order of the frees decides recycle vs release.
test('skb_segment: segments hold page references; the pool releases pages still referenced (v5.14+), 2018 branches leak them', () => {
  const gro = 'rx: { as: a, len: 1514 }\nrx: { as: b, len: 1514 }\nrx: { as: c, len: 1514 }\nskb_gro_receive: { held: a, skb: b }\nskb_gro_receive: { held: a, skb: c }\nskb_segment: { skb: a, as: s }';
  const packetFirst = `${gro}\nconsume_skb: a\nconsume_skb: s.1\nconsume_skb: s.2\nconsume_skb: s.3`;
  const segsFirst = `${gro}\nconsume_skb: s.1\nconsume_skb: s.2\nconsume_skb: s.3\nconsume_skb: a`;
  const rows: [branch: string, list: string, counters: Record<string, number>, findings: string[]][] = [
    ['upstream-6.1', packetFirst, { 'skb.segment': 3, 'page_pool.recycle.ring': 1, 'page_pool.recycle.released_refcnt': 2 }, []],
    ['upstream-6.1', segsFirst, { 'skb.segment': 3, 'page_pool.recycle.ring': 3, 'page_pool.recycle.released_refcnt': 0 }, []],
    ['upstream-5.14', packetFirst, { 'skb.segment': 3, 'page_pool.recycle.released_refcnt': 2 }, []],
    ['mvneta_07', packetFirst, { 'skb.segment': 3 }, ['freed-while-mapped', 'pp-page-as-frag']],
    // mem_info in the header region: __copy_skb_header gives every kmalloc'ed segment mem_info.
    ['mvneta_03', packetFirst, { 'skb.segment': 3 }, ['freed-while-mapped', 'pp-page-as-frag', 'wrong-recycle']],
  ];
  for (const [branch, list, counters, findings] of rows) {
    const r = runYaml(steps(list), { branch });
    for (const [name, want] of Object.entries(counters)) assert.equal(r.counters[name as keyof typeof r.counters], want, `${branch}: ${name}`);
    assert.deepEqual(Object.keys(kinds(r)).sort(), findings, branch);
  }
});

/** A received skb through the kernel API (skb_shift needs a head-less skb, which no step makes). */
function rxSkb(k: Kernel, nic: Mvneta, got: { skb: SkBuff | null }, len: number, frame: number): SkBuff {
  k.resetPath();
  k.frame = frame;
  assert.ok(nic.hwReceive(len, frame));
  nic.poll(NAPI_BUDGET);
  assert.ok(got.skb);
  return got.skb;
}

// Item 12. skb_shift (net/core/skbuff.c, v5.0; __skb_frag_unref(frag, skb->pp_recycle) from v5.14):
// frags move without references and no pp_recycle check exists up to 6.1.y, so shifting pool
// frags into a plain skb hands them to put_page.
test('skb_shift moves frags without a pp_recycle check (v5.14-6.1.y): into a plain skb they leave the pool by put_page', () => {
  const rows: [tgt: 'pool' | 'copy', freedWhileMapped: boolean][] = [
    ['pool', false],
    ['copy', true],
  ];
  for (const [tgtKind, freedWhileMapped] of rows) {
    const c = resolveConfig(BRANCHES, 'upstream-6.1', undefined, 'espressobin', undefined, []);
    const k = new Kernel(c.knobs, c.facts);
    const got: { skb: SkBuff | null } = { skb: null };
    const nic = new Mvneta(k, { mtu: 9000, rxRing: 64, xdp: 'none' }, { receive: (s) => (got.skb = s), xdpFrame: () => assert.fail('no XDP') });
    k.resetPath();
    nic.ifup();
    const a = rxSkb(k, nic, got, 1514, 1);
    const b = rxSkb(k, nic, got, 9014, 2);
    const tgt = tgtKind === 'pool' ? a : skb_copy(k, a)!;
    // b's data all in frags, as on TCP's retransmit queue.
    skb_pull(b, skb_headlen(b));
    const moved = b.sh.fragSize[0]!;
    assert.equal(skb_shift(k, tgt, b, moved), moved);
    assert.equal(tgt.sh.nr_frags, 1);
    kfree_skb(k, tgt);
    kfree_skb(k, b);
    if (tgt !== a) kfree_skb(k, a);
    assert.equal(k.findings.violationCount('freed-while-mapped') > 0, freedWhileMapped, `tgt ${tgtKind}`);
  }
});
