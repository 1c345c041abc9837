import { InputError, InputErrors, inputErrors } from '../../kernel/errors.js';
import { parseScenario } from '../../workload/parse.js';
import { scenarioProblems } from '../checks.js';
import type { Io } from '../context.js';
import { readText, scenarioPath } from '../load.js';

/** pp-sim validate <file>...: every check run makes, nothing is run; every problem of every file, exit 2 if any. */
export function validateCommand(io: Io, files: string[], o: { branch?: string; set?: string[]; platform?: string }): number {
  const errors: InputError[] = [];
  for (const f of files) {
    try {
      const file = scenarioPath(f);
      const s = parseScenario(readText(file), file);
      const problems = scenarioProblems(s, o).errors;
      errors.push(...problems);
      if (problems.length === 0) io.stdout(`${s.file}: ok (${s.name}, ${s.steps ? `${s.steps.length} steps` : `${s.traffic?.length ?? 0} flow(s)`})\n`);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      errors.push(...inputErrors(e));
    }
  }
  if (errors.length > 0) throw new InputErrors(errors);
  return 0;
}
