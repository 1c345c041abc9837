// mvneta RX per era (issue 11 items 2, 3, 4): each row cites the driver function and version it checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kernel } from '../../src/kernel/kernel.js';
import type { SkBuff } from '../../src/kernel/skbuff.js';
import type { XdpFrame } from '../../src/kernel/xdp.js';
import { ETH_FCS_LEN, Mvneta, MVNETA_MH_SIZE, rxBufferBytes, type XdpVerdict } from '../../src/driver/mvneta.js';
import { PP_ALLOC_CACHE_SIZE } from '../../src/kernel/page_pool.js';
import { resolveConfig } from '../../src/sim/config.js';
import { BRANCHES, runStepLines } from '../helpers.js';

/** A board with one mvneta queue whose stack only collects what the driver hands over. */
function board(branch: string, o: { set?: Record<string, string> | undefined; mtu?: number; xdp?: XdpVerdict } = {}): { k: Kernel; nic: Mvneta; skbs: SkBuff[]; frames: XdpFrame[] } {
  const c = resolveConfig(BRANCHES, branch, undefined, 'espressobin', undefined, Object.entries(o.set ?? {}).map(([key, value]) => ({ key, value, loc: undefined })));
  const k = new Kernel(c.knobs, c.facts);
  const skbs: SkBuff[] = [];
  const frames: XdpFrame[] = [];
  const nic = new Mvneta(k, { mtu: o.mtu ?? 1500, rxRing: 512, xdp: o.xdp ?? 'none' }, { receive: (s) => skbs.push(s), xdpFrame: (f) => frames.push(f) });
  nic.ifup();
  return { k, nic, skbs, frames };
}

// Item 2: a frame's last RX buffer holds only FCS bytes.
interface FcsRow {
  fn: string;
  branch: string;
  set?: Record<string, string>;
  /** Frame length (no FCS) whose FCS alone falls in the second buffer: 2 (MH) + len + 8 (EDSA) + 4 = buffer size + 2. */
  len: number;
  leaks: Record<string, number>;
  counters: Record<string, number>;
}
const FCS: FcsRow[] = [
  // v4.20 / 2018 mvneta_rx_swbm: left_size == 0, the descriptor is left untouched.
  { fn: 'v4.20/2018 mvneta_rx_swbm (left on the ring)', branch: 'mvneta_07', len: 3700, leaks: {}, counters: { 'rx.descriptors': 2, 'page_pool.release_cnt': 0, 'page_pool.recycle.cached': 0 } },
  // v5.5-v5.8 mvneta_swbm_add_rx_fragment: no skb_add_rx_frag (data_len <= 0) but page_pool_release_page: a real page leak.
  { fn: 'v5.5-v5.8 mvneta_swbm_add_rx_fragment (page_pool_release_page, never freed)', branch: 'v5.5', len: 3508, leaks: { page: 1 }, counters: { 'rx.descriptors': 2, 'page_pool.release_cnt': 2, 'page_pool.recycle.cached': 0 } },
  // v5.14+ mvneta_swbm_add_rx_fragment: page_pool_put_full_page(rxq->page_pool, page, true), direct into the alloc cache.
  { fn: 'v5.14 mvneta_swbm_add_rx_fragment (page_pool_put_full_page, direct)', branch: 'upstream-5.14', len: 3508, leaks: {}, counters: { 'rx.descriptors': 2, 'page_pool.release_cnt': 0, 'page_pool.recycle.cached': 1 } },
  { fn: 'v6.1 mvneta_swbm_add_rx_fragment (page_pool_put_full_page, direct)', branch: 'upstream-6.1', len: 3508, leaks: {}, counters: { 'rx.descriptors': 2, 'page_pool.release_cnt': 0, 'page_pool.recycle.cached': 1 } },
  // The knob, not the branch, decides.
  { fn: 'fcs_only_desc=release on upstream-6.1', branch: 'upstream-6.1', set: { fcs_only_desc: 'release' }, len: 3508, leaks: { page: 1 }, counters: { 'rx.descriptors': 2, 'page_pool.release_cnt': 1, 'page_pool.recycle.cached': 0 } },
];
for (const r of FCS) {
  test(`buffer holding only FCS bytes: ${r.fn}`, () => {
    const out = runStepLines(r.branch, [`rx: { as: a, len: ${r.len} }`, 'kfree_skb: a'], { set: r.set, mtu: r.len });
    assert.deepEqual(out.leaks, r.leaks);
    assert.deepEqual(out.violations, {});
    for (const [name, want] of Object.entries(r.counters)) assert.equal(out.counters[name as keyof typeof out.counters], want, name);
  });
}

