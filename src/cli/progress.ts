import { dumbTerminal, envFlag, type Io } from './context.js';

const DELAY_MS = 1000;
const EVERY_MS = 100;
const WIDTH = 79;

/**
 * A one-line status on stderr for runs longer than a second: only on a terminal, never under
 * CI=true, TERM=dumb, --no-progress or --quiet. `done()` erases it before other output is printed.
 */
export class Progress {
  private readonly enabled: boolean;
  private readonly clock: () => number;
  private readonly t0: number;
  private last = -Infinity;
  private shown = false;

  constructor(
    private readonly io: Io,
    o: { progress?: boolean; quiet?: boolean },
  ) {
    this.enabled = io.stderrIsTTY === true && o.progress !== false && o.quiet !== true && !envFlag(io, 'CI') && !dumbTerminal(io);
    this.clock = io.clock ?? Date.now;
    this.t0 = this.enabled ? this.clock() : 0;
  }

  /** `label` plus a bar for `fraction` (0..1). */
  update(label: string, fraction: number): void {
    if (!this.enabled) return;
    const t = this.clock();
    if (t - this.t0 < DELAY_MS || t - this.last < EVERY_MS) return;
    this.last = t;
    const f = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(f * 20);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${String(Math.floor(f * 100)).padStart(3)}%`;
    const room = WIDTH - bar.length - 1;
    const text = label.length > room ? `${label.slice(0, room - 1)}…` : label.padEnd(room);
    this.io.stderr(`\r${text} ${bar}`);
    this.shown = true;
  }

  /** Erases the status line. */
  done(): void {
    if (this.shown) this.io.stderr(`\r${' '.repeat(WIDTH)}\r`);
    this.shown = false;
  }
}
