import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse as parseYaml, stringify } from 'yaml';
import { InputError, type SourceLoc } from '../../src/kernel/errors.js';
import { parseScenario } from '../../src/workload/parse.js';
import { scenarioJsonSchema } from '../../src/workload/schema.js';

const FILE = 'scn.yaml';

const MULTICAST = `name: multicast
description: iperf UDP multicast
branch: upstream-6.1
set: { coalesce: reject, ring: 256, dsa: true }
platform: espressobin
seed: 7
duration: 30s
nic: { mtu: 1500, rx_ring: 256 }
xdp: none
traffic:
  - kind: udp
    dst: 226.94.1.1
    rate: 1000M
  - kind: tcp
    dst: 10.0.0.2
    port: 22
  - kind: pcap
    file: capture.pcap
    timing: line
host:
  udp_sockets: 2
  taps: 1
  tap_mode: copy
  reader: stalled
  read_mode: splice
expect:
  violations: 0
  leaks: { skb: 1, page: ">0" }
  counters: { page_pool.recycle.ring: ">0", skb.clone: "== rx.frames", udp.InDatagrams: ">= rx.frames - 5" }
`;

const STEPS = `name: clone-free
steps:
  - rx: a
  - rx: { as: b, len: 60, flow: f1, poll: false }
  - rx:
  - skb_clone: { skb: a, as: c }
  - skb_try_coalesce: { to: a, from: b }
  - skb_gro_receive: { held: a, skb: c }
  - skb_splice_bits: { skb: a, as: p }
  - pipe_release: p
  - tcp_zerocopy_receive: { skb: a, as: v }
  - munmap: { vma: v }
  - kfree_skb: a
  - consume_skb: { skb: c }
  - napi_poll: 64
  - napi_poll:
  - xdp_return_frame: fr.1
  - teardown: {}
`;

function parse(text: string): ReturnType<typeof parseScenario> {
  return parseScenario(text, FILE);
}

/** The InputError parseScenario throws for `text`. */
function failure(text: string): InputError {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  assert.fail(`expected an InputError for:\n${text}`);
}

