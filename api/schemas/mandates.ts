import { z } from 'zod';
import { isoDate, isoDateTime, request, response, uuid } from './common';

/** Billing mandates as signed documents. */

export const mandateParams = z.object({ id: uuid.describe('Identifiant du mandat') });

export const mandateListQuery = z
  .object({
    cfaId: uuid.optional().describe('Personnel de l’Opco : les mandats de ce CFA (ignoré pour un utilisateur CFA)'),
  })
  .strict();

/** The text fields of the multipart upload, beside `file`. */
export const MANDATE_UPLOAD_FIELDS = ['validFrom', 'validTo'] as const;

export const mandateUploadFields = request(
  z
    .object({
      validFrom: isoDate.describe('Début de validité du mandat'),
      validTo: isoDate.optional().describe('Fin de validité (absente : sans fin)'),
    })
    .strict()
    .refine((m) => !m.validTo || m.validTo >= m.validFrom, { message: 'validTo précède validFrom', path: ['validTo'] }),
  'MandateUploadFields',
  'Champs du formulaire multipart, à côté du fichier « file » (PDF)',
);

const mandateDocument = z
  .object({
    sha256: z.string(),
    fileName: z.string(),
    mimeType: z.literal('application/pdf'),
    size: z.number().int(),
    uploadedBy: uuid.nullable(),
    uploadedAt: isoDateTime,
  })
  .strict();

export const mandateItem = response(
  z
    .object({
      id: uuid,
      cfaId: uuid,
      validFrom: isoDate,
      validTo: isoDate.nullable(),
      createdAt: isoDateTime,
      document: mandateDocument.nullable().describe('Le mandat signé ; absent pour un mandat enregistré sans lui'),
      expiryNotifiedAt: isoDateTime.nullable().describe('Quand le CFA a été prévenu de l’expiration prochaine'),
    })
    .strict(),
  'MandateWithDocument',
);

export const mandateListResponse = response(
  z.object({ items: z.array(mandateItem) }).strict(),
  'MandateList',
  'Les mandats de facturation',
);
