import {
  FacturXError,
  MAX_XML_BYTES,
  parseCrossIndustryXml,
  readFacturX,
  xmlDecimalToCents,
} from '../../extraction/facturx';
import { withPdf } from '../../extraction/pdf';
import { INVOICE, INVOICE_LINES, ciiXml, invoiceXml, textPdf } from './fixtures';

const xml = (text: string) => Buffer.from(text, 'utf8');

describe('Factur-X / ZUGFeRD XML', () => {
  it('maps a CII invoice to the extraction fields', () => {
    const document = parseCrossIndustryXml(xml(invoiceXml()));
    expect(document).toEqual({
      attachment: 'factur-x.xml',
      syntax: 'CII',
      kind: 'invoice',
      profile: 'urn:cen.eu:en16931:2017',
      typeCode: '380',
      fields: {
        invoiceNumber: INVOICE.number,
        proFormaNumber: INVOICE.proForma,
        totalCents: INVOICE.totalCents,
        issueDate: INVOICE.issueDate,
        siret: INVOICE.siret,
        siren: INVOICE.siret.slice(0, 9),
        vatId: INVOICE.vatId,
        iban: INVOICE.iban,
        currency: 'EUR',
      },
    });
  });

  it('takes the amount due rather than the grand total when a prepayment was made', () => {
    const document = parseCrossIndustryXml(xml(ciiXml({ number: 'F1', grandTotal: '671.15', duePayable: '470.15' })));
    expect(document?.fields.totalCents).toBe(47015);
  });

  it('falls back to the grand total when no amount due is given', () => {
    const document = parseCrossIndustryXml(xml(ciiXml({ number: 'F1', grandTotal: '360.00' })));
    expect(document?.fields.totalCents).toBe(36000);
  });

  it.each([
    ['529.87', 52987],
    ['-8.79', -879],
    ['0', 0],
    ['9.9000', 990],
    ['12.500', 1250],
    ['1021.91', 102191],
    ['.5', 50],
  ])('reads the XML decimal %s as %i cents, never as a grouped thousand', (decimal, cents) => {
    expect(xmlDecimalToCents(decimal)).toBe(cents);
  });

  it.each(['12.345', '1,5', '1e3', 'abc', ''])('refuses %j as an amount rather than rounding it', (decimal) => {
    expect(xmlDecimalToCents(decimal)).toBeNull();
  });

  it.each([
    ['BuyerOrderReferencedDocument', { buyerOrderReference: 'Commande PRO-00603901' }],
    ['BuyerReference', { buyerReference: 'PRO-00603901' }],
    ['IncludedNote', { note: 'Facture de la pro forma PRO-00603901 du 01/03/2024' }],
  ])('finds the pro forma number in %s', (_place, values) => {
    const document = parseCrossIndustryXml(xml(ciiXml({ number: 'F1', ...values })));
    expect(document?.fields.proFormaNumber).toBe('PRO-00603901');
  });

  it.each([
    [{ id: '12345678200077', scheme: '0009' }, '12345678200077', '123456782'],
    [{ id: '99999999800010', scheme: '0002' }, '99999999800010', '999999998'],
    [{ id: '123456782', scheme: '0002' }, null, '123456782'],
    [{ id: '556677889900', scheme: '0007' }, null, null],
  ])('reads the seller legal id %j as SIRET %s and SIREN %s', (legalId, siret, siren) => {
    const document = parseCrossIndustryXml(xml(ciiXml({ number: 'F1', sellerLegalId: legalId })));
    expect(document?.fields.siret).toBe(siret);
    expect(document?.fields.siren).toBe(siren);
  });

  it('prefers the SIRET given as a global id (scheme 0009) to the SIREN of the legal organisation', () => {
    const document = parseCrossIndustryXml(
      xml(
        ciiXml({
          number: 'F1',
          sellerGlobalSiret: '12345678200077',
          sellerLegalId: { id: '123456782', scheme: '0002' },
        }),
      ),
    );
    expect(document?.fields).toMatchObject({ siret: '12345678200077', siren: '123456782' });
  });

  it('reads a ZUGFeRD 1.0 invoice (CrossIndustryDocument) through its D09 element names', () => {
    const zugferd1 = `<?xml version="1.0" encoding="UTF-8"?>
<!-- ZUGFeRD 1.0 -->
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:SpecifiedExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:comfort</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:SpecifiedExchangedDocumentContext>
  <rsm:HeaderExchangedDocument>
    <ram:ID>471102</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20130305</udt:DateTimeString></ram:IssueDateTime>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Lieferant GmbH</ram:Name>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>DE08700901001234567890</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:GrandTotalAmount currencyID="EUR">529.87</ram:GrandTotalAmount>
        <ram:DuePayableAmount currencyID="EUR">529.87</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>`;
    const document = parseCrossIndustryXml(xml(zugferd1), 'ZUGFeRD-invoice.xml');
    expect(document).toMatchObject({
      syntax: 'ZUGFERD_1',
      kind: 'invoice',
      fields: {
        invoiceNumber: '471102',
        issueDate: '2013-03-05',
        totalCents: 52987,
        iban: 'DE08700901001234567890',
        vatId: 'DE123456789',
        currency: 'EUR',
      },
    });
  });

  it('reads an Order-X document as an order, with its date of format 203 and its order currency', () => {
    const orderX = `\ufeff<rsm:SCRDMCCBDACIOMessageStructure xmlns:rsm="urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:128"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:128">
  <rsm:ExchangedDocument><ram:ID>PO123456789</ram:ID><ram:TypeCode>220</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="203">202003311232</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:OrderCurrencyCode>EUR</ram:OrderCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:GrandTotalAmount>360.00</ram:GrandTotalAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:SCRDMCCBDACIOMessageStructure>`;
    const document = parseCrossIndustryXml(xml(orderX), 'order-x.xml');
    expect(document).toMatchObject({
      syntax: 'ORDER_X',
      kind: 'order',
      typeCode: '220',
      fields: { invoiceNumber: 'PO123456789', issueDate: '2020-03-31', totalCents: 36000, currency: 'EUR' },
    });
  });

  it('skips an XML that is not CII, such as a UBL invoice', () => {
    const ubl = '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>F1</ID></Invoice>';
    expect(parseCrossIndustryXml(xml(ubl), 'xrechnung.xml')).toBeNull();
  });

  it('refuses an XML declaring a DTD, so no entity is ever expanded', () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"><rsm:ExchangedDocument>&lol2;</rsm:ExchangedDocument></rsm:CrossIndustryInvoice>`;
    expect(() => parseCrossIndustryXml(xml(bomb))).toThrow(FacturXError);
  });

  it('refuses an XML larger than the cap without parsing it', () => {
    expect(() => parseCrossIndustryXml(Buffer.alloc(MAX_XML_BYTES + 1, 0x20))).toThrow(/exceeds/);
  });

  it('refuses a CII document that is not well-formed', () => {
    const broken = invoiceXml().replace('</rsm:ExchangedDocument>', '');
    expect(() => parseCrossIndustryXml(xml(broken))).toThrow(FacturXError);
  });
});

