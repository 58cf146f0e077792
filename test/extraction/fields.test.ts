import {
  CONFIDENCE,
  findAmounts,
  findCurrency,
  findDates,
  findInvoiceNumber,
  findIban,
  findIssueDate,
  findProFormaReference,
  findSiren,
  findSiret,
  findTotalToPay,
  findVatId,
  normalizeProFormaReference,
  parseDate,
  parseInvoiceFields,
} from '../../extraction/fields';

// Synthetic documents, written for these tests in the layouts seen on real invoices: a layout reader's rows
// with wide gaps between columns, labels and values split across lines, OCR look-alike characters.
const CFA_INVOICE = [
  'CFA DES METIERS DU BATIMENT   FACTURE',
  '12 rue des Artisans   Facture N° : FA-2024-001287',
  '69003 Lyon   Date de facture : 17/05/2022',
  'SIRET : 732 829 320 00074 - N° TVA intracommunautaire : FR 44 732 829 320',
  'Tél. : 04 72 00 00 00 - RCS Lyon 732 829 320',
  '',
  'OPCO EXEMPLE',
  '8 avenue du Paiement, 75008 Paris',
  'N° TVA client : FR03552081317',
  '',
  'Réf. pro forma : PRO-00603901',
  'Désignation   Qté   Prix unitaire HT   Montant HT',
  'Pédagogie - contrat 2024-001 (du 01/09/2021 au 31/08/2023)   1   40 225,00 €   40 225,00 €',
  'Pédagogie - contrat 2024-002 (du 01/09/2021 au 31/08/2023)   1   40 225,00 €   40 225,00 €',
  'Total HT   80 450,00 €',
  'TVA 20,00 %   16 090,00 €',
  'Total TTC   96 540,00 €',
  'Net à payer   96 540,00 €',
  "Date d'échéance : 16/06/2022",
  'Règlement par virement - IBAN : FR76 3000 6000 0112 3456 7890 189 - BIC : BNPAFRPPXXX',
  'SAS au capital de 150 000,00 € - Page 1 / 1',
].join('\n');

// The same invoice after a poor scan: N° read as « N=; », O for 0 and l for 1, a PRO reference split in
// groups, a long dash, narrow no-break spaces in amounts.
const CFA_INVOICE_SCANNED = [
  'CFA DES METIERS DU BATIMENT   FACTURE',
  '12 rue des Artisans   Facture N=; FA-2024-001287',
  '69003 Lyon   Date de facture : 17/05/2022',
  'SIRET : 732 829 32O 00074 - N° TVA intracommunautaire : FR 44 732 829 320',
  'Réf. pro forma : PR0—0O6 O39 0l',
  'Total TTC   96\u202f540,00\u00a0€',
  'Net à payer   96\u202f540,00\u00a0€',
  'IBAN : FR76 3OOO 6OOO 0112 3456 7890 189 - BIC : BNPAFRPPXXX',
].join('\n');

const GERMAN_INVOICE = [
  'Handelsrechnung Nr. TX-471102 vom 30.10.2018',
  'Rechnungswährung : EUR',
  'Verkäufer: Taxiunternehmen TX GmbH, USt.-Id.-Nr. : DE123456789',
  '1 Grundpreis   3,9000   1 Stk   7 %   3,90',
  '2 Stadtfahrt   2,0000   6,5 Stk   7 %   13,00',
  'Gesamtbetrag der Zuschläge 0,00',
  'Gesamtbetrag der Abschläge -0,00',
  'Rechnungssumme ohne USt. 16,90',
  'Steuerbetrag in EUR 1,18',
  'Bruttosumme 18,08',
  'Zahlbetrag 18,08',
  'IBAN : DE89 3704 0044 0532 0130 00   BIC: COBADEFFXXX',
].join('\n');

const ENGLISH_INVOICE = [
  'Apex Training Ltd. · 123 Business Road · EC1A 1BB London',
  'Invoice Number: INV-2023-00789',
  'Invoice Date: October 1, 2023',
  'Due Date: February 1, 2024',
  'Billing Period: 01/01/24 - 01/31/24',
  'This document refers to invoice PREV-INV-00700 dated September 1, 2023',
  'Line Total Amount €135.00',
  'Allowance: Loyalty Program Discount - €14.00',
  'Net Total Amount €121.50',
  'Value Added Tax (19.00%) €23.09',
  'Gross Total Amount €144.59',
  'Prepaid Amount €10.00',
  'Open Amount €134.60',
  'IBAN: GB29NWBK60161331926819   BIC: NWBKGB2L',
  'VAT ID: GB987654321',
].join('\n');

