import { runScenarioChecks } from '../checks.js';
import type { Io } from '../context.js';
import { loadScenario } from '../load.js';

/** pp-sim validate <file>...: schema and semantic checks, nothing is run. */
export function validateCommand(io: Io, files: string[], o: { branch?: string; set?: string[]; platform?: string }): number {
  for (const f of files) {
    const s = loadScenario(f);
    runScenarioChecks(s, o);
    io.stdout(`${s.file}: ok (${s.name}, ${s.steps ? `${s.steps.length} steps` : `${s.traffic?.length ?? 0} flow(s)`})\n`);
  }
  return 0;
}
