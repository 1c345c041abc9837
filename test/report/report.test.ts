import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COUNTER_NAMES, VIOLATIONS, LEAKS, type CounterName } from '../../src/kernel/names.js';
import type { Report } from '../../src/sim/report.js';
import { renderCiJson, renderCompareJson, renderReportJson } from '../../src/report/json.js';
import { branchLabel, closingLine, platformLabel, formatBandwidth, formatG2, formatTransfer, renderRun } from '../../src/report/human.js';
import { renderCompare } from '../../src/report/compare.js';
import { renderJunit, stripXmlForbidden, type JunitCase } from '../../src/report/junit.js';
import { escapeData, escapeProperty, renderGithubAnnotations, renderStepSummary } from '../../src/report/github.js';

const ESC = String.fromCharCode(0x1b);
const ANSI = { test: (s: string): boolean => s.includes(ESC + '[') };

function fixture(over: Partial<Report> = {}): Report {
  const counters = Object.fromEntries(COUNTER_NAMES.map((n, i) => [n, i % 3 === 0 ? 0 : i * 10])) as Record<CounterName, number>;
  counters['rx.frames'] = 81380;
  return {
    schema: 'pp-sim/report@1',
    tool: { name: 'pp-sim', version: '0.1.0' },
    scenario: 'multicast',
    branch: 'mvneta_04',
    platform: 'espressobin',
    knobs: { skb_recycle: 'mem_info', coalesce: 'reject', '10': 'x', mem_info_placement: 'headers' },
    seed: 1,
    platform_facts: { page_size: 4096, dsa: true, coherent_dma: false },
    sim: { duration_ns: 2_000_000_000, frames: 161917, bytes: 244818504 },
    counters,
    violations: [
      {
        kind: 'wrong-recycle', count: 3, kernel: VIOLATIONS['wrong-recycle'].kernel,
        first: { t_ns: 1234567, frame: 4512, object: 'page pfn 0x1a2b (kmalloc head from skb_copy)', path: ['kfree_skb', 'skb_release_data', 'page_pool_put_page'] },
      },
      {
        kind: 'data-corruption', count: 1, kernel: VIOLATIONS['data-corruption'].kernel,
        first: { t_ns: 99, frame: 1, object: 'page pfn 0x10 <"odd" & \'quoted\'>', path: ['mvneta_rx', 'dma'] },
      },
    ],
    leaks: [
      { kind: 'skb', count: 2, kernel: LEAKS.skb.kernel, first: { t_ns: 5, frame: 2, object: 'skb a', path: ['rx'] } },
      { kind: 'dma-mapping', count: 12, kernel: LEAKS['dma-mapping'].kernel, first: { t_ns: 5, frame: 2, object: 'dma 0x1000', path: ['teardown'] } },
    ],
    expect: [{ check: 'violations == 0', ok: false, actual: 4 }, { check: 'skb.clone == rx.frames', ok: true, actual: 81380 }],
    result: 'fail',
    intervals: [
      { flow: 'udp 226.94.1.1:5001', startNs: 0, endNs: 1e9, bytes: 119628600, datagrams: 81380, lost: 0, total: 81380, udp: true },
      { flow: 'udp 226.94.1.1:5001', startNs: 1e9, endNs: 2e9, bytes: 119628600, datagrams: 81380, lost: 3, total: 81383, udp: true },
    ],
    poolIntervals: [
      { startNs: 0, endNs: 1e9, recycled: 81000, released: 0, inflight: 512 },
      { startNs: 1e9, endNs: 2e9, recycled: 81380, released: 2, inflight: 510 },
    ],
    ...over,
  };
}

const clean = (): Report =>
  fixture({ violations: [], leaks: [], expect: [], result: 'pass', branch: 'upstream-6.1', knobs: { skb_recycle: 'pp_recycle', coalesce: 'reject', '10': 'x', mem_info_placement: 'n/a' } });

