// Every example in README.md runs as shown (issue 9). The test reads the README's own blocks, so it
// stays valid when the README changes:
// - A console block (no language) holds `$ npx pp-sim ...` commands, each followed by its output;
//   a block after `<!-- readme-test: output of npx pp-sim ... -->` is the output of that command.
//   Output is compared line by line (trailing blanks ignored): a line `...` skips any lines, `...`
//   inside a line matches any text there; without a leading/trailing `...` the output must start/end
//   as shown. Commands are run in-process from the repository root; files they write
//   (`--json`/`--junit`/`--pcap-out` and `> file`, anything under reports/) go to a temporary folder.
// - An `sh` block's `npx pp-sim` commands run (npm commands are what runs this test, so they are not).
// - A yaml block that is a scenario passes `validate` and, without a `# <path>` first line, runs and
//   passes its expect block; a `# <path>` first line means the block is that shipped file, byte for
//   byte. A branch file block (name, aliases, description, extends, set) must be a shipped file too.
// - CI workflow blocks (GitHub `run:`, GitLab `script:`) run their `npx pp-sim` commands once per
//   shard, with `--duration 2s` shortened to 20ms (the README says CI jobs pick the duration).
// - json blocks parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/context.js';
import { parseBranch } from '../../src/workload/branches.js';
import { checkJunit } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
process.chdir(ROOT);
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const TMP = mkdtempSync(join(tmpdir(), 'pp-sim-readme-'));

interface Block {
  lang: string;
  text: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The command a `readme-test: output of` marker names. */
  outputOf?: string;
}

function readmeBlocks(md: string): Block[] {
  const lines = md.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    assert.ok(end > i, `README.md:${String(i + 1)}: unclosed code block`);
    const marker = /^<!-- readme-test: output of (.+?) -->$/.exec(lines[i - 1] ?? '');
    out.push({ lang: open[1]!, text: lines.slice(i + 1, end).join('\n'), line: i + 1, ...(marker ? { outputOf: marker[1]! } : {}) });
    i = end;
  }
  return out;
}

/** Words of a command line: whitespace-separated, single or double quotes group. */
function words(cmd: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(cmd); m; m = re.exec(cmd)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

const OUTPUT_OPTIONS = new Set(['--json', '--junit', '--pcap-out']);
const inTmp = (p: string): string => {
  const t = join(TMP, p);
  mkdirSync(dirname(t), { recursive: true });
  return t;
};

/** Expands `*` in the last path component against the folder (in the temporary folder). */
function glob(arg: string): string[] {
  if (!arg.includes('*')) return [arg];
  const dir = dirname(arg);
  const re = new RegExp(`^${arg.slice(dir.length + 1).split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => join(dir, f));
}

interface Ran {
  code: number;
  /** stdout and stderr, interleaved as written. */
  text: string;
}
const ranBefore = new Map<string, Ran>();

/** Runs `npx pp-sim ...` in-process; written files land in the temporary folder. */
function runCommand(cmd: string): Ran {
  const cached = ranBefore.get(cmd);
  if (cached) return cached;
  const w = words(cmd);
  assert.deepEqual(w.slice(0, 2), ['npx', 'pp-sim'], `not a pp-sim command: ${cmd}`);
  let redirect: string | undefined;
  const argv: string[] = [];
  for (let i = 2; i < w.length; i++) {
    const a = w[i]!;
    if (a === '>') redirect = inTmp(w[++i]!);
    else if (OUTPUT_OPTIONS.has(a) && w[i + 1] !== '-') argv.push(a, inTmp(w[++i]!));
    else if (a.startsWith('reports/')) argv.push(...glob(join(TMP, a)));
    else argv.push(a);
  }
  let text = '';
  let stdout = '';
  const io: Io = {
    stdout: (s) => {
      stdout += s;
      if (redirect === undefined) text += s;
    },
    stderr: (s) => (text += s),
    isTTY: false,
    env: {},
  };
  const code = main(argv, io);
  if (redirect !== undefined) writeFileSync(redirect, stdout);
  const r = { code, text };
  ranBefore.set(cmd, r);
  return r;
}

function lineMatches(expected: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  if (!expected.includes('...')) return expected === actual;
  const re = expected.split('...').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${re}$`).test(actual);
}

/** Checks `actual` against the README's shown output; returns a message, or undefined when it matches. */
function compareOutput(shown: string[], actual: string): string | undefined {
  const exp = shown.map((l) => l.trimEnd());
  const act = actual.replace(/\s+$/, '').split('\n').map((l) => l.trimEnd());
  const segments: string[][] = [[]];
  for (const l of exp) {
    if (l.trim() === '...') segments.push([]);
    else segments.at(-1)!.push(l);
  }
  const anchoredEnd = exp.at(-1)?.trim() !== '...';
  let pos = 0;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    if (seg.length === 0) continue;
    const fits = (i: number): boolean => seg.every((l, j) => lineMatches(l, act[i + j]));
    let at = -1;
    if (s === 0) at = fits(0) ? 0 : -1;
    else for (let i = pos; i + seg.length <= act.length && at < 0; i++) if (fits(i)) at = i;
    if (s === segments.length - 1 && anchoredEnd && at >= 0 && at + seg.length !== act.length) {
      at = fits(act.length - seg.length) && act.length - seg.length >= pos ? act.length - seg.length : -1;
    }
    if (at < 0) {
      const near = act.slice(Math.max(0, pos - 2), pos + seg.length + 6).join('\n');
      return `this part of the shown output is not in the real output (after line ${String(pos)}):\n${seg.join('\n')}\n--- real output there:\n${near}`;
    }
    pos = at + seg.length;
  }
  return undefined;
}

