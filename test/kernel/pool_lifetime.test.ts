// Pool lifetime per era (issue 11 item 11, issue 13): page_pool_destroy with pages in flight, the
// release retry every second, each era's warning text and timing, forced disconnect, late returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DmaDir } from '../../src/kernel/dma.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { DEFER_TIME_NS, PagePool, type PagePoolParams } from '../../src/kernel/page_pool.js';
import { resolveConfig } from '../../src/sim/config.js';
import { BRANCHES, kinds, runYaml } from '../helpers.js';

const S = 1e9;

function setup(over: Partial<PagePoolParams>): { k: Kernel; p: PagePool } {
  const c = resolveConfig(BRANCHES, 'upstream-6.1', undefined, 'espressobin', undefined, []);
  const k = new Kernel(c.knobs, c.facts);
  const p = new PagePool(k, 1, {
    poolSize: 64, dmaDir: DmaDir.from_device, offset: 256, maxLen: 3520, syncForDevice: true, skipCpuSync: true,
    dmaInPrivate: false, setPpInfo: true, inflightAccounting: true, releaseRetry: 'page_pool', dmaTracking: false, ...over,
  });
  k.pools.push(p);
  k.xdpMem.register(p);
  return { k, p };
}

/** Destroys at `at` with `out` pages held elsewhere, then lets the release work run until `until`. */
function stall(over: Partial<PagePoolParams>, out: number, at: number, until: number, between?: (p: PagePool, k: Kernel) => void) {
  const { k, p } = setup(over);
  const pages = Array.from({ length: out }, () => p.alloc());
  k.now = at;
  p.destroy();
  const runs: number[] = [];
  while (p.nextRetryNs <= until) {
    runs.push(p.nextRetryNs);
    p.releaseRetry();
    between?.(p, k);
  }
  return { k, p, pages, runs, log: k.log.map((l) => `${String(l.t_ns / S)}: ${l.text}`) };
}

test('release retry: DEFER_TIME is one second after page_pool_destroy, every second after (page_pool_release_retry v5.5+, mem_id_disconnect_defer_retry v5.3)', () => {
  for (const releaseRetry of ['page_pool', 'xdp_mem', 'page_pool_id'] as const) {
    const { runs, p } = stall({ releaseRetry }, 2, 5 * S, 10 * S);
    assert.deepEqual(runs, [6, 7, 8, 9, 10].map((t) => t * S), releaseRetry);
    assert.equal(p.retries, 5);
    assert.equal(p.detachNs, 5 * S);
    assert.equal(DEFER_TIME_NS, S);
  }
});

test('stalled warning per era: text, first time and repeat interval', () => {
  const rows = [
    {
      cite: 'net/core/page_pool.c page_pool_release_retry, v5.5 (c3f812cea0d7) to v6.7: DEFER_WARN_INTERVAL 60 s',
      releaseRetry: 'page_pool',
      want: ['65: page_pool_release_retry() stalled pool shutdown 3 inflight 60 sec', '125: page_pool_release_retry() stalled pool shutdown 3 inflight 120 sec'],
    },
    {
      cite: 'net/core/page_pool.c page_pool_release_retry, v6.8+ (pool id in the text; mvneta sets no pp_params.netdev)',
      releaseRetry: 'page_pool_id',
      want: ['65: page_pool_release_retry() stalled pool shutdown: id 1, 3 inflight 60 sec', '125: page_pool_release_retry() stalled pool shutdown: id 1, 3 inflight 120 sec'],
    },
    {
      cite: 'net/core/page_pool.c page_pool_release_retry, v6.8+: muted while pool->slow.netdev is a registered netdev',
      releaseRetry: 'page_pool_id_netlink',
      want: [],
    },
    {
      cite: 'net/core/xdp.c mem_id_disconnect_defer_retry, v5.3/v5.4: DEFER_WARN_INTERVAL 30 s, attempts = disconnect_cnt (1 from xdp_rxq_info_unreg_mem_model)',
      releaseRetry: 'xdp_mem',
      want: [
        '35: mem_id_disconnect_defer_retry() stalled mem.id=1 shutdown 31 attempts 30 sec',
        '65: mem_id_disconnect_defer_retry() stalled mem.id=1 shutdown 61 attempts 60 sec',
        '95: mem_id_disconnect_defer_retry() stalled mem.id=1 shutdown 91 attempts 90 sec',
        '125: mem_id_disconnect_defer_retry() stalled mem.id=1 shutdown 121 attempts 120 sec',
      ],
    },
  ] as const;
  for (const r of rows) {
    const { log } = stall({ releaseRetry: r.releaseRetry }, 3, 5 * S, 130 * S);
    assert.deepEqual(log, r.want, r.cite);
  }
});

