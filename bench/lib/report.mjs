/** The benchmark's rows: built from a scenario's figures, aggregated over repeated runs, printed as Markdown. */

export const COLUMNS = ['id', 'workload', 'ours', 'baseline', 'ratio', 'target', 'met'];

export function median(values) {
  const sorted = values.filter((value) => typeof value === 'number' && !Number.isNaN(value)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * One figure per name over several runs of a scenario: the median, or the maximum for the
 * scenario's `worstOf` figures (failure counts).
 */
export function aggregateFigures(figureSets, worstOf = []) {
  const names = [...new Set(figureSets.flatMap((figures) => Object.keys(figures)))];
  return Object.fromEntries(
    names.map((name) => {
      const values = figureSets.map((figures) => figures[name]);
      return [name, worstOf.includes(name) ? Math.max(...values.filter((value) => typeof value === 'number')) : median(values)];
    }),
  );
}

/** A Markdown table of rows (objects with the COLUMNS); `met` shows as yes / NO or as given. */
export function markdownTable(rows, columns = COLUMNS) {
  const cell = (row, column) => {
    const value = row[column];
    if (column === 'met' && typeof value === 'boolean') return value ? 'yes' : '**NO**';
    return String(value ?? '-')
      .replaceAll('|', '\\|')
      .replaceAll('\n', ' ');
  };
  const cells = rows.map((row) => columns.map((column) => cell(row, column)));
  const widths = columns.map((column, i) => Math.max(column.length, 3, ...cells.map((row) => row[i].length)));
  const line = (values) => `| ${values.map((value, i) => value.padEnd(widths[i])).join(' | ')} |`;
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}
