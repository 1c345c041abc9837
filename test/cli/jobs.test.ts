// --jobs (issue 19): ci, compare and explore run their cases on worker threads; what they print,
// write and exit with is that of --jobs 1, case for case and byte for byte (times aside).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJobs, runCost, runTasks, type CompareTask } from '../../src/cli/jobs.js';
import { parseScenario } from '../../src/workload/parse.js';
import { capture, type Captured } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pp-jobs-'));
// valid to every check before running; refused while running (GRO never sees a clone): exit 2
const bad = join(dir, 'bad.yaml');
writeFileSync(bad, 'name: bad\nsteps:\n  - rx: { as: a, len: 1514 }\n  - rx: { as: b, len: 1514 }\n  - skb_clone: { skb: a, as: c }\n  - skb_gro_receive: { held: b, skb: a }\n');

/** The same command with --jobs 1 and --jobs n; wall times (a fixed clock here, JUnit's times) left out. */
function both(argv: string[], n = 3): [Captured, Captured] {
  const io = { clock: () => 0 };
  const untimed = (c: Captured): Captured => ({ ...c, out: c.out.replace(/ time="[0-9.]+"/g, '') });
  return [untimed(capture([...argv, '--jobs', '1'], io)), untimed(capture([...argv, '--jobs', String(n)], io))];
}

function same(argv: string[]): Captured {
  const [one, many] = both(argv);
  assert.equal(many.code, one.code, many.err);
  assert.equal(many.out, one.out);
  assert.equal(many.err, one.err);
  return one;
}

test('a thread pool runs the tasks in its workers; results come back in task order', () => {
  const text = readFileSync('scenarios/xdp-tx.yaml', 'utf8');
  const tasks: CompareTask[] = [5, 10, 15, 20, 25, 30].map((ms) => ({
    kind: 'compare', file: 'scenarios/xdp-tx.yaml', text, cfg: { set: [] }, seed: undefined, durationNs: ms * 1e6, intervalNs: undefined,
  }));
  // this thread waits for the workers to take the batch up, then only collects
  let here = 0;
  const r = runTasks(tasks, 2, undefined, { onStart: () => { here++; } });
  assert.deepEqual(r.map((x) => (x?.ok && 'report' in x.value ? x.value.report.sim.duration_ns : undefined)), [5, 10, 15, 20, 25, 30].map((ms) => ms * 1e6));
  assert.equal(here, 0, 'this thread ran no task');
  // with one thread asked for, this one runs them all
  here = 0;
  runTasks(tasks.slice(0, 2), 1, undefined, { onStart: () => { here++; } });
  assert.equal(here, 2);
});

test('--jobs takes an integer 1..256; the default is the cores', () => {
  assert.ok(parseJobs(undefined) >= 1);
  assert.equal(parseJobs('3'), 3);
  const e = capture(['ci', 'scenarios/steps/clone.yaml', '--jobs', '0']);
  assert.equal(e.code, 2);
  assert.equal(e.err, "pp-sim: --jobs: takes an integer 1..256, got '0'\n");
});

test('ci: table, JSON and JUnit as with --jobs 1; shards too', () => {
  const files = ['scenarios/tcp.yaml', 'scenarios/xdp-tx.yaml', 'scenarios/multicast-tap.yaml', 'scenarios/steps/clone.yaml', 'scenarios/steps/splice.yaml'];
  const human = same(['ci', ...files, '--duration', '30ms', '--no-color']);
  assert.match(human.out, /pp-sim: 5 passed/);
  const json = same(['ci', ...files, '--duration', '30ms', '--json', '-']);
  assert.equal((JSON.parse(json.out) as { summary: { cases: unknown[] } }).summary.cases.length, 5);
  same(['ci', ...files, '--duration', '30ms', '--junit', '-', '--quiet']);
  same(['ci', ...files, '--duration', '30ms', '--branch', 'mvneta_03', '--shard', '2/2', '--json', '-']);
});

test('ci: a case that fails while running is the same one error line and exit 2', () => {
  const r = same(['ci', 'scenarios/steps/clone.yaml', bad, 'scenarios/xdp-tx.yaml', 'scenarios/steps/splice.yaml', '--duration', '30ms']);
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.equal(r.err, `pp-sim: ${bad}:6:5: steps[3].skb_gro_receive.skb: skb_gro_receive takes skbs fresh from the driver; 'a' is cloned\n`);
});

test('compare: tables, skipped cells and JSON as with --jobs 1; an error after a table comes after it', () => {
  const argv = ['compare', 'mvneta_03', 'upstream-6.1', 'mvneta_07:coalesce=reject', '--scenario', 'multicast-tap', '--scenario', 'xdp-tx', '--scenario', 'clone', '--duration', '30ms'];
  assert.match(same([...argv, '--no-color']).out, /skipped/);
  same([...argv, '--json', '-']);
  const r = same(['compare', 'mvneta_03', 'upstream-6.1', '--scenario', 'clone', '--scenario', bad, '--no-color']);
  assert.equal(r.code, 2);
  assert.match(r.out, /^clone {2}/);
  assert.match(r.err, /'a' is cloned\n$/);
});

test('explore: the same findings, scenarios and JSON with any --jobs; --runs counts the same sequences', () => {
  const r = same(['explore', '--branch', 'mvneta_07', '--runs', '120', '--max-steps', '10']);
  assert.match(r.out, /finding 1: /);
  same(['explore', '--branch', 'mvneta_03', '--runs', '50', '--json', '-']);
  same(['explore', '--branch', 'upstream-6.1', '--runs', '7', '--quiet']);
});

test('runCost orders runs by the work of their frames: TCP counts MTU segments, XDP verdicts weigh less than skbs', () => {
  const cost = (name: string): number => {
    const sc = parseScenario(readFileSync(new URL(`../../scenarios/${name}.yaml`, import.meta.url), 'utf8'), `${name}.yaml`);
    return runCost(sc, 10e9);
  };
  // tcp's len is iperf's 128 KiB write size; its segments fill the wire like multicast's datagrams
  assert.ok(cost('tcp') > 0.2 * cost('multicast'), 'tcp offers line-rate segments');
  // xdp-drop offers 7x multicast's frames, each cheaper than an skb
  assert.ok(cost('xdp-drop') > cost('multicast') && cost('xdp-drop') < 7 * cost('multicast'));
  assert.ok(cost('multicast-tap') > cost('multicast'), 'a tap clones every frame');
  assert.equal(runCost(parseScenario(readFileSync(new URL('../../scenarios/steps/clone.yaml', import.meta.url), 'utf8'), 'clone.yaml'), 10e9), 0);
});
