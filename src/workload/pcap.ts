// Streaming reader for classic pcap and pcapng captures (Ethernet only).
// Reads the file in 64 KiB chunks into a small buffer that grows only for a block that
// does not fit; never loads the whole file.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../kernel/errors.js';

export interface CaptureRecord {
  /** 0-based packet record number. */
  index: number;
  /** Absolute time in ns since the Unix epoch. */
  tsNs: bigint;
  wireLen: number;
  /** Captured bytes (may be shorter than wireLen). */
  data: Uint8Array;
  iface: number;
  comment?: string;
}

export interface CaptureReader {
  format: 'pcap' | 'pcapng';
  /** pcapng: the current section header's comment (opt_comment), if any. */
  readonly sectionComment?: string | undefined;
  next(): CaptureRecord | undefined;
  close(): void;
}

const CHUNK = 64 * 1024;
/** Sanity cap on one record or block when the file size is not known (pipes). */
const MAX_BLOCK = 256 * 1024 * 1024;
const LINKTYPE_ETHERNET = 1;

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const NG_SHB = 0x0a0d0d0a;
const NG_BOM = 0x1a2b3c4d;
const NG_IDB = 1;
const NG_SPB = 3;
const NG_EPB = 6;

const hex32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

function errReason(e: unknown): string {
  if (e instanceof Error) {
    const m = /^[A-Z0-9_]+: ([^,]+)/.exec(e.message);
    return m?.[1] ?? e.message;
  }
  return String(e);
}

/** Buffered sequential byte source over a file descriptor. */
class Source {
  private buf = new Uint8Array(CHUNK);
  private view = new DataView(this.buf.buffer);
  private start = 0;
  private end = 0;
  /** File offset of buf[0]. */
  private base = 0;
  private eof = false;
  private fd: number | undefined;

  constructor(
    fd: number,
    private readonly path: string,
  ) {
    this.fd = fd;
  }

  /** Closes the file and throws an InputError naming it. */
  fail(msg: string): never {
    this.close();
    throw new InputError(msg, { file: this.path });
  }

  /** File offset of the current position. */
  get offset(): number {
    return this.base + this.start;
  }

  get available(): number {
    return this.end - this.start;
  }

  /** Tries to buffer n bytes at the current position; returns how many are there (min n). */
  fill(n: number): number {
    while (this.end - this.start < n && !this.eof) {
      if (this.start + n > this.buf.length) this.compact(n);
      const fd = this.fd;
      if (fd === undefined) break;
      let got: number;
      try {
        got = readSync(fd, this.buf, this.end, this.buf.length - this.end, null);
      } catch (e) {
        this.fail(`cannot read: ${errReason(e)}`);
      }
      if (got === 0) this.eof = true;
      else this.end += got;
    }
    return Math.min(n, this.end - this.start);
  }

  private compact(n: number): void {
    const have = this.end - this.start;
    const want = Math.ceil(Math.max(n, CHUNK) / CHUNK) * CHUNK;
    if (this.buf.length < want || this.buf.length > 4 * want) {
      const nb = new Uint8Array(want);
      nb.set(this.buf.subarray(this.start, this.end));
      this.buf = nb;
      this.view = new DataView(nb.buffer);
    } else {
      this.buf.copyWithin(0, this.start, this.end);
    }
    this.base += this.start;
    this.start = 0;
    this.end = have;
  }

  u8(rel: number): number {
    return this.view.getUint8(this.start + rel);
  }
  u16(rel: number, le: boolean): number {
    return this.view.getUint16(this.start + rel, le);
  }
  u32(rel: number, le: boolean): number {
    return this.view.getUint32(this.start + rel, le);
  }
  i64(rel: number, le: boolean): bigint {
    return this.view.getBigInt64(this.start + rel, le);
  }
  /** Copies len bytes at rel (must be buffered). */
  bytes(rel: number, len: number): Uint8Array {
    return this.buf.slice(this.start + rel, this.start + rel + len);
  }
  skip(n: number): void {
    this.start += n;
  }

  close(): void {
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      this.eof = true;
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
}

interface Iface {
  snaplen: number;
  /** ns = ts * mul / div + offsetNs */
  mul: bigint;
  div: bigint;
  offsetNs: bigint;
}

const utf8 = new TextDecoder('utf-8');

function linkTypeError(lt: number, fail: (msg: string) => never, where: string): never {
  return fail(`link type ${lt} is not Ethernet (only DLT_EN10MB is supported)${where}`);
}

/** Opens a capture and reads its file header; throws InputError on any problem. */
export function openCapture(path: string): CaptureReader {
  const loc = { file: path };
  let fd: number;
  let size: number | undefined;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError(`cannot read: ${errReason(e)}`, loc);
  }
  try {
    const st = fstatSync(fd);
    if (st.isFile()) size = st.size;
  } catch {
    size = undefined;
  }
  const s = new Source(fd, path);
  const fail = (msg: string): never => s.fail(msg);
  /** Bytes left from the current position, if known. */
  const remaining = (): number => (size === undefined ? MAX_BLOCK : size - s.offset);