describe('parseScenario: valid files', () => {
  it('reads every top-level key of a traffic scenario', () => {
    const s = parse(MULTICAST);
    assert.equal(s.name, 'multicast');
    assert.equal(s.file, FILE);
    assert.equal(s.branch, 'upstream-6.1');
    assert.equal(s.platform, 'espressobin');
    assert.deepEqual(s.set, { coalesce: 'reject', ring: '256', dsa: 'true' });
    assert.deepEqual(s.setLoc.ring, { file: FILE, line: 4, col: 26, key: 'set.ring' });
    assert.equal(s.seed, 7);
    assert.equal(s.durationNs, 30e9);
    assert.deepEqual(s.nic, { mtu: 1500, rxRing: 256 });
    assert.equal(s.xdp, 'none');
    assert.equal(s.steps, undefined);
    assert.deepEqual(s.host, { udpSockets: 2, taps: 1, tapMode: 'copy', reader: 'stalled', readMode: 'splice' });
    assert.deepEqual(s.keyLoc.branch, { file: FILE, line: 3, col: 9, key: 'branch' });
    assert.deepEqual(s.traffic, [
      { kind: 'udp', dst: '226.94.1.1', port: 5001, rateBps: 1_048_576_000, len: 1470, loc: { file: FILE, line: 11, col: 5, key: 'traffic[0]' } },
      { kind: 'tcp', dst: '10.0.0.2', port: 22, rateBps: Infinity, len: 131072, loc: { file: FILE, line: 14, col: 5, key: 'traffic[1]' } },
      { kind: 'pcap', file: 'capture.pcap', to: undefined, timing: 'line', loc: { file: FILE, line: 17, col: 5, key: 'traffic[2]' } },
    ]);
  });

  it('turns the expect block into expectations', () => {
    const e = parse(MULTICAST).expect;
    assert.ok(e);
    assert.deepEqual(e.violations, { text: 'violations == 0', op: '==', rhs: { counter: undefined, offset: 0 }, loc: { file: FILE, line: 27, col: 15, key: 'expect.violations' } });
    assert.ok(e.leaks && !('text' in e.leaks));
    assert.deepEqual(Object.keys(e.leaks), ['skb', 'page']);
    assert.equal(e.leaks.skb?.text, 'leaks[skb] == 1');
    assert.deepEqual(e.leaks.page && [e.leaks.page.text, e.leaks.page.op, e.leaks.page.rhs], ['leaks[page] > 0', '>', { counter: undefined, offset: 0 }]);
    const texts = Object.values(e.counters).map((x) => [x.text, x.op, x.rhs]);
    assert.deepEqual(texts, [
      ['page_pool.recycle.ring > 0', '>', { counter: undefined, offset: 0 }],
      ['skb.clone == rx.frames', '==', { counter: 'rx.frames', offset: 0 }],
      ['udp.InDatagrams >= rx.frames - 5', '>=', { counter: 'rx.frames', offset: -5 }],
    ]);
    assert.equal(e.counters['skb.clone']?.loc.key, 'expect.counters.skb.clone');
  });

  it('fills defaults', () => {
    const s = parse('name: x\nsteps: []\n');
    assert.equal(s.description, '');
    assert.equal(s.branch, undefined);
    assert.equal(s.platform, undefined);
    assert.equal(s.seed, 1);
    assert.equal(s.durationNs, 10e9);
    assert.deepEqual(s.nic, { mtu: 1500, rxRing: 512 });
    assert.equal(s.xdp, 'none');
    assert.deepEqual(s.set, {});
    assert.deepEqual(s.host, { udpSockets: 1, taps: 0, tapMode: 'mmap', reader: 'fast', readMode: 'copy' });
    assert.equal(s.traffic, undefined);
    assert.deepEqual(s.steps, []);
    assert.equal(s.expect, undefined);
    const udp = parse('name: x\ntraffic: [{ kind: udp, dst: 10.0.0.1 }]\n').traffic?.[0];
    assert.deepEqual(udp && udp.kind === 'udp' && [udp.port, udp.rateBps, udp.len], [5001, 1_048_576, 1470]);
    const scp = parse('name: x\ntraffic: [{ kind: scp, dst: 10.0.0.1, len: 64k, rate: 1.5M }]\n').traffic?.[0];
    assert.deepEqual(scp && scp.kind === 'scp' && [scp.rateBps, scp.len], [1_572_864, 64000]);
  });

  it('reads every step op, shorthands included', () => {
    const steps = parse(STEPS).steps?.map(({ loc, ...rest }) => ({ ...rest, key: loc.key, line: loc.line }));
    assert.deepEqual(steps, [
      { op: 'rx', as: 'a', len: 1514, flow: undefined, poll: true, key: 'steps[0].rx', line: 3 },
      { op: 'rx', as: 'b', len: 60, flow: 'f1', poll: false, key: 'steps[1].rx', line: 4 },
      { op: 'rx', as: undefined, len: 1514, flow: undefined, poll: true, key: 'steps[2].rx', line: 5 },
      { op: 'skb_clone', skb: 'a', as: 'c', key: 'steps[3].skb_clone', line: 6 },
      { op: 'skb_try_coalesce', to: 'a', from: 'b', key: 'steps[4].skb_try_coalesce', line: 7 },
      { op: 'skb_gro_receive', held: 'a', skb: 'c', key: 'steps[5].skb_gro_receive', line: 8 },
      { op: 'skb_splice_bits', skb: 'a', as: 'p', key: 'steps[6].skb_splice_bits', line: 9 },
      { op: 'pipe_release', pipe: 'p', key: 'steps[7].pipe_release', line: 10 },
      { op: 'tcp_zerocopy_receive', skb: 'a', as: 'v', key: 'steps[8].tcp_zerocopy_receive', line: 11 },
      { op: 'munmap', vma: 'v', key: 'steps[9].munmap', line: 12 },
      { op: 'kfree_skb', skb: 'a', key: 'steps[10].kfree_skb', line: 13 },
      { op: 'consume_skb', skb: 'c', key: 'steps[11].consume_skb', line: 14 },
      { op: 'napi_poll', budget: 64, key: 'steps[12].napi_poll', line: 15 },
      { op: 'napi_poll', budget: undefined, key: 'steps[13].napi_poll', line: 16 },
      { op: 'xdp_return_frame', frame: 'fr.1', key: 'steps[14].xdp_return_frame', line: 17 },
      { op: 'teardown', key: 'steps[15].teardown', line: 18 },
    ]);
  });

  it('accepts teardown as nothing, empty string or {}, and clamps the rx default to a small MTU', () => {
    for (const t of ['', ' ~', ' ""', ' {}']) assert.equal(parse(`name: x\nsteps:\n  - teardown:${t}\n`).steps?.[0]?.op, 'teardown');
    const rx = parse('name: x\nnic: { mtu: 576 }\nsteps: [rx: a]\n').steps?.[0];
    assert.deepEqual(rx && rx.op === 'rx' && rx.len, 590);
  });
});

