/** Hover help and completion lists of `pp-sim schema`: one line per scenario key, step, step argument and counter. */
import { KNOB_NAMES, KNOBS, PLATFORM_FACT_NAMES, type PlatformFacts } from '../kernel/knobs.js';
import { LEAKS, VIOLATIONS, type CounterName } from '../kernel/names.js';
import type { StepOp } from './types.js';

/** Keys by their path (`host.reader`; list items and alternatives share their parent's path). */
export const KEY_DOCS: Record<string, string> = {
  name: 'scenario name: lower-case letters, digits and -; reports and ci cases are named after it',
  description: 'one line saying what the scenario checks (shown by pp-sim list scenarios)',
  branch: 'kernel tree to run under (pp-sim list branches); --branch overrides it; default upstream-6.1',
  set: 'knob and platform-fact overrides of the branch (pp-sim list knobs); --set beats these, these beat the branch',
  platform: 'board: espressobin (default) or arm32-lpae (pp-sim list platforms); --platform overrides it',
  seed: 'seed of every random choice of the model (0..2^32-1, default 1); --seed overrides it',
  duration: 'simulated time of traffic, with a unit: ns, us, ms or s (default 10s); --duration overrides it; step scenarios end where their steps end',
  nic: 'the mvneta port: MTU and RX ring size',
  'nic.mtu': 'MTU in bytes (68..9676, default 1500); frames longer than mtu + 14 are dropped (rx.drops)',
  'nic.rx_ring': 'RX descriptors in the ring (16..512, default 512); the page_pool is sized from it',
  xdp: 'XDP program verdict for every frame: none (no program), pass, drop, tx or redirect; the branch must support it (knob xdp)',
  traffic: 'flows sent to the board (a traffic scenario); a scenario has traffic or steps, never both',
  'traffic.kind': 'udp (iperf -u), tcp (iperf), scp (TCP read in 16 KiB blocks) or pcap (replay a capture)',
  'traffic.dst': 'destination IPv4 address; a multicast address (224.0.0.0/4) is joined by the host sockets',
  'traffic.port': 'destination port (default 5001, iperf)',
  'traffic.rate': 'offered rate in bits per second with an optional K/M/G suffix (udp default 1M; tcp/scp: line rate when absent)',
  'traffic.len': 'bytes per write: the UDP datagram payload (default 1470) or the TCP write size (default 128K)',
  'traffic.file': 'pcap or pcapng capture (Ethernet link type), relative to the scenario file',
  'traffic.to': "the board's address in the capture; default: of the two busiest addresses, the one that sent fewer frames",
  'traffic.timing': 'recorded (each frame at its captured time, default) or line (back to back at line rate)',
  host: 'what receives on the board: UDP sockets, AF_PACKET taps and the reading application',
  'host.udp_sockets': 'UDP sockets bound to each destination (joined for multicast); each extra one costs an skb_clone per datagram (default 1)',
  'host.taps': 'AF_PACKET taps on eth0, like tcpdump (default 0)',
  'host.tap_mode': 'mmap (PACKET_MMAP ring: the tap copies into its ring) or copy (packet_rcv clones the skb)',
  'host.reader': 'how fast the application reads: fast, slow (falls behind, the receive queue grows) or stalled (never reads; queues are freed at close)',
  'host.read_mode': 'how the application reads: copy (recvmsg), splice (into a pipe) or zerocopy (tcp_zerocopy_receive into a mapping)',
  steps: 'kernel operations by their kernel names, one per list item (a step scenario); objects are named with as and used by name',
  events: 'device events of a traffic scenario while traffic and readers go on: link_down, pool_destroy, unbind',
  'events.at': 'simulated time of the event, with a unit (e.g. 5s)',
  'events.do': 'link_down (ifdown, the pool stays), pool_destroy (page_pool_destroy with pages in flight) or unbind (driver unbind: the device and its DMA domain go away)',
  expect: 'what must hold at the end; run and ci exit 1 when an expectation fails',
  'expect.violations': 'total violations (a number or "OP VALUE"), or a map of violation kind to its expectation',
  'expect.leaks': 'total leaks judged after teardown (a number or "OP VALUE"), or a map of leak kind to its expectation',
  'expect.counters': "counter name to expectation: a number (exact) or 'OP VALUE' with OP one of == != > >= < <= and VALUE a number or a counter (+/- N)",
};

