// The CLI bundle's lazily loaded modules (scripts/lazy-modules.mjs): each import reads the real module,
// loaded on first read, never before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { lazyModules } from '../../scripts/lazy-modules.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Bundles `entry` as the CLI build does and evaluates it as a CommonJS module in `dir`. */
async function bundle(entry: string, dir: string): Promise<Record<string, unknown>> {
  const out = await build({ stdin: { contents: entry, resolveDir: ROOT }, bundle: true, platform: 'node', format: 'cjs', write: false, logLevel: 'silent', plugins: [lazyModules({ deps: './deps.cjs' })] });
  const file = join(dir, 'bundle.cjs');
  writeFileSync(file, out.outputFiles[0]!.text);
  return createRequire(import.meta.url)(file) as Record<string, unknown>;
}

test('lazy builtins: worker_threads and child_process members are Node\'s own, through node: and bare names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-sim-lazy-'));
  const m = await bundle("import { MessageChannel, Worker } from 'node:worker_threads'; import * as cp from 'child_process';\nexport const got = { MessageChannel, Worker, spawn: cp.spawn };", dir);
  const real = await import('node:worker_threads');
  const { spawn } = await import('node:child_process');
  assert.deepEqual(m.got, { MessageChannel: real.MessageChannel, Worker: real.Worker, spawn });
  const { port1, port2 } = new (m.got as { MessageChannel: typeof real.MessageChannel }).MessageChannel();
  port1.close();
  port2.close();
});

test('lazy deps: yaml and zod come from the deps file, read on first use and not when the bundle loads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-sim-lazy-'));
  writeFileSync(join(dir, 'deps.cjs'), "globalThis.ppSimDepsLoaded = (globalThis.ppSimDepsLoaded ?? 0) + 1;\nmodule.exports = { yaml: { parseDocument: (t) => `doc:${t}` }, zod: { NEVER: 'never' } };\n");
  const g = globalThis as { ppSimDepsLoaded?: number };
  delete g.ppSimDepsLoaded;
  const m = await bundle("import { parseDocument } from 'yaml';\nimport * as z from 'zod';\nexport const parse = (t) => parseDocument(t);\nexport const never = () => z.NEVER;", dir);
  assert.equal(g.ppSimDepsLoaded, undefined);
  assert.equal((m.parse as (t: string) => string)('a: 1'), 'doc:a: 1');
  assert.equal((m.never as () => string)(), 'never');
  assert.equal(g.ppSimDepsLoaded, 1);
});
