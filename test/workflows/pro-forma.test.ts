import crypto from 'node:crypto';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { promisify } from 'node:util';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { updateProForma } from '../../api/workflow-calls';
import { CONTROL_CODES } from '../../domain/controls';
import { DomainError } from '../../domain/errors';
import type { ProFormaAction, ProFormaStatus } from '../../domain/process';
import type { ExtractionResult } from '../../extraction/types';
import {
  cancelUpdate,
  confirmPaymentUpdate,
  decideUpdate,
  depositInvoiceUpdate,
  getProFormaQuery,
  type ProFormaView,
} from '../../workflows/pro-forma.messages';
import { invoiceWorkflowId, type InvoiceOutcome, type InvoiceWorkflow } from '../../workflows/invoice.messages';
import {
  ADMIN,
  CFA_USER,
  VALIDATOR,
  deposit,
  generate,
  handle,
  perfectReading,
  randomSha,
  seedCfa,
  startStack,
  waitFor,
  type Scenario,
  type Stack,
} from '../helpers/stack';
import { recordHistory } from '../helpers/histories';
import { startProFormaWorkflow } from '../../api/generation';

jest.setTimeout(120_000);
const execFileAsync = promisify(execFile);

type Number = string;

async function decide(
  stack: Stack,
  number: Number,
  decision: 'APPROVE' | 'REFUSE',
  reasonCode?: string,
  requestId: string = crypto.randomUUID(),
) {
  return handle(stack, number).executeUpdate(decideUpdate, {
    args: [
      { requestId, actor: VALIDATOR, decision, reasonCode, comment: reasonCode ? 'Merci de corriger.' : undefined },
    ],
    updateId: requestId,
  });
}

async function cancel(stack: Stack, number: Number, requestId: string = crypto.randomUUID()) {
  return handle(stack, number).executeUpdate(cancelUpdate, {
    args: [{ requestId, actor: CFA_USER }],
    updateId: requestId,
  });
}

async function confirmPayment(stack: Stack, number: Number, requestId: string = crypto.randomUUID()) {
  return handle(stack, number).executeUpdate(confirmPaymentUpdate, {
    args: [{ requestId, actor: ADMIN, reference: 'VIR-2026-001' }],
    updateId: requestId,
  });
}

/** The failure type of a refused update (the validator's ApplicationFailure). */
async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/**
 * Every control ran and passed. Compared with the whole list of controls, so that a view with no control (an
 * empty list, which `every` would accept) fails.
 */
function expectAllControlsPassed(view: ProFormaView): void {
  expect(view.controls?.map((c) => `${c.code}:${c.outcome}`).sort()).toEqual(
    CONTROL_CODES.map((code) => `${code}:PASSED`).sort(),
  );
}

/** The actions of a pro forma's audit trail, in order, once it ends with `last`. */
async function auditActions(stack: Stack, number: Number, last: string): Promise<string[]> {
  return eventually(async () => {
    const rows = await stack.database.db
      .selectFrom('audit_events as a')
      .innerJoin('pro_formas as p', 'p.id', 'a.pro_forma_id')
      .select('a.action')
      .where('p.number', '=', number)
      .orderBy('a.id')
      .execute();
    const actions = rows.map((r) => r.action);
    return actions.at(-1) === last ? actions : undefined;
  });
}

/** The invoice workflow of a deposited version. */
function invoiceHandle(stack: Stack, number: Number, version: number) {
  return stack.client.workflow.getHandle(invoiceWorkflowId(number, version));
}

/** How an invoice workflow closed, once it has: a cancellation is requested, not awaited, so it lands a moment later. */
async function closedStatus(stack: Stack, number: Number, version: number): Promise<string> {
  const invoice = invoiceHandle(stack, number, version);
  await invoice.result().catch(() => undefined);
  return (await invoice.describe()).status.name;
}

async function row(stack: Stack, number: Number) {
  return stack.database.db.selectFrom('pro_formas').selectAll().where('number', '=', number).executeTakeFirstOrThrow();
}

/** Activities that hold a reading until cancelled (they heartbeat, which is how cancellation reaches them). */
async function readForever(): Promise<never> {
  for (;;) {
    Context.current().heartbeat();
    await Context.current().sleep(200);
  }
}

/** Reads the database until `read` finds something (the read model follows the workflow closely, not instantly). */
async function eventually<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('never found');
}

