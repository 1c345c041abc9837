/**
 * include/linux/ptr_ring.h: a produce fails when the slot at the producer index is still
 * occupied; the consumer clears consumed slots lazily, in batches.
 */
export class PtrRing {
  private readonly slots: Int32Array;
  private producer = 0;
  private consumerHead = 0;
  private consumerTail = 0;
  private readonly batch: number;
  count = 0;

  constructor(readonly size: number) {
    this.slots = new Int32Array(size).fill(-1);
    // r->batch = SMP_CACHE_BYTES * 2 / sizeof(void *), forced to 1 when larger than size / 2.
    const b = (64 * 2) / 8;
    this.batch = b > size / 2 || b === 0 ? 1 : b;
  }

  /** __ptr_ring_produce: false when the ring is full. */
  produce(v: number): boolean {
    if (this.slots[this.producer] !== -1) return false;
    this.slots[this.producer] = v;
    if (++this.producer >= this.size) this.producer = 0;
    this.count++;
    return true;
  }

  empty(): boolean {
    return this.slots[this.consumerHead] === -1;
  }

  /** __ptr_ring_consume: -1 when empty. */
  consume(): number {
    const v = this.slots[this.consumerHead]!;
    if (v === -1) return -1;
    this.count--;
    // __ptr_ring_discard_one: advance the head, zero consumed slots once a batch accumulated.
    const head = this.consumerHead + 1;
    if (head - this.consumerTail >= this.batch || head >= this.size) {
      for (let t = head - 1; t >= this.consumerTail; t--) this.slots[t] = -1;
      this.consumerTail = head;
    }
    if (head >= this.size) {
      this.consumerHead = 0;
      this.consumerTail = 0;
    } else {
      this.consumerHead = head;
    }
    return v;
  }
}
