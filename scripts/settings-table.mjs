/**
 * Prints docs/operations.md's settings table, generated from the settings schema
 * (apps/api/src/kit/settings.ts); `--write` puts it between the markers in the docs.
 * Build the API first (npm run build). tests/api/settings-docs.test.ts keeps the two equal.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { settingsTable } = await import(path.join(root, 'apps/api/dist/kit/settings.js'));
const table = settingsTable();
if (process.argv.includes('--write')) {
  const file = path.join(root, 'docs/operations.md');
  const docs = readFileSync(file, 'utf8');
  const marked = /<!-- settings-table:start -->\n(?:[\s\S]*?\n)?<!-- settings-table:end -->/;
  if (!marked.test(docs)) throw new Error('docs/operations.md has no <!-- settings-table:start/end --> markers');
  writeFileSync(file, docs.replace(marked, `<!-- settings-table:start -->\n${table}\n<!-- settings-table:end -->`));
} else {
  console.log(table);
}
