import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { TestApi } from '../../support/api.js';
import { findCardNumbers } from '../../support/card-data.js';
import { report } from './battery.js';

/** A CVC as a field or column would be named; "incorrect_cvc", a decline code, is not one. */
const CVC_FIELD = /\b(cvc|cvv2?)\b/i;
const CVC_COLUMN = /(^|_)(cvc|cvv2?|security_code|card_code)(_|$)/i;

/**
 * An email without its MIME boundaries: random tokens of the mailer, not content. Nodemailer's are
 * 16 hex digits (`--_NmP-<16 hex>-Part_1`), now and then all decimal and Luhn-valid: a CI run
 * once "found" one, four times in one email. Only the exact boundary strings are removed.
 */
export function withoutMimeBoundaries(eml: string): string {
  const boundaries = [...eml.matchAll(/boundary="?([^";\r\n]+)"?/gi)].map((match) => match[1]);
  return boundaries.reduce((text, boundary) => text.replaceAll(boundary, ''), eml);
}

export interface CardDataSources {
  databaseUrl: string;
  /** Every line the API logged. */
  logs: string[];
  /** Where the API wrote its .eml files (KOMETPAY_DATA_DIR), if it did. */
  dataDir?: string;
}

/**
 * What card data a test left behind: every row of every table (ours and the job queue's), every
 * log line and every email file, searched for card numbers (13-19 Luhn-valid digits) and for any
 * column or field named like a CVC. Every reliability test file ends on it, so that the whole
 * battery's databases and logs are covered.
 */
export async function assertNoCardData(name: string, sources: CardDataSources): Promise<void> {
  const db = new pg.Client({ connectionString: sources.databaseUrl });
  await db.connect();
  let rows: string[];
  let cvcColumns: string[];
  try {
    const { rows: tables } = await db.query<{ schema: string; name: string }>(
      "select table_schema as schema, table_name as name from information_schema.tables where table_schema in ('public', 'graphile_worker') and table_type = 'BASE TABLE' and table_name <> 'mikro_orm_migrations'",
    );
    rows = [];
    for (const table of tables)
      rows.push(
        ...(await db.query<{ row: string }>(`select t::text as row from "${table.schema}"."${table.name}" t`)).rows.map((r) => r.row),
      );
    const { rows: columns } = await db.query<{ name: string }>(
      "select table_name || '.' || column_name as name from information_schema.columns where table_schema in ('public', 'graphile_worker')",
    );
    cvcColumns = columns.map((c) => c.name).filter((column) => CVC_COLUMN.test(column.replace(/^.*\./, '')));
  } finally {
    await db.end();
  }
  const outbox = sources.dataDir ? path.join(sources.dataDir, 'outbox') : null;
  const emails =
    outbox && existsSync(outbox)
      ? readdirSync(outbox).map((file) => withoutMimeBoundaries(readFileSync(path.join(outbox, file), 'utf8')))
      : [];
  const texts = [...rows, ...sources.logs, ...emails];
  expect({ cardNumbers: texts.flatMap(findCardNumbers), cvcColumns, cvcFields: texts.filter((text) => CVC_FIELD.test(text)) }).toEqual({
    cardNumbers: [],
    cvcColumns: [],
    cvcFields: [],
  });
  report(
    `card data (${name})`,
    `${rows.length} rows, ${sources.logs.length} log lines, ${emails.length} emails scanned, 0 card numbers, 0 CVC fields`,
  );
}

/** Scans what an in-process test API left behind for card data, then closes it (whatever the scan finds). */
export async function scanAndClose(name: string, t: TestApi): Promise<void> {
  try {
    await assertNoCardData(name, { databaseUrl: t.db.url, logs: t.logs, dataDir: t.settings.dataDir });
  } finally {
    await t.close();
  }
}
