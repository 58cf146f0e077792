import { paymentAdvicePdfData, proFormaPdfData, refusalPdfData, type PdfProFormaView } from '../db/pro-forma-pdf-data';
import { statusLabel } from '../domain/process';
import { paymentAdvicePdf } from '../documents/payment-advice-pdf';
import { proFormaPdf } from '../documents/pro-forma-pdf';
import { refusalPdf } from '../documents/refusal-pdf';
import { scopeOf } from './auth';
import type { ApiDeps } from './deps';
import { sendFile } from './downloads';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import { notFound } from './pro-formas.routes';
import { numberParams } from './schemas/common';

/**
 * The PDF documents of a pro forma, generated on demand from the read model (documents/ renders them): the pro forma
 * itself (the model the CFA copies onto its letterhead), its refusal letter once refused, its payment advice once
 * paid. Read right; a CFA user gets only its own CFA's (another CFA's pro forma is a 404).
 */

export const PDF_TYPE = 'application/pdf';

/** 409 for a document the pro forma's status does not have yet (a refusal letter before a refusal…). */
function notInStatus(code: string, what: string, proForma: Pick<PdfProFormaView, 'status' | 'kind'>): HttpError {
  return new HttpError(
    409,
    code,
    `${what} : la facture pro forma est au statut « ${statusLabel(proForma.status, proForma.kind)} ».`,
    { status: proForma.status },
  );
}

export function documentEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'downloadProFormaPdf',
      method: 'get',
      path: '/api/pro-formas/:number/document.pdf',
      tag: 'Pro formas',
      summary: 'La pro forma en PDF : le modèle de facture à reproduire sur le papier en-tête du CFA',
      description:
        'Numéro PRO-… en grand, le CFA (nom, SIRET, e-mail, IBAN) et le financeur, la date, la nature de coûts, ' +
        'facture ou facture d’avoir (et son mode de règlement), une ligne par contrat et échéance, le total, et la ' +
        'consigne de rappeler le numéro de la pro forma sur la facture. Autant de pages que les lignes en demandent.',
      right: 'pro-formas:read',
      params: numberParams,
      responses: { 200: { description: 'La pro forma (PDF)', contentType: PDF_TYPE } },
      errors: [404],
      handle: async (ctx) => {
        const data = await proFormaPdfData(deps.db, scopeOf(ctx.user), ctx.params.number);
        if (!data) throw notFound(ctx.params.number);
        sendFile(ctx, PDF_TYPE, `${data.number}.pdf`, await proFormaPdf(data, deps.config.funder));
      },
    }),

    endpoint({
      operationId: 'downloadRefusalPdf',
      method: 'get',
      path: '/api/pro-formas/:number/refusal.pdf',
      tag: 'Pro formas',
      summary: 'La lettre de refus en PDF (pro forma au statut Refusé)',
      description:
        'Le dernier refus, comme GET /api/pro-formas/{number}/refusal : en-tête du financeur, bloc du CFA, date, ' +
        'objet, motif, lettre complétée et commentaire du valideur. 409 NOT_REFUSED à un autre statut.',
      right: 'pro-formas:read',
      params: numberParams,
      responses: { 200: { description: 'La lettre de refus (PDF)', contentType: PDF_TYPE } },
      errors: [404, 409, 503],
      handle: async (ctx) => {
        const data = await refusalPdfData(deps.db, scopeOf(ctx.user), ctx.params.number);
        if (!data) throw notFound(ctx.params.number);
        if (data.proForma.status !== 'REFUSED') throw notInStatus('NOT_REFUSED', 'Aucun motif de refus', data.proForma);
        if (!data.refusal) {
          // The status is recorded an instant before the decision.
          throw new HttpError(
            503,
            'NOT_YET_RECORDED',
            'Le refus est en cours d’enregistrement : réessayez dans un instant.',
          );
        }
        sendFile(
          ctx,
          PDF_TYPE,
          `refus-${data.proForma.number}.pdf`,
          await refusalPdf({ proForma: data.proForma, refusal: data.refusal }, deps.config.funder),
        );
      },
    }),

    endpoint({
      operationId: 'downloadPaymentAdvicePdf',
      method: 'get',
      path: '/api/pro-formas/:number/payment-advice.pdf',
      tag: 'Pro formas',
      summary: 'L’avis de paiement en PDF (pro forma au statut Payé)',
      description:
        'Le montant net payé, sa date et sa référence bancaire, les numéros de la facture et de la pro forma, et les ' +
        'factures d’avoir (mode déduction) déduites de ce virement. 409 NOT_PAID avant le paiement.',
      right: 'pro-formas:read',
      params: numberParams,
      responses: { 200: { description: 'L’avis de paiement (PDF)', contentType: PDF_TYPE } },
      errors: [404, 409],
      handle: async (ctx) => {
        const data = await paymentAdvicePdfData(deps.db, scopeOf(ctx.user), ctx.params.number);
        if (!data) throw notFound(ctx.params.number);
        const { proForma, payment } = data;
        if (proForma.status !== 'PAID' || !payment) throw notInStatus('NOT_PAID', 'Aucun paiement', proForma);
        sendFile(
          ctx,
          PDF_TYPE,
          `avis-de-paiement-${proForma.number}.pdf`,
          await paymentAdvicePdf({ proForma, payment }, deps.config.funder),
        );
      },
    }),
  ];
}
