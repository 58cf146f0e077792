import { CFA_TEMPLATES, renderMail, type MailTemplate } from '../../domain/mail-templates';

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
});
