import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/context.js';
import type { Report } from '../../src/sim/report.js';

function capture(argv: string[], env: Record<string, string | undefined> = {}): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false, env };
  const code = main(argv, io);
  return { code, out, err };
}

test('run multicast (the quick start) passes and prints the closing line', () => {
  const r = capture(['run', 'multicast', '--no-color']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /pp-sim: 1 passed, 0 failed\n$/);
});

test('pskb_copy on mvneta_03 reports wrong-recycle through the skb_free_head hook and exits 1', () => {
  const r = capture(['run', 'scenarios/steps/pskb-copy.yaml', '--branch', 'mvneta_03', '--json', '-']);
  assert.equal(r.code, 1);
  const rep = JSON.parse(r.out) as Report;
  assert.equal(rep.result, 'fail');
  const v = rep.violations.find((x) => x.kind === 'wrong-recycle');
  assert.ok(v, 'wrong-recycle reported');
  assert.deepEqual(v.first.path.slice(-3), ['skb_free_head', 'xdp_return_skb_page', 'page_pool_put_page']);
  assert.match(v.first.object, /kmalloc head from pskb_copy/);
  assert.match(r.err, /pp-sim: 0 passed, 1 failed/);
});

test('pskb_copy on mvneta_07 is clean', () => {
  const r = capture(['run', 'scenarios/steps/pskb-copy.yaml', '--branch', 'mvneta_07', '--json', '-']);
  assert.equal(r.code, 0, r.err);
  assert.equal((JSON.parse(r.out) as Report).violations.length, 0);
});

test('same seed gives byte-identical JSON', () => {
  const a = capture(['run', 'multicast', '--json', '-']).out;
  const b = capture(['run', 'multicast', '--json', '-']).out;
  assert.equal(a, b);
});

test('input errors exit 2 with one line naming the source', () => {
  const cases: [string[], RegExp][] = [
    [['run', 'multicast', '--branch', 'nope'], /--branch: unknown branch 'nope'/],
    [['run', 'multicast', '--set', 'coalesce=bogus'], /--set: coalesce: knob coalesce has no value 'bogus'/],
    [['run', 'multicast', '--set', 'rx_copybreak=128'], /knob rx_copybreak does not apply on branch upstream-6.1: it needs driver=copybreak/],
    [['run', 'multicast', '--set', 'nosuch=1'], /unknown knob 'nosuch'/],
    [['run', 'multicast', '--branch', 'mvneta_07', '--set', 'coalesce=pp_match'], /coalesce=pp_match needs skb_recycle=pp_recycle/],
    [['run', 'does-not-exist'], /does-not-exist: no built-in scenario/],
    [['run', 'multicast', '--seed', 'x'], /--seed/],
    [['run', 'multicast', '--duration', '3 parsecs'], /--duration/],
    [['list', 'bogus'], /list takes one of/],
  ];
  for (const [argv, re] of cases) {
    const r = capture(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length <= 2, true, r.err);
    assert.doesNotMatch(r.err, /\bat .*\.ts:\d+/);
  }
});

test('unknown option is a usage error (exit 2), --version and --help exit 0', () => {
  assert.equal(capture(['run', 'multicast', '--frobnicate']).code, 2);
  assert.equal(capture(['--version']).code, 0);
  assert.equal(capture(['--help']).code, 0);
});

test('list prints one line per knob and every branch', () => {
  const knobs = capture(['list', 'knobs']);
  assert.equal(knobs.code, 0);
  assert.equal(knobs.out.trim().split('\n').length, 18);
  const br = capture(['list', 'branches']).out;
  for (const b of ['baseline-4.20', 'mvneta_03', 'mvneta_04', 'mvneta_07', 'dma-addr-in-page', 'v5.5', 'upstream-5.14', 'upstream-6.1']) assert.match(br, new RegExp(`^${b.replace('.', '\\.')} `, 'm'));
});
