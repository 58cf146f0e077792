import crypto from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { isSampled } from '../../domain/desk';
import type { ExtractionResult } from '../../extraction/types';
import {
  claimUpdate,
  correctReadingUpdate,
  decideUpdate,
  returnToValidationUpdate,
  staffCancelUpdate,
  type Actor,
  type DeskPolicy,
  type ProFormaView,
} from '../../workflows/pro-forma.messages';
import { recordHistory } from '../helpers/histories';
import {
  ADMIN,
  VALIDATOR,
  deposit,
  generate,
  handle,
  perfectReading,
  randomSha,
  seedCfa,
  startStack,
  waitFor,
  workflowBundle,
  type Stack,
} from '../helpers/stack';

jest.setTimeout(120_000);

const SECOND_VALIDATOR: Actor = { id: 'second-validator', role: 'validator', name: 'Second valideur' };

/**
 * The validation desk in the pro forma's workflow: the sampling of trusted CFAs chosen from the invoice (the same
 * on replay), four eyes above the threshold, a correction that runs the controls again, an admin's return to
 * validation and cancellation. Each scenario's history is recorded (`npm run histories:record`) for the replay test.
 */
describe('proFormaWorkflow at the validation desk', () => {
  let stack: Stack;
  const readings = new Map<string, ExtractionResult>();
  beforeAll(async () => {
    stack = await startStack();
    stack.extract.mockImplementation(async (input) => {
      const reading = readings.get(input.sha256);
      if (!reading) throw new Error(`no reading programmed for ${input.sha256}`);
      return reading;
    });
  });
  afterAll(() => stack.teardown());

  /** A pro forma generated under `desk` (merged into the defaults), of one installment of `amount` cents. */
  async function generated(amount: number, desk: Partial<DeskPolicy>, cfaOptions = {}) {
    stack.deps.workflowOverrides = { ...stack.deps.workflowOverrides, desk };
    const scenario = await seedCfa(stack, [amount], cfaOptions);
    const [proForma] = await generate(stack, scenario);
    if (!proForma) throw new Error('no pro forma generated');
    return { number: proForma.number, total: proForma.totalCents, scenario };
  }

  async function depositRead(
    p: Awaited<ReturnType<typeof generated>>,
    sha = randomSha(),
    change: (r: ExtractionResult) => ExtractionResult = (r) => r,
  ) {
    readings.set(sha, change(perfectReading(p.number, p.total, p.scenario)));
    await deposit(stack, p.number, sha);
    return sha;
  }

  function update<I>(number: string, definition: UpdateDefinition<ProFormaView, [I]>, input: I) {
    return handle(stack, number).executeUpdate(definition, { args: [input] });
  }

  const failureType = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type;
  };

  it('sends a sampled share of a trusted CFA’s compliant invoices to a human, chosen from the invoice: the same on replay', async () => {
    const rate = 0.5;
    const [sampled, notSampled] = [
      await generated(120_000, { samplingRate: rate }, { trusted: true }),
      await generated(120_000, { samplingRate: rate }, { trusted: true }),
    ];
    // Files chosen so that the first is sampled and the second is not (the rule is a pure function of the invoice).
    const shaWhere = (number: string, want: boolean) => {
      for (;;) {
        const sha = randomSha();
        if (isSampled({ number, version: 1, sha256: sha }, rate) === want) return sha;
      }
    };
    await depositRead(sampled, shaWhere(sampled.number, true));
    await depositRead(notSampled, shaWhere(notSampled.number, false));

    const human = await waitFor(stack, sampled.number, (v) => v.stage === 'AWAITING_DECISION');
    expect(human.sampled).toBe(true);
    expect(human.status).toBe('UNDER_VALIDATION');
    const automatic = await waitFor(stack, notSampled.number, (v) => v.status === 'VALIDATED');
    expect(automatic.sampled).toBeFalsy();
    const row = await stack.database.db
      .selectFrom('pro_formas')
      .select(['sampled'])
      .where('number', '=', sampled.number)
      .executeTakeFirstOrThrow();
    expect(row.sampled).toBe(true);

    // A replay of the sampled pro forma's history chooses the same (a different choice is a determinism failure).
    const history = await handle(stack, sampled.number).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'sampled-replay');
    await update(sampled.number, decideUpdate, {
      requestId: crypto.randomUUID(),
      actor: VALIDATOR,
      decision: 'APPROVE',
    });
    await waitFor(stack, sampled.number, (v) => v.status === 'VALIDATED');
    await recordHistory(handle(stack, sampled.number), 'trusted-sampled-then-approved');
  });

  it('never validates a trusted CFA’s invoice above the four-eyes threshold without two validators', async () => {
    const p = await generated(257_500, { samplingRate: 0, fourEyesAboveCents: 100_000 }, { trusted: true });
    await depositRead(p);
    const waiting = await waitFor(stack, p.number, (v) => v.stage === 'AWAITING_DECISION');
    expect(waiting.sampled).toBeFalsy();

    const first = await update(p.number, decideUpdate, {
      requestId: crypto.randomUUID(),
      actor: VALIDATOR,
      decision: 'APPROVE',
    });
    expect(first.stage).toBe('AWAITING_SECOND_APPROVAL');
    expect(first.firstApproval).toMatchObject({ userId: VALIDATOR.id });
    expect(
      await failureType(
        update(p.number, decideUpdate, { requestId: crypto.randomUUID(), actor: VALIDATOR, decision: 'APPROVE' }),
      ),
    ).toBe('SAME_APPROVER');
    const second = await update(p.number, decideUpdate, {
      requestId: crypto.randomUUID(),
      actor: SECOND_VALIDATOR,
      decision: 'APPROVE',
    });
    expect(second.status).toBe('VALIDATED');
    await recordHistory(handle(stack, p.number), 'four-eyes-approval');
  });

  it('keeps a correction, runs the controls again on it, and awaits the decision; the claim goes to the corrector', async () => {
    const p = await generated(88_000, {});
    await depositRead(p, randomSha(), (r) => ({
      ...r,
      engine: 'OCR',
      fields: { ...r.fields, invoiceNumber: null },
      fieldConfidences: { ...r.fieldConfidences, invoiceNumber: 0 },
    }));
    const waiting = await waitFor(stack, p.number, (v) => v.stage === 'AWAITING_DECISION');
    expect(waiting.controls?.find((c) => c.code === 'INVOICE_NUMBER')?.outcome).not.toBe('PASSED');

    await update(p.number, claimUpdate, { requestId: crypto.randomUUID(), actor: VALIDATOR });
    expect(
      await failureType(
        update(p.number, correctReadingUpdate, {
          requestId: crypto.randomUUID(),
          actor: SECOND_VALIDATOR,
          fields: { invoiceNumber: 'FA-2026-0042' },
          justification: 'Lu en pied de page.',
        }),
      ),
    ).toBe('CLAIMED_BY_OTHER');
    const corrected = await update(p.number, correctReadingUpdate, {
      requestId: crypto.randomUUID(),
      actor: VALIDATOR,
      fields: { invoiceNumber: 'FA-2026-0042' },
      justification: 'Lu en pied de page.',
    });
    expect(corrected.stage).toBe('AWAITING_DECISION');
    expect(corrected.extraction?.fields.invoiceNumber).toBe('FA-2026-0042');
    expect(corrected.controls?.find((c) => c.code === 'INVOICE_NUMBER')?.outcome).toBe('PASSED');
    expect(corrected.claim?.userId).toBe(VALIDATOR.id);
    const audit = await stack.database.db
      .selectFrom('audit_events as a')
      .innerJoin('pro_formas as p', 'p.id', 'a.pro_forma_id')
      .select(['a.action', 'a.details'])
      .where('p.number', '=', p.number)
      .where('a.action', '=', 'CORRECT_READING')
      .execute();
    expect(audit).toEqual([
      {
        action: 'CORRECT_READING',
        details: {
          version: 1,
          justification: 'Lu en pied de page.',
          changes: [{ field: 'invoiceNumber', before: null, after: 'FA-2026-0042' }],
        },
      },
    ]);
    const approved = await update(p.number, decideUpdate, {
      requestId: crypto.randomUUID(),
      actor: VALIDATOR,
      decision: 'APPROVE',
    });
    expect(approved.status).toBe('VALIDATED');
    await recordHistory(handle(stack, p.number), 'correction-then-approval');
  });

  it('returns a validated pro forma to validation, then lets an admin cancel it with a reason the CFA is told', async () => {
    const p = await generated(64_000, {});
    await depositRead(p);
    await waitFor(stack, p.number, (v) => v.stage === 'AWAITING_DECISION');
    await update(p.number, decideUpdate, { requestId: crypto.randomUUID(), actor: VALIDATOR, decision: 'APPROVE' });
    await waitFor(stack, p.number, (v) => v.status === 'VALIDATED' && v.payment !== null);
    const back = await update(p.number, returnToValidationUpdate, {
      requestId: crypto.randomUUID(),
      actor: ADMIN,
      reason: 'Pièce justificative manquante.',
    });
    expect(back).toMatchObject({ status: 'UNDER_VALIDATION', stage: 'AWAITING_DECISION', payment: null });
    const cancelled = await update(p.number, staffCancelUpdate, {
      requestId: crypto.randomUUID(),
      actor: ADMIN,
      reason: 'Formation annulée.',
    });
    expect(cancelled.status).toBe('CANCELLED');
    await handle(stack, p.number).result();
    await recordHistory(handle(stack, p.number), 'returned-then-cancelled-by-staff');
  });
});
