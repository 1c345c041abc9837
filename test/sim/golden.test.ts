// The JSON of every built-in scenario (100 ms of traffic, or all its steps) is pinned byte for
// byte: speed work must not change a count (issue 5). UPDATE_GOLDEN=1 rewrites the files after a
// deliberate model change; review the diff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolveConfig } from '../../src/sim/config.js';
import { renderReportJson } from '../../src/report/json.js';
import { parseScenario } from '../../src/workload/parse.js';
import { runScenarioFull } from '../../src/workload/run.js';
import { BRANCHES } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = `${ROOT}test/golden/`;

const files = [
  ...readdirSync(`${ROOT}scenarios`).filter((f) => f.endsWith('.yaml')).map((f) => `scenarios/${f}`),
  ...readdirSync(`${ROOT}scenarios/steps`).filter((f) => f.endsWith('.yaml')).map((f) => `scenarios/steps/${f}`),
].sort();

test('built-in scenario names are unique (pp-sim run <name> finds exactly one)', () => {
  const names = files.map((f) => parseScenario(readFileSync(`${ROOT}${f}`, 'utf8'), f).name);
  assert.deepEqual([...new Set(names)].sort(), [...names].sort());
});

for (const file of files) {
  test(`golden report: ${file}`, () => {
    const s = parseScenario(readFileSync(`${ROOT}${file}`, 'utf8'), file);
    if (s.traffic?.some((f) => f.kind === 'pcap')) return;
    const config = resolveConfig(BRANCHES, s.branch ?? 'upstream-6.1', undefined, s.platform ?? 'espressobin', undefined, Object.entries(s.set).map(([key, value]) => ({ key, value, loc: undefined })));
    const json = renderReportJson(runScenarioFull({ scenario: s, config, seed: s.seed, durationNs: Math.min(s.durationNs, 100e6), toolVersion: 'golden' }));
    const path = `${GOLDEN}${s.name}.json`;
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, json);
    assert.equal(json, readFileSync(path, 'utf8'));
  });
}