// A header box « FACTURE N° / Date » whose values the text layer printed far from their labels.
const SPLIT_HEADER_INVOICE = [
  'FACTURE N° :',
  'Date :',
  'LE FOURNISSEUR',
  'SIREN / SIRET : 123 456 782 00077',
  'N° DE FACTURE ASSOCIÉE : F20260003 DATE DE LIVRAISON : 28/01/2026',
  'N° BON DE COMMANDE : PO201925478',
  'REF PROJET : PROJET2547',
  'NOM & DESIGNATION',
  'F20260023',
  '',
  '31/01/2026',
  'TOTAL TTC',
  '',
  '104,90',
  'TOTAL HT',
  '100,00',
].join('\n');

describe('parseInvoiceFields', () => {
  it('reads every field of a French CFA invoice, each labelled and checked', () => {
    const fields = parseInvoiceFields(CFA_INVOICE);
    expect(fields.invoiceNumber).toMatchObject({ value: 'FA-2024-001287', confidence: CONFIDENCE.LABELLED });
    expect(fields.proFormaNumber).toMatchObject({ value: 'PRO-00603901', confidence: CONFIDENCE.CHECKED });
    expect(fields.totalCents).toMatchObject({ value: 9_654_000, confidence: CONFIDENCE.CHECKED });
    expect(fields.totalCents?.evidence).toBe('Net à payer   96 540,00 €');
    expect(fields.issueDate).toMatchObject({ value: '2022-05-17', confidence: CONFIDENCE.LABELLED });
    expect(fields.siret).toMatchObject({ value: '73282932000074', confidence: CONFIDENCE.CHECKED, valid: true });
    expect(fields.siren).toMatchObject({ value: '732829320', valid: true });
    expect(fields.vatId).toMatchObject({ value: 'FR44732829320', confidence: CONFIDENCE.CHECKED, valid: true });
    expect(fields.iban).toMatchObject({ value: 'FR7630006000011234567890189', confidence: CONFIDENCE.CHECKED });
    expect(fields.currency).toMatchObject({ value: 'EUR' });
  });

  it('repairs a scanned copy of the same invoice and lowers the confidence of what it repaired', () => {
    const fields = parseInvoiceFields(CFA_INVOICE_SCANNED);
    expect(fields.invoiceNumber?.value).toBe('FA-2024-001287');
    expect(fields.proFormaNumber).toMatchObject({ value: 'PRO-00603901', repaired: true });
    expect(fields.proFormaNumber?.confidence).toBeLessThan(CONFIDENCE.WEAK_CUE);
    expect(fields.totalCents?.value).toBe(9_654_000);
    expect(fields.siret).toMatchObject({ value: '73282932000074', valid: true, repaired: true });
    expect(fields.siret?.confidence).toBeLessThan(CONFIDENCE.WEAK_CUE);
    expect(fields.iban).toMatchObject({ value: 'FR7630006000011234567890189', valid: true, repaired: true });
    expect(fields.iban?.confidence).toBeLessThan(CONFIDENCE.WEAK_CUE);
  });

  it('reads a German invoice: number and date on the title line, Zahlbetrag as the total', () => {
    const fields = parseInvoiceFields(GERMAN_INVOICE);
    expect(fields.invoiceNumber?.value).toBe('TX-471102');
    expect(fields.issueDate?.value).toBe('2018-10-30');
    expect(fields.totalCents?.value).toBe(1_808);
    expect(fields.vatId?.value).toBe('DE123456789');
    expect(fields.iban).toMatchObject({ value: 'DE89370400440532013000', valid: true });
    expect(fields.currency?.value).toBe('EUR');
    expect(fields.siret).toBeNull();
    expect(fields.proFormaNumber).toBeNull();
  });

  it('reads an English invoice: the open amount after prepayment, not the gross total nor a line', () => {
    const fields = parseInvoiceFields(ENGLISH_INVOICE);
    expect(fields.invoiceNumber?.value).toBe('INV-2023-00789');
    expect(fields.issueDate?.value).toBe('2023-10-01');
    expect(fields.totalCents?.value).toBe(13_460);
    expect(fields.iban?.value).toBe('GB29NWBK60161331926819');
    expect(fields.vatId?.value).toBe('GB987654321');
  });

  it('guesses a header box printed away from its labels, with a layout-guess confidence', () => {
    const fields = parseInvoiceFields(SPLIT_HEADER_INVOICE);
    expect(fields.invoiceNumber).toMatchObject({ value: 'F20260023', confidence: CONFIDENCE.LAYOUT_GUESS });
    expect(fields.issueDate).toMatchObject({ value: '2026-01-31', confidence: CONFIDENCE.LAYOUT_GUESS });
    expect(fields.totalCents?.value).toBe(10_490);
    expect(fields.siret?.value).toBe('12345678200077');
  });

  it('returns no field at all for an empty or unrelated text', () => {
    for (const text of ['', 'Bonjour,\nveuillez trouver ci-joint notre document.']) {
      expect(Object.values(parseInvoiceFields(text)).every((field) => field === null)).toBe(true);
    }
  });
});

