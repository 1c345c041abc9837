import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../../src/cli/context.js';
import { capture } from './helpers.js';

const ESC = '\u001b[';
const tmp = mkdtempSync(join(tmpdir(), 'pp-sim-out-'));

test('colour only on a TTY, never with NO_COLOR (non-empty) or --no-color', () => {
  const tty = { isTTY: true };
  for (const argv of [['run', 'skb-copy'], ['explain', 'skb'], ['ci', 'scenarios/steps/skb-copy.yaml']]) {
    assert.ok(capture(argv, { ...tty, env: {} }).out.includes(ESC), `${argv.join(' ')}: colour on a TTY`);
    assert.ok(capture(argv, { ...tty, env: { NO_COLOR: '' } }).out.includes(ESC), `${argv.join(' ')}: empty NO_COLOR is unset`);
    assert.ok(!capture(argv, { ...tty, env: { NO_COLOR: '1' } }).out.includes(ESC), `${argv.join(' ')}: NO_COLOR=1`);
    assert.ok(!capture([...argv, '--no-color'], { ...tty, env: {} }).out.includes(ESC), `${argv.join(' ')}: --no-color`);
    assert.ok(!capture(argv, { env: {} }).out.includes(ESC), `${argv.join(' ')}: not a TTY`);
  }
  // JSON on stdout: no colour anywhere on stdout
  assert.ok(!capture(['run', 'skb-copy', '--json', '-'], { ...tty, env: {} }).out.includes(ESC));
});

test('FORCE_COLOR forces colour (0/false turn it off), TERM=dumb turns it off; --no-color and JSON stdout always win', () => {
  for (const argv of [['run', 'skb-copy'], ['explain', 'skb'], ['ci', 'scenarios/steps/skb-copy.yaml']]) {
    const coloured = (over: Partial<Io>, extra: string[] = []): boolean => capture([...argv, ...extra], over).out.includes(ESC);
    const what = argv.join(' ');
    assert.equal(coloured({ isTTY: false, env: { FORCE_COLOR: '1' } }), true, `${what}: FORCE_COLOR=1 on a pipe`);
    assert.equal(coloured({ isTTY: false, env: { FORCE_COLOR: '3' } }), true, `${what}: FORCE_COLOR=3`);
    assert.equal(coloured({ isTTY: false, env: { FORCE_COLOR: '' } }), false, `${what}: empty FORCE_COLOR is unset`);
    assert.equal(coloured({ isTTY: true, env: { FORCE_COLOR: '0' } }), false, `${what}: FORCE_COLOR=0 on a TTY`);
    assert.equal(coloured({ isTTY: true, env: { FORCE_COLOR: 'false' } }), false, `${what}: FORCE_COLOR=false on a TTY`);
    assert.equal(coloured({ isTTY: false, env: { FORCE_COLOR: '1', NO_COLOR: '1' } }), true, `${what}: FORCE_COLOR beats NO_COLOR (as in Node)`);
    assert.equal(coloured({ isTTY: false, env: { FORCE_COLOR: '1', TERM: 'dumb' } }), true, `${what}: FORCE_COLOR beats TERM=dumb`);
    assert.equal(coloured({ isTTY: true, env: { FORCE_COLOR: '1' } }, ['--no-color']), false, `${what}: --no-color beats FORCE_COLOR`);
    assert.equal(coloured({ isTTY: true, env: { TERM: 'dumb' } }), false, `${what}: TERM=dumb on a TTY`);
    assert.equal(coloured({ isTTY: true, env: { TERM: 'xterm-256color' } }), true, `${what}: other TERMs keep colour`);
  }
  assert.ok(!capture(['run', 'skb-copy', '--json', '-'], { isTTY: false, env: { FORCE_COLOR: '1' } }).out.includes(ESC), 'JSON on stdout stays plain under FORCE_COLOR');
});

/** A clock that moves 300 ms per reading, so a short run looks long. */
function slowClock(): () => number {
  let t = 0;
  return () => (t += 300);
}

