// Random sequences of legal page_pool use (alloc, put with and without allow_direct, extra page
// references, NAPI on/off, destroy) against a reference count of who holds what
// (pagepool-dma-semantics.md §8.1–8.4): no finding, inflight = held + cached + in the ring, and
// every page the pool holds has refcount 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DmaDir } from '../../src/kernel/dma.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { Owner } from '../../src/kernel/page.js';
import { PagePool } from '../../src/kernel/page_pool.js';
import { resolveConfig } from '../../src/sim/config.js';
import { checkInvariants } from '../../src/sim/invariants.js';
import { BRANCHES } from '../helpers.js';

type Op = { op: 'alloc' } | { op: 'put'; i: number; direct: boolean } | { op: 'ref'; i: number } | { op: 'napi'; on: boolean } | { op: 'destroy' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Op>({ op: 'alloc' }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('put' as const), i: fc.nat(), direct: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ref' as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('napi' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant<Op>({ op: 'destroy' }) },
);

test('page_pool under random legal use keeps its books (fast-check, fixed seed)', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300 }), fc.integer({ min: 4, max: 64 }), (ops, poolSize) => {
      const c = resolveConfig(BRANCHES, 'upstream-6.1', undefined, 'espressobin', undefined, []);
      const k = new Kernel(c.knobs, c.facts);
      const p = new PagePool(k, 1, { poolSize, dmaDir: DmaDir.from_device, offset: 256, maxLen: 3520, syncForDevice: true, skipCpuSync: true, dmaInPrivate: false, setPpInfo: true, inflightAccounting: true, releaseRetry: 'page_pool', dmaTracking: false });
      k.pools.push(p);
      // Pages the test holds, with the extra references it took on each.
      const held: { pfn: number; extra: number }[] = [];
      let destroyed = false;
      for (const o of ops) {
        if (o.op === 'alloc' && !destroyed) {
          const pfn = p.alloc();
          if (pfn >= 0) held.push({ pfn, extra: 0 });
        } else if (o.op === 'put' && held.length > 0) {
          const h = held.splice(o.i % held.length, 1)[0]!;
          p.put(h.pfn, -1, o.direct && k.inNapi);
          // The other holders drop their references later, as the stack would.
          for (let e = 0; e < h.extra; e++) k.put_page(h.pfn);
        } else if (o.op === 'ref' && held.length > 0) {
          const h = held[o.i % held.length]!;
          k.get_page(h.pfn);
          h.extra++;
        } else if (o.op === 'napi') {
          k.inNapi = o.on;
        } else if (o.op === 'destroy' && !destroyed) {
          p.destroy();
          destroyed = true;
        }
        checkInvariants(k);
        assert.equal(p.inflight, held.length + p.cacheCount + p.ring.count);
      }
      assert.deepEqual(k.findings.listViolations(), []);
      for (let i = 0; i < p.cacheCount; i++) assert.equal(k.pages.refcount[k.pages.idx(p.cache[i]!)], 1);
      for (const h of held) assert.equal(k.pages.owner[k.pages.idx(h.pfn)], Owner.pool);
    }),
    { seed: 20181207, numRuns: 200 },
  );
});
