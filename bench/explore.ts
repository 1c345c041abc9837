// The explorer's throughput: 2000 generated sequences on a clean branch (upstream-6.1: nothing to
// shrink, so every sequence is generation and a board) and on mvneta_07 (findings, so shrinking
// too). Prints [{"name":..,"sequences":..,"steps":..,"wallS":..}] for bench/run.ts.
import { Explorer } from '../src/explore/explore.js';
import { configFor } from '../src/cli/load.js';
import { stepScenario } from '../src/explore/explore.js';

const runs = Number(process.argv[2] ?? 2000);
const board = { mtu: 9000, rxRing: 512, xdp: 'none' as const };
const out = ['upstream-6.1', 'mvneta_07'].map((branch) => {
  const config = configFor(stepScenario('bench', board, []), { branch });
  const t0 = process.hrtime.bigint();
  const r = new Explorer({ config, board, seed: 1, runs, maxSteps: 12 }).run();
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  return { name: `explore ${branch}`, sequences: r.runs, steps: r.steps, findings: r.findings.length, wallS };
});
process.stdout.write(`${JSON.stringify(out)}\n`);
