import type { ResolvedConfig } from '../sim/config.js';
import type { Step } from '../sim/scenario.js';
import type { ExploreFinding } from './explore.js';
import type { Board } from './ops.js';

/** What each operation does to the pages under its skbs, for the comment beside a shrunk step. */
function what(s: Step): string {
  switch (s.op) {
    case 'rx':
      return `the NIC receives ${s.len} bytes into pool pages; the driver builds skb ${s.as ?? ''}`.trimEnd();
    case 'skb_clone':
      return `${s.as} shares ${s.skb}'s head and frags (dataref +1)`;
    case 'skb_copy':
      return `${s.as} is a private kmalloc copy of ${s.skb}, head and frags`;
    case 'pskb_copy':
      return `${s.as} gets a kmalloc copy of ${s.skb}'s head and shares its frag pages`;
    case 'skb_unshare':
      return `${s.as} is ${s.skb}, or its copy when ${s.skb} is cloned`;
    case 'packet_rcv':
      return `an AF_PACKET tap clones ${s.skb} into ${s.as}`;
    case 'skb_splice_bits':
      return `pipe ${s.as} takes page references to ${s.skb}'s data`;
    case 'tcp_zerocopy_receive':
      return `user mapping ${s.as} maps ${s.skb}'s frag pages`;
    case 'pskb_expand_head':
      return `${s.skb} gets a new kmalloc head; the old head is freed or shared`;
    case 'kfree_skb':
    case 'consume_skb':
      return `frees ${s.skb}: its head and frags go back per the branch's return path`;
    case 'skb_try_coalesce':
      return `TCP tries to merge ${s.from} into ${s.to} (copy, frags or the stolen head)`;
    case 'skb_gro_receive':
      return `GRO merges ${s.skb} into held ${s.held}`;
    case 'pipe_release':
      return `pipe ${s.pipe} drops its page references`;
    case 'munmap':
      return `user mapping ${s.vma} drops its pages`;
    case 'xdp_return_frame':
      return `TX completion returns XDP frame ${s.frame}`;
    case 'napi_poll':
      return 'the driver polls and refills its RX ring';
    case 'teardown':
      return 'ifdown';
    case 'page_pool_destroy':
      return 'the driver destroys its page_pool with pages still out';
    case 'dev_unbind':
      return 'the driver is unbound from the device';
    case 'holders':
      return 'prints who holds the in-flight pages';
    case '__pskb_pull_tail':
      return `pulls ${s.len} bytes of ${s.skb}'s frags into its head`;
    case 'skb_condense':
      return `copies ${s.skb}'s small frags into its tailroom`;
    case 'pskb_trim':
      return `trims ${s.skb} to ${s.len} bytes`;
    case 'skb_cow':
      return `gives ${s.skb} a private, writable head`;
    case 'skb_segment':
      return `splits ${s.skb} into segments ${s.as}`;
    case 'skb_shift':
      return `moves ${s.len} bytes of frags from ${s.skb} to ${s.tgt}`;
  }
}

/** One step in the scenario syntax: a one-argument op as `op: value`, others as a flow map. */
function stepLine(s: Step): string {
  const args: [string, string | number][] = [];
  for (const [k, v] of Object.entries(s)) if (k !== 'op' && (typeof v === 'string' || typeof v === 'number')) args.push([k, v]);
  if (args.length === 0) return `${s.op}: {}`;
  if (args.length === 1 && s.op !== 'rx') return `${s.op}: ${args[0]![1]}`;
  return `${s.op}: { ${args.map(([k, v]) => `${k}: ${v}`).join(', ')} }`;
}

/** The knobs and board a finding was found under, as command-line options. */
export function exploreArgs(config: ResolvedConfig, overrides: readonly string[], board: Board, defaults: Board): string {
  const parts = [`--branch ${config.branch}`];
  for (const o of overrides) parts.push(`--set ${o}`);
  if (config.platform !== 'espressobin') parts.push(`--platform ${config.platform}`);
  if (board.mtu !== defaults.mtu) parts.push(`--mtu ${board.mtu}`);
  if (board.xdp !== defaults.xdp) parts.push(`--xdp ${board.xdp}`);
  return parts.join(' ');
}

/**
 * A finding as a step scenario `pp-sim run` replays: the shrunk steps with a comment each, and an
 * expect block of correct behaviour, so the run fails exactly where the design does.
 */
export function findingYaml(f: ExploreFinding, name: string, o: { config: ResolvedConfig; setOverrides: Record<string, string>; board: Board; command: string }): string {
  const lines: string[] = [];
  lines.push(`# Found by: ${o.command}`);
  lines.push(`# ${f.class} ${f.kind}: ${f.object}`);
  lines.push(`# call path: ${f.path.join(' → ')}`);
  lines.push(`# shrunk from ${f.generatedSteps} generated steps (sequence ${f.run}) to ${f.steps.length}.`);
  lines.push(`name: ${name}`);
  lines.push(`description: shortest step sequence found that shows ${f.kind} on ${o.config.branch}`);
  lines.push(`branch: ${o.config.branch}`);
  const set = Object.entries(o.setOverrides);
  if (set.length > 0) lines.push(`set: { ${set.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')} }`);
  if (o.config.platform !== 'espressobin') lines.push(`platform: ${o.config.platform}`);
  lines.push(`nic: { mtu: ${o.board.mtu}, rx_ring: ${o.board.rxRing} }`);
  if (o.board.xdp !== 'none') lines.push(`xdp: ${o.board.xdp}`);
  lines.push('steps:');
  const body = f.steps.map((s) => `  - ${stepLine(s)}`);
  const width = Math.max(...body.map((b) => b.length));
  f.steps.forEach((s, i) => {
    const eff = f.effects[i] ? ` (${f.effects[i]})` : '';
    lines.push(`${body[i]!.padEnd(width)}  # ${what(s)}${eff}`);
  });
  lines.push('expect:');
  lines.push('  violations: 0');
  lines.push('  leaks: 0');
  return `${lines.join('\n')}\n`;
}
