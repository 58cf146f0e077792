import { CFA_TEMPLATES, maskIban, renderMail, type MailTemplate } from '../../domain/mail-templates';

/** What the workflow gives every template (workflows/pro-forma.ts, notifyCfa and the escalation). */
const COMMON = { number: 'PRO-00000042', natureLabel: 'Pédagogie', total: '4 465,00 €', kind: 'INVOICE' };

/**
 * Per template: the data it is given, its exact French subject, and the values its body must show (each value
 * given, so that a value dropped or misspelt in the template fails).
 */
const CASES: [MailTemplate, Record<string, unknown>, string, string[]][] = [
  [
    'DEPOSIT_RECEIVED',
    { ...COMMON, fileName: 'facture-mars.pdf', version: 2 },
    'Dépôt reçu — facture pro forma PRO-00000042',
    ['Nous avons bien reçu votre facture « facture-mars.pdf » (version 2)', 'PRO-00000042 · Pédagogie · 4 465,00 €'],
  ],
  [
    'REFUSED',
    {
      ...COMMON,
      reasonLabel: 'Montant erroné',
      letter: 'Madame, monsieur, le montant ne correspond pas.',
      comment: 'Merci de corriger le total.',
    },
    'Facture refusée — facture pro forma PRO-00000042',
    [
      'Motif de refus : Montant erroné',
      'Madame, monsieur, le montant ne correspond pas.',
      'Commentaire du valideur : Merci de corriger le total.',
      'Facture pro forma concernée : PRO-00000042 · Pédagogie · 4 465,00 €.',
    ],
  ],
  [
    'VALIDATED',
    COMMON,
    'Facture validée — facture pro forma PRO-00000042',
    ['Votre facture pour la facture pro forma PRO-00000042 · Pédagogie · 4 465,00 € a été validée.'],
  ],
  [
    'PAID',
    { ...COMMON, paidAt: '2026-11-30', paidAtLabel: '30/11/2026' },
    'Paiement effectué — facture pro forma PRO-00000042',
    ['La facture pro forma PRO-00000042 · Pédagogie · 4 465,00 € est payée (date de paiement : 30/11/2026).'],
  ],
  [
    'REMINDER',
    { ...COMMON, waitingDays: 15 },
    'Relance — facture attendue pour la facture pro forma PRO-00000042',
    ['La facture pro forma PRO-00000042 · Pédagogie · 4 465,00 € attend votre facture depuis 15 jour(s).'],
  ],
  [
    'CANCELLED_BY_OPCO',
    { ...COMMON, reason: 'Doublon de la pro forma PRO-00000041' },
    'Facture pro forma annulée — PRO-00000042',
    [
      'La facture pro forma PRO-00000042 · Pédagogie · 4 465,00 € a été annulée par nos services.',
      'Motif : Doublon de la pro forma PRO-00000041',
    ],
  ],
  [
    'PAYMENT_REJECTED',
    { ...COMMON, endToEndId: 'RUN-20261203-01-0002', reason: 'AC04 — Compte clôturé' },
    'Virement rejeté — facture pro forma PRO-00000042',
    [
      'Le virement RUN-20261203-01-0002 qui réglait la facture pro forma PRO-00000042 · Pédagogie · 4 465,00 € a ' +
        'été rejeté par la banque.',
      'Motif : AC04 — Compte clôturé',
    ],
  ],
  [
    'REPAYMENT_REMINDER',
    { ...COMMON, kind: 'CREDIT_NOTE', waitingDays: 15 },
    'Relance — remboursement attendu pour la facture d’avoir PRO-00000042',
    [
      'La facture d’avoir PRO-00000042 · Pédagogie · 4 465,00 € est validée depuis 15 jour(s)',
      'en indiquant la référence PRO-00000042 dans son libellé',
    ],
  ],
  [
    'ESCALATION',
    { ...COMMON, cfaName: 'CFA des Métiers', waitingDays: 5 },
    'Décision en attente — facture pro forma PRO-00000042',
    [
      'La facture déposée par CFA des Métiers pour la facture pro forma PRO-00000042 (4 465,00 €) attend une ' +
        'décision depuis 5 jour(s).',
    ],
  ],
];

