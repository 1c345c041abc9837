import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CONFORMANCE_DIR, RECORDED_DIR, loadCases } from './cases-io.js';
import { kunitSource } from './kunit.js';
import { parseKernelLog, recordedText } from './recorded.js';
import { VERSIONS } from './versions.js';

/**
 * npm run conformance:record -- <6.1|6.12> [--jobs N]
 * Installs the Debian kernel source, unpacks it in a cache folder outside the repository
 * (PP_SIM_CONFORMANCE_CACHE, default ~/.cache/pp-sim-conformance), adds pp-sim's KUnit test with a
 * Kconfig/Makefile hook, builds User-Mode Linux, runs the suite and writes
 * conformance/recorded/linux-<version>.txt. Nothing of the kernel enters the repository.
 */

const t0 = Date.now();
function say(msg: string): void {
  const s = Math.round((Date.now() - t0) / 1000);
  console.log(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${msg}`);
}
function fail(msg: string): never {
  console.error(`pp-sim conformance: ${msg}`);
  process.exit(2);
}
function sh(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr || r.stdout).slice(-4000)}`);
  return r.stdout;
}

/** Runs a long command, printing a progress line every 30 s from the lines it writes. */
function longRun(label: string, cmd: string, args: string[], cwd: string, logFile: string, count: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let n = 0;
    let last = '';
    const take = (b: Buffer): void => {
      const s = b.toString();
      out += s;
      for (const l of s.split('\n')) {
        if (count.test(l)) {
          n++;
          last = l.trim();
        }
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setInterval(() => {
      say(`${label}: ${n} steps, last: ${last}`);
    }, 30_000);
    child.on('close', (code) => {
      clearInterval(timer);
      writeFileSync(logFile, out);
      if (code !== 0) fail(`${label} failed (exit ${code}); log: ${logFile}\n${out.slice(-3000)}`);
      resolve(out);
    });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const series = argv.find((a) => !a.startsWith('--'));
  const ji = argv.indexOf('--jobs');
  const jobs = ji >= 0 ? Number(argv[ji + 1]) : 2;
  if (!series || !VERSIONS[series]) fail(`usage: npm run conformance:record -- <${Object.keys(VERSIONS).join('|')}> [--jobs N]`);
  const v = VERSIONS[series];
  const cacheRoot = process.env.PP_SIM_CONFORMANCE_CACHE ?? join(homedir(), '.cache', 'pp-sim-conformance');
  const cache = join(cacheRoot, `linux-${series}`);
  const tree = join(cache, `linux-source-${series}`);
  const build = join(cache, 'build');
  mkdirSync(cache, { recursive: true });
  say(`Linux ${series} -> branch ${v.branch}; cache ${cache}`);

  const tarball = `/usr/src/linux-source-${series}.tar.xz`;
  const tools = ['make', 'gcc', 'flex', 'bison', 'bc', 'python3'];
  if (!existsSync(tarball) || tools.some((t) => spawnSync('which', [t]).status !== 0)) {
    say(`installing ${v.package} and the build tools (apt-get)`);
    if (process.getuid?.() !== 0) fail(`run as root, or install first: apt-get install ${v.package} flex bison bc libelf-dev build-essential python3 xz-utils`);
    sh('apt-get', ['update']);
    sh('apt-get', ['install', '-y', v.package, 'flex', 'bison', 'bc', 'libelf-dev', 'build-essential', 'python3', 'xz-utils']);
  }
  const debVersion = sh('dpkg-query', ['-W', '-f=${Version}', v.package]).trim();
  if (!existsSync(join(tree, 'Makefile'))) {
    say(`unpacking ${tarball}`);
    sh('tar', ['xJf', tarball, '-C', cache]);
  }
  const mk = readFileSync(join(tree, 'Makefile'), 'utf8');
  const field = (k: string): string => new RegExp(`^${k} = (\\S*)`, 'm').exec(mk)?.[1] ?? '';
  const version = `${field('VERSION')}.${field('PATCHLEVEL')}.${field('SUBLEVEL')}${field('EXTRAVERSION')}`;
  say(`source: Linux ${version} (Debian ${v.package} ${debVersion})`);

  const kconfig = join(tree, 'net', 'Kconfig');
  if (!readFileSync(kconfig, 'utf8').includes('PP_SIM_CONFORMANCE_KUNIT')) {
    writeFileSync(kconfig, readFileSync(kconfig, 'utf8') + readFileSync(join(CONFORMANCE_DIR, 'kunit', 'hook.Kconfig'), 'utf8'));
  }
  const makefile = join(tree, 'net', 'core', 'Makefile');
  if (!readFileSync(makefile, 'utf8').includes('pp_sim_conformance_kunit')) {
    writeFileSync(makefile, readFileSync(makefile, 'utf8') + readFileSync(join(CONFORMANCE_DIR, 'kunit', 'hook.Makefile'), 'utf8'));
  }
  const cases = loadCases();
  const testFile = join(tree, 'net', 'core', 'pp_sim_conformance_kunit.c');
  const src = kunitSource(cases, join(CONFORMANCE_DIR, 'kunit', 'harness.c'));
  if (!existsSync(testFile) || readFileSync(testFile, 'utf8') !== src) writeFileSync(testFile, src);
  say(`hook in place; ${cases.length} cases generated into net/core/pp_sim_conformance_kunit.c`);

  const fragment = readFileSync(join(CONFORMANCE_DIR, 'kunit', 'kunitconfig'), 'utf8');
  mkdirSync(build, { recursive: true });
  const dotconfig = join(build, '.config');
  const want = fragment.split('\n').filter((l) => /^CONFIG_\w+=y$/.test(l));
  const have = existsSync(dotconfig) ? readFileSync(dotconfig, 'utf8') : '';
  if (want.some((l) => !have.includes(l))) {
    say('configuring UML (olddefconfig from conformance/kunit/kunitconfig)');
    writeFileSync(dotconfig, fragment);
    sh('make', ['ARCH=um', `O=${build}`, 'olddefconfig'], tree);
    const got = readFileSync(dotconfig, 'utf8');
    const missing = want.filter((l) => !got.includes(l));
    if (missing.length > 0) fail(`the kernel configuration lacks ${missing.join(', ')}`);
  }
  say(`building UML with ${jobs} jobs under nice 15 (about 20 minutes from scratch on two cores)`);
  const tb = Date.now();
  await longRun('build', 'nice', ['-n', '15', 'make', 'ARCH=um', `O=${build}`, `-j${jobs}`], tree, join(cache, 'build.log'), /^\s+(CC|LD|AR)\s/);
  say(`build done in ${Math.round((Date.now() - tb) / 1000)} s`);

  const tr = Date.now();
  say('running the KUnit suite pp_sim_conformance in UML');
  const log = await longRun('run', join(build, 'linux'), ['kunit.filter_glob=pp_sim_conformance', 'kunit.enable=1', 'mem=1G', 'console=tty', 'kunit_shutdown=halt'], build, join(cache, 'run.log'), /ppsim-conf: \S+ end/);
  say(`run done in ${Math.round((Date.now() - tr) / 1000)} s`);
  const parsed = parseKernelLog(log, cases.map((c) => c.name));
  if (parsed.problems.length > 0) fail(`the kernel run is incomplete:\n  ${parsed.problems.join('\n  ')}\nlog: ${join(cache, 'run.log')}`);
  mkdirSync(RECORDED_DIR, { recursive: true });
  const out = join(RECORDED_DIR, `linux-${version}.txt`);
  writeFileSync(out, recordedText(version, `Debian ${v.package} ${debVersion}`, parsed.lines));
  say(`wrote ${out}: ${parsed.lines.size} cases`);
}

void main();
