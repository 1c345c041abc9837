// A step scenario of N rx/kfree_skb pairs built in memory (no YAML), run by the step runner;
// prints {"steps":..,"wallS":..,"cpuS":..} for bench/run.ts. Usage: tsx bench/steps.ts <pairs>
import { configFor } from '../src/cli/load.js';
import { VERSION } from '../src/cli/context.js';
import { defaultScenario, type Scenario, type Step } from '../src/sim/scenario.js';
import { runSteps } from '../src/sim/run.js';

const pairs = Number(process.argv[2] ?? 50000);
const loc = { file: 'bench' };
const steps: Step[] = [];
for (let i = 0; i < pairs; i++) {
  steps.push({ op: 'rx', as: `a${String(i)}`, len: 1514, flow: undefined, poll: true, loc });
  steps.push({ op: 'kfree_skb', skb: `a${String(i)}`, loc });
}
const scenario: Scenario = { ...defaultScenario('steps', 'bench'), description: 'rx/kfree_skb pairs', steps };
const config = configFor(scenario, {});
const heapBefore = process.memoryUsage().heapUsed;
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
const report = runSteps({ scenario, config, seed: 1, durationNs: 0, toolVersion: VERSION });
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(c0);
const cpuS = (cpu.user + cpu.system) / 1e6;
if (report.counters['skb.free'] !== pairs) throw new Error(`expected ${String(pairs)} skb frees, got ${String(report.counters['skb.free'])}`);
process.stdout.write(`${JSON.stringify({ steps: steps.length, wallS, cpuS, runnerHeapMiB: (process.memoryUsage().heapUsed - heapBefore) / 1048576 })}\n`);
