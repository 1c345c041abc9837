import { checkScenarioSupport } from '../sim/run.js';
import type { Scenario } from '../sim/scenario.js';
import { configFor, type ConfigOptions } from './load.js';

/** Semantic checks of a parsed scenario: branch, knobs, platform and what the branch supports. */
export function runScenarioChecks(s: Scenario, o: ConfigOptions): void {
  checkScenarioSupport(s, configFor(s, o));
}
