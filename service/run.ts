import { isValidIban } from '../domain/identifiers';
import { ConfigError, loadConfig, type Config } from '../infra/config';
import { createLogger, installTemporalRuntimeLogger } from '../infra/logger';
import { QUEUES, type QueueName } from '../worker/workers';
import { startService, type ServiceOptions } from './service';

/** What the configuration's schema cannot check without the domain's rules: the funder's IBAN checksum. */
export function checkDomainRules(config: Config): void {
  if (!isValidIban(config.funder.iban)) {
    throw new ConfigError([{ variable: 'FUNDER_IBAN', message: 'not a valid IBAN (length or mod-97 checksum)' }]);
  }
}

/** Reads `--queue main|ocr` (repeatable; default: both queues). */
export function parseQueues(argv: readonly string[]): QueueName[] {
  const queues: QueueName[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg !== '--queue')
      throw new ConfigError([{ variable: arg ?? '?', message: 'unknown argument (expected --queue main|ocr)' }]);
    const queue = argv[++i];
    if (!QUEUES.includes(queue as QueueName)) {
      throw new ConfigError([{ variable: '--queue', message: `expected one of: ${QUEUES.join(', ')}` }]);
    }
    queues.push(queue as QueueName);
  }
  return queues.length > 0 ? queues : [...QUEUES];
}

function banner(config: Config, service: Awaited<ReturnType<typeof startService>>, options: ServiceOptions): string {
  const lines = [
    '',
    'Invoice workflow service is running.',
    service.apiUrl && `  Web pages:    ${service.apiUrl}/   (sign in with a token)`,
    service.apiUrl && `  API:          ${service.apiUrl}/api   (GET /health, GET /ready)`,
    `  Temporal:     ${service.temporalAddress}, namespace ${config.temporal.namespace}`,
    service.temporalUiUrl && `  Temporal UI:  ${service.temporalUiUrl}`,
    options.queues.length > 0 &&
      `  Task queues:  ${options.queues.map((q) => (q === 'main' ? config.temporal.taskQueue : config.temporal.ocrTaskQueue)).join(', ')}`,
    `  Database:     ${config.database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.database.dataDir}`}`,
    '  Press Ctrl-C to stop.',
    '',
  ];
  return lines.filter((l) => typeof l === 'string').join('\n') + '\n';
}

/**
 * Runs the service parts of one process until SIGINT/SIGTERM, then stops them cleanly (workers drain, the API
 * closes, the dev server stops); a second signal forces the exit. A bad configuration stops the start with a
 * message naming the variable.
 */
export async function runProcess(makeOptions: (argv: readonly string[]) => ServiceOptions): Promise<void> {
  let config: Config;
  let options: ServiceOptions;
  try {
    config = loadConfig();
    checkDomainRules(config);
    options = makeOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.log);
  installTemporalRuntimeLogger(logger);

  let stopping = false;
  const early = () => {
    logger.warn('interrupted during start-up');
    process.exit(130);
  };
  process.once('SIGINT', early);
  process.once('SIGTERM', early);
  let service: Awaited<ReturnType<typeof startService>>;
  try {
    service = await startService(config, logger, options);
  } catch (error) {
    logger.fatal({ err: error }, 'the service could not start');
    process.exit(1);
  }
  process.removeListener('SIGINT', early);
  process.removeListener('SIGTERM', early);

  let stoppingSince = 0;
  const shutdown = async (reason: string) => {
    if (stopping) {
      // A wrapper may relay the signal the process group already delivered: only a second Ctrl-C forces the exit.
      if (Date.now() - stoppingSince < 1000) return;
      logger.warn('second interrupt: exiting now');
      process.exit(130);
    }
    stopping = true;
    stoppingSince = Date.now();
    logger.info({ reason }, 'stopping: draining workers, closing the API, the database and Temporal');
    await service.stop();
    logger.info('stopped');
    process.exit(0);
  };
  // Signal handlers cannot be awaited; shutdown ends the process itself, whatever happens.
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // A watcher, not a step of the start: workersDone never rejects (service.ts logs a worker's error).
  void service.workersDone.then(() => {
    if (!stopping) void shutdown('a worker stopped');
  });
  process.stdout.write(banner(config, service, options));
}
