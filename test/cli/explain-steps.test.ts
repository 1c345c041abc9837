// explain <step> for every step, explain seed, and the new finding kinds in list/explain/schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STEP_EXAMPLE } from '../../src/cli/commands/explain.js';
import { ROOT } from '../../src/cli/context.js';
import { STEP_OPS } from '../../src/workload/schema.js';
import { capture } from './helpers.js';

test('explain <step> works for every step: what it does, what it consumes, each era, the kernel function', () => {
  for (const op of STEP_OPS) {
    const r = capture(['explain', op, '--no-color']);
    assert.equal(r.code, 0, `${op}: ${r.err}`);
    for (const h of ['What it does', 'What it consumes', 'In each era', 'Kernel function it follows']) assert.match(r.out, new RegExp(`\\n${h}`), `${op}: ${h}`);
  }
  // skb_try_coalesce: from is consumed only when the coalesce succeeds; each era's coalesce rule
  const c = capture(['explain', 'skb_try_coalesce', '--no-color']).out;
  assert.match(c, /Consumes `from` only when the coalesce succeeds/);
  assert.match(c, /upstream-6\.1, upstream-6\.6: coalesce=pp_match_noclone skb_recycle=pp_recycle/);
  assert.match(c, /mvneta_03.*: coalesce=steal skb_recycle=mem_info/);
});

test('each step\'s example scenario uses that step', () => {
  for (const [op, name] of Object.entries(STEP_EXAMPLE)) {
    const text = readFileSync(join(ROOT, 'scenarios', 'steps', `${name}.yaml`), 'utf8');
    assert.match(text, new RegExp(`^\\s*- ${op}\\b`, 'm'), `${name}.yaml uses ${op}`);
  }
});

test('explain seed says what --seed changes; unknown names suggest steps', () => {
  const r = capture(['explain', 'seed', '--no-color']);
  assert.equal(r.code, 0);
  assert.match(r.out, /reader: slow/);
  assert.match(r.out, /IGMP/);
  assert.match(r.out, /step scenarios have no random choice/);
  assert.match(capture(['explain', 'skb_try_colesce']).err, /did you mean 'skb_try_coalesce'\?/);
});

test('skb-use-after-free and skb-double-free are in list violations, explain and the schema', () => {
  const list = capture(['list', 'violations']).out;
  const schema = capture(['schema']).out;
  for (const kind of ['skb-use-after-free', 'skb-double-free']) {
    assert.match(list, new RegExp(`^${kind} `, 'm'));
    const e = capture(['explain', kind, '--no-color']);
    assert.equal(e.code, 0);
    assert.match(e.out, /KASAN/);
    assert.ok(schema.includes(`"${kind}"`), `schema lists ${kind}`);
  }
});
