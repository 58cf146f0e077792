import { COST_NATURES, costNatureLabel } from '../../../../domain/cost-nature';
import { DASHBOARD, DASHBOARD_CATEGORIES, PRO_FORMA_STATUSES, statusLabel } from '../../../../domain/process';
import { date, money } from '../../format';
import { KIND_LABELS, STAGE_LABELS } from './labels';
import type { ProFormaListQuery } from './types';

/**
 * The list's filters live in the URL's query string, under the API's own parameter names (GET /api/pro-formas):
 * a link such as `/pro-formas?category=REFUSEES` from the dashboard opens the filtered list, a reload keeps it, and
 * the exports send the same filters.
 */

export type FilterKey = Exclude<keyof ProFormaListQuery, 'page' | 'pageSize'>;

export const FILTER_KEYS = [
  'number',
  'invoiceNumber',
  'status',
  'nature',
  'kind',
  'stage',
  'category',
  'cfaId',
  'createdFrom',
  'createdTo',
  'depositedFrom',
  'depositedTo',
  'minAmountCents',
  'maxAmountCents',
  'contractNumber',
  'apprentice',
  'invoiceDate',
  'q',
] as const satisfies readonly FilterKey[];

export type Filters = Partial<Record<FilterKey, string>>;

export const PAGE_SIZES = ['20', '50', '100'] as const;
export const DEFAULT_PAGE_SIZE = 20;

export function filtersOf(params: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

export function pageOf(params: URLSearchParams): { page: number; pageSize: number } {
  const page = Number(params.get('page'));
  const pageSize = Number(params.get('pageSize'));
  return {
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    pageSize: Number.isInteger(pageSize) && pageSize >= 1 ? pageSize : DEFAULT_PAGE_SIZE,
  };
}

/** The URL of the list with these filters (the first page; the page size kept). */
export function paramsOf(filters: Filters, pageSize?: number): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key]?.trim();
    if (value) params.set(key, value);
  }
  if (pageSize && pageSize !== DEFAULT_PAGE_SIZE) params.set('pageSize', String(pageSize));
  return params;
}

export const STATUS_OPTIONS = PRO_FORMA_STATUSES.map((status) => ({
  value: status,
  label: status === 'AWAITING_INVOICE' ? 'En attente de facture/d’avoir' : statusLabel(status),
}));
export const NATURE_OPTIONS = COST_NATURES.map((nature) => ({ value: nature, label: costNatureLabel(nature) }));
export const KIND_OPTIONS = Object.entries(KIND_LABELS).map(([value, label]) => ({ value, label }));
export const CATEGORY_OPTIONS = DASHBOARD_CATEGORIES.map((category) => ({
  value: category,
  label: DASHBOARD[category].label,
}));
export const STAGE_OPTIONS = Object.entries(STAGE_LABELS).map(([value, label]) => ({ value, label }));

const FILTER_LABELS: Record<FilterKey, string> = {
  number: 'Numéro de pro forma',
  invoiceNumber: 'Numéro de facture',
  status: 'Statut',
  nature: 'Nature',
  kind: 'Type',
  stage: 'Étape',
  category: 'Catégorie',
  cfaId: 'CFA',
  createdFrom: 'Générée à partir du',
  createdTo: 'Générée jusqu’au',
  depositedFrom: 'Déposée à partir du',
  depositedTo: 'Déposée jusqu’au',
  minAmountCents: 'Montant minimal',
  maxAmountCents: 'Montant maximal',
  contractNumber: 'Contrat',
  apprentice: 'Apprenti',
  invoiceDate: 'Date de la facture',
  q: 'Recherche',
};

function optionLabel(options: { value: string; label: string }[], value: string): string {
  return options.find((o) => o.value === value)?.label ?? value;
}

/** « Statut : Refusé », for the « Filtres appliqués » line; `cfaName` names a CFA the page knows. */
export function describeFilter(key: FilterKey, value: string, cfaName?: (id: string) => string | undefined): string {
  const shown = (() => {
    switch (key) {
      case 'status':
        return optionLabel(STATUS_OPTIONS, value);
      case 'nature':
        return optionLabel(NATURE_OPTIONS, value);
      case 'kind':
        return optionLabel(KIND_OPTIONS, value);
      case 'category':
        return optionLabel(CATEGORY_OPTIONS, value);
      case 'stage':
        return optionLabel(STAGE_OPTIONS, value);
      case 'cfaId':
        return cfaName?.(value) ?? value;
      case 'minAmountCents':
      case 'maxAmountCents':
        return Number.isFinite(Number(value)) ? money(Number(value)) : value;
      case 'createdFrom':
      case 'createdTo':
      case 'depositedFrom':
      case 'depositedTo':
      case 'invoiceDate':
        return /^\d{4}-\d{2}-\d{2}$/.test(value) ? date(value) : value;
      default:
        return value;
    }
  })();
  return `${FILTER_LABELS[key]} : ${shown}`;
}
