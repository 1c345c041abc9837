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
import { KNOB_NAMES, KNOBS, PLATFORM_FACT_NAMES } from '../../src/kernel/knobs.js';
import { VIOLATIONS } from '../../src/kernel/names.js';
import { PLATFORMS } from '../../src/sim/config.js';
import { loadBranchDir } from '../../src/workload/branches.js';
import { STEP_OPS } from '../../src/workload/schema.js';

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

type Node = { [key: string]: unknown; properties?: Record<string, Node>; description?: unknown; enum?: unknown[] };
const schema = schemaFromCli() as Node & { properties: Record<string, Node> };

/** Every property schema below `node`, with its path (list items and alternatives share the parent's). */
function properties(node: unknown, path = ''): [string, Node][] {
  if (node === null || typeof node !== 'object') return [];
  const n = node as Node;
  const out: [string, Node][] = [];
  for (const [k, child] of Object.entries(n.properties ?? {})) {
    const p = path === '' ? k : `${path}.${k}`;
    out.push([p, child], ...properties(child, p));
  }
  for (const key of ['items', 'anyOf', 'oneOf', 'allOf', 'additionalProperties']) {
    const v = n[key];
    for (const alt of Array.isArray(v) ? v : [v]) out.push(...properties(alt, path));
  }
  return out;
}

test('pp-sim schema: every key has a description, for hover help', () => {
  assert.equal(typeof schema.description, 'string');
  const all = properties(schema);
  assert.ok(all.length > 150, `only ${String(all.length)} properties`);
  const missing = all.filter(([, n]) => typeof n.description !== 'string' || n.description.length < 8).map(([p]) => p);
  assert.deepEqual(missing, []);
  const paths = new Set(all.map(([p]) => p));
  for (const p of ['host.reader', 'traffic.rate', 'steps.skb_try_coalesce.from', 'expect.counters.page_pool.recycle.ring', 'expect.violations.wrong-recycle', 'expect.leaks.pool-inflight', 'set.coalesce', 'set.dsa']) {
    assert.ok(paths.has(p), p);
  }
  const byPath = new Map(all);
  assert.match(String(byPath.get('steps.skb_try_coalesce')!.description), /from is consumed only when the coalesce succeeds/);
  assert.equal(byPath.get('expect.violations.wrong-recycle')!.description, VIOLATIONS['wrong-recycle'].meaning);
});

test('pp-sim schema: enums of branch names, platforms, knob names and knob values match the tables', () => {
  const branches = loadBranchDir(`${ROOT}branches`);
  assert.deepEqual([...(schema.properties.branch!.enum ?? [])].sort(), branches.flatMap((b) => [b.name, ...b.aliases]).sort());
  assert.deepEqual(schema.properties.platform!.enum, PLATFORMS.map((p) => p.name));
  const set = schema.properties.set!;
  assert.equal(set.additionalProperties, false);
  assert.deepEqual(Object.keys(set.properties!), [...KNOB_NAMES, ...PLATFORM_FACT_NAMES]);
  for (const k of KNOB_NAMES) {
    const values = set.properties![k]!.enum!;
    assert.deepEqual(values.filter((v) => typeof v === 'string'), KNOBS[k].values, k);
    assert.ok(String(set.properties![k]!.description).includes(KNOBS[k].meaning), k);
  }
  assert.deepEqual(Object.keys((schema.properties.steps!.items as { properties: object }).properties), STEP_OPS);
});

test('pp-sim schema: knob values as YAML writes them pass, unknown branches, knobs and values fail', () => {
  const steps = [{ rx: 'a' }];
  const ok: unknown[] = [
    { name: 'x', branch: 'mvneta_07', steps },
    { name: 'x', branch: 'rfc-2018-12', platform: 'arm32-lpae', steps },
    { name: 'x', set: { coalesce: 'reject', gro_pp_check: true, inflight_accounting: 'false', dsa: false, ram: '8G', long_bits: 32 }, steps },
    { name: 'x', branch: 'baseline-4.20', set: { rx_copybreak: 128 }, steps },
  ];
  for (const doc of ok) assert.ok(validate(doc), `${JSON.stringify(doc)}: ${JSON.stringify(validate.errors)}`);
  const bad: [string, unknown][] = [
    ['unknown branch', { name: 'x', branch: 'mvneta_05', steps }],
    ['unknown platform', { name: 'x', platform: 'rpi', steps }],
    ['unknown knob', { name: 'x', set: { coalesc: 'reject' }, steps }],
    ['unknown knob value', { name: 'x', set: { coalesce: 'rejected' }, steps }],
    ['boolean for a non-boolean knob', { name: 'x', set: { coalesce: true }, steps }],
    ['number for a knob without that value', { name: 'x', set: { rx_copybreak: 64 }, steps }],
  ];
  for (const [what, doc] of bad) assert.equal(validate(doc), false, what);
});
