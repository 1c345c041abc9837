/** The scenario types live beside the runner that consumes them; the loader builds them. */
export type * from '../sim/scenario.js';
