import type { Kernel } from './kernel.js';
import { PAGE_SIZE } from './page.js';
import { grown, WIDE_ZERO } from './typed.js';

/** enum dma_data_direction. */
export const DmaDir = { bidirectional: 0, to_device: 1, from_device: 2 } as const;
export type DmaDirCode = (typeof DmaDir)[keyof typeof DmaDir];
export const DMA_DIR_NAME = ['DMA_BIDIRECTIONAL', 'DMA_TO_DEVICE', 'DMA_FROM_DEVICE'];
/** DMA_ATTR_SKIP_CPU_SYNC (include/linux/dma-mapping.h). */
export const DMA_ATTR_SKIP_CPU_SYNC = 1 << 5;
/** Cortex-A53 data cache line (CTR_EL0.DminLine): the unit a write-back covers. */
export const CACHE_LINE = 64;

/** Bits of cache lines first..last that fall in the 32-line word starting at line `base`. */
function lineBits(first: number, last: number, base: number): number {
  const a = first > base ? first : base;
  const b = last < base + 31 ? last : base + 31;
  if (a > b) return 0;
  const n = b - a + 1;
  return n === 32 ? 0xffffffff : (((1 << n) - 1) << (a - base)) >>> 0;
}

/** "cache lines 1, 4-58" for the set bits of a lo/hi pair. */
function dirtyLines(lo: number, hi: number): string {
  const out: string[] = [];
  let start = -1;
  for (let l = 0; l <= 64; l++) {
    const set = l < 64 && ((l < 32 ? lo >>> l : hi >>> (l - 32)) & 1) === 1;
    if (set && start < 0) start = l;
    if (!set && start >= 0) {
      out.push(start === l - 1 ? `${start}` : `${start}-${l - 1}`);
      start = -1;
    }
  }
  return `cache line${out.length === 1 && !out[0]!.includes('-') ? '' : 's'} ${out.join(', ')}`;
}

/**
 * The DMA API with a dma-debug style checker (kernel/dma/debug.c): mappings keyed by device
 * address. Device ownership is tracked per page as the range of bytes the device wrote that the
 * CPU has not yet synced: a CPU read overlapping it on a non-coherent platform is
 * cpu-access-device-owned.
 */
export class DmaApi {
  private mapPfn = new Int32Array(256);
  private mapAddr = new Float64Array(256);
  private mapSize = new Int32Array(256);
  private mapDir = new Uint8Array(256);
  private mapDev = new Uint8Array(256);
  /** Next mapping on the same page (-1 ends the list). */
  private mapNext = new Int32Array(256);
  private freeIds: number[] = [];
  private nextId = 0;
  /** Live mappings per page, as a list through mapNext. */
  private readonly pageMaps: Int32Array;
  /** 1 + the first mapping on each page's list (mapNext), 0: none; offset by one so that the zeroed array starts empty. */
  private readonly pageHead: Int32Array;
  /**
   * The head mapping of each page when it is the bound device's (1 + its address, size, direction),
   * else 0: ownMapping's test in one place. Addresses are offset by one (a truncated LPAE address can
   * be 0) so that the zeroed array starts with no head.
   */
  private readonly headAddr: Float64Array;
  private readonly headSize: Int32Array;
  private readonly headDir: Uint8Array;
  private readonly dirtyStart: Int32Array;
  private readonly dirtyEnd: Int32Array;
  /** CPU cache lines a CPU write left dirty, per page: lines 0-31 and 32-63 as bit masks. */
  private readonly cpuDirtyLo: Uint32Array;
  private readonly cpuDirtyHi: Uint32Array;
  /** Devices whose driver was unbound (their IOMMU domain / dma-debug entries are gone). */
  private readonly gone = new Uint8Array(4);
  /** The line masks of the last byte range cleaned and the last posted to the device (lineBits of lines 0-31, 32-63). */
  private cleanOff = -1;
  private cleanLen = -1;
  private cleanLo = WIDE_ZERO;
  private cleanHi = WIDE_ZERO;
  private postOff = -1;
  private postLen = -1;
  private postLo = WIDE_ZERO;
  private postHi = WIDE_ZERO;
  /** Truncated addresses already reported (dma-addr-truncated): calls with them act on the real mapping silently. */
  private readonly truncated = new Map<number, number>();

