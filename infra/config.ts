import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/**
 * The only reader of `process.env`. Every variable is documented in README.md ("Configuration");
 * keep the two in step (test/infra/config.test.ts checks that README names each of them).
 */

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(1).max(65535);

const DURATION = /^(\d+)\s*(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Durations are written `500ms`, `30s`, `15m`, `2h`, `15d`; parsed to milliseconds. */
const duration = z
  .string()
  .regex(DURATION, { message: 'expected a duration such as 30s, 15m, 2h or 15d' })
  .transform((v) => {
    const [, n, unit] = DURATION.exec(v) as RegExpExecArray;
    return Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  });

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

export const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, { message: 'expected a postgres:// or postgresql:// URL' })
      .optional(),
  ),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  STORAGE_DIR: optionalText,
  OUTBOX_DIR: optionalText,
  SMTP_URL: optionalText.pipe(
    z
      .string()
      .regex(/^smtps?:\/\//, { message: 'expected an smtp:// or smtps:// URL' })
      .optional(),
  ),
  MAIL_FROM: z.string().min(3).default('Opco Factures <factures@opco.example>'),

  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TLS: booleanString.default(false),
  TEMPORAL_TLS_CERT_PATH: optionalText,
  TEMPORAL_TLS_KEY_PATH: optionalText,
  TEMPORAL_TLS_CA_PATH: optionalText,
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  TEMPORAL_API_KEY: optionalText,
  TEMPORAL_CLI: optionalText,
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_DEV_DB: optionalText,
  TASK_QUEUE: z.string().min(1).default('pro-formas'),
  OCR_TASK_QUEUE: z.string().min(1).default('ocr'),
  OCR_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(Math.max(1, os.availableParallelism())),
  WORKER_SHUTDOWN_GRACE: duration.prefault('30s'),
  READ_DEADLINE: duration.prefault('60s'),
  OCR_HEARTBEAT_TIMEOUT: duration.prefault('20s'),
  READER_MEMORY_LIMIT_MB: z.coerce.number().int().min(128).max(65_536).default(1024),
  REMINDER_AFTER: duration.prefault('15d'),
  ESCALATE_AFTER: duration.prefault('5d'),
  CLAIM_TTL: duration.prefault('30m'),
  /** In euros; above it an approval needs a second validator. 'off' disables the four-eyes rule. */
  FOUR_EYES_THRESHOLD: z.union([z.literal('off'), z.coerce.number().nonnegative().max(100_000_000)]).default(10_000),
  /** Per cost nature, e.g. `MOBILITE=5000,PEDAGOGIE=20000` (euros). */
  FOUR_EYES_THRESHOLD_BY_NATURE: optionalText.pipe(
    z
      .string()
      .regex(
        /^\s*(PEDAGOGIE|FRAIS_ANNEXES|PREMIER_EQUIPEMENT|MOBILITE)\s*=\s*\d+(\.\d{1,2})?\s*(,\s*(PEDAGOGIE|FRAIS_ANNEXES|PREMIER_EQUIPEMENT|MOBILITE)\s*=\s*\d+(\.\d{1,2})?\s*)*$/,
        {
          message: 'expected NATURE=euros pairs separated by commas, e.g. MOBILITE=5000,PEDAGOGIE=20000',
        },
      )
      .optional(),
  ),
  SAMPLING_RATE: z.coerce.number().min(0).max(1).default(0.05),

  TEMPORAL_CALL_TIMEOUT: duration.prefault('10s'),
  API_JSON_LIMIT: z.coerce.number().int().min(1024).max(10_485_760).default(102_400),
  UPLOAD_RATE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(30),
  UPLOAD_RATE_WINDOW: duration.prefault('1m'),
  /** Failed sign-ins of the web pages (POST /api/session) allowed per address in 15 minutes (beyond: 429). */
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(20),
  IMPORT_MAX_BYTES: z.coerce.number().int().min(1024).max(104_857_600).default(10_485_760),

  /** How long a token is valid after it is issued (creation, invitation, rotation); 'never' for no expiry. */
  TOKEN_TTL: z.union([z.literal('never'), duration]).prefault('90d'),
  /** How long a browser session of the web pages lasts (never beyond its token's expiry). */
  SESSION_TTL: duration.prefault('12h'),
  /** Temporal UI as users reach it: the web pages link each pro forma to its workflow (default: the dev server's). */
  TEMPORAL_UI_URL: optionalText.pipe(z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }).optional()),
  /** How long an invitation link can be used. */
  INVITATION_TTL: duration.prefault('72h'),
  /** The service's address as users reach it: the base of the links in e-mails (default http://HOST:PORT). */
  PUBLIC_URL: optionalText.pipe(z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }).optional()),
  /** Payment runs: when the schedule starts one (cron, Europe/Paris), 'off' for none (runs started by admins only). */
  PAYMENT_RUN_CRON: z
    .string()
    .trim()
    .regex(/^(off|(\S+\s+){4}\S+)$/, { message: 'expected a five-field cron expression or off' })
    .default('0 10 * * 1-5'),
  /** One transfer per CFA (its invoices together) or per invoice. */
  PAYMENT_RUN_GROUPING: z.enum(['PER_CFA', 'PER_INVOICE']).default('PER_CFA'),
  /** A run pays what was validated at least this long before it started (0s: everything validated so far). */
  PAYMENT_RUN_CUTOFF: duration.prefault('0s'),
  /** A CFA owing a REMBOURSEMENT credit note is reminded this long after its validation, then at the same interval. */
  REPAYMENT_REMINDER_AFTER: duration.prefault('15d'),
  /** A folder watched for the bank's camt.054 / pain.002 files (none by default). */
  BANK_FILES_DIR: optionalText,
  /** The funder (Opco) as documents print it and as the debtor of payment files. Demo values by default. */
  FUNDER_NAME: z.string().trim().min(1).max(70).default("Opco (financeur de l'apprentissage)"),
  FUNDER_DEPARTMENT: z.string().trim().min(1).max(140).default('Service Factures apprentissage'),
  /** Postal address lines separated by `|`. */
  FUNDER_ADDRESS: z.string().trim().min(1).max(300).default('Adresse postale du financeur|75000 Paris'),
  FUNDER_EMAIL: z.email().default('factures@opco.example'),
  FUNDER_IBAN: z
    .string()
    .transform((v) => v.replace(/\s+/g, '').toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/, { message: 'expected an IBAN' }))
    .default('FR7630006000011234567890189'),
  FUNDER_BIC: z
    .string()
    .regex(/^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/, { message: 'expected a BIC (8 or 11 characters)' })
    .default('AGRIFRPP'),
  ADMIN_TOKEN: optionalText.pipe(z.string().min(16, { message: 'must be at least 16 characters' }).optional()),
  /** Unset: true with the embedded database only; a shared PostgreSQL gets demo users only when asked. */
  DEMO_DATA: booleanString.optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
});

