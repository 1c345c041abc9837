// `pp-sim schema` is what editors validate scenario files with: every shipped scenario must pass
// it, and the mistakes the loader rejects that a schema can see must fail it (issue 4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/context.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function schemaFromCli(): object {
  let out = '';
  const io: Io = { stdout: (s) => (out += s), stderr: () => undefined, isTTY: false, env: {} };
  assert.equal(main(['schema'], io), 0);
  return JSON.parse(out) as object;
}

const validate = new Ajv({ strict: false, allErrors: true }).compile(schemaFromCli());

const shipped = [
  ...readdirSync(`${ROOT}scenarios`).filter((f) => f.endsWith('.yaml')).map((f) => `scenarios/${f}`),
  ...readdirSync(`${ROOT}scenarios/steps`).filter((f) => f.endsWith('.yaml')).map((f) => `scenarios/steps/${f}`),
];

test('pp-sim schema validates every shipped scenario', () => {
  assert.ok(shipped.length >= 15);
  for (const f of shipped) {
    const ok = validate(parse(readFileSync(`${ROOT}${f}`, 'utf8')));
    assert.ok(ok, `${f}: ${JSON.stringify(validate.errors)}`);
  }
});

test('pp-sim schema rejects unknown keys, unknown steps, wrong enums and a missing name', () => {
  const bad: [string, unknown][] = [
    ['unknown top-level key', { name: 'x', steps: [], cout: 1 }],
    ['unknown step', { name: 'x', steps: [{ skb_clon: { skb: 'a', as: 'b' } }] }],
    ['two ops in one step', { name: 'x', steps: [{ rx: 'a', kfree_skb: 'a' }] }],
    ['xdp verdict', { name: 'x', xdp: 'dorp', steps: [] }],
    ['reader', { name: 'x', host: { reader: 'lazy' }, steps: [] }],
    ['missing name', { steps: [] }],
    ['flow kind', { name: 'x', traffic: [{ kind: 'sctp', dst: '10.0.0.1' }] }],
  ];
  for (const [what, doc] of bad) assert.equal(validate(doc), false, what);
});
