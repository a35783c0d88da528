/** Plain-text output shared by the administration commands. */

/** Epoch milliseconds as ISO 8601 to the second (`2026-11-28T12:00:00Z`); `-` for none. */
export function isoSeconds(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Rows as left-aligned columns two spaces apart; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
