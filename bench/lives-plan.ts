import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { BarePlan, Segment } from './bare-workflow';

/**
 * Reads a real life's histories (the pro forma's workflow and its invoice workflow) into the plan of the bare
 * workflow (bench/bare-workflow.ts), and counts events by type, so that the baseline mirrors the real life and the
 * bench can show that it does.
 */

type History = temporal.api.history.v1.IHistory;
const { EventType } = temporal.api.enums.v1;

export function eventName(type: number | null | undefined): string {
  return (EventType[type ?? 0] ?? String(type)).replace(/^EVENT_TYPE_/, '');
}

/** Events of a history by type name. */
export function countEvents(history: History): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of history.events ?? []) {
    const name = eventName(event.eventType);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** Adds counts (a pro forma's history and its invoice workflow's). */
export function addCounts(...all: Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const counts of all) for (const [k, v] of Object.entries(counts)) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}

const empty = (): Segment => ({ activities: [], upserts: 0 });

/**
 * Splits a history into segments at the given boundary events (in order), counting in each the activities
 * scheduled (with their queue) and the search-attribute upserts. (The only timer of a life is the reminder's while
 * the invoice is awaited, started only when the deposit comes after the wait began: the bare workflow waits the same
 * way; the events table shows both.)
 */
function segments(history: History, boundaries: string[], ocrQueue: string, what: string): Segment[] {
  const result: Segment[] = [empty()];
  let next = 0;
  for (const event of history.events ?? []) {
    const name = eventName(event.eventType);
    const current = result[result.length - 1] as Segment;
    if (next < boundaries.length && name === boundaries[next]) {
      result.push(empty());
      next += 1;
    } else if (name === 'ACTIVITY_TASK_SCHEDULED') {
      const queue = event.activityTaskScheduledEventAttributes?.taskQueue?.name;
      current.activities.push(queue === ocrQueue ? 'ocr' : 'main');
    } else if (name === 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES') current.upserts += 1;
  }
  if (next < boundaries.length) {
    throw new Error(`the ${what} history has no ${boundaries[next]} where expected: the bare workflow needs updating`);
  }
  return result;
}

export interface RealHistories {
  parent: History;
  child: History;
}

export async function fetchHistories(client: Client, number: string): Promise<RealHistories> {
  return {
    parent: await client.workflow.getHandle(`pro-forma-${number}`).fetchHistory(),
    child: await client.workflow.getHandle(`invoice-${number}-v1`).fetchHistory(),
  };
}

/** The bare plan mirroring a real life. */
export function planFrom(real: RealHistories, queues: { main: string; ocr: string; realOcr: string }): BarePlan {
  const parent = segments(
    real.parent,
    [
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'CHILD_WORKFLOW_EXECUTION_COMPLETED',
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
    ],
    queues.realOcr,
    'pro forma',
  );
  // The segment between the child's start and its signal is empty in the real life and in the bare one.
  if ((parent[2] as Segment).activities.length + (parent[2] as Segment).upserts > 0) {
    throw new Error('the pro forma workflow now works between its child start and the reading signal');
  }
  const [s0, s1, , s3, s4, s5] = parent as [Segment, Segment, Segment, Segment, Segment, Segment];
  const child = segments(real.child, ['SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED'], queues.realOcr, 'invoice');
  return {
    mainQueue: queues.main,
    ocrQueue: queues.ocr,
    parent: [s0, s1, s3, s4, s5],
    child: [child[0] as Segment, child[1] as Segment],
  };
}
