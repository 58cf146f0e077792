import { findPaymentRun, listPaymentRuns, type PaymentRunDetail, type PaymentTransferView } from '../db/payment-runs';
import { maskIban } from '../domain/mail-templates';
import type { ApiDeps } from './deps';
import { sendFile } from './downloads';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import { csv, CSV_TYPE, workbook, XLSX_TYPE, type Column } from './exports';
import { pageQuery } from './schemas/common';
import { paymentRunDetailResponse, paymentRunListResponse, paymentRunParams } from './schemas/payment-runs';

/**
 * Payment runs for admins (issue 14): the list, a run's detail (its transfers with the invoices they pay and the credit
 * notes they deduct, the CFAs left out and why), its pain.001 file as stored, and its list as XLSX or CSV. IBANs are
 * masked but for their last 4 characters everywhere but in the file the bank receives.
 */

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