  /** The platform's DMA is cache-coherent (no cache maintenance to model). */
  private readonly coherent: boolean;

  constructor(private readonly k: Kernel) {
    this.coherent = k.facts.coherent_dma;
    const a = k.pages.arrays;
    this.pageMaps = a.take(Int32Array);
    this.pageHead = a.take(Int32Array);
    this.headAddr = a.take(Float64Array);
    this.headSize = a.take(Int32Array);
    this.headDir = a.take(Uint8Array);
    this.dirtyStart = a.take(Int32Array);
    this.dirtyEnd = a.take(Int32Array);
    this.cpuDirtyLo = a.take(Uint32Array);
    this.cpuDirtyHi = a.take(Uint32Array);
  }

  /** Mapping records ever needed at once (the table's high-water mark). */
  get tableSize(): number {
    return this.nextId;
  }

  isMapped(pfn: number): boolean {
    const i = this.k.pages.idx(pfn);
    return i >= 0 && this.pageMaps[i]! > 0;
  }

  private grow(): void {
    const n = this.mapPfn.length * 2;
    this.mapPfn = grown(this.mapPfn, n);
    this.mapSize = grown(this.mapSize, n);
    this.mapNext = grown(this.mapNext, n);
    this.mapAddr = grown(this.mapAddr, n);
    this.mapDir = grown(this.mapDir, n);
    this.mapDev = grown(this.mapDev, n);
  }

  /** dma_map_page_attrs: the device owns the buffer afterwards. Returns the device address. */
  dma_map_page(pfn: number, offset: number, size: number, dir: DmaDirCode, attrs: number, dev = 0): number {
    const k = this.k;
    const a = pfn * PAGE_SIZE + offset;
    let id = this.freeIds.pop();
    if (id === undefined) {
      id = this.nextId++;
      if (id >= this.mapPfn.length) this.grow();
    }
    this.mapPfn[id] = pfn;
    this.mapAddr[id] = a;
    this.mapSize[id] = size;
    this.mapDir[id] = dir;
    this.mapDev[id] = dev;
    const i = k.pages.idx(pfn);
    this.pageMaps[i]!++;
    this.mapNext[id] = this.head(i);
    this.setHead(i, id);
    this.dirtyEnd[i] = this.dirtyStart[i]!;
    // dma_map_page_attrs: arch_sync_dma_for_device cleans the mapped lines unless DMA_ATTR_SKIP_CPU_SYNC.
    if ((attrs & DMA_ATTR_SKIP_CPU_SYNC) === 0) this.clean(i, offset, size);
    k.counters['dma.map']++;
    return a;
  }

  /** device_release_driver: later DMA API calls through `dev` are unmap-after-unbind. */
  unbind(dev = 0): void {
    this.gone[dev] = 1;
  }

  isUnbound(dev = 0): boolean {
    return this.gone[dev] === 1;
  }

  /** A DMA API call through an unbound device: reported, and the mapping is dropped (no consequences). */
  private afterUnbind(a: number, dev: number, what: string, leaf: string): boolean {
    if (this.gone[dev] !== 1) return false;
    const k = this.k;
    const id = this.find(a, dev);
    const pfn = id >= 0 ? this.mapPfn[id]! : (a / PAGE_SIZE) | 0;
    const pi = k.pages.idx(pfn);
    if (pi >= 0 && k.pages.reported[pi] !== 1) {
      k.pages.reported[pi] = 1;
      k.violation('unmap-after-unbind', () => `${k.pages.describe(pfn)}: ${what} of DMA address 0x${a.toString(16)} after the device was unbound`, leaf);
    }
    if (id >= 0 && what === 'dma_unmap_page') this.unmapId(id);
    return true;
  }

  /** Records that a stored DMA address lost bits; later calls with it act on the real mapping silently. */
  noteTruncated(truncatedAddr: number, realAddr: number): void {
    this.truncated.set(truncatedAddr, realAddr);
  }

