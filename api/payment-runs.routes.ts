import crypto from 'node:crypto';
import { ScheduleNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { RunInput } from '../activities/payment-runs';
import { findBankFile, listBankFiles } from '../db/bank-files';
import { findPaymentRun, listPaymentRuns, type PaymentRunDetail, type PaymentTransferView } from '../db/payment-runs';
import { maskIban } from '../domain/mail-templates';
import { receiveBankFile, type BankFileResult } from './bank-files';
import type { ApiDeps } from './deps';
import { sendFile } from './downloads';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import { csv, CSV_TYPE, workbook, XLSX_TYPE, type Column } from './exports';
import { pageQuery } from './schemas/common';
import {
  bankFileListResponse,
  bankFileParams,
  bankFileResponse,
  pauseScheduleRequest,
  paymentRunDetailResponse,
  paymentRunListResponse,
  paymentRunParams,
  paymentRunScheduleResponse,
  paymentRunStartedResponse,
  startPaymentRunRequest,
} from './schemas/payment-runs';

/**
 * Payment runs for admins (issue 14): the list, a run's detail (its transfers with the invoices they pay and the credit
 * notes they deduct, the CFAs left out and why), its pain.001 file as stored, and its list as XLSX or CSV. IBANs are
 * masked but for their last 4 characters everywhere but in the file the bank receives. Admins who run the payments
 * start a run now, pause or resume the schedule, and upload the bank's answers (camt.054, pain.002): each is stored
 * first, read in a reader process (deadline, memory cap), then applied by its workflow (workflows/payment-runs.ts).
 */

/** The Schedule the main worker ensures (worker/schedules.ts, PAYMENT_RUN_SCHEDULE_ID). */
export const PAYMENT_RUN_SCHEDULE = 'payment-runs';

/** How long the API waits for a run or a bank file's workflow before answering 202 (it goes on in Temporal). */
const WAIT_FOR_WORKFLOW_MS = 60_000;

interface RunResult {
  number: string;
  told: number;
  notTold: { number: string; kind: 'ISSUE' | 'CONFIRM' | 'REJECT'; message: string }[];
}

/** The workflow's result, or undefined when it is still running after the wait. */
async function resultWithin<T>(handle: WorkflowHandle, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([handle.result() as Promise<T>, late]);
  } finally {
    clearTimeout(timer);
  }
}

const TRANSFER_STATUS_LABELS: Record<PaymentTransferView['status'], string> = {
  ISSUED: 'Émis',
  COMPENSATED: 'Compensé par avoirs',
  BOOKED: 'Débité',
  REJECTED: 'Rejeté',
};

const TRANSFER_COLUMNS: readonly Column<PaymentTransferView>[] = [
  { header: 'Référence', kind: 'text', width: 24, value: (t) => t.endToEndId },
  { header: 'CFA', kind: 'text', width: 30, value: (t) => t.cfa.name },
  { header: 'SIRET du CFA', kind: 'text', width: 16, value: (t) => t.cfa.siret },
  { header: 'IBAN', kind: 'text', width: 36, value: (t) => maskIban(t.iban) },
  { header: 'BIC', kind: 'text', width: 13, value: (t) => t.bic },
  {
    header: 'Factures (€)',
    kind: 'euros',
    width: 16,
    value: (t) => t.invoices.reduce((sum, i) => sum + i.amountCents, 0),
  },
  {
    header: 'Avoirs déduits (€)',
    kind: 'euros',
    width: 18,
    value: (t) => t.deductions.reduce((sum, d) => sum + d.amountCents, 0),
  },
  { header: 'Virement (€)', kind: 'euros', width: 16, value: (t) => t.amountCents },
  { header: 'Factures payées', kind: 'text', width: 30, value: (t) => t.invoices.map((i) => i.number).join(', ') },
  {
    header: 'Avoirs déduits',
    kind: 'text',
    width: 30,
    value: (t) => t.deductions.map((d) => `${d.number}${d.settled ? '' : ' (en partie)'}`).join(', '),
  },
  { header: 'Statut', kind: 'text', width: 20, value: (t) => TRANSFER_STATUS_LABELS[t.status] },
  { header: 'Libellé', kind: 'text', width: 50, value: (t) => t.remittance },
];