/** Words of a template gone wrong: a missing value, a bad number, an object printed as such. */
const LEAKS = /undefined|NaN|null|\[object Object\]/;

describe('the French e-mails of the pro forma lifecycle', () => {
  it('has a case for every template a CFA receives, and the validators’ escalation', () => {
    expect(CASES.map(([template]) => template).sort()).toEqual([...CFA_TEMPLATES, 'ESCALATION'].sort());
  });

  it.each(CASES)('renders %s with the French subject and every value it is given', (template, data, subject, body) => {
    const mail = renderMail(template, data);
    expect(mail.subject).toBe(subject);
    for (const text of body) expect(mail.text).toContain(text);
    expect(`${mail.subject}\n${mail.text}`).not.toMatch(LEAKS);
  });

  it.each(CASES.map(([template]) => template))(
    'renders %s without “undefined” or “NaN” when a value is missing',
    (template) => {
      const mail = renderMail(template, {});
      expect(`${mail.subject}\n${mail.text}`).not.toMatch(LEAKS);
    },
  );

  it.each<[MailTemplate, Record<string, unknown>, string]>([
    ['DEPOSIT_RECEIVED', { fileName: 'avoir.pdf', version: 1 }, 'votre facture d’avoir « avoir.pdf »'],
    ['VALIDATED', {}, 'Votre facture d’avoir pour la facture pro forma'],
    ['REMINDER', { waitingDays: 3 }, 'attend votre facture d’avoir depuis 3 jour(s)'],
  ])('names the document of a credit note a “facture d’avoir” in %s', (template, data, expected) => {
    expect(renderMail(template, { ...COMMON, ...data, kind: 'CREDIT_NOTE' }).text).toContain(expected);
  });

  it('asks for a corrected invoice in the reminder of a refused pro forma', () => {
    const mail = renderMail('REMINDER', { ...COMMON, refused: true, waitingDays: 20 });
    expect(mail.text).toContain('attend une facture corrigée après refus depuis 20 jour(s)');
  });

  it('leaves out the validator’s comment of a refusal without one', () => {
    const mail = renderMail('REFUSED', { ...COMMON, reasonLabel: 'Montant erroné', letter: 'Lettre.' });
    expect(mail.text).not.toContain('Commentaire du valideur');
  });

  it('shows the raw payment date when no French label of it is given, and none when there is no date', () => {
    expect(renderMail('PAID', { ...COMMON, paidAt: '2026-11-30' }).text).toContain('(date de paiement : 2026-11-30)');
    expect(renderMail('PAID', COMMON).text).toContain('4 465,00 € est payée.');
  });

  describe('the admins’ alert of a CFA’s IBAN changed while pro formas await payment', () => {
    const DATA = {
      cfaName: 'CFA des Métiers',
      cfaSiret: '73282932000074',
      oldIban: 'FR7630006000011234567890189',
      newIban: 'FR14 2004 1010 0505 0001 3M02 606',
      awaitingPaymentCount: 2,
      awaitingPaymentNumbers: ['PRO-00000042', 'PRO-00000043'],
      changedByName: 'Alice Admin',
      changedByEmail: 'alice@opco.example',
      // 07:15 in Paris in winter (UTC+1); 23:30 UTC on 31 March is 01:30 on 1 April in summer (UTC+2).
      changedAt: '2026-12-02T06:15:00Z',
    };

    it('renders IBAN_CHANGED with the CFA, its SIRET, both IBANs masked, the pro formas, the author and Paris time', () => {
      const mail = renderMail('IBAN_CHANGED', DATA);
      expect(mail.subject).toBe(
        'Alerte — IBAN modifié pour le CFA CFA des Métiers (2 pro forma(s) en attente de paiement)',
      );
      for (const text of [
        'L’IBAN du CFA CFA des Métiers (SIRET 73282932000074) a été modifié par Alice Admin <alice@opco.example> ' +
          'le 02/12/2026 à 07:15 (heure de Paris).',
        'Ancien IBAN : **** **** **** **** **** *** 0189',
        'Nouvel IBAN : **** **** **** **** **** *** 2606',
        '2 pro forma(s) validée(s) en attente de paiement : PRO-00000042, PRO-00000043.',
      ]) {
        expect(mail.text).toContain(text);
      }
      expect(`${mail.subject}\n${mail.text}`).not.toMatch(LEAKS);
      expect(mail.text).not.toContain('30006000011234567890');
      expect(mail.text).not.toContain('2004');
    });

    it('counts the pro formas a capped list leaves out', () => {
      expect(renderMail('IBAN_CHANGED', { ...DATA, awaitingPaymentCount: 250 }).text).toContain(
        'en attente de paiement : PRO-00000042, PRO-00000043 et 248 autre(s).',
      );
    });

    it('gives the Paris time across a change of daylight saving time', () => {
      expect(renderMail('IBAN_CHANGED', { ...DATA, changedAt: '2026-03-31T23:30:00Z' }).text).toContain(
        'le 01/04/2026 à 01:30 (heure de Paris)',
      );
    });

    it('renders IBAN_CHANGED without “undefined” or “NaN” when a value is missing', () => {
      const mail = renderMail('IBAN_CHANGED', {});
      expect(`${mail.subject}\n${mail.text}`).not.toMatch(LEAKS);
    });

    it('masks an IBAN but for its last 4 characters, and a masked one the same way again', () => {
      expect(maskIban('FR76 3000 6000 0112 3456 7890 189')).toBe('**** **** **** **** **** *** 0189');
      expect(maskIban(maskIban('DE89370400440532013000'))).toBe('**** **** **** **** ** 3000');
      expect(maskIban('1234')).toBe('1234');
    });
  });
});

