import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Config } from './config';

export type { Logger };

/** Structured logs (pino): JSON for machines, one readable line per event in a terminal. */
export function createLogger(log: Config['log']): Logger {
  const options = { level: log.level, base: undefined, redact: ['req.headers.authorization', '*.token'] };
  if (log.format === 'json') return pino(options);
  return pino(
    options,
    pretty({
      colorize: !!process.stdout.isTTY,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
    }),
  );
}

const TEMPORAL_TO_PINO: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Routes the Temporal SDK's logs (worker, activity and workflow loggers, the latter through the SDK's sink)
 * into pino, so a workflow transition logged with `log.info` is one line of the same stream. Install once.
 */
export function installTemporalRuntimeLogger(logger: Logger): void {
  const temporalLogger = logger.child({ component: 'temporal' });
  const level = (logger.level === 'trace' ? 'TRACE' : logger.level === 'debug' ? 'DEBUG' : 'INFO') as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      temporalLogger[TEMPORAL_TO_PINO[entry.level]](entry.meta ?? {}, entry.message);
    }),
  });
}
