import type { InvoiceLineInput } from '@kometpay/schema/merchant';
import { parseAmount } from '$lib/money';

/** The line fields of an invoice form, repeated per row: line-<n>-description, line-<n>-quantity, line-<n>-unitPrice. */
export const lineField = (index: number, name: 'description' | 'quantity' | 'unitPrice') => `line-${index}-${name}`;

export interface ParsedLines {
  lines: InvoiceLineInput[];
  /** What was typed, by field name, to show again; `lineCount` says how many rows. */
  values: Record<string, string>;
  errors: Record<string, string>;
}

/** Reads the rows (an empty row is skipped), checking each: the API checks again, and has the last word. */
export function parseLines(data: FormData, currency: string, extraRows = 0): ParsedLines {
  const values: Record<string, string> = {};
  const errors: Record<string, string> = {};
  const lines: InvoiceLineInput[] = [];
  const count = Math.min(100, Number(data.get('lineCount')) || 0);
  for (let index = 0; index < count; index++) {
    const read = (name: 'description' | 'quantity' | 'unitPrice') => String(data.get(lineField(index, name)) ?? '').trim();
    const description = read('description');
    const quantity = read('quantity');
    const unitPrice = read('unitPrice');
    values[lineField(index, 'description')] = description;
    values[lineField(index, 'quantity')] = quantity;
    values[lineField(index, 'unitPrice')] = unitPrice;
    if (!description && !quantity && !unitPrice) continue;
    if (!description) errors[lineField(index, 'description')] = 'Describe what this line is for.';
    if (!/^\d{1,9}$/.test(quantity) || Number(quantity) < 1) errors[lineField(index, 'quantity')] = 'Enter a whole number of at least 1.';
    const unitAmount = parseAmount(unitPrice, currency);
    if (unitAmount === null) errors[lineField(index, 'unitPrice')] = `Enter a price in ${currency}, like 12.50.`;
    if (description && unitAmount !== null && /^\d+$/.test(quantity)) lines.push({ description, quantity: Number(quantity), unitAmount });
  }
  if (!lines.length && !Object.keys(errors).length) errors[lineField(0, 'description')] = 'Add at least one line.';
  values.lineCount = String(Math.max(count + extraRows, 1));
  return { lines, values, errors };
}

/** The API's field (`lines.2.unitAmount`, `input.lines.2.quantity`, `dueDate`) as the form's field. */
export function invoiceFieldOf(apiField: string): string | undefined {
  const line = /lines\.(\d+)\.(description|quantity|unitAmount)$/.exec(apiField);
  if (line) return lineField(Number(line[1]), line[2] === 'unitAmount' ? 'unitPrice' : (line[2] as 'description' | 'quantity'));
  if (/lines$/.test(apiField)) return lineField(0, 'description');
  return apiField.split('.').pop();
}