  /** The mapping id for a base address; -1 when unknown; a consequence of truncation maps to -2 - id. */
  private lookup(a: number, dev: number): number {
    const id = this.find(a, dev);
    if (id >= 0) return id;
    const real = this.truncated.get(a);
    if (real !== undefined) {
      const rid = this.find(real, dev);
      if (rid >= 0) return -2 - rid;
    }
    return -1;
  }

  /** The mapping of `dev` at address `a`, searched among the mappings of its page. */
  private find(a: number, dev: number): number {
    const pg = this.k.pages;
    const i = ((a / PAGE_SIZE) | 0) - pg.base;
    if (i < 0 || i >= pg.count) return -1;
    for (let id = this.head(i); id >= 0; id = this.mapNext[id]!) if (this.mapAddr[id] === a && this.mapDev[id] === dev) return id;
    return -1;
  }

  private unmapId(id: number): void {
    const i = this.k.pages.idx(this.mapPfn[id]!);
    this.pageMaps[i]!--;
    const head = this.head(i);
    if (head === id) this.setHead(i, this.mapNext[id]!);
    else for (let p = head; p >= 0; p = this.mapNext[p]!) if (this.mapNext[p] === id) this.mapNext[p] = this.mapNext[id]!;
    this.mapAddr[id] = -1;
    this.freeIds.push(id);
  }

  /** The mapping heading page index i's list, or -1. */
  private head(i: number): number {
    return this.pageHead[i]! - 1;
  }

  /** Mapping `id` (or none, -1) heads page index i's list. */
  private setHead(i: number, id: number): void {
    this.pageHead[i] = id + 1;
    if (id >= 0 && this.mapDev[id] === 0) {
      this.headAddr[i] = this.mapAddr[id]! + 1;
      this.headSize[i] = this.mapSize[id]!;
      this.headDir[i] = this.mapDir[id]!;
    } else {
      this.headAddr[i] = 0;
    }
  }

  /** dma_unmap_page_attrs: ownership returns to the CPU (cache maintenance unless SKIP_CPU_SYNC). */
  dma_unmap_page(a: number, _size: number, dir: DmaDirCode, attrs: number, dev = 0): void {
    const k = this.k;
    k.counters['dma.unmap']++;
    if (this.afterUnbind(a, dev, 'dma_unmap_page', 'iommu_dma_unmap_page')) return;
    let id = this.lookup(a, dev);
    const consequence = id <= -2;
    if (consequence) id = -2 - id;
    if (id < 0) {
      k.violation('dma-unmap-not-mapped', () => `DMA address 0x${a.toString(16)}`, 'debug_dma_unmap_page');
      return;
    }
    if (!consequence && this.mapDir[id] !== dir) {
      k.violation('dma-dir-mismatch', () => `${k.pages.describe(this.mapPfn[id]!)} mapped ${DMA_DIR_NAME[this.mapDir[id]!]}, unmapped ${DMA_DIR_NAME[dir]}`, 'debug_dma_unmap_page', this.mapPfn[id]);
    }
    const i = k.pages.idx(this.mapPfn[id]!);
    if ((attrs & DMA_ATTR_SKIP_CPU_SYNC) === 0) this.dirtyEnd[i] = this.dirtyStart[i]!;
    this.unmapId(id);
  }

  /**
   * Checks a sync of [base + offset, +len); returns the page index, or -1. A live mapping of the
   * bound device synced within its size and direction passes here; everything else goes to the
   * full check.
   */
  private checkSync(base: number, offset: number, len: number, dir: DmaDirCode, leaf: string, call: string, iommuLeaf: string): number {
    if (this.gone[0] !== 1) {
      const id = this.find(base, 0);
      if (id >= 0 && this.syncPasses(id, offset, len, dir)) return this.k.pages.idx(this.mapPfn[id]!);
    }
    return this.checkSyncFull(base, offset, len, dir, leaf, call, iommuLeaf);
  }

  /** A sync of [offset, +len) in direction `dir` through mapping `id` passes dma-debug's range and direction checks. */
  private syncPasses(id: number, offset: number, len: number, dir: DmaDirCode): boolean {
    const md = this.mapDir[id]!;
    return offset + len <= this.mapSize[id]! && (md === DmaDir.bidirectional || md === dir);
  }