/** E-mails are sent after the state change, without holding it up: wait until `expected` are recorded. */
async function expectMails(stack: Stack, number: Number, expected: string[]): Promise<void> {
  let got: string[] = [];
  for (let i = 0; i < 100; i++) {
    got = await mails(stack, number);
    if (JSON.stringify(got) === JSON.stringify(expected)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(got).toEqual(expected);
}

async function mails(stack: Stack, number: Number): Promise<string[]> {
  const rows = await stack.database.db
    .selectFrom('notifications as n')
    .innerJoin('pro_formas as p', 'p.id', 'n.pro_forma_id')
    .select(['n.template', 'n.status'])
    .where('p.number', '=', number)
    .orderBy('n.created_at')
    .execute();
  return rows.map((r) => `${r.template}:${r.status}`);
}

describe('proFormaWorkflow', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.teardown());

  /** A pro forma in AWAITING_INVOICE, its reading programmed. */
  async function fresh(
    amounts = [257_500],
    cfaOptions = {},
  ): Promise<{ number: Number; total: number; scenario: Scenario }> {
    const scenario = await seedCfa(stack, amounts, cfaOptions);
    const [proForma] = await generate(stack, scenario);
    if (!proForma) throw new Error('no pro forma generated');
    return { number: proForma.number, total: proForma.totalCents, scenario };
  }

  function readingFor(sha256: string, result: ExtractionResult) {
    stack.extract.mockImplementation(async (input) => {
      if (input.sha256 === sha256) return result;
      throw new Error(`unexpected document ${input.sha256}`);
    });
  }

  async function atDecision(): Promise<{ number: Number; total: number; scenario: Scenario }> {
    const p = await fresh();
    const sha = randomSha();
    readingFor(sha, perfectReading(p.number, p.total, p.scenario));
    await deposit(stack, p.number, sha);
    await waitFor(stack, p.number, (v) => v.stage === 'AWAITING_DECISION');
    return p;
  }

  describe('happy path', () => {
    it('takes an invoice from deposit through manual approval and payment to PAID, recording every step', async () => {
      const p = await atDecision();
      const view = await handle(stack, p.number).query(getProFormaQuery);
      expectAllControlsPassed(view);
      expect(view.extraction?.engine).toBe('FACTURX');

      expect((await decide(stack, p.number, 'APPROVE')).status).toBe('VALIDATED');
      const ordered = await waitFor(stack, p.number, (v) => v.payment !== null);
      expect(ordered.payment).toMatchObject({ kind: 'TRANSFER', amountCents: p.total });
      expect(await confirmPayment(stack, p.number)).toMatchObject({ status: 'PAID', statusLabel: 'Payé' });
      await handle(stack, p.number).result();

      const r = await row(stack, p.number);
      expect(r).toMatchObject({ status: 'PAID', stage: null });
      for (const column of ['deposited_at', 'decided_at', 'validated_at', 'paid_at', 'workflow_started_at'] as const) {
        expect(r[column]).not.toBeNull();
      }
      const audit = await stack.database.db
        .selectFrom('audit_events')
        .select('action')
        .where('pro_forma_id', '=', r.id)
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
      await expectMails(stack, p.number, ['DEPOSIT_RECEIVED:SENT', 'VALIDATED:SENT', 'PAID:SENT']);
      // Its one version was read and controlled by its own invoice workflow, a child of the pro forma's.
      const invoice = invoiceHandle(stack, p.number, 1);
      const outcome = (await invoice.result()) as InvoiceOutcome;
      expect(outcome.extraction).toMatchObject({ version: 1, engine: 'FACTURX' });
      expect(outcome.checked?.verdict).toEqual({ kind: 'ALL_PASSED' });
      const described = await invoice.describe();
      expect(described.status.name).toBe('COMPLETED');
      expect(described.parentExecution?.workflowId).toBe(`pro-forma-${p.number}`);
      await recordHistory(handle(stack, p.number), 'manual-approval-to-paid');
      await recordHistory(invoice, 'invoice-read-and-controlled');
      const payment = await stack.database.db
        .selectFrom('payments')
        .selectAll()
        .where('pro_forma_id', '=', r.id)
        .executeTakeFirstOrThrow();
      expect(payment).toMatchObject({ kind: 'TRANSFER', status: 'CONFIRMED', reference: 'VIR-2026-001' });
    });

    it('validates a trusted CFA’s compliant invoice without a human', async () => {
      const p = await fresh([120_000], { trusted: true });
      const sha = randomSha();
      readingFor(sha, perfectReading(p.number, p.total, p.scenario));
      await deposit(stack, p.number, sha);
      const view = await waitFor(stack, p.number, (v) => v.status === 'VALIDATED');
      expect(view.stage).toBe('AWAITING_PAYMENT');
      expect(await auditActions(stack, p.number, 'AUTO_VALIDATE')).toEqual([
        'GENERATE',
        'DEPOSIT',
        'CONTROL',
        'AUTO_VALIDATE',
      ]);
      const id = (await row(stack, p.number)).id;
      const decision = await eventually(() =>
        stack.database.db
          .selectFrom('decisions')
          .select(['origin', 'decision'])
          .where('pro_forma_id', '=', id)
          .executeTakeFirst(),
      );
      expect(decision).toEqual({ origin: 'AUTOMATIC', decision: 'APPROVE' });
      await recordHistory(handle(stack, p.number), 'trusted-auto-validation');
    });

    it('still asks a human for a trusted CFA when a control is uncertain', async () => {
      const p = await fresh([120_000], { trusted: true });
      const sha = randomSha();
      readingFor(sha, perfectReading(p.number, p.total, p.scenario, { iban: 'FR7610107001011234567890129' }));
      await deposit(stack, p.number, sha);
      const view = await waitFor(stack, p.number, (v) => v.stage === 'AWAITING_DECISION');
      expect(view.controls?.find((c) => c.code === 'IBAN_MATCHES_CFA')?.outcome).toBe('NEEDS_REVIEW');
    });
  });

  describe('refusals and corrections', () => {
    it('refuses automatically a total that differs from the pro forma, with the letter of the reason', async () => {
      const p = await fresh();
      const sha = randomSha();
      readingFor(sha, perfectReading(p.number, p.total, p.scenario, { totalCents: p.total - 1 }));
      await deposit(stack, p.number, sha);
      const view = await waitFor(stack, p.number, (v) => v.status === 'REFUSED');
      expect(view.refusal).toMatchObject({ origin: 'AUTOMATIC', reasonCode: 'AMOUNT_MISMATCH' });
      expect(view.refusal?.letter).toMatch(/^Madame, monsieur/);
      expect(view.refusal?.letter).toContain("Le montant indiqué n'est pas égal au montant de la facture pro forma");
      const refusedRow = await eventually(async () => {
        const r = await row(stack, p.number);
        return r.status === 'REFUSED' ? r : undefined;
      });
      expect(refusedRow).toMatchObject({ status: 'REFUSED', refusal_origin: 'AUTOMATIC' });
      await expectMails(stack, p.number, ['DEPOSIT_RECEIVED:SENT', 'REFUSED:SENT']);
      await recordHistory(handle(stack, p.number), 'automatic-refusal');
    });

    it('refuses manually with a catalogue reason and comment, re-reads a corrected invoice as version 2, then approves and pays it', async () => {
      const p = await atDecision();
      const refused = await decide(stack, p.number, 'REFUSE', 'SIRET_INVALID');
      expect(refused).toMatchObject({ status: 'REFUSED', statusLabel: 'Refusé' });
      expect(refused.refusal).toMatchObject({
        origin: 'MANUAL',
        reasonCode: 'SIRET_INVALID',
        comment: 'Merci de corriger.',
      });
      expect(await row(stack, p.number)).toMatchObject({ refusal_origin: 'MANUAL' });

      const sha2 = randomSha();
      readingFor(sha2, perfectReading(p.number, p.total, p.scenario));
      const redeposited = await deposit(stack, p.number, sha2);
      expect(redeposited).toMatchObject({ status: 'UNDER_VALIDATION', stage: 'READING', refusal: null });
      expect(redeposited.document).toMatchObject({ version: 2, sha256: sha2 });
      await waitFor(stack, p.number, (v) => v.stage === 'AWAITING_DECISION');
      const documents = await stack.database.db
        .selectFrom('documents')
        .select(['version', 'sha256'])
        .where('pro_forma_id', '=', (await row(stack, p.number)).id)
        .orderBy('version')
        .execute();
      expect(documents.map((d) => d.version)).toEqual([1, 2]);
      expect(documents[1]?.sha256).toBe(sha2);

      // The rest of its life: approved, paid. Each version had its own invoice workflow.
      expect((await decide(stack, p.number, 'APPROVE')).status).toBe('VALIDATED');
      await waitFor(stack, p.number, (v) => v.payment !== null);
      expect((await confirmPayment(stack, p.number)).status).toBe('PAID');
      await handle(stack, p.number).result();
      expect(await auditActions(stack, p.number, 'CONFIRM_PAYMENT')).toEqual([
        'GENERATE',
        'DEPOSIT',
        'CONTROL',
        'AWAIT_DECISION',
        'REFUSE',
        'REDEPOSIT',
        'CONTROL',
        'AWAIT_DECISION',
        'APPROVE',
        'CONFIRM_PAYMENT',
      ]);
      for (const version of [1, 2]) {
        const outcome = (await invoiceHandle(stack, p.number, version).result()) as InvoiceOutcome;
        expect(outcome.extraction.version).toBe(version);
      }
      await recordHistory(handle(stack, p.number), 'manual-refusal-then-redeposit');
      await recordHistory(invoiceHandle(stack, p.number, 1), 'invoice-first-version-of-a-refusal');
      await recordHistory(invoiceHandle(stack, p.number, 2), 'invoice-second-version');
    });

    it('refuses an unknown refusal reason without changing anything', async () => {
      const p = await atDecision();
      const error = await decide(stack, p.number, 'REFUSE', 'NOT_A_REASON').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('UNKNOWN_REFUSAL_REASON');
      const view = await handle(stack, p.number).query(getProFormaQuery);
      expect(view).toMatchObject({ status: 'UNDER_VALIDATION', stage: 'AWAITING_DECISION' });
    });

    it('sends a document whose reading failed for good to a validator instead of failing the workflow', async () => {
      const p = await fresh();
      stack.extract.mockRejectedValue(ApplicationFailure.nonRetryable('No stored document', 'NOT_FOUND'));
      await deposit(stack, p.number);
      const view = await waitFor(stack, p.number, (v) => v.stage === 'AWAITING_DECISION');
      expect(view.extraction).toMatchObject({ engine: 'NONE', error: { code: 'EXTRACTION_FAILED' } });
      expect(view.controls?.find((c) => c.code === 'DOCUMENT_READABLE')?.outcome).toBe('NEEDS_REVIEW');
      expect(view.controls?.some((c) => c.outcome === 'FAILED')).toBe(false);
    });

    it('abandons the reading of an older version when a newer one is deposited', async () => {
      const p = await fresh();
      const [slow, fast] = [randomSha(), randomSha()];
      let releaseSlow: (() => void) | undefined;
      stack.extract.mockImplementation(async (input) => {
        if (input.sha256 === slow) {
          releaseSlow = () => undefined;
          return readForever();
        }
        return perfectReading(p.number, p.total, p.scenario);
      });
      await deposit(stack, p.number, slow);
      await waitFor(stack, p.number, () => releaseSlow !== undefined);
      await deposit(stack, p.number, fast);
      const view = await waitFor(stack, p.number, (v) => v.stage === 'AWAITING_DECISION');
      expect(view.extraction?.version).toBe(2);
      expectAllControlsPassed(view);
      // The first version's invoice workflow was cancelled; its reading recorded nothing.
      expect(await closedStatus(stack, p.number, 1)).toBe('CANCELLED');
      const readings = await stack.database.db
        .selectFrom('extractions as e')
        .innerJoin('documents as d', 'd.id', 'e.document_id')
        .select('d.version')
        .where('d.pro_forma_id', '=', (await row(stack, p.number)).id)
        .execute();
      expect(readings).toEqual([{ version: 2 }]);
    });
  });

  describe('cancellation', () => {
    it('cancels, frees the installments, and lets them be billed again', async () => {
      const p = await fresh([100_000, 50_000]);
      const cancelled = await cancel(stack, p.number);
      expect(cancelled).toMatchObject({ status: 'CANCELLED', statusLabel: 'Annulé' });
      await handle(stack, p.number).result();
      const lines = await stack.database.db
        .selectFrom('pro_forma_lines')
        .select('released_at')
        .where('pro_forma_id', '=', (await row(stack, p.number)).id)
        .execute();
      expect(lines).toEqual([{ released_at: expect.any(Date) }, { released_at: expect.any(Date) }]);
      const [again] = await generate(stack, p.scenario);
      expect(again).toMatchObject({ totalCents: 150_000, lineCount: 2 });
      expect(again?.number).not.toBe(p.number);
    });

    it('cancels during the reading, which is abandoned', async () => {
      const p = await fresh();
      let started = false;
      stack.extract.mockImplementation(async () => {
        started = true;
        await new Promise((r) => setTimeout(r, 3000));
        return perfectReading(p.number, p.total, p.scenario);
      });
      await deposit(stack, p.number);
      await waitFor(stack, p.number, () => started);
      expect((await cancel(stack, p.number)).status).toBe('CANCELLED');
      const result = await handle(stack, p.number).result();
      expect(result).toMatchObject({ status: 'CANCELLED', controls: null });
      expect(await closedStatus(stack, p.number, 1)).toBe('CANCELLED');
      await recordHistory(handle(stack, p.number), 'cancel-during-reading');
    });

    it('refuses a second generation of installments already in a live pro forma', async () => {
      const p = await fresh([80_000]);
      await expect(
        generate(
          stack,
          p.scenario,
          'PEDAGOGIE',
          p.scenario.installments.map((i) => i.id),
        ),
      ).rejects.toMatchObject({
        code: 'INSTALLMENT_NOT_ELIGIBLE',
      });
    });

    it('gives one pro forma and one conflict for two concurrent generations of the same installment', async () => {
      const scenario = await seedCfa(stack, [90_000]);
      const ids = scenario.installments.map((i) => i.id);
      const results = await Promise.allSettled([
        generate(stack, scenario, 'PEDAGOGIE', ids),
        generate(stack, scenario, 'PEDAGOGIE', ids),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toMatchObject({ code: 'INSTALLMENT_NOT_ELIGIBLE' });
    });
  });

  describe('credit notes and payments', () => {
    it('splits a mixed selection into an invoice and a credit note, ordered whole: the payment run nets them', async () => {
      const scenario = await seedCfa(stack, [300_000, -41_350], { trusted: true, settlement: 'DEDUCTION' });
      const generated = await generate(stack, scenario);
      const invoice = generated.find((g) => g.kind === 'INVOICE');
      const credit = generated.find((g) => g.kind === 'CREDIT_NOTE');
      expect(invoice).toMatchObject({
        totalCents: 300_000,
        settlementMode: null,
        statusLabel: 'En attente de facture',
      });
      expect(credit).toMatchObject({
        totalCents: -41_350,
        settlementMode: 'DEDUCTION',
        statusLabel: "En attente d'avoir",
      });
      if (!invoice || !credit) throw new Error('expected two pro formas');

      const [shaCredit, shaInvoice] = [randomSha(), randomSha()];
      stack.extract.mockImplementation(async ({ sha256 }) =>
        sha256 === shaCredit
          ? perfectReading(credit.number, 41_350, scenario)
          : perfectReading(invoice.number, 300_000, scenario),
      );
      await deposit(stack, credit.number, shaCredit);
      const creditView = await waitFor(stack, credit.number, (v) => v.payment !== null);
      expect(creditView.payment).toMatchObject({ kind: 'DEDUCTION', amountCents: -41_350 });

      await deposit(stack, invoice.number, shaInvoice);
      const invoiceView = await waitFor(stack, invoice.number, (v) => v.payment !== null);
      // Netting waits for the payment run (test/api/payment-runs-flow.test.ts): the credit note is still to deduct.
      expect(invoiceView.payment).toMatchObject({ kind: 'TRANSFER', amountCents: 300_000, netted: [] });
      const deduction = await stack.database.db
        .selectFrom('payments')
        .select(['status', 'remaining_cents'])
        .where('kind', '=', 'DEDUCTION')
        .where('cfa_id', '=', scenario.cfa.id)
        .executeTakeFirstOrThrow();
      expect(deduction).toEqual({ status: 'ORDERED', remaining_cents: -41_350 });
    });

    it('orders a REMBOURSEMENT credit note as a reimbursement awaited from the CFA', async () => {
      const scenario = await seedCfa(stack, [-12_000], { trusted: true, settlement: 'REMBOURSEMENT' });
      const [credit] = await generate(stack, scenario);
      if (!credit) throw new Error('no credit note');
      const sha = randomSha();
      readingFor(sha, perfectReading(credit.number, -12_000, scenario));
      await deposit(stack, credit.number, sha);
      const view = await waitFor(stack, credit.number, (v) => v.payment !== null);
      expect(view.payment).toMatchObject({ kind: 'REIMBURSEMENT', amountCents: -12_000 });
      expect((await confirmPayment(stack, credit.number)).status).toBe('PAID');
    });
  });

  describe('the status table: disallowed actions are refused by the validator, naming the status, changing nothing', () => {
    async function expectUnchanged(number: Number, before: ProFormaView) {
      const after = await handle(stack, number).query(getProFormaQuery);
      // `step` counts every effect the workflow has recorded: an unchanged one means nothing was recorded.
      expect({ status: after.status, stage: after.stage, step: after.step }).toEqual({
        status: before.status,
        stage: before.stage,
        step: before.step,
      });
    }

    it('AWAITING_INVOICE: no decision, no payment confirmation', async () => {
      const p = await fresh();
      const before = await handle(stack, p.number).query(getProFormaQuery);
      expect(await refusal(decide(stack, p.number, 'APPROVE'))).toBe('NO_DECISION_AWAITED');
      expect(await refusal(confirmPayment(stack, p.number))).toBe('ACTION_NOT_ALLOWED');
      await expectUnchanged(p.number, before);
    });

    it('UNDER_VALIDATION while reading: no decision yet, no payment confirmation', async () => {
      const p = await fresh();
      stack.extract.mockImplementation(readForever);
      await deposit(stack, p.number);
      const before = await handle(stack, p.number).query(getProFormaQuery);
      expect(await refusal(decide(stack, p.number, 'APPROVE'))).toBe('NO_DECISION_AWAITED');
      expect(await refusal(confirmPayment(stack, p.number))).toBe('ACTION_NOT_ALLOWED');
      await expectUnchanged(p.number, before);
      await cancel(stack, p.number);
    });

    it('VALIDATED: no deposit, no cancellation, no second decision', async () => {
      const p = await atDecision();
      await decide(stack, p.number, 'APPROVE');
      const before = await waitFor(stack, p.number, (v) => v.payment !== null);
      const error = await deposit(stack, p.number).catch((e: unknown) => e);
      expect(((error as WorkflowUpdateFailedError).cause as ApplicationFailure).message).toContain('« Validé »');
      expect(await refusal(cancel(stack, p.number))).toBe('ACTION_NOT_ALLOWED');
      expect(await refusal(decide(stack, p.number, 'REFUSE', 'OTHER'))).toBe('NO_DECISION_AWAITED');
      await expectUnchanged(p.number, before);
    });

    it('REFUSED: no decision, no payment confirmation; deposit and cancel stay allowed', async () => {
      const p = await atDecision();
      await decide(stack, p.number, 'REFUSE', 'AMOUNT_MISMATCH');
      const before = await handle(stack, p.number).query(getProFormaQuery);
      expect(await refusal(decide(stack, p.number, 'APPROVE'))).toBe('NO_DECISION_AWAITED');
      expect(await refusal(confirmPayment(stack, p.number))).toBe('ACTION_NOT_ALLOWED');
      await expectUnchanged(p.number, before);
      expect((await cancel(stack, p.number)).status).toBe('CANCELLED');
    });

    /** Sends `update` to a closed workflow twice: straight to Temporal, then the API's way (updateProForma). */
    async function sendToClosed<Input extends { requestId: string }>(
      number: Number,
      action: ProFormaAction,
      update: UpdateDefinition<ProFormaView, [Input]>,
      input: Input,
    ): Promise<{ direct: unknown; viaApi: unknown }> {
      const direct = await handle(stack, number)
        .executeUpdate(update, { args: [input], updateId: input.requestId })
        .catch((e: unknown) => e);
      const deps = { db: stack.database.db, temporal: stack.client, callTimeoutMs: 10_000 };
      const viaApi = await updateProForma(deps, { cfaIds: null }, { number }, action, update, input).catch(
        (e: unknown) => e,
      );
      return { direct, viaApi };
    }

    async function paidProForma(): Promise<Number> {
      const p = await atDecision();
      await decide(stack, p.number, 'APPROVE');
      await waitFor(stack, p.number, (v) => v.payment !== null);
      await confirmPayment(stack, p.number);
      return p.number;
    }

    async function cancelledProForma(): Promise<Number> {
      const p = await fresh();
      await cancel(stack, p.number);
      return p.number;
    }

    // A final status closes the workflow, so Temporal itself answers that it is gone (no validator is left to
    // refuse); updateProForma then reads the status and refuses with the domain error naming it, as for any status.
    it.each<[ProFormaStatus, string, () => Promise<Number>]>([
      ['PAID', 'Payé', paidProForma],
      ['CANCELLED', 'Annulé', cancelledProForma],
    ])(
      '%s is final: its workflow closes, and a deposit, a cancellation or a payment confirmation is refused naming « %s »',
      async (status, label, reach) => {
        const number = await reach();
        await handle(stack, number).result();
        const requestId = () => crypto.randomUUID();
        const document = { sha256: randomSha(), fileName: 'facture.pdf', mimeType: 'application/pdf', size: 2048 };
        const attempts: [ProFormaAction, string, { direct: unknown; viaApi: unknown }][] = [
          [
            'DEPOSIT_INVOICE',
            'le dépôt de facture',
            await sendToClosed(number, 'DEPOSIT_INVOICE', depositInvoiceUpdate, {
              requestId: requestId(),
              actor: CFA_USER,
              document,
            }),
          ],
          [
            'CANCEL',
            "l'annulation",
            await sendToClosed(number, 'CANCEL', cancelUpdate, { requestId: requestId(), actor: CFA_USER }),
          ],
          [
            'CONFIRM_PAYMENT',
            'la confirmation de paiement',
            await sendToClosed(number, 'CONFIRM_PAYMENT', confirmPaymentUpdate, {
              requestId: requestId(),
              actor: ADMIN,
              reference: 'VIR-2026-002',
            }),
          ],
        ];
        for (const [action, actionLabel, { direct, viaApi }] of attempts) {
          expect(direct).toBeInstanceOf(WorkflowNotFoundError);
          expect(viaApi).toBeInstanceOf(DomainError);
          expect(viaApi).toMatchObject({
            code: 'ACTION_NOT_ALLOWED',
            message: `Action non autorisée : ${actionLabel} est impossible au statut « ${label} » (${status}).`,
            details: { status, action },
          });
        }
        expect((await row(stack, number)).status).toBe(status);
      },
    );
  });

  describe('idempotency and races', () => {
    it('applies the same decision sent twice once', async () => {
      const p = await atDecision();
      const first = await decide(stack, p.number, 'APPROVE', undefined, 'double-click');
      const second = await decide(stack, p.number, 'APPROVE', undefined, 'double-click');
      expect(second.status).toBe('VALIDATED');
      expect(second.step).toBe(first.step);
      expect(await auditActions(stack, p.number, 'APPROVE')).toEqual([
        'GENERATE',
        'DEPOSIT',
        'CONTROL',
        'AWAIT_DECISION',
        'APPROVE',
      ]);
      const decisions = await stack.database.db
        .selectFrom('decisions')
        .select('id')
        .where('pro_forma_id', '=', (await row(stack, p.number)).id)
        .execute();
      expect(decisions).toHaveLength(1);
    });

    it('ends a deposit racing a cancellation in exactly one of them', async () => {
      const p = await fresh();
      stack.extract.mockImplementation(async () => perfectReading(p.number, p.total, p.scenario));
      const [d, c] = await Promise.allSettled([deposit(stack, p.number), cancel(stack, p.number)]);
      const view = await handle(stack, p.number)
        .query(getProFormaQuery)
        .catch(async () => handle(stack, p.number).result());
      if (view.status === 'CANCELLED') {
        expect(c.status).toBe('fulfilled');
        expect(await auditActions(stack, p.number, 'CANCEL')).toEqual(
          d.status === 'fulfilled' ? ['GENERATE', 'DEPOSIT', 'CANCEL'] : ['GENERATE', 'CANCEL'],
        );
      } else {
        expect(d.status).toBe('fulfilled');
        expect(c.status).toBe('rejected');
      }
      expect([d.status, c.status]).toContain('fulfilled');
    });
  });

  it('reads an invoice whose pro forma is not known yet with an invoice workflow of its own, recording nothing', async () => {
    const p = await fresh();
    const sha = randomSha();
    readingFor(sha, perfectReading(p.number, p.total, p.scenario));
    const orphan = await stack.client.workflow.start<InvoiceWorkflow>('invoiceWorkflow', {
      taskQueue: stack.deps.config.temporal.taskQueue,
      workflowId: `invoice-unmatched-${sha.slice(0, 12)}`,
      args: [
        {
          document: {
            version: 1,
            sha256: sha,
            fileName: 'facture.pdf',
            mimeType: 'application/pdf',
            size: 1234,
            uploadedAt: new Date().toISOString(),
            uploadedBy: 'mailbox',
          },
          ocrTaskQueue: stack.deps.config.temporal.ocrTaskQueue,
        },
      ],
    });
    const outcome = await orphan.result();
    expect(outcome.checked).toBeNull();
    expect(outcome.extraction).toMatchObject({ version: 1, fields: { proFormaNumber: p.number, totalCents: p.total } });
    expect((await orphan.describe()).parentExecution).toBeUndefined();
    expect(await row(stack, p.number)).toMatchObject({ status: 'AWAITING_INVOICE', invoice_number: null });
  });

  it('refuses to adopt an existing workflow of another pro forma with the same number', async () => {
    const p = await fresh();
    // As if the database had been reset while Temporal kept its history: same number, another pro forma.
    await stack.database.db.updateTable('pro_formas').set({ total_cents: 1 }).where('number', '=', p.number).execute();
    await expect(startProFormaWorkflow(stack.deps, p.number)).rejects.toThrow(/already exists for another pro forma/);
  });

  it('is found by Temporal’s own CLI through its status search attribute', async () => {
    const p = await fresh();
    const sha = randomSha();
    readingFor(sha, perfectReading(p.number, p.total, p.scenario, { proFormaNumber: 'PRO-99999999' }));
    await deposit(stack, p.number, sha);
    await waitFor(stack, p.number, (v) => v.status === 'REFUSED');
    const address = process.env.TEMPORAL_TEST_ADDRESS as string;
    let found = '';
    for (let i = 0; i < 50 && !found.includes(p.number); i++) {
      const { stdout } = await execFileAsync(process.env.TEMPORAL_CLI as string, [
        'workflow',
        'list',
        '--address',
        address,
        '--query',
        `ProFormaStatus="REFUSED" AND ProFormaNumber="${p.number}"`,
      ]);
      found = stdout;
      if (!found.includes(p.number)) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toContain(`pro-forma-${p.number}`);
  });
});

describe('proFormaWorkflow with short timers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ timings: { reminderAfterMs: 1500, escalateAfterMs: 1500 } });
    await stack.database.db
      .insertInto('users')
      .values({
        role: 'validator',
        name: 'Val',
        email: `val-${crypto.randomBytes(3).toString('hex')}@opco.example`,
        rights: ['pro-formas:decide'],
        token_hash: crypto.randomBytes(32).toString('hex'),
      })
      .execute();
  });
  afterAll(() => stack.teardown());

  it('reminds the CFA, repeatedly, while the invoice is awaited', async () => {
    const scenario = await seedCfa(stack);
    const [p] = await generate(stack, scenario);
    if (!p) throw new Error('no pro forma');
    await new Promise((r) => setTimeout(r, 4000));
    const sent = await stack.database.db
      .selectFrom('notifications as n')
      .innerJoin('pro_formas as p', 'p.id', 'n.pro_forma_id')
      .select('n.template')
      .where('p.number', '=', p.number)
      .execute();
    expect(sent.filter((s) => s.template === 'REMINDER').length).toBeGreaterThanOrEqual(2);
  });

  it('alerts the validators when a decision waits too long', async () => {
    const scenario = await seedCfa(stack);
    const [p] = await generate(stack, scenario);
    if (!p) throw new Error('no pro forma');
    stack.extract.mockResolvedValue(perfectReading(p.number, p.totalCents, scenario));
    await deposit(stack, p.number);
    await waitFor(stack, p.number, (v) => v.stage === 'AWAITING_DECISION');
    await new Promise((r) => setTimeout(r, 2500));
    const escalations = await stack.database.db
      .selectFrom('notifications as n')
      .innerJoin('pro_formas as p', 'p.id', 'n.pro_forma_id')
      .select(['n.template', 'n.recipient'])
      .where('p.number', '=', p.number)
      .where('n.template', '=', 'ESCALATION')
      .execute();
    expect(escalations.length).toBeGreaterThanOrEqual(1);
    expect(escalations[0]?.recipient).toMatch(/^val-/);
  });
});

