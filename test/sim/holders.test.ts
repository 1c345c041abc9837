// Who holds the pool's pages (issue 13): per-page holder and since-time, the page-pool-get-like
// views of --holders and the holders step, events in traffic scenarios, leak findings by holder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kernel } from '../../src/kernel/kernel.js';
import { Owner } from '../../src/kernel/page.js';
import { InputError } from '../../src/kernel/errors.js';
import { renderReportJson } from '../../src/report/json.js';
import { resolveConfig } from '../../src/sim/config.js';
import { judgeLeaks } from '../../src/sim/leaks.js';
import type { Report } from '../../src/sim/report.js';
import { Mvneta } from '../../src/driver/mvneta.js';
import { parseScenario } from '../../src/workload/parse.js';
import { runScenarioFull } from '../../src/workload/run.js';
import { BRANCHES } from '../helpers.js';

function run(yaml: string, branch = 'upstream-6.1', set: Record<string, string> = {}): Report {
  const s = parseScenario(yaml, 'holders.yaml');
  const config = resolveConfig(BRANCHES, branch, undefined, 'espressobin', undefined, Object.entries(set).map(([key, value]) => ({ key, value, loc: undefined })));
  return runScenarioFull({ scenario: s, config, seed: 1, durationNs: s.durationNs, toolVersion: 'test', holders: true });
}

const STALLED = `
name: stalled
duration: 3s
traffic:
  - { kind: udp, dst: 226.94.1.1, port: 5001, rate: 100M }
host: { udp_sockets: 1, taps: 1, tap_mode: copy, reader: stalled }
events:
  - { at: 1500ms, do: pool_destroy }
`;

test('--holders on a traffic run: a view per interval and at the end; after destroy the socket and the tap hold the pages', () => {
  const r = run(STALLED);
  const v = r.holders!;
  assert.deepEqual(v.map((x) => x.at), ['1.0 s', '2.0 s', 'end of traffic (3 s)', 'after close and teardown (3.5 s)']);
  const before = v[0]!.pools[0]!;
  assert.equal(before.state, 'alive');
  assert.equal(before['detach-time'], null);
  assert.equal(before.holders.find((h) => h.holder === 'rx-ring')?.pages, 512);
  const after = v[2]!.pools[0]!;
  assert.equal(after.state, 'destroyed');
  assert.equal(after['detach-time'], 1);
  assert.equal(after['inflight-mem'], after.inflight * 4096);
  assert.equal(after.release_retries, 1);
  // The tap's clones share the pages with the socket's skbs: the page is the tap's once the tap queued it last.
  const sum = after.holders.reduce((a, h) => a + h.pages, 0);
  assert.equal(sum, after.inflight);
  assert.ok(after.holders.every((h) => /^(udp 226\.94\.1\.1:5001 rcvq|tap eth0#1)$/.test(h.holder)), JSON.stringify(after.holders));
  // The oldest page has been there since the first second of traffic.
  assert.ok(after.holders.some((h) => h.oldest_ns > 2.9e9), JSON.stringify(after.holders));
  assert.equal(v[3]!.pools[0]!.state, 'freed');
  assert.equal(v[3]!.pools[0]!.inflight, 0);
});

test('JSON: holders views with the netlink names (id, ifindex, napi-id, inflight, inflight-mem, detach-time), after leaks', () => {
  const j = JSON.parse(renderReportJson(run(STALLED))) as Record<string, unknown>;
  const keys = Object.keys(j);
  assert.ok(keys.indexOf('holders') > keys.indexOf('leaks') && keys.indexOf('holders') < keys.indexOf('expect'));
  const pool = (j.holders as { pools: Record<string, unknown>[] }[])[2]!.pools[0]!;
  assert.deepEqual(Object.keys(pool), ['id', 'ifindex', 'napi-id', 'inflight', 'inflight-mem', 'detach-time', 'state', 'release_retries', 'holders']);
  assert.equal(pool['napi-id'], null);
  assert.equal(pool.ifindex, 2);
});

test('holders step: pages by holder in a step scenario; a spliced head leaves the pool (page_pool_put_page with refcount 2 releases it, v6.1)', () => {
  const r = run(`
name: holders-steps
steps:
  - rx: { as: a }
  - rx: { as: b }
  - skb_splice_bits: { skb: b, as: p }
  - kfree_skb: b
  - holders:
  - kfree_skb: a
  - pipe_release: p
  - holders:
`);
  const [one, two] = r.holders!.map((v) => Object.fromEntries(v.pools[0]!.holders.map((h) => [h.holder, h.pages])));
  assert.deepEqual(r.holders!.map((v) => v.at), ['step 5', 'step 8', 'end']);
  // v5.13+ __page_pool_alloc_pages_slow allocates 64 pages a call: 62 still sit in the alloc cache.
  assert.deepEqual(one, { 'rx-ring': 512, 'pool-cache': 62, 'napi/gro': 1 });
  assert.deepEqual(two, { 'rx-ring': 512, 'pool-cache': 62, ptr_ring: 1 });
  assert.equal(r.counters['page_pool.recycle.released_refcnt'], 1);
});

test('leak findings name the holders of the leaked pages', () => {
  const c = resolveConfig(BRANCHES, 'upstream-6.1', undefined, 'espressobin', undefined, []);
  const k = new Kernel(c.knobs, c.facts);
  const nic = new Mvneta(k, { mtu: 1500, rxRing: 16, xdp: 'none' }, { receive: () => undefined, xdpFrame: () => undefined });
  nic.ifup();
  const place = k.places.register('udp 10.0.0.1:5001 rcvq');
  const pool = nic.pool!;
  const pfn = pool.alloc();
  k.hold(pfn, place);
  // A pool page someone keeps with a bare page reference (no skb): the pool's stalled inflight.
  nic.ifdown();
  judgeLeaks(k, { nameOf: () => undefined, tNs: 0 });
  const leak = k.findings.listLeaks().find((l) => l.kind === 'pool-inflight');
  assert.ok(leak, 'pool-inflight');
  assert.match(leak.first.object, /held by udp 10\.0\.0\.1:5001 rcvq 1$/);
  assert.equal(k.pages.owner[k.pages.idx(pfn)], Owner.pool);
});

test('events: only in traffic scenarios, within the run, one of link_down, pool_destroy, unbind', () => {
  const bad = [
    ['name: x\nsteps: [ { rx: a } ]\nevents: [ { at: 1s, do: unbind } ]\n', /events are for traffic scenarios/],
    ['name: x\nduration: 1s\ntraffic: [ { kind: udp, dst: 10.0.0.1 } ]\nevents: [ { at: 2s, do: unbind } ]\n', /after the end of the run/],
    ['name: x\ntraffic: [ { kind: udp, dst: 10.0.0.1 } ]\nevents: [ { at: 1s, do: rmmod } ]\n', /expected link_down, pool_destroy or unbind/],
  ] as const;
  for (const [yaml, msg] of bad) assert.throws(() => parseScenario(yaml, 'e.yaml'), (e: unknown) => e instanceof InputError && msg.test(e.message));
});

test('link_down: frames stop reaching the NIC (rx.drops), the pool stays alive', () => {
  const r = run(`
name: carrier
duration: 200ms
traffic:
  - { kind: udp, dst: 10.0.0.1, rate: 100M }
events:
  - { at: 100ms, do: link_down }
`);
  const last = r.holders!.at(-2)!.pools[0]!;
  assert.equal(last.state, 'alive');
  assert.ok(r.counters['rx.drops'] > 800);
  assert.ok(Math.abs(r.counters['rx.frames'] - r.counters['rx.drops']) < 20);
});
