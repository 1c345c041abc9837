// npm run bench [-- --json] [-- --baseline file] [-- --save file] [-- --long]
// Runs fixed workloads as whole `pp-sim run` processes and reports simulated frames, wall time,
// frames per wall second, ns per frame, peak RSS and the speed-up over real time.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Workload {
  name: string;
  scenario: string;
  duration: string;
  simSeconds: number;
}

const WORKLOADS: Workload[] = [
  { name: 'multicast', scenario: 'multicast', duration: '30s', simSeconds: 30 },
  { name: 'tcp', scenario: 'tcp', duration: '30s', simSeconds: 30 },
  { name: 'xdp-drop', scenario: 'xdp-drop', duration: '10s', simSeconds: 10 },
  { name: 'jumbo', scenario: 'jumbo', duration: '30s', simSeconds: 30 },
];

interface Result {
  name: string;
  frames: number;
  wallS: number;
  framesPerS: number;
  nsPerFrame: number;
  peakRssMiB: number;
  realTimeRatio: number;
}

function runOnce(w: Workload): Result {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', './bench/rss-hook.mjs', 'bin/pp-sim.js', 'run', w.scenario, '--duration', w.duration, '--json', '-', '--quiet', '--no-color', '--no-progress'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${w.name}: pp-sim exited ${String(r.status)}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { sim: { frames: number } };
  const rss = /PPSIM_BENCH_MAXRSS (\d+)/.exec(r.stderr);
  const frames = report.sim.frames;
  return {
    name: w.name,
    frames,
    wallS,
    framesPerS: frames / wallS,
    nsPerFrame: (wallS * 1e9) / frames,
    peakRssMiB: rss ? Number(rss[1]) / 1024 : NaN,
    realTimeRatio: w.simSeconds / wallS,
  };
}

/** Median of three runs by wall time. */
function measure(w: Workload): Result {
  const runs = [runOnce(w), runOnce(w), runOnce(w)].sort((a, b) => a.wallS - b.wallS);
  return runs[1]!;
}

const args = process.argv.slice(2);
const json = args.includes('--json');
const baselineAt = args.indexOf('--baseline');
const saveAt = args.indexOf('--save');
const workloads = [...WORKLOADS];
if (args.includes('--long')) workloads.push({ name: 'multicast-300s', scenario: 'multicast', duration: '300s', simSeconds: 300 });
const results = workloads.map(measure);

/** The step runner alone: 100 000 steps (rx/kfree_skb pairs) built in memory, median of three. */
interface StepsResult { name: string; steps: number; wallS: number; cpuS: number; stepsPerS: number; runnerHeapMiB: number }
function stepsOnce(): StepsResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/steps.ts', '50000'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`steps: exited ${String(r.status)}: ${r.stderr}`);
  const o = JSON.parse(r.stdout) as { steps: number; wallS: number; cpuS: number; runnerHeapMiB: number };
  return { name: 'steps-100k', ...o, stepsPerS: o.steps / o.wallS };
}
const steps = [stepsOnce(), stepsOnce(), stepsOnce()].sort((a, b) => a.wallS - b.wallS)[1]!;

/** The explorer: sequences and steps per second on a clean and a buggy branch (one run each). */
interface ExploreResult { name: string; sequences: number; steps: number; findings: number; wallS: number }
const exploreRun = spawnSync(process.execPath, ['--import', 'tsx', 'bench/explore.ts', '2000'], { cwd: ROOT, encoding: 'utf8' });
if (exploreRun.status !== 0) throw new Error(`explore: exited ${String(exploreRun.status)}: ${exploreRun.stderr}`);
const explore = JSON.parse(exploreRun.stdout) as ExploreResult[];

if (saveAt >= 0) writeFileSync(args[saveAt + 1]!, `${JSON.stringify(results, null, 2)}\n`);
if (json) {
  process.stdout.write(`${JSON.stringify([...results, steps, ...explore], null, 2)}\n`);
} else {
  const base = baselineAt >= 0 ? (JSON.parse(readFileSync(args[baselineAt + 1]!, 'utf8')) as Result[]) : [];
  const head = ['workload', 'frames', 'wall s', 'frames/s', 'ns/frame', 'peak MiB', 'x real time', 'vs baseline'];
  const rows = results.map((r) => {
    const b = base.find((x) => x.name === r.name);
    const delta = b ? `${(((r.wallS - b.wallS) / b.wallS) * 100).toFixed(1)}% wall` : '';
    return [r.name, String(r.frames), r.wallS.toFixed(3), Math.round(r.framesPerS).toLocaleString('en-US'), r.nsPerFrame.toFixed(0), r.peakRssMiB.toFixed(1), `${r.realTimeRatio.toFixed(1)}x`, delta];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${line(head)}\n${rows.map(line).join('\n')}\n`);
  process.stdout.write(`\nstep runner  ${String(steps.steps)} steps  ${steps.wallS.toFixed(3)} s wall  ${steps.cpuS.toFixed(3)} s cpu  ${Math.round(steps.stepsPerS).toLocaleString('en-US')} steps/s  runner heap ${steps.runnerHeapMiB.toFixed(1)} MiB\n`);
  for (const e of explore) {
    process.stdout.write(`${e.name}  ${String(e.sequences)} sequences  ${String(e.steps)} steps  ${String(e.findings)} findings  ${e.wallS.toFixed(3)} s  ${Math.round(e.sequences / e.wallS).toLocaleString('en-US')} sequences/s  ${Math.round(e.steps / e.wallS).toLocaleString('en-US')} steps/s\n`);
  }
}
