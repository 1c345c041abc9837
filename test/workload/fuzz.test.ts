// Random bytes and random YAML through `pp-sim run` (the loader, the checks and, when the input is a
// valid step scenario, the step runner): exit 2 with located pp-sim: lines, or a valid report;
// never a stack, never exit 3. Seeded and bounded: the same inputs every time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { STEP_OPS } from '../../src/workload/schema.js';
import { capture } from '../cli/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'pp-sim-fuzz-'));
const RUNS = 150;
/** How the inputs ended, by exit code. */
const codes = new Map<number, number>();

/** One run of the CLI on the input; returns a problem, or undefined when the outcome is allowed. */
function outcome(input: string | Uint8Array, n: number): string | undefined {
  const f = join(tmp, `in-${String(n)}.yaml`);
  const out = join(tmp, `out-${String(n)}.json`);
  writeFileSync(f, input);
  rmSync(out, { force: true });
  const r = capture(['run', f, '--json', out, '--quiet', '--no-color']);
  codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
  if (/\n\s+at |internal error/.test(r.err)) return `trace or internal error: ${r.err}`;
  if (r.code === 2) {
    const lines = r.err.trimEnd().split('\n');
    return lines.length > 0 && lines.every((l) => l.startsWith('pp-sim: ')) ? undefined : `exit 2 without pp-sim: lines: ${r.err}`;
  }
  if (r.code !== 0 && r.code !== 1) return `exit ${String(r.code)}: ${r.err}`;
  const j = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  for (const k of ['schema', 'scenario', 'branch', 'counters', 'violations', 'leaks', 'result']) if (!(k in j)) return `report without ${k}`;
  return j.schema === 'pp-sim/report@1' && (j.result === 'pass') === (r.code === 0) ? undefined : `report ${String(j.schema)} ${String(j.result)} with exit ${String(r.code)}`;
}

const name = fc.constantFrom('a', 'b', 'c', 'p', 'v', 'f', 'x1');
const op = fc.constantFrom(...STEP_OPS, 'skb_clon', 'rx ');
const arg = fc.oneof(name, fc.record({ skb: name, as: name }, { requiredKeys: [] }), fc.record({ to: name, from: name }), fc.record({ held: name, skb: name }),
  fc.record({ as: name, len: fc.integer({ min: 0, max: 2000 }), flow: name }, { requiredKeys: [] }), fc.constant(null), fc.integer(), fc.constant([]));
const step = fc.tuple(op, arg).map(([o, a]) => ({ [o]: a }));
/** Scenario-shaped YAML: the right keys with values right and wrong, steps from the real ops. */
const scenarioYaml = fc.record({
  name: fc.oneof(fc.constant('fuzz'), fc.string({ maxLength: 8 })),
  description: fc.string({ maxLength: 20 }),
  branch: fc.constantFrom('upstream-6.1', 'mvneta_03', 'baseline-4.20', 'v5.5', 'nope'),
  xdp: fc.constantFrom('none', 'pass', 'drop', 'tx', 'redirect', 'maybe'),
  nic: fc.record({ mtu: fc.integer({ min: 0, max: 10000 }), rx_ring: fc.integer({ min: 0, max: 600 }) }, { requiredKeys: [] }),
  steps: fc.array(step, { maxLength: 24 }),
  expect: fc.record({ violations: fc.oneof(fc.nat(3), fc.constant('>0'), fc.constant('bogus')), leaks: fc.nat(2) }, { requiredKeys: [] }),
}, { requiredKeys: ['name', 'steps'] }).map((o) => JSON.stringify(o)); // JSON is YAML
/** YAML text with structure characters, anchors, aliases, tags and odd bytes. */
const yamlish = fc.array(fc.constantFrom('name: x\n', 'steps:\n', '  - rx: a\n', '  - kfree_skb: a\n', '- ', ': ', '{', '}', '[', ']', '&a ', '*a', '!!binary ', '---\n', '"', "'", '#', '\t', '\n', '  ', 'rx', '\u0000', '\uFFFD', 'é'), { maxLength: 60 }).map((p) => p.join(''));

test('fuzz: random bytes, random YAML and random scenarios end in exit 2 or a valid report, never a trace', () => {
  let n = 0;
  const prop = (input: string | Uint8Array): void => {
    const problem = outcome(input, n++);
    assert.equal(problem, undefined, `input ${JSON.stringify(typeof input === 'string' ? input : Buffer.from(input).toString('base64'))}`);
  };
  // seeded: the same inputs on every run; bounded in count (and in time as a safety net)
  const params = { seed: 20, numRuns: RUNS, interruptAfterTimeLimit: 20_000 };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), prop), params);
  fc.assert(fc.property(yamlish, prop), params);
  fc.assert(fc.property(scenarioYaml, prop), params);
  assert.ok(n >= 3 * 50, `only ${String(n)} inputs were tried`);
  assert.ok((codes.get(0) ?? 0) + (codes.get(1) ?? 0) > 0, 'some inputs were valid scenarios that ran');
  process.stdout.write(`fuzz inputs tried: ${String(n)} (exit 0: ${String(codes.get(0) ?? 0)}, exit 1: ${String(codes.get(1) ?? 0)}, exit 2: ${String(codes.get(2) ?? 0)})\n`);
});
