import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERA_STEP_TEXT as STEP_TEXT } from '../../src/cli/explain-data.js';
import { STEP_OPS } from '../../src/workload/schema.js';
import { capture } from './helpers.js';

test('explain <step> tells what each skb-operation step runs and the kernel function per era', () => {
  for (const [op, t] of Object.entries(STEP_TEXT)) {
    assert.ok((STEP_OPS as string[]).includes(op), `${op} is a step`);
    const r = capture(['explain', op, '--no-color']);
    assert.equal(r.code, 0, op);
    assert.match(r.out, new RegExp(`^${op} — step`));
    assert.match(r.out, /The kernel function by era\n/);
    for (const s of t.scenarios) assert.ok(r.out.includes(s), `${op} names ${s}`);
  }
  for (const op of ['__pskb_pull_tail', 'skb_condense', 'pskb_trim', 'skb_cow', 'skb_segment', 'skb_shift']) assert.ok(op in STEP_TEXT, op);
  assert.match(capture(['explain', 'skb_segmnt']).err, /did you mean 'skb_segment'/);
});