describe('findAmounts', () => {
  it.each([
    ['Nougat 250g   20 Unit(s)   4,55 €   10%   81,90 €', [455, 8_190]],
    ['Total HT 80 450,00 € TVA 16 090,00 €', [8_045_000, 1_609_000]],
    ['Amount 96,540.00 USD or 1.234,56', [9_654_000, 123_456]],
    ['Allowance - €14.00   Extra charge €0.50', [-1_400, 50]],
    ['Remise -5,00   10,00%', [-500]],
    ['Avoir -4 135 € sur 12 500 €', [-413_500, 1_250_000]],
    ['Montant 1\u202f575,00\u00a0€', [157_500]],
    ['Date : 17.05.2022 - échéance 2022-06-16 - 17/06/2022', []],
    ['Tél. 01 23 45 67 89 - Fax +33 4 72 07 08 55', []],
    ['SIRET 732 829 320 00074 - RCS Lyon 732 829 320', []],
    ['IBAN FR76 3000 6000 0112 3456 7890 189', []],
    ['Quantité 20 - taux 5.5 - 3 unités', []],
    ['Ouvert de 14.00 - 17.00 Uhr', [1_400]],
  ])('finds in %j the amounts %j', (text, cents) => {
    expect(findAmounts(text).map((amount) => amount.cents)).toEqual(cents);
  });

  it('says where each amount was printed', () => {
    expect(findAmounts('Ligne\nTotal TTC 12,00 €')).toEqual([{ cents: 1_200, raw: '12,00 €', line: 1, column: 10 }]);
  });
});