export type Env = z.input<typeof envSchema>;

function thresholdsByNature(text: string | undefined): Record<string, number> {
  if (!text) return {};
  return Object.fromEntries(
    text.split(',').map((pair) => {
      const [nature, euros] = pair.split('=').map((part) => part.trim());
      return [nature, Math.round(Number(euros) * 100)];
    }),
  );
}

export interface TemporalTls {
  serverName?: string;
  serverRootCACertificatePath?: string;
  clientCertPath?: string;
  clientKeyPath?: string;
}

export interface Config {
  http: { host: string; port: number };
  dataDir: string;
  database: { kind: 'postgres'; url: string; poolSize: number } | { kind: 'pglite'; dataDir: string };
  storageDir: string;
  mail: { outboxDir: string; smtpUrl?: string; from: string };
  temporal: {
    /** Unset: the service runs its own dev server (`devServer` below). */
    address?: string;
    namespace: string;
    tls?: TemporalTls;
    apiKey?: string;
    taskQueue: string;
    ocrTaskQueue: string;
    devServer: { cliPath?: string; port: number; uiPort: number; dbFile: string };
  };
  worker: { ocrConcurrency: number; shutdownGraceMs: number };
  /**
   * The reader processes that parse users' files (invoices on the OCR worker, workbooks in the API): a reader is
   * killed past its deadline or its resident memory limit, and the document ends unreadable.
   */
  reader: { deadlineMs: number; memoryLimitMb: number };
  api: {
    /** Deadline of every Temporal call made by the API: with no worker polling, an update would wait forever. */
    temporalCallTimeoutMs: number;
    /** Largest JSON body accepted, in bytes. */
    jsonLimitBytes: number;
    /** Uploads (deposits, imports) allowed per token and window. */
    uploadRateLimit: { max: number; windowMs: number };
    /** Failed sign-ins per address and 15 minutes. */
    loginRateLimit: number;
    /** Largest contracts workbook accepted by the import, in bytes. */
    importMaxBytes: number;
  };
  /** Reminder to the CFA while an invoice is awaited; alert to validators while a decision is awaited. */
  timings: {
    reminderAfterMs: number;
    escalateAfterMs: number;
    /** A reading whose worker stops heartbeating (every second) this long is taken over by another worker. */
    ocrHeartbeatTimeoutMs: number;
    /** A CFA owing a REMBOURSEMENT credit note is reminded at this interval until its transfer is received. */
    repaymentReminderAfterMs: number;
  };
  /** Payment runs: the schedule (null: none), the grouping of transfers, the cut-off, the bank files' folder. */
  paymentRuns: {
    cron: string | null;
    grouping: 'PER_CFA' | 'PER_INVOICE';
    cutoffMs: number;
    bankFilesDir?: string;
  };
  /** The validation desk: claims, four eyes (cents; null: off) per cost nature, sampling of trusted CFAs. */
  desk: {
    claimTtlMs: number;
    fourEyesAboveCents: number | null;
    /** By cost nature code (PEDAGOGIE, FRAIS_ANNEXES, PREMIER_EQUIPEMENT, MOBILITE). */
    fourEyesAboveCentsByNature: Readonly<Record<string, number>>;
    samplingRate: number;
  };
  /** The funder: printed on documents, debtor of the payment files. */
  funder: {
    name: string;
    department: string;
    address: readonly string[];
    email: string;
    iban: string;
    bic: string;
  };
  /** Users' tokens (null: they never expire) and invitations, and the base of the links sent by e-mail. */
  accounts: { tokenTtlMs: number | null; invitationTtlMs: number; sessionTtlMs: number; publicUrl: string };
  /** Temporal UI's address for links (null: none known). */
  temporalUiUrl: string | null;
  adminToken?: string;
  demoData: boolean;
  log: { level: string; format: 'pretty' | 'json' };
}

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads, validates and freezes the configuration. Throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Config {
  const known = Object.fromEntries(Object.keys(envSchema.shape).map((k) => [k, env[k]]));
  const parsed = envSchema.safeParse(known);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), message: issue.message })),
    );
  }
  const e = parsed.data;
  const dataDir = path.resolve(cwd, e.DATA_DIR);
  const inData = (p: string | undefined, fallback: string) => path.resolve(cwd, p ?? path.join(dataDir, fallback));

  if (e.TEMPORAL_TLS_CERT_PATH && !e.TEMPORAL_TLS_KEY_PATH) {
    throw new ConfigError([{ variable: 'TEMPORAL_TLS_KEY_PATH', message: 'required with TEMPORAL_TLS_CERT_PATH' }]);
  }
  const tlsWanted = e.TEMPORAL_TLS || !!e.TEMPORAL_TLS_CERT_PATH || !!e.TEMPORAL_API_KEY;
  const tls: TemporalTls | undefined = tlsWanted
    ? {
        serverName: e.TEMPORAL_TLS_SERVER_NAME,
        serverRootCACertificatePath: e.TEMPORAL_TLS_CA_PATH,
        clientCertPath: e.TEMPORAL_TLS_CERT_PATH,
        clientKeyPath: e.TEMPORAL_TLS_KEY_PATH,
      }
    : undefined;

  const config: Config = {
    http: { host: e.HOST, port: e.PORT },
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE }
      : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') },
    storageDir: inData(e.STORAGE_DIR, 'documents'),
    mail: { outboxDir: inData(e.OUTBOX_DIR, 'outbox'), smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      tls,
      apiKey: e.TEMPORAL_API_KEY,
      taskQueue: e.TASK_QUEUE,
      ocrTaskQueue: e.OCR_TASK_QUEUE,
      devServer: {
        cliPath: e.TEMPORAL_CLI,
        port: e.TEMPORAL_DEV_PORT,
        uiPort: e.TEMPORAL_UI_PORT,
        dbFile: inData(e.TEMPORAL_DEV_DB, 'temporal.sqlite'),
      },
    },
    worker: { ocrConcurrency: e.OCR_CONCURRENCY, shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE },
    reader: { deadlineMs: e.READ_DEADLINE, memoryLimitMb: e.READER_MEMORY_LIMIT_MB },
    api: {
      temporalCallTimeoutMs: e.TEMPORAL_CALL_TIMEOUT,
      jsonLimitBytes: e.API_JSON_LIMIT,
      uploadRateLimit: { max: e.UPLOAD_RATE_LIMIT, windowMs: e.UPLOAD_RATE_WINDOW },
      loginRateLimit: e.LOGIN_RATE_LIMIT,
      importMaxBytes: e.IMPORT_MAX_BYTES,
    },
    timings: {
      reminderAfterMs: e.REMINDER_AFTER,
      escalateAfterMs: e.ESCALATE_AFTER,
      ocrHeartbeatTimeoutMs: e.OCR_HEARTBEAT_TIMEOUT,
      repaymentReminderAfterMs: e.REPAYMENT_REMINDER_AFTER,
    },
    paymentRuns: {
      cron: e.PAYMENT_RUN_CRON === 'off' ? null : e.PAYMENT_RUN_CRON,
      grouping: e.PAYMENT_RUN_GROUPING,
      cutoffMs: e.PAYMENT_RUN_CUTOFF,
      bankFilesDir: e.BANK_FILES_DIR === undefined ? undefined : path.resolve(cwd, e.BANK_FILES_DIR),
    },
    desk: {
      claimTtlMs: e.CLAIM_TTL,
      fourEyesAboveCents: e.FOUR_EYES_THRESHOLD === 'off' ? null : Math.round(e.FOUR_EYES_THRESHOLD * 100),
      fourEyesAboveCentsByNature: thresholdsByNature(e.FOUR_EYES_THRESHOLD_BY_NATURE),
      samplingRate: e.SAMPLING_RATE,
    },
    funder: {
      name: e.FUNDER_NAME,
      department: e.FUNDER_DEPARTMENT,
      address: e.FUNDER_ADDRESS.split('|')
        .map((line) => line.trim())
        .filter((line) => line !== ''),
      email: e.FUNDER_EMAIL,
      iban: e.FUNDER_IBAN,
      bic: e.FUNDER_BIC,
    },
    accounts: {
      tokenTtlMs: e.TOKEN_TTL === 'never' ? null : e.TOKEN_TTL,
      invitationTtlMs: e.INVITATION_TTL,
      sessionTtlMs: e.SESSION_TTL,
      publicUrl: (e.PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`).replace(/\/+$/, ''),
    },
    temporalUiUrl: e.TEMPORAL_UI_URL?.replace(/\/+$/, '') ?? null,
    adminToken: e.ADMIN_TOKEN,
    demoData: e.DEMO_DATA ?? !e.DATABASE_URL,
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json') },
  };
  return deepFreeze(config);
}

/** The Temporal frontend address the service talks to: the configured cluster, else its own dev server. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