describe('the reminder of a mandate about to expire (MANDATE_EXPIRING)', () => {
  const data = {
    cfaName: 'CFA des Métiers',
    mandateId: '6f1c1f0e-1111-4222-8333-444455556666',
    validFrom: '2026-01-01',
    validTo: '2026-12-31',
  };

  it('names the mandate and its end date, and asks for a new one, in French', () => {
    const mail = renderMail('MANDATE_EXPIRING', data);
    expect(mail.subject).toBe('Votre mandat de facturation expire le 31/12/2026');
    expect(mail.text).toContain(
      'Le mandat de facturation du CFA CFA des Métiers (du 01/01/2026 au 31/12/2026, ' +
        'n° 6f1c1f0e-1111-4222-8333-444455556666) expire le 31/12/2026.',
    );
    expect(mail.text).toContain('un nouveau mandat signé (PDF)');
    expect(`${mail.subject}\n${mail.text}`).not.toMatch(LEAKS);
  });

  it('renders without “undefined” or “NaN” when a value is missing', () => {
    const mail = renderMail('MANDATE_EXPIRING', {});
    expect(`${mail.subject}\n${mail.text}`).not.toMatch(LEAKS);
  });
});

describe('the admins’ alert on transfers the bank rejected', () => {
  it('names the file, each transfer, its CFA, the reason and the pro formas', () => {
    const mail = renderMail('TRANSFERS_REJECTED', {
      fileName: 'camt054-20261204.xml',
      rejections: [
        {
          cfaName: 'CFA des Métiers',
          endToEndId: 'RUN-20261203-01-0002',
          reason: 'AC04 — Compte clôturé',
          numbers: ['PRO-00000042', 'PRO-00000043'],
        },
      ],
    });
    expect(mail.subject).toBe('Alerte — 1 virement(s) rejeté(s) par la banque (camt054-20261204.xml)');
    expect(mail.text).toContain(
      '- RUN-20261203-01-0002 — CFA des Métiers : AC04 — Compte clôturé (pro formas PRO-00000042, PRO-00000043)',
    );
    expect(mail.text).not.toMatch(LEAKS);
  });
});
