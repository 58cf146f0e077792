import { USER_TIME_ZONE } from './dates';

/** The French e-mails of the pro forma lifecycle (domain.md, "Notifications"). */
export const CFA_TEMPLATES = [
  'DEPOSIT_RECEIVED',
  'REFUSED',
  'VALIDATED',
  'PAID',
  'REMINDER',
  'CANCELLED_BY_OPCO',
  'PAYMENT_REJECTED',
  'REPAYMENT_REMINDER',
] as const;
export type CfaTemplate = (typeof CFA_TEMPLATES)[number];
/** Templates sent to the Opco's staff: validators (an overdue decision), admins (a CFA's IBAN changed). */
export const STAFF_TEMPLATES = ['ESCALATION', 'IBAN_CHANGED', 'TRANSFERS_REJECTED'] as const;
/** Templates sent to a CFA about its reference data, not about a pro forma: a billing mandate about to expire. */
export const CFA_REFERENCE_TEMPLATES = ['MANDATE_EXPIRING'] as const;
/** Templates sent to a person about its own account: the invitation that sets its token. */
export const ACCOUNT_TEMPLATES = ['INVITATION'] as const;
export type MailTemplate =
  | CfaTemplate
  | (typeof STAFF_TEMPLATES)[number]
  | (typeof CFA_REFERENCE_TEMPLATES)[number]
  | (typeof ACCOUNT_TEMPLATES)[number];

/** What each template says beyond the pro forma's summary (its number, kind, nature, total and CFA). */
export interface MailDetails {
  DEPOSIT_RECEIVED: { fileName: string; version: number };
  REFUSED: { reasonLabel: string; letter: string; comment: string | null };
  VALIDATED: Record<string, never>;
  PAID: { paidAt: string };
  REMINDER: { waitingDays: number; refused: boolean };
  CANCELLED_BY_OPCO: { reason: string };
  PAYMENT_REJECTED: { reason: string; endToEndId: string };
  REPAYMENT_REMINDER: { waitingDays: number };
  ESCALATION: { waitingDays: number };
  /** Not about one pro forma: no summary. IBANs already masked (maskIban) or not, they are masked again. */
  IBAN_CHANGED: {
    cfaName: string;
    cfaSiret: string;
    oldIban: string;
    newIban: string;
    awaitingPaymentCount: number;
    awaitingPaymentNumbers: string[];
    changedByName: string;
    changedByEmail: string;
    /** ISO instant, shown in Europe/Paris time. */
    changedAt: string;
  };
  /** Not about one pro forma: the bank rejected transfers of a file (IBANs masked again). */
  TRANSFERS_REJECTED: {
    fileName: string;
    rejections: { cfaName: string; endToEndId: string; reason: string; numbers: string[] }[];
  };
  /** Not about one pro forma: no summary. Dates YYYY-MM-DD. */
  MANDATE_EXPIRING: { cfaName: string; mandateId: string; validFrom: string; validTo: string };
  /** Not about one pro forma. `link` holds the one-time secret; `expiresAt` an ISO instant. */
  INVITATION: { name: string; link: string; expiresAt: string; invitedByName: string | null; cfaNames: string[] };
}

/** An IBAN hidden but for its last 4 characters, the hidden part by groups of 4: `**** **** … *** 0189`. */
export function maskIban(iban: string): string {
  const compact = iban.replace(/\s+/g, '');
  if (compact.length <= 4) return compact;
  const hidden = '*'.repeat(compact.length - 4).replace(/(.{4})(?=.)/g, '$1 ');
  return `${hidden} ${compact.slice(-4)}`;
}

