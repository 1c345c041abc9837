/**
 * Which pp-sim branch a recorded kernel maps to (major.minor of the recorded version), and the knob
 * values the stable tree has that the branch does not carry yet.
 */
export interface VersionMap {
  branch: string;
  set: Record<string, string>;
  /** Debian package with the source. */
  package: string;
}

export const VERSIONS: Record<string, VersionMap> = {
  // upstream-6.1 is 6.1.y (coalesce=pp_match_noclone since 6.1.25).
  '6.1': { branch: 'upstream-6.1', set: {}, package: 'linux-source-6.1' },
  // Debian's 6.12.y carries the v6.15 DMA tracking (ee62ce7a1d90) as a stable backport.
  '6.12': { branch: 'upstream-6.12', set: { pool_dma_tracking: 'true' }, package: 'linux-source-6.12' },
};

/** "6.1.192" -> "6.1". */
export function seriesOf(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}