/** Exit code the shown output implies: 2 for an input error line, 1/0 from the closing line, else 0 or 1. */
function checkCode(where: string, cmd: string, shown: string[], code: number): void {
  assert.notEqual(code, 3, `${where}: ${cmd}: internal error`);
  if (shown.some((l) => /^pp-sim: \S+:\d+:\d+: /.test(l))) {
    assert.equal(code, 2, `${where}: ${cmd}: shows an input error`);
    return;
  }
  const closing = shown.map((l) => /^pp-sim: (\d+) passed, (\d+) failed/.exec(l)).find((m) => m);
  if (closing) assert.equal(code, Number(closing[2]) > 0 ? 1 : 0, `${where}: ${cmd}: exit code and closing line`);
  else assert.ok(code === 0 || code === 1, `${where}: ${cmd}: exit ${String(code)}`);
}

const blocks = readmeBlocks(README);

test('the README has the examples the issue asks for', () => {
  const yamls = blocks.filter((b) => b.lang === 'yaml').map((b) => parse(b.text) as Record<string, unknown> | null);
  assert.ok(yamls.some((y) => y && Array.isArray(y.traffic) && y.host !== undefined && y.expect !== undefined), 'a complete traffic scenario (traffic:, host:, expect:)');
  assert.ok(yamls.some((y) => y && Array.isArray(y.steps)), 'a step scenario');
  assert.ok(yamls.some((y) => y && ['name', 'aliases', 'description', 'extends', 'set'].every((k) => k in y)), 'a branch file with every key');
  assert.match(README, /--branch examples\/\S+\.yaml/, 'a run with --branch <file>');
});

test('every console example of the README prints what the README shows', () => {
  let checked = 0;
  for (const b of blocks.filter((x) => x.lang === '')) {
    const where = `README.md:${String(b.line)}`;
    const lines = b.text.split('\n');
    const runs: { cmd: string; shown: string[] }[] = [];
    if (b.outputOf) runs.push({ cmd: b.outputOf, shown: lines });
    else if (lines[0]?.startsWith('$ ')) {
      for (const l of lines) {
        if (l.startsWith('$ ')) runs.push({ cmd: l.slice(2), shown: [] });
        else runs.at(-1)!.shown.push(l);
      }
    } else continue;
    for (const { cmd, shown } of runs) {
      const r = runCommand(cmd);
      checkCode(where, cmd, shown, r.code);
      const diff = compareOutput(shown, r.text);
      assert.equal(diff, undefined, `${where}: ${cmd}: ${String(diff)}`);
      checked++;
    }
  }
  assert.ok(checked >= 8, `only ${String(checked)} commands checked`);
});

test('every sh example of the README runs (npm commands excepted)', () => {
  for (const b of blocks.filter((x) => x.lang === 'sh')) {
    for (const cmd of b.text.split('\n').flatMap((l) => l.split('&&')).map((c) => c.trim())) {
      if (cmd.startsWith('npm ')) continue;
      const r = runCommand(cmd);
      assert.equal(r.code, 0, `README.md:${String(b.line)}: ${cmd}: ${r.text}`);
    }
  }
  const schema = JSON.parse(readFileSync(join(TMP, 'pp-sim.schema.json'), 'utf8')) as { title?: string };
  assert.equal(schema.title, 'pp-sim scenario', 'npx pp-sim schema > pp-sim.schema.json wrote the schema');
});

