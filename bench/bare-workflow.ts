import {
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';

/**
 * The baseline of bench/lives.ts: a pro forma's life with the shape of the real one (workflows/pro-forma.ts and
 * workflows/invoice.ts) and nothing else: the same Updates, child workflow, signal, activities (on the same two
 * task queues) and search-attribute upserts, counted from a real life's history (bench/lives-plan.ts), the same
 * timer (the reminder's, while the invoice is awaited), but
 * activities that do nothing and no database, API or reading behind them.
 */

/** What one stretch of a workflow does between two waits, in order. */
export interface Segment {
  /** Task queue of each activity, run one after the other: 'main' or 'ocr'. */
  activities: ('main' | 'ocr')[];
  upserts: number;
}

export interface BarePlan {
  mainQueue: string;
  ocrQueue: string;
  /**
   * The pro forma's workflow, split where it waits: [0] until the deposit, [1] deposit → child started,
   * [2] child's signal → child's end, [3] child's end → payment awaited, [4] payment → end.
   */
  parent: [Segment, Segment, Segment, Segment, Segment];
  /** The invoice workflow: [0] until it signals its parent, [1] after. */
  child: [Segment, Segment];
}

export const depositUpdate = defineUpdate<string, [string]>('depositInvoice');
export const confirmPaymentUpdate = defineUpdate<string, [string]>('confirmPayment');
export const readSignal = defineSignal<[]>('invoiceRead');
export const phaseQuery = defineQuery<string>('phase');

function runner(plan: BarePlan) {
  const main = proxyActivities<{ noop(): Promise<void> }>({
    taskQueue: plan.mainQueue,
    startToCloseTimeout: '1 minute',
  });
  const ocr = proxyActivities<{ noop(): Promise<void> }>({
    taskQueue: plan.ocrQueue,
    startToCloseTimeout: '1 minute',
  });
  return async (segment: Segment, phase: string): Promise<void> => {
    for (let i = 0; i < segment.upserts; i += 1) upsertSearchAttributes({ ProFormaStatus: [`BARE_${phase}`] });
    for (const queue of segment.activities) await (queue === 'ocr' ? ocr : main).noop();
  };
}

export async function bareLife(plan: BarePlan): Promise<string> {
  const run = runner(plan);
  let phase = 'AWAITING_INVOICE';
  let deposited = false;
  let depositApplied = false;
  let read = false;
  let paymentAsked = false;
  let paid = false;
  setHandler(phaseQuery, () => phase);
  setHandler(
    depositUpdate,
    async (_fileName: string) => {
      deposited = true;
      await condition(() => depositApplied);
      return phase;
    },
    { validator: (_fileName: string) => void (phase === 'AWAITING_INVOICE' || reject(phase)) },
  );
  setHandler(
    confirmPaymentUpdate,
    async (_reference: string) => {
      paymentAsked = true;
      await condition(() => paid);
      return phase;
    },
    { validator: (_reference: string) => void (phase === 'AWAITING_PAYMENT' || reject(phase)) },
  );
  setHandler(readSignal, () => void (read = true));

  await run(plan.parent[0], phase);
  // As the real wait for an invoice (a reminder every REMINDER_AFTER): a timer, started and cancelled, when the
  // deposit has not come yet.
  await condition(() => deposited, '15 days');
  phase = 'READING';
  await run(plan.parent[1], phase);
  const starting = startChild(bareInvoice, {
    workflowId: `${workflowInfo().workflowId}-invoice`,
    taskQueue: plan.mainQueue,
    args: [plan],
  });
  // As the real one, the deposit's Update completes with the command that starts the child.
  depositApplied = true;
  const child = await starting;
  await condition(() => read);
  phase = 'CONTROLLING';
  await run(plan.parent[2], phase);
  await child.result();
  phase = 'VALIDATING';
  await run(plan.parent[3], phase);
  phase = 'AWAITING_PAYMENT';
  await condition(() => paymentAsked);
  phase = 'PAYING';
  await run(plan.parent[4], phase);
  phase = 'PAID';
  paid = true;
  return phase;
}

export async function bareInvoice(plan: BarePlan): Promise<string> {
  const run = runner(plan);
  await run(plan.child[0], 'READ');
  const parent = workflowInfo().parent;
  if (parent) await getExternalWorkflowHandle(parent.workflowId).signal(readSignal);
  await run(plan.child[1], 'CONTROLLED');
  return 'ALL_PASSED';
}

function reject(phase: string): never {
  throw new Error(`not allowed in phase ${phase}`);
}
