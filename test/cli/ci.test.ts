import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, checkJunit, findAll } from './helpers.js';

interface CiJson {
  schema: string;
  summary: {
    passed: number; failed: number; skipped: number; total_cases: number;
    shard?: { index: number; total: number };
    cases: { id: string; scenario: string; branch: string; file: string; status: string; reason?: string }[];
  };
  reports: { scenario: string; branch: string; result: string; violations: { kind: string }[] }[];
}

const tmp = mkdtempSync(join(tmpdir(), 'pp-sim-ci-'));
const SHORT = ['--duration', '50ms'];

function lastLine(s: string): string {
  return s.trimEnd().split('\n').at(-1) ?? '';
}

test('ci over the built-in scenarios passes on their default branches; JUnit parses; JSON is byte-identical', () => {
  const junit = join(tmp, 'default.xml');
  const json = join(tmp, 'default.json');
  const r = capture(['ci', ...SHORT, '--junit', junit, '--json', json, '--no-color']);
  assert.equal(r.code, 0, r.out + r.err);
  const ci = JSON.parse(readFileSync(json, 'utf8')) as CiJson;
  const n = ci.summary.cases.length;
  assert.ok(n >= 18, `${String(n)} cases`);
  assert.equal(ci.schema, 'pp-sim/ci@1');
  assert.equal(ci.summary.failed, 0);
  assert.equal(ci.summary.passed + ci.summary.skipped, n);
  assert.equal(ci.reports.length, ci.summary.passed);
  assert.equal(lastLine(r.out), `pp-sim: ${String(n)} passed, 0 failed, 0 skipped`);
  assert.deepEqual(ci.summary.cases.map((c) => c.id), [...ci.summary.cases.map((c) => c.id)].sort());
  const j = checkJunit(readFileSync(junit, 'utf8'));
  assert.equal(j.tests, n);
  assert.equal(j.failures, 0);
  // the same scenarios and seeds give the same bytes
  const again = capture(['ci', ...SHORT, '--json', '-']);
  assert.equal(again.out, readFileSync(json, 'utf8'));
  assert.match(lastLine(again.err), /^pp-sim: \d+ passed, 0 failed, 0 skipped$/);
});

test('ci --branch mvneta_03 fails the copy-bug cases, skips XDP_TX with a reason, and annotates on GitHub Actions', () => {
  const junit = join(tmp, 'm03.xml');
  const summary = join(tmp, 'step-summary.md');
  writeFileSync(summary, '# earlier step\n');
  const r = capture(['ci', '--branch', 'mvneta_03', ...SHORT, '--junit', junit, '--json', join(tmp, 'm03.json')], {
    env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
  });
  assert.equal(r.code, 1, r.err);
  const ci = JSON.parse(readFileSync(join(tmp, 'm03.json'), 'utf8')) as CiJson;
  const status = (name: string): string | undefined => ci.summary.cases.find((c) => c.scenario === name)?.status;
  for (const name of ['skb-copy', 'pskb-copy', 'multicast-tap']) assert.equal(status(name), 'failed', name);
  for (const name of ['skb-copy', 'pskb-copy', 'multicast-tap']) {
    const rep = ci.reports.find((x) => x.scenario === name);
    assert.ok(rep?.violations.some((v) => v.kind === 'wrong-recycle'), `${name} shows wrong-recycle`);
  }
  const tx = ci.summary.cases.find((c) => c.scenario === 'xdp-tx');
  assert.equal(tx?.status, 'skipped');
  assert.match(tx.reason ?? '', /XDP verdict tx needs XDP/);
  assert.ok(ci.summary.cases.every((c) => c.branch === 'mvneta_03'));
  // JUnit agrees with the JSON
  const j = checkJunit(readFileSync(junit, 'utf8'));
  assert.equal(j.tests, ci.summary.cases.length);
  assert.equal(j.failures, ci.summary.failed);
  assert.equal(j.skipped, ci.summary.skipped);
  const failure = findAll(j.root, 'testcase').find((c) => c.attrs.name === 'skb-copy [mvneta_03]')?.children.find((x) => x.name === 'failure');
  assert.match(failure?.attrs.type ?? '', /wrong-recycle/);
  assert.match(failure?.attrs.message ?? '', /skb_free_head → xdp_return_skb_page → page_pool_put_page/);
  // human output: table, rerun hint, annotations, closing line last
  assert.match(r.out, /FAIL scenarios\/steps\/skb-copy\.yaml@mvneta_03/);
  assert.match(r.out, /rerun: pp-sim run scenarios\/steps\/skb-copy\.yaml --branch mvneta_03\n/);
  const annotations = r.out.split('\n').filter((l) => l.startsWith('::error '));
  assert.ok(annotations.length > 0 && annotations.length <= 10, String(annotations.length));
  assert.match(annotations.join('\n'), /title=wrong-recycle \[mvneta_03\]/);
  assert.equal(lastLine(r.out), `pp-sim: ${String(ci.summary.passed)} passed, ${String(ci.summary.failed)} failed, ${String(ci.summary.skipped)} skipped`);
  const md = readFileSync(summary, 'utf8');
  assert.ok(md.startsWith('# earlier step\n## pp-sim\n'), 'appended');
  assert.match(md, /\| skb-copy \| mvneta_03 \| \*\*fail\*\* \| wrong-recycle ×1/);
  assert.match(md, /\| xdp-tx \| mvneta_03 \| skipped \|/);
});

