import { readFileSync } from 'node:fs';
import { namesOf, pageNames, skbNames, type Case, type CaseStep } from './case.js';

const HEADS = { pool: 'PPSIM_HEAD_POOL', kmalloc: 'PPSIM_HEAD_KMALLOC', frag: 'PPSIM_HEAD_FRAG' } as const;
const FREES = { kfree_skb: 'PPSIM_KFREE', consume_skb: 'PPSIM_CONSUME', napi_consume_skb: 'PPSIM_NAPI_CONSUME' } as const;

/** The KUnit source: pp-sim's harness followed by one test function per case and the suite. */
export function kunitSource(cases: readonly Case[], harnessFile: string): string {
  const out = [readFileSync(harnessFile, 'utf8'), '/* Generated cases (the YAML files in conformance/cases/). */'];
  cases.forEach((c, i) => out.push(caseFunction(c, i)));
  out.push('static struct kunit_case ppsim_cases[] = {');
  cases.forEach((_, i) => out.push(`\tKUNIT_CASE(ppsim_case_${i}),`));
  out.push('\t{}', '};', '', 'static struct kunit_suite ppsim_suite = {', '\t.name = "pp_sim_conformance",', '\t.test_cases = ppsim_cases,', '};', 'kunit_test_suite(ppsim_suite);', '', 'MODULE_LICENSE("GPL");', '');
  return out.join('\n');
}

function caseFunction(c: Case, index: number): string {
  const skbs = skbNames(c);
  const pages = pageNames(c);
  const sid = (n: string): number => skbs.indexOf(n);
  const pid = (n: string): number => pages.indexOf(n);
  if (skbs.length > 96 || pages.length > 8) throw new Error(`${c.name}: too many names for the harness`);
  const body = [`static void ppsim_case_${index}(struct kunit *test)`, '{', `\tstruct ppsim *c = ppsim_begin(test, "${c.name}", ${c.poolSize});`, ''];
  c.steps.forEach((s, i) => {
    const n = i + 1;
    body.push(`\t${stepCall(s, n, sid, pid)}`);
    for (const name of namesOf(s)) body.push(`\tppsim_snap(c, ${n}, "${name}", ${sid(name)});`);
  });
  for (const name of skbs) body.push(`\tif (c->skb[${sid(name)}])`, `\t\tppsim_free(c, ${sid(name)}, PPSIM_KFREE);`);
  body.push('\tppsim_end(c);', '}', '');
  return body.join('\n');
}

function stepCall(s: CaseStep, n: number, sid: (n: string) => number, pid: (n: string) => number): string {
  switch (s.op) {
    case 'rx':
      return `ppsim_rx(c, ${sid(s.as)}, ${HEADS[s.head]}, ${s.len}, ${s.frags}, ${s.fragLen});`;
    case 'skb_clone':
      return `ppsim_clone(c, ${sid(s.skb)}, ${sid(s.as)});`;
    case 'skb_copy':
      return `ppsim_copy(c, ${sid(s.skb)}, ${sid(s.as)});`;
    case 'pskb_copy':
      return `ppsim_pskb_copy(c, ${sid(s.skb)}, ${sid(s.as)});`;
    case 'skb_unshare':
      return `ppsim_unshare(c, ${sid(s.skb)}, ${sid(s.as)});`;
    case 'pskb_expand_head':
      return `ppsim_expand(c, ${sid(s.skb)});`;
    case 'kfree_skb':
    case 'consume_skb':
    case 'napi_consume_skb':
      return `ppsim_free(c, ${sid(s.skb)}, ${FREES[s.op]});`;
    case 'skb_try_coalesce':
      return `ppsim_coalesce(c, ${n}, ${sid(s.to)}, ${sid(s.from)});`;
    case 'skb_gro_receive':
      return `ppsim_gro(c, ${n}, ${sid(s.held)}, ${sid(s.skb)});`;
    case 'get_page':
      return `ppsim_get_page(c, ${sid(s.skb)}, ${s.frag}, ${pid(s.as)});`;
    case 'page_ref':
      return `ppsim_page_ref(c, ${n}, "${s.page}", ${pid(s.page)});`;
    case 'put_page':
      return `ppsim_put_page(c, ${pid(s.page)});`;
    case 'page_pool_destroy':
      return 'ppsim_destroy(c);';
  }
}
