import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/kernel/errors.js';
import { parseRate, parseSize, parseTime } from '../../src/workload/units.js';

function throwsInput(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes('\n'));
}

describe('parseSize', () => {
  const good: [string | number, number][] = [
    ['128K', 131072], ['1k', 1000], ['1470', 1470], [1470, 1470], ['1.5K', 1536], ['2M', 2097152],
    ['1m', 1_000_000], ['1G', 2 ** 30], ['1g', 1e9], [' 64 ', 64], ['0', 0], ['.5K', 512],
  ];
  for (const [input, want] of good) {
    it(`${JSON.stringify(input)} = ${want}`, () => {
      assert.equal(parseSize(input), want);
    });
  }

  const bad: [string | number, RegExp][] = [
    ['', /is not a size/], ['abc', /is not a size/], ['12X', /is not a size.*K, M, G/], ['-1', /is not a size/],
    ['1e3', /is not a size/], ['1.3K', /not a whole number of bytes/], [1.5, /not a whole number of bytes/],
    [Number.NaN, /is not a size/], [Infinity, /is not a size/], ['99999999G', /too large/],
  ];
  for (const [input, msg] of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      throwsInput(() => parseSize(input), msg);
    });
  }
});

describe('parseRate', () => {
  const good: [string | number, number][] = [
    ['1000M', 1_048_576_000], ['1M', 1_048_576], ['100m', 1e8], ['1.5k', 1500], [5000, 5000], ['1G', 2 ** 30],
  ];
  for (const [input, want] of good) {
    it(`${JSON.stringify(input)} = ${want}`, () => {
      assert.equal(parseRate(input), want);
    });
  }

  const bad: [string | number, RegExp][] = [
    ['0', /must be more than 0/], [0, /must be more than 0/], ['fast', /is not a rate/], ['-1M', /is not a rate/],
    ['1Mbps', /is not a rate/],
  ];
  for (const [input, msg] of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      throwsInput(() => parseRate(input), msg);
    });
  }
});

describe('parseTime', () => {
  const good: [string, number][] = [
    ['500ms', 5e8], ['30s', 3e10], ['1.5s', 1.5e9], ['10us', 1e4], ['7ns', 7], ['3600s', 3.6e12], ['0.5ms', 5e5],
    ['1.1s', 1_100_000_000], [' 2 s ', 2e9], ['2m', 1.2e11], ['1.5min', 9e10], ['1h', 3.6e12], ['0.5h', 1.8e12], ['3µs', 3e3],
  ];
  for (const [input, want] of good) {
    it(`${input} = ${want} ns`, () => {
      assert.equal(parseTime(input), want);
    });
  }

  const bad: [string, RegExp][] = [
    ['30', /'30' needs a unit: ns, us, ms, s, m or h/], ['', /is not a time/], ['2h', /'2h' is more than the maximum, 1 h/], ['1d', /unknown unit 'd'/],
    ['3601s', /more than the maximum, 1 h/], ['61m', /more than the maximum, 1 h/], ['0s', /must be more than 0/], ['1.5ns', /whole number of nanoseconds/],
    ['-1s', /is not a time/], ['abc', /is not a time/], ['30S', /is not a time/], ['1\n0s', /'1\\n0s' is not a time/],
  ];
  for (const [input, msg] of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      throwsInput(() => parseTime(input), msg);
    });
  }
});