  private checkSyncFull(base: number, offset: number, len: number, dir: DmaDirCode, leaf: string, call: string, iommuLeaf: string): number {
    const k = this.k;
    if (this.gone[0] === 1 && this.afterUnbind(base, 0, call, iommuLeaf)) return -1;
    const id0 = this.lookup(base, 0);
    if (id0 <= -2) return k.pages.idx(this.mapPfn[-2 - id0]!);
    if (id0 < 0) {
      k.violation('dma-sync-not-mapped', () => `DMA address 0x${(base + offset).toString(16)}`, leaf);
      return -1;
    }
    const id = id0;
    const pfn = this.mapPfn[id]!;
    if (offset + len > this.mapSize[id]!) {
      k.violation('dma-sync-out-of-range', () => `${k.pages.describe(pfn)}: sync of ${len} bytes at +${offset} beyond a ${this.mapSize[id]!}-byte mapping`, leaf, pfn);
    }
    const md = this.mapDir[id]!;
    if (md !== DmaDir.bidirectional && md !== dir) {
      k.violation('dma-dir-mismatch', () => `${k.pages.describe(pfn)} mapped ${DMA_DIR_NAME[md]}, synced ${DMA_DIR_NAME[dir]}`, leaf, pfn);
    }
    return k.pages.idx(pfn);
  }

  /** dma_sync_single_range_for_cpu: the synced bytes become visible to the CPU. */
  dma_sync_single_range_for_cpu(base: number, offset: number, len: number, dir: DmaDirCode): void {
    this.countForCpu(1);
    const i = this.checkSync(base, offset, len, dir, 'debug_dma_sync_single_for_cpu', 'dma_sync_single_for_cpu', 'iommu_dma_sync_single_for_cpu');
    if (i < 0) return;
    this.cpuSynced(i, base - ((base / PAGE_SIZE) | 0) * PAGE_SIZE + offset, len);
  }

  /** dma_sync_single_range_for_device: the buffer goes back to the device. */
  dma_sync_single_range_for_device(base: number, offset: number, len: number, dir: DmaDirCode): void {
    this.countForDevice(1, len);
    const i = this.checkSync(base, offset, len, dir, 'debug_dma_sync_single_for_device', 'dma_sync_single_for_device', 'iommu_dma_sync_single_for_device');
    if (i < 0) return;
    this.deviceSynced(i, base - ((base / PAGE_SIZE) | 0) * PAGE_SIZE + offset, len);
  }

  /**
   * Page index of `pfn` when `base` is its address and the mapping heading its list is the bound
   * device's one at `base`, passing the sync of [offset, +len) in `dir` (what find(base, 0) and
   * checkSync would find, so such a sync reports nothing); -1 when the full check must run.
   */
  ownMapping(pfn: number, base: number, offset: number, len: number, dir: DmaDirCode): number {
    const pg = this.k.pages;
    const i = pfn - pg.base;
    if (i < 0 || i >= pg.count || this.gone[0] === 1 || this.headAddr[i] !== base + 1) return -1;
    // every mapping starts inside its page (dma_map_page's offset is below PAGE_SIZE), so base is in page i
    return this.headPasses(i, offset, len, dir) ? i : -1;
  }

  /** A sync of [offset, +len) in `dir` through the mapping heading page index i's list (ownMapping found it) passes. */
  headPasses(i: number, offset: number, len: number, dir: DmaDirCode): boolean {
    const hd = this.headDir[i]!;
    return offset + len <= this.headSize[i]! && (hd === DmaDir.bidirectional || hd === dir);
  }

  /** dma_sync_single_range_for_cpu of an address the caller got for page `pfn`: the page's own mapping is checked without a search. */
  syncForCpuOnPage(pfn: number, base: number, offset: number, len: number, dir: DmaDirCode): void {
    const i = this.ownMapping(pfn, base, offset, len, dir);
    if (i < 0) {
      this.dma_sync_single_range_for_cpu(base, offset, len, dir);
      return;
    }
    this.countForCpu(1);
    this.cpuSynced(i, base - pfn * PAGE_SIZE + offset, len);
  }