test('progress on stderr only on a TTY, not under CI=true, --no-progress or --quiet', () => {
  const argv = ['run', 'multicast', '--duration', '300ms', '--no-color'];
  const shown = (over: Partial<Io>, extra: string[] = []): boolean => capture([...argv, ...extra], { stderrIsTTY: true, clock: slowClock(), env: {}, ...over }).err.includes('%');
  const r = capture(argv, { stderrIsTTY: true, clock: slowClock(), env: {} });
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /\rrun multicast \[upstream-6\.1\] \S+\/300ms +\[#*-*\] +\d+%/);
  assert.ok(r.err.endsWith('\r'), 'the status line is erased at the end');
  assert.ok(!r.out.includes('\r'), 'stdout untouched');
  assert.equal(shown({ stderrIsTTY: false }), false, 'not a TTY');
  assert.equal(shown({ env: { CI: 'true' } }), false, 'CI=true');
  assert.equal(shown({ env: { TERM: 'dumb' } }), false, 'TERM=dumb: no carriage-return redraws');
  assert.equal(shown({ env: { TERM: 'xterm' } }), true, 'other TERMs keep it');
  assert.equal(shown({ env: { FORCE_COLOR: '1', TERM: 'dumb' } }), false, 'FORCE_COLOR is about colour, not the progress line');
  assert.equal(shown({}, ['--no-progress']), false);
  assert.equal(shown({}, ['--quiet']), false);
  assert.equal(shown({ clock: () => 0 }), false, 'runs under a second stay quiet');
  const ci = (jobs: string): string => capture(['ci', 'scenarios/multicast.yaml', 'scenarios/tcp.yaml', '--duration', '300ms', '--jobs', jobs], { stderrIsTTY: true, clock: slowClock(), env: {} }).err;
  // one thread names the case it runs; with workers, this thread counts the cases done
  assert.match(ci('1'), /\rci [12]\/2 /);
  assert.match(ci('2'), /\rci: [12] of 2 cases done +\[#+-*\]/);
});

test('validate on broken files: exit 2, one line naming the file, no stack', () => {
  const files: [string, string | Buffer, RegExp][] = [
    ['yaml.yaml', 'name: x\n  description: [oops\n', /yaml\.yaml:\d+:\d+: invalid YAML/],
    ['key.yaml', 'name: x\ndescription: y\nsteps: []\nbranhc: mvneta_03\n', /key\.yaml:4:1: branhc: unknown key 'branhc'; did you mean 'branch'\?/],
    ['garbage.yaml', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0xff]), /garbage\.yaml: not a text file/],
    ['empty.yaml', '', /empty\.yaml: file is empty/],
    ['both.yaml', 'name: x\ndescription: y\ntraffic: []\nsteps: []\n', /both\.yaml:4:1: steps: a scenario has traffic or steps, never both/],
    ['xdp.yaml', 'name: x\ndescription: y\nbranch: mvneta_03\nxdp: tx\nsteps:\n  - rx: { as: a }\n', /xdp\.yaml:4:6: xdp: the XDP verdict tx needs XDP support, but branch mvneta_03 has xdp=none/],
    ['long.yaml', 'name: x\ndescription: y\nduration: 2h\ntraffic:\n  - { kind: udp, dst: 10.0.0.1, port: 9 }\n', /long\.yaml:3:11: duration: /],
  ];
  for (const [name, text, re] of files) {
    const f = join(tmp, name);
    writeFileSync(f, text);
    const r = capture(['validate', 'scenarios/steps/clone.yaml', f]);
    assert.equal(r.code, 2, `${name}: ${r.out}${r.err}`);
    assert.match(r.err, re, name);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
  const missing = capture(['validate', join(tmp, 'nope.yaml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nope\.yaml: cannot read: no such file/);
});

test('user errors of ci, merge, compare and run are one line and exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['ci', '--branch', 'nope'], /--branch: unknown branch 'nope'/],
    [['ci', '--set', 'coalesce=bogus'], /coalesce: knob coalesce has no value 'bogus'/],
    [['ci', '--duration', '2h'], /--duration: /],
    [['ci', '--shard', '5/4'], /--shard: takes i\/N/],
    [['merge', join(tmp, 'absent.json')], /absent\.json: cannot read: no such file/],
    [['compare', 'nope'], /--branch: unknown branch 'nope'|unknown branch 'nope'/],
    [['run', 'skb-copy', '--json', tmp], /cannot write: is a directory/],
    [['explain', 'xdp-bogus'], /unknown name 'xdp-bogus'/],
  ];
  for (const [argv, re] of cases) {
    const r = capture(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, re, argv.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});

test('internal errors exit 3 with a short message and where to report; the stack only with --debug', () => {
  const boom: Partial<Io> = { stdout: () => { throw new Error('disk on fire\nsecond line'); } };
  const r = capture(['list', 'knobs'], boom);
  assert.equal(r.code, 3);
  assert.match(r.err, /^pp-sim: internal error: disk on fire\nThis is a bug in pp-sim .*open an issue/);
  assert.doesNotMatch(r.err, /\n\s+at /);
  const d = capture(['explain', 'skb', '--debug'], boom);
  assert.equal(d.code, 3);
  assert.match(d.err, /\n\s+at /);
});