// Item 3: v5.5-v6.1 mvneta_xdp_submit_frame (XDP_TX) syncs xdpf->len bytes from xdpf->data for the device:
// page DMA address + sizeof(*xdpf) + xdpf->headroom, i.e. the RX offset plus the Marvell header.
for (const [branch, len] of [['v5.5', 60], ['upstream-6.1', 60], ['upstream-6.1', 1514]] as const) {
  test(`XDP_TX sync for the device (${branch} mvneta_xdp_submit_frame): ${len} bytes from data, not MH + len from the RX offset`, () => {
    const { k, nic, frames } = board(branch, { xdp: 'tx' });
    const seen: [number, number][] = [];
    const sync = k.dma.dma_sync_single_range_for_device.bind(k.dma);
    k.dma.dma_sync_single_range_for_device = (base, offset, n, dir) => {
      seen.push([offset, n]);
      sync(base, offset, n, dir);
    };
    assert.ok(nic.hwReceive(len, 1));
    nic.poll(64);
    assert.equal(frames.length, 1);
    // The frame carries the 8-byte EDSA tag; the pool's own syncs (max_len from the RX offset) are not the TX one.
    assert.deepEqual(seen.filter(([off]) => off !== nic.geo.offset), [[nic.geo.offset + MVNETA_MH_SIZE, len + 8]]);
    assert.equal(k.findings.violationCount(), 0);
  });
}

// Item 4: the NAPI budget against two jumbo frames of three buffers each, polled with a budget of 4.
interface BudgetRow {
  fn: string;
  branch: string;
  set?: Record<string, string>;
  /** rx.frames, rx.drops, descriptors processed by the first poll, skbs handed over after both polls. */
  first: number;
  frames: number;
  drops: number;
  skbs: number;
  cached: number;
}
const BUDGET: BudgetRow[] = [
  // v4.20 / 2018 mvneta_rx_swbm: while (rcvd_pkts < budget ...): both frames fit a budget of 4 packets.
  { fn: 'v4.20/2018 counts packets', branch: 'mvneta_07', first: 6, frames: 2, drops: 0, skbs: 2, cached: 0 },
  // v5.5 mvneta_rx_swbm: while (rx_proc < budget ...), rxq->skb carries the cut frame into the next poll.
  { fn: 'v5.5 counts descriptors, the cut frame completes in the next poll', branch: 'v5.5', first: 3, frames: 2, drops: 0, skbs: 2, cached: 0 },
  // v5.14+/v6.1: the cut frame is freed by mvneta_xdp_put_buff (1 buffer), its other 2 buffers arrive without
  // FIRST_DESC and go back with page_pool_put_full_page(…, true): 3 pages into the alloc cache.
  { fn: 'v5.14 counts descriptors, mvneta_xdp_put_buff drops the cut frame', branch: 'upstream-5.14', first: 4, frames: 1, drops: 1, skbs: 1, cached: 3 },
  { fn: 'v6.1 counts descriptors, mvneta_xdp_put_buff drops the cut frame', branch: 'upstream-6.1', first: 4, frames: 1, drops: 1, skbs: 1, cached: 3 },
  { fn: 'napi_budget=packets on upstream-6.1', branch: 'upstream-6.1', set: { napi_budget: 'packets' }, first: 6, frames: 2, drops: 0, skbs: 2, cached: 0 },
];
for (const r of BUDGET) {
  test(`NAPI budget 4, two 9014-byte frames of 3 buffers: ${r.fn}`, () => {
    const { k, nic, skbs } = board(r.branch, { set: r.set, mtu: 9000 });
    assert.ok(nic.hwReceive(9014, 1));
    assert.ok(nic.hwReceive(9014, 2));
    assert.equal(nic.poll(4), r.first);
    nic.poll(64);
    assert.equal(nic.pendingDescriptors, 0);
    assert.equal(k.counters['rx.descriptors'], 6);
    assert.equal(k.counters['rx.frames'], r.frames);
    assert.equal(k.counters['rx.drops'], r.drops);
    assert.equal(skbs.length, r.skbs);
    assert.equal(k.counters['page_pool.recycle.cached'], r.cached);
    assert.equal(k.findings.violationCount(), 0);
  });
}

test('the budget cut is reachable from a jumbo step scenario: rx with poll: false, then napi_poll with a budget', () => {
  const steps = ['rx: { as: a, len: 9014, poll: false }', 'rx: { as: b, len: 9014, poll: false }', 'napi_poll: { budget: 4 }', 'napi_poll: {}', 'kfree_skb: a'];
  const out = runStepLines('upstream-6.1', steps, { mtu: 9000 });
  assert.equal(out.counters['rx.drops'], 1);
  assert.equal(out.counters['rx.frames'], 1);
  assert.deepEqual(out.leaks, {});
  assert.deepEqual(out.violations, {});
});

