import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { sql } from 'kysely';
import { createDb } from '../../db/connect';
import { DEMO_CFA } from '../../db/demo-data';
import { invoiceWorkflowId } from '../../workflows/invoice.messages';
import { imagePdf, renderedText } from '../extraction/fixtures';
import { invoiceLines, type InvoiceValues } from '../helpers/invoices';
import {
  bootService,
  demoTokens,
  devServerPid,
  isAlive,
  killGroup,
  stopWithCtrlC,
  waitForReady,
  waitUntil,
  watchdogPid,
  type ServiceRun,
} from './service-process';

interface ProFormaDetail {
  number: string;
  totalCents: number;
  status: string;
  stage: string | null;
  documents: unknown[];
  extraction: { engine: string } | null;
  controls: unknown[];
}

/**
 * A scan whose invoice comes last, after pages of terms: only OCR reads it, page after page, for seconds (about
 * 7 s here), so a kill lands in the middle of the reading rather than after it.
 */
async function longScannedInvoice(values: InvoiceValues): Promise<Buffer> {
  const pages = [];
  for (let page = 1; page <= 11; page++) {
    pages.push(
      await renderedText([
        `Conditions generales de vente, page ${page}`,
        'Les prestations de formation sont realisees',
        'selon le programme remis a l apprenti.',
        'Toute reclamation est adressee par ecrit.',
      ]),
    );
  }
  pages.push(await renderedText(invoiceLines(values)));
  return imagePdf(pages);
}

