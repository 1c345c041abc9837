/** Typed arrays the model grows by doubling: a copy of `a` with room for `n` elements. */
export function grown(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer>;
export function grown(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer>;
export function grown(a: Uint8Array<ArrayBuffer>, n: number): Uint8Array<ArrayBuffer>;
export function grown(a: Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer> {
  const b = a instanceof Float64Array ? new Float64Array(n) : a instanceof Int32Array ? new Int32Array(n) : new Uint8Array(n);
  b.set(a);
  return b;
}
