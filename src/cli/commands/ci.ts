import { appendFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError, InputErrors, inputErrors } from '../../kernel/errors.js';
import { PLATFORM_FACT_NAMES } from '../../kernel/knobs.js';
import { findBranch, UnsupportedError, type ResolvedConfig, type Setup } from '../../sim/config.js';
import type { Report } from '../../sim/report.js';
import type { Scenario } from '../../sim/scenario.js';
import { renderCiTable } from '../../report/ci.js';
import { renderGithubAnnotations, renderStepSummary } from '../../report/github.js';
import { closingLine } from '../../report/human.js';
import { byCodeUnit, ciCaseId, renderCiJson, type CiCase, type CiSummary } from '../../report/json.js';
import { renderJunit, type JunitCase } from '../../report/junit.js';
import { scenarioProblems } from '../checks.js';
import { envFlag, ROOT, useColor, writeOutput, type Io } from '../context.js';
import { DEFAULT_BRANCH, isBranchFile, loadBranches, parseSetArgs, readText, SCENARIO_DIR, scenarioFromText, scenarioPath } from '../load.js';
import { parseJobs, runCost, runTasks, startWorkers, type CiTask } from '../jobs.js';
import { Progress } from '../progress.js';
import { parseInterval, writePictures, type PictureOptions } from '../pictures.js';
import { parseDuration, parseSeed } from './run.js';

export interface CiCliOptions extends PictureOptions {
  branch?: string;
  set?: string[];
  platform?: string;
  seed?: string;
  duration?: string;
  shard?: string;
  jobs?: string;
  json?: string;
  junit?: string;
  quiet?: boolean;
  color?: boolean;
  progress?: boolean;
}

/** One scenario under one branch, after validation. */
interface PlannedCase {
  file: string;
  /** The scenario file and its text as read (a worker parses it again). */
  path: string;
  text: string;
  branch: string;
  scenario: Scenario;
  config?: ResolvedConfig;
  skipped?: string;
}

/** Parses `--shard i/N` (1-based). */
export function parseShard(s: string | undefined): { index: number; total: number } | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || total < 1 || index < 1 || index > total) throw new InputError(`takes i/N with 1 <= i <= N (e.g. 2/4), got '${s}'`, { file: '--shard' });
  return { index, total };
}

/** At most one machine format may own stdout. */
export function checkStdout(o: { json?: string; junit?: string }): void {
  if (o.json === '-' && o.junit === '-') throw new InputError('--json - and --junit - both want stdout; write one of them to a file', { file: '--junit' });
}

/** `rel` when `p` lies under `root`. */
function under(root: string, p: string): string | undefined {
  const rel = relative(root, p);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? undefined : rel;
}

/**
 * A case's id and `file` field: relative to the scenario root, so shards run in different checkouts
 * or from different directories merge. The root is the working directory for files under it, the
 * package for the built-in scenarios, and otherwise the folder that holds the argument.
 */
function displayPath(p: string, arg: string): string {
  const abs = resolve(p);
  const id = under(process.cwd(), abs) ?? under(ROOT, abs) ?? under(dirname(resolve(arg)), abs) ?? abs;
  return id.split(sep).join('/');
}

