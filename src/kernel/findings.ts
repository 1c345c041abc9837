import { LEAKS, VIOLATIONS, type LeakKind, type ViolationKind } from './names.js';

/** Thrown by a tracing re-run once every wanted kind's first occurrence has its call path. */
export class TraceComplete extends Error {
  constructor() {
    super('trace complete');
  }
}

export interface FirstOccurrence {
  t_ns: number;
  /** The frame the finding concerns: the receive frame of its page, else the frame being processed. */
  frame: number;
  /** The frame of the skb being processed (freed, attached) when it differs from `frame`. */
  skb_frame?: number;
  object: string;
  path: string[];
}

interface Entry {
  count: number;
  first: FirstOccurrence;
}

/**
 * Violations and leaks, counted per kind; only the first occurrence keeps its object and call path,
 * so the hot path never builds strings.
 */
export class Findings {
  private readonly violations = new Map<ViolationKind, Entry>();
  private readonly leaks = new Map<LeakKind, Entry>();

  /** Counts a violation; the first one of its kind keeps its object and the call path (stack[0..depth)). */
  violation(kind: ViolationKind, tNs: number, frame: number, skbFrame: number, describe: () => string, stack: readonly string[], depth: number): void {
    const e = this.violations.get(kind);
    if (e) e.count++;
    else {
      const first: FirstOccurrence = { t_ns: tNs, frame, object: describe(), path: stack.slice(0, Math.min(depth, stack.length)) };
      if (skbFrame !== frame) first.skb_frame = skbFrame;
      this.violations.set(kind, { count: 1, first });
    }
  }

  leak(kind: LeakKind, count: number, first: FirstOccurrence): void {
    if (count <= 0) return;
    const e = this.leaks.get(kind);
    if (e) e.count += count;
    else this.leaks.set(kind, { count, first });
  }

  has(kinds: ReadonlySet<ViolationKind>): boolean {
    for (const kind of kinds) if (!this.violations.has(kind)) return false;
    return true;
  }

  violationCount(kind?: ViolationKind): number {
    if (kind) return this.violations.get(kind)?.count ?? 0;
    let n = 0;
    for (const e of this.violations.values()) n += e.count;
    return n;
  }

  leakCount(kind?: LeakKind): number {
    if (kind) return this.leaks.get(kind)?.count ?? 0;
    let n = 0;
    for (const e of this.leaks.values()) n += e.count;
    return n;
  }

  listViolations(): { kind: ViolationKind; count: number; kernel: string; first: FirstOccurrence }[] {
    return [...this.violations.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([kind, e]) => ({ kind, count: e.count, kernel: VIOLATIONS[kind].kernel, first: e.first }));
  }

  listLeaks(): { kind: LeakKind; count: number; kernel: string; first: FirstOccurrence }[] {
    return [...this.leaks.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([kind, e]) => ({ kind, count: e.count, kernel: LEAKS[kind].kernel, first: e.first }));
  }
}
