import { BankFileError, MAX_BANK_FILE_BYTES, parseBankFile } from '../../extraction/bank-statement';
import { createReaderPool, type ReaderPool } from '../../extraction/readers';

const bytes = (xml: string) => Buffer.from(xml, 'utf8');

const camt054 = (entries: string) => `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>CAMT-2026-12-04-01</MsgId><CreDtTm>2026-12-04T07:30:00+01:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>N1</Id>
      ${entries}
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>`;

const booked = `
  <Ntry>
    <Amt Ccy="EUR">4101.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-12-03</Dt></BookgDt><AcctSvcrRef>BQ-778899</AcctSvcrRef>
    <NtryDtls>
      <TxDtls><Refs><EndToEndId>RUN-20261202-01-1</EndToEndId></Refs><Amt Ccy="EUR">4051.50</Amt></TxDtls>
      <TxDtls><Refs><EndToEndId>RUN-20261202-01-2</EndToEndId><AcctSvcrRef>BQ-778899-2</AcctSvcrRef></Refs>
        <AmtDtls><TxAmt><Amt Ccy="EUR">50</Amt></TxAmt></AmtDtls></TxDtls>
    </NtryDtls>
  </Ntry>`;

const returned = `
  <Ntry>
    <Amt Ccy="EUR">120.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-12-04</Dt></BookgDt>
    <NtryDtls><TxDtls><Refs><EndToEndId>RUN-20261202-01-3</EndToEndId></Refs>
      <RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls>
  </Ntry>`;

const received = `
  <Ntry>
    <Amt Ccy="EUR">413.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-04</Dt></BookgDt>
    <NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
      <RmtInf><Ustrd>Remboursement avoir PRO-00000002 &amp; solde</Ustrd></RmtInf></TxDtls></NtryDtls>
  </Ntry>`;

const pending = `
  <Ntry><Amt Ccy="EUR">10</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts>
    <NtryDtls><TxDtls><Refs><EndToEndId>RUN-20261202-01-4</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>`;

describe('the bank’s answers', () => {
  it('reads a camt.054: booked transfers of a batch, a returned one with its reason, a credit received, a pending one', () => {
    const file = parseBankFile(bytes(camt054(booked + returned + received + pending)));
    expect(file).toMatchObject({ kind: 'camt.054', messageId: 'CAMT-2026-12-04-01' });
    expect(file.lines).toEqual([
      {
        endToEndId: 'RUN-20261202-01-1',
        direction: 'DEBIT',
        status: 'BOOKED',
        amountCents: 405_150,
        date: '2026-12-03',
        bankReference: 'BQ-778899',
        reasonCode: null,
        remittance: null,
      },
      {
        endToEndId: 'RUN-20261202-01-2',
        direction: 'DEBIT',
        status: 'BOOKED',
        amountCents: 5_000,
        date: '2026-12-03',
        bankReference: 'BQ-778899-2',
        reasonCode: null,
        remittance: null,
      },
      {
        endToEndId: 'RUN-20261202-01-3',
        direction: 'CREDIT',
        status: 'REJECTED',
        amountCents: 12_000,
        date: '2026-12-04',
        bankReference: null,
        reasonCode: 'AC04',
        remittance: null,
      },
      {
        endToEndId: null,
        direction: 'CREDIT',
        status: 'BOOKED',
        amountCents: 41_350,
        date: '2026-12-04',
        bankReference: null,
        reasonCode: null,
        remittance: 'Remboursement avoir PRO-00000002 & solde',
      },
      {
        endToEndId: 'RUN-20261202-01-4',
        direction: 'DEBIT',
        status: 'PENDING',
        amountCents: 1_000,
        date: null,
        bankReference: null,
        reasonCode: null,
        remittance: null,
      },
    ]);
  });

  it('reads a pain.002: accepted and rejected transfers with the rejection’s reason', () => {
    const file = parseBankFile(
      bytes(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
        <GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2026-12-03T10:00:00Z</CreDtTm></GrpHdr>
        <OrgnlGrpInfAndSts><OrgnlMsgId>RUN-20261202-01</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>
        <OrgnlPmtInfAndSts><OrgnlPmtInfId>RUN-20261202-01</OrgnlPmtInfId>
          <TxInfAndSts><OrgnlEndToEndId>RUN-20261202-01-1</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>
          <TxInfAndSts><OrgnlEndToEndId>RUN-20261202-01-2</OrgnlEndToEndId><TxSts>RJCT</TxSts>
            <StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf>
            <OrgnlTxRef><Amt><InstdAmt Ccy="EUR">50.00</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>
        </OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>`),
    );
    expect(file.kind).toBe('pain.002');
    expect(file.lines.map((l) => [l.endToEndId, l.status, l.reasonCode, l.amountCents, l.date])).toEqual([
      ['RUN-20261202-01-1', 'BOOKED', null, null, '2026-12-03'],
      ['RUN-20261202-01-2', 'REJECTED', 'AM04', 5_000, '2026-12-03'],
    ]);
  });

  it.each([
    [
      'a DTD (entity expansion)',
      '<!DOCTYPE d [<!ENTITY a "aaaa">]><Document><BkToCstmrDbtCdtNtfctn/></Document>',
      /DTD/,
    ],
    ['not XML at all', '%PDF-1.7 binary', /Ni camt\.054 ni pain\.002|mal formé/],
    ['broken XML', '<Document><BkToCstmrDbtCdtNtfctn><GrpHdr></Document>', /mal formé/],
    ['another message', '<Document><CstmrCdtTrfInitn/></Document>', /Ni camt\.054/],
    ['no message id', '<Document><BkToCstmrDbtCdtNtfctn><GrpHdr/></BkToCstmrDbtCdtNtfctn></Document>', /MsgId/],
    ['an amount with a comma', camt054(booked.replace('4101.50', '4101,50')), /montant illisible \(4101,50\)/],
    ['a negative amount', camt054(booked.replace('4101.50', '-4101.50')), /montant illisible/],
    ['another currency', camt054(pending.replace('Ccy="EUR"', 'Ccy="USD"')), /devise/],
  ])('refuses whole %s', (_case, xml, message) => {
    expect(() => parseBankFile(bytes(xml))).toThrow(BankFileError);
    expect(() => parseBankFile(bytes(xml))).toThrow(message);
  });

  it('refuses a file over its size limit before reading it', () => {
    expect(() => parseBankFile(new Uint8Array(MAX_BANK_FILE_BYTES + 1))).toThrow(/au plus/);
  });
});

/** Where an admin's upload is read: a reader process, under a deadline and a memory cap. */
describe('the bank’s answers in a reader process', () => {
  let readers: ReaderPool;
  beforeAll(() => {
    readers = createReaderPool({ size: 1, deadlineMs: 30_000, memoryLimitMb: 512 });
  });
  afterAll(() => readers.close());

  it('reads a camt.054 there, and answers a hostile file with its refusal', async () => {
    const read = await readers.run('readBankFile', { bytes: bytes(camt054(booked)) });
    expect(read.value).toMatchObject({ ok: true, file: { kind: 'camt.054', lines: [{ status: 'BOOKED' }, {}] } });
    const refused = await readers.run('readBankFile', { bytes: bytes('<!DOCTYPE x><Document/>') });
    expect(refused.value).toEqual({ ok: false, message: 'Le fichier déclare une DTD : refusé.' });
  });
});