describe('proFormaWorkflow over a long life', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ continueAsNewAfterEvents: 60 });
  });
  afterAll(() => stack.teardown());

  it('continues as new under many re-deposits, keeping its state and its processed request ids', async () => {
    const scenario = await seedCfa(stack);
    const [p] = await generate(stack, scenario);
    if (!p) throw new Error('no pro forma');
    stack.extract.mockImplementation(async () => perfectReading(p.number, p.totalCents + 1, scenario));
    const h = handle(stack, p.number);
    const firstRun = (await h.describe()).runId;
    for (let i = 0; i < 8; i++) {
      await deposit(stack, p.number, randomSha(), `deposit-${i}`);
      await waitFor(stack, p.number, (v) => v.status === 'REFUSED' && v.document?.version === i + 1);
    }
    // Between two deposits the workflow is busy; once idle it continues as new.
    const latestRun = await eventually(async () => {
      const { runId } = await h.describe();
      return runId !== firstRun ? runId : undefined;
    });
    expect(latestRun).not.toBe(firstRun);
    const view = await h.query(getProFormaQuery);
    expect(view.document?.version).toBe(8);
    const versions = await stack.database.db
      .selectFrom('documents as d')
      .innerJoin('pro_formas as p', 'p.id', 'd.pro_forma_id')
      .select('d.version')
      .where('p.number', '=', p.number)
      .orderBy('d.version')
      .execute();
    expect(versions.map((d) => d.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // The server's update dedup does not cross continue-as-new; the workflow's own memory does.
    const again = await deposit(stack, p.number, randomSha(), 'deposit-0');
    expect(again.document?.version).toBe(8);
    await recordHistory(
      stack.client.workflow.getHandle(`pro-forma-${p.number}`, firstRun),
      'continued-as-new-first-run',
    );
  });
});