/** Each step: the kernel operation it performs. */
export const STEP_DOCS: Record<StepOp, string> = {
  rx: 'one frame received: a NAPI poll of mvneta (descriptor, sync for cpu, skb built per branch, XDP first when attached) and the ring refill; as names the skb as the driver hands it to the stack',
  skb_clone: 'skb_clone: a second sk_buff sharing the same data (dataref + 1)',
  skb_copy: 'skb_copy: a full private copy in a new kmalloc head, no shared pages',
  pskb_copy: 'pskb_copy: a private copy of the head; the frags are shared',
  pskb_expand_head: 'pskb_expand_head(skb, 0, 0): the head moves to a new kmalloc allocation (the skb must not be shared)',
  skb_unshare: 'skb_unshare: a cloned skb is replaced by a copy (and consumed); an uncloned one gets a second name',
  skb_try_coalesce: 'skb_try_coalesce(to, from), then kfree_skb_partial(from) as TCP does; from is consumed only when the coalesce succeeds',
  skb_gro_receive: 'skb_gro_receive: merges skb into the held GRO packet (frags, head steal or frag_list); skb is consumed unless GRO refuses',
  skb_splice_bits: 'skb_splice_bits: the pages go into a pipe named by as (the pipe holds page references)',
  pipe_release: 'the pipe reader consumes the pipe and drops its page references',
  tcp_zerocopy_receive: 'tcp_zerocopy_receive: full-page frags are mapped into a user VMA named by as',
  munmap: 'munmap: the user unmaps the VMA, dropping its page references',
  packet_rcv: 'packet_rcv of an AF_PACKET copy-mode tap: skb_share_check, then a clone named by as',
  kfree_skb: 'kfree_skb: drop one user of the skb (the last one frees head and frags)',
  consume_skb: 'consume_skb: drop one user of the skb after normal use (same freeing path as kfree_skb)',
  napi_poll: 'one driver poll (mvneta_poll): RX completion and ring refill, up to budget frames',
  xdp_return_frame: 'xdp_return_frame: an XDP_TX or XDP_REDIRECT frame comes back (TX completion)',
  __pskb_pull_tail: 'pulls len bytes of frag data into the linear head (reallocating the head when it lacks room)',
  skb_condense: 'copies a small skb\'s frags into its tailroom and drops them (tcp_add_backlog)',
  pskb_trim: 'trims the skb to len bytes (___pskb_trim: a cloned skb gets a private head first)',
  skb_cow: 'makes the head private and writable with at least headroom bytes in front',
  skb_segment: 'splits a GRO/GSO packet into mss-sized segments that share its pages',
  skb_shift: 'moves len bytes of frags from skb to tgt (tcp_shift_skb_data)',
  page_pool_destroy: 'page_pool_destroy of the RX pool with the pages still in flight (the release retry of the era follows)',
  dev_unbind: 'the driver is unbound: ifdown, page_pool_destroy, and the device DMA domain goes away',
  holders: 'prints who holds each in-flight pool page at this point (the --holders view)',
  teardown: 'ifdown: the driver frees its ring buffers, page_pool_destroy, DMA leak check; must be the last step (implicit otherwise)',
};

/** Step arguments by name; `op.arg` entries refine one op. */
export const STEP_ARG_DOCS: Record<string, string> = {
  as: 'name given to the object this step creates',
  skb: 'name of an skb created by an earlier step',
  to: 'the skb that keeps the data (receive-queue tail)',
  from: 'the skb whose data is appended to to',
  held: 'the skb GRO holds (the merge target)',
  pipe: 'name of a pipe made by skb_splice_bits',
  vma: 'name of a mapping made by tcp_zerocopy_receive',
  frame: 'name of an XDP frame made by rx with xdp: tx or redirect',
  poll: 'false: the frame waits on the ring for a later napi_poll (its name is bound when a poll hands it over); default true',
  snaplen: 'AF_PACKET snap length (tcpdump -s): the clone is trimmed to it with pskb_trim',
  headroom: 'bytes of headroom skb_cow makes sure of in front of data',
  mss: 'segment payload size (default: the GRO packet\'s payload over the segments it merged)',
  tgt: 'the skb that receives the shifted frags',
  len: 'bytes (rx: frame length without FCS; __pskb_pull_tail: bytes to pull; pskb_trim: new length; skb_shift: bytes to move)',
  budget: 'most frames handled in this poll (1..4096, default NAPI_POLL_WEIGHT 64)',
  ctx: 'execution context of the free: napi (softirq on the polling CPU), softirq (another CPU) or process; default per contract',
  'rx.as': 'name of the received skb (or XDP frame with xdp: tx or redirect)',
  'rx.len': 'frame bytes without FCS (60..mtu + 14, default 1514)',
  'rx.flow': 'a free label for the frame (kept in the scenario, not used by the model)',
};

export const FACT_DOCS: Record<keyof PlatformFacts, string> = {
  dsa: 'platform fact: the NIC sits behind a DSA switch; received skbs pass dsa_switch_rcv (skb_unshare) and GRO does not merge tagged frames',
  coherent_dma: 'platform fact: DMA is cache-coherent (no sync for cpu or device needed)',
  page_size: 'platform fact: page size in bytes (only 4096 is modelled)',
  ram: 'platform fact: RAM in bytes, or with a K/M/G suffix (64M..64G)',
  long_bits: 'platform fact: bits of unsigned long (32 on 32-bit ARM: page->private truncates DMA addresses above 4 GiB)',
  high_pages_first: 'platform fact: the page allocator hands out pages above 4 GiB first (LPAE highmem)',
};

