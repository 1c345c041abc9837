import { grown } from '../kernel/typed.js';

/**
 * The event queue: a binary min-heap of (time, sequence) in typed arrays; equal times pop in the
 * order they were pushed, so runs are deterministic.
 */
export class EventQueue {
  private time = new Float64Array(64);
  private seq = new Float64Array(64);
  private kind = new Int32Array(64);
  private arg = new Int32Array(64);
  private n = 0;
  private pushed = 0;

  get size(): number {
    return this.n;
  }

  get capacity(): number {
    return this.time.length;
  }

  push(t: number, kind: number, arg: number): void {
    if (this.n === this.time.length) this.grow();
    let i = this.n++;
    const s = this.pushed++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.time[p]! < t || (this.time[p] === t && this.seq[p]! < s)) break;
      this.move(p, i);
      i = p;
    }
    this.time[i] = t;
    this.seq[i] = s;
    this.kind[i] = kind;
    this.arg[i] = arg;
  }

  peekTime(): number {
    return this.n > 0 ? this.time[0]! : Infinity;
  }

  peekSeq(): number {
    return this.n > 0 ? this.seq[0]! : Infinity;
  }

  /** Takes a sequence number for an event kept outside the heap, so ties still order by push. */
  takeSeq(): number {
    return this.pushed++;
  }

  /** Pops the earliest event into `out` (time, kind, arg). */
  pop(out: { t: number; kind: number; arg: number }): boolean {
    if (this.n === 0) return false;
    out.t = this.time[0]!;
    out.kind = this.kind[0]!;
    out.arg = this.arg[0]!;
    const last = --this.n;
    if (last > 0) {
      const t = this.time[last]!;
      const s = this.seq[last]!;
      const k = this.kind[last]!;
      const a = this.arg[last]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= last) break;
        const r = l + 1;
        const c = r < last && (this.time[r]! < this.time[l]! || (this.time[r] === this.time[l] && this.seq[r]! < this.seq[l]!)) ? r : l;
        if (t < this.time[c]! || (t === this.time[c] && s < this.seq[c]!)) break;
        this.move(c, i);
        i = c;
      }
      this.time[i] = t;
      this.seq[i] = s;
      this.kind[i] = k;
      this.arg[i] = a;
    }
    return true;
  }

  private move(from: number, to: number): void {
    this.time[to] = this.time[from]!;
    this.seq[to] = this.seq[from]!;
    this.kind[to] = this.kind[from]!;
    this.arg[to] = this.arg[from]!;
  }

  private grow(): void {
    const n = this.time.length * 2;
    this.time = grown(this.time, n);
    this.seq = grown(this.seq, n);
    this.kind = grown(this.kind, n);
    this.arg = grown(this.arg, n);
  }
}
