import type { EntityManager } from '@mikro-orm/postgresql';

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Card-number-like strings: 13 to 19 digits, Luhn-valid, starting like a card network's numbers
 * (2-6: Mastercard, Amex, Visa, Discover...), which keeps millisecond timestamps (17...) out, and
 * standing alone (not inside a longer token such as a hex hash, nor the fraction of a float: their
 * digit runs are chance).
 */
export function findCardNumbers(text: string): string[] {
  return [...text.matchAll(/(?<![0-9A-Za-z.])[2-6]\d{12,18}(?![0-9A-Za-z]|\.\d)/g)].map((m) => m[0]).filter(luhnValid);
}

/** Every row of every table of ours and of the job queue, as text (migration names are timestamps: left out). */
export async function dumpDatabase(em: EntityManager): Promise<string> {
  const tables = await em.execute<{ schema: string; name: string }[]>(
    "select table_schema as schema, table_name as name from information_schema.tables where table_schema in ('public', 'graphile_worker') and table_type = 'BASE TABLE' and table_name <> 'mikro_orm_migrations'",
  );
  const chunks: string[] = [];
  for (const { schema, name } of tables) {
    const rows = await em.execute<{ row: string }[]>(`select t::text as row from "${schema}"."${name}" t`);
    chunks.push(...rows.map((r) => r.row));
  }
  return chunks.join('\n');
}
