import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  /** Width of the stdout terminal; absent when not a terminal. */
  columns?: number;
  env: Record<string, string | undefined>;
  /** stderr is a terminal (progress); false when absent. */
  stderrIsTTY?: boolean;
  /** Wall clock in ms (progress timing); Date.now when absent. */
  clock?: () => number;
}

let pipesGuarded = false;

/** A reader that went away (`pp-sim ... | head`) ends the run quietly instead of with an EPIPE stack. */
function guardPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
}

export const processIo: Io = {
  stdout: (s) => {
    guardPipes();
    process.stdout.write(s);
  },
  stderr: (s) => {
    guardPipes();
    process.stderr.write(s);
  },
  isTTY: process.stdout.isTTY,
  columns: process.stdout.columns,
  env: process.env,
  stderrIsTTY: process.stderr.isTTY,
};

/** An environment flag such as CI=true: set, non-empty, and not false/0. */
export function envFlag(io: Io, name: string): boolean {
  const v = io.env[name];
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

/** FORCE_COLOR as Node and chalk read it: unset or empty says nothing, 0/false turns colour off, anything else on. */
function forcedColor(io: Io): boolean | undefined {
  const v = io.env.FORCE_COLOR;
  if (v === undefined || v === '') return undefined;
  return v !== '0' && v !== 'false';
}

/** TERM=dumb: a terminal that understands neither escape sequences nor carriage-return redraws. */
export function dumbTerminal(io: Io): boolean {
  return io.env.TERM === 'dumb';
}

/**
 * Colour, strongest rule first: never with --no-color or when stdout is JSON; FORCE_COLOR forces it
 * on (or off with 0/false); never with NO_COLOR set non-empty or TERM=dumb; otherwise on a TTY.
 */
export function useColor(io: Io, opts: { color?: boolean }, stdoutIsMachine: boolean): boolean {
  if (opts.color === false || stdoutIsMachine) return false;
  const forced = forcedColor(io);
  if (forced !== undefined) return forced;
  const nc = io.env.NO_COLOR;
  if (nc !== undefined && nc !== '') return false;
  if (dumbTerminal(io)) return false;
  return io.isTTY;
}

/** Writes a file whole or not at all (temp file, then rename); `-` means stdout. */
export function writeOutput(io: Io, file: string, text: string): void {
  if (file === '-') {
    io.stdout(text);
    return;
  }
  const tmp = `${file}.tmp-${String(process.pid)}`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written
    }
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : code === 'ENOTDIR' || code === 'EEXIST' ? 'a parent is not a directory' : (e as Error).message;
    throw new InputError(`cannot write: ${why}`, { file });
  }
}