test('shard 1/2 + 2/2 merged is the full run; duplicates and missing shards are rejected', () => {
  const full = capture(['ci', ...SHORT, '--json', '-']).out;
  const total = (JSON.parse(full) as CiJson).summary.cases.length;
  const parts = [1, 2].map((i) => {
    const file = join(tmp, `shard-${String(i)}.json`);
    const r = capture(['ci', ...SHORT, '--shard', `${String(i)}/2`, '--json', file, '--quiet']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`^shard ${String(i)}/2: \\d+ of ${String(total)} cases\\n`));
    assert.equal(r.out, lastLine(r.out) + '\n', '--quiet prints the closing line only');
    const s = (JSON.parse(readFileSync(file, 'utf8')) as CiJson).summary;
    assert.deepEqual(s.shard, { index: i, total: 2 });
    assert.equal(s.total_cases, total);
    return { file, n: s.cases.length };
  });
  assert.equal(parts[0]!.n + parts[1]!.n, total);
  const junit = join(tmp, 'merged.xml');
  const m = capture(['merge', parts[1]!.file, parts[0]!.file, '--json', '-', '--junit', junit]);
  assert.equal(m.code, 0, m.err);
  assert.equal(m.out, full, 'merged JSON = unsharded JSON');
  assert.equal(checkJunit(readFileSync(junit, 'utf8')).tests, total);
  assert.match(lastLine(m.err), new RegExp(`^pp-sim: ${String(total)} passed, 0 failed, 0 skipped$`));

  const dup = capture(['merge', parts[0]!.file, parts[1]!.file, parts[0]!.file]);
  assert.equal(dup.code, 2);
  assert.match(dup.err, /^pp-sim: .*shard-1\.json: case \S+@upstream-6\.1 ran more than once/);
  assert.equal(dup.err.trim().split('\n').length, 1);
  const missing = capture(['merge', parts[0]!.file]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /incomplete: \d+ of \d+ cases; missing shard 2\/2/);
  const notJson = join(tmp, 'garbage.json');
  writeFileSync(notJson, '{"schema": "pp-sim/compare@1", "reports": []}');
  const bad = capture(['merge', notJson]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /garbage\.json: not a pp-sim ci JSON file/);

  const empty = capture(['ci', ...SHORT, '--shard', '99/99']);
  assert.equal(empty.code, 0);
  assert.match(empty.err, /shard 99\/99: 0 of \d+ cases \(empty shard: nothing to run\)/);
  assert.equal(lastLine(empty.out), 'pp-sim: 0 passed, 0 failed, 0 skipped');
  for (const s of ['0/2', '3/2', '1', 'a/b']) assert.equal(capture(['ci', '--shard', s]).code, 2, s);
});

test('ci validates every file first: one invalid file is exit 2 for the whole run, nothing runs', () => {
  const dir = join(tmp, 'set');
  mkdirSync(join(dir, 'more'), { recursive: true });
  copyFileSync('scenarios/steps/skb-copy.yaml', join(dir, 'a.yaml'));
  writeFileSync(join(dir, 'more', 'b.yaml'), 'name: b\ndescription: x\nsteps:\n  - rx: { as: a, len: 99999 }\n');
  const r = capture(['ci', dir]);
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(r.err, /^pp-sim: .*b\.yaml:4:\d+: steps\[0\]\.rx\.len: len 99999 is longer than the NIC accepts/);
  assert.equal(r.err.trim().split('\n').length, 1);
  // the same directory without the broken file runs, found recursively
  writeFileSync(join(dir, 'more', 'b.yaml'), readFileSync('scenarios/steps/pskb-copy.yaml', 'utf8'));
  const ok = capture(['ci', dir, '--json', '-']);
  assert.equal(ok.code, 0, ok.err);
  assert.deepEqual((JSON.parse(ok.out) as CiJson).summary.cases.map((c) => c.scenario), ['skb-copy', 'pskb-copy']);
  assert.equal(capture(['ci', join(tmp, 'nope')]).code, 2);
  assert.ok(!readdirSync(tmp).some((f) => f.includes('.tmp-')), 'no temp files left');
});