test('the README\'s scenario and branch files are valid, shipped where they say, and run', () => {
  let scenarios = 0;
  let branchFiles = 0;
  for (const b of blocks.filter((x) => x.lang === 'yaml')) {
    const where = `README.md:${String(b.line)}`;
    const doc = parse(b.text) as Record<string, unknown> | null;
    if (!doc || typeof doc !== 'object' || 'jobs' in doc || Object.values(doc).some((v) => v && typeof v === 'object' && 'script' in v)) continue;
    const path = /^# (\S+\.ya?ml)$/.exec(b.text.split('\n')[0]!)?.[1];
    if (path !== undefined) assert.equal(readFileSync(join(ROOT, path), 'utf8'), `${b.text}\n`, `${where}: the block is ${path} as shipped`);
    if (Array.isArray(doc.steps) || Array.isArray(doc.traffic)) {
      const file = path !== undefined ? path : inTmp(`block-${String(b.line)}.yaml`);
      if (path === undefined) writeFileSync(file, `${b.text}\n`);
      const v = runCommand(`npx pp-sim validate ${file}`);
      assert.equal(v.code, 0, `${where}: ${v.text}`);
      if (path === undefined) {
        const r = runCommand(`npx pp-sim run ${file} --quiet`);
        assert.equal(r.code, 0, `${where}: the scenario passes its own expect block: ${r.text}`);
      }
      scenarios++;
    } else if ('extends' in doc || 'set' in doc) {
      assert.ok(path !== undefined, `${where}: a branch file names its path on its first line`);
      assert.doesNotThrow(() => parseBranch(b.text, path));
      assert.equal(runCommand(`npx pp-sim run skb-copy --branch ${path} --quiet`).code === 3, false);
      branchFiles++;
    }
  }
  assert.ok(scenarios >= 2 && branchFiles >= 1, `${String(scenarios)} scenarios, ${String(branchFiles)} branch files`);
});

/** The `npx pp-sim` commands of a CI workflow block, once per shard, with short durations. */
function workflowCommands(doc: Record<string, unknown>): string[] {
  const out: string[] = [];
  const jobs = (doc.jobs ?? doc) as Record<string, Record<string, unknown>>;
  for (const job of Object.values(jobs)) {
    if (!job || typeof job !== 'object') continue;
    const steps = Array.isArray(job.steps) ? (job.steps as { run?: string }[]).map((s) => s.run) : (job.script as string[] | undefined) ?? [];
    const matrix = ((job.strategy as { matrix?: { shard?: number[] } } | undefined)?.matrix?.shard) ?? [];
    const parallel = typeof job.parallel === 'number' ? job.parallel : 0;
    const shards = matrix.length > 0 ? matrix : parallel > 0 ? Array.from({ length: parallel }, (_, i) => i + 1) : [0];
    for (const shard of shards) {
      for (const cmd of steps) {
        if (typeof cmd !== 'string' || !cmd.startsWith('npx pp-sim')) continue;
        out.push(
          cmd
            .replaceAll('${{ matrix.shard }}', String(shard))
            .replaceAll('$CI_NODE_INDEX', String(shard))
            .replaceAll('$CI_NODE_TOTAL', String(parallel))
            .replace('--duration 2s', '--duration 20ms'),
        );
      }
    }
  }
  return out;
}

test('the CI workflows of the README run their pp-sim commands (shards and merge included)', () => {
  let n = 0;
  for (const b of blocks.filter((x) => x.lang === 'yaml')) {
    const doc = parse(b.text) as Record<string, unknown>;
    const cmds = workflowCommands(doc);
    for (const cmd of cmds) {
      const r = runCommand(cmd);
      assert.equal(r.code, 0, `README.md:${String(b.line)}: ${cmd}: ${r.text}`);
      for (const junit of words(cmd).filter((_, i, w) => w[i - 1] === '--junit')) {
        assert.ok(existsSync(join(TMP, junit)), junit);
        assert.equal(checkJunit(readFileSync(join(TMP, junit), 'utf8')).failures, 0, junit);
      }
      n++;
    }
  }
  assert.ok(n >= 8, `only ${String(n)} workflow commands`);
});

test('the json blocks of the README parse', () => {
  for (const b of blocks.filter((x) => x.lang === 'json')) assert.doesNotThrow(() => JSON.parse(b.text), `README.md:${String(b.line)}`);
});

test('the output comparison itself: elisions, wildcards and anchors', () => {
  const real = 'head\na\nb\nc\ntail';
  assert.equal(compareOutput(['head', '...', 'tail'], real), undefined);
  assert.equal(compareOutput(['head', 'a', '...'], real), undefined);
  assert.equal(compareOutput(['h...', '...', 'b', 'c', '...'], real), undefined);
  assert.notEqual(compareOutput(['a', '...'], real), undefined, 'the output starts as shown');
  assert.notEqual(compareOutput(['...', 'b'], real), undefined, 'the output ends as shown');
  assert.notEqual(compareOutput(['head', '...', 'c', 'b', '...'], real), undefined, 'order and adjacency count');
  assert.notEqual(compareOutput(['head', '...', 'x', '...'], real), undefined);
});
