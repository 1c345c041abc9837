// Memory stays bounded however long the simulated run (issue 3): every table the model allocates
// reaches the same high-water mark after 0.5 s and after 5 s of line-rate traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kernel } from '../../src/kernel/kernel.js';
import { resolveConfig } from '../../src/sim/config.js';
import { Engine } from '../../src/sim/engine.js';
import { parseScenario } from '../../src/workload/parse.js';
import { buildTraffic } from '../../src/workload/run.js';
import { BRANCHES } from '../helpers.js';

function footprint(yaml: string, durationNs: number, branch: string): Record<string, number> {
  const s = parseScenario(yaml, 't.yaml');
  const c = resolveConfig(BRANCHES, branch, undefined, 'espressobin', undefined, []);
  const k = new Kernel(c.knobs, c.facts);
  const { flows, sources } = buildTraffic(s);
  const e = new Engine(k, { durationNs, mtu: s.nic.mtu, rxRing: s.nic.rxRing, xdp: s.xdp, host: s.host, flows, seed: 1 }, sources);
  e.run();
  return e.footprint();
}

const CASES: [string, string, string][] = [
  ['multicast, two sockets, tap', 'upstream-6.1', 'name: t\ntraffic: [{ kind: udp, dst: 226.94.1.1, rate: 1000M }]\nhost: { udp_sockets: 2, taps: 1, tap_mode: copy }\n'],
  ['tcp, slow reader', 'upstream-6.1', 'name: t\ntraffic: [{ kind: tcp, dst: 192.168.200.1 }]\nhost: { reader: slow }\n'],
  ['tcp on a leaking 2018 branch', 'mvneta_07', 'name: t\ntraffic: [{ kind: tcp, dst: 192.168.200.1 }]\n'],
];

for (const [name, branch, yaml] of CASES) {
  test(`footprint does not grow with simulated time: ${name}`, () => {
    const short = footprint(yaml, 500e6, branch);
    const long = footprint(yaml, 5e9, branch);
    assert.deepEqual(long, short);
  });
}