describe('parseScenario: errors', () => {
  // [what, file text, expected loc (line, col, key), message pattern]
  const cases: [string, string, Omit<SourceLoc, 'file'>, RegExp][] = [
    ['empty file', '', {}, /^file is empty$/],
    ['comments only', '# nothing\n', {}, /^file is empty$/],
    ['NUL bytes', 'name: a\0b\n', {}, /^not a text file$/],
    ['invalid UTF-8', 'name: \uFFFD\n', {}, /^not a text file$/],
    ['malformed YAML', 'name: x\nsteps: [a, b\n', { line: 3, col: 1 }, /^invalid YAML: /],
    ['tab indentation', 'name: x\nnic:\n\tmtu: 1500\n', { line: 3, col: 1 }, /^invalid YAML: .*[Tt]ab/],
    ['duplicate key', 'name: x\nseed: 1\nseed: 2\nsteps: []\n', { line: 3, col: 1 }, /^duplicate key 'seed'$/],
    ['two documents', 'name: x\n---\nname: y\n', { line: 2, col: 1 }, /more than one YAML document/],
    ['not a map', '- name: x\n', { line: 1, col: 1 }, /^expected a map of scenario keys, got a list$/],
    ['a scalar', 'hello\n', { line: 1, col: 1 }, /got 'hello'/],
    ['unresolved alias', 'name: *x\n', {}, /^invalid YAML: Unresolved alias/],
    ['missing name', 'steps: []\n', { line: 1, col: 1, key: 'name' }, /^missing required key 'name'$/],
    ['bad name', 'name: Multi Cast\nsteps: []\n', { line: 1, col: 7, key: 'name' }, /'Multi Cast' is not a scenario name/],
    ['unknown top key', 'name: x\ncout: 1\nsteps: []\n', { line: 2, col: 1, key: 'cout' }, /^unknown key 'cout'$/],
    ['did you mean', 'name: x\nduraton: 1s\nsteps: []\n', { line: 2, col: 1, key: 'duraton' }, /^unknown key 'duraton'; did you mean 'duration'\?$/],
    ['both traffic and steps', 'name: x\nsteps: []\ntraffic: []\n', { line: 3, col: 1, key: 'traffic' }, /^a scenario has traffic or steps, never both$/],
    ['neither traffic nor steps', 'name: x\n', { line: 1, col: 1 }, /^needs traffic or steps$/],
    ['seed type', 'name: x\nseed: abc\nsteps: []\n', { line: 2, col: 7, key: 'seed' }, /^expected an integer, got 'abc'$/],
    ['seed range', 'name: x\nseed: 4294967296\nsteps: []\n', { line: 2, col: 7, key: 'seed' }, /out of range 0\.\.4294967295/],
    ['duration without unit', 'name: x\nduration: 30\nsteps: []\n', { line: 2, col: 11, key: 'duration' }, /needs a unit/],
    ['duration too long', 'name: x\nduration: 4000s\nsteps: []\n', { line: 2, col: 11, key: 'duration' }, /more than the maximum, 1 h of simulated time/],
    ['duration in a step scenario', 'name: x\nduration: 1s\nsteps: []\n', { line: 2, col: 1, key: 'duration' }, /^a step scenario has no simulated time: it ends where its steps end; remove duration$/],
    ['flow nesting too deep', `name: x\nsteps: ${'['.repeat(65)}`, { line: 2, col: 72 }, /^nested more than 64 levels deep$/],
    ['block nesting too deep', `name: x\nsteps:\n${' '.repeat(300)}- rx: a\n`, { line: 3, col: 257 }, /^nested or indented more than 256 columns deep$/],
    ['alias expansion', `name: x\ndescription: y\nset:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n${['b', 'c', 'd', 'e', 'f'].map((n, i) => `  ${n}: &${n} [${Array(10).fill(`*${'abcdef'[i]!}`).join(', ')}]`).join('\n')}\nsteps: [*f]\n`, {}, /^YAML aliases expand to more than 100 times the nodes they name/],
    ['mtu range', 'name: x\nnic:\n  mtu: 9677\nsteps: []\n', { line: 3, col: 8, key: 'nic.mtu' }, /^9677 is out of range 68\.\.9676$/],
    ['rx_ring range', 'name: x\nnic: { rx_ring: 8 }\nsteps: []\n', { line: 2, col: 17, key: 'nic.rx_ring' }, /out of range 16\.\.512/],
    ['nic unknown key', 'name: x\nnic: { mtuu: 1 }\nsteps: []\n', { line: 2, col: 8, key: 'nic.mtuu' }, /did you mean 'mtu'/],
    ['xdp value', 'name: x\nxdp: dorp\nsteps: []\n', { line: 2, col: 6, key: 'xdp' }, /^expected none, pass, drop, tx or redirect, got 'dorp'; did you mean 'drop'\?$/],
    ['set value', 'name: x\nset: { a: [1] }\nsteps: []\n', { line: 2, col: 11, key: 'set.a' }, /got a list/],
    ['host range', 'name: x\nhost: { udp_sockets: 65 }\nsteps: []\n', { line: 2, col: 22, key: 'host.udp_sockets' }, /out of range 0\.\.64/],
    ['host enum', 'name: x\nhost: { reader: slowly }\nsteps: []\n', { line: 2, col: 17, key: 'host.reader' }, /fast, slow or stalled/],
    ['no flows', 'name: x\ntraffic: []\n', { line: 2, col: 10, key: 'traffic' }, /needs at least one flow/],
    ['flow kind', 'name: x\ntraffic:\n  - kind: udpp\n    dst: 1.2.3.4\n', { line: 3, col: 11, key: 'traffic[0].kind' }, /got 'udpp'; did you mean 'udp'/],
    ['flow without kind', 'name: x\ntraffic:\n  - dst: 1.2.3.4\n', { line: 3, col: 5, key: 'traffic[0].kind' }, /missing required key 'kind'/],
    ['flow without dst', 'name: x\ntraffic:\n  - kind: udp\n', { line: 3, col: 5, key: 'traffic[0].dst' }, /^missing required key 'dst'$/],
    ['bad dst', 'name: x\ntraffic:\n  - { kind: udp, dst: 10.0.0.256 }\n', { line: 3, col: 23, key: 'traffic[0].dst' }, /not an IPv4 address/],
    ['pcap key on udp', 'name: x\ntraffic:\n  - { kind: udp, dst: 10.0.0.1, file: a }\n', { line: 3, col: 33, key: 'traffic[0].file' }, /^unknown key 'file' for kind udp$/],
    ['udp len', 'name: x\ntraffic:\n  - { kind: udp, dst: 10.0.0.1, len: 64K }\n', { line: 3, col: 38, key: 'traffic[0].len' }, /65536 bytes is out of range 1\.\.65507/],
    ['tcp to multicast', 'name: x\ntraffic:\n  - { kind: tcp, dst: 239.1.1.1 }\n', { line: 3, col: 23, key: 'traffic[0].dst' }, /^tcp needs a unicast dst; 239\.1\.1\.1 is multicast$/],
    ['bad rate', 'name: x\ntraffic:\n  - { kind: udp, dst: 10.0.0.1, rate: fast }\n', { line: 3, col: 39, key: 'traffic[0].rate' }, /'fast' is not a rate/],
    ['unknown op', 'name: x\nsteps:\n  - rx: a\n  - skb_clon: { skb: a, as: b }\n', { line: 4, col: 5, key: 'steps[1].skb_clon' }, /^unknown step 'skb_clon'; did you mean 'skb_clone'\?$/],
    ['far-off op', 'name: x\nsteps:\n  - frobnicate: a\n', { line: 3, col: 5, key: 'steps[0].frobnicate' }, /^unknown step 'frobnicate'$/],
    ['unknown arg', 'name: x\nsteps:\n  - skb_clone: { skb: a, ass: b }\n', { line: 3, col: 26, key: 'steps[0].skb_clone.ass' }, /unknown argument 'ass' for skb_clone.*did you mean 'as'/],
    ['two missing args', 'name: x\nsteps:\n  - skb_clone: {}\n', { line: 3, col: 16, key: 'steps[0].skb_clone.skb' }, /^missing argument 'skb'/],
    ['missing arg', 'name: x\nsteps:\n  - skb_clone: { skb: a }\n', { line: 3, col: 16, key: 'steps[0].skb_clone.as' }, /^missing argument 'as' \(skb_clone takes skb, as, ctx\)$/],
    ['no shorthand for two args', 'name: x\nsteps:\n  - skb_copy: a\n', { line: 3, col: 15, key: 'steps[0].skb_copy' }, /skb_copy takes a map \{ skb, as, ctx \}/],
    ['bad object name', 'name: x\nsteps:\n  - kfree_skb: 1a\n', { line: 3, col: 16, key: 'steps[0].kfree_skb' }, /'1a' is not an object name/],
    ['bad shorthand type', 'name: x\nsteps:\n  - kfree_skb: [a]\n', { line: 3, col: 16, key: 'steps[0].kfree_skb' }, /^expected a string or a map, got a list$/],
    ['napi budget', 'name: x\nsteps:\n  - napi_poll: { budget: 0 }\n', { line: 3, col: 26, key: 'steps[0].napi_poll.budget' }, /out of range 1\.\./],
    ['rx too long', 'name: x\nsteps:\n  - rx: { as: a, len: 1600 }\n', { line: 3, col: 23, key: 'steps[0].rx.len' }, /^len 1600 is longer than the NIC accepts \(nic\.mtu 1500 \+ 14 = 1514\)$/],
    ['rx too short', 'name: x\nsteps:\n  - rx: { len: 59 }\n', { line: 3, col: 16, key: 'steps[0].rx.len' }, /len 59 is shorter/],
    ['teardown not last', 'name: x\nsteps:\n  - teardown:\n  - rx: a\n', { line: 3, col: 5, key: 'steps[0].teardown' }, /^teardown must be the last step$/],
    ['teardown args', 'name: x\nsteps:\n  - teardown: { now: true }\n', { line: 3, col: 17, key: 'steps[0].teardown.now' }, /unknown argument 'now' for teardown/],
    ['two ops in a step', 'name: x\nsteps:\n  - rx: a\n    kfree_skb: a\n', { line: 4, col: 5, key: 'steps[0].kfree_skb' }, /^a step has one op; this one has 'rx' and 'kfree_skb'$/],
    ['empty step', 'name: x\nsteps:\n  - {}\n', { line: 3, col: 5, key: 'steps[0]' }, /this one is empty/],
    ['bare op', 'name: x\nsteps:\n  - teardown\n', { line: 3, col: 5, key: 'steps[0]' }, /write 'teardown:'/],
    ['unknown counter', 'name: x\nsteps: []\nexpect:\n  counters: { skb.clon: 1 }\n', { line: 4, col: 15, key: 'expect.counters.skb.clon' }, /^unknown counter 'skb\.clon'; did you mean 'skb\.clone'\?$/],
    ['unknown rhs counter', 'name: x\nsteps: []\nexpect:\n  counters: { skb.clone: "== rx.frame" }\n', { line: 4, col: 26, key: 'expect.counters.skb.clone' }, /unknown counter 'rx\.frame'.*did you mean 'rx\.frames'/],
    ['bad expectation', 'name: x\nsteps: []\nexpect:\n  violations: "about 3"\n', { line: 4, col: 15, key: 'expect.violations' }, /'about 3' is not an expectation/],
    ['unknown violation kind', 'name: x\nsteps: []\nexpect:\n  violations: { wrong-recycl: 1 }\n', { line: 4, col: 17, key: 'expect.violations.wrong-recycl' }, /did you mean 'wrong-recycle'/],
    ['unknown leak kind', 'name: x\nsteps: []\nexpect:\n  leaks: { skbs: 1 }\n', { line: 4, col: 12, key: 'expect.leaks.skbs' }, /unknown leak kind 'skbs'; did you mean 'skb'/],
    ['expectation type', 'name: x\nsteps: []\nexpect:\n  leaks: true\n', { line: 4, col: 10, key: 'expect.leaks' }, /^expected a number, a string or a map, got true$/],
    ['unknown expect key', 'name: x\nsteps: []\nexpect:\n  cuonters: {}\n', { line: 4, col: 3, key: 'expect.cuonters' }, /did you mean 'counters'/],
    ['first error in the file wins', 'name: x\nsteps:\n  - rx: a\n  - skb_clon: {}\nseed: -1\nxdp: nope\n', { line: 4, col: 5, key: 'steps[1].skb_clon' }, /unknown step/],
  ];
  for (const [what, text, want, message] of cases) {
    it(what, () => {
      const e = failure(text);
      assert.match(e.message, message);
      assert.deepEqual(e.loc, { file: FILE, ...want });
      assert.ok(!e.message.includes('\n') && !e.message.includes(FILE), e.message);
    });
  }
});