async function api<T>(run: ServiceRun, token: string, pathname: string, init: RequestInit = {}) {
  const res = await fetch(`${run.apiUrl}${pathname}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Whatever a failed test left running is killed by its pid, never by name. */
function killLeft(pids: readonly (number | undefined)[]) {
  for (const pid of pids) {
    if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
}

async function withTemporal<T>(address: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await fn(new Client({ connection }));
  } finally {
    await connection.close();
  }
}

describe('npm start after a kill -9', () => {
  jest.setTimeout(420_000);

  it('comes back after kill -9 of its process group during an OCR reading: the reading is taken over and done once, with one document, one e-mail per step and one audit row per step', async () => {
    const first = await bootService();
    const left: (number | undefined)[] = [];
    let second: ServiceRun | undefined;
    try {
      await waitForReady(first, 180_000);
      const { cfa } = demoTokens(first.output());
      const generated = await api<{ proFormas: { number: string; totalCents: number }[] }>(
        first,
        cfa,
        '/api/pro-formas',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ nature: 'FRAIS_ANNEXES' }),
        },
      );
      expect(generated.status).toBe(201);
      const [proForma] = generated.body.proFormas;
      if (!proForma) throw new Error('no pro forma generated from the demo data');

      const scan = await longScannedInvoice({
        proFormaNumber: proForma.number,
        invoiceNumber: 'FA-2026-0101',
        totalCents: proForma.totalCents,
        siret: DEMO_CFA.siret,
        iban: DEMO_CFA.iban,
      });
      const form = new FormData();
      form.append('file', new Blob([scan], { type: 'application/pdf' }), 'facture.pdf');
      const deposited = await api<ProFormaDetail>(first, cfa, `/api/pro-formas/${proForma.number}/invoice`, {
        method: 'POST',
        body: form,
      });
      expect(deposited.status).toBe(202);
      await waitUntil(
        async () =>
          (await api<ProFormaDetail>(first, cfa, `/api/pro-formas/${proForma.number}`)).body.stage === 'READING',
        30_000,
        'the pro forma is being read',
      );
      // Killed once an OCR worker holds the reading (an activity of the version's invoice workflow), not while it
      // merely waits in the queue.
      const workflowId = invoiceWorkflowId(proForma.number, 1);
      await withTemporal(first.temporalAddress, (client) =>
        waitUntil(
          async () => {
            const { raw } = await client.workflow.getHandle(workflowId).describe();
            return (raw.pendingActivities ?? []).some(
              (a) =>
                a.activityType?.name === 'extractInvoiceFields' &&
                a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
            );
          },
          60_000,
          'an OCR worker has started the reading',
        ),
      );

      const oldServer = devServerPid(first.dataDir);
      const oldWatchdog = watchdogPid(oldServer);
      left.push(oldServer, oldWatchdog);
      expect(oldWatchdog).toBeDefined();
      await killGroup(first);
      // No start has run yet: the watchdog alone stops the dev server of the killed start.
      await waitUntil(() => !isAlive(oldServer), 20_000, 'the watchdog stopped the dev server');
      await waitUntil(() => !isAlive(oldWatchdog as number), 5_000, 'the watchdog exited');

      const restartedAt = Date.now();
      second = await bootService({ dataDir: first.dataDir, ports: first.ports });
      await waitForReady(second, 180_000);
      const restartMs = Date.now() - restartedAt;
      expect(restartMs).toBeLessThan(120_000);

      const restarted = second;
      let detail: ProFormaDetail | undefined;
      await waitUntil(
        async () => {
          detail = (await api<ProFormaDetail>(restarted, cfa, `/api/pro-formas/${proForma.number}`)).body;
          return detail.stage !== 'READING' && detail.stage !== 'CONTROLLING';
        },
        240_000,
        'the reading and the controls are done',
      );
      expect(detail?.documents).toHaveLength(1);
      expect(detail?.extraction?.engine).toBe('OCR');
      expect(detail?.controls.length).toBeGreaterThan(0);
      expect(detail?.status).not.toBe('AWAITING_INVOICE');

      // One reading of the one deposit, finished by a later attempt than the one the kill interrupted.
      const history = await withTemporal(restarted.temporalAddress, (client) =>
        client.workflow.getHandle(workflowId).fetchHistory(),
      );
      const scheduled = (history.events ?? []).filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'extractInvoiceFields',
      );
      expect(scheduled).toHaveLength(1);
      const started = (history.events ?? []).find(
        (e) =>
          Number(e.activityTaskStartedEventAttributes?.scheduledEventId ?? -1) === Number(scheduled[0]?.eventId ?? 0),
      );
      expect(started?.activityTaskStartedEventAttributes?.attempt).toBeGreaterThanOrEqual(2);

      expect(await stopWithCtrlC(restarted)).toBe(0);
      second = undefined;
    } finally {
      if (second) await killGroup(second);
      if (first.child.exitCode === null && first.child.signalCode === null) await killGroup(first);
      killLeft(left);
    }

    // The embedded database, opened once the service has stopped (PGlite is one process's).
    const db = await createDb({ kind: 'pglite', dataDir: path.join(first.dataDir, 'pglite') });
    try {
      const number = (await db.db.selectFrom('pro_formas').select('number').executeTakeFirstOrThrow()).number;
      const documents = await db.db
        .selectFrom('documents as d')
        .innerJoin('pro_formas as p', 'p.id', 'd.pro_forma_id')
        .select('d.version')
        .where('p.number', '=', number)
        .execute();
      expect(documents).toEqual([{ version: 1 }]);

      const audit = await db.db
        .selectFrom('audit_events as a')
        .innerJoin('pro_formas as p', 'p.id', 'a.pro_forma_id')
        .select(['a.action', 'a.from_status', 'a.to_status', sql<string>`a.details::text`.as('details')])
        .where('p.number', '=', number)
        .orderBy('a.id')
        .execute();
      expect(audit.map((a) => a.action)).toContain('DEPOSIT');
      const steps = audit.map((a) => `${a.action} ${a.from_status} ${a.to_status} ${a.details}`);
      expect(new Set(steps).size).toBe(steps.length);

      const notifications = await db.db
        .selectFrom('notifications as n')
        .innerJoin('pro_formas as p', 'p.id', 'n.pro_forma_id')
        .select(['n.template', 'n.status', 'n.location'])
        .where('p.number', '=', number)
        .execute();
      expect(notifications.map((n) => n.template)).toContain('DEPOSIT_RECEIVED');
      expect(new Set(notifications.map((n) => n.template)).size).toBe(notifications.length);
      expect(notifications.every((n) => n.status === 'SENT')).toBe(true);
      // Every .eml in the outbox is the one recorded for its step: a step written twice would leave an extra file.
      const outbox = path.join(first.dataDir, 'outbox');
      const files = fs
        .readdirSync(outbox)
        .filter((f) => f.endsWith('.eml'))
        .map((f) => path.join(outbox, f));
      expect(files.sort()).toEqual(notifications.map((n) => n.location).sort());
    } finally {
      await db.destroy();
    }
    fs.rmSync(first.dataDir, { recursive: true, force: true });
  });

  it('stops a dev server left running by a killed start (watchdog killed too) before it checks the ports, also when its pid file is lost', async () => {
    let run = await bootService();
    const left: (number | undefined)[] = [];
    try {
      await waitForReady(run, 180_000);
      for (const pidFileLost of [false, true]) {
        const server = devServerPid(run.dataDir);
        const watchdog = watchdogPid(server);
        left.push(server, watchdog);
        expect(watchdog).toBeDefined();
        process.kill(watchdog as number, 'SIGKILL');
        await killGroup(run);
        await new Promise((r) => setTimeout(r, 1000));
        // The situation under test: a dev server whose start is gone, still holding the ports.
        expect(isAlive(server)).toBe(true);
        if (pidFileLost) fs.rmSync(path.join(run.dataDir, 'temporal.sqlite.pid'));

        run = await bootService({ dataDir: run.dataDir, ports: run.ports });
        await waitForReady(run, 180_000);
        expect(run.output()).toContain('stopping a Temporal dev server left running by an earlier start');
        expect(run.output()).not.toContain('already in use');
        expect(isAlive(server)).toBe(false);
        expect(devServerPid(run.dataDir)).not.toBe(server);
      }
      expect(await stopWithCtrlC(run)).toBe(0);
    } finally {
      if (run.child.exitCode === null && run.child.signalCode === null) await killGroup(run);
      killLeft(left);
      fs.rmSync(run.dataDir, { recursive: true, force: true });
    }
  });
});
