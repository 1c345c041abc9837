import type { Kernel } from './kernel.js';
import { PAGE_SIZE } from './page.js';

/** enum dma_data_direction. */
export const DmaDir = { bidirectional: 0, to_device: 1, from_device: 2 } as const;
export type DmaDirCode = (typeof DmaDir)[keyof typeof DmaDir];
export const DMA_DIR_NAME = ['DMA_BIDIRECTIONAL', 'DMA_TO_DEVICE', 'DMA_FROM_DEVICE'];
/** DMA_ATTR_SKIP_CPU_SYNC (include/linux/dma-mapping.h). */
export const DMA_ATTR_SKIP_CPU_SYNC = 1 << 5;

/**
 * The DMA API with a dma-debug style checker (kernel/dma/debug.c), one mapping per page at most.
 * Device ownership is tracked as the range of bytes the device wrote that the CPU has not yet
 * synced: a CPU read overlapping it on a non-coherent platform is cpu-access-device-owned.
 */
export class DmaApi {
  private readonly mapped: Uint8Array;
  private readonly addr: Float64Array;
  private readonly size: Int32Array;
  private readonly dir: Uint8Array;
  private readonly attrs: Uint8Array;
  private readonly dirtyStart: Int32Array;
  private readonly dirtyEnd: Int32Array;
  /** Truncated addresses already reported (dma-addr-truncated): their DMA calls are consequences. */
  private readonly truncated = new Map<number, number>();

  constructor(private readonly k: Kernel) {
    const n = k.pages.count;
    this.mapped = new Uint8Array(n);
    this.addr = new Float64Array(n);
    this.size = new Int32Array(n);
    this.dir = new Uint8Array(n);
    this.attrs = new Uint8Array(n);
    this.dirtyStart = new Int32Array(n);
    this.dirtyEnd = new Int32Array(n);
  }

  isMapped(pfn: number): boolean {
    const i = this.k.pages.idx(pfn);
    return i >= 0 && this.mapped[i] === 1;
  }

  mappingDir(pfn: number): number {
    return this.dir[this.k.pages.idx(pfn)]!;
  }

  /** dma_map_page_attrs (v4.20/v5.x): the device owns the buffer afterwards. */
  dma_map_page(pfn: number, offset: number, size: number, dir: DmaDirCode, attrs: number): number {
    const i = this.k.pages.idx(pfn);
    const a = pfn * PAGE_SIZE + offset;
    this.mapped[i] = 1;
    this.addr[i] = a;
    this.size[i] = size;
    this.dir[i] = dir;
    this.attrs[i] = attrs;
    this.dirtyStart[i] = 0;
    this.dirtyEnd[i] = 0;
    this.k.counters['dma.map']++;
    return a;
  }

  /** Records that a stored DMA address lost bits; later calls with it act on the real mapping silently. */
  noteTruncated(truncatedAddr: number, pfn: number): void {
    this.truncated.set(truncatedAddr - (truncatedAddr % PAGE_SIZE), pfn);
  }

  /** Resolves an address to the page whose mapping contains it, or -1. */
  private lookup(a: number): number {
    const pfn = Math.floor(a / PAGE_SIZE);
    const i = this.k.pages.idx(pfn);
    if (i >= 0 && this.mapped[i] === 1 && a >= this.addr[i]! && a < this.addr[i]! + this.size[i]!) return i;
    const real = this.truncated.get(a - (a % PAGE_SIZE));
    if (real !== undefined) return -2 - this.k.pages.idx(real);
    return -1;
  }

  private describe(a: number): () => string {
    return () => `DMA address 0x${a.toString(16)}`;
  }

  /** dma_unmap_page_attrs: ownership returns to the CPU (cache maintenance unless SKIP_CPU_SYNC). */
  dma_unmap_page(a: number, _size: number, dir: DmaDirCode, attrs: number): void {
    const k = this.k;
    k.counters['dma.unmap']++;
    let i = this.lookup(a);
    const consequence = i <= -2;
    if (consequence) i = -2 - i;
    if (i < 0) {
      k.violation('dma-unmap-not-mapped', this.describe(a), 'debug_dma_unmap_page');
      return;
    }
    if (!consequence && this.dir[i] !== dir) {
      k.violation('dma-dir-mismatch', () => `${k.pages.describe(k.pages.base + i)} mapped ${DMA_DIR_NAME[this.dir[i]!]}, unmapped ${DMA_DIR_NAME[dir]}`, 'debug_dma_unmap_page');
    }
    size;
    if ((attrs & DMA_ATTR_SKIP_CPU_SYNC) === 0) this.dirtyEnd[i] = this.dirtyStart[i]!;
    this.mapped[i] = 0;
  }

