// A pcapng file written while a run goes: blocks are batched into a 1 MiB buffer and written to a
// temp file, renamed into place at the end (whole or nothing), removed on failure.
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../kernel/errors.js';
import { PcapngWriter, type PcapngWriterOpts } from './pcapng.js';

const BUF = 1 << 20;

export class PcapngFile {
  readonly writer: PcapngWriter;
  private readonly tmp: string;
  private fd: number | undefined;
  private readonly buf = new Uint8Array(BUF);
  private used = 0;
  /** Packets written. */
  packets = 0;

  constructor(
    private readonly file: string,
    opts: PcapngWriterOpts = {},
  ) {
    this.tmp = `${file}.tmp-${process.pid}`;
    try {
      mkdirSync(dirname(file), { recursive: true });
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw new InputError(`cannot write: ${(e as Error).message}`, { file });
    }
    this.writer = new PcapngWriter((chunk) => {
      this.put(chunk);
    }, opts);
  }

  writePacket(tsNs: bigint, data: Uint8Array, wireLen: number, comment?: string): void {
    this.writer.writePacket(tsNs, data, wireLen, comment);
    this.packets++;
  }

  private put(chunk: Uint8Array): void {
    if (this.used + chunk.length > BUF) this.flush();
    if (chunk.length > BUF) this.write(chunk);
    else {
      this.buf.set(chunk, this.used);
      this.used += chunk.length;
    }
  }

  private flush(): void {
    if (this.used > 0) this.write(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private write(b: Uint8Array): void {
    const fd = this.fd;
    if (fd === undefined) throw new InputError('cannot write: file already closed', { file: this.file });
    try {
      for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
    } catch (e) {
      this.abort();
      throw new InputError(`cannot write: ${(e as Error).message}`, { file: this.file });
    }
  }

  /** Flushes, closes and renames the temp file into place. */
  finish(): void {
    this.flush();
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (fd !== undefined) closeSync(fd);
      renameSync(this.tmp, this.file);
    } catch (e) {
      rmSync(this.tmp, { force: true });
      throw new InputError(`cannot write: ${(e as Error).message}`, { file: this.file });
    }
  }

  /** Drops the temp file (the run failed). */
  abort(): void {
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (fd !== undefined) closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(this.tmp, { force: true });
  }
}
