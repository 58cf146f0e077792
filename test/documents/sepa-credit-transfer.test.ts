import { create } from 'xmlbuilder2';
import {
  PAIN_001_SCHEMA,
  buildCreditTransferXml,
  creditorAccountProblem,
  CreditTransferError,
  type CreditTransferFile,
} from '../../documents/sepa-credit-transfer';
import { validateAgainstSchema } from '../../infra/xml-schema';
import { TEST_IBAN } from '../helpers/fixtures';

/** A valid German IBAN (EEA) and a Swiss one (SEPA outside the EEA: BIC required). */
const DE_IBAN = 'DE89370400440532013000';
const CH_IBAN = 'CH9300762011623852957';

const file = (overrides: Partial<CreditTransferFile> = {}): CreditTransferFile => ({
  messageId: 'RUN-20261202-01',
  createdAt: new Date('2026-12-02T09:00:00.123Z'),
  executionDate: '2026-12-03',
  debtor: { name: 'Opco Démo — Direction financière', iban: 'FR7630006000011234567890189', bic: 'AGRIFRPP' },
  transfers: [
    {
      endToEndId: 'RUN-20261202-01-1',
      amountCents: 405_150,
      creditor: { name: 'CFA des Métiers & de l’Artisanat <Évry>', iban: TEST_IBAN },
      remittance: 'Factures PRO-00000001 PRO-00000003 moins avoirs PRO-00000002',
    },
    {
      endToEndId: 'RUN-20261202-01-2',
      amountCents: 1,
      creditor: { name: 'CFA Genève', iban: CH_IBAN, bic: 'UBSWCHZH80A' },
      remittance: 'Factures PRO-00000007',
    },
  ],
  ...overrides,
});

interface Initiation {
  GrpHdr: Record<string, unknown>;
  PmtInf: Record<string, unknown> & { CdtTrfTxInf: Record<string, unknown>[] };
}

/** The XML parsed back: the values a bank reads. */
function readBack(xml: string): Initiation {
  const doc = create(xml).end({ format: 'object' }) as unknown as { Document: { CstmrCdtTrfInitn: Initiation } };
  return doc.Document.CstmrCdtTrfInitn;
}

describe('the SEPA credit transfer file (pain.001.001.09)', () => {
  it('is valid against the EPC schema, with the counts, control sums, parties and references right', async () => {
    const xml = buildCreditTransferXml(file());
    expect(await validateAgainstSchema(xml, PAIN_001_SCHEMA)).toEqual({ valid: true, errors: [] });
    const initiation = readBack(xml);
    expect(initiation.GrpHdr).toMatchObject({
      MsgId: 'RUN-20261202-01',
      CreDtTm: '2026-12-02T09:00:00Z',
      NbOfTxs: '2',
      CtrlSum: '4051.51',
    });
    const payment = initiation.PmtInf;
    expect(payment).toMatchObject({
      NbOfTxs: '2',
      CtrlSum: '4051.51',
      ReqdExctnDt: { Dt: '2026-12-03' },
      Dbtr: { Nm: 'Opco Demo - Direction financiere' },
      DbtrAcct: { Id: { IBAN: 'FR7630006000011234567890189' } },
      DbtrAgt: { FinInstnId: { BICFI: 'AGRIFRPP' } },
    });
    const [first, second] = payment.CdtTrfTxInf;
    expect(first).toMatchObject({
      PmtId: { EndToEndId: 'RUN-20261202-01-1' },
      Amt: { InstdAmt: { '@Ccy': 'EUR', '#': '4051.50' } },
      Cdtr: { Nm: "CFA des Metiers + de l'Artisanat Evry" },
      RmtInf: { Ustrd: 'Factures PRO-00000001 PRO-00000003 moins avoirs PRO-00000002' },
    });
    expect(first?.CdtrAgt).toBeUndefined();
    expect(second).toMatchObject({
      Amt: { InstdAmt: { '#': '0.01' } },
      CdtrAgt: { FinInstnId: { BICFI: 'UBSWCHZH80A' } },
    });
  });

  it('is refused by the schema when a negative amount is forced into it', async () => {
    const xml = buildCreditTransferXml(file()).replace('>4051.50<', '>-4051.50<');
    const verdict = await validateAgainstSchema(xml, PAIN_001_SCHEMA);
    expect(verdict.valid).toBe(false);
    expect(verdict.errors.join('\n')).toMatch(/InstdAmt.*-4051\.50/);
  });

  it('refuses, naming each, the transfers a bank could not execute, before writing any XML', () => {
    const bad = file({
      transfers: [
        { ...file().transfers[0]!, amountCents: 100_000_000_000 },
        { ...file().transfers[1]!, creditor: { name: 'CFA Genève', iban: CH_IBAN } },
        { ...file().transfers[0]!, endToEndId: 'RUN-20261202-01-1', amountCents: 0 },
        { ...file().transfers[0]!, endToEndId: 'RUN//3', creditor: { name: 'X', iban: 'FR7630006000011234567890188' } },
      ],
    });
    let error: unknown;
    try {
      buildCreditTransferXml(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CreditTransferError);
    expect((error as CreditTransferError).problems).toEqual([
      'virement RUN-20261202-01-1 : montant hors des limites SEPA (100000000000 centimes)',
      'virement RUN-20261202-01-2 : BIC obligatoire pour un IBAN CH (hors Espace économique européen)',
      'virement RUN-20261202-01-1 : référence de bout en bout en double',
      'virement RUN-20261202-01-1 : montant hors des limites SEPA (0 centimes)',
      'virement RUN//3 : référence de bout en bout invalide',
      'virement RUN//3 : IBAN invalide',
    ]);
  });

  it('knows which beneficiary accounts need a BIC', () => {
    expect(creditorAccountProblem({ iban: DE_IBAN })).toBeUndefined();
    expect(creditorAccountProblem({ iban: CH_IBAN, bic: 'UBSWCHZH80A' })).toBeUndefined();
    expect(creditorAccountProblem({ iban: CH_IBAN })).toMatch(/BIC obligatoire/);
    expect(creditorAccountProblem({ iban: 'BR1800360305000010009795493C1' })).toBe('pays BR hors de la zone SEPA');
  });
});
