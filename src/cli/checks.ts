import { attempt, InputErrors, type InputError } from '../kernel/errors.js';
import type { ResolvedConfig } from '../sim/config.js';
import { checkScenarioSupport } from '../sim/run.js';
import type { Scenario } from '../sim/scenario.js';
import { checkStepNames } from '../sim/steps.js';
import { buildTraffic } from '../workload/run.js';
import { configFor, type ConfigOptions } from './load.js';

/**
 * Every check `run` makes before and while it runs, without running: branch, knobs and platform,
 * what the branch supports, the names steps use, flows that fit the NIC and readable captures.
 * Returns the resolved config (when the branch resolved) and every problem found.
 */
export function scenarioProblems(s: Scenario, o: ConfigOptions): { config: ResolvedConfig | undefined; errors: InputError[] } {
  const errors: InputError[] = [];
  const config = attempt(errors, () => configFor(s, o));
  if (config) attempt(errors, () => { checkScenarioSupport(s, config); });
  if (s.steps) errors.push(...checkStepNames(s.steps, s.xdp));
  if (s.traffic) attempt(errors, () => buildTraffic(s, config?.facts));
  return { config, errors };
}

/** Semantic checks of a parsed scenario; throws every problem at once. */
export function runScenarioChecks(s: Scenario, o: ConfigOptions): ResolvedConfig {
  const { config, errors } = scenarioProblems(s, o);
  if (errors.length > 0 || !config) throw new InputErrors(errors);
  return config;
}
