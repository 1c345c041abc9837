import { InputError } from '../kernel/errors.js';
import type { FlowSpec, Source } from '../sim/engine.js';
import type { Report } from '../sim/report.js';
import { runScenario, type RunOptions } from '../sim/run.js';
import type { Scenario } from '../sim/scenario.js';
import { TCP_WINDOW } from '../net/tcp.js';
import { IperfUdpSource, TCP_OVERHEAD, TcpSource, UDP_OVERHEAD } from './generators.js';

/** iperf reads 128 KiB per recv(); scp copies in 16 KiB blocks (COPY_BUFLEN). */
const IPERF_READ = 131072;
const SCP_READ = 16384;

function isMulticast(ip: string): boolean {
  const first = Number(ip.split('.')[0]);
  return first >= 224 && first <= 239;
}

/** Turns a scenario's flows into traffic sources and the board's receivers. */
export function buildTraffic(s: Scenario): { flows: FlowSpec[]; sources: Source[] } {
  const flows: FlowSpec[] = [];
  const sources: Source[] = [];
  (s.traffic ?? []).forEach((f, i) => {
    if (f.kind === 'pcap') throw new InputError('pcap flows are not supported by this build', f.loc);
    const label = `${f.kind} ${f.dst}:${f.port}`;
    if (f.kind === 'udp') {
      if (f.len + UDP_OVERHEAD - 14 > s.nic.mtu) {
        throw new InputError(`len ${f.len} does not fit one ${s.nic.mtu}-byte MTU frame (at most ${s.nic.mtu - UDP_OVERHEAD + 14}; IP fragmentation is not modelled)`, { ...f.loc, key: `traffic[${i}].len` });
      }
      flows.push({ kind: 'udp', multicast: isMulticast(f.dst), label });
      sources.push(new IperfUdpSource(i, label, f.len, f.rateBps));
    } else {
      const mss = s.nic.mtu - (TCP_OVERHEAD - 14);
      flows.push({ kind: 'tcp', mss, readSize: f.kind === 'scp' ? SCP_READ : IPERF_READ, label });
      sources.push(new TcpSource(i, label, mss, TCP_WINDOW, f.rateBps));
    }
  });
  return { flows, sources };
}

/** Runs a scenario of either kind: its steps, or its traffic through the engine. */
export function runScenarioFull(o: RunOptions): Report {
  return runScenario(o, o.scenario.steps ? undefined : buildTraffic(o.scenario));
}