describe('findTotalToPay', () => {
  it.each([
    ['Total HT 80 450,00 €\nTVA 16 090,00 €\nTotal TTC 96 540,00 €', 9_654_000],
    ['Total TTC 120,00 €\nAcompte versé -20,00 €\nNet à payer 100,00 €', 10_000],
    ['Montant à payer : 1 575,00 EUR', 157_500],
    ['Total TTC 671,15 €\nSolde à payer 470,15 €', 47_015],
    ['Reste à payer : 1 575,00 €', 157_500],
    ['Total à payer 1 575,00 €', 157_500],
    ['Subtotal $100.00\nTax $20.00\nAmount due: $120.00', 12_000],
    ['Net total 2,076.76 €\nTaxes 0.00 €\nTotal 2,076.76 €\nResidual 1,453.76 €', 145_376],
    ['Net total 2,076.76 €\nTaxes 0.00 €\nTotal 2,076.76 €', 207_676],
    ['Rechnungssumme ohne USt. 16,90\nBruttosumme 18,08\nZahlbetrag 18,08', 1_808],
    ['Gesamtbetrag der Zuschläge 0,00\nGesamtbetrag 1.190,00 EUR', 119_000],
    ['Rechnungssumme Netto (excl. USt.) 473,00\nRechnungssumme Brutto (inkl. USt.) 529,87', 52_987],
    ['Summe Waren 9,90\nRechnungssumme 9,90', 990],
    ['Total HT -218,48 €\nTotal taxes -14,99 €\nTotal TTC -233,47 €', -23_347],
    ['TOTAL TTC\n\n110,00\nTOTAL HT\n100,00', 11_000],
    ['Total amount due   -4 135 €', -413_500],
    ['Montant total brut 160,65 €', 16_065],
  ])('reads the total to pay of %j as %i cents', (text, cents) => {
    expect(findTotalToPay(text)?.value).toBe(cents);
  });

  it('does not let a line amount win over the « Net à payer » total', () => {
    const text = [
      'Pédagogie   1   120 000,00 €',
      'Total TTC   144 000,00 €',
      'Acompte versé   -100 000,00 €',
      'Net à payer   44 000,00 €',
    ].join('\n');
    // Nothing confirms the total including tax (no HT and TVA printed): the amount to pay stays unconfirmed.
    expect(findTotalToPay(text)).toMatchObject({ value: 4_400_000, confidence: CONFIDENCE.UNCONFIRMED });
  });

  it.each([
    ['HT + TVA', ['Total HT   1 000,00 €', 'TVA 20 %   200,00 €', 'Total TTC   1 200,00 €']],
    [
      'HT under a VAT exemption',
      ['Total HT : 1 200,00 €', 'TVA non applicable, art. 261-4-4° du CGI', 'Net à payer : 1 200,00 €'],
    ],
    ['two total labels agreeing', ['Total TTC   1 200,00 €', 'Net à payer   1 200,00 €']],
    [
      'a confirmed TTC less a printed payment',
      [
        'Total HT 1 500,00 €',
        'TVA 300,00 €',
        'Total TTC 1 800,00 €',
        'Virement reçu 600,00 €',
        'Reste à payer 1 200,00 €',
      ],
    ],
  ])('confirms a total by the document’s other amounts: %s', (_what, lines) => {
    expect(findTotalToPay(lines.join('\n'))).toMatchObject({ value: 120_000, confidence: CONFIDENCE.CHECKED });
  });

  it.each([
    ['HT + TVA that do not add up', ['Total HT   1 000,00 €', 'TVA 20 %   150,00 €', 'Total TTC   1 200,00 €']],
    ['a lone « Total à payer »', ['Montant annuel des contrats   36 000,00 €', 'Total à payer   1 200,00 €']],
  ])('leaves a total unconfirmed, below what a refusal needs: %s', (_what, lines) => {
    expect(findTotalToPay(lines.join('\n'))).toMatchObject({ value: 120_000, confidence: CONFIDENCE.UNCONFIRMED });
  });

  it('confirms a credit note paid in part: a negative TTC less a printed prepayment', () => {
    const lines = ['TOTAL HT   -100,00', 'TOTAL TVA   0,00', 'TOTAL TTC   -100,00', 'Montant déjà payé : -10,00'];
    expect(findTotalToPay([...lines, 'NET A PAYER -90,00 EUR'].join('\n'))).toMatchObject({
      value: -9_000,
      confidence: CONFIDENCE.CHECKED,
    });
  });

  it('prefers, of two unconfirmed totals, the one printed on its label’s line to one taken from the next line', () => {
    const onItsLine = findTotalToPay('Open Amount   €134.60');
    const onTheNextLine = findTotalToPay('Open Amount\n€135.00');
    expect(onItsLine?.confidence).toBe(CONFIDENCE.UNCONFIRMED);
    expect(onTheNextLine?.confidence).toBe(CONFIDENCE.UNCONFIRMED_CUE);
  });

  it('takes, when OCR garbled every total label, the amount the total excluding tax and the tax add up to', () => {
    const text = ['Pédagogie   111 840,00 €', 'Total HT 4 622,39 €', 'TVA 20 % 924,48 €', '[ TotaiTTc 5 546,87 €'];
    expect(findTotalToPay(text.join('\n'))).toMatchObject({ value: 554_687, confidence: CONFIDENCE.UNCONFIRMED });
  });

  it('finds the decimal comma OCR lost, when the parts add up to a hundredth of the amount read', () => {
    const labelled = ['Total HT 9 486,08 €', 'TVA 20 % 1 897,22 €', 'Total TTC 1138330 €'];
    expect(findTotalToPay(labelled.join('\n'))).toMatchObject({ value: 1_138_330, repaired: true });
    expect(findTotalToPay(labelled.join('\n'))?.confidence).toBeLessThan(0.8);
    const garbled = ['Total HT 9 486,08 €', 'TVA 20 % 1 897,22 €', '[Tow TTC 1138330 €'];
    expect(findTotalToPay(garbled.join('\n'))).toMatchObject({ value: 1_138_330, repaired: true });
  });

  it('takes the last of several totals with the same label (page subtotals come first)', () => {
    expect(findTotalToPay('Total TTC 100,00 €\n--- page 2 ---\nTotal TTC 250,00 €')?.value).toBe(25_000);
  });

  it('reads an amount that OCR printed just above its label, as a layout guess', () => {
    expect(findTotalToPay('Prepaid Amount €10.00\n€134.60\n\nOpen Amount\nPayment due within 30 days')).toMatchObject({
      value: 13_460,
      confidence: CONFIDENCE.LAYOUT_GUESS,
    });
  });

  it('falls back to the largest amount, ignoring the share capital, with a fallback confidence', () => {
    const text = 'SAS au capital de 150 000,00 €\nPédagogie 1 200,00 €\nFrais annexes 300,00 €';
    expect(findTotalToPay(text)).toMatchObject({ value: 120_000, confidence: CONFIDENCE.FALLBACK });
  });

  it('never takes a date for an amount', () => {
    expect(findTotalToPay('Total : 17.05.2022')).toBeNull();
    expect(findTotalToPay('Date 17.05.2022\nMontant total 12,00 €')?.value).toBe(1_200);
  });

  it('ignores a « Total » that is a subtotal or a tax', () => {
    expect(findTotalToPay('Total HT 100,00 €\nTotal TVA 20,00 €\nTotal 120,00 €')?.value).toBe(12_000);
  });

  it('returns null when the text holds no amount', () => {
    expect(findTotalToPay('Facture n° 12\nMerci de votre confiance')).toBeNull();
  });
});

describe('the seller’s SIRET', () => {
  it('passes over a SIRET labelled as the customer’s, before or after the label', () => {
    expect(findSiret('SIRET client : 857 840 623 40333\nSIRET : 131 044 604 14829')?.value).toBe('13104460414829');
    expect(findSiret('Client SIRET : 857 840 623 40333\nSIRET : 131 044 604 14829')?.value).toBe('13104460414829');
  });
});

