import crypto from 'node:crypto';
import type { ExtractionResult } from '../../extraction/types';
import { TEST_IBAN } from '../helpers/fixtures';
import { programReadings, seedInstallments, startApiStack, waitForProForma, type ApiStack } from '../helpers/api';
import { invoicePdf } from '../helpers/invoices';
import { perfectReading } from '../helpers/stack';

jest.setTimeout(120_000);

/**
 * « Mon CFA »: a CFA user reads its CFA's settings, changes its default credit-note settlement and the addresses its
 * e-mails go to (each with the kinds it receives), never the IBAN; every change is audited; the e-mails follow.
 */
describe('Mon CFA', () => {
  let api: ApiStack;
  let readings: Map<string, ExtractionResult>;
  beforeAll(async () => {
    api = await startApiStack();
    readings = programReadings(api);
  });
  afterAll(() => api.teardown());

  const get = (user = api.users.cfa) => {
    const { agent, auth } = api.http(user);
    return agent.get('/api/my-cfa').set(auth);
  };
  const patch = (body: object, user = api.users.cfa) => {
    const { agent, auth } = api.http(user);
    return agent.patch('/api/my-cfa').set(auth).send(body);
  };
  const auditRows = () =>
    api.deps.db
      .selectFrom('reference_audit')
      .select(['action', 'actor', 'before', 'after'])
      .where('entity', '=', 'CFA')
      .where('entity_id', '=', api.cfa.id)
      .where('action', '=', 'UPDATE_SETTINGS')
      .orderBy('id')
      .execute();

  it('shows a CFA user its own CFA, IBAN included (read-only), and nobody else’s', async () => {
    const mine = await get();
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({
      id: api.cfa.id,
      siret: api.cfa.siret,
      iban: api.cfa.iban,
      ibanFlag: null,
      creditNoteSettlement: 'DEDUCTION',
      notificationEmails: [],
    });
    expect(mine.body.mailKinds.map((k: { kind: string }) => k.kind)).toEqual(
      expect.arrayContaining(['DEPOSIT_RECEIVED', 'REFUSED', 'PAID']),
    );
    expect((await get(api.users.otherCfa)).body.id).toBe(api.otherCfa.id);
    expect((await get(api.users.validator)).status).toBe(403);
    expect((await get(api.users.admin)).status).toBe(403);
  });

  it('refuses a change of the IBAN (422), changing nothing and auditing nothing', async () => {
    const before = await auditRows();
    const res = await patch({ iban: 'FR7630004000031234567890143' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect((await get()).body.iban).toBe(api.cfa.iban);
    expect(await auditRows()).toEqual(before);
    expect((await patch({})).status).toBe(422);
    expect(
      (
        await patch({
          notificationEmails: [
            { email: 'a@cfa.example', kinds: ['PAID'] },
            { email: 'A@cfa.example', kinds: ['REFUSED'] },
          ],
        })
      ).status,
    ).toBe(422);
    expect((await patch({ notificationEmails: [{ email: 'a@cfa.example', kinds: ['NOPE'] }] })).status).toBe(422);
    expect((await patch({ notificationEmails: [{ email: 'a@cfa.example', kinds: [] }] })).status).toBe(422);
  });

  it('changes the default settlement of credit notes, audited, for the credit notes generated afterwards', async () => {
    const res = await patch({ creditNoteSettlement: 'REMBOURSEMENT' });
    expect(res.status).toBe(200);
    expect(res.body.creditNoteSettlement).toBe('REMBOURSEMENT');
    const rows = await auditRows();
    expect(rows.at(-1)).toEqual({
      action: 'UPDATE_SETTINGS',
      actor: api.users.cfa.id,
      before: expect.objectContaining({ creditNoteSettlement: 'DEDUCTION' }),
      after: expect.objectContaining({ creditNoteSettlement: 'REMBOURSEMENT' }),
    });
    // The same value again changes nothing: no audit row.
    expect((await patch({ creditNoteSettlement: 'REMBOURSEMENT' })).status).toBe(200);
    expect(await auditRows()).toHaveLength(rows.length);

    const { installmentIds } = await seedInstallments(api, api.cfa.id, [90_000, -12_500]);
    const { agent, auth } = api.http(api.users.cfa);
    const created = await agent.post('/api/pro-formas').set(auth).send({ nature: 'PEDAGOGIE', installmentIds });
    expect(created.status).toBe(201);
    const creditNote = created.body.proFormas.find((p: { kind: string }) => p.kind === 'CREDIT_NOTE');
    expect(creditNote.settlementMode).toBe('REMBOURSEMENT');
  });

  it('sends each kind of e-mail to the addresses that receive it, the others to the main address', async () => {
    const res = await patch({
      notificationEmails: [
        { email: 'depots@cfa.example', kinds: ['DEPOSIT_RECEIVED'] },
        { email: 'compta@cfa.example', kinds: ['REFUSED', 'PAID'] },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.notificationEmails).toEqual([
      { email: 'compta@cfa.example', kinds: ['PAID', 'REFUSED'] },
      { email: 'depots@cfa.example', kinds: ['DEPOSIT_RECEIVED'] },
    ]);

    // A deposit read with another amount: received (to « dépôts »), then refused automatically (to « compta »).
    const amount = 70_000 + crypto.randomInt(1, 9_999);
    const { installmentIds } = await seedInstallments(api, api.cfa.id, [amount]);
    const { agent, auth } = api.http(api.users.cfa);
    const created = await agent.post('/api/pro-formas').set(auth).send({ nature: 'PEDAGOGIE', installmentIds });
    const number = created.body.proFormas[0].number as string;
    const pdf = invoicePdf({
      proFormaNumber: number,
      invoiceNumber: 'FA-9',
      totalCents: amount,
      siret: api.cfa.siret,
      iban: TEST_IBAN,
    });
    const sha = crypto.createHash('sha256').update(pdf).digest('hex');
    readings.set(sha, perfectReading(number, amount + 100, { cfa: api.cfa, installments: [] }));
    expect((await agent.post(`/api/pro-formas/${number}/invoice`).set(auth).attach('file', pdf, 'f.pdf')).status).toBe(
      202,
    );
    await waitForProForma(api, api.users.cfa, number, (v) => v.status === 'REFUSED');

    const mails = async () =>
      api.deps.db
        .selectFrom('notifications as n')
        .innerJoin('pro_formas as p', 'p.id', 'n.pro_forma_id')
        .select(['n.template', 'n.recipient', 'n.status'])
        .where('p.number', '=', number)
        .orderBy('n.template')
        .execute();
    const deadline = Date.now() + 20_000;
    let sent = await mails();
    while (sent.filter((m) => m.status === 'SENT').length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      sent = await mails();
    }
    expect(sent).toEqual([
      { template: 'DEPOSIT_RECEIVED', recipient: 'depots@cfa.example', status: 'SENT' },
      { template: 'REFUSED', recipient: 'compta@cfa.example', status: 'SENT' },
    ]);
    // Back to the main address for every kind.
    expect((await patch({ notificationEmails: [] })).body.notificationEmails).toEqual([]);
  });
});