  const got = s.fill(4);
  if (got === 0) fail('empty file (not a pcap or pcapng capture)');
  if (got < 4) fail(`truncated file header at byte offset 0 (${got} bytes)`);
  const magicBe = s.u32(0, false);
  const magicLe = s.u32(0, true);
  if (magicBe === NG_SHB) return openPcapng(s, fail, remaining);
  if (magicLe === PCAP_US || magicLe === PCAP_NS || magicBe === PCAP_US || magicBe === PCAP_NS) {
    return openPcap(s, fail, remaining);
  }
  return fail(`bad magic ${hex32(magicBe)} at byte offset 0 (not a pcap or pcapng capture)`);
}

function openPcap(s: Source, fail: (msg: string) => never, remaining: () => number): CaptureReader {
  const le = s.u32(0, true) === PCAP_US || s.u32(0, true) === PCAP_NS;
  const nano = s.u32(0, le) === PCAP_NS;
  const got = s.fill(24);
  if (got < 24) fail(`truncated pcap file header at byte offset 0 (${got} of 24 bytes)`);
  const major = s.u16(4, le);
  const minor = s.u16(6, le);
  if (major !== 2) fail(`unsupported pcap version ${major}.${minor} at byte offset 4`);
  const linkType = s.u32(20, le) & 0x03ffffff;
  if (linkType !== LINKTYPE_ETHERNET) linkTypeError(linkType, fail, '');
  s.skip(24);
  const fracNs = nano ? 1n : 1000n;
  let index = 0;
  let done = false;

  const next = (): CaptureRecord | undefined => {
    if (done) return undefined;
    const at = s.offset;
    const h = s.fill(16);
    if (h === 0) {
      done = true;
      s.close();
      return undefined;
    }
    if (h < 16) fail(`truncated record header at byte offset ${at} (${h} of 16 bytes)`);
    const sec = s.u32(0, le);
    const frac = s.u32(4, le);
    const incl = s.u32(8, le);
    const orig = s.u32(12, le);
    if (incl > MAX_BLOCK) fail(`bad captured length ${incl} in record ${index} at byte offset ${at}`);
    if (16 + incl > remaining()) {
      fail(`truncated record ${index} at byte offset ${at}: needs ${16 + incl} bytes, ${remaining()} left`);
    }
    const n = s.fill(16 + incl);
    if (n < 16 + incl) fail(`truncated record ${index} at byte offset ${at}: needs ${16 + incl} bytes, ${n} left`);
    const data = s.bytes(16, incl);
    s.skip(16 + incl);
    // Some writers store orig < incl; keep data.length <= wireLen.
    return { index: index++, tsNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * fracNs, wireLen: Math.max(orig, incl), data, iface: 0 };
  };
  return { format: 'pcap', next, close: () => { done = true; s.close(); } };
}