describe('findInvoiceNumber', () => {
  it.each([
    ['Facture N° : FA-2024-001287', 'FA-2024-001287', CONFIDENCE.LABELLED],
    ['FACTURE N° FA-2024-001287 du 17/05/2022', 'FA-2024-001287', CONFIDENCE.LABELLED],
    ['Facture n°2024-0042', '2024-0042', CONFIDENCE.LABELLED],
    ['Facture N°FA-123', 'FA-123', CONFIDENCE.LABELLED],
    ['N° de facture : 2024/0042', '2024/0042', CONFIDENCE.LABELLED],
    ['Numéro de facture: INV-2023-EASY-001', 'INV-2023-EASY-001', CONFIDENCE.LABELLED],
    ['Invoice No. 123456', '123456', CONFIDENCE.LABELLED],
    ['Invoice number: INV-2023-00789', 'INV-2023-00789', CONFIDENCE.LABELLED],
    ['Invoice # RE-20201121/508 issued at 2020-11-21', 'RE-20201121/508', CONFIDENCE.LABELLED],
    ['Invoice #RE-2020/5', 'RE-2020/5', CONFIDENCE.LABELLED],
    ['Rechnungsnummer: 471102', '471102', CONFIDENCE.LABELLED],
    ['Rechnung Nr. 2018-77', '2018-77', CONFIDENCE.LABELLED],
    ['Handelsrechnung Nr. TX-471102 vom 30.10.2018', 'TX-471102', CONFIDENCE.LABELLED],
    ['Handelsrechnung (380) 05.03.2018Nr. 471102 vom', '471102', CONFIDENCE.LABELLED],
    ['Rechnung des Versicherers (575) 06.12.2018 Nr. 01.234.567.8-2018-1 vom', '01.234.567.8-2018-1', 0.9],
    ['Belegnummer TEST1234 Belegdatum 18.02.2025', 'TEST1234', CONFIDENCE.LABELLED],
    ['Mietrechnung Nr. 9314110911/00/M/00/N vom 01.10.2018', '9314110911/00/M/00/N', CONFIDENCE.LABELLED],
    ['Teilrechnung Bau (875) Nr. 210111 vom 30.05.2025', '210111', CONFIDENCE.LABELLED],
    ['Invoice information for accounting purposes (751) Nr. 471102 vom 05.03.2020', '471102', CONFIDENCE.LABELLED],
    ['Handelsrechnung (380) Nr. 123 vom 03.06.2025', '123', CONFIDENCE.LABELLED],
    ['Rechnung # RE-20140703/502 vom 03.07.2014', 'RE-20140703/502', CONFIDENCE.LABELLED],
    ['Réf. facture : FA-2026-0001', 'FA-2026-0001', CONFIDENCE.LABELLED],
    ['FACTURE N=; F20260031 @', 'F20260031', CONFIDENCE.LABELLED],
    ['N° DE FACTURE ASSOCIÉE : F20260003\nFacture N° F20260023', 'F20260023', CONFIDENCE.LABELLED],
    ['Facture N° :\nFA-2024-001287\nDate : 17/05/2022', 'FA-2024-001287', CONFIDENCE.WEAK_CUE],
    ['Facture FA-2017-0010', 'FA-2017-0010', CONFIDENCE.WEAK_CUE],
    ['Avoir AV-2017-0005\nFacture liée FA-2017-0010', 'AV-2017-0005', CONFIDENCE.WEAK_CUE],
    ['Invoice FA-2017-0008', 'FA-2017-0008', CONFIDENCE.WEAK_CUE],
    ['Lieferant GmbH   RECHNUNG\nRechnungsnummer\n80333 München   471102', '471102', CONFIDENCE.LAYOUT_GUESS],
  ])('reads the invoice number of %j as %j', (text, value, confidence) => {
    expect(findInvoiceNumber(text)).toMatchObject({ value, confidence });
  });

  it.each([
    ['Facture N° : PRO-00603901', 'the pro forma reference'],
    ['Facture N° : PR0-0O6O39O1', 'a damaged pro forma reference'],
    ['Facture du 17/05/2022', 'a date after the title'],
    ['Facture N° 17/05/2022', 'a date after the label'],
    ['Votre référence PO445\nN° BON DE COMMANDE : PO201925478', 'an order reference'],
    ['Facture liée FA-2017-0010', 'the invoice a credit note refers to'],
    ['Facture normale 2024-12', 'a word that starts with « no »'],
    ['Facture à régler par virement', 'a sentence starting with « Facture »'],
    ['Rechnung Nr. 12', 'a count, without the date that would make it a number'],
    ['Rapport-Nr.: 42389 vom 08.03.2018', 'the number of another document'],
  ])('does not read an invoice number from %j (%s)', (text) => {
    expect(findInvoiceNumber(text)).toBeNull();
  });

  it('skips the pro forma reference and keeps the CFA number printed after it', () => {
    expect(findInvoiceNumber('Réf. pro forma : PRO-00603901\nFacture n° 2024-12')?.value).toBe('2024-12');
  });
});

