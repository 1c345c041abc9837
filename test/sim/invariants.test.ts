// The model's own books (sim/invariants.ts): a mismatch is a bug in pp-sim, raised as an internal error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DmaDir } from '../../src/kernel/dma.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { PagePool } from '../../src/kernel/page_pool.js';
import { Owner } from '../../src/kernel/page.js';
import { resolveConfig } from '../../src/sim/config.js';
import { checkInvariants } from '../../src/sim/invariants.js';
import { BRANCHES } from '../helpers.js';

function board(): { k: Kernel; pfns: number[] } {
  const c = resolveConfig(BRANCHES, 'upstream-6.1', undefined, 'espressobin', undefined, []);
  const k = new Kernel(c.knobs, c.facts);
  const p = new PagePool(k, k.pools.length, {
    poolSize: 512, dmaDir: DmaDir.from_device, offset: 256, maxLen: 3520, syncForDevice: false, skipCpuSync: true,
    dmaInPrivate: false, setPpInfo: true, inflightAccounting: true, releaseRetry: 'page_pool', dmaTracking: false,
  });
  k.pools.push(p);
  k.inNapi = true;
  const pfns = [p.alloc(), p.alloc(), p.alloc()];
  return { k, pfns };
}

test('checkInvariants: a pool whose inflight matches the pages it owns passes', () => {
  const { k } = board();
  assert.doesNotThrow(() => { checkInvariants(k); });
});

test('checkInvariants: every pool page counts, the highest included', () => {
  const { k, pfns } = board();
  const last = Math.max(...pfns) - k.pages.base;
  k.pages.owner[last] = Owner.page;
  assert.throws(() => { checkInvariants(k); }, /page_pool #1: inflight 3 but 2 pool pages/);
});

test('checkInvariants: an odd DMA address in struct page (§8.9) is found on any pool page', () => {
  const { k, pfns } = board();
  const i = Math.max(...pfns) - k.pages.base;
  k.pages.dmaAddr[i] = k.pages.dmaAddr[i]! + 1;
  assert.throws(() => { checkInvariants(k); }, /odd DMA address in struct page/);
});
