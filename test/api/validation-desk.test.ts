import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { ExtractionResult } from '../../extraction/types';
import { TEST_IBAN } from '../helpers/fixtures';
import { seedInstallments, startApiStack, waitForProForma, type ApiStack, type TestUser } from '../helpers/api';
import { invoicePdf } from '../helpers/invoices';
import { perfectReading } from '../helpers/stack';

jest.setTimeout(120_000);

/** Claims lapse after 3 s here; approvals above 1,000 € need two validators. */
const CLAIM_TTL_MS = 3000;
const FOUR_EYES_CENTS = 100_000;

/**
 * The validation desk on the real stack (PostgreSQL, Temporal, workers, the Express app): claims raced, refused
 * naming the holder, lapsed and taken over; a correction of the reading that runs the controls again and stays in
 * the history; four eyes above the threshold; an admin's cancellation (the CFA told) and return to validation.
 */
describe('the validation desk through the API', () => {
  let api: ApiStack;
  let second: TestUser;
  const readings = new Map<string, ExtractionResult>();

  beforeAll(async () => {
    api = await startApiStack({
      env: { CLAIM_TTL: `${CLAIM_TTL_MS / 1000}s`, FOUR_EYES_THRESHOLD: String(FOUR_EYES_CENTS / 100) },
    });
    api.stack.extract.mockImplementation(async (input) => {
      const reading = readings.get(input.sha256);
      if (!reading) throw new Error(`no reading programmed for ${input.sha256}`);
      return reading;
    });
    second = await api.createUser('validator');
  });
  afterAll(() => api.teardown());

  /** The rows once there are some (within 20 s), or the last empty answer. */
  async function eventually<T>(read: () => Promise<T[]>): Promise<T[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const rows = await read();
      if (rows.length > 0 || Date.now() > deadline) return rows;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  const nameOf = async (user: TestUser) =>
    (await api.deps.db.selectFrom('users').select('name').where('id', '=', user.id).executeTakeFirstOrThrow()).name;

  /** A pro forma of `amountCents` whose invoice awaits a decision (read as `reading` says). */
  async function atDecision(
    amountCents = 50_000 + crypto.randomInt(1, 9_999),
    reading: (r: ExtractionResult) => ExtractionResult = (r) => r,
  ): Promise<string> {
    const { installmentIds } = await seedInstallments(api, api.cfa.id, [amountCents]);
    const { agent, auth } = api.http(api.users.cfa);
    const created = await agent.post('/api/pro-formas').set(auth).send({ nature: 'PEDAGOGIE', installmentIds });
    expect(created.status).toBe(201);
    const number = created.body.proFormas[0].number as string;
    const invoiceNumber = `FA-${crypto.randomBytes(4).toString('hex')}`;
    const pdf = invoicePdf({
      proFormaNumber: number,
      invoiceNumber,
      totalCents: amountCents,
      siret: api.cfa.siret,
      iban: TEST_IBAN,
    });
    const sha = crypto.createHash('sha256').update(pdf).digest('hex');
    readings.set(
      sha,
      reading(perfectReading(number, amountCents, { cfa: api.cfa, installments: [] }, { invoiceNumber })),
    );
    const res = await agent.post(`/api/pro-formas/${number}/invoice`).set(auth).attach('file', pdf, 'facture.pdf');
    expect(res.status).toBe(202);
    await waitForProForma(api, api.users.cfa, number, (v) => v.stage === 'AWAITING_DECISION');
    return number;
  }

  const post = (user: TestUser, path: string, body: object = {}) => {
    const { agent, auth } = api.http(user);
    return agent.post(path).set(auth).send(body);
  };
  const claim = (user: TestUser, number: string, body: object = {}) =>
    post(user, `/api/pro-formas/${number}/claim`, body);
  const decide = (user: TestUser, number: string, body: object) =>
    post(user, `/api/pro-formas/${number}/decision`, body);
  const detail = async (user: TestUser, number: string) => {
    const { agent, auth } = api.http(user);
    const res = await agent.get(`/api/pro-formas/${number}`).set(auth);
    expect(res.status).toBe(200);
    return res.body;
  };

  describe('claims', () => {
    it('lets one of two validators racing for an item win; the other gets 409 naming the holder', async () => {
      const number = await atDecision();
      const [a, b] = await Promise.all([claim(api.users.validator, number), claim(second, number)]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const [won, lost] = a.status === 200 ? [api.users.validator, b] : [second, a];
      const holderName = await nameOf(won);
      expect(lost.body.error.code).toBe('CLAIMED_BY_OTHER');
      expect(lost.body.error.message).toContain(holderName);
      expect(lost.body.error.details.holder).toEqual({ userId: won.id, name: holderName });

      const seen = await detail(api.users.admin, number);
      expect(seen.desk.claim).toMatchObject({ userId: won.id, name: holderName });
      // The desk compares the read IBAN with the CFA's registered one.
      expect(seen.desk.cfaBanking).toEqual({ iban: api.cfa.iban, bic: null, ibanFlag: null });
      const row = await api.deps.db
        .selectFrom('pro_formas')
        .select(['claimed_by'])
        .where('number', '=', number)
        .executeTakeFirstOrThrow();
      expect(row.claimed_by).toBe(won.id);

      // The loser cannot decide the item either, while the claim holds.
      const loser = won === second ? api.users.validator : second;
      const refused = await decide(loser, number, { decision: 'APPROVE' });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('CLAIMED_BY_OTHER');
      expect((await detail(api.users.admin, number)).status).toBe('UNDER_VALIDATION');
      // The holder decides; the claim ends with the stage.
      const approved = await decide(won, number, { decision: 'APPROVE' });
      expect(approved.status).toBe(200);
      expect(approved.body.status).toBe('VALIDATED');
      expect(approved.body.desk.claim).toBeNull();
    });

    it('lets another validator take an expired claim, and decide', async () => {
      const number = await atDecision();
      expect((await claim(api.users.validator, number)).status).toBe(200);
      expect((await claim(second, number)).status).toBe(409);
      await new Promise((resolve) => setTimeout(resolve, CLAIM_TTL_MS + 500));
      const taken = await claim(second, number);
      expect(taken.status).toBe(200);
      expect(taken.body.desk.claim.userId).toBe(second.id);
      // The first holder's claim lapsed: it is now the one refused.
      expect((await decide(api.users.validator, number, { decision: 'APPROVE' })).status).toBe(409);
      expect((await decide(second, number, { decision: 'APPROVE' })).status).toBe(200);
      const history = (await detail(api.users.admin, number)).history.map((h: { action: string }) => h.action);
      expect(history.filter((a: string) => a === 'CLAIM')).toHaveLength(2);
    });

    it('lets an admin take over a live claim, and its holder or an admin release one', async () => {
      const number = await atDecision();
      expect((await claim(api.users.validator, number)).status).toBe(200);
      expect((await claim(api.users.admin, number)).status).toBe(409);
      const over = await claim(api.users.admin, number, { takeOver: true });
      expect(over.status).toBe(200);
      expect(over.body.desk.claim.userId).toBe(api.users.admin.id);
      // A validator cannot take over.
      expect((await claim(second, number, { takeOver: true })).status).toBe(409);
      const released = await post(api.users.admin, `/api/pro-formas/${number}/claim/release`);
      expect(released.status).toBe(200);
      expect(released.body.desk.claim).toBeNull();
      expect((await claim(second, number)).status).toBe(200);
      const actions = (await detail(api.users.admin, number)).history.map((h: { action: string }) => h.action);
      expect(actions).toEqual(expect.arrayContaining(['CLAIM', 'TAKE_OVER_CLAIM', 'RELEASE_CLAIM']));
      // A CFA never sees the desk's claims.
      const seenByCfa = await detail(api.users.cfa, number);
      expect(seenByCfa.desk).toBeUndefined();
      expect(seenByCfa.history.map((h: { action: string }) => h.action)).not.toContain('CLAIM');
    });
  });

  describe('corrections of a reading', () => {
    it('runs the controls again on the corrected reading, keeps the correction in the detail and the history, and leaves the decision to a human', async () => {
      // OCR found no IBAN: the IBAN controls need a human.
      const number = await atDecision(undefined, (r) => ({
        ...r,
        engine: 'OCR',
        fields: { ...r.fields, iban: null },
        fieldConfidences: { ...r.fieldConfidences, iban: 0 },
      }));
      const before = await detail(api.users.validator, number);
      expect(before.desk.reviewCodes).toEqual(expect.arrayContaining(['IBAN_VALID', 'IBAN_MATCHES_CFA']));
      const sha = before.documents[0].sha256;

      const corrected = await post(second, `/api/pro-formas/${number}/corrections`, {
        fields: { iban: `${TEST_IBAN.slice(0, 4)} ${TEST_IBAN.slice(4)}` },
        justification: 'IBAN lu sur le RIB joint, page 2.',
      });
      expect(corrected.status).toBe(200);
      const after = corrected.body;
      expect(after.status).toBe('UNDER_VALIDATION');
      expect(after.stage).toBe('AWAITING_DECISION');
      expect(after.controls.filter((c: { outcome: string }) => c.outcome !== 'PASSED')).toEqual([]);
      expect(after.desk.reviewCodes).toEqual([]);
      expect(after.desk.corrections).toEqual([
        {
          version: 1,
          field: 'iban',
          before: null,
          after: TEST_IBAN,
          justification: 'IBAN lu sur le RIB joint, page 2.',
          author: { id: second.id, name: await nameOf(second) },
          at: expect.any(String),
        },
      ]);
      const entry = after.history.find((h: { action: string }) => h.action === 'CORRECT_READING');
      expect(entry).toMatchObject({
        actor: second.id,
        details: {
          version: 1,
          justification: 'IBAN lu sur le RIB joint, page 2.',
          changes: [{ field: 'iban', before: null, after: TEST_IBAN }],
        },
      });
      // What was read and what was deposited stay as they were; the corrector now holds the item.
      expect(after.extraction.fields.iban).toBeNull();
      expect(after.documents[0].sha256).toBe(sha);
      expect(after.desk.claim.userId).toBe(second.id);
      expect(
        crypto
          .createHash('sha256')
          .update(await api.store.get(sha))
          .digest('hex'),
      ).toBe(sha);
      // A human still decides.
      expect((await decide(second, number, { decision: 'APPROVE' })).body.status).toBe('VALIDATED');
    });

    it('refuses an invalid or idle correction with 422 naming the field, changing nothing', async () => {
      const number = await atDecision();
      const invalid = await post(api.users.validator, `/api/pro-formas/${number}/corrections`, {
        fields: { iban: 'FR7630006000011234567890100', siret: '12345678901234' },
        justification: 'Corrigé.',
      });
      expect(invalid.status).toBe(422);
      expect(invalid.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
        'fields.iban',
        'fields.siret',
      ]);
      const same = (await detail(api.users.validator, number)).extraction.fields.invoiceNumber;
      const idle = await post(api.users.validator, `/api/pro-formas/${number}/corrections`, {
        fields: { invoiceNumber: same },
        justification: 'Corrigé.',
      });
      expect(idle.status).toBe(422);
      const noJustification = await post(api.users.validator, `/api/pro-formas/${number}/corrections`, {
        fields: { invoiceNumber: 'FA-1' },
      });
      expect(noJustification.status).toBe(422);
      const rows = await api.deps.db
        .selectFrom('reading_corrections as c')
        .innerJoin('pro_formas as p', 'p.id', 'c.pro_forma_id')
        .select('c.id')
        .where('p.number', '=', number)
        .execute();
      expect(rows).toEqual([]);
    });
  });

  describe('four eyes above the threshold', () => {
    it('needs a second validator: the first approval awaits a second one, the same person cannot give both', async () => {
      const number = await atDecision(FOUR_EYES_CENTS + 12_345);
      const first = await decide(api.users.validator, number, { decision: 'APPROVE' });
      expect(first.status).toBe(200);
      expect(first.body.status).toBe('UNDER_VALIDATION');
      expect(first.body.stage).toBe('AWAITING_SECOND_APPROVAL');
      expect(first.body.desk.firstApproval).toEqual({
        userId: api.users.validator.id,
        name: await nameOf(api.users.validator),
      });
      const again = await decide(api.users.validator, number, { decision: 'APPROVE' });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('SAME_APPROVER');
      // No correction after a first approval: the second validator approves what the first one saw.
      const late = await post(second, `/api/pro-formas/${number}/corrections`, {
        fields: { invoiceNumber: 'FA-OTHER' },
        justification: 'Corrigé.',
      });
      expect(late.status).toBe(409);
      const validated = await decide(second, number, { decision: 'APPROVE' });
      expect(validated.status).toBe(200);
      expect(validated.body.status).toBe('VALIDATED');
      const decisions = await api.deps.db
        .selectFrom('decisions as d')
        .innerJoin('pro_formas as p', 'p.id', 'd.pro_forma_id')
        .select(['d.decision', 'd.decided_by'])
        .where('p.number', '=', number)
        .execute();
      expect(decisions).toEqual([{ decision: 'APPROVE', decided_by: second.id }]);
      const actions = validated.body.history.map((h: { action: string }) => h.action);
      expect(actions).toEqual(expect.arrayContaining(['FIRST_APPROVAL', 'APPROVE']));
    });

    it('makes a refusal by the second validator final for that version', async () => {
      const number = await atDecision(FOUR_EYES_CENTS + 54_321);
      expect((await decide(api.users.validator, number, { decision: 'APPROVE' })).body.stage).toBe(
        'AWAITING_SECOND_APPROVAL',
      );
      const refused = await decide(second, number, { decision: 'REFUSE', reasonCode: 'OTHER', comment: 'Doublon.' });
      expect(refused.status).toBe(200);
      expect(refused.body.status).toBe('REFUSED');
      expect(refused.body.refusal).toMatchObject({ reasonCode: 'OTHER', origin: 'MANUAL' });
    });

    it('approves at once below the threshold', async () => {
      const number = await atDecision(FOUR_EYES_CENTS - 1);
      expect((await decide(api.users.validator, number, { decision: 'APPROVE' })).body.status).toBe('VALIDATED');
    });
  });

  describe('staff actions', () => {
    it('lets an admin cancel a pro forma awaiting a decision, with a reason the CFA is told by e-mail', async () => {
      const number = await atDecision();
      const res = await post(api.users.admin, `/api/pro-formas/${number}/staff-cancellation`, {
        reason: 'Contrat rompu avant le début de la formation.',
      });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('CANCELLED');
      expect(res.body.history.at(-1)).toMatchObject({
        action: 'STAFF_CANCEL',
        actor: api.users.admin.id,
        details: { reason: 'Contrat rompu avant le début de la formation.' },
      });
      const sent = await eventually(() =>
        api.deps.db
          .selectFrom('notifications as n')
          .innerJoin('pro_formas as p', 'p.id', 'n.pro_forma_id')
          .select(['n.template', 'n.status', 'n.subject'])
          .where('p.number', '=', number)
          .where('n.template', '=', 'CANCELLED_BY_OPCO')
          .where('n.status', '=', 'SENT')
          .execute(),
      );
      expect(sent).toEqual([
        { template: 'CANCELLED_BY_OPCO', status: 'SENT', subject: `Facture pro forma annulée — ${number}` },
      ]);
    });

    it('lets an admin return a validated pro forma to validation before its payment is ordered, then approve again', async () => {
      const number = await atDecision();
      expect((await decide(api.users.validator, number, { decision: 'APPROVE' })).body.status).toBe('VALIDATED');
      await waitForProForma(api, api.users.admin, number, (v) => (v as { payment?: unknown }).payment !== null);
      const back = await post(api.users.admin, `/api/pro-formas/${number}/return-to-validation`, {
        reason: 'IBAN modifié par le CFA entre-temps : à revérifier.',
      });
      expect(back.status).toBe(200);
      expect(back.body.status).toBe('UNDER_VALIDATION');
      expect(back.body.stage).toBe('AWAITING_DECISION');
      expect(back.body.payment).toBeNull();
      expect(back.body.history.at(-1)).toMatchObject({
        action: 'RETURN_TO_VALIDATION',
        details: { reason: 'IBAN modifié par le CFA entre-temps : à revérifier.' },
      });
      const orders = () =>
        api.deps.db
          .selectFrom('payments as pay')
          .innerJoin('pro_formas as p', 'p.id', 'pay.pro_forma_id')
          .select('pay.status')
          .where('p.number', '=', number)
          .orderBy('pay.ordered_at')
          .execute();
      expect(await orders()).toEqual([{ status: 'WITHDRAWN' }]);
      expect((await decide(second, number, { decision: 'APPROVE' })).body.status).toBe('VALIDATED');
      await waitForProForma(api, api.users.admin, number, (v) => (v as { payment?: unknown }).payment !== null);
      expect(await orders()).toEqual([{ status: 'WITHDRAWN' }, { status: 'ORDERED' }]);
    });

    it('refuses a staff action without a reason (422) or where the status does not allow it (409)', async () => {
      const number = await atDecision();
      expect((await post(api.users.admin, `/api/pro-formas/${number}/staff-cancellation`, {})).status).toBe(422);
      const early = await post(api.users.admin, `/api/pro-formas/${number}/return-to-validation`, {
        reason: 'Pas encore validée.',
      });
      expect(early.status).toBe(409);
      expect(early.body.error.code).toBe('ACTION_NOT_ALLOWED');
      const { n } = await api.deps.db
        .selectFrom('audit_events as a')
        .innerJoin('pro_formas as p', 'p.id', 'a.pro_forma_id')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('p.number', '=', number)
        .where('a.action', 'in', ['STAFF_CANCEL', 'RETURN_TO_VALIDATION'])
        .executeTakeFirstOrThrow();
      expect(n).toBe(0);
    });
  });
});
