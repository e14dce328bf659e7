import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCheckoutSchema, buildMerchantSchema, printSdl } from '../../apps/api/src/app/test-kit.js';

const schemaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packages/schema');

describe('the committed SDL (packages/schema)', () => {
  it.each([
    ['merchant.graphql', buildMerchantSchema],
    ['checkout.graphql', buildCheckoutSchema],
  ])('%s matches what the code builds (run `npm run schema:emit` after a schema change)', async (file, build) => {
    const committed = await readFile(path.join(schemaDir, file), 'utf8');
    expect(printSdl(await build())).toBe(committed);
  });

  it('carries the @supervisor directive on supervised fields', async () => {
    const sdl = await readFile(path.join(schemaDir, 'merchant.graphql'), 'utf8');
    expect(sdl).toContain('directive @supervisor on FIELD_DEFINITION');
    expect(sdl).toMatch(/vaultedCards: \[VaultedCard!\]! @supervisor/);
  });

  it('keeps the checkout schema to the public subset', async () => {
    const schema = await buildCheckoutSchema();
    expect(Object.keys(schema.getQueryType()!.getFields()).sort()).toEqual(['cardSetupLink', 'paymentLink', 'processor']);
    for (const merchantOnly of ['Customer', 'Merchant', 'VaultedCard', 'Transaction', 'Invoice']) {
      expect(schema.getType(merchantOnly)).toBeUndefined();
    }
  });
});

describe('the committed typed operations (packages/schema/src/*.generated.ts)', () => {
  it('match the SDL and the operations (run `npm run codegen` after changing either)', () => {
    // The same check as the schema package's build: every operation still valid against its own
    // schema's SDL, and the generated files exactly what the generator makes of them.
    const codegen = path.resolve(schemaDir, '../../node_modules/.bin/graphql-codegen');
    const run = spawnSync(process.execPath, [codegen, '--config', 'codegen.ts', '--check'], { cwd: schemaDir, encoding: 'utf8' });
    expect(run.status === 0 ? 'in sync' : `${run.stdout}${run.stderr}`).toBe('in sync');
  });
});

describe('the committed migrations', () => {
  it('produce exactly the schema the entities describe', async () => {
    const { createTestDatabase } = await import('../support/database.js');
    const { createLogger, createOrm } = await import('../../apps/api/src/app/test-kit.js');
    const db = await createTestDatabase();
    const orm = await createOrm(db.url, 1, createLogger('error'));
    try {
      const drift = await orm.schema.getUpdateSchemaSQL({ wrap: false, dropTables: false });
      expect(drift.trim()).toBe('');
    } finally {
      await orm.close();
      await db.drop();
    }
  });
});