function openPcapng(s: Source, fail: (msg: string) => never, remaining: () => number): CaptureReader {
  let le = true;
  let ifaces: Iface[] = [];
  let shbComment: string | undefined;
  let index = 0;
  let lastTs = 0n;
  let done = false;

  /** Reads the section header block at the current position. */
  const readShb = (): void => {
    const at = s.offset;
    const h = s.fill(12);
    if (h < 12) fail(`truncated section header block at byte offset ${at} (${h} of 12 bytes)`);
    const bom = s.u32(8, true);
    if (bom === NG_BOM) le = true;
    else if (s.u32(8, false) === NG_BOM) le = false;
    else fail(`bad byte-order magic ${hex32(s.u32(8, false))} at byte offset ${at + 8}`);
    const len = s.u32(4, le);
    readBlock(at, len, 28, 'section header block');
    const major = s.u16(12, le);
    if (major !== 1) fail(`unsupported pcapng version ${major}.${s.u16(14, le)} at byte offset ${at + 12}`);
    ifaces = [];
    shbComment = undefined;
    options(at, 24, len - 4, (code, rel, olen) => {
      if (code === 1) shbComment = comment(rel, olen);
    });
    s.skip(len);
  };

  /** Validates and buffers the whole block at the current position (`at`). */
  const readBlock = (at: number, len: number, min: number, what: string): void => {
    if (len < min || len % 4 !== 0) fail(`bad block length ${len} for ${what} at byte offset ${at}`);
    if (len > remaining()) fail(`truncated ${what} at byte offset ${at}: length ${len}, ${remaining()} bytes left`);
    const n = s.fill(len);
    if (n < len) fail(`truncated ${what} at byte offset ${at}: length ${len}, ${n} bytes left`);
    const trail = s.u32(len - 4, le);
    if (trail !== len) fail(`${what} at byte offset ${at}: trailing length ${trail} does not match ${len}`);
  };

  /** Walks options in [from, to) of the buffered block; calls fn(code, rel, len). */
  const options = (at: number, from: number, to: number, fn: (code: number, rel: number, len: number) => void): void => {
    let p = from;
    while (p + 4 <= to) {
      const code = s.u16(p, le);
      const olen = s.u16(p + 2, le);
      if (code === 0) return;
      const padded = (olen + 3) & ~3;
      if (p + 4 + padded > to) fail(`bad option length ${olen} (code ${code}) at byte offset ${at + p}`);
      fn(code, p + 4, olen);
      p += 4 + padded;
    }
  };

  const comment = (rel: number, len: number): string => utf8.decode(s.bytes(rel, len)).replace(/\0+$/, '');

  const readIdb = (at: number, len: number): void => {
    const linkType = s.u16(8, le);
    if (linkType !== LINKTYPE_ETHERNET) linkTypeError(linkType, fail, ` (interface ${ifaces.length} at byte offset ${at})`);
    const iface: Iface = { snaplen: s.u32(12, le), mul: 1000n, div: 1n, offsetNs: 0n };
    options(at, 16, len - 4, (code, rel, olen) => {
      if (code === 9) {
        if (olen < 1) fail(`bad if_tsresol option at byte offset ${at + rel}`);
        const r = s.u8(rel);
        const e = r & 0x7f;
        if (r & 0x80) {
          iface.mul = 1_000_000_000n;
          iface.div = 1n << BigInt(e);
        } else if (e <= 9) {
          iface.mul = 10n ** BigInt(9 - e);
          iface.div = 1n;
        } else {
          iface.mul = 1n;
          iface.div = 10n ** BigInt(e - 9);
        }
      } else if (code === 14) {
        if (olen < 8) fail(`bad if_tsoffset option at byte offset ${at + rel}`);
        iface.offsetNs = s.i64(rel, le) * 1_000_000_000n;
      }
    });
    ifaces.push(iface);
  };

  const next = (): CaptureRecord | undefined => {
    while (!done) {
      const at = s.offset;
      const h = s.fill(8);
      if (h === 0) {
        done = true;
        s.close();
        return undefined;
      }
      if (h < 8) fail(`truncated block header at byte offset ${at} (${h} of 8 bytes)`);
      const type = s.u32(0, le);
      if (type === NG_SHB) {
        readShb();
        continue;
      }
      const len = s.u32(4, le);
      if (type === NG_IDB) {
        readBlock(at, len, 20, 'interface description block');
        readIdb(at, len);
        s.skip(len);
        continue;
      }
      if (type === NG_EPB) {
        readBlock(at, len, 32, 'enhanced packet block');
        const ifid = s.u32(8, le);
        const iface = ifaces[ifid];
        if (!iface) fail(`enhanced packet block at byte offset ${at} names interface ${ifid}, but only ${ifaces.length} are described`);
        const ts = (BigInt(s.u32(12, le)) << 32n) | BigInt(s.u32(16, le));
        const cap = s.u32(20, le);
        const orig = s.u32(24, le);
        const padded = (cap + 3) & ~3;
        if (28 + padded > len - 4) fail(`bad captured length ${cap} in enhanced packet block at byte offset ${at}`);
        const data = s.bytes(28, cap);
        const comments: string[] = [];
        options(at, 28 + padded, len - 4, (code, rel, olen) => {
          if (code === 1) comments.push(comment(rel, olen));
        });
        s.skip(len);
        lastTs = (ts * iface.mul) / iface.div + iface.offsetNs;
        const rec: CaptureRecord = { index: index++, tsNs: lastTs, wireLen: Math.max(orig, cap), data, iface: ifid };
        if (comments.length > 0) rec.comment = comments.join('\n');
        return rec;
      }
      if (type === NG_SPB) {
        readBlock(at, len, 16, 'simple packet block');
        const iface = ifaces[0];
        if (!iface) fail(`simple packet block at byte offset ${at} comes before any interface description block`);
        const orig = s.u32(8, le);
        let cap = Math.min(orig, len - 16);
        if (iface.snaplen > 0) cap = Math.min(cap, iface.snaplen);
        const data = s.bytes(12, cap);
        s.skip(len);
        return { index: index++, tsNs: lastTs, wireLen: orig, data, iface: 0 };
      }
      // OPB, NRB, ISB, DSB, custom and unknown blocks: skip by length.
      readBlock(at, len, 12, `block of type ${hex32(type)}`);
      s.skip(len);
    }
    return undefined;
  };

  readShb();
  return {
    format: 'pcapng',
    get sectionComment() {
      return shbComment;
    },
    next,
    close: () => { done = true; s.close(); },
  };
}
