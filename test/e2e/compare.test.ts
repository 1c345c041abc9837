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

test('compare: variants of one branch (A A:knob=value) are two columns; --quiet keeps the closing line', () => {
  const r = run(['compare', 'mvneta_07', 'mvneta_07:coalesce=reject', '--scenario', 'coalesce', '--json', '-', '--no-color']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { reports: Report[] };
  assert.deepEqual(j.reports.map((x) => `${x.branch} ${x.knobs.coalesce ?? ''}`), ['mvneta_07 steal', 'mvneta_07 reject']);
  const lines = r.err.split('\n');
  assert.equal(lines[0], 'coalesce  seed 1  steps  platform espressobin');
  assert.match(lines[1]!, /^\s+mvneta_07\s+mvneta_07$/);
  assert.match(lines[2]!, /^\s+\+coalesce=reject$/);
  assert.match(r.err, /\* knob coalesce +steal +reject\n/);
  assert.match(r.err, /\npp-sim: 2 runs \(2 branches × 1 scenario\): 0 clean, 2 with findings, 0 skipped\n$/);
  const q = run(['compare', 'mvneta_07', 'upstream-6.1', '--scenario', 'coalesce', '--quiet']);
  assert.equal(q.code, 0, q.err);
  assert.equal(q.out, 'pp-sim: 2 runs (2 branches × 1 scenario): 1 clean, 1 with findings, 0 skipped\n');
});

test('compare: an error about an operand names the operand, not --branch', () => {
  const cases: [string, RegExp][] = [
    ['nope', /^pp-sim: compare nope: unknown branch 'nope'/],
    ['mvneta_07:coalesce=rejct', /^pp-sim: compare mvneta_07:coalesce=rejct: coalesce: knob coalesce has no value 'rejct'/],
    ['mvneta_07:coalesce', /^pp-sim: mvneta_07:coalesce: no built-in scenario|^pp-sim: compare mvneta_07:coalesce: unknown branch/],
    ['mvneta_07:coalesce=reject,xdp', /^pp-sim: compare mvneta_07:coalesce=reject,xdp: takes branch:knob=value\[,knob=value...\], got 'xdp'/],
  ];
  for (const [op, want] of cases) {
    const r = run(['compare', 'upstream-6.1', op, '--scenario', 'coalesce']);
    assert.equal(r.code, 2, op);
    assert.match(r.err, want, op);
    assert.ok(!r.err.includes('--branch'), op);
    assert.equal(r.err.trim().split('\n').length, 1, op);
  }
});