// mvneta_run_xdp XDP_DROP of a one-descriptor frame: page_pool_put_page(pool, page, sync_len, true) in NAPI
// recycles into the alloc cache (v5.5+ page_pool_recycle_direct; 2018 __page_pool_recycle_direct), unless the
// page is still referenced elsewhere (v5.7+ page_pool_put_page: page_ref_count != 1, released). The poll takes
// these frames in one call while nothing in them reports; these rows pin that both ways agree. The refill then
// takes the recycled page from the alloc cache (page_pool.alloc.fast), except in 2018, whose __page_pool_get_cached
// looks at the empty ptr_ring first and goes to the slow path, and when no page was recycled.
interface DropRow {
  fn: string;
  branch: string;
  /** Another reference to the frame's page is taken between the NIC's write and the poll. */
  held: boolean;
  counters: Record<string, number>;
}
const DROP: DropRow[] = [
  { fn: 'v6.1 page_pool_put_page: direct into the alloc cache, synced for the device', branch: 'upstream-6.1', held: false, counters: { 'page_pool.alloc.fast': 1, 'page_pool.alloc.slow': 0, 'xdp.drop': 1, 'page_pool.recycle.cached': 1, 'page_pool.recycle.released_refcnt': 0, 'dma.sync_for_cpu': 1 } },
  { fn: 'v6.1 page_pool_put_page: a page still referenced is released, not cached', branch: 'upstream-6.1', held: true, counters: { 'page_pool.alloc.fast': 0, 'page_pool.alloc.slow': 1, 'xdp.drop': 1, 'page_pool.recycle.cached': 0, 'page_pool.recycle.released_refcnt': 1, 'dma.sync_for_cpu': 1 } },
  { fn: 'v5.5 page_pool_put_page (bidirectional pool): direct into the alloc cache', branch: 'v5.5', held: false, counters: { 'page_pool.alloc.fast': 1, 'page_pool.alloc.slow': 0, 'xdp.drop': 1, 'page_pool.recycle.cached': 1, 'page_pool.recycle.released_refcnt': 0, 'dma.sync_for_cpu': 1 } },
  { fn: '2018 __page_pool_recycle_direct: direct into the alloc cache', branch: 'mvneta_07', held: false, counters: { 'page_pool.alloc.fast': 0, 'page_pool.alloc.slow': 1, 'xdp.drop': 1, 'page_pool.recycle.cached': 1, 'page_pool.recycle.released_refcnt': 0, 'dma.sync_for_cpu': 1 } },
];
for (const r of DROP) {
  test(`XDP_DROP of a one-buffer frame: ${r.fn}`, () => {
    const { k, nic } = board(r.branch, { xdp: 'drop' });
    const before = { ...k.counters };
    const syncs = k.counters['dma.sync_for_device'];
    k.frame = 7;
    assert.ok(nic.hwReceive(60, 7));
    const i = k.pages.rxFrame.indexOf(7);
    if (r.held) k.pages.refcount[i]!++;
    nic.poll(64);
    for (const [name, want] of Object.entries(r.counters)) assert.equal(k.counters[name as keyof typeof k.counters] - before[name as keyof typeof before], want, name);
    assert.equal(k.findings.violationCount(), 0);
    // a recycled page is synced for the device by the pool (PP_FLAG_DMA_SYNC_DEV) and by the refill (v5.5 mvneta_rx_refill)
    if (!r.held) assert.equal(k.counters['dma.sync_for_device'] - syncs, (nic.pool!.p.syncForDevice ? 1 : 0) + (k.knobs.refill_sync_for_device === 'true' ? 1 : 0));
  });
}

// v6.1 __page_pool_put_page with allow_direct: page_pool_recycle_in_cache refuses once the alloc cache holds
// PP_ALLOC_CACHE_SIZE pages, and the page goes to the ptr_ring (recycle.cache_full, recycle.ring). The poll
// takes XDP_DROP frames in one call only while the cache has room; the rest go one by one, and both agree.
for (const room of [0, 1, 2]) {
  test(`XDP_DROP of 3 frames with room for ${room} in the alloc cache (v6.1 page_pool_recycle_in_cache full)`, () => {
    const { k, nic } = board('upstream-6.1', { xdp: 'drop' });
    const pool = nic.pool!;
    k.inNapi = true;
    const taken: number[] = [];
    while (pool.cacheCount > 0 || taken.length < PP_ALLOC_CACHE_SIZE) taken.push(pool.alloc());
    for (const pfn of taken.slice(0, PP_ALLOC_CACHE_SIZE - room)) pool.put(pfn, -1, true);
    k.inNapi = false;
    assert.equal(pool.cacheCount, PP_ALLOC_CACHE_SIZE - room);
    const before = { ...k.counters };
    for (let f = 1; f <= 3; f++) assert.ok(nic.hwReceive(60, f));
    nic.poll(64);
    const delta = (name: keyof typeof before): number => k.counters[name] - before[name];
    assert.equal(delta('xdp.drop'), 3);
    assert.equal(delta('page_pool.recycle.cached'), room);
    assert.equal(delta('page_pool.recycle.cache_full'), 3 - room);
    assert.equal(delta('page_pool.recycle.ring'), 3 - room);
    assert.equal(delta('dma.sync_for_cpu'), 3);
    assert.equal(delta('dma.sync_for_device'), 3);
    // page_pool_dma_sync_for_device: dma_sync_size = the frame less its FCS, whichever way the page went back
    assert.equal(delta('dma.sync_for_device_bytes'), 3 * (rxBufferBytes(60, nic.dsaTag) - ETH_FCS_LEN));
    assert.equal(k.findings.violationCount(), 0);
  });
}