describe('findProFormaReference', () => {
  it.each([
    ['Réf. pro forma : PRO-00603901', false],
    ['PRO-00603901', false],
    ['PRO-0O6O39O1', true],
    ['PR0-00603901', true],
    ['PRO 006 039 01', true],
    ['PRO-OO6O3901', true],
    ['PRO—00603901', true],
    ['PRO–00603901', true],
    ['PRO00603901', true],
    ['PRO-0060390l', true],
    ['P R O - 0060 3901', true],
    ['Facture pro forma n° 00603901', true],
    ['(PRO-00603901)', false],
  ])('reads %j as PRO-00603901 (repaired: %p)', (text, repaired) => {
    const found = findProFormaReference(text);
    expect(found).toMatchObject({ value: 'PRO-00603901', repaired });
    expect(found?.confidence).toBe(repaired ? 0.7 : CONFIDENCE.CHECKED);
  });

  it.each([
    ['PRO-0060390', 'seven digits'],
    ['PRO-006039012', 'nine digits'],
    ['APRO-00603901', 'the tail of a word'],
    ['PROFORMA 2024', 'the word pro forma'],
    ['PRO-OOOOIIII', 'look-alikes without enough real digits'],
    ['', 'nothing'],
  ])('finds no reference in %j (%s)', (text) => {
    expect(findProFormaReference(text)).toBeNull();
  });

  it('lowers the confidence when two different references are printed', () => {
    expect(findProFormaReference('PRO-00603901\nPRO-00603902')).toMatchObject({
      value: 'PRO-00603901',
      confidence: CONFIDENCE.LAYOUT_GUESS,
    });
  });

  it('normalizes a lone reference and refuses anything else', () => {
    expect(normalizeProFormaReference(' PR0 0O6 O39 01 ')).toBe('PRO-00603901');
    expect(normalizeProFormaReference('PRO-00603901 et PRO-00603902')).toBeNull();
  });
});

describe('findSiret and findSiren', () => {
  it.each([
    ['SIRET : 732 829 320 00074', '73282932000074', CONFIDENCE.CHECKED],
    ['N° SIRET: 73282932000074 - APE 8532Z', '73282932000074', CONFIDENCE.CHECKED],
    ['SIREN / SIRET : 732.829.320.00074', '73282932000074', CONFIDENCE.CHECKED],
    ['Siret n° 356 000 000 49837 (La Poste)', '35600000049837', CONFIDENCE.CHECKED],
    ['Siret 732 829 32O 00074', '73282932000074', 0.7],
    ['CFA du Rhône - 732 829 320 00074 - Lyon', '73282932000074', CONFIDENCE.WEAK_CUE],
  ])('reads the SIRET of %j as %s', (text, value, confidence) => {
    expect(findSiret(text)).toMatchObject({ value, confidence, valid: true });
  });

  it('returns a labelled SIRET with a bad Luhn flagged invalid, never as valid', () => {
    expect(findSiret('SIRET : 732 829 320 00075')).toEqual({
      value: '73282932000075',
      confidence: CONFIDENCE.CHECKSUM_FAILED,
      evidence: 'SIRET : 732 829 320 00075',
      valid: false,
      repaired: false,
    });
  });

  it('keeps the first labelled SIRET (the seller) even when a later one (the buyer) is valid', () => {
    expect(findSiret('SIRET : 732 829 320 00075\nOPCO EXEMPLE - SIRET : 123 456 782 00077')).toMatchObject({
      value: '73282932000075',
      valid: false,
    });
  });

  it('skips a SIRET labelled as the client’s', () => {
    expect(findSiret('Client : OPCO EXEMPLE - SIRET : 732 829 320 00074\nSIRET : 123 456 782 00077')?.value).toBe(
      '12345678200077',
    );
  });

  it.each([
    ['Tél. : 01 23 45 67 89'],
    ['Tél. +33 4 72 07 08 55 - Fax +33 4 72 07 08 56'],
    ['Tel 04 72 00 00 00 01 23'],
    ['GTIN: 73282932000074'],
    ['732 829 320 00075'],
    ['IBAN FR76 3000 6000 0112 3456 7890 189'],
  ])('finds no SIRET in %j', (text) => {
    expect(findSiret(text)).toBeNull();
  });

  it.each([
    ['SIREN : 123 456 782', '123456782', true],
    ['RCS Lyon B 732 829 320', '732829320', true],
    ['R.C.S. MAVILLE 123 456 789', '123456789', false],
    ['SIRET : 732 829 320 00074', '732829320', true],
  ])('reads the SIREN of %j as %s (valid: %p)', (text, value, valid) => {
    expect(findSiren(text)).toMatchObject({ value, valid });
  });

  it('does not take the first nine digits of a SIRET labelled « SIREN / SIRET » as a lone SIREN', () => {
    expect(findSiren('SIREN / SIRET : 123 456 789 00014')).toMatchObject({ value: '123456789', valid: false });
    expect(findSiren('Tél. 01 23 45 67 89')).toBeNull();
  });
});

