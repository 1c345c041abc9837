// The step runner's names: what is an input error (cannot be a kernel state) and what is a finding
// (a kernel state: an skb used after kfree_skb, freed twice).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/kernel/errors.js';
import { checkStepNames } from '../../src/sim/steps.js';
import { parseScenario } from '../../src/workload/parse.js';
import { kinds, runYaml } from '../helpers.js';

const head = 'name: t\ndescription: t\n';

describe('skb use after free and double free are findings (v6.1 net/core/skbuff.c: kfree_skb → __kfree_skb → kfree_skbmem)', () => {
  // [what, steps, branch, findings, first object, first path]
  const cases: [string, string, string, Record<string, number>, RegExp, string[]][] = [
    ['kfree_skb twice', '- rx: a\n- kfree_skb: a\n- kfree_skb: a\n', 'upstream-6.1', { 'skb-double-free': 1 }, /skb 'a' \(freed by kfree_skb at line 5\)/, ['kfree_skb', 'kfree_skbmem']],
    ['consume_skb after kfree_skb', '- rx: a\n- kfree_skb: a\n- consume_skb: a\n', 'mvneta_03', { 'skb-double-free': 1 }, /freed by kfree_skb/, ['consume_skb', 'kfree_skbmem']],
    ['skb_clone of a freed skb', '- rx: a\n- consume_skb: a\n- skb_clone: { skb: a, as: b }\n', 'upstream-6.1', { 'skb-use-after-free': 1 }, /skb 'a' \(freed by consume_skb at line 5\)/, ['skb_clone']],
    // a successful coalesce consumes from (kfree_skb_partial); using it afterwards is a use after free
    ['from after a successful coalesce', '- rx: { as: a, len: 200 }\n- rx: { as: b, len: 200 }\n- skb_try_coalesce: { to: a, from: b }\n- skb_copy: { skb: b, as: c }\n- kfree_skb: a\n', 'upstream-6.1', { 'skb-use-after-free': 1 }, /skb 'b' \(consumed by skb_try_coalesce at line 6\)/, ['skb_copy']],
    // skb_unshare of an uncloned skb returns it under a second name: merged under one, gone under both
    ['the second name of an unshared skb after GRO merged the first', '- rx: { as: a, len: 1514 }\n- rx: { as: b, len: 1514 }\n- skb_unshare: { skb: b, as: b2 }\n- skb_gro_receive: { held: a, skb: b }\n- skb_gro_receive: { held: a, skb: b2 }\n- kfree_skb: a\n', 'upstream-6.1', { 'skb-use-after-free': 1 }, /skb 'b2' \(merged by skb_gro_receive at line 7\)/, ['skb_gro_receive']],
    // the name a skipped step would have created names a freed skb too
    ['a clone that was never created', '- rx: a\n- kfree_skb: a\n- skb_clone: { skb: a, as: b }\n- kfree_skb: b\n', 'upstream-6.1', { 'skb-use-after-free': 1, 'skb-double-free': 1 }, /skb 'a'/, ['skb_clone']],
  ];
  for (const [what, steps, branch, want, object, path] of cases) {
    it(`${what} (${branch})`, () => {
      const r = runYaml(`${head}steps:\n${steps.replace(/^/gm, '  ').trimEnd()}\n`, { branch });
      assert.deepEqual(kinds(r), want);
      const first = r.violations.find((v) => v.kind === Object.keys(want)[0])!;
      assert.match(first.first.object, object);
      assert.deepEqual(first.first.path, path);
      assert.equal(r.result, 'fail');
    });
  }

  it('frees nothing a second time: the page goes back to the pool once', () => {
    const once = runYaml(`${head}steps:\n  - rx: a\n  - kfree_skb: a\n`);
    const twice = runYaml(`${head}steps:\n  - rx: a\n  - kfree_skb: a\n  - kfree_skb: a\n`);
    assert.deepEqual(twice.counters, once.counters);
    assert.deepEqual(twice.leaks, []);
  });
});

describe('checkStepNames: what cannot be a kernel state is an input error', () => {
  // [what, steps, xdp, messages (in step order)]
  const cases: [string, string, 'none' | 'drop' | 'tx', RegExp[]][] = [
    ['undefined skb, did you mean', '- rx: packet\n- kfree_skb: pakcet\n', 'none', [/^no skb named 'pakcet'; did you mean 'packet'\?$/]],
    ['created only later', '- kfree_skb: a\n- rx: a\n', 'none', [/^no skb named 'a' \('a' is created only later, at line 5\)$/]],
    ['wrong kind', '- rx: a\n- munmap: a\n', 'none', [/^'a' is a skb \(from rx at line 4\), not a vma$/]],
    ['pipe released twice', '- rx: a\n- skb_splice_bits: { skb: a, as: p }\n- pipe_release: p\n- pipe_release: p\n- kfree_skb: a\n', 'none', [/^pipe 'p' was already released by pipe_release at line 6$/]],
    ['same skb twice in one step', '- rx: a\n- skb_try_coalesce: { to: a, from: a }\n', 'none', [/given twice/]],
    ['name in use', '- rx: a\n- rx: a\n', 'none', [/^name 'a' is already in use \(skb from rx at line 4\)$/]],
    ['xdp drop names nothing', '- rx: a\n', 'drop', [/xdp: drop every received frame is dropped/]],
    ['xdp tx names a frame', '- rx: f\n- kfree_skb: f\n', 'tx', [/^'f' is a frame \(from rx at line 4\), not an skb$/]],
    ['flow', '- rx: { as: a, flow: f1 }\n', 'none', [/^no flow named 'f1'/]],
    ['a freed skb is not an input error', '- rx: a\n- kfree_skb: a\n- kfree_skb: a\n', 'none', []],
    ['a maybe-consumed name may be given again', '- rx: a\n- rx: b\n- skb_try_coalesce: { to: a, from: b }\n- rx: b\n', 'none', []],
  ];
  for (const [what, steps, xdp, want] of cases) {
    it(what, () => {
      const s = parseScenario(`${head}steps:\n${steps.replace(/^/gm, '  ').trimEnd()}\n`, 't.yaml');
      const errors = checkStepNames(s.steps!, xdp);
      assert.equal(errors.length, want.length, errors.map((e) => e.message).join('\n'));
      errors.forEach((e, i) => {
        assert.ok(e instanceof InputError);
        assert.match(e.message, want[i]!);
        assert.equal(e.loc?.file, 't.yaml');
        assert.ok(e.loc?.line !== undefined);
      });
    });
  }
});
