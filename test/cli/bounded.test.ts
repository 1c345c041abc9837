// Issue 20's table, row by row, and issue 9's "errors a user can act on in one pass".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../src/cli/context.js';
import { MAX_SCENARIO_BYTES } from '../../src/cli/load.js';
import { configFor } from '../../src/cli/load.js';
import { runSteps } from '../../src/sim/run.js';
import { defaultScenario, type Scenario, type Step } from '../../src/sim/scenario.js';
import { capture } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'pp-sim-bounded-'));

function file(name: string, text: string): string {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
}

/** Exit 2, every stderr line a located pp-sim: line, no stack. */
function refused(argv: string[], re: RegExp): string {
  const r = capture(argv);
  assert.equal(r.code, 2, `${argv.join(' ')}: ${r.out}${r.err}`);
  assert.match(r.err, re, argv.join(' '));
  for (const line of r.err.trimEnd().split('\n')) assert.match(line, /^pp-sim: /, r.err);
  assert.doesNotMatch(r.err, /\n\s+at /);
  return r.err;
}

test('row 1: run /dev/zero is refused before a byte is read', () => {
  const err = refused(['run', '/dev/zero', '--duration', '10ms'], /^pp-sim: \/dev\/zero: not a regular file\n$/);
  assert.equal(err.split('\n').length, 2);
});

test('row 2: validate /dev/urandom is refused before a byte is read', () => {
  refused(['validate', '/dev/urandom'], /^pp-sim: \/dev\/urandom: not a regular file\n$/);
});

test('row 3: a scenario file over the documented limit is refused by its size, before parsing', () => {
  const big = file('big.yaml', `name: big\ndescription: a long list\nsteps:\n${'  - napi_poll: {}\n'.repeat(Math.ceil(MAX_SCENARIO_BYTES / 18) + 1000)}`);
  for (const cmd of ['validate', 'run', 'ci']) refused([cmd, big], /big\.yaml: 2\d\d KB, the limit is 256 KB\n$/);
  refused(['validate', file('limit.yaml', `name: x\n#${'x'.repeat(MAX_SCENARIO_BYTES)}\n`)], /limit\.yaml: 262154 bytes, the limit is 256 KB\n$/);
});

test('row 4: 100 000 steps run without a board-wide sweep per step (rx/kfree_skb pairs, every skb freed)', () => {
  const loc = { file: 'mem' };
  const steps: Step[] = [];
  for (let i = 0; i < 50_000; i++) steps.push({ op: 'rx', as: `a${String(i % 8)}`, len: 1514, flow: undefined, poll: true, loc }, { op: 'kfree_skb', skb: `a${String(i % 8)}`, loc });
  const scenario: Scenario = { ...defaultScenario('pairs', 'mem'), steps };
  const r = runSteps({ scenario, config: configFor(scenario, {}), seed: 1, durationNs: 0, toolVersion: 'test' });
  assert.equal(r.sim.frames, 50_000);
  assert.equal(r.counters['skb.free'], 50_000);
  assert.equal(r.counters['page_pool.recycle.ring'] + r.counters['page_pool.recycle.cached'], 50_000);
  assert.deepEqual(r.violations, []);
  assert.deepEqual(r.leaks, []);
});

