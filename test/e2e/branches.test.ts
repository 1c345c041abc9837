// Branches are data (branches.md): a user branch file extends a built-in one and overrides knobs;
// the n/a rule and the forbidden combinations are input errors with a reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/context.js';
import type { Report } from '../../src/sim/report.js';
import { resolveConfig } from '../../src/sim/config.js';
import { BRANCHES } from '../helpers.js';

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false, env: {} };
  return { code: main(argv, io), out, err };
}

test('a user branch file extends mvneta_03 and fixes the placement: pskb-copy becomes clean', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-sim-'));
  const file = join(dir, 'my-fix.yaml');
  writeFileSync(file, 'name: my-fix\ndescription: mvneta_03 with mem_info after the flags\nextends: mvneta_03\nset: { mem_info_placement: flags }\n');
  const r = run(['run', 'scenarios/steps/pskb-copy.yaml', '--branch', file, '--json', '-']);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(r.out) as Report;
  assert.equal(rep.branch, 'my-fix');
  assert.equal(rep.knobs.mem_info_placement, 'flags');
  assert.equal(rep.knobs.skb_recycle, 'mem_info');
});

test('a user branch with an unknown knob value names the file, line and key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-sim-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'name: bad\nextends: mvneta_07\nset:\n  coalesce: steel\n');
  const r = run(['run', 'multicast-datagram', '--branch', file]);
  assert.equal(r.code, 2);
  assert.match(r.err, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:13: set.coalesce: knob coalesce has no value 'steel'`));
});

test('every branch of branches.md resolves to the knobs the table gives it', () => {
  const want: Record<string, Record<string, string>> = {
    'baseline-4.20': { driver: 'copybreak', skb_recycle: 'none', rx_copybreak: '256', rx_geometry: 'v4.19', jumbo_frags: 'n/a', mem_info_placement: 'n/a', dma_addr_storage: 'n/a', backlog_coalesce: 'false' },
    mvneta_03: { driver: 'page_pool', skb_recycle: 'mem_info', mem_info_placement: 'headers', hook_checks_head_frag: 'false', dma_addr_storage: 'page-private', xdp: 'none', rx_geometry: 'rfc-2018', rx_copybreak: 'n/a', dsa_rcv: 'netif_receive_skb', backlog_coalesce: 'false' },
    mvneta_04: { xdp: 'drop_redirect', mem_info_placement: 'headers' },
    mvneta_07: { mem_info_placement: 'flags', xdp: 'none', backlog_coalesce: 'true' },
    'dma-addr-in-page': { mem_info_placement: 'flags', dma_addr_storage: 'page-dma_addr', dma_skip_cpu_sync: 'true', pool_sync_for_device: 'false' },
    'v5.5': { skb_recycle: 'none', pool_sync_for_device: 'true', xdp: 'all', xdp_dma_dir: 'bidirectional', inflight_accounting: 'true', rx_geometry: 'v5.5', mem_info_placement: 'n/a', jumbo_frags: 'release', dsa_rcv: 'netif_receive_skb', backlog_coalesce: 'true' },
    'upstream-5.14': { skb_recycle: 'pp_recycle', jumbo_frags: 'recycle', coalesce: 'pp_match', gro_pp_check: 'false', dsa_rcv: 'gro_cells', backlog_coalesce: 'true' },
    'upstream-6.1': { coalesce: 'pp_match_noclone', gro_pp_check: 'true', jumbo_frags: 'recycle', dsa_rcv: 'gro_cells' },
  };
  // Issue 11 era knobs: v4.20/2018 mvneta_rx_swbm and __page_pool_get_cached, v5.5-v5.8 and v5.14+ mvneta_rx_swbm / page_pool.
  const eras: Record<string, Record<string, string>> = {
    'baseline-4.20': { fcs_only_desc: 'n/a', napi_budget: 'packets', pool_alloc: 'n/a', refill_sync_for_device: 'n/a' },
    mvneta_03: { fcs_only_desc: 'ring', napi_budget: 'packets', pool_alloc: 'ring_first', refill_sync_for_device: 'false' },
    'dma-addr-in-page': { fcs_only_desc: 'ring', napi_budget: 'packets', pool_alloc: 'ring_first', refill_sync_for_device: 'false' },
    'v5.5': { fcs_only_desc: 'release', napi_budget: 'descriptors_carry', pool_alloc: 'cache_first' },
    'upstream-5.14': { fcs_only_desc: 'recycle', napi_budget: 'descriptors_drop', pool_alloc: 'bulk' },
    'upstream-6.1': { fcs_only_desc: 'recycle', napi_budget: 'descriptors_drop', pool_alloc: 'bulk', refill_sync_for_device: 'false' },
  };
  for (const [b, knobs] of Object.entries(eras)) Object.assign(want[b]!, knobs);
  for (const [b, knobs] of Object.entries(want)) {
    const c = resolveConfig(BRANCHES, b, undefined, 'espressobin', undefined, []);
    for (const [k, v] of Object.entries(knobs)) assert.equal((c.knobs as unknown as Record<string, string>)[k], v, `${b} ${k}`);
  }
  for (const [alias, b] of [['v4.20', 'baseline-4.20'], ['rfc-2018-12', 'mvneta_07'], ['v5.14', 'upstream-5.14'], ['mvneta_04_page_pool_recycle_xdp', 'mvneta_04']]) {
    assert.equal(resolveConfig(BRANCHES, alias!, undefined, 'espressobin', undefined, []).branch, b);
  }
});

test('combinations branches.md forbids are input errors that say why', () => {
  const cases: [string, string[], RegExp][] = [
    ['mvneta_07', ['jumbo_frags=recycle'], /jumbo_frags=recycle needs skb_recycle=pp_recycle/],
    ['upstream-6.1', ['jumbo_frags=keep'], /jumbo_frags=keep is not a pp_recycle design/],
    ['mvneta_07', ['coalesce=pp_match_clone'], /needs skb_recycle=pp_recycle/],
    ['upstream-6.1', ['hook_checks_head_frag=true'], /does not apply on branch upstream-6.1: it needs skb_recycle=mem_info/],
    ['baseline-4.20', ['jumbo_frags=keep'], /does not apply on branch baseline-4.20: it needs driver=page_pool/],
    ['upstream-6.1', ['page_size=65536'], /only 4096-byte pages are modelled/],
  ];
  for (const [b, sets, re] of cases) {
    const r = run(['run', 'multicast-datagram', '--branch', b, ...sets.flatMap((s) => ['--set', s])]);
    assert.equal(r.code, 2, `${b} ${sets.join(' ')}`);
    assert.match(r.err, re);
  }
});