describe('scenarioJsonSchema', () => {
  it('is a serialisable draft-07 object schema that rejects unknown keys', () => {
    const s = JSON.parse(JSON.stringify(scenarioJsonSchema())) as Record<string, unknown>;
    assert.equal(s.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(s.type, 'object');
    assert.equal(s.additionalProperties, false);
    assert.deepEqual(s.required, ['name']);
  });

  it('allows the step shorthand and the teardown forms', () => {
    const steps = (scenarioJsonSchema() as { properties: { steps: { items: { properties: Record<string, { anyOf?: { type?: string }[] }> } } } })
      .properties.steps.items.properties;
    assert.ok(steps.kfree_skb?.anyOf?.some((b) => b.type === 'string'));
    assert.ok(steps.teardown?.anyOf?.some((b) => b.type === 'null'));
    assert.ok(steps.napi_poll?.anyOf?.some((b) => b.type === 'integer'));
  });
});

describe('parseScenario: garbage in, InputError out', () => {
  const valid = [MULTICAST, STEPS];
  const keys = ['name', 'seed', 'duration', 'nic', 'xdp', 'traffic', 'steps', 'host', 'expect', 'set', 'branch', 'cout', 'nic.mtu', 'host.taps'];
  const json = fc.jsonValue({ maxDepth: 3 });
  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => new TextDecoder().decode(b)),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: fc.constantFrom(...Array.from(' :-[]{}#&*!|>\'"%@`,?\n\tabcs01.')), maxLength: 120 }),
    fc.constantFrom(...valid).chain((f) => fc.nat(f.length).map((n) => f.slice(0, n))),
    fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.string({ maxLength: 5 })).map(([f, at, s]) => f.slice(0, at % f.length) + s + f.slice(at % f.length)),
    // a valid file with one key replaced by a random value of any type
    fc.tuple(fc.constantFrom(...valid), fc.constantFrom(...keys), json).map(([f, key, value]) => {
      const doc = parseYaml(f) as Record<string, unknown>;
      const [a, b] = key.split('.');
      if (b === undefined) doc[a!] = value;
      else doc[a!] = { ...(doc[a!] as object | undefined), [b]: value };
      return stringify(doc);
    }),
    // a random step
    fc.tuple(fc.constantFrom('rx', 'skb_clone', 'kfree_skb', 'napi_poll', 'teardown', 'skb_clon', 'munmap'), json).map(([op, args]) =>
      stringify({ name: 'g', steps: [{ [op]: args }] })),
  );

  it('returns a scenario or throws InputError with a one-line message, for a few hundred generated inputs', () => {
    fc.assert(
      fc.property(garbage, (text) => {
        try {
          parseScenario(text, FILE);
        } catch (e) {
          assert.ok(e instanceof InputError, `not an InputError: ${String(e)}`);
          assert.equal(e.loc?.file, FILE);
          assert.ok(!e.message.includes('\n'), e.message);
          assert.ok(e.message.length > 0 && e.message.length < 400, e.message);
        }
      }),
      { seed: 20180606, numRuns: 400 },
    );
  });
});
