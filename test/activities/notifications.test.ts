import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createNotificationActivities } from '../../activities/notifications';
import { MAIL_ATTEMPTS } from '../../domain/mail-templates';
import { createMailer } from '../../infra/mailer';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { insertCfa, insertProForma } from '../helpers/fixtures';
import { freePort } from '../../support/ports';

describe('notification activities', () => {
  let database: TestDatabase;
  let outboxDir: string;
  let number: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    const cfa = await insertCfa(database.db);
    number = (await insertProForma(database.db, cfa.id)).number;
  });
  afterAll(() => database.drop());
  beforeEach(() => {
    outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
  });
  afterEach(() => fs.rmSync(outboxDir, { recursive: true, force: true }));

  const input = (key: string) => ({
    key,
    number,
    template: 'VALIDATED' as const,
    to: 'facturation@cfa.example',
    data: { number, kind: 'INVOICE', natureLabel: 'Pédagogie', total: '2 575,00 €' },
  });

  async function notification(key: string) {
    return database.db
      .selectFrom('notifications')
      .selectAll()
      .where('idempotency_key', '=', key)
      .executeTakeFirstOrThrow();
  }

  it('writes a French e-mail as an .eml file to the outbox when no SMTP server is configured, and records it', async () => {
    const activities = createNotificationActivities({
      db: database.db,
      mailer: createMailer({ outboxDir, from: 'factures@opco.example' }),
    });
    await new MockActivityEnvironment().run(activities.sendStatusEmail, input('outbox-1'));
    const files = fs.readdirSync(outboxDir);
    expect(files).toHaveLength(1);
    const mail = await simpleParser(fs.readFileSync(path.join(outboxDir, files[0] as string)));
    expect(mail.subject).toBe(`Facture validée — facture pro forma ${number}`);
    expect(mail.text).toContain('a été validée');
    expect(await notification('outbox-1')).toMatchObject({
      status: 'SENT',
      transport: 'OUTBOX',
      attempts: 1,
      location: path.join(outboxDir, files[0] as string),
    });
  });

  it('sends once however often the activity is retried', async () => {
    const activities = createNotificationActivities({
      db: database.db,
      mailer: createMailer({ outboxDir, from: 'factures@opco.example' }),
    });
    const env = new MockActivityEnvironment();
    await env.run(activities.sendStatusEmail, input('retried-1'));
    await env.run(activities.sendStatusEmail, input('retried-1'));
    expect(fs.readdirSync(outboxDir)).toHaveLength(1);
    expect(await notification('retried-1')).toMatchObject({ status: 'SENT', attempts: 1 });
  });

  it('sends through SMTP when SMTP_URL is set', async () => {
    const smtp = await startSmtpServer();
    try {
      const activities = createNotificationActivities({
        db: database.db,
        mailer: createMailer({ outboxDir, smtpUrl: smtp.url, from: 'factures@opco.example' }),
      });
      await new MockActivityEnvironment().run(activities.sendStatusEmail, input('smtp-1'));
      const mail = await simpleParser(await smtp.firstMessage);
      expect(mail.subject).toBe(`Facture validée — facture pro forma ${number}`);
      expect(await notification('smtp-1')).toMatchObject({ status: 'SENT', transport: 'SMTP' });
      expect(fs.readdirSync(outboxDir)).toEqual([]);
    } finally {
      await smtp.close();
    }
  });

  it('records a failure: pending while Temporal retries, FAILED after the last attempt', async () => {
    const closedPort = await freePort();
    const activities = createNotificationActivities({
      db: database.db,
      mailer: createMailer({ outboxDir, smtpUrl: `smtp://127.0.0.1:${closedPort}`, from: 'factures@opco.example' }),
    });
    await expect(
      new MockActivityEnvironment({ attempt: 1 }).run(activities.sendStatusEmail, input('down-1')),
    ).rejects.toThrow();
    expect(await notification('down-1')).toMatchObject({ status: 'PENDING', attempts: 1 });
    await expect(
      new MockActivityEnvironment({ attempt: MAIL_ATTEMPTS }).run(activities.sendStatusEmail, input('down-1')),
    ).rejects.toThrow();
    const row = await notification('down-1');
    expect(row).toMatchObject({ status: 'FAILED', attempts: 2 });
    expect(row.error).toMatch(/ECONNREFUSED/);
  });
});

/** A real SMTP server on a free port, keeping the first message it receives. */
async function startSmtpServer(): Promise<{ url: string; firstMessage: Promise<string>; close(): Promise<void> }> {
  let deliver: (raw: string) => void = () => undefined;
  const firstMessage = new Promise<string>((resolve) => (deliver = resolve));
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        deliver(Buffer.concat(chunks).toString('utf8'));
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${port}`,
    firstMessage,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
