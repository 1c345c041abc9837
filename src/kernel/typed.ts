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
