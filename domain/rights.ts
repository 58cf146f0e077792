/**
 * Rights, granted per user. A user's role says what kind of account it is (Opco staff: admin or validator; a CFA's
 * staff: cfa) and so which rights it may hold at all; its rights say what it may do. Each role's usual rights form
 * its bundle, given to a new user unless others are chosen. `me:read` (who am I, rotate my token) is everyone's and
 * is never granted nor withdrawn.
 */

export const ROLES = ['admin', 'validator', 'cfa'] as const;
export type Role = (typeof ROLES)[number];

const STAFF = ['admin', 'validator'] as const;
const EVERYONE = ['admin', 'validator', 'cfa'] as const;

/** Every right: who may hold it, and its name for users. */
export const RIGHTS = {
  'me:read': { holders: EVERYONE, label: 'Consulter son compte et renouveler son jeton' },
  'pro-formas:read': { holders: EVERYONE, label: 'Consulter les pro formas et leurs documents' },
  'pro-formas:export': { holders: EVERYONE, label: 'Exporter les listes de pro formas' },
  'contracts:read': { holders: EVERYONE, label: 'Consulter les contrats et leurs échéanciers' },
  'mandates:read': { holders: EVERYONE, label: 'Consulter les mandats de facturation' },
  'installments:read': { holders: ['cfa'], label: 'Consulter les échéances éligibles' },
  'pro-formas:generate': { holders: ['cfa'], label: 'Générer des pro formas' },
  'pro-formas:deposit': { holders: ['cfa'], label: 'Déposer des factures' },
  'pro-formas:cancel': { holders: ['cfa'], label: 'Annuler des pro formas' },
  'my-cfa:read': { holders: ['cfa'], label: 'Consulter « Mon CFA »' },
  'my-cfa:manage': { holders: ['cfa'], label: 'Modifier les réglages de « Mon CFA »' },
  'cfa-users:manage': { holders: ['cfa'], label: 'Gérer les utilisateurs du CFA' },
  'validation-queue:read': { holders: STAFF, label: 'Consulter la file de validation' },
  'validation:claim': { holders: STAFF, label: 'Prendre en charge un dossier' },
  'pro-formas:decide': { holders: STAFF, label: 'Valider ou refuser une facture' },
  'pro-formas:correct': { holders: STAFF, label: 'Corriger la lecture d’une facture' },
  'refusal-reasons:read': { holders: STAFF, label: 'Consulter les motifs de refus' },
  'audit:read': { holders: STAFF, label: 'Consulter l’historique des données de référence' },
  'metrics:read': { holders: STAFF, label: 'Consulter les indicateurs' },
  'pro-formas:administer': { holders: ['admin'], label: 'Annuler ou remettre en validation pour l’Opco' },
  'payments:confirm': { holders: ['admin'], label: 'Confirmer les paiements' },
  'payment-runs:read': { holders: ['admin'], label: 'Consulter les campagnes de paiement et leurs fichiers' },
  'payment-runs:manage': {
    holders: ['admin'],
    label: 'Lancer les campagnes de paiement, suspendre leur planification, intégrer les relevés bancaires',
  },
  'admin:manage': { holders: ['admin'], label: 'Administrer les données de référence et les utilisateurs' },
} as const satisfies Record<string, { holders: readonly Role[]; label: string }>;
export type Right = keyof typeof RIGHTS;

export const ALL_RIGHTS = Object.keys(RIGHTS) as Right[];

/** The right every user holds. */
export const OWN_ACCOUNT_RIGHT = 'me:read' satisfies Right;

/** The rights that are granted (all but the one everyone holds), in the table's order. */
export const GRANTABLE_RIGHTS = ALL_RIGHTS.filter((r) => r !== OWN_ACCOUNT_RIGHT);

/**
 * Each role's usual rights. Validators read, claim, correct and decide but never deposit; a CFA's users deposit,
 * cancel, read their CFAs' data, and manage their CFA's users; admins take claims over, cancel or return pro formas
 * for the Opco, manage the reference data, read the audit and the figures, and confirm payments, but do not decide.
 */
export const BUNDLES: Record<Role, readonly Right[]> = {
  admin: [
    'pro-formas:read',
    'pro-formas:export',
    'contracts:read',
    'mandates:read',
    'validation-queue:read',
    'validation:claim',
    'refusal-reasons:read',
    'audit:read',
    'metrics:read',
    'pro-formas:administer',
    'payments:confirm',
    'payment-runs:read',
    'payment-runs:manage',
    'admin:manage',
  ],
  validator: [
    'pro-formas:read',
    'pro-formas:export',
    'contracts:read',
    'mandates:read',
    'validation-queue:read',
    'validation:claim',
    'pro-formas:decide',
    'pro-formas:correct',
    'refusal-reasons:read',
  ],
  cfa: [
    'pro-formas:read',
    'pro-formas:export',
    'contracts:read',
    'mandates:read',
    'installments:read',
    'pro-formas:generate',
    'pro-formas:deposit',
    'pro-formas:cancel',
    'my-cfa:read',
    'my-cfa:manage',
    'cfa-users:manage',
  ],
};

export function isRight(value: string): value is Right {
  return Object.hasOwn(RIGHTS, value);
}

export function mayHold(role: Role, right: Right): boolean {
  return (RIGHTS[right].holders as readonly Role[]).includes(role);
}

/** Whether a user holding `rights` may do what `right` allows. */
export function holds(rights: readonly Right[], right: Right): boolean {
  return right === OWN_ACCOUNT_RIGHT || rights.includes(right);
}

/** The rights as stored: known, grantable, each once, in the table's order. */
export function normalizeRights(rights: readonly Right[]): Right[] {
  return GRANTABLE_RIGHTS.filter((r) => rights.includes(r));
}

export type GrantProblem = { kind: 'not_for_role'; rights: Right[] } | { kind: 'not_held_by_grantor'; rights: Right[] };

/**
 * What is wrong with giving `rights` to a user of `role`, granted by someone holding `grantorRights` (a CFA's user
 * manager gives only rights it holds itself; an admin, any right the role may hold), or undefined when nothing is.
 */
export function grantProblem(
  role: Role,
  rights: readonly Right[],
  grantorRights: readonly Right[] | 'any',
): GrantProblem | undefined {
  const notForRole = rights.filter((r) => !mayHold(role, r));
  if (notForRole.length > 0) return { kind: 'not_for_role', rights: notForRole };
  if (grantorRights !== 'any') {
    const notHeld = rights.filter((r) => !holds(grantorRights, r));
    if (notHeld.length > 0) return { kind: 'not_held_by_grantor', rights: notHeld };
  }
  return undefined;
}

/** The grant problem in French, for the API's answer. */
export function grantProblemMessage(role: Role, problem: GrantProblem): string {
  switch (problem.kind) {
    case 'not_for_role':
      return `Droits impossibles pour un utilisateur ${role} : ${problem.rights.join(', ')}.`;
    case 'not_held_by_grantor':
      return `Vous ne pouvez donner que des droits que vous détenez : ${problem.rights.join(', ')}.`;
  }
}
