import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newCounters } from '../../src/kernel/kernel.js';
import { COUNTER_NAMES } from '../../src/kernel/names.js';
import { WIDE_ZERO } from '../../src/kernel/typed.js';

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
