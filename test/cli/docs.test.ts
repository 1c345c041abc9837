// explain cites documents that ship in docs/: every reference names a file there and a section
// heading of that file, and the README and tests reach nothing outside the repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BRANCH_TEXT, KNOB_TEXT, LEAK_TEXT, PLATFORM_TEXT, VIOLATION_TEXT } from '../../src/cli/explain-data.js';
import { ROOT } from '../../src/cli/context.js';
import { capture } from './helpers.js';

const texts: { refs: readonly string[] }[] = [
  ...Object.values(VIOLATION_TEXT), ...Object.values(LEAK_TEXT), ...Object.values(BRANCH_TEXT),
  ...Object.values(KNOB_TEXT), ...Object.values(PLATFORM_TEXT),
];

/** "§5.2" matches a heading "### 5.2 ..." (or "## 5. ..."); a word ("Knobs") matches "## Knobs". */
function hasSection(doc: string, sec: string): boolean {
  const heads = doc.split('\n').filter((l) => /^#{2,4} /.test(l)).map((l) => l.replace(/^#+ /, ''));
  if (!sec.startsWith('§')) return heads.some((h) => h === sec || h.startsWith(`${sec} `));
  const n = sec.slice(1);
  return heads.some((h) => h.startsWith(`${n} `) || h.startsWith(`${n}. `));
}

test('every reference explain cites is a section of a document in docs/', () => {
  const refs = new Set(texts.flatMap((t) => t.refs));
  refs.add('branches.md Branches').add('branches.md Knobs').add('branches.md Platforms');
  assert.ok(refs.size > 30);
  for (const r of refs) {
    const [file = '', ...rest] = r.split(' ');
    const path = join(ROOT, 'docs', file);
    assert.ok(existsSync(path), `${r}: docs/${file} is missing`);
    assert.ok(hasSection(readFileSync(path, 'utf8'), rest.join(' ')), `${r}: no such section in docs/${file}`);
  }
});

test('explain prints docs/ paths, not notes outside the repository', () => {
  const out = capture(['explain', 'wrong-recycle', '--no-color']).out;
  const ref = out.slice(out.indexOf('Reference'));
  assert.match(ref, /docs\/skbuff-semantics\.md §1\.2, §5\.0, §5\.2, §6;\s+docs\/pagepool-dma-semantics\.md §3\.6;\s+docs\/mvneta-workloads\.md/);
  assert.doesNotMatch(out, /shared/);
  for (const name of ['mvneta_07', 'coalesce', 'arm32-lpae', 'pool-inflight']) {
    assert.match(capture(['explain', name, '--no-color']).out, /Reference\n {2}docs\//, name);
  }
});

test('README, tests and package reach nothing outside the repository', () => {
  const tests = readdirSync(join(ROOT, 'test'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('docs.test.ts')).map((f) => join('test', f));
  assert.ok(tests.length > 10);
  for (const f of ['README.md', 'package.json', ...tests]) {
    assert.doesNotMatch(readFileSync(join(ROOT, f), 'utf8'), /\.\.\/shared|\/work\/shared|shared reference notes|'shared', 'pcaps'/, f);
  }
  assert.ok(existsSync(join(ROOT, 'test/fixtures/pcaps/README.md')), 'captures carry their provenance');
});