  /** dma_sync_single_range_for_device of an address the caller got for page `pfn` (see syncForCpuOnPage). */
  syncForDeviceOnPage(pfn: number, base: number, offset: number, len: number, dir: DmaDirCode): void {
    const i = this.ownMapping(pfn, base, offset, len, dir);
    if (i < 0) {
      this.dma_sync_single_range_for_device(base, offset, len, dir);
      return;
    }
    this.countForDevice(1, len);
    this.deviceSynced(i, base - pfn * PAGE_SIZE + offset, len);
  }

  /** dma.sync_for_cpu of `n` syncs: one, or a run whose caller checked each page (cpuSynced). */
  countForCpu(n: number): void {
    this.k.counters['dma.sync_for_cpu'] += n;
  }

  /** dma.sync_for_device and its bytes of `n` syncs of `bytes` in all: one, or a run (deviceSynced). */
  countForDevice(n: number, bytes: number): void {
    const c = this.k.counters;
    c['dma.sync_for_device'] += n;
    c['dma.sync_for_device_bytes'] += bytes;
  }

  /**
   * Bytes [s, s + len) of page index i synced for the CPU (a sync that passed its check, or ownMapping):
   * they leave the device-written range. The caller counts the sync (countForCpu).
   */
  cpuSynced(i: number, s: number, len: number): void {
    const e = s + len;
    const ds = this.dirtyStart[i]!;
    const de = this.dirtyEnd[i]!;
    if (s <= ds) {
      if (e >= de) this.dirtyEnd[i] = ds;
      else if (e > ds) this.dirtyStart[i] = e;
    } else if (s < de && e >= de) {
      this.dirtyEnd[i] = s;
    }
  }

  /**
   * Bytes [off, off + len) of page index i synced for the device: nothing is device-written any more,
   * the lines are cleaned. The caller counts the sync (countForDevice).
   */
  deviceSynced(i: number, off: number, len: number): void {
    this.dirtyEnd[i] = this.dirtyStart[i]!;
    this.clean(i, off, len);
  }

  /** Cache maintenance for the device (clean) over bytes [off, off + len) of page index i. */
  private clean(i: number, off: number, len: number): void {
    if (len <= 0) return;
    if (off !== this.cleanOff || len !== this.cleanLen) this.cleanMasks(off, len);
    this.cpuDirtyLo[i] = (this.cpuDirtyLo[i]! & ~this.cleanLo) >>> 0;
    this.cpuDirtyHi[i] = (this.cpuDirtyHi[i]! & ~this.cleanHi) >>> 0;
  }

  private cleanMasks(off: number, len: number): void {
    const first = (off / CACHE_LINE) | 0;
    const last = ((off + len - 1) / CACHE_LINE) | 0;
    this.cleanOff = off;
    this.cleanLen = len;
    this.cleanLo = lineBits(first, last, 0);
    this.cleanHi = lineBits(first, last, 32);
  }

  /** A page from the page allocator: its previous owner's writes may still sit in dirty lines anywhere. */
  pageAllocated(pfn: number): void {
    if (this.coherent) return;
    const i = this.k.pages.idx(pfn);
    this.cpuDirtyLo[i] = 0xffffffff;
    this.cpuDirtyHi[i] = 0xffffffff;
  }

  /** The CPU writes bytes [off, off + len) of a page: the lines they fall in become dirty (non-coherent only). */
  cpuWrite(pfn: number, off: number, len: number): void {
    if (this.coherent || len <= 0) return;
    const i = this.k.pages.idx(pfn);
    if (i < 0) return;
    const first = (off / CACHE_LINE) | 0;
    const last = ((off + len - 1) / CACHE_LINE) | 0;
    this.cpuDirtyLo[i] = (this.cpuDirtyLo[i]! | lineBits(first, last, 0)) >>> 0;
    this.cpuDirtyHi[i] = (this.cpuDirtyHi[i]! | lineBits(first, last, 32)) >>> 0;
  }