test('JSON key order, sorting and no intervals', () => {
  const s = renderReportJson(fixture());
  assert.ok(s.endsWith('}\n'));
  const j = JSON.parse(s) as Record<string, unknown>;
  assert.deepEqual(Object.keys(j), [
    'schema', 'tool', 'scenario', 'branch', 'platform', 'knobs', 'seed', 'platform_facts', 'sim', 'counters', 'violations', 'leaks', 'expect', 'result',
  ]);
  assert.equal('intervals' in j, false);
  assert.ok(!s.includes('intervals'));
  // Integer-like keys keep code-unit order in the text (JSON.parse would reorder them).
  const knobOrder = [...s.slice(s.indexOf('"knobs"'), s.indexOf('"seed"')).matchAll(/"([^"]+)":/g)].map((m) => m[1]);
  assert.deepEqual(knobOrder, ['knobs', '10', 'coalesce', 'mem_info_placement', 'skb_recycle']);
  assert.deepEqual(Object.keys(j.platform_facts as object), ['coherent_dma', 'dsa', 'page_size']);
  const counterKeys = Object.keys(j.counters as object);
  assert.deepEqual(counterKeys, [...COUNTER_NAMES].sort());
  assert.deepEqual(Object.keys(j.sim as object), ['duration_ns', 'frames', 'bytes']);
  const v = j.violations as { kind: string; first: object }[];
  assert.deepEqual(v.map((x) => x.kind), ['data-corruption', 'wrong-recycle']);
  assert.deepEqual(Object.keys(v[0]!), ['kind', 'count', 'kernel', 'first']);
  assert.deepEqual(Object.keys(v[0]!.first), ['t_ns', 'frame', 'object', 'path']);
  assert.deepEqual((j.leaks as { kind: string }[]).map((x) => x.kind), ['dma-mapping', 'skb']);
  assert.deepEqual(Object.keys((j.expect as object[])[0]!), ['check', 'ok', 'actual']);
  // Same layout as JSON.stringify with 2-space indent for the values it can order itself.
  assert.equal(renderReportJson(clean()).split('\n')[1], '  "schema": "pp-sim/report@1",');
});

test('JSON is byte-identical for equal input, whatever the input order', () => {
  const a = fixture();
  const b = fixture({ violations: [...a.violations].reverse(), leaks: [...a.leaks].reverse() });
  b.knobs = Object.fromEntries(Object.entries(a.knobs).reverse());
  assert.equal(renderReportJson(a), renderReportJson(b));
  assert.equal(renderReportJson(fixture()), renderReportJson(fixture()));
});

test('compare and ci JSON wrappers', () => {
  const c = JSON.parse(renderCompareJson([fixture(), clean()])) as { schema: string; reports: object[] };
  assert.equal(c.schema, 'pp-sim/compare@1');
  assert.equal(c.reports.length, 2);
  const ci = renderCiJson(
    { passed: 1, failed: 1, skipped: 1, cases: [{ scenario: 'x', branch: 'b', file: 'f.yaml', status: 'skipped', reason: 'no xdp' }] },
    [fixture()],
  );
  const cj = JSON.parse(ci) as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(cj), ['schema', 'summary', 'reports']);
  assert.deepEqual(Object.keys(cj.summary!), ['passed', 'failed', 'skipped', 'total_cases', 'cases']);
  assert.equal((cj.summary!.cases as { id: string }[])[0]!.id, 'f.yaml@b');
  assert.ok(!ci.includes('intervals'));
});

test('closing line', () => {
  assert.equal(closingLine(1, 0), 'pp-sim: 1 passed, 0 failed');
  assert.equal(closingLine(12, 1, 0), 'pp-sim: 12 passed, 1 failed, 0 skipped');
});

test('iperf number formatting', () => {
  assert.equal(formatTransfer(119628600), ' 114 MBytes');
  assert.equal(formatBandwidth(957028800), ' 957 Mbits/sec');
  assert.equal(formatTransfer(5 * 1024 * 1024), '5.00 MBytes');
  assert.equal(formatTransfer(50 * 1024), '50.0 KBytes');
  assert.equal(formatG2(0), '0');
  assert.equal(formatG2(0.0036864), '0.0037');
  assert.equal(formatG2(12.34), '12');
  assert.equal(formatG2(100), '1e+02');
});

test('human run output: colour only when asked', () => {
  const plain = renderRun(fixture(), { color: false });
  assert.ok(!ANSI.test(plain));
  assert.ok(ANSI.test(renderRun(fixture(), { color: true })));
  assert.match(plain, /\[ {2}3\] {2}0\.0- 1\.0 sec {3}114 MBytes {3}957 Mbits\/sec {4}0\/81380 \(0%\)/);
  assert.match(plain, /kfree_skb → skb_release_data → page_pool_put_page/);
  assert.match(plain, /page_pool\.recycle\.ring/);
  assert.match(plain, /dma\.sync_for_device_bytes/);
  assert.match(plain, /result: fail/);
  assert.match(plain, /FAIL/);
  for (const l of plain.split('\n')) assert.equal(l, l.trimEnd());
  const noIntervals = renderRun(clean(), { color: false });
  assert.match(noIntervals, /result: pass/);
  const rest = clean();
  delete rest.intervals;
  assert.ok(!renderRun(rest, { color: false }).includes('[ ID]'));
});

