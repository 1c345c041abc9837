/** Reading and writing recorded kernel lines: "<case> key=value key=value ...", one per case. */

export interface Recorded {
  version: string;
  source: string;
  lines: Map<string, Map<string, string>>;
}

/** Joins the "ppsim-conf: <case> ..." chunks of a kernel log into one field map per case. */
export function parseKernelLog(log: string, names: readonly string[]): { lines: Map<string, Map<string, string>>; problems: string[] } {
  const lines = new Map<string, Map<string, string>>();
  const ended = new Set<string>();
  const problems: string[] = [];
  for (const raw of log.split('\n')) {
    const m = /ppsim-conf: (\S+)(.*)$/.exec(raw);
    if (!m) continue;
    const name = m[1]!;
    const rest = m[2]!.trim();
    if (rest === 'begin') {
      lines.set(name, new Map());
      continue;
    }
    if (rest === 'end') {
      ended.add(name);
      continue;
    }
    const fields = lines.get(name);
    if (!fields) continue;
    for (const kv of rest.split(/\s+/)) {
      const eq = kv.indexOf('=');
      if (eq > 0) fields.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
  }
  for (const n of names) if (!ended.has(n)) problems.push(`case ${n} did not finish (see the KUnit result in the log)`);
  return { lines, problems };
}

export function recordedText(version: string, source: string, lines: Map<string, Map<string, string>>): string {
  const out = [`# pp-sim conformance record: Linux ${version} (${source}), User-Mode Linux KUnit suite pp_sim_conformance`, '# written by npm run conformance:record; one line per case: <case> field=value ...'];
  for (const [name, fields] of lines) out.push(`${name} ${[...fields].map(([k, v]) => `${k}=${v}`).join(' ')}`);
  return `${out.join('\n')}\n`;
}

export function parseRecorded(text: string, file: string): Recorded {
  const head = /^# pp-sim conformance record: Linux (\S+) \(([^)]*)\)/.exec(text);
  if (!head) throw new Error(`${file}: not a pp-sim conformance record (first line)`);
  const lines = new Map<string, Map<string, string>>();
  for (const l of text.split('\n')) {
    if (l === '' || l.startsWith('#')) continue;
    const [name, ...kvs] = l.split(' ');
    const m = new Map<string, string>();
    for (const kv of kvs) {
      const eq = kv.indexOf('=');
      m.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    lines.set(name!, m);
  }
  return { version: head[1]!, source: head[2]!, lines };
}
