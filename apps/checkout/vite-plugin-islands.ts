import path from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { build, type Plugin, type Rollup } from 'vite';

/**
 * The only JavaScript the checkout's pages load: an "island" per interactive page that hydrates its
 * screen, and nothing else.
 *
 * Every page is rendered on the server with SvelteKit's client router turned off (`csr = false` in
 * the root layout): the router and its runtime alone weigh about 28 KB gzipped, nearly a page's whole
 * 30 KB budget, and a page you reach from an email needs no client-side navigation. Instead, this
 * plugin bundles each island's entry (Svelte's runtime and that screen's components) on its own
 * during the server build, and hands the server its URL through a `virtual:<name>` module. Each
 * island is a separate bundle, so a page loads one file (plus, in Stripe mode, the Stripe form's
 * chunk) and never another page's code. The files are emitted as hashed assets under
 * `_app/immutable/assets/`, which SvelteKit copies to the client output, so adapter-node serves them
 * precompressed and cacheable forever. In `vite dev` the URL is the entry's source path, which Vite
 * serves itself.
 */
const ISLANDS: Record<string, string> = {
  'pay-island': 'src/pay-island.ts', // the pay page, /pay/[token]
  'card-island': 'src/card-island.ts', // the add-card page, /card/[token]
};
const OUTPUT_DIR = '_app/immutable/assets';

export function islands(): Plugin {
  let root = '';
  let serving = false;
  const bundles = new Map<string, Promise<Rollup.OutputChunk[]>>();

  const bundleIsland = async (name: string): Promise<Rollup.OutputChunk[]> => {
    const result = await build({
      configFile: false,
      root,
      logLevel: 'warn',
      plugins: [svelte({ configFile: false })],
      resolve: { alias: { $lib: path.join(root, 'src/lib') } },
      build: {
        write: false,
        minify: true,
        target: 'es2022',
        modulePreload: false,
        rollupOptions: {
          input: path.join(root, ISLANDS[name]),
          output: {
            format: 'es',
            entryFileNames: `${OUTPUT_DIR}/${name}.[hash].js`,
            chunkFileNames: `${OUTPUT_DIR}/${name}-[name].[hash].js`,
          },
        },
      },
    });
    const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
    return outputs.flatMap((output) => output.output).filter((file): file is Rollup.OutputChunk => file.type === 'chunk');
  };

  const islandOf = (id: string): string | undefined => {
    const name = id.startsWith('\0virtual:') ? id.slice('\0virtual:'.length) : undefined;
    return name && name in ISLANDS ? name : undefined;
  };

  return {
    name: 'kometpay:islands',
    configResolved(config) {
      root = config.root;
      serving = config.command === 'serve';
    },
    resolveId(id) {
      return id.startsWith('virtual:') && id.slice('virtual:'.length) in ISLANDS ? `\0${id}` : undefined;
    },
    async load(id) {
      const name = islandOf(id);
      if (!name) return;
      if (serving) return `export default ${JSON.stringify(`/${ISLANDS[name]}`)};`;
      if (!bundles.has(name)) bundles.set(name, bundleIsland(name));
      const entry = (await bundles.get(name)!).find((chunk) => chunk.isEntry)!;
      return `export default ${JSON.stringify(`/${entry.fileName}`)};`;
    },
    async generateBundle() {
      for (const bundle of bundles.values()) {
        for (const chunk of await bundle) this.emitFile({ type: 'asset', fileName: chunk.fileName, source: chunk.code });
      }
    },
  };
}
