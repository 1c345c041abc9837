// Call paths are kept only when needed: a traffic run with violations is re-run with paths on until
// each kind's first occurrence is seen. The report must be exactly what a run that traced all
// along gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/sim/config.js';
import { runScenario } from '../../src/sim/run.js';
import { parseScenario } from '../../src/workload/parse.js';
import { buildTraffic } from '../../src/workload/run.js';
import { BRANCHES } from '../helpers.js';

const CASES: [string, string, string][] = [
  ['multicast-tap on mvneta_03 (wrong-recycle)', 'mvneta_03', 'name: t\ntraffic: [{ kind: udp, dst: 226.94.1.1, rate: 1000M }]\nhost: { udp_sockets: 2, taps: 1, tap_mode: copy }\n'],
  ['tcp on mvneta_07 (two kinds)', 'mvneta_07', 'name: t\ntraffic: [{ kind: tcp, dst: 192.168.200.1 }]\n'],
  ['baseline-4.20 copybreak', 'baseline-4.20', 'name: t\ntraffic: [{ kind: udp, dst: 192.168.200.1, rate: 100M }]\n'],
];

for (const [name, branch, yaml] of CASES) {
  test(`two-pass tracing gives the report of a fully traced run: ${name}`, () => {
    const s = parseScenario(yaml, 't.yaml');
    const config = resolveConfig(BRANCHES, branch, undefined, 'espressobin', undefined, []);
    const o = { scenario: s, config, seed: 1, durationNs: 20e6, toolVersion: 't' };
    const traced = runScenario(o, { flows: buildTraffic(s).flows, sources: buildTraffic(s).sources });
    const twoPass = runScenario(o, { flows: buildTraffic(s).flows, sources: buildTraffic(s).sources, again: () => buildTraffic(s).sources });
    assert.ok(traced.violations.length > 0);
    for (const v of traced.violations) assert.ok(v.first.path.length > 2, `${v.kind} has a call path`);
    assert.deepEqual(twoPass, traced);
  });
}
