// npm run bench:profile [-- multicast,tcp,xdp-drop] [-- --top N]
// Profiles whole `pp-sim run` processes with V8's sampling profiler and prints, per workload, the
// functions with the most self time, the garbage collector's share and the start-up share (CPU
// of a 1 ms run over CPU of the workload).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DURATION: Record<string, string> = { multicast: '30s', tcp: '30s', 'xdp-drop': '10s', jumbo: '30s' };

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

function cpuOf(scenario: string, duration: string): number {
  const r = spawnSync(process.execPath, ['--import', './bench/rss-hook.mjs', 'bin/pp-sim.cjs', 'run', scenario, '--duration', duration, '--quiet', '--no-progress'], { cwd: ROOT, encoding: 'utf8' });
  const m = /PPSIM_BENCH_CPU_US (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`${scenario}: no CPU figure: ${r.stderr}`);
  return Number(m[1]) / 1e6;
}

/** Self time per function (name, file, line) over all samples, in µs, and the total. */
function selfTimes(p: CpuProfile): { rows: [string, number][]; total: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const cf = byId.get(p.samples[i]!)!.callFrame;
    const d = p.timeDeltas[i] ?? 0;
    total += d;
    // the minified bundle is one line: its functions go by name alone
    const file = cf.url.endsWith('/dist/cli/main.cjs') ? '' : cf.url.replace(/^.*\/(dist|src|node_modules)\//, '$1/');
    const key = `${cf.functionName || '(anonymous)'}${file ? ` ${file}:${String(cf.lineNumber + 1)}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + d);
  }
  return { rows: [...self.entries()].sort((a, b) => b[1] - a[1]), total };
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 15;
const names = (args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--top') ?? 'multicast,tcp,xdp-drop').split(',');
const startup = cpuOf('xdp-drop', '1ms');
for (const name of names) {
  const duration = DURATION[name];
  if (!duration) throw new Error(`unknown workload ${name} (${Object.keys(DURATION).join(', ')})`);
  const dir = mkdtempSync(join(tmpdir(), 'pp-sim-prof-'));
  const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, 'bin/pp-sim.cjs', 'run', name, '--duration', duration, '--quiet', '--no-progress'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${name}: exited ${String(r.status)}: ${r.stderr}`);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
  const { rows, total } = selfTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
  rmSync(dir, { recursive: true, force: true });
  const gc = rows.find(([k]) => k.startsWith('(garbage collector)'))?.[1] ?? 0;
  const cpu = cpuOf(name, duration);
  process.stdout.write(`${name} ${duration}: ${(total / 1e6).toFixed(2)} s sampled, GC ${((gc / total) * 100).toFixed(1)} %, start-up ${((startup / cpu) * 100).toFixed(1)} % of ${cpu.toFixed(2)} s CPU\n`);
  for (const [k, v] of rows.slice(0, top)) process.stdout.write(`  ${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}\n`);
}
