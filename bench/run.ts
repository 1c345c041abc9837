// npm run bench [-- --json] [-- --runs N] [-- --save file] [-- --baseline file] [-- --long] [-- --only name]
// Times fixed workloads as whole `pp-sim run` processes against the reference program
// (bench/reference.mjs), run alternately: the CPU-time ratio holds across machines, absolute
// seconds do not. Also times the step runner alone and the explorer.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Workload {
  name: string;
  scenario: string;
  duration: string;
}

const WORKLOADS: Workload[] = [
  { name: 'multicast', scenario: 'multicast', duration: '30s' },
  { name: 'tcp', scenario: 'tcp', duration: '30s' },
  { name: 'xdp-drop', scenario: 'xdp-drop', duration: '10s' },
  { name: 'jumbo', scenario: 'jumbo', duration: '30s' },
];
/** The start-up workload: everything before the first frame, and one millisecond of traffic. */
const STARTUP: Workload = { name: 'startup', scenario: 'xdp-drop', duration: '1ms' };

/** One whole process: its CPU (user+sys) and peak RSS as it reports them on exit (bench/rss-hook.mjs). */
interface Proc {
  cpuS: number;
  wallS: number;
  peakRssMiB: number;
  stdout: string;
}

function proc(args: string[]): Proc {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', './bench/rss-hook.mjs', ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')}: exited ${String(r.status)}: ${r.stderr}`);
  const cpu = /PPSIM_BENCH_CPU_US (\d+)/.exec(r.stderr);
  const rss = /PPSIM_BENCH_MAXRSS (\d+)/.exec(r.stderr);
  if (!cpu || !rss) throw new Error(`${args.join(' ')}: no CPU/RSS figures on stderr`);
  return { cpuS: Number(cpu[1]) / 1e6, wallS, peakRssMiB: Number(rss[1]) / 1024, stdout: r.stdout };
}

function ppSim(w: Workload): Proc & { frames: number } {
  const p = proc(['bin/pp-sim.cjs', 'run', w.scenario, '--duration', w.duration, '--json', '-', '--quiet', '--no-color', '--no-progress']);
  return { ...p, frames: (JSON.parse(p.stdout) as { sim: { frames: number } }).sim.frames };
}

function reference(): Proc {
  return proc(['bench/reference.mjs']);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

interface Result {
  name: string;
  frames: number;
  /** Median over pairs of pp-sim CPU / reference CPU, each pair run back to back. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  cpuS: number;
  refCpuS: number;
  /** Frames per CPU second, and CPU ns per frame beyond start-up. */
  framesPerS: number;
  nsPerFrame: number;
  startupMs: number;
  peakRssMiB: number;
}

/** `runs` pairs of (workload, reference) alternately; medians of each figure. */
function measure(w: Workload, runs: number, startupS: number): Result {
  const ratios: number[] = [];
  const cpu: number[] = [];
  const ref: number[] = [];
  const rss: number[] = [];
  let frames = 0;
  for (let i = 0; i < runs; i++) {
    const a = ppSim(w);
    const b = reference();
    frames = a.frames;
    ratios.push(a.cpuS / b.cpuS);
    cpu.push(a.cpuS);
    ref.push(b.cpuS);
    rss.push(a.peakRssMiB);
  }
  const cpuS = median(cpu);
  return {
    name: w.name,
    frames,
    ratio: median(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    cpuS,
    refCpuS: median(ref),
    framesPerS: frames / cpuS,
    nsPerFrame: frames > 0 ? ((cpuS - startupS) * 1e9) / frames : NaN,
    startupMs: startupS * 1e3,
    peakRssMiB: Math.max(...rss),
  };
}

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const json = args.includes('--json');
const runs = Number(opt('--runs') ?? 3);
const only = opt('--only');
const workloads = [...WORKLOADS];
if (args.includes('--long')) workloads.push({ name: 'multicast-300s', scenario: 'multicast', duration: '300s' });
const chosen = only ? workloads.filter((w) => only.split(',').includes(w.name)) : workloads;

const startupRuns: number[] = [];
const startupRatios: number[] = [];
for (let i = 0; i < Math.max(runs, 5); i++) {
  const a = ppSim(STARTUP);
  const b = reference();
  startupRuns.push(a.cpuS);
  startupRatios.push(a.cpuS / b.cpuS);
}
const startupS = median(startupRuns);
const results = chosen.map((w) => measure(w, runs, startupS));
const startup: Result = { name: 'startup', frames: 0, ratio: median(startupRatios), ratioMin: Math.min(...startupRatios), ratioMax: Math.max(...startupRatios), cpuS: startupS, refCpuS: NaN, framesPerS: NaN, nsPerFrame: NaN, startupMs: startupS * 1e3, peakRssMiB: NaN };

/** The step runner alone: 100 000 steps (rx/kfree_skb pairs) built in memory, median of three. */
interface StepsResult { name: string; steps: number; wallS: number; cpuS: number; stepsPerS: number; runnerHeapMiB: number }
function stepsOnce(): StepsResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/steps.ts', '50000'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`steps: exited ${String(r.status)}: ${r.stderr}`);
  const o = JSON.parse(r.stdout) as { steps: number; wallS: number; cpuS: number; runnerHeapMiB: number };
  return { name: 'steps-100k', ...o, stepsPerS: o.steps / o.cpuS };
}
const extras = !only;
const steps = extras ? [stepsOnce(), stepsOnce(), stepsOnce()].sort((a, b) => a.cpuS - b.cpuS)[1]! : undefined;

/** The explorer: sequences and steps per second on a clean and a buggy branch (one run each). */
interface ExploreResult { name: string; sequences: number; steps: number; findings: number; wallS: number }
let explore: ExploreResult[] = [];
if (extras) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/explore.ts', '2000'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`explore: exited ${String(r.status)}: ${r.stderr}`);
  explore = JSON.parse(r.stdout) as ExploreResult[];
}

const all = [startup, ...results];
if (opt('--save')) writeFileSync(opt('--save')!, `${JSON.stringify(all, null, 2)}\n`);
if (json) {
  process.stdout.write(`${JSON.stringify([...all, ...(steps ? [steps] : []), ...explore], null, 2)}\n`);
} else {
  const baseFile = opt('--baseline');
  const base = baseFile ? (JSON.parse(readFileSync(baseFile, 'utf8')) as Result[]) : [];
  const head = ['workload', 'frames', 'x reference', '(min-max)', 'cpu s', 'frames/cpu s', 'ns/frame', 'startup ms', 'peak MiB', ...(base.length ? ['vs baseline'] : [])];
  const num = (x: number, d: number): string => (Number.isFinite(x) ? x.toFixed(d) : '');
  const rows = all.map((r) => {
    const b = base.find((x) => x.name === r.name);
    return [
      r.name,
      r.frames ? String(r.frames) : '',
      `${r.ratio.toFixed(2)}x`,
      `${r.ratioMin.toFixed(2)}-${r.ratioMax.toFixed(2)}`,
      r.cpuS.toFixed(3),
      Number.isFinite(r.framesPerS) ? Math.round(r.framesPerS).toLocaleString('en-US') : '',
      num(r.nsPerFrame, 0),
      r.name === 'startup' ? r.startupMs.toFixed(0) : '',
      num(r.peakRssMiB, 1),
      ...(base.length ? [b ? `${(r.ratio / b.ratio).toFixed(2)}x` : ''] : []),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${line(head)}\n${rows.map(line).join('\n')}\n`);
  process.stdout.write(`reference: ${results[0] ? results[0].refCpuS.toFixed(3) : '?'} s cpu (bench/reference.mjs, 40 M rounds); ${String(runs)} pairs per workload\n`);
  if (steps) process.stdout.write(`\nstep runner  ${String(steps.steps)} steps  ${steps.cpuS.toFixed(3)} s cpu  ${Math.round(steps.stepsPerS).toLocaleString('en-US')} steps/cpu s  runner heap ${steps.runnerHeapMiB.toFixed(1)} MiB\n`);
  for (const e of explore) {
    process.stdout.write(`${e.name}  ${String(e.sequences)} sequences  ${String(e.steps)} steps  ${String(e.findings)} findings  ${e.wallS.toFixed(3)} s  ${Math.round(e.sequences / e.wallS).toLocaleString('en-US')} sequences/s  ${Math.round(e.steps / e.wallS).toLocaleString('en-US')} steps/s\n`);
  }
}