describe('findVatId', () => {
  it.each([
    ['N° TVA intracommunautaire : FR 44 732 829 320', 'FR44732829320', CONFIDENCE.CHECKED, true],
    ['TVA : FR11999999998 - SIRET : 99999999800010', 'FR11999999998', CONFIDENCE.CHECKED, true],
    ['N° TVA : FR 99 732 829 320', 'FR99732829320', CONFIDENCE.CHECKSUM_FAILED, false],
    ['FR44732829320', 'FR44732829320', CONFIDENCE.WEAK_CUE, true],
  ])('reads the French VAT id of %j', (text, value, confidence, valid) => {
    expect(findVatId(text)).toMatchObject({ value, confidence, valid });
  });

  it.each([
    ['USt-IdNr.: DE123456789', 'DE123456789'],
    ['USt.-Id.-Nr. : DE 123 456 789', 'DE123456789'],
    ['Numéro TVA du client: IE9876543W\nVAT Reg. No. GB123456789', 'GB123456789'],
    ['VAT: BE0123456789', 'BE0123456789'],
  ])('reads the foreign VAT id of %j, skipping the customer’s', (text, value) => {
    expect(findVatId(text)).toMatchObject({ value, confidence: CONFIDENCE.LABELLED });
  });

  it('does not read a VAT id out of an IBAN', () => {
    expect(findVatId('IBAN : DE12 1234 5678 9012 3456 78')).toBeNull();
  });
});

describe('findIban', () => {
  it.each([
    ['IBAN : FR76 3000 6000 0112 3456 7890 189 - BIC : BNPAFRPPXXX', 'FR7630006000011234567890189'],
    ['IBAN FR7630006000011234567890189 BIC BNPAFRPP', 'FR7630006000011234567890189'],
    ['IBAN-Nr.: DE89 3704 0044 0532 0130 00', 'DE89370400440532013000'],
    ['Bankverbindung: IBAN\nDE89370400440532013000, BIC COBADEFFXXX', 'DE89370400440532013000'],
    ['IBAN: GB29NWBK60161331926819   BIC: NWBKGB2L', 'GB29NWBK60161331926819'],
    ['I.B.A.N. FR14 2004 1010 0505 0001 3M02 606', 'FR1420041010050500013M02606'],
  ])('reads the IBAN of %j', (text, value) => {
    expect(findIban(text)).toMatchObject({ value, confidence: CONFIDENCE.CHECKED, valid: true });
  });

  it.each([
    ['IBAN : FR76 3OOO 6OOO 0112 3456 7890 189'],
    ['IBAN : FR76 3000 6000 0112 3456 7890 l89'],
    ['IBAN : FR76 3000 6000 Ol12 3456 7890 189'],
  ])('repairs OCR look-alikes in %j, with a lower confidence', (text) => {
    expect(findIban(text)).toMatchObject({
      value: 'FR7630006000011234567890189',
      confidence: 0.7,
      valid: true,
      repaired: true,
    });
  });

  it.each([
    ['IBAN : FR76 3000 6000 0112 3456 7890 188', 'FR7630006000011234567890188'],
    ['IBAN : DE12 1234 4321 9876 00', 'DE1212344321987600'],
  ])('keeps a labelled IBAN failing mod 97 (%j) for a human, flagged invalid', (text, value) => {
    expect(findIban(text)).toMatchObject({ value, confidence: CONFIDENCE.CHECKSUM_FAILED, valid: false });
  });

  it('prefers a valid labelled IBAN over an invalid one printed before it', () => {
    const text = 'IBAN : FR76 3000 6000 0112 3456 7890 188\nIBAN : DE89 3704 0044 0532 0130 00';
    expect(findIban(text)?.value).toBe('DE89370400440532013000');
  });

  it('takes an unlabelled IBAN only when it is valid', () => {
    expect(findIban('Bank\nDE89370400440532013000\nCOBADEFFXXX')).toMatchObject({
      value: 'DE89370400440532013000',
      confidence: CONFIDENCE.WEAK_CUE,
    });
    expect(findIban('Référence FR7630006000011234567890188')).toBeNull();
    expect(findIban('Aucune coordonnée bancaire')).toBeNull();
  });
});

