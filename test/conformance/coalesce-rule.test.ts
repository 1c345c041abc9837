/**
 * skb_try_coalesce's pp_recycle rule per knob value, run through the conformance driver:
 * pp_match_clone is v6.1.0 (1effe8ca4e34: refuse unless to->pp_recycle == (from->pp_recycle &&
 * !skb_cloned(from))); pp_match_noclone is 6.1.25+ / v6.3 (0646dc31ca88: refuse when
 * to->pp_recycle != from->pp_recycle || (from->pp_recycle && skb_cloned(from))).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Case, CaseStep, HeadKind } from '../../conformance/case.js';
import { runCase } from '../../conformance/model.js';
import { loadBranches } from '../../src/cli/load.js';
import { resolveConfig } from '../../src/sim/config.js';

const { branches } = loadBranches();

function outcome(coalesce: string, to: HeadKind, from: HeadKind, cloned: boolean): string | undefined {
  const cfg = resolveConfig(branches, 'upstream-6.1', undefined, 'espressobin', undefined, [{ key: 'coalesce', value: coalesce, loc: undefined }]);
  const steps: CaseStep[] = [
    { op: 'rx', as: 'a', len: 1000, head: to, frags: 0, fragLen: 0 },
    { op: 'rx', as: 'b', len: 20, head: from, frags: 0, fragLen: 0 },
  ];
  if (cloned) steps.push({ op: 'skb_clone', skb: 'b', as: 'c' });
  steps.push({ op: 'skb_try_coalesce', to: 'a', from: 'b' });
  const c: Case = { name: 'rule', description: '', poolSize: 16, steps };
  return runCase(c, cfg).get(`@${steps.length}.coalesce`);
}

// to head, from head, from cloned, pp_match_clone (6.1.0), pp_match_noclone (6.1.25+)
const ROWS: [HeadKind, HeadKind, boolean, string, string][] = [
  ['pool', 'pool', false, 'copied', 'copied'],
  ['pool', 'pool', true, 'refused', 'refused'],
  ['kmalloc', 'pool', true, 'copied', 'refused'],
  ['kmalloc', 'pool', false, 'refused', 'refused'],
  ['pool', 'kmalloc', false, 'refused', 'refused'],
  ['kmalloc', 'kmalloc', true, 'copied', 'copied'],
];

describe('skb_try_coalesce pp_recycle rule (v6.1.0 vs 6.1.25+)', () => {
  for (const [to, from, cloned, v610, v6125] of ROWS) {
    it(`to ${to}, from ${from}${cloned ? ' (cloned)' : ''}: 6.1.0 ${v610}, 6.1.25+ ${v6125}`, () => {
      assert.equal(outcome('pp_match_clone', to, from, cloned), v610);
      assert.equal(outcome('pp_match_noclone', to, from, cloned), v6125);
    });
  }
});