test('row 5: ci ids and file fields are relative to the scenario root, whatever the working directory', () => {
  const here = process.cwd();
  const ids = (): string[] => {
    const out = join(tmp, `ci-${String(Math.random()).slice(2)}.json`);
    const r = capture(['ci', 'scenarios/steps/skb-copy.yaml'.replace('scenarios/steps/', join(ROOT, 'scenarios/steps/')), 'clone', '--json', out, '--quiet']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(readFileSync(out, 'utf8')) as { summary: { cases: { id: string; file: string }[] } };
    return j.summary.cases.flatMap((c) => [c.id, c.file]);
  };
  try {
    process.chdir(ROOT);
    const fromRoot = ids();
    process.chdir(tmp);
    const fromElsewhere = ids();
    assert.deepEqual(fromElsewhere, fromRoot);
    assert.deepEqual(fromRoot, ['scenarios/steps/clone.yaml@mvneta_07', 'scenarios/steps/clone.yaml', 'scenarios/steps/skb-copy.yaml@mvneta_07', 'scenarios/steps/skb-copy.yaml']);
    // a user folder outside both: relative to the folder that holds the argument
    const mine = join(tmp, 'mine');
    mkdirSync(mine, { recursive: true });
    writeFileSync(join(mine, 'a.yaml'), 'name: a\ndescription: one frame\nsteps:\n  - rx: a\n  - kfree_skb: a\n');
    process.chdir(ROOT);
    const out = join(tmp, 'mine.json');
    assert.equal(capture(['ci', mine, '--json', out, '--quiet']).code, 0);
    assert.match(readFileSync(out, 'utf8'), /"id": "mine\/a\.yaml@upstream-6\.1"/);
  } finally {
    process.chdir(here);
  }
});

test('row 6: an rx flow in a step scenario names no flow: exit 2 from run and validate', () => {
  const f = file('flow.yaml', 'name: flow\ndescription: x\nsteps:\n  - rx: { as: a, flow: nope }\n  - kfree_skb: a\n');
  for (const cmd of ['run', 'validate']) refused([cmd, f], /flow\.yaml:4:5: steps\[0\]\.rx\.flow: no flow named 'nope': a step scenario has no traffic flows/);
});

test('row 7: validate refuses an undefined skb as run does, with a did-you-mean', () => {
  const f = file('undef.yaml', 'name: undef\ndescription: x\nsteps:\n  - rx: packet\n  - skb_clone: { skb: pakcet, as: c }\n  - kfree_skb: c\n  - kfree_skb: packet\n');
  const want = /undef\.yaml:5:5: steps\[1\]\.skb_clone\.skb: no skb named 'pakcet'; did you mean 'packet'\?/;
  assert.equal(refused(['validate', f], want), refused(['run', f], want));
});

test('validate and ci report every problem of every file, each file:line:col: key: message', () => {
  const a = file('many.yaml', 'name: many\ndescription: x\nbranhc: mvneta_03\nsteps:\n  - rx: { as: a, length: 60 }\n  - skb_clon: { skb: a, as: b }\n');
  const b = file('names.yaml', 'name: names\ndescription: x\nsteps:\n  - rx: a\n  - kfree_skb: b\n  - pipe_release: a\n  - rx: a\n');
  const c = file('host.yaml', 'name: host\ndescription: x\ntraffic:\n  - { kind: udp, dst: 226.94.1.1 }\nhost: { sockets: 2 }\n');
  const want = [
    `${a}:3:1: branhc: unknown key 'branhc'; did you mean 'branch'?`,
    `${a}:5:18: steps[0].rx.length: unknown argument 'length' for rx (takes as, len, flow, poll); did you mean 'len'?`,
    `${a}:6:5: steps[1].skb_clon: unknown step 'skb_clon'; did you mean 'skb_clone'?`,
    `${b}:5:5: steps[1].kfree_skb.skb: no skb named 'b'`,
    `${b}:6:5: steps[2].pipe_release.pipe: 'a' is a skb (from rx at line 4), not a pipe`,
    `${b}:7:5: steps[3].rx.as: name 'a' is already in use (skb from rx at line 4)`,
    `${c}:5:9: host.sockets: unknown key 'sockets'; did you mean 'udp_sockets'?`,
  ];
  for (const cmd of ['validate', 'ci']) {
    const err = refused([cmd, a, b, c], /7 errors/);
    assert.deepEqual(err.trimEnd().split('\n'), [...want.map((l) => `pp-sim: ${l}`), 'pp-sim: 7 errors'], cmd);
  }
});

test('did-you-mean for branches, knobs and scenario names', () => {
  refused(['run', 'skb-copy', '--branch', 'mvneta_7'], /unknown branch 'mvneta_7'.*did you mean 'mvneta_07'\?/);
  refused(['run', 'skb-copy', '--set', 'coalese=reject'], /did you mean 'coalesce'\?/);
  refused(['run', 'skb-cpy'], /no built-in scenario 'skb-cpy'.*did you mean 'skb-copy'\?/);
});

test('argument-parser errors carry the pp-sim: prefix and exit 2; bare pp-sim prints usage on stderr and exits 2', () => {
  refused(['run', 'skb-copy', '--bogus'], /^pp-sim: unknown option '--bogus'/);
  refused(['frob'], /^pp-sim: unknown command 'frob'/);
  refused(['run'], /^pp-sim: missing required argument 'scenario'/);
  const bare = capture([]);
  assert.equal(bare.code, 2);
  assert.equal(bare.out, '');
  assert.match(bare.err, /^Usage: pp-sim /);
  assert.match(bare.err, /pp-sim: a command is needed/);
});

test('--duration takes ns us ms s m h, names its maximum, and is refused for a step scenario', () => {
  assert.equal(capture(['run', 'multicast', '--duration', '0.001m', '--quiet']).code, 0);
  refused(['run', 'multicast', '--duration', '2h'], /--duration: '2h' is more than the maximum, 1 h of simulated time/);
  refused(['run', 'multicast', '--duration', '3d'], /unknown unit 'd' \(use ns, us, ms, s, m or h\)/);
  refused(['run', 'skb-copy', '--duration', '1s'], /--duration: skb-copy is a step scenario: it has no simulated time/);
  const ci = capture(['ci', 'scenarios/steps/clone.yaml', '--duration', '1s', '--quiet']);
  assert.match(ci.err, /warning: --duration applies to traffic scenarios/);
});

test('a report says when the seed changed nothing', () => {
  assert.match(capture(['run', 'skb-copy']).out, /\nseed: no random choice in this scenario/);
  // multicast joins a group: the second IGMP report time is a random choice
  assert.doesNotMatch(capture(['run', 'multicast', '--duration', '10ms']).out, /no random choice/);
});
