/**
 * The dashboard's categories (EDF OA portal wording), each one a filter of the list. A business vocabulary, so it
 * lives here: the API validates it and the read model queries by it, both from this one list.
 */
export const DASHBOARD_CATEGORIES = ['EMISES', 'TRANSMISES', 'REFUSEES', 'REJETEES', 'PRISES_EN_CHARGE'] as const;
export type DashboardCategory = (typeof DASHBOARD_CATEGORIES)[number];

export const CATEGORY_LABELS: Record<DashboardCategory, string> = {
  EMISES: 'Émises',
  TRANSMISES: 'Transmises',
  REFUSEES: 'Refusées',
  REJETEES: 'Rejetées',
  PRISES_EN_CHARGE: 'Prises en charge',
};
