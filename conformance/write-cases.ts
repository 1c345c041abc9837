import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseToYaml } from './case.js';
import { CASES_DIR } from './cases-io.js';
import { caseFileName, generateCases } from './generate.js';

/** npm run conformance:cases: rewrites conformance/cases/ from the generator. */
mkdirSync(CASES_DIR, { recursive: true });
for (const f of readdirSync(CASES_DIR)) if (f.endsWith('.yaml')) rmSync(join(CASES_DIR, f));
const cases = generateCases();
cases.forEach((c, i) => {
  writeFileSync(join(CASES_DIR, caseFileName(c, i)), caseToYaml(c));
});
console.log(`pp-sim conformance: wrote ${cases.length} cases to ${CASES_DIR}`);
