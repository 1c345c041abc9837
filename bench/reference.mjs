// The fixed reference program that bench/run.ts times pp-sim against: plain JavaScript doing the
// shape of a page-recycling fast path, so a ratio of CPU times holds across machines.
// One round: take a page index from a 128-entry alloc cache (refilled 64 at a time from a
// 1024-entry ring), set its refcount in a typed array, fill a descriptor object from a free list,
// queue it; every 32 queued, drop each refcount and return the page: odd batches to the cache
// (direct recycling, while it has room), even batches to the ring (recycling from outside NAPI). Usage: node bench/reference.mjs [rounds]   (default 40 000 000)
const rounds = Number(process.argv[2] ?? 40_000_000);

/** Runs the rounds; returns a checksum so no work can be dropped. */
function main(n) {
  const RING = 1024;
  const CACHE = 128;
  const REFILL = 64;
  const BATCH = 32;

  const refcount = new Int32Array(RING);
  const ring = new Int32Array(RING);
  let ringHead = 0;
  let ringTail = 0;
  let ringCount = 0;
  const cache = new Int32Array(CACHE);
  let cacheCount = 0;
  for (let p = 0; p < RING; p++) { ring[ringTail] = p; ringTail = ringTail + 1 === RING ? 0 : ringTail + 1; ringCount++; }

  function Desc() { this.page = -1; this.len = 0; this.off = 0; this.next = null; }
  let free = null;
  for (let i = 0; i < BATCH; i++) { const d = new Desc(); d.next = free; free = d; }
  const queue = new Array(BATCH).fill(null);
  let queued = 0;
  let checksum = 0;

  function allocPage() {
    if (cacheCount === 0) {
      for (let i = 0; i < REFILL && ringCount > 0; i++) {
        cache[cacheCount++] = ring[ringHead];
        ringHead = ringHead + 1 === RING ? 0 : ringHead + 1;
        ringCount--;
      }
    }
    return cache[--cacheCount];
  }

  function returnPage(p, direct) {
    if (direct && cacheCount < CACHE) { cache[cacheCount++] = p; return; }
    ring[ringTail] = p;
    ringTail = ringTail + 1 === RING ? 0 : ringTail + 1;
    ringCount++;
  }

  let batches = 0;
  function drain() {
    const direct = (batches++ & 1) === 1;
    for (let i = 0; i < queued; i++) {
      const d = queue[i];
      checksum = (checksum + d.page * 31 + d.len + d.off) | 0;
      if (--refcount[d.page] === 0) returnPage(d.page, direct);
      d.next = free;
      free = d;
      queue[i] = null;
    }
    queued = 0;
  }

  for (let r = 0; r < n; r++) {
    const page = allocPage();
    refcount[page] = 1;
    const d = free;
    free = d.next;
    d.page = page;
    d.len = 64 + (r & 1023);
    d.off = (r & 7) * 256;
    d.next = null;
    queue[queued++] = d;
    if (queued === BATCH) drain();
  }
  drain();
  return checksum;
}

const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
const checksum = main(rounds);
const cpu = process.cpuUsage(c0);
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(`${JSON.stringify({ rounds, wallS, cpuS: (cpu.user + cpu.system) / 1e6, nsPerRound: (wallS * 1e9) / rounds, checksum })}\n`);