  /**
   * A buffer is handed to the device, which will write bytes [off, off + len): dirty lines there
   * that were not cleaned are dma-dirty-cacheline (a later write-back would overwrite received data).
   */
  postToDevice(pfn: number, off: number, len: number, leaf: string): void {
    const k = this.k;
    if (this.coherent) return;
    const i = k.pages.idx(pfn);
    if (off !== this.postOff || len !== this.postLen) this.postMasks(off, len);
    const lo = this.cpuDirtyLo[i]! & this.postLo;
    const hi = this.cpuDirtyHi[i]! & this.postHi;
    if ((lo | hi) === 0) return;
    this.dirtyAtPost(pfn, i, off, len, lo, hi, leaf);
  }

  private postMasks(off: number, len: number): void {
    const first = (off / CACHE_LINE) | 0;
    const last = ((off + len - 1) / CACHE_LINE) | 0;
    this.postOff = off;
    this.postLen = len;
    this.postLo = lineBits(first, last, 0);
    this.postHi = lineBits(first, last, 32);
  }

  /** Dirty lines `lo`/`hi` under a buffer posted to the device: dma-dirty-cacheline, then cleaned. */
  private dirtyAtPost(pfn: number, i: number, off: number, len: number, lo: number, hi: number, leaf: string): void {
    const k = this.k;
    k.violation('dma-dirty-cacheline', () => `${k.pages.describe(pfn)}: ${dirtyLines(lo, hi)} of the RX area ${off}..${off + len - 1} dirty, not synced for the device`, leaf);
    this.clean(i, off, len);
  }

  /** The NIC writes `len` bytes at `offset` of the page. */
  deviceWrite(pfn: number, offset: number, len: number): void {
    if (this.coherent) return;
    const i = this.k.pages.idx(pfn);
    if (this.dirtyEnd[i]! > this.dirtyStart[i]!) {
      this.dirtyStart[i] = Math.min(this.dirtyStart[i]!, offset);
      this.dirtyEnd[i] = Math.max(this.dirtyEnd[i]!, offset + len);
    } else {
      this.dirtyStart[i] = offset;
      this.dirtyEnd[i] = offset + len;
    }
  }

  /** The CPU reads bytes of a page: flags reads of device-written bytes not yet synced (contract §6). */
  cpuRead(pfn: number, offset: number, len: number, leaf: string): void {
    const pg = this.k.pages;
    const i = pfn - pg.base;
    // Nothing to judge (the common case, small enough to inline): outside the model, or in use with no unsynced device bytes.
    if (i < 0 || i >= pg.count || (pg.owner[i] !== 0 && this.dirtyEnd[i]! <= this.dirtyStart[i]!)) return;
    this.judgeRead(pfn, i, offset, len, leaf);
  }

  /** cpuRead of a freed page, or of one with device-written bytes not yet synced. */
  private judgeRead(pfn: number, i: number, offset: number, len: number, leaf: string): void {
    const k = this.k;
    if (k.pages.owner[i] === 0) {
      k.violation('use-after-free', () => k.pages.describe(pfn), leaf, pfn);
      return;
    }
    const ds = this.dirtyStart[i]!;
    const de = this.dirtyEnd[i]!;
    if (de <= ds || offset >= de || offset + len <= ds) return;
    if (k.pages.reported[i] === 0) {
      k.violation('cpu-access-device-owned', () => `${k.pages.describe(pfn)}: read of bytes ${Math.max(offset, ds)}..${Math.min(offset + len, de) - 1} before dma_sync_single_for_cpu`, leaf, pfn);
    }
    this.dirtyEnd[i] = ds;
  }

  /** A page returns to the page allocator: a live mapping there is freed-while-mapped (reported once). */
  pageFreed(pfn: number): boolean {
    const k = this.k;
    const i = k.pages.idx(pfn);
    if (this.pageMaps[i] === 0) return false;
    for (let id = this.head(i); id >= 0; id = this.head(i)) this.unmapId(id);
    if (k.pages.reported[i] === 1) return false;
    k.pages.reported[i] = 1;
    return true;
  }

  /** Every page with a live mapping (one entry per mapping). */
  mappedPages(): number[] {
    const out: number[] = [];
    for (let id = 0; id < this.nextId; id++) if (this.mapAddr[id]! >= 0) out.push(this.mapPfn[id]!);
    return out.sort((a, b) => a - b);
  }
}
