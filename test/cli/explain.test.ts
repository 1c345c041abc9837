import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KNOB_NAMES } from '../../src/kernel/knobs.js';
import { LEAK_KINDS, VIOLATION_KINDS } from '../../src/kernel/names.js';
import { PLATFORMS, UnsupportedError } from '../../src/sim/config.js';
import { collectScenarioFiles } from '../../src/cli/commands/ci.js';
import { configFor, loadBranches, loadScenario } from '../../src/cli/load.js';
import { LEAK_TEXT, VIOLATION_TEXT, type FindingText } from '../../src/cli/explain-data.js';
import { runScenarioFull } from '../../src/workload/run.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { capture } from './helpers.js';

const { branches } = loadBranches();
const BRANCHES = branches.map((b) => b.name);
const DEFAULT_PLATFORM = 'espressobin';
const DURATION = 50_000_000;

test('explain covers every violation and leak kind, knob, branch (and alias) and platform', () => {
  const names = [
    ...VIOLATION_KINDS, ...LEAK_KINDS, ...KNOB_NAMES, ...PLATFORMS.map((p) => p.name),
    ...branches.flatMap((b) => [b.name, ...b.aliases]),
  ];
  for (const name of names) {
    const r = capture(['explain', name]);
    assert.equal(r.code, 0, `${name}: ${r.err}`);
    assert.equal(r.err, '');
    const canonical = branches.find((b) => b.aliases.includes(name))?.name ?? name;
    assert.ok(r.out.startsWith(`${canonical} — `), `${name}: ${r.out.slice(0, 60)}`);
    assert.match(r.out, /Reference\n {2}\S+\.md §/, `${name} names its reference section`);
  }
});

test('explain states the modelling decisions and the unverified facts', () => {
  const wr = capture(['explain', 'wrong-recycle']).out.replace(/\s+/g, ' ');
  assert.match(wr, /completes the free the correct way/);
  assert.match(wr, /the pool adopts the memory/);
  assert.match(wr, /Unverified facts the model relies on/);
  assert.match(wr, /did not test skb->head_frag is inferred/);
  assert.match(wr, /xdp_return_skb_page.*reconstructed/);
  assert.match(wr, /skbuff-semantics\.md §1\.2, §5\.0, §5\.2/);
  assert.match(capture(['explain', 'mvneta_07']).out.replace(/\s+/g, ' '), /__skb_clone copied mem_info explicitly .* is unverified/);
  assert.match(capture(['explain', 'cpu-access-device-owned']).out.replace(/\s+/g, ' '), /reading headroom or tailroom is not flagged/);
});

test('explain of an unknown name is exit 2 with a suggestion, one line, no stack', () => {
  for (const [name, hint] of [['wrong-recycel', 'wrong-recycle'], ['mvneta03', 'mvneta_03'], ['colaesce', 'coalesce'], ['espresobin', 'espressobin']] as const) {
    const r = capture(['explain', name]);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, new RegExp(`^pp-sim: explain: unknown name '${name}'; did you mean '${hint}'\\?`));
    assert.equal(r.err.trim().split('\n').length, 1);
  }
  assert.equal(capture(['explain']).code, 2);
});

/** Every built-in scenario, by name (files of the same name are both kept). */
function builtins(): Scenario[] {
  return collectScenarioFiles([]).map((f) => loadScenario(f.path));
}

type Observed = Map<string, Set<string>>; // "kind|branch|platform" -> scenario names

function runAll(scenarios: readonly Scenario[]): { seen: Observed; runnable: Map<string, Set<string>> } {
  const seen: Observed = new Map();
  const runnable = new Map<string, Set<string>>(); // "branch|platform" -> scenarios it can run
  for (const platform of PLATFORMS.map((p) => p.name)) {
    for (const s of scenarios) {
      for (const branch of BRANCHES) {
        let report;
        try {
          report = runScenarioFull({ scenario: s, config: configFor(s, { branch, platform }), seed: s.seed, durationNs: DURATION, toolVersion: 'test' });
        } catch (e) {
          if (e instanceof UnsupportedError) continue;
          throw e;
        }
        const rk = `${branch}|${platform}`;
        runnable.set(rk, (runnable.get(rk) ?? new Set()).add(s.name));
        for (const kind of [...report.violations, ...report.leaks].map((f) => f.kind)) {
          const key = `${kind}|${branch}|${platform}`;
          seen.set(key, (seen.get(key) ?? new Set()).add(s.name));
        }
      }
    }
  }
  return { seen, runnable };
}

const TEXTS: [string, FindingText][] = [...Object.entries(VIOLATION_TEXT), ...Object.entries(LEAK_TEXT)];

test('explain data agrees with runs of every built-in scenario under every branch and platform (--duration 50ms)', () => {
  const scenarios = builtins();
  const names = new Set(scenarios.map((s) => s.name));
  const { seen, runnable } = runAll(scenarios);
  // every (kind, branch, platform) a run shows is in the data
  for (const [key, where] of seen) {
    const [kind, branch, platform] = key.split('|') as [string, string, string];
    const t = TEXTS.find(([k]) => k === kind)?.[1];
    assert.ok(t, `no explain text for ${kind}`);
    const claimed = t.seen.some((s) => !s.set && s.branches.includes(branch) && (s.platform ?? DEFAULT_PLATFORM) === platform);
    assert.ok(claimed, `explain ${kind} does not list branch ${branch} on ${platform} (seen in ${[...where].join(', ')})`);
  }
  // every claim without --set is observed, scenario by scenario
  for (const [kind, t] of TEXTS) {
    for (const s of t.seen) {
      assert.ok(s.branches.every((b) => BRANCHES.includes(b)), `${kind}: unknown branch in ${s.branches.join(', ')}`);
      if (s.scenarios !== '*') for (const n of s.scenarios) assert.ok(names.has(n), `${kind}: no built-in scenario '${n}'`);
      if (s.set) continue;
      const platform = s.platform ?? DEFAULT_PLATFORM;
      for (const b of s.branches) {
        const want = s.scenarios === '*' ? [...(runnable.get(`${b}|${platform}`) ?? [])] : s.scenarios;
        const got = seen.get(`${kind}|${b}|${platform}`) ?? new Set();
        for (const n of want) assert.ok(got.has(n), `explain ${kind} claims ${n} on ${b} (${platform}), but the run shows no ${kind}`);
      }
    }
  }
});

test('explain data entries that need --set produce their finding', () => {
  const scenarios = builtins();
  for (const [kind, t] of TEXTS) {
    for (const s of t.seen.filter((x) => x.set)) {
      const list = s.scenarios === '*' ? [] : s.scenarios;
      for (const b of s.branches) {
        for (const n of list) {
          const sc = scenarios.find((x) => x.name === n)!;
          const config = configFor(sc, { branch: b, set: [...s.set!], ...(s.platform ? { platform: s.platform } : {}) });
          const r = runScenarioFull({ scenario: sc, config, seed: sc.seed, durationNs: DURATION, toolVersion: 'test' });
          assert.ok([...r.violations, ...r.leaks].some((f) => f.kind === kind), `explain ${kind}: ${n} on ${b} --set ${s.set!.join(' ')} shows no ${kind}`);
        }
      }
    }
  }
});
