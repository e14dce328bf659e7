import { type Stringifier, stringify } from 'csv-stringify';

/** What a spreadsheet would read as the start of a formula (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain decimal number: a spreadsheet reads it as the number it is, never as a formula. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * A cell as it is written: text that a spreadsheet would run as a formula (`=HYPERLINK(...)`,
 * `+1+cmd|...`, `@SUM(...)`, a leading tab or carriage return) gets a leading apostrophe, which
 * spreadsheets show as text. Only declared numeric columns may start with a minus sign, and then only
 * as a plain number: a refund's "-12.50" stays a number there, while the same text in a name is neutralised.
 */
export function csvCell(value: string, numeric: boolean): string {
  if (numeric && PLAIN_NUMBER.test(value)) return value;
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/**
 * The one way the exports write CSV: csv-stringify with every string cell passed through csvCell, so
 * no column can be forgotten. `numericColumns` names the columns that hold amounts and counts.
 */
export function csvExport(columns: string[], numericColumns: readonly string[]): Stringifier {
  const numeric = new Set(numericColumns.map((name) => columns.indexOf(name)));
  return stringify({
    header: true,
    columns,
    cast: {
      string: (value, context) => (context.header ? value : csvCell(value, numeric.has(Number(context.index)))),
      number: (value) => String(value),
    },
  });
}
