// Bundles the CLI (and its worker, when there is one) into dist/cli/<name>.js: one file each, so
// startup reads one module instead of resolving every source and dependency file on its own. Then
// writes dist/cli/parsed.json: the built-in scenarios and branches as this bundle parses them.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { build } from 'esbuild';

const ENTRIES = ['src/cli/main.ts', 'src/cli/worker.ts'];

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ENTRIES.filter((e) => existsSync(e)).map((e) => ({ in: e, out: `cli/${basename(e, '.ts')}` })),
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // smaller source to read and parse at every start; names stay, so --debug stacks stay readable
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  // CommonJS dependencies (commander, cli-table3) require Node built-ins
  banner: { js: "import { createRequire as __ppSimRequire } from 'node:module'; const require = __ppSimRequire(import.meta.url);" },
});
const { parseBuiltins } = await import('../dist/cli/main.js');
writeFileSync('dist/cli/parsed.json', parseBuiltins());
