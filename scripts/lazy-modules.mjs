// An esbuild plugin for the CLI bundle (scripts/build.mjs): modules a run of a built-in scenario never
// uses, so that a start neither compiles nor reads them. Node's child_process (commander's executable
// subcommands) and worker_threads (--jobs), and yaml and zod (a scenario or branch file parsed.json does
// not hold), which the build bundles apart into `deps`. Each import of them gets an object whose
// properties load the module on first read.

const BUILTINS = /^(node:)?(child_process|worker_threads)$/;
const DEPS = /^(yaml|zod)$/;

/** A CommonJS module whose named exports, `names`, read the module `load` evaluates to, the first read loading it. */
const lazyModule = (load, names) => `let m;
const load = () => m ?? (m = ${load});
for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });
`;

/** `deps`: the path, relative to the bundle, of a CommonJS file exporting `{ yaml, zod }`. */
export function lazyModules({ deps }) {
  return {
    name: 'lazy-modules',
    setup(b) {
      // the lazy module's own require of the builtin is Node's
      b.onResolve({ filter: BUILTINS }, (a) => (a.namespace === 'lazy-builtin' ? { path: a.path, external: true } : { path: a.path.replace(/^node:/, ''), namespace: 'lazy-builtin' }));
      b.onResolve({ filter: DEPS }, (a) => ({ path: a.path, namespace: 'lazy-dep' }));
      b.onResolve({ filter: /.*/, namespace: 'lazy-dep' }, (a) => ({ path: a.path, external: true }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (a) => ({
        contents: lazyModule(`require('node:${a.path}')`, Object.keys(await import(`node:${a.path}`))),
        loader: 'js',
      }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-dep' }, async (a) => ({
        contents: lazyModule(`require(${JSON.stringify(deps)}).${a.path}`, Object.keys(await import(a.path))),
        loader: 'js',
      }));
    },
  };
}
