import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateSecret } from '../../domain/tokens.js';
import { MIN_CURSOR_SECRET_LENGTH, type Settings } from '../../kit/settings.js';

const isCode = (error: unknown, code: string) => (error as { code?: unknown } | null)?.code === code;

/**
 * The secrets that sign event cursors: CURSOR_SECRETS when set (production must set it). Elsewhere,
 * one generated on first start and kept in `<dataDir>/cursor-secret` (owner-readable, like the demo
 * credentials), so that cursors survive a restart and every instance sharing the data directory
 * agrees. A fixed built-in default would let anyone forge cursors on a development instance; a
 * secret generated at each start would break every live cursor at each restart.
 */
export async function cursorSecretsFor(settings: Settings): Promise<string[]> {
  if (settings.cursorSecrets.length) return settings.cursorSecrets;
  if (settings.production) throw new Error('NODE_ENV=production needs CURSOR_SECRETS');
  const file = path.join(settings.dataDir, 'cursor-secret');
  const stored = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    (error: unknown) => {
      if (isCode(error, 'ENOENT')) return null;
      throw error;
    },
  );
  if (stored !== null) {
    if (stored.length < MIN_CURSOR_SECRET_LENGTH)
      throw new Error(
        `${file} holds a cursor secret shorter than ${MIN_CURSOR_SECRET_LENGTH} characters: delete it to have a new one generated`,
      );
    return [stored];
  }
  await mkdir(settings.dataDir, { recursive: true });
  const secret = generateSecret(32);
  // Written whole under a name of its own, then linked into place: another instance starting on the
  // same directory never reads a half-written file, and if it linked its own first, theirs wins.
  const draft = `${file}.${process.pid}.${generateSecret(6)}`;
  await writeFile(draft, `${secret}\n`, { mode: 0o600 });
  try {
    await link(draft, file);
  } catch (error) {
    if (isCode(error, 'EEXIST')) return cursorSecretsFor(settings);
    throw error;
  } finally {
    await unlink(draft);
  }
  return [secret];
}
