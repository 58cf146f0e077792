import { WorkflowUpdateFailedError } from '@temporalio/client';
import { cancelUpdate, confirmPaymentUpdate, decideUpdate, getProFormaQuery } from '../../workflows/pro-forma.messages';
import {
  ADMIN,
  CFA_USER,
  VALIDATOR,
  deposit,
  generate,
  handle,
  perfectReading,
  seedCfa,
  startStack,
  waitFor,
  type Stack,
} from '../helpers/stack';

jest.setTimeout(90_000);

describe('proFormaWorkflow', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.teardown());

  it('takes an invoice from deposit through manual approval and payment to PAID', async () => {
    const scenario = await seedCfa(stack);
    const [proForma] = await generate(stack, scenario);
    if (!proForma) throw new Error('no pro forma');
    stack.extract.mockResolvedValue(perfectReading(proForma.number, proForma.totalCents, scenario));

    const afterDeposit = await deposit(stack, proForma.number);
    expect(afterDeposit).toMatchObject({
      status: 'UNDER_VALIDATION',
      stage: 'READING',
      statusLabel: 'En cours de validation',
    });

    await waitFor(stack, proForma.number, (v) => v.stage === 'AWAITING_DECISION');
    const decided = await handle(stack, proForma.number).executeUpdate(decideUpdate, {
      args: [{ requestId: 'decision-1', actor: VALIDATOR, decision: 'APPROVE' }],
      updateId: 'decision-1',
    });
    expect(decided.status).toBe('VALIDATED');
    await waitFor(stack, proForma.number, (v) => v.payment !== null);
    const paid = await handle(stack, proForma.number).executeUpdate(confirmPaymentUpdate, {
      args: [{ requestId: 'paid-1', actor: ADMIN, reference: 'VIR-42' }],
    });
    expect(paid).toMatchObject({ status: 'PAID', statusLabel: 'Payé' });
    await handle(stack, proForma.number).result();

    const row = await stack.database.db
      .selectFrom('pro_formas')
      .selectAll()
      .where('number', '=', proForma.number)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'PAID', stage: null });
    expect(row.paid_at).not.toBeNull();
    const audit = await stack.database.db
      .selectFrom('audit_events')
      .select(['action', 'from_status', 'to_status'])
      .where('pro_forma_id', '=', row.id)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'GENERATE',
      'DEPOSIT',
      'CONTROL',
      'AWAIT_DECISION',
      'APPROVE',
      'CONFIRM_PAYMENT',
    ]);
  });
});