function masked(run: PaymentRunDetail): PaymentRunDetail {
  return { ...run, transfers: run.transfers.map((t) => ({ ...t, iban: maskIban(t.iban) })) };
}

async function runOf(deps: ApiDeps, number: string): Promise<PaymentRunDetail> {
  const run = await findPaymentRun(deps.db, number);
  if (!run) throw new HttpError(404, 'NOT_FOUND', `Campagne de paiement ${number} introuvable.`);
  return run;
}

export function paymentRunEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'listPaymentRuns',
      method: 'get',
      path: '/api/admin/payment-runs',
      tag: 'Paiements',
      summary: 'Les campagnes de paiement, les plus récentes d’abord',
      right: 'payment-runs:read',
      query: pageQuery,
      responses: { 200: { description: 'Une page des campagnes', schema: paymentRunListResponse } },
      handle: async ({ query, reply }) =>
        reply(200, paymentRunListResponse, { ...(await listPaymentRuns(deps.db, query)), ...query }),
    }),

    endpoint({
      operationId: 'startPaymentRun',
      method: 'post',
      path: '/api/admin/payment-runs',
      tag: 'Paiements',
      summary: 'Lance une campagne de paiement maintenant',
      description:
        'La campagne collecte les pro formas validées en attente de paiement, déduit les avoirs, écrit le fichier ' +
        'SEPA (vérifié contre le schéma EPC) et passe chaque pro forma au statut « Paiement émis ». 201 avec la ' +
        'campagne quand elle est faite ; 202 avec l’identifiant de son processus si elle dure plus d’une minute.',
      right: 'payment-runs:manage',
      body: startPaymentRunRequest,
      responses: {
        201: { description: 'La campagne faite', schema: paymentRunStartedResponse },
        202: { description: 'La campagne continue dans son processus Temporal' },
      },
      handle: async ({ body, user, res, reply }) => {
        const input: RunInput = {
          trigger: 'MANUAL',
          requestedBy: user.id,
          ...(body.grouping && { grouping: body.grouping }),
        };
        const workflowId = `payment-run-${crypto.randomUUID()}`;
        const handle = await deps.temporal.workflow.start<(input: RunInput) => Promise<RunResult>>(
          'paymentRunWorkflow',
          {
            workflowId,
            taskQueue: deps.config.temporal.taskQueue,
            args: [input],
            staticSummary: `Campagne de paiement lancée par ${user.name}`,
          },
        );
        const result = await resultWithin<RunResult>(handle, WAIT_FOR_WORKFLOW_MS);
        if (!result) {
          res
            .status(202)
            .json({ workflowId, message: 'La campagne continue : suivez-la dans la liste des campagnes.' });
          return;
        }
        const run = masked(await runOf(deps, result.number));
        reply(201, paymentRunStartedResponse, { run, told: result.told, notTold: result.notTold });
      },
    }),

    endpoint({
      operationId: 'getPaymentRunSchedule',
      method: 'get',
      path: '/api/admin/payment-runs/schedule',
      tag: 'Paiements',
      summary: 'La planification des campagnes : suspendue ou non, prochains lancements, derniers lancements',
      right: 'payment-runs:read',
      responses: { 200: { description: 'La planification', schema: paymentRunScheduleResponse } },
      errors: [404],
      handle: async ({ reply }) => reply(200, paymentRunScheduleResponse, await scheduleView(deps)),
    }),

    endpoint({
      operationId: 'pausePaymentRunSchedule',
      method: 'post',
      path: '/api/admin/payment-runs/schedule/pause',
      tag: 'Paiements',
      summary: 'Suspend la planification des campagnes (les campagnes lancées à la main restent possibles)',
      right: 'payment-runs:manage',
      body: pauseScheduleRequest,
      responses: { 200: { description: 'La planification', schema: paymentRunScheduleResponse } },
      errors: [404],
      handle: async ({ body, user, reply }) => {
        await scheduleHandle(deps).pause(`Suspendue par ${user.name} : ${body.reason}`).catch(scheduleMissing);
        reply(200, paymentRunScheduleResponse, await scheduleView(deps));
      },
    }),

    endpoint({
      operationId: 'resumePaymentRunSchedule',
      method: 'post',
      path: '/api/admin/payment-runs/schedule/resume',
      tag: 'Paiements',
      summary: 'Reprend la planification des campagnes',
      right: 'payment-runs:manage',
      responses: { 200: { description: 'La planification', schema: paymentRunScheduleResponse } },
      errors: [404],
      handle: async ({ user, reply }) => {
        await scheduleHandle(deps).unpause(`Reprise par ${user.name}`).catch(scheduleMissing);
        reply(200, paymentRunScheduleResponse, await scheduleView(deps));
      },
    }),

    endpoint({
      operationId: 'uploadBankFile',
      method: 'post',
      path: '/api/admin/bank-files',
      tag: 'Paiements',
      summary: 'Intègre la réponse de la banque (camt.054 ou pain.002)',
      description:
        'multipart/form-data, champ « file ». Le fichier est enregistré, lu, puis chaque ligne est appliquée une ' +
        'seule fois : virement débité (pro formas payées), rejeté (de nouveau en attente de paiement, IBAN du CFA à ' +
        'vérifier, administrateurs alertés), remboursement d’un avoir reçu ; les lignes inconnues ou en double sont ' +
        'signalées. Le même fichier deux fois n’applique rien de plus.',
      right: 'payment-runs:manage',
      upload: 'bankFile',
      responses: {
        200: { description: 'Le compte rendu ligne par ligne', schema: bankFileResponse },
        202: { description: 'L’intégration continue dans son processus Temporal' },
      },
      errors: [413, 422, 429],
      handle: async ({ file, user, res, reply }) => {
        if (!file) throw new HttpError(400, 'FILE_MISSING', 'Aucun fichier reçu.');
        const { handle, again } = await receiveBankFile(deps, {
          bytes: file.buffer,
          fileName: file.originalName,
          source: 'UPLOAD',
          uploadedBy: user.id,
        });
        const result = await resultWithin<BankFileResult>(handle, WAIT_FOR_WORKFLOW_MS);
        if (!result) {
          const message = 'L’intégration continue : suivez-la dans la liste des fichiers.';
          res.status(202).json({ workflowId: handle.workflowId, message });
          return;
        }
        const recorded = await findBankFile(deps.db, result.id);
        if (!recorded) throw new Error(`bank file ${result.id} not recorded`);
        const { notices: _notices, rejections: _rejections, ...report } = recorded;
        reply(200, bankFileResponse, {
          ...report,
          alreadyReceived: again || result.alreadyReceived,
          told: again ? 0 : result.told,
          notTold: result.notTold,
        });
      },
    }),

    endpoint({
      operationId: 'listBankFiles',
      method: 'get',
      path: '/api/admin/bank-files',
      tag: 'Paiements',
      summary: 'Les fichiers de la banque intégrés, les plus récents d’abord',
      right: 'payment-runs:read',
      query: pageQuery,
      responses: { 200: { description: 'Une page des fichiers', schema: bankFileListResponse } },
      handle: async ({ query, reply }) =>
        reply(200, bankFileListResponse, { ...(await listBankFiles(deps.db, query)), ...query }),
    }),

    endpoint({
      operationId: 'getBankFile',
      method: 'get',
      path: '/api/admin/bank-files/:id',
      tag: 'Paiements',
      summary: 'Un fichier de la banque : ce que chaque ligne a fait',
      right: 'payment-runs:read',
      params: bankFileParams,
      responses: { 200: { description: 'Le compte rendu', schema: bankFileResponse } },
      errors: [404],
      handle: async ({ params, reply }) => {
        const recorded = await findBankFile(deps.db, params.id);
        if (!recorded) throw new HttpError(404, 'NOT_FOUND', 'Fichier bancaire introuvable.');
        const { notices: _notices, rejections: _rejections, ...report } = recorded;
        reply(200, bankFileResponse, report);
      },
    }),

    endpoint({
      operationId: 'getPaymentRun',
      method: 'get',
      path: '/api/admin/payment-runs/:number',
      tag: 'Paiements',
      summary: 'Une campagne : ses virements, ce que chacun paie et déduit, les CFA écartés et pourquoi',
      right: 'payment-runs:read',
      params: paymentRunParams,
      responses: { 200: { description: 'La campagne', schema: paymentRunDetailResponse } },
      errors: [404],
      handle: async ({ params, reply }) =>
        reply(200, paymentRunDetailResponse, masked(await runOf(deps, params.number))),
    }),

    endpoint({
      operationId: 'getPaymentRunFile',
      method: 'get',
      path: '/api/admin/payment-runs/:number/file',
      tag: 'Paiements',
      summary: 'Le fichier de virements SEPA (pain.001.001.09) tel qu’il a été enregistré',
      description: 'Immuable : son empreinte SHA-256 est celle de la campagne. 404 quand la campagne n’a rien viré.',
      right: 'payment-runs:read',
      params: paymentRunParams,
      responses: { 200: { description: 'Le fichier XML', contentType: 'application/xml' } },
      errors: [404],
      handle: async (ctx) => {
        const run = await runOf(deps, ctx.params.number);
        if (run.fileSha256 === null) {
          throw new HttpError(404, 'NOT_FOUND', `La campagne ${run.number} n’a produit aucun fichier (rien à virer).`);
        }
        sendFile(ctx, 'application/xml', `${run.number}.xml`, await deps.store.get(run.fileSha256));
      },
    }),

    endpoint({
      operationId: 'exportPaymentRunXlsx',
      method: 'get',
      path: '/api/admin/payment-runs/:number/export.xlsx',
      tag: 'Exports',
      summary: 'Les virements d’une campagne, en classeur Excel (IBAN masqués)',
      right: 'payment-runs:read',
      params: paymentRunParams,
      responses: { 200: { description: 'Classeur Excel', contentType: XLSX_TYPE } },
      errors: [404],
      handle: async (ctx) => {
        const run = await runOf(deps, ctx.params.number);
        sendFile(ctx, XLSX_TYPE, `${run.number}.xlsx`, await workbook('Virements', TRANSFER_COLUMNS, run.transfers));
      },
    }),

    endpoint({
      operationId: 'exportPaymentRunCsv',
      method: 'get',
      path: '/api/admin/payment-runs/:number/export.csv',
      tag: 'Exports',
      summary: 'Les virements d’une campagne, en CSV (séparateur « ; », UTF-8 avec BOM, IBAN masqués)',
      right: 'payment-runs:read',
      params: paymentRunParams,
      responses: { 200: { description: 'CSV pour Excel en français', contentType: CSV_TYPE } },
      errors: [404],
      handle: async (ctx) => {
        const run = await runOf(deps, ctx.params.number);
        sendFile(ctx, CSV_TYPE, `${run.number}.csv`, csv(TRANSFER_COLUMNS, run.transfers));
      },
    }),
  ];
}

function scheduleHandle(deps: ApiDeps) {
  return deps.temporal.schedule.getHandle(deps.paymentRunScheduleId ?? PAYMENT_RUN_SCHEDULE);
}

function scheduleMissing(error: unknown): never {
  if (error instanceof ScheduleNotFoundError) {
    throw new HttpError(
      404,
      'NOT_FOUND',
      'La planification des campagnes n’existe pas encore : elle est créée au démarrage du worker principal.',
    );
  }
  throw error;
}

async function scheduleView(deps: ApiDeps) {
  const description = await scheduleHandle(deps).describe().catch(scheduleMissing);
  return {
    scheduleId: description.scheduleId,
    paused: description.state.paused,
    note: description.state.note ?? null,
    cron: deps.config.paymentRuns.cron,
    timezone: description.spec.timezone ?? null,
    nextRunsAt: description.info.nextActionTimes.slice(0, 5).map((d) => d.toISOString()),
    recentRuns: description.info.recentActions.slice(-5).map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
    })),
  };
}
