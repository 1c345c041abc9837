// The built --jobs worker (dist/cli/worker.cjs, written by scripts/build.mjs): it loads the bundle and
// takes up a batch. A worker that fails to load is not an error the commands show: they run every case
// on one thread, so only the wall time would tell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { MessageChannel, Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('../../dist/cli/worker.cjs', import.meta.url));
/** The batch's shared word a worker raises when it takes the batch up (SERVING in src/cli/jobs.ts). */
const SERVING = 3;

test('dist/cli/worker.cjs: loads the bundle and takes up an empty batch', { skip: existsSync(WORKER) ? false : 'not built (npm run build)' }, async () => {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER, { workerData: { results: port2 }, transferList: [port2], stdout: true, stderr: true });
  let failure: Error | undefined;
  worker.once('error', (e) => { failure = e; });
  try {
    const shared = new SharedArrayBuffer(16);
    const st = new Int32Array(shared);
    worker.postMessage({ id: 1, tasks: [], order: [], shared });
    // short waits, letting an error event in between
    for (let waited = 0; Atomics.load(st, SERVING) === 0 && failure === undefined && waited < 30_000; waited += 50) {
      Atomics.wait(st, SERVING, 0, 50);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(failure, undefined);
    assert.equal(Atomics.load(st, SERVING), 1);
  } finally {
    port1.close();
    await worker.terminate();
  }
});