test('iperf table: the pool line once per interval, not per flow; payload and wire bytes labelled', () => {
  const two = fixture({
    intervals: [
      { flow: 'udp 226.94.1.1:5001', startNs: 0, endNs: 1e9, bytes: 1000, datagrams: 1, lost: 0, total: 1, udp: true },
      { flow: 'tcp 192.168.200.1:5001', startNs: 0, endNs: 1e9, bytes: 2000, datagrams: 0, lost: 0, total: 0, udp: false },
      { flow: 'udp 226.94.1.1:5001', startNs: 1e9, endNs: 2e9, bytes: 1000, datagrams: 1, lost: 0, total: 1, udp: true },
      { flow: 'tcp 192.168.200.1:5001', startNs: 1e9, endNs: 2e9, bytes: 2000, datagrams: 0, lost: 0, total: 0, udp: false },
    ],
  });
  const lines = renderRun(two, { color: false }).split('\n');
  const pool = lines.filter((l) => l.startsWith('[ PP]'));
  // two intervals and the whole run: recycled and released summed, in flight as at the end
  assert.deepEqual(pool, [
    '[ PP]  0.0- 1.0 sec  page_pool  81000 recycled  0 released  512 in flight',
    '[ PP]  1.0- 2.0 sec  page_pool  81380 recycled  2 released  510 in flight',
    '[ PP]  0.0- 2.0 sec  page_pool 162380 recycled  2 released  510 in flight',
  ]);
  const at = lines.indexOf(pool[0]!);
  assert.match(lines[at - 2]!, /^\[ {2}3\] {2}0\.0- 1\.0 sec/);
  assert.match(lines[at - 1]!, /^\[ {2}4\] {2}0\.0- 1\.0 sec/);
  assert.ok(!lines.some((l) => /Recycled|Inflight/.test(l)), 'no pool columns under the flows');
  assert.match(lines[0]!, /161917 frames, 233 MBytes on the wire$/);
  assert.ok(lines.includes('[ ID] Interval       Payload      Bandwidth       Lost/Total Datagrams'));
  assert.match(renderRun(fixture({ sim: { duration_ns: 0, frames: 1, bytes: 60 } }), { color: false }), / 1 frame, 60\.0 Bytes on the wire\n/);
});

test('header names every override: knobs, a branch file, platform facts', () => {
  const head = (setup: Report['setup']): string => renderRun(fixture(setup ? { setup } : {}), { color: false }).split('\n')[0]!;
  assert.match(head(undefined), /^multicast {2}branch mvneta_04 {2}platform espressobin {2}seed 1 /);
  assert.match(head({ knobs: [], facts: [] }), /^multicast {2}branch mvneta_04 {2}platform espressobin {2}seed 1 /);
  assert.match(head({ knobs: ['coalesce=reject'], facts: [] }), /branch mvneta_04 \(\+coalesce=reject\) {2}platform espressobin {2}/);
  assert.match(head({ branchFile: 'my.yaml', knobs: ['coalesce=reject', 'xdp=none'], facts: ['dsa=false', 'ram=8G'] }),
    /branch mvneta_04 from my\.yaml \(\+coalesce=reject \+xdp=none\) {2}platform espressobin \(\+dsa=false \+ram=8G\) {2}seed 1/);
  assert.equal(branchLabel('b', { knobs: ['a=1'], facts: ['dsa=false'] }), 'b (+a=1)');
  assert.equal(platformLabel('p', { knobs: ['a=1'], facts: [] }), 'p');
});

