import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ReceivedBankFile } from '../api/bank-files';
import { HttpError } from '../api/errors';
import { MAX_BANK_FILE_BYTES } from '../extraction/bank-statement';

/**
 * The folder where the bank's answers may be dropped (BANK_FILES_DIR), for a bank connection that writes files: each
 * file is taken as if an admin had uploaded it (stored, read in a reader process, applied once by its workflow), then
 * moved to `done/`; a file the service refuses goes to `refused/` with a `.txt` saying why; a file met while Temporal
 * or the database is down stays where it is for the next look.
 */

export interface BankFileFolderOptions {
  dir: string;
  /** How often the folder is looked at. */
  intervalMs: number;
  /** A file younger than this may still be being written: it waits for the next look. */
  settleMs?: number;
  receive(file: ReceivedBankFile): Promise<unknown>;
  logger: Logger;
}

/** Moves `file` into `folder`, under a name not taken yet. */
async function moveInto(folder: string, file: string): Promise<string> {
  await fs.mkdir(folder, { recursive: true });
  const { name, ext } = path.parse(file);
  let target = path.join(folder, path.basename(file));
  for (
    let n = 1;
    await fs.stat(target).then(
      () => true,
      () => false,
    );
    n++
  ) {
    target = path.join(folder, `${name}-${n}${ext}`);
  }
  await fs.rename(file, target);
  return target;
}

/** One look at the folder: every settled file is taken, in name order. Returns what became of each. */
export async function takeBankFiles(options: BankFileFolderOptions): Promise<{ done: string[]; refused: string[] }> {
  const { dir, logger } = options;
  const outcome = { done: [] as string[], refused: [] as string[] };
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const files = entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  for (const name of files) {
    const file = path.join(dir, name);
    const stat = await fs.stat(file);
    if (Date.now() - stat.mtimeMs < (options.settleMs ?? 2_000)) continue;
    const refuse = async (message: string) => {
      const target = await moveInto(path.join(dir, 'refused'), file);
      await fs.writeFile(`${target}.txt`, `${message}\n`);
      logger.warn({ file: name, message }, 'bank file refused');
      outcome.refused.push(name);
    };
    if (stat.size > MAX_BANK_FILE_BYTES) {
      await refuse(`Fichier trop volumineux : ${stat.size} octets (au plus ${MAX_BANK_FILE_BYTES}).`);
      continue;
    }
    try {
      await options.receive({ bytes: await fs.readFile(file), fileName: name, source: 'FOLDER', uploadedBy: null });
    } catch (error) {
      if (error instanceof HttpError && error.status < 500) {
        await refuse(error.message);
        continue;
      }
      logger.error({ err: error, file: name }, 'bank file not taken; tried again at the next look');
      continue;
    }
    await moveInto(path.join(dir, 'done'), file);
    logger.info({ file: name }, 'bank file taken from the folder');
    outcome.done.push(name);
  }
  return outcome;
}

/** Looks at the folder at each interval (one look at a time); `stop` ends it. */
export function watchBankFiles(options: BankFileFolderOptions): { stop(): Promise<void> } {
  let looking: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    looking = looking.then(() =>
      takeBankFiles(options).catch((error: unknown) => options.logger.error({ err: error }, 'bank file folder')),
    );
  }, options.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await looking;
    },
  };
}
