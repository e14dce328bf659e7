// The README shows the parts diagram inline (GitHub renders ```mermaid blocks, but cannot include a
// file); docs/images/parts.mmd is its source. Fails when the two copies differ.
import { readFileSync } from 'node:fs';

const source = readFileSync(new URL('../docs/images/parts.mmd', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
if (!readme.includes(`\`\`\`mermaid\n${source}\`\`\``)) {
  console.error('README.md: its ```mermaid block differs from docs/images/parts.mmd; copy the file into the block.');
  process.exit(1);
}
