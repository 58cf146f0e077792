import type { Kysely } from 'kysely';

// Wording from the Opco EP "Action Apprentissage" guide (the refusal letter and its deposit rules) and the EDF OA
// portal (duplicates, billing mandate). `{{numeroProForma}}` and `{{numeroFacture}}` are filled in when the letter
// is sent.

const OPENING = 'Madame, monsieur,\n\nNos services ont procédé au contrôle de votre facture.';
const NON_COMPLIANT = 'Cette dernière présente une non-conformité.';
const NEW_INVOICE = 'Nous vous remercions de nous adresser une nouvelle facture sur votre portail.';
const SIGNATURE = 'La direction des opérations.';

const letter = (...paragraphs: string[]): string => [OPENING, ...paragraphs, SIGNATURE].join('\n\n');

const reasons = [
  {
    code: 'PRO_FORMA_NUMBER_MISSING',
    label: 'Numéro de facture pro forma absent ou erroné',
    automatic: true,
    letter: letter(
      NON_COMPLIANT,
      "Le numéro de la facture pro forma {{numeroProForma}} n'est pas rappelé sur votre facture, " +
        'ou le numéro indiqué est erroné.',
      'Veillez à indiquer votre propre numéro de facture, en complément du rappel du numéro de la facture pro forma.',
      NEW_INVOICE,
    ),
  },
  {
    code: 'AMOUNT_MISMATCH',
    label: 'Montant non conforme à la facture pro forma',
    automatic: true,
    letter: letter(
      NON_COMPLIANT,
      "Le montant indiqué n'est pas égal au montant de la facture pro forma générée par le portail.",
      NEW_INVOICE,
    ),
  },
  {
    code: 'SIRET_INVALID',
    label: 'SIRET absent, invalide ou différent de celui du CFA',
    automatic: true,
    letter: letter(
      NON_COMPLIANT,
      'Le numéro SIRET indiqué sur votre facture est absent, invalide ou différent de celui de votre établissement.',
      "Veillez à indiquer votre SIRET sur votre facture, s'il ne figure pas sur votre papier en-tête.",
      NEW_INVOICE,
    ),
  },
  {
    code: 'IBAN_INVALID',
    label: 'Coordonnées bancaires (IBAN) absentes ou invalides',
    automatic: true,
    letter: letter(
      NON_COMPLIANT,
      'Les coordonnées bancaires (IBAN) indiquées sur votre facture sont absentes ou invalides.',
      'Veillez à indiquer vos coordonnées bancaires sur votre facture, ' +
        'si elles ne figurent pas sur votre papier en-tête.',
      NEW_INVOICE,
    ),
  },
  {
    code: 'IBAN_CHANGED',
    label: 'Coordonnées bancaires différentes de celles enregistrées',
    automatic: false,
    letter: letter(
      NON_COMPLIANT,
      'Les coordonnées bancaires indiquées sur votre facture sont différentes de celles enregistrées ' +
        'pour votre établissement.',
      'Si vos coordonnées bancaires ont changé, nous vous remercions de nous communiquer au préalable ' +
        "votre nouveau relevé d'identité bancaire, puis de nous adresser une nouvelle facture sur votre portail.",
    ),
  },
  {
    code: 'INVOICE_NUMBER_MISSING',
    label: 'Numéro de facture absent',
    automatic: true,
    letter: letter(
      NON_COMPLIANT,
      'Votre facture ne comporte pas de numéro de facture.',
      'Veillez à indiquer votre propre numéro de facture, en complément du rappel du numéro de la facture pro forma ' +
        '{{numeroProForma}}.',
      NEW_INVOICE,
    ),
  },
  {
    code: 'DUPLICATE_INVOICE',
    label: 'Facture déjà déposée (doublon)',
    automatic: true,
    letter: letter(
      'Cette dernière a été refusée car elle est en doublon.',
      'La facture n° {{numeroFacture}} a déjà été déposée sur le portail pour une autre facture pro forma.',
      "Vérifiez que vous n'avez pas déjà déposé une facture concernant ces mêmes dossiers. S'il s'agit d'une autre " +
        "facture, nous vous remercions de nous l'adresser sur votre portail avec son propre numéro de facture.",
    ),
  },
  {
    code: 'DUPLICATE_DOCUMENT',
    label: 'Document déjà déposé sur une autre facture pro forma',
    automatic: true,
    letter: letter(
      'Cette dernière a été refusée car elle est en doublon.',
      'Le document déposé pour la facture pro forma {{numeroProForma}} a déjà été déposé ' +
        'pour une autre facture pro forma.',
      "Vérifiez que vous n'avez pas déjà déposé une facture concernant ces mêmes dossiers, puis adressez-nous, sur " +
        'votre portail, la facture établie sur le modèle de la facture pro forma {{numeroProForma}}.',
    ),
  },
  {
    code: 'MANDATE_INVALID',
    label: 'Mandat de facturation absent ou non valide à la date de dépôt',
    automatic: true,
    letter: letter(
      "Votre mandat de facturation est absent ou n'était pas valide à la date de dépôt de votre facture.",
      "Il est indispensable d'avoir déposé au préalable votre mandat de facturation signé " +
        'pour que votre facture soit prise en compte.',
      'Nous vous remercions de déposer votre mandat de facturation signé, ' +
        'puis de nous adresser à nouveau votre facture sur votre portail.',
    ),
  },
  {
    code: 'DOCUMENT_UNREADABLE',
    label: 'Document illisible',
    automatic: true,
    letter: letter(
      "Le document déposé pour la facture pro forma {{numeroProForma}} n'a pas pu être lu.",
      'Nous vous remercions de nous adresser une nouvelle facture lisible sur votre portail, ' +
        "au format pdf, jpg, jpeg, gif ou png, d'une taille maximale de 5 Mo.",
    ),
  },
  {
    code: 'OTHER',
    label: 'Autre motif',
    automatic: false,
    letter: letter('Cette dernière présente une non-conformité, précisée dans le commentaire ci-dessous.', NEW_INVOICE),
  },
];

export async function up(db: Kysely<any>): Promise<void> {
  await db
    .insertInto('refusal_reasons')
    .values(reasons)
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db
    .deleteFrom('refusal_reasons')
    .where(
      'code',
      'in',
      reasons.map((r) => r.code),
    )
    .execute();
}
