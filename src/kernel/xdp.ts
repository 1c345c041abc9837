import type { Kernel } from './kernel.js';
import type { PagePool } from './page_pool.js';
import { page_frag_free } from './page_frag.js';

/** enum xdp_mem_type (v4.18+). All-zero mem_info means MEM_TYPE_PAGE_SHARED. */
export const MemType = { PAGE_SHARED: 0, PAGE_ORDER0: 1, PAGE_POOL: 2 } as const;
export type MemTypeCode = (typeof MemType)[keyof typeof MemType];

const MEM_ID_MIN = 1;
const MEM_ID_MAX = 0xfffe;

/** The mem-id table of net/core/xdp.c: ids allocated cyclically in [1, 0xFFFE). */
export class XdpMemRegistry {
  private readonly table = new Map<number, PagePool>();
  private next = MEM_ID_MIN;

  /** xdp_rxq_info_reg_mem_model(rxq, MEM_TYPE_PAGE_POOL, pool): returns mem.id. */
  register(pool: PagePool): number {
    let id = this.next;
    while (this.table.has(id)) id = id + 1 >= MEM_ID_MAX ? MEM_ID_MIN : id + 1;
    this.next = id + 1 >= MEM_ID_MAX ? MEM_ID_MIN : id + 1;
    this.table.set(id, pool);
    pool.memId = id;
    return id;
  }

  /** xdp_rxq_info_unreg_mem_model: the id disappears (v4.18: at once; later returns fall back to put_page). */
  unregister(id: number): void {
    this.table.delete(id);
  }

  lookup(id: number): PagePool | undefined {
    return this.table.get(id);
  }
}

/** struct xdp_frame (the parts that matter): the page it lives in, its length and mem info. */
export interface XdpFrame {
  pfn: number;
  len: number;
  memType: MemTypeCode;
  memId: number;
  /** Frame number that produced it, for findings. */
  frame: number;
  alive: boolean;
}

/** __xdp_return(data, mem, napi_direct) (v4.18–v5.4 shape: mem.id lookup, put_page if gone). */
export function __xdp_return(k: Kernel, pfn: number, memType: MemTypeCode, memId: number, napiDirect: boolean): void {
  k.enter('__xdp_return');
  if (memType === MemType.PAGE_POOL) {
    const pool = k.xdpMem.lookup(memId);
    if (pool) {
      if (!pool.put(pfn, -1, napiDirect)) k.put_page(pfn);
    } else {
      k.put_page(pfn);
    }
  } else if (memType === MemType.PAGE_SHARED) {
    page_frag_free(k, pfn);
  } else {
    k.put_page(pfn);
  }
  k.leave();
}

/** xdp_return_frame / xdp_return_frame_rx_napi. */
export function xdp_return_frame(k: Kernel, f: XdpFrame, rxNapi: boolean): void {
  k.enter(rxNapi ? 'xdp_return_frame_rx_napi' : 'xdp_return_frame');
  f.alive = false;
  __xdp_return(k, f.pfn, f.memType, f.memId, rxNapi);
  k.leave();
}