test('compare marks differing rows and shows skipped cells', () => {
  const head = { scenario: 'multicast', seed: 7, durationNs: 2e9, steps: false, platform: 'espressobin' };
  const out = renderCompare(head, [
    { branch: 'mvneta_04', report: fixture() },
    { branch: 'upstream-6.1', report: clean() },
    { branch: 'mvneta_03', skipped: 'no XDP on this branch' },
  ], { color: false });
  assert.ok(!ANSI.test(out));
  const lines = out.split('\n');
  // One header line with what every column shares; the table's head names only the columns.
  assert.equal(lines[0], 'multicast  seed 7  2s simulated  platform espressobin');
  assert.match(lines[1]!, /^\s+mvneta_04\s+upstream-6\.1\s+mvneta_03$/);
  const row = (label: string): string | undefined => lines.find((l) => l.slice(2).startsWith(label + ' '));
  assert.ok(row('knob skb_recycle')?.startsWith('* '));
  assert.equal(row('knob coalesce'), undefined);
  assert.ok(row('rx.frames')?.startsWith('  '));
  assert.ok(row('violation wrong-recycle')?.startsWith('* '));
  assert.ok(row('leak dma-mapping')?.startsWith('* '));
  // A long verdict wraps to one finding kind per line; the skip reason is a footnote, the cell stays narrow.
  const verdict = row('verdict');
  assert.match(verdict ?? '', /data-corruption\s+clean\s*$/);
  const at = lines.indexOf(verdict!);
  assert.deepEqual(lines.slice(at + 1, at + 4).map((l) => l.trim()), ['wrong-recycle', 'dma-mapping', 'skb']);
  assert.match(out, /skipped \[1\]/);
  assert.ok(lines.includes('  [1] mvneta_03 skipped: no XDP on this branch'));
  const width = Math.max(...lines.slice(0, at + 4).map((l) => l.length));
  assert.ok(width < 100, `table width ${String(width)}`);
  assert.ok(ANSI.test(renderCompare(head, [{ branch: 'a', report: fixture() }, { branch: 'b', report: clean() }], { color: true })));
  const none = renderCompare({ ...head, platform: 'arm32-lpae' }, [{ branch: 'mvneta_03', skipped: 'no XDP' }], { color: false });
  assert.match(none, /^multicast {2}seed 7 {2}2s simulated {2}platform arm32-lpae\n/);
});

test('compare: variants of one branch are columns headed by their overrides', () => {
  const head = { scenario: 'multicast', seed: 1, durationNs: 1e9, steps: false, platform: 'espressobin' };
  const a = clean();
  const b = fixture({ branch: 'upstream-6.1', setup: { knobs: ['coalesce=reject'], facts: ['dsa=false'] } });
  const out = renderCompare(head, [{ branch: a.branch, report: a }, { branch: b.branch, report: b }], { color: false }).split('\n');
  assert.match(out[1]!, /^\s+upstream-6\.1\s+upstream-6\.1$/);
  assert.match(out[2]!, /^\s+\+coalesce=reject$/);
  assert.match(out[3]!, /^\s+\+dsa=false$/);
  assert.ok(out.some((l) => l.startsWith('  upstream-6.1 +coalesce=reject +dsa=false: wrong-recycle x3: ')));
});