export const COUNTER_DOCS: Record<CounterName, string> = {
  'rx.frames': 'frames received into an skb or XDP buffer',
  'rx.bytes': 'frame bytes as mvneta delivers them (no FCS, DSA tag included)',
  'rx.descriptors': 'RX descriptors completed (several per jumbo frame)',
  'rx.drops': 'frames that reached the NIC and were dropped (no buffer, too long)',
  'rx.copybreak': 'frames whose first bytes were copied into a new skb (driver=copybreak)',
  'xdp.pass': 'XDP_PASS verdicts',
  'xdp.drop': 'XDP_DROP verdicts',
  'xdp.tx': 'XDP_TX verdicts',
  'xdp.redirect': 'XDP_REDIRECT verdicts',
  'xdp.aborted': 'XDP_ABORTED verdicts (a frame the verdict could not handle)',
  'page_pool.alloc.fast': 'pages taken from the lockless alloc cache (CONFIG_PAGE_POOL_STATS)',
  'page_pool.alloc.slow': 'pages taken from the page allocator',
  'page_pool.alloc.slow_high_order': 'high-order allocations from the page allocator',
  'page_pool.alloc.empty': 'allocations that found the ptr_ring empty',
  'page_pool.alloc.refill': 'alloc cache refills from the ptr_ring',
  'page_pool.alloc.waive': 'pages from the ring given back because of their NUMA node',
  'page_pool.recycle.cached': 'pages recycled into the alloc cache (direct, in NAPI)',
  'page_pool.recycle.cache_full': 'direct recycles refused because the alloc cache was full',
  'page_pool.recycle.ring': 'pages recycled into the ptr_ring',
  'page_pool.recycle.ring_full': 'recycles refused because the ptr_ring was full',
  'page_pool.recycle.released_refcnt': 'pages released because something else still held a reference',
  'page_pool.skb_return.napi': 'pool pages handed back by skb frees in softirq on the CPU that polls the pool (NAPI context)',
  'page_pool.skb_return.softirq': 'pool pages handed back by skb frees in softirq on another CPU',
  'page_pool.skb_return.process': 'pool pages handed back by skb frees in process context (socket readers, close)',
  'page_pool.hold_cnt': 'pages that entered the pool (allocated and mapped)',
  'page_pool.release_cnt': 'pages that left the pool (unmapped and released)',
  'page_pool.inflight': 'pages out of the pool at the end (hold_cnt - release_cnt)',
  'dma.map': 'dma_map_page calls',
  'dma.unmap': 'dma_unmap_page calls',
  'dma.sync_for_cpu': 'dma_sync_single_for_cpu calls',
  'dma.sync_for_device': 'dma_sync_single_for_device calls',
  'dma.sync_for_device_bytes': 'bytes synced for the device',
  'dma.mapped': 'mappings outstanding at the end',
  'page.alloc': 'pages from the page allocator',
  'page.free': 'pages back to the page allocator',
  'slab.alloc': "kmalloc'ed skb heads",
  'slab.free': "kmalloc'ed skb heads freed",
  'skb.alloc': 'sk_buffs allocated with their own head (alloc_skb, copies)',
  'skb.build': 'sk_buffs built on a received buffer (build_skb)',
  'skb.free': 'sk_buff structs freed, struct-only frees included',
  'skb.clone': 'skb_clone calls',
  'skb.copy': 'skb_copy calls (skb_unshare copies included)',
  'skb.pskb_copy': 'pskb_copy calls',
  'skb.expand_head': 'pskb_expand_head calls',
  'skb.unshare': 'skb_unshare calls that copied',
  'skb.coalesce': 'successful skb_try_coalesce calls',
  'skb.coalesce_copied': 'coalesces by tailroom copy',
  'skb.coalesce_stolen_head': 'coalesces that stole the head of from as a frag',
  'skb.coalesce_frag_list': 'coalesces that chained from on the frag_list (coalesce=frag_list)',
  'skb.coalesce_refused': 'coalesces refused (by the coalesce knob or lack of room)',
  'skb.gro_merged': 'skbs merged by skb_gro_receive',
  'skb.gro_stolen_head': 'GRO merges that stole the head page',
  'skb.gro_frag_list': 'GRO merges chained on the frag_list',
  'skb.segment': 'skb_segment calls (a GRO/GSO packet split into segments)',
  'skb.splice_pages': 'pages spliced into pipes',
  'skb.zerocopy_pages': 'pages mapped by tcp_zerocopy_receive',
  'udp.InDatagrams': 'UDP datagrams delivered to sockets (SNMP)',
  'udp.RcvbufErrors': 'UDP datagrams dropped on a full receive buffer (SNMP)',
  'tcp.InSegs': 'TCP segments received (SNMP)',
  'tcp.TCPRcvCoalesce': 'TCP segments coalesced into the receive queue (SNMP)',
  'tcp.TCPBacklogCoalesce': 'TCP segments coalesced in the socket backlog (SNMP)',
  'tcp.TCPOFOQueue': 'TCP segments queued out of order (SNMP)',
  'app.bytes_read': 'bytes the applications read',
  'app.datagrams_read': 'datagrams the applications read',
  'app.corrupt_reads': 'reads that saw bytes a later DMA overwrote',
};

