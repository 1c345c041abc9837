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
  // 6.1.y since 6.1.25 (0646dc31ca88) refuses to coalesce a cloned pp_recycle skb.
  '6.1': { branch: 'upstream-6.1', set: { coalesce: 'pp_match_noclone' }, package: 'linux-source-6.1' },
  '6.12': { branch: 'upstream-6.12', set: { coalesce: 'pp_match_noclone' }, package: 'linux-source-6.12' },
};

/** "6.1.192" -> "6.1". */
export function seriesOf(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}