/** Tiny well-formedness check: balanced tags, quoted attributes with no raw < & or quote. */
function checkXml(xml: string): { name: string; attrs: Record<string, string> }[] {
  const elems: { name: string; attrs: Record<string, string> }[] = [];
  const stack: string[] = [];
  const body = xml.replace(/^<\?xml [^?]*\?>\n/, '');
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const text = body.slice(last, m.index);
    assert.ok(!/[<>]/.test(text), `raw markup char in text: ${text}`);
    assert.ok(!/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(text), `bad entity in text: ${text}`);
    last = m.index + m[0].length;
    const [, close, name, attrText, selfClose] = m;
    if (close) {
      assert.equal(stack.pop(), name, `unbalanced </${name!}>`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(/([\w-]+)="([^"]*)"/g)) {
      assert.ok(!/[<]/.test(a[2]!) && !/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(a[2]!), `bad attribute ${a[0]}`);
      attrs[a[1]!] = a[2]!;
    }
    elems.push({ name: name!, attrs });
    if (!selfClose) stack.push(name!);
  }
  assert.equal(body.slice(last).trim(), '');
  assert.deepEqual(stack, []);
  // Everything between tags was matched by the tag pattern (no stray '<').
  assert.equal((body.match(/</g) ?? []).length, elems.length + (body.match(/<\//g) ?? []).length);
  return elems;
}

const cases = (): JunitCase[] => [
  { scenario: 'multicast', branch: 'mvneta_04', file: 'scenarios/multicast.yaml', report: fixture(), timeS: 0.25 },
  { scenario: 'multicast', branch: 'upstream-6.1', file: 'scenarios/multicast.yaml', report: clean() },
  { scenario: 'xdp-drop', branch: 'mvneta_04', file: 'scenarios/xdp-drop.yaml', skipped: 'branch has no "XDP" <support>' },
];

test('JUnit is well formed with the right counts', () => {
  const xml = renderJunit(cases());
  const elems = checkXml(xml);
  const root = elems[0]!;
  assert.equal(root.name, 'testsuites');
  assert.deepEqual([root.attrs.tests, root.attrs.failures, root.attrs.skipped, root.attrs.errors], ['3', '1', '1', '0']);
  const suites = elems.filter((e) => e.name === 'testsuite');
  assert.deepEqual(suites.map((s) => [s.attrs.name, s.attrs.tests, s.attrs.failures, s.attrs.skipped]), [
    ['mvneta_04', '2', '1', '1'],
    ['upstream-6.1', '1', '0', '0'],
  ]);
  const tc = elems.filter((e) => e.name === 'testcase');
  assert.equal(tc[0]!.attrs.name, 'multicast [mvneta_04]');
  assert.equal(tc[0]!.attrs.classname, 'scenarios/multicast.yaml');
  const failure = elems.find((e) => e.name === 'failure')!;
  assert.equal(failure.attrs.type, 'data-corruption,wrong-recycle,dma-mapping,skb');
  assert.ok(failure.attrs.message!.includes('&lt;&quot;odd&quot; &amp; &apos;quoted&apos;&gt;'));
  assert.equal(elems.find((e) => e.name === 'skipped')!.attrs.message, 'branch has no &quot;XDP&quot; &lt;support&gt;');
  assert.ok(xml.includes('rx.frames=81380'));
  assert.ok(xml.includes('expectation failed: violations == 0 (actual 4)'));
  assert.ok(xml.includes('<property name="seed" value="1"/>'));
});

test('XML forbidden characters are stripped', () => {
  assert.equal(stripXmlForbidden('a\u0000b\u0008c\u000bd\u000ce\u001ff\tg\nh\ri'), 'abcdef\tg\nh\ri');
  assert.equal(stripXmlForbidden('x\ud800y\udc00z\ud83d\ude00'), 'xyz\ud83d\ude00');
  const r = fixture();
  r.violations = [{ ...r.violations[0]!, first: { ...r.violations[0]!.first, object: 'bad\u0001obj\ud800' } }];
  const xml = renderJunit([{ scenario: 's\u0002', branch: 'b', file: 'f', report: r }]);
  checkXml(xml);
  for (let i = 0; i < xml.length; i++) {
    const u = xml.charCodeAt(i);
    assert.ok(u >= 0x20 || u === 0x09 || u === 0x0a || u === 0x0d, `control char at ${i}`);
  }
  assert.ok(xml.includes('badobj'));
});

test('GitHub annotations: escaping, ranking and the cap', () => {
  assert.equal(escapeData('50%\r\nx:y,z'), '50%25%0D%0Ax:y,z');
  assert.equal(escapeProperty('a:b,c%'), 'a%3Ab%2Cc%25');
  const out = renderGithubAnnotations(cases());
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 5); // 2 violations, 2 leaks, 1 failed expectation
  assert.ok(lines[0]!.startsWith('::error file=scenarios/multicast.yaml,title=data-corruption [mvneta_04]::'));
  for (const l of lines) assert.ok(!l.includes('\n') && !l.includes('\r'));
  assert.ok(lines[0]!.includes('%0Apath: mvneta_rx → dma'));
  const capped = renderGithubAnnotations(cases(), 2).trimEnd().split('\n');
  assert.equal(capped.length, 3);
  assert.equal(capped[2], '::notice::3 more findings in the job summary');
  const odd = renderGithubAnnotations([{ scenario: 's', branch: 'x:y,z', file: 'a,b:c.yaml', report: fixture() }], 1);
  assert.ok(odd.startsWith('::error file=a%2Cb%3Ac.yaml,title=data-corruption [x%3Ay%2Cz]::'));
  assert.equal(renderGithubAnnotations([cases()[1]!]), '');
  const md = renderStepSummary(cases());
  assert.match(md, /\| scenario \| branch \| result \| findings \|/);
  assert.match(md, /\| multicast \| mvneta_04 \| \*\*fail\*\* \| data-corruption ×1, wrong-recycle ×3, dma-mapping leak ×12, skb leak ×2, `violations == 0` \(actual 4\) \|/);
  assert.match(md, /1 passed, 1 failed, 1 skipped/);
});
