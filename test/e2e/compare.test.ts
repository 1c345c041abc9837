// pp-sim compare: same traffic and seed per branch; findings are data (exit 0), a branch that
// cannot run a scenario is a skipped cell with its reason, and each finding shows its call path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/context.js';
import type { Report } from '../../src/sim/report.js';

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false, env: {} };
  return { code: main(argv, io), out, err };
}

test('compare: the copy bug shows on mvneta_03 only, XDP_TX is a skipped cell there, exit 0', () => {
  const r = run(['compare', 'mvneta_03', 'upstream-6.1', '--scenario', 'multicast-tap', '--scenario', 'xdp-tx', '--duration', '20ms', '--json', '-', '--no-color']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { schema: string; reports: Report[] };
  assert.equal(j.schema, 'pp-sim/compare@1');
  assert.deepEqual(j.reports.map((x) => `${x.scenario}@${x.branch}`), ['multicast-tap@mvneta_03', 'multicast-tap@upstream-6.1', 'xdp-tx@upstream-6.1']);
  const [bad, good] = j.reports;
  assert.equal(bad!.violations[0]!.kind, 'wrong-recycle');
  assert.equal(good!.violations.length, 0);
  assert.equal(bad!.counters['rx.frames'], good!.counters['rx.frames'], 'same traffic, same seed');
  // Human output (stderr, since --json - owns stdout): the skipped cell, the differing rows, the path.
  assert.match(r.err, /skipped: the XDP verdict tx needs XDP support, but branch mvneta_03 has xdp=none/);
  assert.match(r.err, /\* violation wrong-recycle/);
  assert.match(r.err, /mvneta_03: wrong-recycle x\d+: page pfn 0x[0-9a-f]+ \(kmalloc head from skb_copy\)\n\s+udp_recvmsg → .* → skb_free_head → xdp_return_skb_page → page_pool_put_page/);
});

test('compare: an unknown branch is an input error (exit 2)', () => {
  const r = run(['compare', 'mvneta_03', 'nope', '--scenario', 'multicast-datagram']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown branch 'nope'/);
});
