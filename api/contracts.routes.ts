import { contractSchedule, listContracts, type ContractView } from '../db/contracts';
import { contractStatusLabel, costNatureLabel } from '../domain/cost-nature';
import { parisDate } from '../domain/dates';
import { standingOf } from '../domain/schedule';
import { scopeOf } from './auth';
import { nowOf, type ApiDeps } from './deps';
import { endpoint, type AnyEndpoint } from './endpoint';
import { HttpError } from './errors';
import { contractListQuery, contractListResponse, contractParams, contractScheduleResponse } from './schemas/contracts';

const withLabel = (c: ContractView) => ({ ...c, statusLabel: contractStatusLabel(c.status) });

/** The contracts (a CFA user: its own) and a contract's schedule: « ai-je déjà facturé ce dossier ? ». */
export function contractEndpoints(deps: ApiDeps): AnyEndpoint[] {
  return [
    endpoint({
      operationId: 'listContracts',
      method: 'get',
      path: '/api/contracts',
      tag: 'Contrats',
      summary: 'Les contrats, recherchés, triés et paginés',
      description:
        'Un utilisateur CFA voit les contrats de son CFA ; le personnel de l’Opco ceux de tous les CFA (filtre ' +
        'cfaId). Recherche par numéro (exact ou début), nom de l’apprenti (partie, sans égard à la casse), SIRET de ' +
        'l’employeur, date de début (startFrom, startTo) et statut (ENGAGE « Engagé », RUPTURE « Rupture »).',
      right: 'contracts:read',
      query: contractListQuery,
      responses: { 200: { description: 'Une page des contrats', schema: contractListResponse } },
      handle: async ({ user, query, reply }) => {
        const { page, pageSize, sort, order, ...filters } = query;
        const found = await listContracts(deps.db, scopeOf(user), filters, { page, pageSize }, { by: sort, order });
        reply(200, contractListResponse, { ...found, items: found.items.map(withLabel) });
      },
    }),

    endpoint({
      operationId: 'getContractSchedule',
      method: 'get',
      path: '/api/contracts/:id',
      tag: 'Contrats',
      summary: 'Un contrat et son échéancier',
      description:
        'Chaque échéance avec sa nature, sa période, son montant et où elle en est : « À venir » (période pas ' +
        'encore commencée), « Éligible », « Dans la pro forma PRO-… » (avec son statut) ou « Payée le … ». Une ' +
        'échéance d’une pro forma annulée redevient éligible.',
      right: 'contracts:read',
      params: contractParams,
      responses: { 200: { description: 'Le contrat et son échéancier', schema: contractScheduleResponse } },
      errors: [404],
      handle: async ({ user, params, reply }) => {
        const found = await contractSchedule(deps.db, scopeOf(user), params.id, parisDate(nowOf(deps)));
        if (!found) throw new HttpError(404, 'NOT_FOUND', `Contrat ${params.id} introuvable.`);
        reply(200, contractScheduleResponse, {
          contract: withLabel(found.contract),
          installments: found.installments.map((i) => {
            const standing = standingOf({ eligible: i.eligible, proForma: i.proForma });
            return {
              id: i.id,
              nature: i.nature,
              natureLabel: costNatureLabel(i.nature),
              periodStart: i.periodStart,
              periodEnd: i.periodEnd,
              amountCents: i.amountCents,
              standing: standing.code,
              standingLabel: standing.label,
              proForma: standing.proForma,
              paidOn: standing.paidOn,
            };
          }),
        });
      },
    }),
  ];
}
