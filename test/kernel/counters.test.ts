import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { Kernel, newCounters } from '../../src/kernel/kernel.js';
import { COUNTER_NAMES } from '../../src/kernel/names.js';
import { WIDE_ZERO } from '../../src/kernel/typed.js';
import { newReadStats } from '../../src/net/udp.js';
import { resolveConfig } from '../../src/sim/config.js';
import { TcpSource } from '../../src/workload/generators.js';
import { BRANCHES } from '../helpers.js';

// The counters are laid out as doubles (built from 0.5) and reset; what reports read must be a plain +0.
test('newCounters: every counter starts at +0', () => {
  const c = newCounters();
  assert.deepEqual(Object.keys(c), [...COUNTER_NAMES]);
  for (const n of COUNTER_NAMES) assert.ok(Object.is(c[n], 0), `${n} is ${String(c[n])}`);
});

test('newCounters: a count past 2^31 stays exact', () => {
  const c = newCounters();
  c['rx.bytes'] += 2 ** 31 - 1;
  c['rx.bytes'] += 1514;
  assert.equal(c['rx.bytes'], 2 ** 31 + 1513);
});

// A field that starts at WIDE_ZERO prints and serialises as 0 before anything is added to it.
test('WIDE_ZERO reads as 0 in reports', () => {
  assert.equal(JSON.stringify({ t: WIDE_ZERO }), '{"t":0}');
  assert.equal(`${WIDE_ZERO}`, '0');
  assert.equal(WIDE_ZERO + 1500, 1500);
  assert.equal(Math.max(WIDE_ZERO, 0) === 0, true);
});

// V8 lays a field out as a small integer when it first holds one; a value past 2^31 then changes the
// object's shape and deoptimises every function using it. These objects must keep their shape.
setFlagsFromString('--allow-natives-syntax');
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- V8's %HaveSameMap is only reachable from compiled source
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
const BIG = 2 ** 33 + 1;

test('a count past 2^31 keeps the counters object in shape', () => {
  const [a, b] = [newCounters(), newCounters()];
  for (const n of COUNTER_NAMES) a[n] += BIG;
  assert.ok(sameMap(a, b));
});

test('simulated time and frame numbers past 2^31 keep the Kernel in shape', () => {
  const c = resolveConfig(BRANCHES, 'upstream-6.1', undefined, 'espressobin', undefined, []);
  const [a, b] = [new Kernel(c.knobs, c.facts), new Kernel(c.knobs, c.facts)];
  a.now = BIG;
  a.frame = BIG;
  assert.ok(sameMap(a, b));
});

test('UDP read stats past 2^31 bytes and TCP sequence numbers past 2^31 keep their objects in shape', () => {
  const [a, b] = [newReadStats(), newReadStats()];
  a.bytes += BIG;
  assert.ok(sameMap(a, b));
  const [s, t] = [new TcpSource(0, 'tcp', 1448, 65535, Infinity), new TcpSource(0, 'tcp', 1448, 65535, Infinity)];
  const out = { len: 0, seq: 0, payload: 0 };
  s.onAck(BIG, 65535);
  s.emit(BIG, out);
  assert.ok(sameMap(s, t));
});
