// The explorer finds each branch's known bugs from nothing (issue 14): generated step sequences,
// shrunk to the shortest list that still shows the finding, written as a step scenario that
// `pp-sim run` replays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Explorer, type ExploreFinding } from '../../src/explore/explore.js';
import { findingYaml } from '../../src/explore/emit.js';
import { frameLengths, type Board } from '../../src/explore/ops.js';
import { resolveConfig } from '../../src/sim/config.js';
import { BRANCHES, kinds, runYaml } from '../helpers.js';
import { capture } from '../cli/helpers.js';

const BOARD: Board = { mtu: 9000, rxRing: 512, xdp: 'none' };

function explore(branch: string, runs: number, seed = 1, set: Record<string, string> = {}) {
  const config = resolveConfig(BRANCHES, branch, undefined, 'espressobin', undefined, Object.entries(set).map(([key, value]) => ({ key, value, loc: undefined })));
  return { config, result: new Explorer({ config, board: BOARD, seed, runs, maxSteps: 10 }).run() };
}

function ops(f: ExploreFinding): string {
  return f.steps.map((s) => s.op).join(',');
}

test('frame lengths: a small, a full and a jumbo frame, and each length whose last RX buffer holds only FCS bytes', () => {
  const config = resolveConfig(BRANCHES, 'upstream-6.1', undefined, 'espressobin', undefined, []);
  const lens = frameLengths(BOARD, config);
  // v5.5 geometry: 3520-byte buffers; MH 2 + EDSA tag 8 + FCS 4 around the frame.
  assert.deepEqual(lens, [60, 1514, 3507, 3510, 7027, 7030, 9014]);
  assert.deepEqual(frameLengths({ ...BOARD, mtu: 1500 }, config), [60, 1514]);
});

// One row per known bug: the branch, the finding kind, the operation that must appear in the
// shrunk sequence, and its longest acceptable length (skbuff-semantics §5.2; issue 14's list).
const KNOWN: { branch: string; set?: Record<string, string>; kind: string; op: string; max: number }[] = [
  { branch: 'mvneta_03', kind: 'wrong-recycle', op: 'skb_copy|pskb_copy|skb_unshare', max: 5 },
  { branch: 'mvneta_07', kind: 'wrong-recycle', op: 'pskb_expand_head', max: 3 },
  { branch: 'mvneta_07', kind: 'pp-page-as-frag', op: 'skb_try_coalesce|skb_gro_receive', max: 4 },
  { branch: 'mvneta_07', kind: 'freed-while-mapped', op: 'skb_try_coalesce|skb_gro_receive', max: 4 },
  { branch: 'dma-addr-in-page', kind: 'wrong-recycle', op: 'pskb_expand_head', max: 3 },
  // seed 1 first shows it on a merged skb_copy, whose copy and free ddmin cannot drop (seeds 2-4: 4 steps)
  { branch: 'mvneta_07', set: { coalesce: 'reject' }, kind: 'pp-page-as-frag', op: 'skb_gro_receive', max: 6 },
  // v5.14 skb_gro_receive mixes a pool skb into a plain one (pskb_copy head): put_page on a mapped pool page
  { branch: 'upstream-5.14', kind: 'freed-while-mapped', op: 'skb_gro_receive', max: 4 },
  // v5.5 mvneta_swbm_add_rx_fragment: a last buffer of FCS bytes only is released and never freed
  { branch: 'v5.5', kind: 'page', op: 'rx', max: 2 },
];

for (const row of KNOWN) {
  test(`finds ${row.kind} on ${row.branch}${row.set ? ` ${JSON.stringify(row.set)}` : ''} through ${row.op}, shrunk to at most ${row.max} steps`, () => {
    const { result } = explore(row.branch, 150, 1, row.set);
    // the shortest of the findings of this kind through this operation (one per call path)
    const f = result.findings.filter((x) => x.kind === row.kind && new RegExp(`(^|,)(${row.op})(,|$)`).test(ops(x))).sort((a, b) => a.steps.length - b.steps.length)[0];
    assert.ok(f, `found: ${result.findings.map((x) => `${x.kind} [${ops(x)}]`).join('; ')}`);
    assert.ok(f.steps.length <= row.max, `shrunk to ${f.steps.length}: ${ops(f)}`);
    assert.ok(f.steps.length <= f.generatedSteps);
  });
}

test('upstream-6.1 runs clean: no violation or leak in 150 generated sequences', () => {
  const { result } = explore('upstream-6.1', 150);
  assert.equal(result.runs, 150);
  assert.deepEqual(result.findings.map((f) => f.key), []);
});

test('deterministic: the same seed gives the same findings in the same order; another seed other sequences', () => {
  const a = explore('mvneta_03', 60, 7).result;
  const b = explore('mvneta_03', 60, 7).result;
  assert.deepEqual(a.findings.map((f) => [f.key, ops(f), f.run]), b.findings.map((f) => [f.key, ops(f), f.run]));
  assert.equal(a.steps, b.steps);
  assert.notEqual(explore('mvneta_03', 60, 8).result.steps, a.steps);
});

test('a shrunk finding written as a step scenario fails `run` with the same finding on the full board', () => {
  const { config, result } = explore('mvneta_07', 150);
  assert.ok(result.findings.length > 0);
  for (const f of result.findings) {
    const yaml = findingYaml(f, 'found', { config, setOverrides: {}, board: BOARD, command: 'test' });
    const r = runYaml(yaml);
    assert.equal(r.result, 'fail');
    assert.ok((kinds(r)[f.class === 'leak' ? `leak:${f.kind}` : f.kind] ?? 0) > 0, `${f.kind} not reproduced by:\n${yaml}`);
  }
});

test('pp-sim explore: --expect-clean exits 1 on a finding, --out writes one scenario per finding, bad options exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-explore-'));
  const bad = capture(['explore', '--branch', 'mvneta_03', '--runs', '40', '--expect-clean', '--out', dir]);
  assert.equal(bad.code, 1, bad.err);
  assert.match(bad.out, /finding \d+: violation wrong-recycle/);
  assert.match(bad.out, /rerun: pp-sim run .*mvneta-03-wrong-recycle-\d+\.yaml/);
  const files = readdirSync(dir).sort();
  assert.ok(files.length >= 1);
  assert.match(readFileSync(join(dir, files[0]!), 'utf8'), /^steps:\n {2}- rx: /m);
  const clean = capture(['explore', '--branch', 'upstream-6.1', '--runs', '40', '--expect-clean']);
  assert.equal(clean.code, 0, clean.err);
  assert.match(clean.out, /pp-sim: explore upstream-6.1: nothing found in 40 sequences/);
  const e = capture(['explore', '--runs', 'many']);
  assert.equal(e.code, 2);
  assert.match(e.err, /^pp-sim: --runs: takes an integer 1\.\.10000000, got 'many'\n$/);
});
