import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseToYaml } from '../../conformance/case.js';
import { CASES_DIR, loadCases } from '../../conformance/cases-io.js';
import { compareCase, configFor, loadBoundaries, loadRecordings } from '../../conformance/compare.js';
import { caseFileName, generateCases } from '../../conformance/generate.js';
import { parseKernelLog, parseRecorded, recordedText } from '../../conformance/recorded.js';

const cases = loadCases();
const boundaries = loadBoundaries();

describe('conformance cases', () => {
  it('are the generator output (npm run conformance:cases rewrites them)', () => {
    const gen = generateCases();
    assert.equal(cases.length, gen.length);
    gen.forEach((c, i) => {
      assert.equal(readFileSync(join(CASES_DIR, caseFileName(c, i)), 'utf8'), caseToYaml(c), caseFileName(c, i));
    });
  });

  it('cover every op, both head kinds besides pool, and at least 80 cases', () => {
    assert.ok(cases.length >= 80, `${cases.length} cases`);
    const ops = new Set(cases.flatMap((c) => c.steps.map((s) => s.op)));
    for (const op of ['rx', 'skb_clone', 'skb_copy', 'pskb_copy', 'skb_unshare', 'pskb_expand_head', 'skb_try_coalesce', 'skb_gro_receive', 'kfree_skb', 'consume_skb', 'napi_consume_skb', 'get_page', 'put_page', 'page_ref', 'page_pool_destroy']) {
      assert.ok(ops.has(op as never), op);
    }
  });
});

describe('recorded lines', () => {
  it('join the chunks of a case, ignore console noise, and name cases that did not finish', () => {
    const log = [
      '[    0.50] ppsim-conf: x begin',
      '[    0.51] ppsim-conf: x @1.a.len=1500 @1.a.headlen=1500',
      '    # ppsim_case_0: not a line of ours',
      '[    0.52] ppsim-conf: x pp.hold=64',
      '[    0.53] ppsim-conf: x end',
      '[    0.60] ppsim-conf: y begin',
    ].join('\n');
    const { lines, problems } = parseKernelLog(log, ['x', 'y']);
    assert.deepEqual([...lines.get('x')!], [['@1.a.len', '1500'], ['@1.a.headlen', '1500'], ['pp.hold', '64']]);
    assert.deepEqual(problems, ['case y did not finish (see the KUnit result in the log)']);
    const back = parseRecorded(recordedText('6.1.192', 'Debian linux-source-6.1 6.1.192-3', lines), 'f');
    assert.equal(back.version, '6.1.192');
    assert.deepEqual([...back.lines.get('x')!], [...lines.get('x')!]);
  });
});

for (const { file, rec } of loadRecordings()) {
  describe(`pp-sim against the recorded Linux ${rec.version} (${file.slice(file.lastIndexOf('/') + 1)})`, () => {
    const cfg = configFor(rec.version);
    if (typeof cfg === 'string') {
      it(`is compared once ${cfg}`, { skip: cfg }, () => undefined);
      return;
    }
    const used = new Set<string>();
    for (const c of cases) {
      it(c.name, () => {
        const kernel = rec.lines.get(c.name);
        assert.ok(kernel, `no recorded line for case ${c.name}: rerun npm run conformance:record -- ${rec.version.split('.').slice(0, 2).join('.')}`);
        const { diffs } = compareCase(c, kernel, cfg, boundaries);
        for (const d of diffs) if (d.boundary) used.add(d.boundary.pattern);
        const real = diffs.filter((d) => !d.boundary);
        assert.deepEqual(real.map((d) => `${d.field}: kernel ${d.kernel ?? '(absent)'}, pp-sim ${d.model ?? '(absent)'}`), []);
      });
    }
    it('every boundary row in conformance/README.md is still needed', () => {
      const stale = boundaries.filter((b) => !used.has(b.pattern)).map((b) => b.pattern);
      assert.deepEqual(stale, [], 'these rows match no difference any more: remove them from the table');
    });
  });
}
