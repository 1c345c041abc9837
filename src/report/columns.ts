/** Plain-text columns whose cells wrap inside their column. Pure: data in, lines out. */

/**
 * Greedy wrap of `tokens` into lines of at most `width` characters; `sep` joins tokens on a line.
 * A token longer than `width` gets a line of its own.
 */
export function wrapTokens(tokens: readonly string[], width: number, sep = ' '): string[] {
  const out: string[] = [];
  let line = '';
  for (const t of tokens) {
    if (line !== '' && line.length + sep.length + t.length > width) {
      out.push(line);
      line = t;
    } else line = line === '' ? t : `${line}${sep}${t}`;
  }
  if (line !== '') out.push(line);
  return out;
}

/** Word wrap of running text. */
export function wrapWords(text: string, width: number): string[] {
  return wrapTokens(text.split(/\s+/).filter((w) => w !== ''), width);
}

/** A cell: running text (wrapped at spaces) or pre-split lines. */
export type ColumnCell = string | readonly string[];

/**
 * Rows of cells side by side: every column but the last is `widths[i]` wide plus two spaces; the
 * last takes what is left of `total` (at least 20). Text cells wrap at spaces, list cells keep
 * their lines; trailing blanks are trimmed.
 */
export function columns(rows: readonly (readonly ColumnCell[])[], widths: readonly number[], total: number): string[] {
  const lead = widths.reduce((a, w) => a + w + 2, 0);
  const last = Math.max(20, total - lead);
  const out: string[] = [];
  for (const row of rows) {
    const cells = row.map((c, i) => (typeof c === 'string' ? wrapWords(c, i < widths.length ? widths[i]! : last) : c));
    const height = Math.max(1, ...cells.map((c) => c.length));
    for (let y = 0; y < height; y++) {
      const parts = cells.map((c, i) => {
        const s = c[y] ?? '';
        return i < cells.length - 1 ? `${s.padEnd(widths[i] ?? 0)}  ` : s;
      });
      out.push(parts.join('').trimEnd());
    }
  }
  return out;
}