/** A scenario file to read, and the id it has in reports. */
export interface ScenarioFile {
  path: string;
  id: string;
}

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => byCodeUnit(a.name, b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Scenario files named by the arguments: directories are searched recursively; default: the built-in scenarios. */
export function collectScenarioFiles(args: readonly string[]): ScenarioFile[] {
  const files: ScenarioFile[] = [];
  for (const a of args.length > 0 ? args : [SCENARIO_DIR]) {
    let dir = false;
    try {
      dir = statSync(a).isDirectory();
    } catch {
      // not a path: a built-in scenario name or an unreadable file, reported by scenarioPath/readText
    }
    if (dir) {
      const found = yamlFilesUnder(a);
      if (found.length === 0) throw new InputError('no scenario files (*.yaml) in this directory', { file: a });
      files.push(...found.map((path) => ({ path, id: displayPath(path, a) })));
    } else {
      const path = scenarioPath(a);
      files.push({ path, id: displayPath(path, path) });
    }
  }
  const seen = new Set<string>();
  return files.filter((f) => !seen.has(f.id) && seen.add(f.id));
}

/** Reads and checks every file before anything runs (every problem of every file); a scenario the overriding branch cannot run is skipped. */
function plan(files: readonly ScenarioFile[], o: CiCliOptions): PlannedCase[] {
  const overridden = o.branch !== undefined || (o.set ?? []).length > 0 || o.platform !== undefined;
  const { branches, name } = loadBranches(o.branch);
  const cfg = { set: o.set ?? [], ...(o.branch !== undefined ? { branch: o.branch } : {}), ...(o.platform !== undefined ? { platform: o.platform } : {}) };
  const errors: InputError[] = [];
  const planned = files.flatMap(({ path, id: file }): PlannedCase[] => {
    try {
      const text = readText(path);
      const scenario = scenarioFromText(text, path);
      const branchName = name ?? scenario.branch ?? DEFAULT_BRANCH;
      const branch = findBranch(branches, branchName, name !== undefined ? { file: '--branch' } : scenario.keyLoc.branch).name;
      const { config, errors: problems } = scenarioProblems(scenario, cfg);
      const unsupported = problems.find((e) => e instanceof UnsupportedError);
      if (unsupported && overridden) {
        errors.push(...problems.filter((e) => !(e instanceof UnsupportedError)));
        return [{ file, path, text, branch, scenario, skipped: unsupported.message }];
      }
      errors.push(...problems);
      return problems.length === 0 && config ? [{ file, path, text, branch, scenario, config }] : [];
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      errors.push(...inputErrors(e));
      return [];
    }
  });
  if (errors.length > 0) throw new InputErrors(errors);
  return planned;
}

/** The command that reruns one case by itself. */
function reproCommand(c: JunitCase, o: CiCliOptions): string {
  const q = (s: string): string => (/^[A-Za-z0-9_./=@:+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  // a built-in scenario's id is relative to the package: from elsewhere its name finds it
  const file = !existsSync(c.file) && existsSync(join(ROOT, c.file)) && c.file.startsWith('scenarios/') ? basename(c.file, '.yaml') : c.file;
  const args = ['pp-sim', 'run', q(file), '--branch', q(o.branch ?? c.branch)];
  if (o.platform !== undefined) args.push('--platform', q(o.platform));
  for (const s of o.set ?? []) args.push('--set', q(s));
  if (o.seed !== undefined) args.push('--seed', q(o.seed));
  // step scenarios have no duration
  if (o.duration !== undefined && c.report?.sim.duration_ns !== 0) args.push('--duration', q(o.duration));
  return args.join(' ');
}

export interface CiOutputOptions {
  json?: string;
  junit?: string;
  quiet?: boolean;
  color?: boolean;
  shard?: { index: number; total: number };
  totalCases?: number;
  /** Print GitHub annotations (ci does; merge leaves them to the shard jobs). */
  annotations: boolean;
  repro?: (c: JunitCase) => string;
}

/** Report files, the table, GitHub output and the closing line (last); returns the exit code. */
export function emitCiResults(io: Io, cases: readonly JunitCase[], o: CiOutputOptions): number {
  const summaryCases: CiCase[] = cases.map((c) => {
    const status = c.skipped !== undefined || !c.report ? 'skipped' : c.report.result === 'pass' ? 'passed' : 'failed';
    return { scenario: c.scenario, branch: c.branch, file: c.file, status, ...(c.skipped !== undefined ? { reason: c.skipped } : {}) };
  });
  const count = (s: CiCase['status']): number => summaryCases.filter((c) => c.status === s).length;
  const summary: CiSummary = {
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    totalCases: o.totalCases ?? cases.length,
    ...(o.shard ? { shard: o.shard } : {}),
    cases: summaryCases,
  };
  const reports: Report[] = cases.flatMap((c) => (c.report && c.skipped === undefined ? [c.report] : []));
  if (o.json !== undefined) writeOutput(io, o.json, renderCiJson(summary, reports));
  if (o.junit !== undefined) writeOutput(io, o.junit, renderJunit(cases));
  const jsonToStdout = o.json === '-';
  const human = jsonToStdout ? io.stderr : io.stdout;
  if (!o.quiet && cases.length > 0) {
    human(renderCiTable(cases, { color: useColor(io, o, jsonToStdout), ...(o.repro ? { repro: o.repro } : {}) }));
  }
  if (envFlag(io, 'GITHUB_ACTIONS')) {
    if (o.annotations) human(renderGithubAnnotations(cases));
    const file = io.env.GITHUB_STEP_SUMMARY;
    if (file !== undefined && file !== '') {
      try {
        appendFileSync(file, renderStepSummary(cases) + '\n');
      } catch (e) {
        io.stderr(`pp-sim: warning: cannot append to GITHUB_STEP_SUMMARY (${file}): ${(e as Error).message}\n`);
      }
    }
  }
  human(`${closingLine(summary.passed, summary.failed, summary.skipped)}\n`);
  return summary.failed > 0 ? 1 : 0;
}

/** pp-sim ci [dir|files...]: every scenario with its expect block; exit 1 on a failed case, 2 on invalid input. */
export function ciCommand(io: Io, args: string[], o: CiCliOptions): number {
  checkStdout(o);
  const shard = parseShard(o.shard);
  const jobs = parseJobs(o.jobs);
  startWorkers(jobs);
  const seedArg = parseSeed(o.seed);
  const durationArg = parseDuration(o.duration);
  const intervalNs = parseInterval(o.interval, durationArg);
  const planned = plan(collectScenarioFiles(args), o).sort((a, b) => byCodeUnit(ciCaseId(a), ciCaseId(b)));
  for (let i = 1; i < planned.length; i++) {
    const id = ciCaseId(planned[i]!);
    if (id === ciCaseId(planned[i - 1]!)) throw new InputError(`case ${id} is listed twice`, { file: planned[i]!.file });
  }
  const selected = shard ? planned.filter((_, k) => k % shard.total === shard.index - 1) : planned;
  if (durationArg !== undefined && planned.length > 0 && planned.every((p) => p.scenario.steps)) {
    io.stderr(`pp-sim: warning: --duration applies to traffic scenarios; all ${String(planned.length)} cases are step scenarios, which end where their steps end\n`);
  }
  if (shard) {
    const note = selected.length === 0 ? ' (empty shard: nothing to run)' : '';
    io.stderr(`shard ${String(shard.index)}/${String(shard.total)}: ${String(selected.length)} of ${String(planned.length)} cases${note}\n`);
  }
  const overridden = o.branch !== undefined || (o.set ?? []).length > 0 || o.platform !== undefined;
  // What a skipped case was asked to run with (it has no resolved config to tell).
  const sets = parseSetArgs(o.set).map((x) => `${x.key}=${x.value}`);
  const isFact = (kv: string): boolean => (PLATFORM_FACT_NAMES as readonly string[]).includes(kv.slice(0, kv.indexOf('=')));
  const requested: Setup = {
    ...(o.branch !== undefined && isBranchFile(o.branch) ? { branchFile: o.branch } : {}),
    knobs: sets.filter((kv) => !isFact(kv)),
    facts: sets.filter(isFact),
  };
  const progress = new Progress(io, o);
  const cfg = { set: o.set ?? [], ...(o.branch !== undefined ? { branch: o.branch } : {}), ...(o.platform !== undefined ? { platform: o.platform } : {}) };
  const runnable = selected.flatMap((p, k) => (p.skipped === undefined && p.config ? [{ p, k }] : []));
  const tasks: CiTask[] = runnable.map(({ p }) => ({
    kind: 'ci', file: p.path, text: p.text, cfg,
    seed: seedArg, durationNs: durationArg, intervalNs,
    durationExplicit: durationArg !== undefined || p.scenario.keyLoc.duration !== undefined,
    overridden,
  }));
  const cost = runnable.map(({ p }) => runCost(p.scenario, durationArg ?? p.scenario.durationNs));
  const order = tasks.map((_, i) => i).sort((a, b) => cost[b]! - cost[a]! || a - b);
  let done = 0;
  const settled = runTasks(tasks, jobs, order, {
    ...(io.clock ? { clock: io.clock } : {}),
    onStart: (i) => {
      const { p, k } = runnable[i]!;
      progress.update(`ci ${String(k + 1)}/${String(selected.length)} ${ciCaseId(p)}`, done / runnable.length);
    },
    onProgress: (i, t, total) => {
      const { p, k } = runnable[i]!;
      progress.update(`ci ${String(k + 1)}/${String(selected.length)} ${ciCaseId(p)}`, (done + t / total) / runnable.length);
    },
    // with workers running the cases, this thread only sees them finish (with one thread, onStart names each)
    onDone: (n) => {
      done = n;
      if (jobs > 1) progress.update(`ci: ${String(n)} of ${String(runnable.length)} cases done`, n / runnable.length);
    },
  });
  const cases: JunitCase[] = [];
  let next = 0;
  for (const p of selected) {
    const base = { scenario: p.scenario.name, branch: p.branch, file: p.file };
    if (p.skipped !== undefined || !p.config) {
      cases.push({ ...base, skipped: p.skipped ?? 'not run', setup: requested });
      continue;
    }
    const r = settled[next++];
    if (!r) throw new Error(`case ${ciCaseId(p)} has no result`);
    if (!r.ok) {
      progress.done();
      throw r.error;
    }
    if ('skipped' in r.value) cases.push({ ...base, skipped: r.value.skipped, setup: p.config.setup });
    else cases.push({ ...base, report: r.value.report, timeS: r.value.timeS });
  }
  progress.done();
  writePictures(io, o, cases.flatMap((c) => (c.report ? [c.report] : [])), 'pp-sim ci', false);
  const first = cases[0];
  if (first?.skipped !== undefined && cases.every((c) => c.skipped !== undefined)) {
    io.stderr(`pp-sim: note: all ${String(cases.length)} cases were skipped (first: ${first.skipped})\n`);
  }
  return emitCiResults(io, cases, {
    ...(o.json !== undefined ? { json: o.json } : {}),
    ...(o.junit !== undefined ? { junit: o.junit } : {}),
    ...(o.quiet !== undefined ? { quiet: o.quiet } : {}),
    ...(o.color !== undefined ? { color: o.color } : {}),
    ...(shard ? { shard } : {}),
    totalCases: planned.length,
    annotations: true,
    repro: (c) => reproCommand(c, o),
  });
}
