import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, envSchema, loadConfig, temporalAddress } from '../../infra/config';
import { checkDomainRules } from '../../service/run';

const cwd = '/srv/app';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('starts with embedded defaults when nothing is set', () => {
    const config = loadConfig({}, cwd);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(config.database).toEqual({ kind: 'pglite', dataDir: '/srv/app/data/pglite' });
    expect(config.storageDir).toBe('/srv/app/data/documents');
    expect(config.mail.outboxDir).toBe('/srv/app/data/outbox');
    expect(config.temporal.address).toBeUndefined();
    expect(temporalAddress(config)).toBe('127.0.0.1:7233');
    expect(config.temporal.devServer).toMatchObject({
      port: 7233,
      uiPort: 8233,
      dbFile: '/srv/app/data/temporal.sqlite',
    });
    expect(config.temporal).toMatchObject({ namespace: 'default', taskQueue: 'pro-formas', ocrTaskQueue: 'ocr' });
    expect(config.worker.shutdownGraceMs).toBe(30_000);
    expect(config.demoData).toBe(true);
  });

  it('uses PostgreSQL when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/invoices', DATABASE_POOL_SIZE: '4' }, cwd);
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/invoices', poolSize: 4 });
  });

  it.each([
    ['the embedded database', true, {}],
    ['DATABASE_URL', false, { DATABASE_URL: 'postgres://u@db:5432/invoices' }],
    ['DATABASE_URL and DEMO_DATA=true', true, { DATABASE_URL: 'postgres://u@db:5432/invoices', DEMO_DATA: 'true' }],
    ['the embedded database and DEMO_DATA=false', false, { DEMO_DATA: 'false' }],
  ])('with %s, loading the demo data is %s', (_what, expected, env) => {
    expect(loadConfig(env, cwd).demoData).toBe(expected);
  });

  it('uses an existing Temporal cluster, with TLS, when TEMPORAL_ADDRESS is set', () => {
    const config = loadConfig(
      { TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_TLS: 'true' },
      cwd,
    );
    expect(temporalAddress(config)).toBe('ns.acct.tmprl.cloud:7233');
    expect(config.temporal.namespace).toBe('ns.acct');
    expect(config.temporal.tls).toBeDefined();
  });

  it.each([
    ['DEMO_DATA', 'false', (c: ReturnType<typeof loadConfig>) => c.demoData, false],
    ['DEMO_DATA', '0', (c: ReturnType<typeof loadConfig>) => c.demoData, false],
    ['TEMPORAL_TLS', 'false', (c: ReturnType<typeof loadConfig>) => c.temporal.tls, undefined],
    ['WORKER_SHUTDOWN_GRACE', '2m', (c: ReturnType<typeof loadConfig>) => c.worker.shutdownGraceMs, 120_000],
    ['PORT', '8080', (c: ReturnType<typeof loadConfig>) => c.http.port, 8080],
  ])('parses %s=%s explicitly', (variable, value, read, expected) => {
    expect(read(loadConfig({ [variable]: value }, cwd))).toEqual(expected);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['TEMPORAL_UI_PORT', '0'],
    ['DATABASE_URL', 'mysql://root@localhost/db'],
    ['DEMO_DATA', 'maybe'],
    ['TEMPORAL_TLS', 'yes please'],
    ['LOG_LEVEL', 'verbose'],
    ['WORKER_SHUTDOWN_GRACE', '30 seconds'],
    ['ADMIN_TOKEN', 'short'],
    ['SMTP_URL', 'http://mail'],
    ['OCR_CONCURRENCY', '0'],
  ])('refuses %s=%s with a message naming the variable', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.issues.map((i) => i.variable)).toEqual([variable]);
    expect(error.message).toContain(variable);
  });

  it('reports every bad variable at once', () => {
    const error = configError({ PORT: 'x', LOG_LEVEL: 'loud' });
    expect(error.issues.map((i) => i.variable).sort()).toEqual(['LOG_LEVEL', 'PORT']);
  });

  it('requires the key with a client certificate', () => {
    expect(configError({ TEMPORAL_TLS_CERT_PATH: '/certs/client.pem' }).issues[0]?.variable).toBe(
      'TEMPORAL_TLS_KEY_PATH',
    );
  });

  it('reads the funder, its address by lines, and refuses an IBAN whose checksum fails at start', () => {
    const config = loadConfig(
      {
        FUNDER_NAME: 'Opco Test',
        FUNDER_ADDRESS: '1 rue A | 75001 Paris',
        FUNDER_IBAN: 'fr76 3000 6000 0112 3456 7890 189',
      },
      cwd,
    );
    expect(config.funder).toMatchObject({
      name: 'Opco Test',
      address: ['1 rue A', '75001 Paris'],
      iban: 'FR7630006000011234567890189',
      bic: 'AGRIFRPP',
    });
    expect(() => checkDomainRules(config)).not.toThrow();
    const wrong = loadConfig({ FUNDER_IBAN: 'FR7630006000011234567890188' }, cwd);
    expect(() => checkDomainRules(wrong)).toThrow(/FUNDER_IBAN/);
    expect(configError({ FUNDER_BIC: 'agri' }).issues.map((i) => i.variable)).toEqual(['FUNDER_BIC']);
  });

  it('reads the payment runs: the schedule (or off), the grouping, the cut-off, the bank files folder', () => {
    expect(loadConfig({}, cwd).paymentRuns).toEqual({
      cron: '0 10 * * 1-5',
      grouping: 'PER_CFA',
      cutoffMs: 0,
      bankFilesDir: undefined,
    });
    expect(loadConfig({}, cwd).timings.repaymentReminderAfterMs).toBe(15 * 86_400_000);
    const set = loadConfig(
      {
        PAYMENT_RUN_CRON: 'off',
        PAYMENT_RUN_GROUPING: 'PER_INVOICE',
        PAYMENT_RUN_CUTOFF: '2h',
        BANK_FILES_DIR: 'bank',
        REPAYMENT_REMINDER_AFTER: '7d',
      },
      cwd,
    );
    expect(set.paymentRuns).toEqual({
      cron: null,
      grouping: 'PER_INVOICE',
      cutoffMs: 7_200_000,
      bankFilesDir: '/srv/app/bank',
    });
    expect(set.timings.repaymentReminderAfterMs).toBe(7 * 86_400_000);
    expect(loadConfig({ PAYMENT_RUN_CRON: '30 9 * * 2' }, cwd).paymentRuns.cron).toBe('30 9 * * 2');
    expect(
      configError({ PAYMENT_RUN_CRON: 'every day', PAYMENT_RUN_GROUPING: 'PER_DAY' })
        .issues.map((i) => i.variable)
        .sort(),
    ).toEqual(['PAYMENT_RUN_CRON', 'PAYMENT_RUN_GROUPING']);
  });

  it('returns a frozen configuration', () => {
    const config = loadConfig({}, cwd);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.temporal.devServer)).toBe(true);
  });

  it('is documented: README names every variable', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const undocumented = Object.keys(envSchema.shape).filter((name) => !readme.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });
});
