import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError } from '../kernel/errors.js';
import { PcapngFile } from '../report/pcapng-file.js';
import type { FlowSpec, FrameHook, Source } from '../sim/engine.js';
import type { Report } from '../sim/report.js';
import { runScenario, type RunOptions } from '../sim/run.js';
import type { Scenario } from '../sim/scenario.js';
import { TCP_WINDOW } from '../net/tcp.js';
import { exportFrames, type WireFlow } from './export.js';
import { IperfUdpSource, TCP_OVERHEAD, TcpSource, UDP_OVERHEAD } from './generators.js';
import { planReplay, type ReplayPlan } from './replay.js';

/** iperf reads 128 KiB per recv(); scp copies in 16 KiB blocks (COPY_BUFLEN). */
const IPERF_READ = 131072;
const SCP_READ = 16384;
/** Ephemeral source ports of the generated senders. */
const SRC_PORT = 40000;

function isMulticast(ip: string): boolean {
  const first = Number(ip.split('.')[0]);
  return first >= 224 && first <= 239;
}

export interface Traffic {
  flows: FlowSpec[];
  sources: Source[];
  /** Per flow: how a generated flow looks on the wire (undefined for replayed flows). */
  wire: (WireFlow | undefined)[];
  /** The replayed captures, in traffic order. */
  replays: ReplayPlan[];
  /** Generated (non-pcap) flows are present. */
  generated: boolean;
}

/** A pcap flow's file, relative to the scenario file's directory. */
function capturePath(s: Scenario, file: string): string {
  return isAbsolute(file) ? file : resolve(dirname(s.file), file);
}

/** Turns a scenario's flows into traffic sources and the board's receivers. */
export function buildTraffic(s: Scenario, platform: { dsa: boolean } = { dsa: true }): Traffic {
  const t: Traffic = { flows: [], sources: [], wire: [], replays: [], generated: false };
  (s.traffic ?? []).forEach((f, i) => {
    if (f.kind === 'pcap') {
      const plan = planReplay({
        file: capturePath(s, f.file),
        to: f.to,
        timing: f.timing,
        dsa: platform.dsa,
        mtu: s.nic.mtu,
        flowBase: t.flows.length,
        // The replay command names its flow's location '--to'.
        toHint: f.loc.file === '--to' ? '--to' : 'to:',
        toLoc: f.loc.file === '--to' ? f.loc : { ...f.loc, key: `traffic[${i}].to` },
      });
      t.flows.push(...plan.flows);
      for (let j = 0; j < plan.flows.length; j++) t.wire.push(undefined);
      t.sources.push(plan.source);
      t.replays.push(plan);
      return;
    }
    t.generated = true;
    const flow = t.flows.length;
    const label = `${f.kind} ${f.dst}:${f.port}`;
    const multicast = isMulticast(f.dst);
    if (f.kind === 'udp') {
      if (f.len + UDP_OVERHEAD - 14 > s.nic.mtu) {
        throw new InputError(`len ${f.len} does not fit one ${s.nic.mtu}-byte MTU frame (at most ${s.nic.mtu - UDP_OVERHEAD + 14}; IP fragmentation is not modelled)`, { ...f.loc, key: `traffic[${i}].len` });
      }
      t.flows.push({ kind: 'udp', multicast, label });
      t.sources.push(new IperfUdpSource(flow, label, f.len, f.rateBps));
    } else {
      const mss = s.nic.mtu - (TCP_OVERHEAD - 14);
      t.flows.push({ kind: 'tcp', mss, readSize: f.kind === 'scp' ? SCP_READ : IPERF_READ, label });
      t.sources.push(new TcpSource(flow, label, mss, TCP_WINDOW, f.rateBps));
    }
    t.wire.push({ kind: f.kind === 'udp' ? 'udp' : 'tcp', dst: f.dst, port: f.port, srcPort: SRC_PORT + i, multicast, label });
  });
  return t;
}

/** The board's setup in a pcapng written by pp-sim, so `pp-sim replay` can receive it the same way. */
export const HOST_TAG = 'pp-sim-host:';

function hostLine(s: Scenario): string {
  const h = s.host;
  return `${HOST_TAG} udp_sockets=${h.udpSockets} taps=${h.taps} tap_mode=${h.tapMode} reader=${h.reader} read_mode=${h.readMode} mtu=${s.nic.mtu}`;
}

export interface RunExtras {
  /** The duration was given (--duration, the scenario's duration:); otherwise replays set it. */
  durationExplicit?: boolean;
  /** Write the frames the NIC received to this pcapng file. */
  pcapOut?: string;
  /** Lines for the user, for stderr: choices made (the board of a replay), and details. */
  note?: (line: string, kind: 'choice' | 'detail') => void;
}

/** Runs a scenario of either kind: its steps, or its traffic through the engine. */
export function runScenarioFull(o: RunOptions, x: RunExtras = {}): Report {
  const s = o.scenario;
  if (s.steps) {
    if (x.pcapOut !== undefined) throw new InputError('step scenarios have no wire traffic to write; --pcap-out needs a traffic scenario', { file: '--pcap-out' });
    return runScenario(o);
  }
  const t = buildTraffic(s, o.config.facts);
  for (const r of t.replays) {
    const c = r.counts;
    x.note?.(`${r.file}: ${r.board.why}`, 'choice');
    x.note?.(
      `${r.file}: ${c.toBoard} of ${c.records} frames enter the NIC (${c.udp} UDP, ${c.tcp} TCP, ${c.other} other), ${c.fromBoard} sent by the board are left out` +
        (c.oversize > 0 ? `; ${c.oversize} are longer than nic.mtu allows and will be dropped` : ''),
      'detail',
    );
  }
  let durationNs = o.durationNs;
  const explicit = x.durationExplicit ?? (o.durationNs !== s.durationNs || s.keyLoc.duration !== undefined);
  if (!explicit && t.replays.length > 0) {
    // A replay lasts as long as its capture (the longest one), generated flows run alongside.
    const need = Math.max(...t.replays.map((r) => r.durationNs));
    durationNs = t.generated ? Math.max(durationNs, need) : need;
  }
  let file: PcapngFile | undefined;
  let sources = t.sources;
  let onFrame: FrameHook | undefined = o.onFrame;
  if (x.pcapOut !== undefined) {
    const f = new PcapngFile(x.pcapOut, {
      ifName: 'eth0',
      comment: `pp-sim ${o.toolVersion}: frames the simulated NIC received; scenario ${s.name}, branch ${o.config.branch}, platform ${o.config.platform}, seed ${o.seed}\n${hostLine(s)}`,
    });
    file = f;
    const e = exportFrames(t.sources, t.wire, f);
    sources = e.sources;
    const prev = onFrame;
    onFrame = prev ? (tNs, n, fr, flow) => { e.onFrame(tNs, n, fr, flow); prev(tNs, n, fr, flow); } : e.onFrame;
  }
  try {
    const report = runScenario({ ...o, durationNs, onFrame }, { flows: t.flows, sources, again: () => buildTraffic(s, o.config.facts).sources });
    file?.finish();
    return report;
  } catch (e) {
    file?.abort();
    throw e;
  }
}