describe('parseDate', () => {
  it.each([
    ['17/05/2022', '2022-05-17'],
    ['17.05.2022', '2022-05-17'],
    ['17-05-2022', '2022-05-17'],
    ['7/5/2022', '2022-05-07'],
    ['17/05/22', '2022-05-17'],
    ['2023-09-18', '2023-09-18'],
    ['18 sept. 2023', '2023-09-18'],
    ['18 septembre 2023', '2023-09-18'],
    ['1er mai 2024', '2024-05-01'],
    ['3 févr. 2024', '2024-02-03'],
    ['15 août 2023', '2023-08-15'],
    ['18 décembre 2023', '2023-12-18'],
    ['18. September 2023', '2023-09-18'],
    ['5. März 2024', '2024-03-05'],
    ['September 18, 2023', '2023-09-18'],
    ['Sept. 18, 2023', '2023-09-18'],
    ['October 1st, 2023', '2023-10-01'],
    ['18 September 2023', '2023-09-18'],
    ['29/02/2024', '2024-02-29'],
  ])('reads %j as %s', (text, iso) => {
    expect(parseDate(text)).toBe(iso);
  });

  it('reads numeric dates month first when told the document writes them so', () => {
    expect(parseDate('11/03/2017', 'MDY')).toBe('2017-11-03');
    expect(parseDate('11/03/2017')).toBe('2017-03-11');
  });

  it.each([
    ['31/02/2023'],
    ['29/02/2023'],
    ['2023-13-01'],
    ['32/01/2023'],
    ['17/05/2022 et 18/05/2022'],
    ['le 17/05/2022'],
    ['1.5'],
    ['96 540,00'],
    ['18 brumaire 2023'],
    [''],
  ])('refuses %j', (text) => {
    expect(parseDate(text)).toBeNull();
  });

  it('finds every date of a text in reading order, whatever its format', () => {
    const dates = findDates('Du 01/09/2021 au 31 août 2023, émise le 2022-05-17');
    expect(dates.map((date) => date.iso)).toEqual(['2021-09-01', '2023-08-31', '2022-05-17']);
  });
});

describe('findIssueDate', () => {
  it.each([
    ['Date de facture : 17/05/2022', '2022-05-17', CONFIDENCE.LABELLED],
    ["Date d'émission : 18 sept. 2023", '2023-09-18', CONFIDENCE.LABELLED],
    ['Date de la facture: 1 octobre 2023', '2023-10-01', CONFIDENCE.LABELLED],
    ['Invoice date: September 18, 2023', '2023-09-18', CONFIDENCE.LABELLED],
    ['Rechnungsdatum: 18. September 2023', '2023-09-18', CONFIDENCE.LABELLED],
    ['Invoice # RE-20201121/508 issued at 2020-11-21', '2020-11-21', CONFIDENCE.LABELLED],
    ['Rechnungsdatum\n05.03.2013', '2013-03-05', CONFIDENCE.WEAK_CUE],
    ['Handelsrechnung Nr. TX-471102 vom 30.10.2018', '2018-10-30', CONFIDENCE.WEAK_CUE],
    ['Facture n° 2024-12 du 17/05/2022', '2022-05-17', CONFIDENCE.WEAK_CUE],
    ["Date d'échéance : 16/06/2022\nDate : 17/05/2022", '2022-05-17', CONFIDENCE.WEAK_CUE],
    ['Datum: 17.05.2022', '2022-05-17', CONFIDENCE.WEAK_CUE],
    ['Lyon, le 17 mai 2022', '2022-05-17', CONFIDENCE.LABELLED],
    ['Échéance : 24 janvier 2027\nRappel : PRO-05946944\n10/12/2026', '2026-12-10', CONFIDENCE.LAYOUT_GUESS],
  ])('reads the issue date of %j', (text, value, confidence) => {
    expect(findIssueDate(text)).toMatchObject({ value, confidence });
  });

  it('does not take the due date, the delivery date or a linked invoice date for the issue date', () => {
    const text = [
      "Date d'échéance : 16/06/2022",
      'Date de livraison : 10/05/2022',
      'DATE DE FACTURE ASSOCIÉE : 30/11/2021',
      'Date de facture : 17/05/2022',
    ].join('\n');
    expect(findIssueDate(text)?.value).toBe('2022-05-17');
  });

  it('reads numeric dates month first in a document that proves it writes them so', () => {
    expect(findIssueDate('Invoice Date 11/03/2017\nPayment 11/17/2017')?.value).toBe('2017-11-03');
    expect(findIssueDate('Date de facture 11/03/2017\nRèglement 17/11/2017')?.value).toBe('2017-03-11');
  });

  it('returns null when the text holds no date', () => {
    expect(findIssueDate('Facture FA-1\nTotal 12,00 €')).toBeNull();
  });
});

describe('findCurrency', () => {
  it.each([
    ['DEVISE : EURO (EUR)', 'EUR', CONFIDENCE.LABELLED],
    ['Rechnungswährung : GBP\nWährung der Umsatzsteuerbuchung : EUR', 'GBP', CONFIDENCE.LABELLED],
    ['Currency: USD', 'USD', CONFIDENCE.LABELLED],
    ['Total 12,00 €\nNet à payer 12,00 €', 'EUR', CONFIDENCE.WEAK_CUE],
    ['Total £12.00', 'GBP', CONFIDENCE.WEAK_CUE],
  ])('reads the currency of %j as %s', (text, value, confidence) => {
    expect(findCurrency(text)).toMatchObject({ value, confidence });
  });

  it('returns null when no currency is printed', () => {
    expect(findCurrency('Facture 12')).toBeNull();
  });
});
