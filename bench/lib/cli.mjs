import { parseArgs } from 'node:util';

/** A refusal of the command line: the caller prints it and exits with code 2 (usage error). */
export class UsageError extends Error {}

/**
 * Parses `argv` strictly with node's util.parseArgs: an unknown option, a missing value or a stray
 * argument is a UsageError naming it. `example` shows a correct command line (for the hint).
 */
export function parseCommandLine({ example, options, argv = process.argv.slice(2) }) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false, allowNegative: true }).values;
  } catch (error) {
    if (!String(error.code).startsWith('ERR_PARSE_ARGS')) throw error;
    let message = error.message.replace(/\. This command does not take positional arguments$/, '');
    // `npm run bench --only S2` (no `--`): npm keeps the option for itself and passes only "S2".
    if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      message += ` (this command takes options only, after \`--\` when run through npm, e.g. \`${example}\`)`;
    throw new UsageError(message);
  }
}

/** A whole number >= min from an option's text, or a UsageError. */
export function wholeNumber(name, text, min = 1) {
  const value = Number(text);
  if (!/^\d+$/.test(String(text).trim()) || value < min) throw new UsageError(`--${name} takes a whole number >= ${min}, not '${text}'`);
  return value;
}

/** A positive number (decimals allowed) from an option's text, or a UsageError. */
export function positiveNumber(name, text) {
  const value = Number(text);
  if (String(text).trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new UsageError(`--${name} takes a positive number, not '${text}'`);
  return value;
}

/** Runs `main`; a UsageError prints its message and the help hint to stderr and exits with 2. */
export async function runCommand(command, main) {
  try {
    await main();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${command}: ${error.message}\nRun \`${command} -- --help\` for the options.`);
    process.exit(2);
  }
}
