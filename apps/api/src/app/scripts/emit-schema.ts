/** Writes the SDL the code builds into packages/schema (`npm run schema:emit`). */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../../kit/settings.js';
import { buildCheckoutSchema, buildMerchantSchema, printSdl } from '../schema.js';

const target = path.join(repoRoot, 'packages/schema');
await writeFile(path.join(target, 'merchant.graphql'), printSdl(await buildMerchantSchema()));
await writeFile(path.join(target, 'checkout.graphql'), printSdl(await buildCheckoutSchema()));
console.log(`wrote ${target}/merchant.graphql and checkout.graphql`);
