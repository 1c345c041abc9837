// Output that reproduces the experiment: headers of run, replay, ci's JUnit and GitHub output name
// every override; a finding's frame is its page's receive frame, the skb's frame beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/sim/report.js';
import { capture } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'pp-sim-header-'));
const PCAP = new URL('../fixtures/pcaps/tcpdump__gso-ipv4.pcap', import.meta.url).pathname;

test('run header: a knob the branch does not set, a branch file, a platform fact', () => {
  const plain = capture(['run', 'coalesce', '--no-color']);
  assert.match(plain.out.split('\n')[0]!, /^coalesce {2}branch upstream-6\.1 {2}platform espressobin {2}seed 1 {2}steps {2}3 frames, /);
  const set = capture(['run', 'coalesce', '--branch', 'mvneta_07', '--set', 'coalesce=reject', '--set', 'dsa=false', '--no-color']);
  assert.match(set.out.split('\n')[0]!, /branch mvneta_07 \(\+coalesce=reject\) {2}platform espressobin \(\+dsa=false\) {2}seed 1/);
  // A value the branch already has is no override.
  const same = capture(['run', 'coalesce', '--branch', 'mvneta_07', '--set', 'coalesce=steal', '--no-color']);
  assert.match(same.out.split('\n')[0]!, /branch mvneta_07 {2}platform espressobin {2}/);
  const file = join(tmp, 'mine.yaml');
  writeFileSync(file, 'name: mine\ndescription: mvneta_07 with the coalesce fix\nextends: mvneta_07\nset:\n  coalesce: reject\n');
  const mine = capture(['run', 'coalesce', '--branch', file, '--set', 'xdp=none', '--platform', 'arm32-lpae', '--set', 'ram=4G', '--no-color']);
  assert.match(mine.out.split('\n')[0]!, new RegExp(`branch mine from ${file.replaceAll('.', '\\.')} {2}platform arm32-lpae \\(\\+ram=4G\\) {2}`));
});

test('replay header names the overrides; "1 frame" in the singular', () => {
  const r = capture(['replay', PCAP, '--mtu', '9000', '--branch', 'mvneta_07', '--set', 'coalesce=reject', '--no-color']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out.split('\n')[0]!, /^tcpdump-gso-ipv4 {2}branch mvneta_07 \(\+coalesce=reject\) {2}platform espressobin {2}seed 1 {2}\S+ simulated {2}1 frame, 7\.13 KBytes on the wire$/);
});

test('JUnit and GitHub output name the overrides of each case', () => {
  const xml = join(tmp, 'ci.xml');
  const summary = join(tmp, 'summary.md');
  writeFileSync(summary, '');
  const r = capture(['ci', 'scenarios/steps/skb-copy.yaml', '--branch', 'mvneta_03', '--set', 'dsa=false', '--junit', xml, '--no-color'], {
    env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
  });
  assert.equal(r.code, 1, r.err);
  const junit = readFileSync(xml, 'utf8');
  assert.match(junit, /<testcase classname="scenarios\/steps\/skb-copy\.yaml" name="skb-copy \[mvneta_03\]"/);
  assert.match(junit, /<property name="set" value="dsa=false"\/>/);
  const withKnob = capture(['ci', 'scenarios/steps/skb-copy.yaml', '--branch', 'mvneta_03', '--set', 'coalesce=reject', '--junit', xml, '--no-color'], {
    env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
  });
  assert.match(readFileSync(xml, 'utf8'), /name="skb-copy \[mvneta_03 \(\+coalesce=reject\)\]"/);
  assert.match(withKnob.out, /::error file=scenarios\/steps\/skb-copy\.yaml,title=wrong-recycle \[mvneta_03 \(\+coalesce=reject\)\]::/);
  assert.match(readFileSync(summary, 'utf8'), /\| skb-copy \| mvneta_03 \(\+coalesce=reject\) \| \*\*fail\*\* \|/);
  // merge reads the shards' JSON, which has every knob: the overrides come back from the knobs.
  const shard = join(tmp, 'shard.json');
  capture(['ci', 'scenarios/steps/skb-copy.yaml', '--branch', 'mvneta_03', '--set', 'coalesce=reject', '--set', 'dsa=false', '--json', shard]);
  const merged = join(tmp, 'merged.xml');
  capture(['merge', shard, '--junit', merged]);
  assert.match(readFileSync(merged, 'utf8'), /name="skb-copy \[mvneta_03 \(\+coalesce=reject\)\]"[^]*<property name="set" value="coalesce=reject dsa=false"\/>/);
});

test('a finding names its page\'s receive frame and the freeing skb\'s frame apart', () => {
  // coalesce: frame 3's head page is stolen into skb a (frame 1); freeing a frees the page mapped.
  const r = capture(['run', 'coalesce', '--branch', 'mvneta_07', '--json', '-']);
  const rep = JSON.parse(r.out) as Report;
  const fwm = rep.violations.find((v) => v.kind === 'freed-while-mapped');
  assert.deepEqual([fwm?.first.frame, fwm?.first.skb_frame], [3, 1]);
  const human = capture(['run', 'coalesce', '--branch', 'mvneta_07', '--no-color']).out;
  assert.match(human, /freed-while-mapped .* 3 \(skb of frame 1\) {2}kfree_skb → /);
  // Same frame: no skb_frame (the JSON stays as before).
  const copy = JSON.parse(capture(['run', 'skb-copy', '--branch', 'mvneta_03', '--json', '-']).out) as Report;
  assert.equal(copy.violations[0]?.first.frame, 1);
  assert.equal('skb_frame' in copy.violations[0].first, false);
  const ci = capture(['ci', 'scenarios/steps/coalesce.yaml', '--branch', 'mvneta_07', '--no-color']).out;
  assert.match(ci, /freed-while-mapped ×1: page pfn 0x[0-9a-f]+ \(page_pool page\) \(frame 3, skb of frame 1\)/);
});
