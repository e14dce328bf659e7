/**
 * `npm run bench:table`: prints a benchmark results file (default bench/results/latest.json) as the
 * Markdown table docs/benchmarks.md shows, with the machine and options it was measured with.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseCommandLine, runCommand } from './lib/cli.mjs';
import { root } from './lib/postgres.mjs';
import { markdownTable } from './lib/report.mjs';

const COMMAND = 'npm run bench:table';
const DEFAULT_FILE = 'bench/results/latest.json';

async function main() {
  const options = parseCommandLine({
    example: `${COMMAND} -- --file ${DEFAULT_FILE}`,
    options: { file: { type: 'string', default: DEFAULT_FILE }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (options.help) {
    return console.log(
      `Usage: ${COMMAND} -- [--file <results.json>]\n\nPrints the results written by \`npm run bench\` (default ${DEFAULT_FILE}) as a Markdown table.`,
    );
  }
  const file = path.resolve(root, options.file);
  const results = JSON.parse(await readFile(file, 'utf8'));
  const { machine, options: run = {} } = results;
  const ran = [
    run.seconds ? `--seconds ${run.seconds}` : null,
    run.repeat > 1 ? `--repeat ${run.repeat} (median of each figure; met: in how many runs)` : null,
  ]
    .filter(Boolean)
    .join(', ');
  console.log(
    `Measured ${results.takenAt} on ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.platform}, node ${machine.node}` +
      `${ran ? `; ${ran}` : ''} (\`${file.startsWith(root) ? path.relative(root, file) : file}\`).\n`,
  );
  console.log(markdownTable(results.results));
  // With --only, a file keeps the other scenarios' rows from earlier runs: say which.
  const earlier = results.startedAt ? results.results.filter((row) => row.takenAt && row.takenAt < results.startedAt) : [];
  if (earlier.length) console.log(`\n${earlier.map((row) => `${row.id} was measured earlier, ${row.takenAt}.`).join(' ')}`);
}

await runCommand(COMMAND, main);