/** Names the schema offers as completions that live outside the code (branch files, platforms). */
export interface SchemaNames {
  /** Built-in branch names and their aliases. */
  branches: readonly string[];
  platforms: readonly string[];
}

type JsonSchema = { [key: string]: unknown; properties?: Record<string, JsonSchema> };

const FACT_VALUES: Record<keyof PlatformFacts, unknown[]> = {
  dsa: ['true', 'false', true, false],
  coherent_dma: ['true', 'false', true, false],
  page_size: ['4096', 4096],
  ram: [],
  long_bits: ['32', '64', 32, 64],
  high_pages_first: ['true', 'false', true, false],
};

/** A knob value as YAML may write it: `true`, `256` and `'256'` all mean the string value. */
function yamlForms(values: readonly string[]): unknown[] {
  const alt = values.flatMap((v): unknown[] => (v === 'true' ? [true] : v === 'false' ? [false] : /^\d+$/.test(v) ? [Number(v)] : []));
  return [...values, ...alt];
}

/** `set:` as one property per knob and platform fact, each with its values as an enum. */
function setSchema(): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const k of KNOB_NAMES) {
    const spec = KNOBS[k];
    const dep = spec.appliesWhen ? ` (n/a unless ${spec.appliesWhen.knob}=${spec.appliesWhen.values.join('|')})` : '';
    properties[k] = { description: `knob: ${spec.meaning}${dep}`, enum: yamlForms(spec.values) };
  }
  for (const f of PLATFORM_FACT_NAMES) {
    const values = FACT_VALUES[f];
    properties[f] = values.length > 0 ? { description: FACT_DOCS[f], enum: values } : { description: FACT_DOCS[f], type: ['string', 'integer'], pattern: String.raw`^\d+[KMGkmg]?$` };
  }
  return { type: 'object', description: KEY_DOCS.set, properties, additionalProperties: false };
}

function docFor(path: string): string | undefined {
  const direct = KEY_DOCS[path];
  if (direct !== undefined) return direct;
  const [top, second, third] = path.split('.');
  if (top === 'steps' && second !== undefined) {
    if (third === undefined) return STEP_DOCS[second as StepOp];
    return STEP_ARG_DOCS[`${second}.${third}`] ?? STEP_ARG_DOCS[third];
  }
  if (top === 'expect' && second === 'violations' && third !== undefined) return (VIOLATIONS as Record<string, { meaning: string }>)[third]?.meaning;
  if (top === 'expect' && second === 'leaks' && third !== undefined) return (LEAKS as Record<string, { meaning: string }>)[third]?.meaning;
  if (top === 'expect' && second === 'counters' && third !== undefined) return COUNTER_DOCS[path.slice('expect.counters.'.length) as CounterName];
  return undefined;
}

/** Adds the description of every property below `node`, found by its path. */
function describe(node: unknown, path: string): void {
  if (node === null || typeof node !== 'object') return;
  const n = node as JsonSchema;
  if (n.properties) {
    for (const [k, child] of Object.entries(n.properties)) {
      const p = path === '' ? k : `${path}.${k}`;
      const d = docFor(p);
      if (d !== undefined) child.description = d;
      describe(child, p);
    }
  }
  for (const key of ['items', 'anyOf', 'oneOf', 'allOf']) {
    const v = n[key];
    for (const alt of Array.isArray(v) ? v : [v]) describe(alt, path);
  }
}

/**
 * The zod-made JSON Schema with a description on every key and enums of knobs and their values,
 * and of branches and platforms when `names` are given (otherwise those two stay free strings).
 */
export function documentSchema(generated: object, names?: SchemaNames): object {
  const s = structuredClone(generated) as JsonSchema & { properties: Record<string, JsonSchema> };
  s.properties.set = setSchema();
  if (names) {
    s.properties.branch = { type: 'string', enum: [...names.branches] };
    s.properties.platform = { type: 'string', enum: [...names.platforms] };
  }
  describe(s, '');
  return s;
}