describe('the XML attachment of a PDF', () => {
  it('is found whatever its name, by its root element', async () => {
    const pdf = textPdf(INVOICE_LINES, { attachments: [{ name: 'donnees-facture.xml', content: invoiceXml() }] });
    const document = await withPdf(pdf, {}, (doc) => readFacturX(doc));
    expect(document).toMatchObject({ attachment: 'donnees-facture.xml', fields: { invoiceNumber: INVOICE.number } });
  });

  it('is skipped when the name says factur-x.xml but the content is not CII, and the next XML is used', async () => {
    const pdf = textPdf(INVOICE_LINES, {
      attachments: [
        { name: 'factur-x.xml', content: '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>' },
        { name: 'invoice.xml', content: invoiceXml() },
      ],
    });
    const document = await withPdf(pdf, {}, (doc) => readFacturX(doc));
    expect(document?.attachment).toBe('invoice.xml');
  });

  it('is absent from a PDF without attachments', async () => {
    await expect(withPdf(textPdf(INVOICE_LINES), {}, (doc) => readFacturX(doc))).resolves.toBeNull();
  });

  it('is ignored when damaged, leaving the printed page to the other engines', async () => {
    const pdf = textPdf(INVOICE_LINES, {
      attachments: [{ name: 'factur-x.xml', content: '<rsm:CrossIndustryInvoice' }],
    });
    await expect(withPdf(pdf, {}, (doc) => readFacturX(doc))).resolves.toBeNull();
  });
});
