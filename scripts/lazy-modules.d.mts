import type { Plugin } from 'esbuild';

export function lazyModules(options: { deps: string }): Plugin;
