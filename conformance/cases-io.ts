import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCase, type Case } from './case.js';

export const CONFORMANCE_DIR = new URL('.', import.meta.url).pathname;
export const CASES_DIR = join(CONFORMANCE_DIR, 'cases');
export const RECORDED_DIR = join(CONFORMANCE_DIR, 'recorded');

/** Every case file, in file-name order (the order the kernel runs and records them). */
export function loadCases(dir = CASES_DIR): Case[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parseCase(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
}
