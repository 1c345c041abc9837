// The built-in scenarios and branches the build parses into dist/cli/parsed.json (issue 19: startup).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseBuiltins } from '../../src/cli/load.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const yamlIn = (dir: string): string[] => readdirSync(`${ROOT}${dir}`).filter((f) => f.endsWith('.yaml')).map((f) => `${dir}/${f}`);

test('parseBuiltins: every built-in scenario and branch file comes back identical from parsed.json (none left to be parsed at run time)', () => {
  const parsed = JSON.parse(parseBuiltins()) as Record<string, { text: string; value: unknown }>;
  const files = [...yamlIn('scenarios'), ...yamlIn('scenarios/steps'), ...yamlIn('branches')].sort();
  assert.deepEqual(Object.keys(parsed).sort(), files);
});