describe('proFormaWorkflow when an OCR worker dies', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ ocrWorker: false });
  });
  afterAll(() => stack.teardown());

  it('lets a new worker finish the reading of a worker killed (SIGKILL) during READING, and loses nothing', async () => {
    const scenario = await seedCfa(stack);
    const [p] = await generate(stack, scenario);
    if (!p) throw new Error('no pro forma');
    const ocrQueue = stack.deps.config.temporal.ocrTaskQueue;
    const doomed = spawn(
      'node',
      [
        '--require',
        'tsx/cjs',
        path.join(__dirname, '../helpers/blocking-ocr-worker.ts'),
        process.env.TEMPORAL_TEST_ADDRESS as string,
        ocrQueue,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env.PATH, HOME: process.env.HOME } },
    );
    const reading = new Promise<void>((resolve) =>
      doomed.stdout?.on('data', (d: Buffer) => d.toString().includes('READING') && resolve()),
    );
    const sha = randomSha();
    await deposit(stack, p.number, sha);
    await reading;
    doomed.kill('SIGKILL');
    await stack.startOcrWorker(async () => perfectReading(p.number, p.totalCents, scenario));
    // The server notices the silence after the heartbeat timeout (2 s here) and hands the reading over.
    const view = await waitFor(stack, p.number, (v) => v.stage === 'AWAITING_DECISION', 60_000);
    expect(view.document).toMatchObject({ version: 1, sha256: sha });
    expectAllControlsPassed(view);
  });
});
