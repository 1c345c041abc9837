/**
 * "; did you mean 'x'?" when a candidate is within edit distance 2 (1 for words under 6 letters, 0 under 3),
 * or is the only one that contains the word or starts it.
 */
export function didYouMean(word: unknown, candidates: readonly string[]): string {
  if (typeof word !== 'string' || word === '') return '';
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  // short words get less slack: 'cout' is not 'host', 'b' is not 'a'
  const slack = Math.min(2, Math.floor(word.length / 3));
  if (best !== undefined && bestD > 0 && bestD <= slack) return `; did you mean '${best}'?`;
  // a part of the name ('sockets' for 'udp_sockets') or the name with more ('length' for 'len')
  const w = word.toLowerCase();
  const part = candidates.filter((c) => c.length >= 3 && w.length >= 3 && c.toLowerCase() !== w && (c.toLowerCase().includes(w) || w.startsWith(c.toLowerCase())));
  return part.length === 1 ? `; did you mean '${part[0]!}'?` : '';
}

/** Optimal-string-alignment edit distance (a transposition counts 1). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

