import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../kernel/errors.js';

/** The package root (works from src/cli under tsx and from dist/cli). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** Where output goes; tests swap the writers. */
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** stdout is a terminal (colour). */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  /** stderr is a terminal (progress); false when absent. */
  stderrIsTTY?: boolean;
  /** Wall clock in ms (progress timing); Date.now when absent. */
  clock?: () => number;
}

export const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: process.stdout.isTTY,
  env: process.env,
  stderrIsTTY: process.stderr.isTTY,
};

/** An environment flag such as CI=true: set, non-empty, and not false/0. */
export function envFlag(io: Io, name: string): boolean {
  const v = io.env[name];
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

/** Colour only on a TTY, never with NO_COLOR set non-empty or --no-color, never when stdout is JSON. */
export function useColor(io: Io, opts: { color?: boolean }, stdoutIsMachine: boolean): boolean {
  if (opts.color === false) return false;
  const nc = io.env.NO_COLOR;
  if (nc !== undefined && nc !== '') return false;
  if (stdoutIsMachine) return false;
  return io.isTTY;
}

/** Writes a file whole or not at all (temp file, then rename); `-` means stdout. */
export function writeOutput(io: Io, file: string, text: string): void {
  if (file === '-') {
    io.stdout(text);
    return;
  }
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    throw new InputError(`cannot write: ${(e as Error).message}`, { file });
  }
}
