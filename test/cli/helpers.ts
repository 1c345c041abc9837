/** Shared helpers of the CLI tests: an in-memory Io and a strict little XML parser. */
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/context.js';

export interface Captured {
  code: number;
  out: string;
  err: string;
}

export function capture(argv: string[], over: Partial<Io> = {}): Captured {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => (out += s), stderr: (s) => (err += s), isTTY: false, env: {}, ...over };
  const code = main(argv, io);
  return { code, out, err };
}

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*/;

function decode(s: string, at: number): string {
  return s.replace(/&([^;]*);/g, (_, ent: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (named[ent] !== undefined) return named[ent];
    const m = /^#(x[0-9A-Fa-f]+|[0-9]+)$/.exec(ent);
    if (!m) throw new Error(`bad entity &${ent}; near ${String(at)}`);
    const cp = m[1]!.startsWith('x') ? parseInt(m[1]!.slice(1), 16) : Number(m[1]);
    return String.fromCodePoint(cp);
  });
}

/** Parses a well-formed XML document (declaration, elements, attributes, text); throws otherwise. */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${String(i)}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  for (const ch of xml) {
    const u = ch.charCodeAt(0);
    if (u < 0x20 && u !== 0x09 && u !== 0x0a && u !== 0x0d) fail('forbidden control character');
  }
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated declaration');
    i = end + 2;
  }
  const skipWs = (): void => {
    while (i < xml.length && /\s/.test(xml[i]!)) i++;
  };
  const element = (): XmlElement => {
    if (xml[i] !== '<') fail('expected <');
    i++;
    const name = NAME.exec(xml.slice(i))?.[0] ?? fail('expected a tag name');
    i += name.length;
    const el: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      skipWs();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      const an = NAME.exec(xml.slice(i))?.[0] ?? fail('expected an attribute name');
      i += an.length;
      if (xml[i] !== '=') fail('expected =');
      i++;
      const q = xml[i];
      if (q !== '"' && q !== "'") fail('attribute value not quoted');
      const end = xml.indexOf(q!, i + 1);
      if (end < 0) fail('unterminated attribute');
      const raw = xml.slice(i + 1, end);
      if (raw.includes('<')) fail('< in attribute value');
      if (an in el.attrs) fail(`duplicate attribute ${an}`);
      el.attrs[an] = decode(raw, i);
      i = end + 1;
    }
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) fail(`unclosed <${name}>`);
      const text = xml.slice(i, lt);
      if (text.includes('>') && /]]>/.test(text)) fail(']]> in text');
      el.text += decode(text, i);
      i = lt;
      if (xml.startsWith('</', i)) {
        i += 2;
        const close = NAME.exec(xml.slice(i))?.[0];
        if (close !== name) fail(`</${String(close)}> closes <${name}>`);
        i += name.length;
        skipWs();
        if (xml[i] !== '>') fail('expected >');
        i++;
        return el;
      }
      el.children.push(element());
    }
  };
  skipWs();
  const root = element();
  skipWs();
  if (i !== xml.length) fail('content after the root element');
  return root;
}

export function findAll(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => findAll(c, name))];
}

/** Well-formed JUnit whose counts agree with its testcases; returns the counts. */
export function checkJunit(xml: string): { tests: number; failures: number; skipped: number; root: XmlElement } {
  const root = parseXml(xml);
  if (root.name !== 'testsuites') throw new Error(`root is <${root.name}>`);
  const cases = findAll(root, 'testcase');
  const failures = cases.filter((c) => c.children.some((x) => x.name === 'failure')).length;
  const skipped = cases.filter((c) => c.children.some((x) => x.name === 'skipped')).length;
  for (const [what, n] of [['tests', cases.length], ['failures', failures], ['skipped', skipped]] as const) {
    if (Number(root.attrs[what]) !== n) throw new Error(`testsuites ${what}=${String(root.attrs[what])}, counted ${String(n)}`);
  }
  for (const s of findAll(root, 'testsuite')) {
    const sc = findAll(s, 'testcase');
    if (Number(s.attrs.tests) !== sc.length) throw new Error(`testsuite ${String(s.attrs.name)} tests=${String(s.attrs.tests)}, counted ${String(sc.length)}`);
  }
  return { tests: cases.length, failures, skipped, root };
}
