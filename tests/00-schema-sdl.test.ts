import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCheckoutSchema, buildMerchantSchema, printSdl } from '../apps/api/src/graphql/schema.js';

const schemaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/schema');

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

describe('the committed migrations', () => {
  it('produce exactly the schema the entities describe', async () => {
    const { createTestDatabase } = await import('./support/database.js');
    const { createOrm } = await import('../apps/api/src/db/orm.js');
    const { createLogger } = await import('../apps/api/src/logger.js');
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