test('v6.8 netlink-visible pool: the warning is muted until unregister_netdev poisons the netdev, then it prints at the next retry', () => {
  const { log } = stall({ releaseRetry: 'page_pool_id_netlink' }, 3, 0, 100 * S, (p, k) => {
    if (k.now === 80 * S) p.netdevGone = true;
  });
  assert.deepEqual(log, ['81: page_pool_release_retry() stalled pool shutdown: id 1, 3 inflight 81 sec']);
});

test('v5.3 forced disconnect: once disconnect_cnt exceeds DEFER_MAX_RETRIES (120) the pool is freed with pages out (__mem_id_disconnect force)', () => {
  const { p, runs, k, pages } = stall({ releaseRetry: 'xdp_mem' }, 3, 0, 200 * S);
  assert.equal(runs.at(-1), 121 * S);
  assert.equal(p.freed, true);
  assert.equal(p.forced, true);
  assert.equal(p.inflight, 3);
  // The mem id is gone: an XDP return falls back to put_page, and the mapping goes with the page.
  assert.equal(k.xdpMem.lookup(p.memId), undefined);
  k.put_page(pages[0]!);
  assert.equal(k.findings.violationCount('freed-while-mapped'), 1);
});

test('no era waits forever: v5.5+ never forces, the pool is freed at the first retry after the last page came back', () => {
  const { k, p } = setup({});
  const pages = [p.alloc(), p.alloc()];
  p.destroy();
  for (let i = 0; i < 200; i++) p.releaseRetry();
  assert.equal(p.freed, false);
  for (const pfn of pages) p.put(pfn, -1, false);
  assert.equal(p.ring.count, 2, 'a late page waits in the ptr_ring for the scrub');
  assert.equal(p.freed, false);
  p.releaseRetry();
  assert.equal(p.freed, true);
  assert.equal(p.inflight, 0);
  assert.equal(k.log.length, 3);
});

const LATE = (extra: string) => `
name: late-return
steps:
  - rx: { as: a }
${extra}
  - kfree_skb: a
`;

test('a page that comes back after destroy, per era (table)', () => {
  const rows = [
    { cite: '2018 __xdp_return: mem.id lookup fails after xdp_rxq_info_unreg, put_page, the mapping goes with the page', branch: 'mvneta_07', steps: '  - page_pool_destroy:', set: {}, want: { 'freed-while-mapped': 1 } },
    { cite: 'v5.5+ page_pool_release_retry: the pool waits and the scrub unmaps the late page', branch: 'upstream-5.14', steps: '  - page_pool_destroy:', set: {}, want: {} },
    { cite: 'before v6.15: the late page is synced and unmapped through the unbound device', branch: 'upstream-6.1', steps: '  - dev_unbind:', set: {}, want: { 'unmap-after-unbind': 1 } },
    { cite: 'v6.15 ee62ce7a1d90: unmapped at destroy, nothing through the gone device', branch: 'upstream-6.1', steps: '  - dev_unbind:', set: { pool_dma_tracking: 'true' }, want: {} },
    { cite: '2018 after unbind: put_page of a page still mapped (no unmap at all)', branch: 'mvneta_07', steps: '  - dev_unbind:', set: {}, want: { 'freed-while-mapped': 1 } },
  ];
  for (const r of rows) {
    const rep = runYaml(LATE(r.steps), { branch: r.branch, set: r.set });
    assert.deepEqual(kinds(rep), r.want, r.cite);
  }
});

test('v6.15 pool_dma_tracking: the unmap happens at destroy, the sync for device stops, and the late return does neither', () => {
  const off = runYaml(LATE('  - page_pool_destroy:'), {});
  const on = runYaml(LATE('  - page_pool_destroy:'), { set: { pool_dma_tracking: 'true' } });
  // Counters are taken before the final teardown: with tracking the in-flight page was unmapped by destroy already.
  assert.equal(on.counters['dma.unmap'] - off.counters['dma.unmap'], 1);
  assert.equal(off.counters['dma.sync_for_device'] - on.counters['dma.sync_for_device'], 1);
});