  private checkSync(a: number, len: number, dir: DmaDirCode, leaf: string): number {
    const k = this.k;
    const i = this.lookup(a);
    if (i <= -2) return -2 - i;
    if (i < 0) {
      k.violation('dma-sync-not-mapped', this.describe(a), leaf);
      return -1;
    }
    if (a + len > this.addr[i]! + this.size[i]!) {
      k.violation('dma-sync-out-of-range', () => `${k.pages.describe(k.pages.base + i)}: sync of ${len} bytes at +${a - this.addr[i]!} beyond a ${this.size[i]!}-byte mapping`, leaf);
    }
    if (this.dir[i] !== DmaDir.bidirectional && this.dir[i] !== dir) {
      k.violation('dma-dir-mismatch', () => `${k.pages.describe(k.pages.base + i)} mapped ${DMA_DIR_NAME[this.dir[i]!]}, synced ${DMA_DIR_NAME[dir]}`, leaf);
    }
    return i;
  }

  /** dma_sync_single_range_for_cpu: the synced bytes become visible to the CPU. */
  dma_sync_single_range_for_cpu(a: number, offset: number, len: number, dir: DmaDirCode): void {
    this.k.counters['dma.sync_for_cpu']++;
    const i = this.checkSync(a + offset, len, dir, 'debug_dma_sync_single_for_cpu');
    if (i < 0) return;
    const s = (a + offset) % PAGE_SIZE;
    const e = s + len;
    const ds = this.dirtyStart[i]!;
    const de = this.dirtyEnd[i]!;
    if (s <= ds && e >= de) this.dirtyEnd[i] = ds;
    else if (s <= ds && e > ds) this.dirtyStart[i] = e;
    else if (s < de && e >= de) this.dirtyEnd[i] = s;
  }

  /** dma_sync_single_range_for_device: the buffer goes back to the device. */
  dma_sync_single_range_for_device(a: number, offset: number, len: number, dir: DmaDirCode): void {
    this.k.counters['dma.sync_for_device']++;
    this.k.counters['dma.sync_for_device_bytes'] += len;
    const i = this.checkSync(a + offset, len, dir, 'debug_dma_sync_single_for_device');
    if (i < 0) return;
    this.dirtyEnd[i] = this.dirtyStart[i]!;
  }

  /** The NIC writes `len` bytes at `offset` of the page. */
  deviceWrite(pfn: number, offset: number, len: number): void {
    const i = this.k.pages.idx(pfn);
    if (this.k.facts.coherent_dma) return;
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
    const k = this.k;
    const i = k.pages.idx(pfn);
    if (i < 0) return;
    if (k.pages.owner[i] === 0) {
      k.violation('use-after-free', () => k.pages.describe(pfn), leaf);
      return;
    }
    const ds = this.dirtyStart[i]!;
    const de = this.dirtyEnd[i]!;
    if (de <= ds || offset >= de || offset + len <= ds) return;
    if (k.pages.reported[i] === 0) {
      k.violation('cpu-access-device-owned', () => `${k.pages.describe(pfn)}: read of bytes ${Math.max(offset, ds)}..${Math.min(offset + len, de) - 1} before dma_sync_single_for_cpu`, leaf);
    }
    this.dirtyEnd[i] = ds;
  }

  /** Called when a page returns to the page allocator: a live mapping is freed-while-mapped. */
  pageFreed(pfn: number): boolean {
    const i = this.k.pages.idx(pfn);
    if (this.mapped[i] !== 1) return false;
    this.mapped[i] = 0;
    if (this.k.pages.reported[i] === 1) return false;
    this.k.pages.reported[i] = 1;
    return true;
  }

  /** Every page with a live mapping. */
  mappedPages(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.mapped.length; i++) if (this.mapped[i] === 1) out.push(this.k.pages.base + i);
    return out;
  }
}
