// The syncs that take the caller's page (DmaApi.syncForCpuOnPage / syncForDeviceOnPage) must act and
// report exactly as dma_sync_single_range_for_cpu / _for_device do, on the fast path and off it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DmaDir, DMA_ATTR_SKIP_CPU_SYNC, type DmaDirCode } from '../../src/kernel/dma.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { Owner, PAGE_SIZE } from '../../src/kernel/page.js';
import { resolveConfig } from '../../src/sim/config.js';
import { BRANCHES } from '../helpers.js';

function kernel(platform: string): Kernel {
  const c = resolveConfig(BRANCHES, 'upstream-6.1', undefined, platform, undefined, []);
  return new Kernel(c.knobs, c.facts);
}

type Case = { name: string; platform?: string; setup?: (k: Kernel, pfn: number, a: number) => number; offset: number; len: number; dir: DmaDirCode };

const CASES: Case[] = [
  { name: 'in range, same direction', offset: 256, len: 70, dir: DmaDir.from_device },
  { name: 'beyond the mapping', offset: 256, len: PAGE_SIZE, dir: DmaDir.from_device },
  { name: 'direction mismatch', offset: 256, len: 70, dir: DmaDir.to_device },
  { name: 'unmapped address', setup: (k, _pfn, a) => (k.dma.dma_unmap_page(a, PAGE_SIZE, DmaDir.from_device, 0), a), offset: 0, len: 64, dir: DmaDir.from_device },
  { name: 'device unbound', setup: (k, _pfn, a) => (k.dma.unbind(0), a), offset: 0, len: 64, dir: DmaDir.from_device },
  { name: 'a later mapping heads the page', setup: (k, pfn, a) => (k.dma.dma_map_page(pfn, 2048, 512, DmaDir.to_device, 0), a), offset: 256, len: 70, dir: DmaDir.from_device },
  { name: 'the later mapping itself', setup: (k, pfn) => k.dma.dma_map_page(pfn, 2048, 512, DmaDir.to_device, 0), offset: 0, len: 64, dir: DmaDir.to_device },
  { name: 'address of another page', setup: (_k, _pfn, a) => a + PAGE_SIZE, offset: 0, len: 64, dir: DmaDir.from_device },
  {
    name: 'truncated address (32-bit page->private)',
    platform: 'arm32-lpae',
    setup: (k, _pfn, a) => {
      const t = a % 2 ** 32;
      k.dma.noteTruncated(t, a);
      return t;
    },
    offset: 0,
    len: 64,
    dir: DmaDir.from_device,
  },
];

function run(c: Case, onPage: boolean, forDevice: boolean): unknown {
  const k = kernel(c.platform ?? 'espressobin');
  k.tracing = true;
  const pfn = k.alloc_pages(0, Owner.page, 0);
  const a = k.dma.dma_map_page(pfn, 0, PAGE_SIZE, DmaDir.from_device, DMA_ATTR_SKIP_CPU_SYNC);
  const addr = c.setup ? c.setup(k, pfn, a) : a;
  k.dma.deviceWrite(pfn, 256, 1520);
  k.dma.cpuWrite(pfn, 0, 4096);
  if (forDevice) {
    if (onPage) k.dma.syncForDeviceOnPage(pfn, addr, c.offset, c.len, c.dir);
    else k.dma.dma_sync_single_range_for_device(addr, c.offset, c.len, c.dir);
  } else if (onPage) {
    k.dma.syncForCpuOnPage(pfn, addr, c.offset, c.len, c.dir);
  } else {
    k.dma.dma_sync_single_range_for_cpu(addr, c.offset, c.len, c.dir);
  }
  // What the sync left behind: device-written bytes still unsynced, and dirty lines over the RX area.
  k.dma.cpuRead(pfn, 0, PAGE_SIZE, 'read');
  k.dma.postToDevice(pfn, 0, PAGE_SIZE, 'post');
  const counters = Object.fromEntries(Object.entries(k.counters).filter(([n]) => n.startsWith('dma.')));
  return { counters, violations: k.findings.listViolations(), mapped: k.dma.mappedPages() };
}

for (const c of CASES) {
  test(`sync on a known page acts as the DMA API call: ${c.name}`, () => {
    for (const forDevice of [false, true]) assert.deepEqual(run(c, true, forDevice), run(c, false, forDevice), forDevice ? 'for device' : 'for cpu');
  });
}

test('the fast path changes state: a sync for the cpu on a known page clears the unsynced range', () => {
  const k = kernel('espressobin');
  const pfn = k.alloc_pages(0, Owner.page, 0);
  const a = k.dma.dma_map_page(pfn, 0, PAGE_SIZE, DmaDir.from_device, DMA_ATTR_SKIP_CPU_SYNC);
  k.dma.deviceWrite(pfn, 256, 1520);
  k.dma.syncForCpuOnPage(pfn, a, 256, 1520, DmaDir.from_device);
  k.dma.cpuRead(pfn, 0, PAGE_SIZE, 'read');
  assert.equal(k.findings.violationCount('cpu-access-device-owned'), 0);
  assert.equal(k.counters['dma.sync_for_cpu'], 1);
});