const PARIS_DATE_TIME = new Intl.DateTimeFormat('fr-FR', {
  timeZone: USER_TIME_ZONE,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** `2026-12-02T06:15:00Z` → `02/12/2026 à 07:15 (heure de Paris)`; empty for a missing or invalid instant. */
function parisDateTime(instant: string): string {
  const date = new Date(instant);
  if (!instant || Number.isNaN(date.getTime())) return '';
  const parts = Object.fromEntries(PARIS_DATE_TIME.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.day}/${parts.month}/${parts.year} à ${parts.hour}:${parts.minute} (heure de Paris)`;
}

/** `2026-12-31` → `31/12/2026`; the text as is when it is not a date. */
function frenchDay(isoDate: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  return match ? `${match[3]}/${match[2]}/${match[1]}` : isoDate;
}

/** Attempts a status e-mail gets (the workflow's retry policy); the last one records the failure. */
export const MAIL_ATTEMPTS = 5;

export interface RenderedMail {
  subject: string;
  text: string;
}

type Data = Record<string, unknown>;
const str = (data: Data, key: string): string =>
  data[key] === undefined || data[key] === null ? '' : String(data[key]);

const SIGNATURE =
  '\n\nLa direction des opérations.\n\nCe message est envoyé automatiquement ; merci de ne pas y répondre.';

function documentName(data: Data): string {
  return data.kind === 'CREDIT_NOTE' ? 'facture d’avoir' : 'facture';
}

export function renderMail(template: MailTemplate, data: Data): RenderedMail {
  const number = str(data, 'number');
  const summary = `${number} · ${str(data, 'natureLabel')} · ${str(data, 'total')}`;
  switch (template) {
    case 'DEPOSIT_RECEIVED':
      return {
        subject: `Dépôt reçu — facture pro forma ${number}`,
        text:
          `Madame, monsieur,\n\nNous avons bien reçu votre ${documentName(data)} « ${str(data, 'fileName')} » ` +
          `(version ${str(data, 'version')}) pour la facture pro forma ${summary}.\n` +
          `Elle est en cours de validation ; vous serez informé de la suite.${SIGNATURE}`,
      };
    case 'REFUSED': {
      const comment = str(data, 'comment');
      return {
        subject: `Facture refusée — facture pro forma ${number}`,
        text:
          `Motif de refus : ${str(data, 'reasonLabel')}\n\n${str(data, 'letter')}` +
          `${comment ? `\n\nCommentaire du valideur : ${comment}` : ''}\n\n` +
          `Facture pro forma concernée : ${summary}.`,
      };
    }
    case 'VALIDATED':
      return {
        subject: `Facture validée — facture pro forma ${number}`,
        text:
          `Madame, monsieur,\n\nVotre ${documentName(data)} pour la facture pro forma ${summary} a été validée. ` +
          `Elle est transmise pour paiement.${SIGNATURE}`,
      };
    case 'PAID':
      return {
        subject: `Paiement effectué — facture pro forma ${number}`,
        text:
          `Madame, monsieur,\n\nLa facture pro forma ${summary} est payée` +
          `${data.paidAt ? ` (date de paiement : ${str(data, 'paidAtLabel') || str(data, 'paidAt')})` : ''}.${SIGNATURE}`,
      };
    case 'REMINDER':
      return {
        subject: `Relance — facture attendue pour la facture pro forma ${number}`,
        text:
          `Madame, monsieur,\n\nLa facture pro forma ${summary} attend ` +
          `${data.refused ? 'une facture corrigée après refus' : `votre ${documentName(data)}`} ` +
          `depuis ${str(data, 'waitingDays')} jour(s). Merci de la déposer sur votre portail, ou d'annuler la ` +
          `facture pro forma si elle n'est plus d'actualité.${SIGNATURE}`,
      };
    case 'CANCELLED_BY_OPCO':
      return {
        subject: `Facture pro forma annulée — ${number}`,
        text:
          `Madame, monsieur,\n\nLa facture pro forma ${summary} a été annulée par nos services.\n` +
          `Motif : ${str(data, 'reason')}\n\nLes échéances qu’elle portait redeviennent éligibles : vous pouvez ` +
          `générer une nouvelle facture pro forma si nécessaire.${SIGNATURE}`,
      };
    case 'PAYMENT_REJECTED':
      return {
        subject: `Virement rejeté — facture pro forma ${number}`,
        text:
          `Madame, monsieur,\n\nLe virement ${str(data, 'endToEndId')} qui réglait la facture pro forma ${summary} a ` +
          `été rejeté par la banque.\nMotif : ${str(data, 'reason')}\n\nNos services vérifient les coordonnées ` +
          `bancaires de votre CFA avant un nouveau virement : merci de contrôler l’IBAN indiqué dans « Mon CFA » et de ` +
          `nous signaler toute erreur.${SIGNATURE}`,
      };
    case 'REPAYMENT_REMINDER':
      return {
        subject: `Relance — remboursement attendu pour la facture d’avoir ${number}`,
        text:
          `Madame, monsieur,\n\nLa facture d’avoir ${summary} est validée depuis ${str(data, 'waitingDays')} ` +
          `jour(s) et son montant reste à nous rembourser. Merci d’effectuer le virement en indiquant la référence ` +
          `${number} dans son libellé.${SIGNATURE}`,
      };
    case 'TRANSFERS_REJECTED': {
      const rejections = Array.isArray(data.rejections) ? (data.rejections as Data[]) : [];
      return {
        subject: `Alerte — ${rejections.length} virement(s) rejeté(s) par la banque (${str(data, 'fileName')})`,
        text:
          `Le fichier bancaire « ${str(data, 'fileName')} » rejette ${rejections.length} virement(s) :\n\n` +
          rejections
            .map(
              (r) =>
                `- ${str(r, 'endToEndId')} — ${str(r, 'cfaName')} : ${str(r, 'reason')} ` +
                `(pro formas ${(Array.isArray(r.numbers) ? r.numbers.map(String) : []).join(', ')})`,
            )
            .join('\n') +
          `\n\nLes pro formas concernées attendent le prochain virement ; l’IBAN de chaque CFA est signalé à ` +
          `vérifier et ses paiements sont suspendus jusqu’à cette vérification.`,
      };
    }
    case 'ESCALATION':
      return {
        subject: `Décision en attente — facture pro forma ${number}`,
        text:
          `La facture déposée par ${str(data, 'cfaName')} pour la facture pro forma ${number} ` +
          `(${str(data, 'total')}) attend une décision depuis ${str(data, 'waitingDays')} jour(s).\n` +
          `Merci de la traiter depuis la file de validation.`,
      };
    case 'MANDATE_EXPIRING': {
      const until = frenchDay(str(data, 'validTo'));
      return {
        subject: `Votre mandat de facturation expire le ${until}`,
        text:
          `Madame, monsieur,\n\nLe mandat de facturation du CFA ${str(data, 'cfaName')} ` +
          `(du ${frenchDay(str(data, 'validFrom'))} au ${until}, n° ${str(data, 'mandateId')}) expire le ${until}.\n` +
          `Sans mandat valide à la date du dépôt, vos factures seront refusées. Merci de nous transmettre dès ` +
          `maintenant un nouveau mandat signé (PDF) afin qu’il soit déposé avant cette date.${SIGNATURE}`,
      };
    }
    case 'INVITATION': {
      const cfas = Array.isArray(data.cfaNames) ? data.cfaNames.map(String) : [];
      const by = str(data, 'invitedByName');
      return {
        subject: 'Votre accès au service de facturation des contrats d’apprentissage',
        text:
          `Bonjour ${str(data, 'name')},\n\n` +
          `${by ? `${by} vous a ouvert` : 'Un accès vous a été ouvert'} au service de facturation des contrats ` +
          `d’apprentissage${cfas.length > 0 ? ` pour ${cfas.join(', ')}` : ''}.\n\n` +
          `Pour l’activer, ouvrez ce lien, valable une seule fois jusqu’au ${parisDateTime(str(data, 'expiresAt'))} :\n` +
          `${str(data, 'link')}\n\n` +
          `Il vous donne votre jeton d’accès personnel : conservez-le, il ne sera plus affiché. Si vous n’attendiez ` +
          `pas cette invitation, ignorez ce message.${SIGNATURE}`,
      };
    }
    case 'IBAN_CHANGED': {
      const numbers = Array.isArray(data.awaitingPaymentNumbers) ? data.awaitingPaymentNumbers.map(String) : [];
      const count = Number(data.awaitingPaymentCount ?? numbers.length) || numbers.length;
      const author = [str(data, 'changedByName'), str(data, 'changedByEmail') && `<${str(data, 'changedByEmail')}>`]
        .filter(Boolean)
        .join(' ');
      const when = parisDateTime(str(data, 'changedAt'));
      return {
        subject: `Alerte — IBAN modifié pour le CFA ${str(data, 'cfaName')} (${count} pro forma(s) en attente de paiement)`,
        text:
          `L’IBAN du CFA ${str(data, 'cfaName')} (SIRET ${str(data, 'cfaSiret')}) a été modifié` +
          `${author ? ` par ${author}` : ''}${when ? ` le ${when}` : ''}.\n\n` +
          `Ancien IBAN : ${maskIban(str(data, 'oldIban'))}\n` +
          `Nouvel IBAN : ${maskIban(str(data, 'newIban'))}\n\n` +
          `${count} pro forma(s) validée(s) en attente de paiement : ${numbers.join(', ')}` +
          `${count > numbers.length ? ` et ${count - numbers.length} autre(s)` : ''}.\n\n` +
          `Un changement d’IBAN avant un paiement est la voie classique de la fraude au virement : vérifiez-le ` +
          `auprès du CFA, par un contact connu de vous, avant d’ordonner ces paiements.`,
      };
    }
  }
}
