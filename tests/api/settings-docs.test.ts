import { readFileSync } from 'node:fs';
import path from 'node:path';
import { settingsTable } from '../../apps/api/src/app/test-kit.js';
import { repoRoot } from '../reliability/support/child-api.js';

describe('the settings table in docs/operations.md', () => {
  it('is the one generated from the settings schema (regenerate: node scripts/settings-table.mjs --write)', () => {
    const docs = readFileSync(path.join(repoRoot, 'docs/operations.md'), 'utf8');
    const table = /<!-- settings-table:start -->\n([\s\S]*?)\n<!-- settings-table:end -->/.exec(docs);
    expect(table).not.toBeNull();
    expect(table![1].trim()).toBe(settingsTable());
  });
});
