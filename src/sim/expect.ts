import type { Kernel, Counters } from '../kernel/kernel.js';
import { isLeakKind, isViolationKind, type CounterName } from '../kernel/names.js';
import type { ExpectResult } from './report.js';
import type { CmpOp, Expect, Expectation } from './scenario.js';

function cmp(a: number, op: CmpOp, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

function check(e: Expectation, actual: number, counters: Counters): ExpectResult {
  const rhs = (e.rhs.counter === undefined ? 0 : counters[e.rhs.counter as CounterName]) + e.rhs.offset;
  return { check: e.text, ok: cmp(actual, e.op, rhs), actual };
}

/** Evaluates an expect block against the run's counters and findings (only the keys it lists). */
export function evaluateExpect(ex: Expect | undefined, k: Kernel, counters: Counters): ExpectResult[] {
  if (!ex) return [];
  const out: ExpectResult[] = [];
  const f = k.findings;
  if (ex.violations) {
    if ('op' in ex.violations) out.push(check(ex.violations as Expectation, f.violationCount(), counters));
    else for (const [kind, e] of Object.entries(ex.violations)) out.push(check(e, isViolationKind(kind) ? f.violationCount(kind) : 0, counters));
  }
  if (ex.leaks) {
    if ('op' in ex.leaks) out.push(check(ex.leaks as Expectation, f.leakCount(), counters));
    else for (const [kind, e] of Object.entries(ex.leaks)) out.push(check(e, isLeakKind(kind) ? f.leakCount(kind) : 0, counters));
  }
  for (const [name, e] of Object.entries(ex.counters)) out.push(check(e, counters[name as CounterName], counters));
  return out;
}
