// The pool over time (issue 15): one sample per interval, read from counters at the boundaries;
// bounded in count; the JSON `intervals` array and the CSV carry the same samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SAMPLES } from '../../src/sim/engine.js';
import { renderReportJson, reportFromJson } from '../../src/report/json.js';
import { renderCsv, SAMPLE_COLUMNS } from '../../src/report/csv.js';
import { parseInterval } from '../../src/cli/pictures.js';
import { InputError } from '../../src/kernel/errors.js';
import { inflightLine, sparkline } from '../../src/report/sparkline.js';
import { runYaml } from '../helpers.js';

const TCP = `
name: tcp
traffic:
  - { kind: tcp, dst: 192.168.200.1, port: 5001 }
`;
const MCAST = (reader: string): string => `
name: m
traffic:
  - { kind: udp, dst: 226.94.1.1, rate: 1000M, len: 1470 }
host: { udp_sockets: 1, reader: ${reader} }
`;

test('samples: one per interval; their per-interval counts add up to the run\'s counters', () => {
  const r = runYaml(TCP, { branch: 'mvneta_03', duration: 300e6, interval: 50e6 });
  const xs = r.series!;
  assert.equal(xs.length, 6);
  assert.deepEqual(xs.map((x) => x.end_ns), [50e6, 100e6, 150e6, 200e6, 250e6, 300e6]);
  assert.deepEqual(xs.map((x) => x.start_ns), [0, 50e6, 100e6, 150e6, 200e6, 250e6]);
  const sum = (f: (x: (typeof xs)[number]) => number): number => xs.reduce((a, x) => a + f(x), 0);
  assert.equal(sum((x) => x.recycled), r.counters['page_pool.recycle.cached'] + r.counters['page_pool.recycle.ring']);
  assert.equal(sum((x) => x.dma_map), r.counters['dma.map']);
  assert.equal(sum((x) => x.dma_unmap), r.counters['dma.unmap']);
  assert.equal(sum((x) => x.dma_sync_for_cpu), r.counters['dma.sync_for_cpu']);
  assert.equal(sum((x) => x.alloc_slow), r.counters['page_pool.alloc.slow']);
  assert.equal(sum((x) => x.flows[0]!.bytes), r.counters['app.bytes_read']);
  for (const x of xs) assert.equal(x.inflight, x.hold_cnt - x.release_cnt);
  assert.equal(xs.at(-1)!.inflight, r.counters['page_pool.inflight']);
  // mvneta_03 never returns a page to its pool from the stack: inflight climbs every interval.
  for (let i = 1; i < xs.length - 1; i++) assert.ok(xs[i]!.inflight > xs[i - 1]!.inflight, `interval ${String(i)}`);
});

test('samples: upstream-6.1 keeps the pool flat; pages sit on the RX ring or in the pool', () => {
  const xs = runYaml(TCP, { duration: 300e6, interval: 100e6 }).series!;
  for (const x of xs.slice(0, -1)) {
    assert.ok(x.inflight <= 1024, `inflight ${String(x.inflight)}`);
    assert.equal(x.rx_ring, 512);
    assert.equal(x.pool_cache + x.pool_ring + x.rx_ring + x.in_stack, x.inflight);
  }
});

test('samples: a stalled reader fills the socket and the NIC drops; drops show in the interval they happen', () => {
  const r = runYaml(MCAST('stalled'), { duration: 200e6, interval: 50e6 });
  const drops = r.series!.reduce((a, x) => a + x.drops, 0);
  assert.equal(drops, r.counters['rx.drops']);
  assert.equal(r.series!.reduce((a, x) => a + x.flows[0]!.bytes, 0), 0);
});

test('samples: the count is bounded whatever the interval asks for', () => {
  const r = runYaml(MCAST('fast'), { duration: 20e6, interval: 1 });
  assert.equal(r.series!.length, MAX_SAMPLES);
  assert.throws(() => parseInterval('1us', 1e9), (e: unknown) => e instanceof InputError && /more than 10000 intervals/.test(e.message));
  assert.throws(() => parseInterval('0s', 1e9), InputError);
  assert.equal(parseInterval('250ms', 1e9), 250e6);
});

test('JSON `intervals` and CSV rows carry the samples; reading the JSON back gives them again', () => {
  const r = runYaml(TCP, { duration: 200e6, interval: 100e6 });
  const json = JSON.parse(renderReportJson(r)) as { intervals: Record<string, unknown>[] };
  assert.equal(json.intervals.length, 2);
  assert.deepEqual(Object.keys(json.intervals[0]!), [...SAMPLE_COLUMNS, 'flows']);
  assert.deepEqual(reportFromJson(json as never).series, r.series);
  const lines = renderCsv([r]).trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[0], `scenario,branch,seed,${SAMPLE_COLUMNS.join(',')},bytes:${r.series![0]!.flows[0]!.flow}`);
  assert.equal(lines[2]!.split(',')[SAMPLE_COLUMNS.indexOf('inflight') + 3], String(r.series![1]!.inflight));
});

test('steps scenarios have no samples and no `intervals` key', () => {
  const r = runYaml('name: s\nsteps:\n  - rx: { as: a, len: 1514 }\n  - kfree_skb: a\n');
  assert.equal(r.series, undefined);
  assert.ok(!('intervals' in JSON.parse(renderReportJson(r))));
});

test('sparkline: scaled to the maximum, pooled to the width; the inflight line names first, last and max', () => {
  assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), '▁▂▃▄▅▆▇█');
  assert.equal(sparkline([5, 5, 5]), '███');
  assert.equal(sparkline([0, 0]), '▁▁');
  assert.equal(sparkline([1, 9, 2, 2], 2), '█▂');
  const xs = runYaml(TCP, { branch: 'mvneta_03', duration: 300e6, interval: 100e6 }).series!;
  assert.match(inflightLine(xs), new RegExp(`^inflight [▁-█]{3} ${String(xs[0]!.inflight)} → ${String(xs[2]!.inflight)} pages \\(max ${String(xs[2]!.inflight)}, per 0.1s\\)$`));
});
