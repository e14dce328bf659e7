/**
 * `npm run bench`: the product's real workloads, each next to a baseline measured in the same run.
 * Prints one Markdown table (ours, baseline, ratio, target, met) and writes bench/results/latest.json.
 * `npm run bench -- --help` lists the options and the scenarios.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkNodeAndBuild } from './lib/build.mjs';
import { parseCommandLine, positiveNumber, runCommand, wholeNumber } from './lib/cli.mjs';
import { benchServer, root } from './lib/postgres.mjs';
import { aggregateFigures, markdownTable } from './lib/report.mjs';
import { scenarios, selectScenarios } from './scenarios/index.mjs';

const COMMAND = 'npm run bench';
const DEFAULT_OUT = 'bench/results/latest.json';

const OPTIONS = {
  only: { type: 'string', multiple: true },
  seconds: { type: 'string' },
  repeat: { type: 'string', default: '1' },
  out: { type: 'string', default: DEFAULT_OUT },
  build: { type: 'boolean', default: true },
  help: { type: 'boolean', short: 'h', default: false },
};

function help() {
  const scenarioLines = scenarios.map((s) => `  ${s.id}  ${s.name.padEnd(16)} ${s.measures}; baseline: ${s.baseline}; target: ${s.target}`);
  return `Usage: ${COMMAND} -- [options]

Runs KometPay's workloads against the built API (production mode, its own process, a database of
its own seeded in bulk, the load generator in another process), each next to a baseline measured in
the same run, and prints one Markdown table: ours, baseline, ratio, target, met.

Options:
  --only <ids>      the scenarios to run, by id or name, comma-separated or repeated (default: all)
  --seconds <n>     length of each timed load window: S1 (default 10) and S4 (default 30)
  --repeat <n>      run the chosen scenarios n times in this process, print each run's rows and the
                    median of each figure, and say in how many runs each target was met (default 1)
  --out <file>      where the results go (default ${DEFAULT_OUT}; with --only, the file's
                    rows of the other scenarios are kept). \`npm run bench:table\` prints it as Markdown.
  --no-build        do not build first (by default: turbo run build, a no-op when nothing changed)
  -h, --help        this help

Scenarios (each: what it measures; the baseline run beside it; the target):
${scenarioLines.join('\n')}

Environment: DATABASE_URL, a PostgreSQL server to use (default: an embedded one under .data/bench);
BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each API process into <dir>.

Examples:
  ${COMMAND} -- --only S2
  ${COMMAND} -- --only S1,S3 --seconds 5
  ${COMMAND} -- --only S1 --repeat 3`;
}

async function main() {
  const options = parseCommandLine({ example: `${COMMAND} -- --only S2`, options: OPTIONS });
  if (options.help) return console.log(help());
  const selected = selectScenarios(options.only);
  const seconds = options.seconds === undefined ? undefined : positiveNumber('seconds', options.seconds);
  const repeat = wholeNumber('repeat', options.repeat);
  const out = path.resolve(root, options.out);

  if (options.build) await checkNodeAndBuild();
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const progress = (message) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}`);
  const server = await benchServer();
  /** runs[r] holds the rows of run r + 1, one per selected scenario. */
  const runs = [];
  try {
    for (let r = 1; r <= repeat; r++) {
      const rows = [];
      for (const scenario of selected) {
        if (repeat > 1) progress(`run ${r} of ${repeat}: ${scenario.id}`);
        rows.push(await runScenario(scenario, { adminUrl: server.adminUrl, progress, seconds }));
      }
      if (repeat > 1) console.log(`\nRun ${r} of ${repeat}:\n${markdownTable(rows)}\n`);
      runs.push(rows);
    }
  } finally {
    await server.stop();
  }

  const results =
    repeat === 1
      ? runs[0]
      : await Promise.all(
          selected.map((scenario, i) =>
            medianRow(
              scenario,
              runs.map((rows) => rows[i]),
            ),
          ),
        );
  if (repeat > 1) {
    console.log(`All ${repeat} runs, and the median of each figure:`);
    console.log(
      markdownTable(
        selected.flatMap((scenario, i) => [
          ...runs.map((rows, r) => ({ ...rows[i], id: `${scenario.id} #${r + 1}` })),
          { ...results[i], id: `${scenario.id} median` },
        ]),
      ),
    );
  } else {
    console.log(markdownTable(results));
  }

  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
  await mkdir(path.dirname(out), { recursive: true });
  // With --only, the other scenarios' rows of the last run written to this file are kept.
  const previous = options.only ? JSON.parse(await readFile(out, 'utf8').catch(() => '{"results":[]}')).results : [];
  const merged = [...previous.filter((row) => !results.some((result) => result.id === row.id)), ...results].sort((a, b) =>
    a.id.localeCompare(b.id),
  );
  await writeFile(
    out,
    JSON.stringify(
      {
        startedAt,
        takenAt: new Date().toISOString(),
        machine,
        options: { only: options.only ?? null, seconds: seconds ?? null, repeat },
        results: merged,
        ...(repeat > 1 ? { runs } : {}),
      },
      null,
      2,
    ),
  );
  progress(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; results in ${out.startsWith(root) ? path.relative(root, out) : out}`);
  if (runs.flat().some((row) => row.error)) process.exitCode = 1;
}

/** One scenario, once: its row, or a failed row carrying the error (the other scenarios still run). */
async function runScenario(scenario, context) {
  const takenAt = new Date().toISOString();
  try {
    const { measure, present } = await import(scenario.module);
    const { workload, figures, raw } = await measure(context);
    return { id: scenario.id, name: scenario.name, workload, ...present(figures), target: scenario.target, figures, raw, takenAt };
  } catch (error) {
    context.progress(`${scenario.id} failed: ${error.stack ?? error}`);
    return {
      id: scenario.id,
      name: scenario.name,
      workload: '-',
      ours: 'failed',
      baseline: '-',
      ratio: '-',
      target: scenario.target,
      met: false,
      error: String(error),
      takenAt,
    };
  }
}

/** The median row of a scenario's runs: each figure's median (the worst of failure counts), presented as one run is. */
async function medianRow(scenario, rows) {
  const measured = rows.filter((row) => !row.error);
  const metIn = `${rows.filter((row) => row.met === true).length}/${rows.length} runs`;
  if (!measured.length) return { ...rows[0], met: metIn };
  const { present, worstOf } = await import(scenario.module);
  const figures = aggregateFigures(
    measured.map((row) => row.figures),
    worstOf,
  );
  return {
    id: scenario.id,
    name: scenario.name,
    workload: `${measured[0].workload} (median of ${measured.length} runs${measured.length < rows.length ? `; ${rows.length - measured.length} failed` : ''})`,
    ...present(figures),
    target: scenario.target,
    met: metIn,
    figures,
    takenAt: rows[0].takenAt,
  };
}

await runCommand(COMMAND, main);
