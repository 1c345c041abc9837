/** Typed arrays the model grows by doubling: a copy of `a` with room for `n` elements. */
export function grown(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer>;
export function grown(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer>;
export function grown(a: Uint8Array<ArrayBuffer>, n: number): Uint8Array<ArrayBuffer>;
export function grown(a: Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer> {
  const b = a instanceof Float64Array ? new Float64Array(n) : a instanceof Int32Array ? new Int32Array(n) : new Uint8Array(n);
  b.set(a);
  return b;
}

/**
 * Initial value of a number field that grows past 2^31 (a time in ns, a byte count, a sequence number).
 * -0 is not a small integer, so V8 lays the field out as a double from the start. A field laid out as a
 * small integer changes its object's shape when the value outgrows it, which deoptimises every function
 * that touches the object (a wave of recompiles seconds into a run).
 */
export const WIDE_ZERO = -0;

type TypedArrayCtor = Int8ArrayConstructor | Uint8ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor | Float64ArrayConstructor;

/**
 * Typed arrays of one length (one element per page), carved from a single zeroed ArrayBuffer. The OS
 * maps one large allocation page by page as it is first written, so what is reserved and never
 * written costs nothing; allocated one by one, arrays of a few hundred KiB each get zeroed up front
 * once the C heap holds freed blocks (about 0.4 ms per array, most of building the board).
 */
export class PageArrays {
  private readonly buf: ArrayBuffer;
  private off = 0;

  constructor(
    readonly length: number,
    bytesPerElement: number,
  ) {
    // and up to 7 bytes per array of padding, which keeps each one 8-aligned (for 32 arrays)
    this.buf = new ArrayBuffer(length * bytesPerElement + 8 * 32);
  }

  /** The next array of `length` elements of type C. */
  take<C extends TypedArrayCtor>(C: C): InstanceType<C> {
    const bytes = Math.ceil((this.length * C.BYTES_PER_ELEMENT) / 8) * 8;
    if (this.off + bytes > this.buf.byteLength) throw new RangeError(`PageArrays: ${String(this.buf.byteLength / this.length)} bytes per element reserved, more taken`);
    const a = new C(this.buf, this.off, this.length) as InstanceType<C>;
    this.off += bytes;
    return a;
  }
}
