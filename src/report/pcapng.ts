// pcapng writer: little-endian SHB, one Ethernet IDB with ns timestamps, EPBs with comments.
// Pure: every block goes to the sink as one new Uint8Array.

export interface PcapngWriterOpts {
  /** IDB snaplen; captured bytes beyond it are cut (0 or absent: no limit). */
  snaplen?: number;
  ifName?: string;
  /** Section comment. */
  comment?: string;
}

const utf8 = new TextEncoder();

interface Opt {
  code: number;
  value: Uint8Array;
}

const optsLen = (opts: Opt[]): number =>
  opts.length === 0 ? 0 : opts.reduce((n, o) => n + 4 + ((o.value.length + 3) & ~3), 4);

function writeOpts(dv: DataView, bytes: Uint8Array, at: number, opts: Opt[]): number {
  if (opts.length === 0) return at;
  let p = at;
  for (const o of opts) {
    if (o.value.length > 0xffff) throw new RangeError(`pcapng option ${o.code} longer than 65535 bytes`);
    dv.setUint16(p, o.code, true);
    dv.setUint16(p + 2, o.value.length, true);
    bytes.set(o.value, p + 4);
    p += 4 + ((o.value.length + 3) & ~3);
  }
  return p + 4; // opt_endofopt (zeros)
}

/** Allocates a block of `bodyLen` body bytes, with type and both length fields set. */
function block(type: number, bodyLen: number): { bytes: Uint8Array; dv: DataView } {
  const len = 12 + bodyLen;
  const bytes = new Uint8Array(len);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, len, true);
  dv.setUint32(len - 4, len, true);
  return { bytes, dv };
}

export class PcapngWriter {
  private readonly snaplen: number;

  constructor(
    private readonly sink: (chunk: Uint8Array) => void,
    opts: PcapngWriterOpts = {},
  ) {
    this.snaplen = opts.snaplen ?? 0;
    if (!Number.isInteger(this.snaplen) || this.snaplen < 0 || this.snaplen > 0xffffffff) {
      throw new RangeError(`bad snaplen ${this.snaplen}`);
    }

    // SHB: BOM, version 1.0, section length unknown (-1), shb_userappl, opt_comment.
    const shbOpts: Opt[] = [];
    if (opts.comment !== undefined) shbOpts.push({ code: 1, value: utf8.encode(opts.comment) });
    shbOpts.push({ code: 4, value: utf8.encode('pp-sim') });
    const shb = block(0x0a0d0d0a, 16 + optsLen(shbOpts));
    shb.dv.setUint32(8, 0x1a2b3c4d, true);
    shb.dv.setUint16(12, 1, true);
    shb.dv.setUint16(14, 0, true);
    shb.dv.setBigInt64(16, -1n, true);
    writeOpts(shb.dv, shb.bytes, 24, shbOpts);
    this.sink(shb.bytes);

    // IDB: Ethernet, if_name, if_tsresol = 9 (ns).
    const idbOpts: Opt[] = [];
    if (opts.ifName !== undefined) idbOpts.push({ code: 2, value: utf8.encode(opts.ifName) });
    idbOpts.push({ code: 9, value: Uint8Array.of(9) });
    const idb = block(1, 8 + optsLen(idbOpts));
    idb.dv.setUint16(8, 1, true);
    idb.dv.setUint32(12, this.snaplen, true);
    writeOpts(idb.dv, idb.bytes, 16, idbOpts);
    this.sink(idb.bytes);
  }

  /** One EPB on interface 0; tsNs is absolute ns since the epoch. */
  writePacket(tsNs: bigint, data: Uint8Array, wireLen: number, comment?: string): void {
    if (tsNs < 0n || tsNs > 0xffffffffffffffffn) throw new RangeError(`timestamp ${tsNs} out of range`);
    const cap = this.snaplen > 0 ? Math.min(data.length, this.snaplen) : data.length;
    if (!Number.isInteger(wireLen) || wireLen < data.length || wireLen > 0xffffffff) {
      throw new RangeError(`bad wire length ${wireLen} for ${data.length} data bytes`);
    }
    const opts: Opt[] = comment === undefined ? [] : [{ code: 1, value: utf8.encode(comment) }];
    const padded = (cap + 3) & ~3;
    const epb = block(6, 20 + padded + optsLen(opts));
    epb.dv.setUint32(8, 0, true);
    epb.dv.setUint32(12, Number(tsNs >> 32n), true);
    epb.dv.setUint32(16, Number(tsNs & 0xffffffffn), true);
    epb.dv.setUint32(20, cap, true);
    epb.dv.setUint32(24, wireLen, true);
    epb.bytes.set(data.subarray(0, cap), 28);
    writeOpts(epb.dv, epb.bytes, 28 + padded, opts);
    this.sink(epb.bytes);
  }
}
