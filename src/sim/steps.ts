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
import { checkInvariants } from './invariants.js';
import type { Step } from './scenario.js';

/** TCP/IP headers after the Ethernet header in a GRO step (contract §2.1); skb_segment copies them too. */
const GRO_TCP_HEADERS = 52;

type Obj =
  | { kind: 'skb'; skb: SkBuff; id: number }
  | { kind: 'pipe'; pipe: Pipe }
  | { kind: 'vma'; vma: Vma }
  | { kind: 'frame'; frame: XdpFrame; verdict: 'tx' | 'redirect'; txDma: number };

/** sk_buff structs are reused after free: a name holds the skb and the id it had. */
function skbObj(skb: SkBuff): Obj {
  return { kind: 'skb', skb, id: skb.id };
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

/**
 * Runs the explicit operations of a step scenario against the kernel model. Objects are named by
 * the scenario; using one that is gone is an input error (a step list describes a correct caller).
 */
export class StepRunner {
  private readonly names = new Map<string, Obj>();
  private readonly reverse = new Map<object, string>();
  private readonly skbNames = new Map<number, string>();
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
    switch (step.op) {
      case 'rx': {
        this.frames++;
        this.bytes += step.len;
        k.frame = this.frames;
        if (!this.nic.hwReceive(step.len, this.frames)) {
          this.nic.refill();
          break;
        }
        if (step.as !== undefined) this.deferred.set(this.frames, step.as);
        if (step.poll) this.poll(step, NAPI_BUDGET);
        break;
      }
      case 'skb_clone':
        this.bind(step, step.as, skbObj(skb_clone(k, this.skb(step, step.skb, 'skb'))));
        break;
      case 'skb_copy':
      case 'pskb_copy': {
        const s = this.skb(step, step.skb, 'skb');
        const n = step.op === 'skb_copy' ? skb_copy(k, s) : pskb_copy(k, s);
        if (!n) throw new InputError(`${step.op}: out of simulated memory`, step.loc);
        this.bind(step, step.as, skbObj(n));
        break;
      }
      case 'pskb_expand_head': {
        const s = this.skb(step, step.skb, 'skb');
        if (skb_shared(s)) throw new InputError(`pskb_expand_head on a shared skb is a BUG() in the kernel`, this.argLoc(step, 'skb'));
        pskb_expand_head(k, s);
        break;
      }
      case 'skb_unshare': {
        const s = this.skb(step, step.skb, 'skb');
        const n = skb_unshare(k, s);
        if (!n) throw new InputError('skb_unshare: out of simulated memory', step.loc);
        if (n !== s) this.drop(step.skb);
        this.bind(step, step.as, skbObj(n));
        break;
      }
      case 'skb_try_coalesce': {
        const to = this.skb(step, step.to, 'to');
        const from = this.skb(step, step.from, 'from');
        if (to === from) throw new InputError('skb_try_coalesce: to and from are the same skb', step.loc);
        const r = skb_try_coalesce(k, to, from);
        if (r === 'copied' || r === 'frags' || r === 'stolen') {
          kfree_skb_partial(k, from, r === 'stolen');
          this.drop(step.from);
        } else if (r === 'frag_list') {
          this.drop(step.from);
        }
        break;
      }
      case 'skb_gro_receive': {
        const held = this.skb(step, step.held, 'held');
        const s = this.skb(step, step.skb, 'skb');
        if (held === s) throw new InputError('skb_gro_receive: held and skb are the same skb', step.loc);
        // dev_gro_receive runs before any tap or socket could clone the skb: GRO never sees a clone.
        for (const [arg, x] of [['held', held], ['skb', s]] as const) {
          if (skb_cloned(x) || skb_shared(x)) throw new InputError(`skb_gro_receive takes skbs fresh from the driver; '${arg === 'held' ? step.held : step.skb}' is ${skb_shared(x) ? 'shared' : 'cloned'}`, this.argLoc(step, arg));
        }
        k.inNapi = true;
        const r = skb_gro_receive(k, held, s, GRO_TCP_HEADERS);
        if (r !== 'refused') {
          // NAPI_GRO_CB(p)->count: the segments the held packet carries (its gso_segs at completion).
          held.sh.gso_segs = Math.max(1, held.sh.gso_segs) + 1;
          this.drop(step.skb);
        }
        break;
      }
      case 'skb_splice_bits':
        this.bind(step, step.as, { kind: 'pipe', pipe: skb_splice_bits(k, this.skb(step, step.skb, 'skb'), k.sockFrag) });
        break;
      case 'pipe_release': {
        const o = this.get(step, step.pipe, 'pipe', 'pipe');
        if (o.kind === 'pipe') pipe_release(k, o.pipe);
        this.drop(step.pipe);
        break;
      }
      case 'tcp_zerocopy_receive':
        this.bind(step, step.as, { kind: 'vma', vma: tcp_zerocopy_receive(k, this.skb(step, step.skb, 'skb')) });
        break;
      case 'munmap': {
        const o = this.get(step, step.vma, 'vma', 'vma');
        if (o.kind === 'vma') munmap(k, o.vma);
        this.drop(step.vma);
        break;
      }
      case 'packet_rcv':
        this.bind(step, step.as, skbObj(packet_rcv(k, this.skb(step, step.skb, 'skb'), step.snaplen)));
        break;
      case '__pskb_pull_tail': {
        const s = this.unshared(step);
        if (step.len > s.data_len) throw new InputError(`__pskb_pull_tail: len ${step.len} is more than the ${s.data_len} paged bytes of '${step.skb}'`, this.argLoc(step, 'len'));
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
        const s = this.skb(step, step.skb, 'skb');
        if (skb_headlen(s) <= GRO_TCP_HEADERS) throw new InputError(`skb_segment: '${step.skb}' has no payload after the ${GRO_TCP_HEADERS} header bytes`, this.argLoc(step, 'skb'));
        // Without mss: the gso_size GRO gives the packet, its payload over the segments it merged.
        const segs = skb_segment(k, s, step.mss ?? Math.ceil((s.len - GRO_TCP_HEADERS) / Math.max(1, s.sh.gso_segs)), GRO_TCP_HEADERS);
        for (let i = 0; i < segs.length; i++) this.bind(step, `${step.as}.${i + 1}`, skbObj(segs[i]!));
        break;
      }
      case 'skb_shift': {
        const tgt = this.skb(step, step.tgt, 'tgt');
        const s = this.skb(step, step.skb, 'skb');
        if (tgt === s) throw new InputError('skb_shift: tgt and skb are the same skb', step.loc);
        if (step.len > s.len) throw new InputError(`skb_shift: len ${step.len} is more than the ${s.len} bytes of '${step.skb}' (a BUG_ON in the kernel)`, this.argLoc(step, 'len'));
        skb_shift(k, tgt, s, step.len);
        break;
      }
      case 'kfree_skb':
      case 'consume_skb': {
        const s = this.skb(step, step.skb, 'skb');
        if (step.op === 'kfree_skb') kfree_skb(k, s);
        else consume_skb(k, s);
        if (!s.alive || s.id !== (this.names.get(step.skb) as { id: number }).id) this.drop(step.skb);
        break;
      }
      case 'napi_poll':
        this.poll(step, step.budget ?? NAPI_BUDGET);
        break;
      case 'xdp_return_frame': {
        const o = this.get(step, step.frame, 'frame', 'frame');
        if (o.kind === 'frame') this.completeFrame(o);
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
    checkInvariants(k);
  }

  /** mvneta_poll; what it hands over gets the `as` name its rx step gave (a dropped frame gets none). */
  private poll(step: Step, budget: number): void {
    const sink = this.sink;
    this.nic.poll(budget);
    for (const skb of sink.skbs) {
      const name = this.deferred.get(skb.frame);
      if (name === undefined) continue;
      this.deferred.delete(skb.frame);
      this.bind(step, name, skbObj(skb));
    }
    for (const { f, verdict } of sink.frames) {
      const name = this.deferred.get(f.frame);
      if (name === undefined) continue;
      this.deferred.delete(f.frame);
      this.bind(step, name, this.frameObj(f, verdict));
    }
    sink.skbs.length = 0;
    sink.frames.length = 0;
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

  private argLoc(step: Step, arg: string): Step['loc'] {
    return { ...step.loc, key: `${step.loc.key ?? step.op}.${arg}` };
  }

  private get(step: Step, name: string, arg: string, want: Obj['kind']): Obj {
    const o = this.names.get(name);
    if (!o) throw new InputError(`no ${want} named '${name}' (not created, or already consumed by an earlier step)`, this.argLoc(step, arg));
    if (o.kind !== want) throw new InputError(`'${name}' is a ${o.kind}, not a ${want}`, this.argLoc(step, arg));
    if (o.kind === 'skb' && (!o.skb.alive || o.skb.id !== o.id)) {
      throw new InputError(`skb '${name}' was already freed`, this.argLoc(step, arg));
    }
    return o;
  }

  /** The skb a step changes in place: the kernel functions that do BUG_ON(skb_shared(skb)). */
  private unshared(step: Step & { skb: string }): SkBuff {
    const s = this.skb(step, step.skb, 'skb');
    if (skb_shared(s)) throw new InputError(`${step.op} on a shared skb is a BUG() in the kernel`, this.argLoc(step, 'skb'));
    return s;
  }

  private skb(step: Step, name: string, arg: string): SkBuff {
    const o = this.get(step, name, arg, 'skb');
    return (o as Extract<Obj, { kind: 'skb' }>).skb;
  }

  private bind(step: Step, name: string, o: Obj): void {
    const old = this.names.get(name);
    if (old && (old.kind !== 'skb' || (old.skb.alive && old.skb.id === old.id)) && !(old.kind === 'skb' && o.kind === 'skb' && old.skb === o.skb)) {
      throw new InputError(`name '${name}' is already in use`, this.argLoc(step, 'as'));
    }
    this.names.set(name, o);
    if (o.kind === 'skb') {
      if (!this.skbNames.has(o.id)) this.skbNames.set(o.id, name);
      return;
    }
    const target = o.kind === 'pipe' ? o.pipe : o.kind === 'vma' ? o.vma : o.frame;
    if (!this.reverse.has(target)) this.reverse.set(target, name);
  }

  private drop(name: string): void {
    this.names.delete(name);
  }

  /** Names bound to live objects, in binding order: what a generated next step may use. */
  live(): { name: string; kind: Obj['kind']; shared: boolean; cloned: boolean }[] {
    const out: { name: string; kind: Obj['kind']; shared: boolean; cloned: boolean }[] = [];
    for (const [name, o] of this.names) {
      if (o.kind === 'skb' && (!o.skb.alive || o.skb.id !== o.id)) continue;
      out.push({ name, kind: o.kind, shared: o.kind === 'skb' && skb_shared(o.skb), cloned: o.kind === 'skb' && skb_cloned(o.skb) });
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
