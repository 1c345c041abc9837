import { InputError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import {
  __pskb_pull_tail,
  consume_skb,
  kfree_skb,
  kfree_skb_partial,
  munmap,
  packet_rcv,
  pipe_release,
  pskb_copy,
  pskb_expand_head,
  pskb_trim,
  skb_clone,
  skb_cloned,
  skb_condense,
  skb_cow,
  skb_copy,
  skb_gro_receive,
  skb_headlen,
  skb_segment,
  skb_shared,
  skb_shift,
  skb_splice_bits,
  skb_try_coalesce,
  skb_unshare,
  tcp_zerocopy_receive,
  type Pipe,
  SkBuff,
  type Vma,
} from '../kernel/skbuff.js';
import { xdp_return_frame, type XdpFrame } from '../kernel/xdp.js';
import { ETH0_IFINDEX, Mvneta, NAPI_BUDGET, type RxSink } from '../driver/mvneta.js';
import { holdersView, type HoldersView } from './holders.js';
import { RedirectTarget } from '../net/stack.js';
import { checkPoolCaches } from './invariants.js';
import type { Step, XdpMode } from './scenario.js';
import { didYouMean } from './suggest.js';

/** TCP/IP headers after the Ethernet header in a GRO step (contract §2.1); skb_segment copies them too. */
const GRO_TCP_HEADERS = 52;

type Obj =
  | { kind: 'skb'; skb: SkBuff | null; id: number; gone: Gone | undefined }
  | { kind: 'pipe'; pipe: Pipe }
  | { kind: 'vma'; vma: Vma }
  | { kind: 'frame'; frame: XdpFrame; verdict: 'tx' | 'redirect'; txDma: number };
type ObjKind = Obj['kind'];

/** How a named skb went, and the step that did it (the message is built only for a finding). */
type Gone = { how: 'freed' | 'consumed' | 'merged' | 'chained' | 'not created' | 'dropped by the NIC'; by: Step };

function goneText(g: Gone | undefined): string {
  if (!g) return 'freed through another name';
  if (g.how === 'not created') return `never created: ${g.by.op} at ${lineOf(g.by)} used a freed skb`;
  if (g.how === 'dropped by the NIC') return `never created: the NIC dropped the frame of ${lineOf(g.by)} (rx.drops)`;
  return `${g.how} by ${g.by.op} at ${lineOf(g.by)}`;
}

/** sk_buff structs are reused after free: a name holds the skb and the id it had. */
function skbObj(skb: SkBuff): Obj {
  return { kind: 'skb', skb, id: skb.id, gone: undefined };
}

/** "line 7" of a step, for messages that point back at an earlier step. */
function lineOf(step: Step): string {
  return step.loc.line !== undefined ? `line ${step.loc.line}` : step.op;
}

/** Receives what the driver hands over during an `rx` step. */
class StepSink implements RxSink {
  /** What the last poll handed over, in order. */
  readonly skbs: SkBuff[] = [];
  readonly frames: { f: XdpFrame; verdict: 'tx' | 'redirect' }[] = [];
  receive(skb: SkBuff): void {
    this.skbs.push(skb);
  }
  xdpFrame(f: XdpFrame, verdict: 'tx' | 'redirect'): void {
    this.frames.push({ f, verdict });
  }
}

/** The objects a step reads (must exist) and the name it creates, by op. */
const USES: Record<Step['op'], readonly (readonly [arg: string, kind: ObjKind])[]> = {
  rx: [],
  skb_clone: [['skb', 'skb']],
  skb_copy: [['skb', 'skb']],
  pskb_copy: [['skb', 'skb']],
  pskb_expand_head: [['skb', 'skb']],
  skb_unshare: [['skb', 'skb']],
  skb_try_coalesce: [['to', 'skb'], ['from', 'skb']],
  skb_gro_receive: [['held', 'skb'], ['skb', 'skb']],
  skb_splice_bits: [['skb', 'skb']],
  pipe_release: [['pipe', 'pipe']],
  tcp_zerocopy_receive: [['skb', 'skb']],
  munmap: [['vma', 'vma']],
  packet_rcv: [['skb', 'skb']],
  __pskb_pull_tail: [['skb', 'skb']],
  skb_condense: [['skb', 'skb']],
  pskb_trim: [['skb', 'skb']],
  skb_cow: [['skb', 'skb']],
  skb_segment: [['skb', 'skb']],
  skb_shift: [['tgt', 'skb'], ['skb', 'skb']],
  kfree_skb: [['skb', 'skb']],
  consume_skb: [['skb', 'skb']],
  napi_poll: [],
  xdp_return_frame: [['frame', 'frame']],
  page_pool_destroy: [],
  dev_unbind: [],
  holders: [],
  teardown: [],
};

/** What the `as` of each creating op names. */
const CREATES: Partial<Record<Step['op'], ObjKind>> = {
  skb_clone: 'skb', skb_copy: 'skb', pskb_copy: 'skb', skb_unshare: 'skb', packet_rcv: 'skb',
  skb_splice_bits: 'pipe', tcp_zerocopy_receive: 'vma',
};

/** Arguments the step gives up for good (a pipe, a VMA, a frame, a freed skb), or perhaps (a coalesce may refuse). */
const CONSUMES: Partial<Record<Step['op'], readonly [arg: string, surely: boolean]>> = {
  pipe_release: ['pipe', true], munmap: ['vma', true], xdp_return_frame: ['frame', true],
  kfree_skb: ['skb', true], consume_skb: ['skb', true],
  skb_try_coalesce: ['from', false], skb_gro_receive: ['skb', false], skb_unshare: ['skb', false],
};

function arg(step: Step, name: string): string | undefined {
  const v = (step as unknown as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

function argLocOf(step: Step, name: string): Step['loc'] {
  return { ...step.loc, key: `${step.loc.key ?? step.op}.${name}` };
}

/**
 * The checks of a step list that need no simulation (`validate` and `run` make the same): every name
 * a step reads was created by an earlier step, with the right kind; a pipe, VMA or XDP frame is not
 * used after its release; two arguments of one step are not the same skb; a name is not given twice
 * while its object surely lives. Using an skb after it was freed is not here: that is a kernel state
 * (skb-use-after-free, skb-double-free), found by running. Returns every problem, in step order.
 */
export function checkStepNames(steps: readonly Step[], xdp: XdpMode): InputError[] {
  const errors: InputError[] = [];
  const names = new Map<string, { kind: ObjKind; state: 'live' | 'maybe' | 'gone'; at: Step }>();
  const candidates = (kind: ObjKind): string[] => [...names].filter(([, v]) => v.kind === kind).map(([n]) => n);
  // skb_segment names its segments `as.1`, `as.2`, ...: how many is known only when it runs
  const segmented: string[] = [];
  for (const step of steps) {
    if (step.op === 'skb_segment') segmented.push(step.as);
    if (step.op === 'rx' && step.flow !== undefined) {
      errors.push(new InputError(`no flow named '${step.flow}': a step scenario has no traffic flows (traffic and steps never mix); remove flow`, argLocOf(step, 'flow')));
    }
    const used: string[] = [];
    for (const [a, kind] of USES[step.op]) {
      const name = arg(step, a);
      if (name === undefined) continue;
      const o = names.get(name);
      if (!o && segmented.some((x) => name.startsWith(`${x}.`) && /^\d+$/.test(name.slice(x.length + 1)))) {
        used.push(name);
        continue;
      }
      if (!o) {
        const later = steps.find((t) => t !== step && t.loc.line !== undefined && (step.loc.line ?? 0) < t.loc.line && arg(t, 'as') === name);
        const hint = later ? ` ('${name}' is created only later, at ${lineOf(later)})` : didYouMean(name, candidates(kind));
        errors.push(new InputError(`no ${kind} named '${name}'${hint}`, argLocOf(step, a)));
      } else if (o.kind !== kind) {
        errors.push(new InputError(`'${name}' is a ${o.kind} (from ${o.at.op} at ${lineOf(o.at)}), not a${kind === 'skb' ? 'n' : ''} ${kind}`, argLocOf(step, a)));
      } else if (o.state === 'gone' && kind !== 'skb') {
        errors.push(new InputError(`${kind} '${name}' was already released by ${o.at.op} at ${lineOf(o.at)}`, argLocOf(step, a)));
      }
      if (used.includes(name)) errors.push(new InputError(`${step.op}: '${name}' is given twice; the two arguments must be different skbs`, argLocOf(step, a)));
      used.push(name);
    }
    const consumed = CONSUMES[step.op];
    const cname = consumed && arg(step, consumed[0]);
    const co = cname !== undefined ? names.get(cname) : undefined;
    const wants = USES[step.op].find(([a]) => a === consumed?.[0])?.[1];
    if (co && co.state !== 'gone' && co.kind === wants) names.set(cname!, { kind: co.kind, state: consumed![1] ? 'gone' : 'maybe', at: step });
    const as = arg(step, 'as');
    if (as === undefined) continue;
    let kind = CREATES[step.op];
    if (step.op === 'rx') {
      if (xdp === 'drop') {
        errors.push(new InputError(`with xdp: drop every received frame is dropped, so '${as}' would name nothing; remove as`, argLocOf(step, 'as')));
        continue;
      }
      kind = xdp === 'tx' || xdp === 'redirect' ? 'frame' : 'skb';
    }
    const old = names.get(as);
    // skb_unshare may hand back the same skb under the new name: `skb_unshare: { skb: a, as: a }`
    if (old && old.state === 'live' && !(step.op === 'skb_unshare' && arg(step, 'skb') === as)) {
      errors.push(new InputError(`name '${as}' is already in use (${old.kind} from ${old.at.op} at ${lineOf(old.at)})`, argLocOf(step, 'as')));
    }
    if (kind) names.set(as, { kind, state: 'live', at: step });
  }
  return errors;
}

/**
 * Runs the explicit operations of a step scenario against the kernel model. Names were checked by
 * checkStepNames; an skb used after it was freed is a finding (skb-use-after-free, skb-double-free)
 * and the step that would touch it does nothing else, as KASAN reports and the kernel goes on.
 */
export class StepRunner {
  private readonly names = new Map<string, Obj>();
  private readonly reverse = new Map<object, string>();
  private readonly skbNames = new Map<number, string>();
  /** Skbs bound to more than one name (skb_unshare of an uncloned skb). */
  private readonly aliased = new Set<number>();
  readonly sink: StepSink;
  readonly nic: Mvneta;
  /** The second device XDP_REDIRECT frames go to. */
  private readonly redirect: RedirectTarget;
  frames = 0;
  bytes = 0;
  /** `as` names of received frames not yet handed over by a poll, by frame number. */
  private readonly deferred = new Map<number, string>();
  /** Holders views taken by holders steps. */
  readonly views: HoldersView[] = [];
  private stepNo = 0;

  constructor(
    private readonly k: Kernel,
    mtu: number,
    rxRing: number,
    xdp: 'none' | 'pass' | 'drop' | 'tx' | 'redirect',
  ) {
    this.sink = new StepSink();
    this.nic = new Mvneta(k, { mtu, rxRing, xdp }, this.sink);
    this.redirect = new RedirectTarget(k);
  }

  nameOf(o: object): string | undefined {
    return o instanceof SkBuff ? this.skbNames.get(o.id) : this.reverse.get(o);
  }

  ifup(): void {
    this.k.resetPath();
    this.nic.ifup();
  }

  teardown(): void {
    this.k.resetPath();
    this.k.inNapi = false;
    this.k.otherCpuSoftirq = false;
    this.nic.ifdown();
  }

  /** Runs one step; a step scenario has no clock, so findings carry t_ns 0 and the frame they concern. */
  run(step: Step): void {
    const k = this.k;
    this.stepNo++;
    k.resetPath();
    // Contract §2.1: rx, napi_poll and xdp_return_frame run in the driver's NAPI, the rest in process context, unless `ctx` says.
    const ctx = step.ctx ?? (step.op === 'rx' || step.op === 'napi_poll' || step.op === 'xdp_return_frame' ? 'napi' : 'process');
    k.inNapi = ctx === 'napi';
    k.otherCpuSoftirq = ctx === 'softirq';
    if (!this.argsLive(step)) {
      // the step's result never came to be: later uses of its name are uses of a freed skb too
      const as = arg(step, 'as');
      if (as !== undefined && CREATES[step.op] === 'skb') this.forget(as, { how: 'not created', by: step });
      return;
    }
    switch (step.op) {
      case 'rx': {
        this.frames++;
        this.bytes += step.len;
        k.frame = this.frames;
        if (!this.nic.hwReceive(step.len, this.frames)) {
          this.nic.refill();
          if (step.as !== undefined) this.forget(step.as, { how: 'dropped by the NIC', by: step });
          break;
        }
        if (step.as !== undefined) this.deferred.set(this.frames, step.as);
        if (step.poll) this.poll(NAPI_BUDGET);
        break;
      }
      case 'skb_clone':
        this.bind(step.as, skbObj(skb_clone(k, this.skb(step.skb))));
        break;
      case 'skb_copy':
      case 'pskb_copy': {
        const s = this.skb(step.skb);
        const n = step.op === 'skb_copy' ? skb_copy(k, s) : pskb_copy(k, s);
        if (!n) throw new InputError(`${step.op}: out of simulated memory`, step.loc);
        this.bind(step.as, skbObj(n));
        break;
      }
      case 'pskb_expand_head': {
        const s = this.skb(step.skb);
        if (skb_shared(s)) throw new InputError(`pskb_expand_head on a shared skb is a BUG() in the kernel`, argLocOf(step, 'skb'));
        pskb_expand_head(k, s);
        break;
      }
      case 'skb_unshare': {
        const s = this.skb(step.skb);
        const n = skb_unshare(k, s);
        if (!n) throw new InputError('skb_unshare: out of simulated memory', step.loc);
        if (n !== s) this.forget(step.skb, { how: 'consumed', by: step });
        this.bind(step.as, skbObj(n));
        break;
      }
      case 'skb_try_coalesce': {
        const to = this.skb(step.to);
        const from = this.skb(step.from);
        if (to === from) throw new InputError(`skb_try_coalesce: '${step.to}' and '${step.from}' are the same skb`, step.loc);
        const r = skb_try_coalesce(k, to, from);
        if (r === 'copied' || r === 'frags' || r === 'stolen') {
          kfree_skb_partial(k, from, r === 'stolen');
          this.forget(step.from, { how: 'consumed', by: step });
        } else if (r === 'frag_list') {
          this.forget(step.from, { how: 'chained', by: step });
        }
        break;
      }
      case 'skb_gro_receive': {
        const held = this.skb(step.held);
        const s = this.skb(step.skb);
        if (held === s) throw new InputError(`skb_gro_receive: '${step.held}' and '${step.skb}' are the same skb`, step.loc);
        // dev_gro_receive runs before any tap or socket could clone the skb: GRO never sees a clone.
        for (const [a, x] of [['held', held], ['skb', s]] as const) {
          if (skb_cloned(x) || skb_shared(x)) throw new InputError(`skb_gro_receive takes skbs fresh from the driver; '${a === 'held' ? step.held : step.skb}' is ${skb_shared(x) ? 'shared' : 'cloned'}`, argLocOf(step, a));
        }
        k.inNapi = true;
        const r = skb_gro_receive(k, held, s, GRO_TCP_HEADERS);
        if (r !== 'refused') {
          // NAPI_GRO_CB(p)->count: the segments the held packet carries (its gso_segs at completion).
          held.sh.gso_segs = Math.max(1, held.sh.gso_segs) + 1;
          this.forget(step.skb, { how: 'merged', by: step });
        }
        break;
      }
      case 'skb_splice_bits':
        this.bind(step.as, { kind: 'pipe', pipe: skb_splice_bits(k, this.skb(step.skb), k.sockFrag) });
        break;
      case 'pipe_release': {
        const o = this.names.get(step.pipe);
        if (o?.kind === 'pipe') pipe_release(k, o.pipe);
        this.drop(step.pipe);
        break;
      }
      case 'tcp_zerocopy_receive':
        this.bind(step.as, { kind: 'vma', vma: tcp_zerocopy_receive(k, this.skb(step.skb)) });
        break;
      case 'munmap': {
        const o = this.names.get(step.vma);
        if (o?.kind === 'vma') munmap(k, o.vma);
        this.drop(step.vma);
        break;
      }
      case 'packet_rcv':
        this.bind(step.as, skbObj(packet_rcv(k, this.skb(step.skb), step.snaplen)));
        break;
      case '__pskb_pull_tail': {
        const s = this.unshared(step);
        if (step.len > s.data_len) throw new InputError(`__pskb_pull_tail: len ${step.len} is more than the ${s.data_len} paged bytes of '${step.skb}'`, argLocOf(step, 'len'));
        __pskb_pull_tail(k, s, step.len);
        break;
      }
      case 'skb_condense':
        skb_condense(k, this.unshared(step));
        break;
      case 'pskb_trim':
        pskb_trim(k, this.unshared(step), step.len);
        break;
      case 'skb_cow':
        skb_cow(k, this.unshared(step), step.headroom);
        break;
      case 'skb_segment': {
        const s = this.skb(step.skb);
        if (skb_headlen(s) <= GRO_TCP_HEADERS) throw new InputError(`skb_segment: '${step.skb}' has no payload after the ${GRO_TCP_HEADERS} header bytes`, argLocOf(step, 'skb'));
        // Without mss: the gso_size GRO gives the packet, its payload over the segments it merged.
        const segs = skb_segment(k, s, step.mss ?? Math.ceil((s.len - GRO_TCP_HEADERS) / Math.max(1, s.sh.gso_segs)), GRO_TCP_HEADERS);
        for (let i = 0; i < segs.length; i++) this.bind(`${step.as}.${i + 1}`, skbObj(segs[i]!));
        break;
      }
      case 'skb_shift': {
        const tgt = this.skb(step.tgt);
        const s = this.skb(step.skb);
        if (tgt === s) throw new InputError(`skb_shift: '${step.tgt}' and '${step.skb}' are the same skb`, step.loc);
        if (step.len > s.len) throw new InputError(`skb_shift: len ${step.len} is more than the ${s.len} bytes of '${step.skb}' (a BUG_ON in the kernel)`, argLocOf(step, 'len'));
        skb_shift(k, tgt, s, step.len);
        break;
      }
      case 'kfree_skb':
      case 'consume_skb': {
        const s = this.skb(step.skb);
        if (step.op === 'kfree_skb') kfree_skb(k, s);
        else consume_skb(k, s);
        if (!s.alive) this.forget(step.skb, { how: 'freed', by: step });
        break;
      }
      case 'napi_poll':
        this.poll(step.budget ?? NAPI_BUDGET);
        break;
      case 'xdp_return_frame': {
        const o = this.names.get(step.frame);
        if (o?.kind === 'frame') this.completeFrame(o);
        this.drop(step.frame);
        break;
      }
      case 'page_pool_destroy':
        this.nic.ifdown();
        break;
      case 'dev_unbind':
        this.nic.unbind();
        break;
      case 'holders':
        this.views.push(holdersView(k, `step ${this.stepNo}`, ETH0_IFINDEX));
        break;
      case 'teardown':
        this.teardown();
        break;
    }
    checkPoolCaches(k);
  }

  /** mvneta_poll; what it hands over gets the `as` name its rx step gave (a dropped frame gets none). */
  private poll(budget: number): void {
    const sink = this.sink;
    this.nic.poll(budget);
    for (const skb of sink.skbs) {
      const name = this.deferred.get(skb.frame);
      if (name === undefined) continue;
      this.deferred.delete(skb.frame);
      this.bind(name, skbObj(skb));
    }
    for (const { f, verdict } of sink.frames) {
      const name = this.deferred.get(f.frame);
      if (name === undefined) continue;
      this.deferred.delete(f.frame);
      this.bind(name, this.frameObj(f, verdict));
    }
    sink.skbs.length = 0;
    sink.frames.length = 0;
  }

  /**
   * Every skb the step reads is alive; otherwise records skb-double-free (a free of a freed skb) or
   * skb-use-after-free, as KASAN would at the step's kernel function, and returns false.
   */
  private argsLive(step: Step): boolean {
    for (const [a, kind] of USES[step.op]) {
      const name = arg(step, a);
      if (kind !== 'skb' || name === undefined) continue;
      const o = this.names.get(name);
      if (o === undefined) throw new InputError(`no skb named '${name}'`, argLocOf(step, a));
      if (o.kind !== 'skb') throw new InputError(`'${name}' is a ${o.kind}, not an skb`, argLocOf(step, a));
      if (o.gone === undefined && o.skb?.alive === true && o.skb.id === o.id) continue;
      const free = step.op === 'kfree_skb' || step.op === 'consume_skb';
      // kfree_skb → __kfree_skb → kfree_skbmem (v6.1 net/core/skbuff.c); KASAN reports at the first touch
      this.k.enter(step.op);
      this.k.violation(free ? 'skb-double-free' : 'skb-use-after-free', () => `skb '${name}' (${goneText(o.gone)})`, free ? 'kfree_skbmem' : undefined);
      this.k.leave();
      return false;
    }
    return true;
  }

  /** TX completion of an XDP frame: XDP_TX returns in NAPI context, a redirect after the target's unmap. */
  private completeFrame(o: Extract<Obj, { kind: 'frame' }>): void {
    const k = this.k;
    if (o.verdict === 'tx') {
      k.enter('mvneta_txq_done');
      xdp_return_frame(k, o.frame, true);
      k.leave();
    } else {
      k.enter('target_txq_done');
      this.redirect.complete(o.frame, o.txDma);
      k.leave();
    }
  }

  private frameObj(f: XdpFrame, verdict: 'tx' | 'redirect'): Obj {
    return { kind: 'frame', frame: f, verdict, txDma: verdict === 'redirect' ? this.redirect.map(f) : 0 };
  }

  /** The skb a step changes in place: the kernel functions that do BUG_ON(skb_shared(skb)). */
  private unshared(step: Step & { skb: string }): SkBuff {
    const s = this.skb(step.skb);
    if (skb_shared(s)) throw new InputError(`${step.op} on a shared skb is a BUG() in the kernel`, argLocOf(step, 'skb'));
    return s;
  }

  /** The live skb a name holds (argsLive checked it). */
  private skb(name: string): SkBuff {
    return (this.names.get(name) as Extract<Obj, { kind: 'skb' }>).skb!;
  }

  private bind(name: string, o: Obj): void {
    const old = this.names.get(name);
    if (old?.kind === 'skb' && this.skbNames.get(old.id) === name && old.skb?.alive !== true) this.skbNames.delete(old.id);
    this.names.set(name, o);
    if (o.kind === 'skb') {
      if (!this.skbNames.has(o.id)) this.skbNames.set(o.id, name);
      else if (this.skbNames.get(o.id) !== name) this.aliased.add(o.id);
      return;
    }
    const target = o.kind === 'pipe' ? o.pipe : o.kind === 'vma' ? o.vma : o.frame;
    if (!this.reverse.has(target)) this.reverse.set(target, name);
  }

  /**
   * The name's skb is gone, under every name it has (skb_unshare of an uncloned skb returns the same
   * skb under a second name); the names stay, so a later use is a finding that says how it went.
   */
  private forget(name: string, how: Gone): void {
    const old = this.names.get(name);
    if (old?.kind === 'skb') {
      this.skbNames.delete(old.id);
      if (old.gone === undefined) old.gone = how;
      if (this.aliased.has(old.id)) for (const o of this.names.values()) if (o.kind === 'skb' && o.id === old.id && o.gone === undefined) o.gone = how;
    } else this.names.set(name, { kind: 'skb', skb: null, id: -1, gone: how });
  }

  private drop(name: string): void {
    const o = this.names.get(name);
    if (o && o.kind !== 'skb') this.reverse.delete(o.kind === 'pipe' ? o.pipe : o.kind === 'vma' ? o.vma : o.frame);
    this.names.delete(name);
  }

  /** Names bound to live objects, in binding order: what a generated next step may use. */
  live(): { name: string; kind: Obj['kind']; shared: boolean; cloned: boolean }[] {
    const out: { name: string; kind: Obj['kind']; shared: boolean; cloned: boolean }[] = [];
    for (const [name, o] of this.names) {
      if (o.kind === 'skb' && (o.gone !== undefined || !o.skb?.alive || o.skb.id !== o.id)) continue;
      out.push({ name, kind: o.kind, shared: o.kind === 'skb' && skb_shared(o.skb!), cloned: o.kind === 'skb' && skb_cloned(o.skb!) });
    }
    return out;
  }

  /** XDP frames the steps never returned. */
  pendingFrames(): number {
    let n = 0;
    for (const o of this.names.values()) if (o.kind === 'frame') n++;
    return n;
  }
}
