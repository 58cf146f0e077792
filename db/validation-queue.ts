import type { Kysely } from 'kysely';
import { AWAITING_DECISION } from '../domain/process';
import {
  summaryColumns,
  summaryPage,
  type Page,
  type PageRequest,
  type ProFormaEb,
  type ProFormaQuery,
  type ProFormaSummaryView,
} from './pro-forma-summary';
import { countedTotalQuery } from './pro-forma-counts';
import type { Database } from './schema';

/** The validation queue: invoices waiting for a validator's decision. Staff only. */

/** Where a decision is awaited (domain/process.ts): the queue's one predicate, for its rows and its count. */
function awaitingDecision(eb: ProFormaEb) {
  return eb.and([eb('p.status', '=', AWAITING_DECISION.status), eb('p.stage', '=', AWAITING_DECISION.stage)]);
}

function queued(db: Kysely<Database>): ProFormaQuery {
  return db.selectFrom('pro_formas as p').where(awaitingDecision);
}

/** A page of the queue, the longest waiting first. */
export function validationQueueQuery(db: Kysely<Database>, page: PageRequest) {
  return summaryColumns(queued(db))
    .orderBy('p.deposited_at', 'asc')
    .orderBy('p.number', 'asc')
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize);
}

/** The queue's length, summed over pro_forma_counts. */
export function validationQueueTotalQuery(db: Kysely<Database>) {
  return countedTotalQuery(db, { cfaId: null }, AWAITING_DECISION);
}

export function validationQueue(db: Kysely<Database>, page: PageRequest): Promise<Page<ProFormaSummaryView>> {
  return summaryPage(
    validationQueueQuery(db, page).execute(),
    validationQueueTotalQuery(db).executeTakeFirstOrThrow(),
    page,
  );
}
