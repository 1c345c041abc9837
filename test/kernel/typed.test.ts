// PageArrays (src/kernel/typed.ts): per-page typed arrays carved from one buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageArrays } from '../../src/kernel/typed.js';

test('PageArrays: each array has the length, starts zeroed and shares no byte with another', () => {
  const a = new PageArrays(1000, 16);
  const x = a.take(Uint8Array);
  const y = a.take(Float64Array);
  const z = a.take(Int32Array);
  for (const v of [x, y, z]) {
    assert.equal(v.length, 1000);
    assert.ok(v.every((e) => e === 0));
  }
  x.fill(0xff);
  y.fill(-1);
  z.fill(-1);
  assert.ok(x.every((e) => e === 0xff));
  assert.ok(y.every((e) => e === -1));
  assert.ok(z.every((e) => e === -1));
});

test('PageArrays: taking more than the bytes per element reserved is refused', () => {
  const a = new PageArrays(1000, 12);
  a.take(Float64Array);
  a.take(Int32Array);
  assert.throws(() => a.take(Int32Array), RangeError);
});

test('PageArrays: an odd length keeps every array aligned for Float64Array', () => {
  const a = new PageArrays(3, 9);
  a.take(Uint8Array);
  assert.doesNotThrow(() => a.take(Float64Array));
});

test('PageArrays: a board of one page still gets all its per-page arrays', () => {
  const a = new PageArrays(1, 104);
  for (let i = 0; i < 29; i++) a.take(i % 2 === 0 ? Uint8Array : Float64Array);
});
